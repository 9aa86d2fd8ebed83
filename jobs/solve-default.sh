#!/usr/bin/env bash
#SBATCH --job-name=skua-solve
#SBATCH --ntasks=2
#SBATCH --time=00:10:00
#SBATCH --output=skua-solve-%j.log
# Skua's main job on the shipped default problem set: the 20-system convection-diffusion sequence.
# Runs with bash (mpirun, NP ranks, default 2) or sbatch (srun, the allocation's ranks).
# Override: PROBLEM=... OUTPUT=... NP=... bash jobs/solve-default.sh [extra PETSc options]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ -n "${SLURM_SUBMIT_DIR:-}" ] && ROOT=$SLURM_SUBMIT_DIR
PROBLEM=${PROBLEM:-$ROOT/inputs/convdiff_sequence.h5}
OUTPUT=${OUTPUT:-$ROOT/convdiff_solutions.h5}
source "$ROOT/jobs/lib/launch.sh"
BIN=$(skua_bin skua-solve)

skua_launch "$BIN" -problem "$PROBLEM" -output "$OUTPUT" \
  -ksp_type gmres -ksp_gmres_restart 40 -pc_type bjacobi -ksp_rtol 1e-8 "$@"
