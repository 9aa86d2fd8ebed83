#!/bin/bash
# Sketch benchmark, part (1): tall dense and sparse least squares. Sketch-preconditioned LSQR vs plain LSQR vs
# normal equations (all skua-sketch, P ranks) vs dense QR (scipy.linalg.lstsq, LAPACK gelsy, one process, on the
# gathered matrix). Prints a markdown table and writes sketch-bench.json; times are the solver's own seconds
# (reading excluded), compared as ratios to dense QR of the same run.
#   SKUA_BIN=build/bin NP=2 ROWS=20000 COLS=200 SROWS=100000 SCOLS=500 COND=1e8 bash jobs/bench/sketch.sh
#SBATCH --job-name=skua-sketch-bench --ntasks=4 --time=00:30:00
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=${SKUA_BIN:-$HERE/../../build/bin}
NP=${NP:-2}
ROWS=${ROWS:-20000}; COLS=${COLS:-200}; SROWS=${SROWS:-100000}; SCOLS=${SCOLS:-500}; COND=${COND:-1e8}
MPIEXEC=${SKUA_MPIEXEC:-mpiexec}
PREFLAGS=${SKUA_MPIEXEC_PREFLAGS:---oversubscribe}
PY=/usr/bin/python3
WORK=${WORK:-$(mktemp -d ./sketch-bench.XXXX)}
echo "work directory: $WORK (np $NP)" >&2
$PY "$HERE/sketch.py" generate -rows "$ROWS" -cols "$COLS" -cond "$COND" -seed 1 -output "$WORK/dense.h5"
$PY "$HERE/sketch.py" generate -rows "$SROWS" -cols "$SCOLS" -cond "$COND" -sparse 1 -density 0.01 -seed 1 -output "$WORK/sparse.h5"
for p in dense sparse; do
  for m in sketch_lsqr:sparsesign sketch_lsqr:countsketch sketch_lsqr:gaussian lsqr:none normal:none; do
    meth=${m%%:*}; st=${m##*:}
    extra=(); [ "$st" != none ] && extra=(-sketch_type "$st")
    # Exit 3 (tolerance not reached) is a result here, not a failure; any other failure is recorded as such.
    $MPIEXEC -n "$NP" ${PREFLAGS//;/ } "$BIN/skua-sketch" -task lsq -problem "$WORK/$p.h5" -output "$WORK/$p-$meth-$st.h5" \
      -lsq_method "$meth" "${extra[@]}" -lsq_tol 1e-10 -lsq_max_it 3000 > "$WORK/$p-$meth-$st.log" 2>&1 || true
  done
done
$PY "$HERE/sketch.py" table "$WORK" | tee "$WORK/table.md"
