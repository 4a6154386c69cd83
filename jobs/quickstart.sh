#!/usr/bin/env bash
# The quickstart: Figure 3 of the slides at laptop scale.
# Installs what is missing and builds (jobs/setup.sh), runs the sweep
# sweep/quickstart.ini on every local core into results/quickstart/store.h5,
# draws the report into results/quickstart/ and prints where index.html is
# and the estimated transition p_hat*. Run it again to resume after a stop.
# Usage: jobs/quickstart.sh [lesde sweep options, e.g. --quiet, --grace S]
# LESDE_BUILD names the build directory (default build), LESDE_RANKS the
# number of ranks (default: the cores).
set -euo pipefail
case ${1:-} in -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
cd "$(dirname "$0")/.."
jobs/setup.sh
lesde=${LESDE_BUILD:-build}/lesde # the build setup.sh made
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
out=results/quickstart
mkdir -p "$out"
ranks=${LESDE_RANKS:-$(nproc)}
start=$(date +%s)
# --dry-run (or an abbreviation lesde takes: --dry, --d): the estimate
# alone, from one process (under mpirun every rank would print one); no
# sweep runs, so no report follows.
for a in "$@"; do
  if [ "${#a}" -ge 3 ] && [[ --dry-run == "$a"* ]]; then
    exec "$lesde" sweep sweep/quickstart.ini --store "$out/store.h5" "$@"
  fi
done
set +e
jobs/mpirun -n "$ranks" "$lesde" sweep sweep/quickstart.ini \
  --store "$out/store.h5" "$@"
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
  [ "$rc" -eq 3 ] && echo "lesde: interrupted; run jobs/quickstart.sh again to resume" >&2
  exit "$rc"
fi
echo "lesde: sweep took $(( $(date +%s) - start )) s on $ranks ranks" >&2
"$lesde" report "$out/store.h5" --out "$out" | tee "$out/report.log"
echo "open $(pwd)/$out/index.html"
