# Shared helpers of the Slurm tests (sourced after tests/e2e/lib.sh, not run;
# not named *.sh so that CMake does not take it for a test).
#
# Starts the local one-node cluster (slurm/local-cluster.sh) unless it already
# runs, and on exit (a failure included) cancels the jobs the test submitted
# and stops the cluster if this test started it. The tests run in $TMP, so
# results/<sweep>/ (logs, report) lands there.

CLUSTER=$ROOT/slurm/local-cluster.sh
SUBMIT=$ROOT/slurm/submit.sh
export LESDE_SLURM_DIR=${LESDE_SLURM_DIR:-/tmp/lesde-slurm}
JOBS=()          # job ids to cancel on exit
STARTED_CLUSTER=0
T0=$SECONDS

for tool in slurmctld slurmd munged sbatch; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$(basename "$0" .sh): SKIP: $tool not found; install Slurm with:" >&2
    echo "  DEBIAN_FRONTEND=noninteractive apt-get install -y slurm-wlm munge" >&2
    exit 77
  fi
done

slurm_cleanup() {
  local rc=$?
  if [ ${#JOBS[@]} -gt 0 ]; then scancel "${JOBS[@]}" 2>/dev/null; fi
  if [ "$STARTED_CLUSTER" -eq 1 ]; then "$CLUSTER" stop >/dev/null 9>&-; fi
  cd / && rm -rf "$TMP"
  echo "$(basename "$0" .sh): $((SECONDS - T0)) s" >&2
  exit "$rc"
}
trap slurm_cleanup EXIT

# One cluster for all the Slurm tests: take turns even when run in parallel.
exec 9>"$LESDE_SLURM_DIR.lock"
if ! flock -w 900 9; then echo "FAIL: $LESDE_SLURM_DIR.lock is held by another test" >&2; exit 1; fi

if "$CLUSTER" status >/dev/null 2>&1; then
  echo "using the local Slurm cluster already running in $LESDE_SLURM_DIR" >&2
else
  # 9>&-: the daemons must not inherit (and hold) the lock
  if ! "$CLUSTER" start >&2 9>&-; then echo "FAIL: the local Slurm cluster did not start" >&2; exit 1; fi
  STARTED_CLUSTER=1
fi
eval "$("$CLUSTER" env)"
cd "$TMP" || exit 1

# job_field JOB FIELD: a field of `scontrol show job` (JobState, ExitCode, ...)
job_field() {
  scontrol show job -o "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}
is_final() {
  case $1 in
    COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED) return 0 ;;
  esac
  return 1
}
# wait_job JOB SECONDS: until the job has ended (seen twice, 0.5 s apart, so a
# requeue in between is not taken for the end); prints its state
wait_job() {
  local job=$1 limit=$2 state="" seen=0 start=$SECONDS
  while [ $((SECONDS - start)) -lt "$limit" ]; do
    state=$(job_field "$job" JobState)
    if is_final "$state"; then
      seen=$((seen + 1))
      if [ "$seen" -ge 2 ]; then echo "$state"; return 0; fi
    else
      seen=0
    fi
    sleep 0.5
  done
  echo "${state:-UNKNOWN}"
  echo "wait_job $job: not ended after ${limit}s (state ${state:-unknown}); squeue:" >&2
  squeue >&2
  return 1
}
# done_tasks STORE: how many tasks the store has done (0 if unreadable)
done_tasks() {
  local n
  n=$("$LESDE" status "$1" 2>/dev/null | sed -n 's/^total: \([0-9]*\) done.*/\1/p')
  echo "${n:-0}"
}
# store_complete STORE: lesde status says every task done, none failed
store_complete() {
  "$LESDE" status "$1" >"$TMP/status.out" 2>&1 &&
    grep -Eq '^total: [1-9][0-9]* done, 0 failed, 0 pending' "$TMP/status.out"
}
# not_before T1 T2: ISO time T1 is T2 or later (and both are set)
not_before() { [ -n "$1" ] && [ -n "$2" ] && [ "$1" != Unknown ] && [[ ! $1 < $2 ]]; }
show_log() { # show_log FILE: the job log, on stderr, when a check failed
  echo "---- $1" >&2
  cat "$1" >&2 2>/dev/null
}
