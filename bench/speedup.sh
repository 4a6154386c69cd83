#!/usr/bin/env bash
# Speed-up of a train-only sweep from 1 to 2 ranks (bench/specs/speedup.ini).
# Prints the wall seconds of each and their ratio. Usage: bench/speedup.sh
set -euo pipefail
case ${1:-} in -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
lesde=${LESDE_BIN:-build/lesde}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# wall CMD...: its seconds; a failed run fails the benchmark (no time of it)
wall() { local t0 t1; t0=$(date +%s.%N)
         "$@" >/dev/null 2>"$tmp/err" || { echo "bench/speedup.sh: failed ($?): $*" >&2
                                           cat "$tmp/err" >&2; exit 1; }
         t1=$(date +%s.%N)
         awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'; }
one=$(wall "$lesde" sweep bench/specs/speedup.ini --store "$tmp/1.h5" --quiet)
two=$(wall jobs/mpirun -n 2 "$lesde" sweep bench/specs/speedup.ini --store "$tmp/2.h5" --quiet)
echo "speedup_1rank_seconds $one"
echo "speedup_2rank_seconds $two"
awk -v a="$one" -v b="$two" 'BEGIN { printf "speedup_ratio %.2f\n", a / b }'
