#!/usr/bin/env bash
#SBATCH --job-name=skua-bench-bcd
#SBATCH --ntasks=1
#SBATCH --time=01:00:00
# BCD benchmark (issue #6): (1) rules x updates (gradient, linesearch, newton, exact; fixed, variable and, on D/E, forest blocks) on the
# synthetic problems A (least squares), B (logistic), C (50-class softmax), D and E (label propagation quadratics):
# block updates and solver seconds to (F - F*) <= 1e-2, 1e-4, 1e-8 |F*| (A: unregularised as in the paper, F* = 0, gaps times F(0)); (2) skua-bcd vs LIBLINEAR (liblinear-train -s 0 / -s 6, and -s 2 against -bcd_loss sqhinge on the large problem,
# -B -1; apt-get install liblinear-tools) on problem B, each to the same objective; (3) the large sparse problem (--large
# m,d,k, default 100000 x 20000, 50 nnz/row) vs LIBLINEAR and scikit-learn (apt-get install python3-sklearn; its
# LogisticRegression with liblinear for L1, lbfgs / newton-cg / liblinear for L2), skua-bcd -bcd_partition active at
# np 1, 2, 4 (--nps).
# skua-bcd runs with OMPI_MCA_pml=ob1 (one node: Open MPI's shared-memory path without ~0.2 s of fabric probing in
# MPI_Init; --mpi-probe leaves the environment alone). Prints markdown, writes JSON.
#   bash jobs/bench/bcd.sh [--bin DIR] [--max-it N] [--max-it-softmax N] [--problems A,B,C,D,E] [--partitions contiguous,sorted,variable,tree] [--json FILE] [--skip-liblinear] [--large m,d,k] [--nps 1,2,4] [--mpi-probe]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
exec /usr/bin/python3 jobs/bench/bcd.py "$@"
