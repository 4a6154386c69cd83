#!/usr/bin/env bash
# The quickstart: installs and builds what is missing, then trains one run
# (GeoMNIST, K = 3, 10,000 iterations) and says where its file is.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs/setup.sh
out=results/quickstart
mkdir -p "$out"
export OPENBLAS_NUM_THREADS=1
build/lesde train --classes 3 --iters 10000 --seed 0 --out "$out/train.h5"
echo "lesde: the run is in $out/train.h5 (h5dump -H $out/train.h5 shows its layout)"
