#!/usr/bin/env bash
#SBATCH --job-name=skua-datagen
#SBATCH --ntasks=2
#SBATCH --time=00:30:00
#SBATCH --output=skua-datagen-%j.log
# Skua's main job: generate the default neural-operator data set (inputs/darcy.yaml: 200 Darcy samples,
# 64x64, greedy order, gcrodr recycling) into darcy.h5. Runs with bash (mpirun, NP ranks, default 2)
# or sbatch (srun). A job killed by its time limit continues with: bash jobs/datagen-default.sh -resume
# Override: OPTIONS=my.yaml OUTPUT=... NP=... bash jobs/datagen-default.sh [extra options]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ -n "${SLURM_SUBMIT_DIR:-}" ] && ROOT=$SLURM_SUBMIT_DIR
OPTIONS=${OPTIONS:-$ROOT/inputs/darcy.yaml}
OUTPUT=${OUTPUT:-$ROOT/darcy.h5}
source "$ROOT/jobs/lib/launch.sh"
BIN=$(skua_bin skua-datagen)

skua_launch "$BIN" -options_file_yaml "$OPTIONS" -output "$OUTPUT" "$@"
