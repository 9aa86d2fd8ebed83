#!/bin/bash
# Sketch benchmark. (1) Tall dense and sparse least squares: sketch-preconditioned LSQR (sparsesign, countsketch,
# gaussian, srht) vs plain LSQR vs normal equations (all skua-sketch, P ranks) vs dense QR (scipy.linalg.lstsq,
# LAPACK gelsy, one process, on the gathered matrix). (2) L2 logistic regression: Newton Sketch (countsketch,
# sparsesign, srht; m = 8d) vs exact Newton (skua-sketch) vs skua-bcd (-bcd_loss logistic, same file, same objective),
# 100000 x 500 by default: Newton Sketch pays off when forming A^T W A (M d^2) dominates. Prints markdown tables
# and writes sketch-bench.json; times are the solvers' own seconds (reading excluded), compared as ratios to the
# baseline of the same run. BLAS: whatever libblas.so.3 resolves to (Debian's OpenBLAS on the reference machine).
#   SKUA_BIN=build/bin NP=1 ROWS=100000 COLS=500 COHERENT=1 SROWS=100000 SCOLS=500 COND=1e8 LROWS=100000 LCOLS=500 bash jobs/bench/sketch.sh
# PARTS=2 runs only part (2), PARTS=1 only part (1).
#SBATCH --job-name=skua-sketch-bench --ntasks=4 --time=00:30:00
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=${SKUA_BIN:-$HERE/../../build/bin}
NP=${NP:-1}
ROWS=${ROWS:-100000}; COLS=${COLS:-500}; COHERENT=${COHERENT:-1}; SROWS=${SROWS:-100000}; SCOLS=${SCOLS:-500}; COND=${COND:-1e8}
LROWS=${LROWS:-100000}; LCOLS=${LCOLS:-500}; L2=${L2:-1}; PARTS=${PARTS:-12}
MPIEXEC=${SKUA_MPIEXEC:-mpiexec}
PREFLAGS=${SKUA_MPIEXEC_PREFLAGS:---oversubscribe}
PY=/usr/bin/python3
WORK=${WORK:-$(mktemp -d ./sketch-bench.XXXX)}
echo "work directory: $WORK (np $NP); BLAS: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo unknown)" >&2
run() { $MPIEXEC -n "$NP" ${PREFLAGS//;/ } "$BIN/$1" "${@:2}"; }
# Problems from C (skua-sketch -task generate, identical for any np) or, with GEN=py, from numpy (sketch.py).
GEN=${GEN:-c}
gen() { if [ "$GEN" = py ]; then $PY "$HERE/sketch.py" "$@"; else local k=lsq; [ "$1" = generate_logistic ] && k=logistic; shift; run skua-sketch -task generate -generate "$k" "$@" > /dev/null; fi; }
if [[ $PARTS == *1* ]]; then
gen generate -rows "$ROWS" -cols "$COLS" -cond "$COND" -coherent "$COHERENT" -seed 1 -output "$WORK/dense.h5"
gen generate -rows "$SROWS" -cols "$SCOLS" -cond "$COND" -sparse 1 -density 0.01 -seed 1 -output "$WORK/sparse.h5"
for p in dense sparse; do
  for m in sketch_lsqr:sparsesign sketch_lsqr:countsketch sketch_lsqr:gaussian sketch_lsqr:srht iterative_sketch:sparsesign iterative_sketch:gaussian lsqr:none normal:none; do
    meth=${m%%:*}; st=${m##*:}
    extra=(); [ "$st" != none ] && extra=(-sketch_type "$st")
    # Exit 3 (tolerance not reached) is a result here, not a failure; any other failure is recorded as such.
    run skua-sketch -task lsq -problem "$WORK/$p.h5" -output "$WORK/$p-$meth-$st.h5" -lsq_method "$meth" "${extra[@]}" \
      -lsq_tol 1e-10 -lsq_max_it "$([ "$meth" = lsqr ] && echo 500 || echo 3000)" -log_view > "$WORK/$p-$meth-$st.log" 2>&1 || true
  done
done
fi
# (2) Logistic regression on one file for both drivers.
if [[ $PARTS == *2* ]]; then
gen generate_logistic -rows "$LROWS" -cols "$LCOLS" -seed 2 -output "$WORK/logistic.h5"
for m in sketch:countsketch sketch:sparsesign sketch:srht exact:none; do
  kind=${m%%:*}; st=${m##*:}
  extra=(); [ "$st" != none ] && extra=(-sketch_type "$st" -sketch_size $((8 * LCOLS))); [ "$kind" = exact ] && extra=(-newton_exact)
  run skua-sketch -task newton -problem "$WORK/logistic.h5" -output "$WORK/newton-$kind-$st.h5" -newton_l2 "$L2" \
    -newton_tol 1e-8 "${extra[@]}" -log_view > "$WORK/newton-$kind-$st.log" 2>&1 || true
done
run skua-bcd -problem "$WORK/logistic.h5" -output "$WORK/bcd.h5" -bcd_loss logistic -bcd_l2 "$L2" -bcd_tol 1e-4 \
  -bcd_partition active -bcd_update newton -bcd_max_it "${BCD_MAX_IT:-200000}" > "$WORK/bcd.log" 2>&1 || true
fi
$PY "$HERE/sketch.py" table "$WORK" | tee "$WORK/table.md"
