#!/usr/bin/env bash
# The test command: installs and builds what is missing, then runs every
# test (unit, end-to-end under mpirun) with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs/setup.sh --test
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
cd "${LESDE_BUILD:-build}"
ctest --output-on-failure --timeout 1500 "$@"
