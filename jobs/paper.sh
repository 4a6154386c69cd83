#!/usr/bin/env bash
# The whole reproduction: every study of sweep/paper.ini (Figures 2-5, the
# gamma schedules, the K ablation) into one store, then its report.
# Inside a Slurm allocation (salloc / sbatch) it runs under srun --mpi=pmix
# on every allocated task; elsewhere under mpirun on every local core.
# Slow at the paper's scale: size it first with
#   build/lesde sweep sweep/paper.ini --dry-run --wall HOURS
# and on a cluster prefer slurm/submit.sh sweep/paper.ini (requeue on time limit).
# Usage: jobs/paper.sh [lesde sweep options, e.g. --quiet, --grace S]
# LESDE_BUILD names the build directory (default build), LESDE_RESULTS the
# output directory (default results/paper), LESDE_RANKS the ranks outside
# Slurm (default: the cores).
set -euo pipefail
case ${1:-} in -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
cd "$(dirname "$0")/.."
lesde=${LESDE_BUILD:-build}/lesde # the build setup.sh makes
[ -x "$lesde" ] || jobs/setup.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
out=${LESDE_RESULTS:-results/paper}
mkdir -p "$out"
if [ -n "${SLURM_JOB_ID:-}" ] && srun --mpi=list 2>&1 | grep -q pmix; then
  launch=(srun --mpi=pmix)
else
  launch=(jobs/mpirun -n "${LESDE_RANKS:-$(nproc)}")
fi
# --dry-run (or an abbreviation lesde takes: --dry, --d): the estimate
# alone, from one process; no sweep runs, so no report follows.
for a in "$@"; do
  if [ "${#a}" -ge 3 ] && [[ --dry-run == "$a"* ]]; then
    exec "$lesde" sweep sweep/paper.ini --store "$out/store.h5" "$@"
  fi
done
set +e
"${launch[@]}" "$lesde" sweep sweep/paper.ini --store "$out/store.h5" "$@"
rc=$?
set -e
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
  [ "$rc" -eq 3 ] && echo "lesde: interrupted; run jobs/paper.sh again to resume" >&2
  exit "$rc"
fi
"$lesde" report "$out/store.h5" --out "$out/report"
echo "open $(pwd)/$out/report/index.html"
exit "$rc"
