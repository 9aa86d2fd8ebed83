#!/bin/bash
# Benchmark part (3) of issue 7: AdaSketch-Newton on the equality-constrained Hock-Schittkowski set, vs scipy.optimize.
# Runs the default sketch (block Kaczmarz, s = min(n+m, 8)) and the paper's randomized Kaczmarz (one row per sketch),
# and the paper's own setting (KKT tol 1e-4, sketch size 1, RK and GV), printing a markdown table each and writing JSON;
# then the PDE control problem at grids 8-128 with the default inner solver. Usage: bash jobs/bench/constrained.sh [BUILD_DIR]  (or sbatch)
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
echo
echo "## The paper's setting (Hong et al. 2023, their code's Param.jl): KKT tolerance 1e-4, at most 1e4 outer and 1e5 sketch"
echo "## iterations, sketch size 1 on the whole KKT system: randomized Kaczmarz (RK) and Gaussian vectors (GV)"
$PY "$HERE/constrained.py" --bin "$BUILD/bin" --json "$OUT/constrained_paper_rk.json" -- -constrained_sketch_size 1 -constrained_tol 1e-4 -constrained_max_it 10000
echo
$PY "$HERE/constrained.py" --bin "$BUILD/bin" --json "$OUT/constrained_paper_gv.json" -- -constrained_sketch gaussian -constrained_sketch_size 1 -constrained_tol 1e-4 -constrained_max_it 10000
echo
echo "## The PDE control problem with the default inner solver (sketch up to 2048 KKT rows, then the Krylov solver)"
for g in 8 32 64 128; do
  printf 'grid %s: ' "$g"
  "$BUILD/bin/skua-sketch" -task constrained -problem control -control_grid "$g" -output "$OUT/control_$g.h5" -constrained_monitor 0 | grep Summary
done
