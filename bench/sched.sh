#!/usr/bin/env bash
# Scheduling overhead per task: N trivial tasks handed out by rank 0 to the
# other ranks over the master/worker protocol. Usage: bench/sched.sh [N] [RANKS]
set -euo pipefail
case ${1:-} in -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
n=${1:-10000}
ranks=${2:-2}
jobs/mpirun -n "$ranks" "${LESDE_BIN:-build/lesde}" bench --sched "$n"
