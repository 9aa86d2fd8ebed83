#!/usr/bin/env bash
#SBATCH --job-name=skua-bench-skr
#SBATCH --ntasks=1
#SBATCH --time=04:00:00
# SKR benchmark (issue "Krylov recycling"): gcrodr vs gmres(40) from zero / warm-started, lgmres, dgmres.
# Defaults: the paper's sizes, per-family sample counts and PCs (FAMILIES in skr.py), rtol 1e-7. Full grid:
#   bash jobs/bench/skr.sh --rtols 1e-5,1e-7,1e-9 --pcs none,jacobi,bjacobi,sor,asm,ilu
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
exec /usr/bin/python3 jobs/bench/skr.py "$@"
