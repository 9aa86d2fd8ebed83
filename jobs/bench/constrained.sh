#!/bin/bash
# Benchmark part (3) of issue 7: AdaSketch-Newton on the equality-constrained Hock-Schittkowski set, vs scipy.optimize.
# Runs the default sketch (block Kaczmarz, s = min(n+m, 8)) and the paper's randomized Kaczmarz (one row per sketch),
# printing a markdown table each and writing JSON. Usage: bash jobs/bench/constrained.sh [BUILD_DIR]  (or sbatch)
#SBATCH --job-name=skua-bench-constrained
#SBATCH --ntasks=1
#SBATCH --time=00:20:00
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${1:-$HERE/../../build}
PY=/usr/bin/python3
OUT=${SKUA_BENCH_OUT:-$BUILD/bench}
mkdir -p "$OUT"
echo "## default sketch (block Kaczmarz, s = min(n + m, 8)), -constrained_tol 1e-8"
$PY "$HERE/constrained.py" --bin "$BUILD/bin" --json "$OUT/constrained_default.json"
echo
echo "## randomized Kaczmarz, one row per sketch (the paper's AdaSketch-Newton RK), -constrained_tol 1e-8"
$PY "$HERE/constrained.py" --bin "$BUILD/bin" --json "$OUT/constrained_rk1.json" -- -constrained_sketch_size 1
echo
echo "## Gaussian sketches, s = 2, -constrained_tol 1e-8"
$PY "$HERE/constrained.py" --bin "$BUILD/bin" --json "$OUT/constrained_gauss2.json" -- -constrained_sketch gaussian -constrained_sketch_size 2
