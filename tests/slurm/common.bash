# Shared helpers of the Slurm tests (sourced after tests/e2e/lib.sh, not run;
# not named *.sh so that CMake does not take it for a test).
#
# Starts the local cluster (slurm/local-cluster.sh) with $SLURM_NODES nodes
# (set by the test before sourcing this; default 1) unless one already runs
# (it must have that many nodes), and on exit (a failure included) cancels
# the jobs the test submitted and stops the cluster if this test started it.
# The tests run in $TMP, so results/<sweep>/ (logs, report) lands there.

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

# A rank that crashes leaves a core in its working directory, $TMP (the
# jobs inherit this limit), and the test prints its stack on exit: a rare
# crash in CI is otherwise known only by Open MPI's one-line backtrace
# (a rank's SIGSEGV at a requeued start, stops 56 and 58).
ulimit -c unlimited 2>/dev/null || true
show_cores() {
  local c
  for c in "$TMP"/core* "$TMP"/*/core* "$TMP"/*/*/core*; do
    [ -f "$c" ] && [ "$(head -c 4 "$c" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
    echo "---- $c: a process crashed; its threads' stacks (gdb):" >&2
    if command -v gdb >/dev/null; then
      gdb -batch -q -ex 'info threads' -ex 'thread apply all bt 25' "$LESDE" "$c" 2>&1 |
        grep -v -e '^warning:' -e '^$' | head -200 >&2
    else echo "(no gdb to read it)" >&2; fi
  done
}

slurm_cleanup() {
  local rc=$?
  show_cores
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

SLURM_NODES=${SLURM_NODES:-1}
if "$CLUSTER" status >/dev/null 2>&1; then
  have=$("$CLUSTER" nodes | wc -l)
  if [ "$have" -lt "$SLURM_NODES" ]; then
    echo "FAIL: the local Slurm cluster running in $LESDE_SLURM_DIR has $have node(s)," \
      "this test needs $SLURM_NODES: stop it ($CLUSTER stop)" >&2
    exit 1
  fi
  echo "using the local Slurm cluster already running in $LESDE_SLURM_DIR ($have node(s))" >&2
else
  # 9>&-: the daemons must not inherit (and hold) the lock
  if ! "$CLUSTER" start --nodes "$SLURM_NODES" >&2 9>&-; then
    echo "FAIL: the local Slurm cluster did not start" >&2
    exit 1
  fi
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
# wait_done STORE N JOB: until the store has N tasks done (or the job ended)
wait_done() {
  for _ in $(seq 1 600); do
    [ "$(done_tasks "$1")" -ge "$2" ] && return 0
    is_final "$(job_field "$3" JobState)" && return 1
    sleep 0.1
  done
  return 1
}
# store_complete STORE: lesde status says every task done, none failed
store_complete() {
  "$LESDE" status "$1" >"$TMP/status.out" 2>&1 &&
    grep -Eq '^total: [1-9][0-9]* done, 0 failed, 0 pending' "$TMP/status.out"
}
# rank_pid JOB RANK: the pid of lesde's rank RANK of a job on this machine
# (its environment names both), or nothing; one grep over every
# environment, as local-cluster.sh's kill-node
rank_pid() {
  local env p
  for env in $(grep -lzx -- "SLURM_JOB_ID=$1" /proc/[0-9]*/environ 2>/dev/null); do
    grep -qzx -- "SLURM_PROCID=$2" "$env" 2>/dev/null || continue
    p=${env#/proc/}
    p=${p%/environ}
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = lesde ] && { echo "$p"; return 0; }
  done
  return 1
}
# not_before T1 T2: ISO time T1 is T2 or later (and both are set)
not_before() { [ -n "$1" ] && [ -n "$2" ] && [ "$1" != Unknown ] && [[ ! $1 < $2 ]]; }
show_log() { # show_log FILE: the job log, on stderr, when a check failed
  echo "---- $1" >&2
  cat "$1" >&2 2>/dev/null
}

# The longer smoke sweep of the interruption tests: 32 tasks, the training
# ones ~0.4 s each (~5 s on 2 ranks, 2026-12-02), long enough that a node
# killed or a signal sent ~1 s after the third task lands mid-sweep (at
# 3,000 iterations the whole sweep took 1 s, and node_failure once found it
# complete before its node died); longer_reference runs it under mpirun
# into $TMP/ref.h5, the store every interrupted run must equal.
LONGER=(--set study.train.iters=20000 --set sweep.seeds=0..7)
longer_reference() {
  expect_exit 0 "reference sweep under mpirun" \
    "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$ROOT/tests/specs/smoke.ini" "${LONGER[@]}" \
    --store "$TMP/ref.h5" --quiet
}
# unchanged BEFORE AFTER: every line of the finished_at listing BEFORE
# (study task finished_at rank) is in AFTER: no finished task was computed again
unchanged() { [ -s "$1" ] && [ -z "$(sort "$1" | comm -23 - <(sort "$2"))" ]; }

# usr1_requeue STORE SUBMIT_OPTIONS...: the time-limit warning (USR1 to the
# batch shell, as Slurm sends it) once some tasks are done; lesde stops and
# exits 3, the job requeues itself and the requeued run resumes the store:
# complete, equal to the uninterrupted run, no finished task computed
# again. The report job waits through the requeue and runs after the last run.
usr1_requeue() {
  local store=$1 ids sweep report log before state rstate
  shift
  ids=$("$SUBMIT" "$ROOT/tests/specs/smoke.ini" "${LONGER[@]}" "$@" --time 0:10:00 --grace 30 \
    --store "$store" --lesde "$LESDE" --parsable)
  read -r sweep report <<<"$ids"
  [ -n "$report" ] || { bad "submit.sh did not print two job ids: '$ids'"; return 1; }
  JOBS+=("$sweep" "$report")
  log=$TMP/results/smoke/slurm-$sweep.out
  check "some tasks done before the warning" wait_done "$store" 3 "$sweep"
  before=$(done_tasks "$store")
  echo "sweep job $sweep: warning (USR1 to the batch shell) after $before tasks" >&2
  scancel --batch --signal=USR1 "$sweep"
  finished_at "$store" >"$TMP/usr1.before"
  state=$(wait_job "$sweep" 180)
  check "sweep job completed (state $state)" test "$state" = COMPLETED
  check "it was requeued once (Restarts=$(job_field "$sweep" Restarts))" \
    test "$(job_field "$sweep" Restarts)" = 1
  check "the batch shell got SIGUSR1" grep -q "SIGUSR1: passing it on" "$log"
  # (under srun every rank gets it: rank 0 names its own, or a worker's
  # message of its own that came first)
  check "lesde saw the signal" grep -Eq "lesde: (signal 10|rank [0-9]+ saw (signal 10|a stop signal)):" "$log"
  check "lesde exited 3" grep -q "lesde exited 3" "$log"
  check "the job requeued itself" grep -q "requeueing job $sweep" "$log"
  check "the second run resumed" grep -Eq "lesde: smoke: 32 tasks, [1-9][0-9]* done" "$log"
  check "the log kept both runs (--open-mode=append)" grep -q "restart 1," "$log"
  check "store complete" store_complete "$store"
  check "store equals the uninterrupted run" \
    /usr/bin/python3 "$ROOT/tests/compare_stores.py" "$TMP/ref.h5" "$store"
  finished_at "$store" >"$TMP/usr1.after"
  check "tasks finished before the warning were not computed again" \
    unchanged "$TMP/usr1.before" "$TMP/usr1.after"
  rstate=$(wait_job "$report" 120)
  # (it runs; whether lesde report succeeds is the sweep tests' business)
  check "report job ran after the requeued sweep (state $rstate)" \
    ran_after "$rstate" "$(job_field "$report" StartTime)" "$(job_field "$sweep" EndTime)"
  [ "$FAIL" -eq 0 ] || show_log "$log"
}
ran_after() { case $1 in COMPLETED | FAILED) not_before "$2" "$3" ;; *) return 1 ;; esac; }

# submit_longer STORE SUBMIT_OPTIONS...: submits the longer smoke sweep, no
# report, into STORE; its id in $JOB (and in JOBS, to cancel), log in $LOG
submit_longer() {
  local store=$1
  shift
  JOB=$("$SUBMIT" "$ROOT/tests/specs/smoke.ini" "${LONGER[@]}" --no-report --store "$store" \
    --lesde "$LESDE" --parsable "$@")
  [ -n "$JOB" ] || { bad "submit.sh did not print a job id"; return 1; }
  JOBS+=("$JOB")
  LOG=$TMP/results/smoke/slurm-$JOB.out
}
# resubmit_completes STORE SUBMIT_OPTIONS...: the same sweep submitted again
# resumes STORE and completes it, equal to the uninterrupted run
resubmit_completes() {
  local store=$1 state
  submit_longer "$@" || return 1
  state=$(wait_job "$JOB" 120)
  check "resubmitted job completed (state $state)" test "$state" = COMPLETED
  check "it resumed" grep -Eq "32 tasks, [1-9][0-9]* done" "$LOG"
  check "store complete" store_complete "$store"
  check "resumed store equals the uninterrupted run" \
    /usr/bin/python3 "$ROOT/tests/compare_stores.py" "$TMP/ref.h5" "$store"
}
# report_after SWEEP REPORT: the report job ran after the sweep job and
# wrote results/smoke/report/index.html
report_after() {
  local rstate
  rstate=$(wait_job "$2" 120)
  check "report job completed (state $rstate)" test "$rstate" = COMPLETED
  check "report job started after the sweep ended" \
    not_before "$(job_field "$2" StartTime)" "$(job_field "$1" EndTime)"
  check "report index.html written" test -s "$TMP/results/smoke/report/index.html"
}
