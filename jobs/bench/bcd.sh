#!/usr/bin/env bash
#SBATCH --job-name=skua-bench-bcd
#SBATCH --ntasks=1
#SBATCH --time=01:00:00
# BCD benchmark (issue #6): (1) rules x updates on the synthetic problems A (least squares) and B (logistic):
# block updates and solver seconds to (F - F*) <= 1e-8 |F*|; (2) skua-bcd vs LIBLINEAR (liblinear-train -s 0 / -s 6,
# -B -1; apt-get install liblinear-tools) on problem B, each to the same objective. Prints markdown, writes JSON.
#   bash jobs/bench/bcd.sh [--bin DIR] [--max-it N] [--json FILE] [--skip-liblinear]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
exec /usr/bin/python3 jobs/bench/bcd.py "$@"
