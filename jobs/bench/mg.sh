#!/usr/bin/env bash
#SBATCH --job-name=skua-bench-mg
#SBATCH --ntasks=1
#SBATCH --time=01:00:00
# Multigrid benchmark (issue #5): geometric / geometric-galerkin / gamg / boomeramg vs ICC(0) and Jacobi, CG to 1e-8,
# 2-D poisson (f = 1) and darcy, n = 257..2049, and 3-D (7-point, -pde_dim 3) poisson3d/darcy3d, n = 33, 65;
# STREAM triad measured in the same run. Prints a markdown table and writes jobs/bench/results/mg.json.
# Options go to mg_bench, e.g.
#   bash jobs/bench/mg.sh -sizes 257,513 -methods geometric,gamg -onelevel_max_n 2049
#   bash jobs/bench/mg.sh -sizes 0 -sizes3d 33,65,129        # 3-D only, up to 129^3 (2.1M unknowns, ~2 GB with gamg)
# (-sizes 0 / -sizes3d 0 skip 2-D / 3-D; -onelevel_max_n3d caps icc0/jacobi in 3-D, default 65.)
# Environment: BUILD (a CMake build dir holding libskua.so, default build), NP (ranks, default 1).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
BUILD=${BUILD:-$ROOT/build}
source jobs/lib/launch.sh
[ -e "$BUILD/libskua.so" ] || { echo "$BUILD/libskua.so not built: cmake -S . -B build && cmake --build build" >&2; exit 1; }
mkdir -p "$BUILD/bench" jobs/bench/results
# src/pc is compiled in here unless this libskua already carries it (CMake globs src/pc once it is added there)
PCSRC=()
nm -D "$BUILD/libskua.so" | grep -q ' T SkuaMGSetUp$' || PCSRC=(src/pc/mg.c src/pc/geometric.c)
mpicc -O2 -Iinclude -Isrc $(pkg-config --cflags PETSc) jobs/bench/mg_bench.c "${PCSRC[@]}" -o "$BUILD/bench/mg_bench" \
  -L"$BUILD" -Wl,-rpath,"$BUILD" -lskua $(pkg-config --libs PETSc) -lm
NP=${NP:-1} skua_launch "$BUILD/bench/mg_bench" -json jobs/bench/results/mg.json "$@"
