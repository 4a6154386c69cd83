#!/usr/bin/env bash
# Time limit: the warning Slurm sends before a job's time limit
# (--signal=B:USR1@..., to the batch shell) is sent by hand with
# `scancel --batch --signal=USR1` once some tasks are done. lesde.sbatch
# passes it to srun, lesde stops and exits 3, the job requeues itself and the
# requeued run resumes the store: complete, and equal to an uninterrupted run.
# The report job waits through the requeue and runs after the last run.
# Then a cancelled job (SIGTERM) is not requeued, and submitting the same
# sweep again resumes its store.
source "$(dirname "$0")/../e2e/lib.sh"
source "$ROOT/tests/slurm/common.bash"
SPEC=$ROOT/tests/specs/smoke.ini
# 32 tasks, the training ones ~1-2 s each: ~15 s on 2 ranks
LONGER=(--set study.train.iters=3000 --set sweep.seeds=0..7)

expect_exit 0 "reference sweep under mpirun" \
  "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" "${LONGER[@]}" --store "$TMP/ref.h5" --quiet

# wait_done STORE N JOB: until the store has N tasks done (or the job ended)
wait_done() {
  for _ in $(seq 1 600); do
    [ "$(done_tasks "$1")" -ge "$2" ] && return 0
    is_final "$(job_field "$3" JobState)" && return 1
    sleep 0.1
  done
  return 1
}

# 1. The time-limit warning: requeue and resume.
ids=$("$SUBMIT" "$SPEC" "${LONGER[@]}" --ntasks-per-node 2 --time 0:10:00 --grace 30 \
  --store "$TMP/s.h5" --lesde "$LESDE" --parsable)
read -r sweep report <<<"$ids"
[ -n "$report" ] || { bad "submit.sh did not print two job ids: '$ids'"; finish; exit 1; }
JOBS+=("$sweep" "$report")
log=$TMP/results/smoke/slurm-$sweep.out
check "some tasks done before the warning" wait_done "$TMP/s.h5" 3 "$sweep"
before=$(done_tasks "$TMP/s.h5")
echo "sweep job $sweep: warning (USR1 to the batch shell) after $before tasks" >&2
scancel --batch --signal=USR1 "$sweep"
state=$(wait_job "$sweep" 180)
check "sweep job completed (state $state)" test "$state" = COMPLETED
check "it was requeued once (Restarts=$(job_field "$sweep" Restarts))" \
  test "$(job_field "$sweep" Restarts)" = 1
check "the batch shell got SIGUSR1" grep -q "SIGUSR1: passing it on" "$log"
check "lesde saw the signal" grep -q "lesde: signal 10" "$log"
check "lesde exited 3" grep -q "lesde exited 3" "$log"
check "the job requeued itself" grep -q "requeueing job $sweep" "$log"
check "the second run resumed" grep -Eq "lesde: smoke: 32 tasks, [1-9][0-9]* done" "$log"
check "the log kept both runs (--open-mode=append)" grep -q "restart 1," "$log"
check "store complete" store_complete "$TMP/s.h5"
check "store equals the uninterrupted run" \
  /usr/bin/python3 "$ROOT/tests/compare_stores.py" "$TMP/ref.h5" "$TMP/s.h5"
rstate=$(wait_job "$report" 120)
# (it runs, whether lesde report succeeds is sweep_report.sh's business)
ran_after() { case $1 in COMPLETED | FAILED) not_before "$2" "$3" ;; *) return 1 ;; esac; }
check "report job ran after the requeued sweep (state $rstate)" \
  ran_after "$rstate" "$(job_field "$report" StartTime)" "$(job_field "$sweep" EndTime)"
[ "$FAIL" -eq 0 ] || show_log "$log"

# 2. Cancelled (SIGTERM to everything): exit 3, not requeued; a new
#    submission of the same sweep resumes the store.
fails=$FAIL
ids=$("$SUBMIT" "$SPEC" "${LONGER[@]}" --ntasks-per-node 2 --grace 30 --no-report \
  --store "$TMP/c.h5" --lesde "$LESDE" --parsable)
[ -n "$ids" ] || { bad "submit.sh did not print a job id"; finish; exit 1; }
JOBS+=("$ids")
log=$TMP/results/smoke/slurm-$ids.out
check "some tasks done before scancel" wait_done "$TMP/c.h5" 3 "$ids"
scancel "$ids"
state=$(wait_job "$ids" 60)
check "cancelled job stays cancelled (state $state)" test "$state" = CANCELLED
# The batch script decides after lesde has exited: wait for its word.
for _ in $(seq 1 100); do grep -q "lesde exited" "$log" 2>/dev/null && break; sleep 0.2; done
check "the log says: not requeued" grep -q "SIGTERM.*not requeued" "$log"
check "cancelled job not requeued (state $(job_field "$ids" JobState))" \
  test "$(job_field "$ids" JobState)/$(job_field "$ids" Restarts)" = CANCELLED/0
cancelled_done=$(done_tasks "$TMP/c.h5")
echo "cancelled job $ids: $cancelled_done tasks done" >&2
ids2=$("$SUBMIT" "$SPEC" "${LONGER[@]}" --ntasks-per-node 2 --no-report \
  --store "$TMP/c.h5" --lesde "$LESDE" --parsable)
[ -n "$ids2" ] || { bad "submit.sh did not print a job id"; finish; exit 1; }
JOBS+=("$ids2")
state=$(wait_job "$ids2" 120)
check "resubmitted job completed (state $state)" test "$state" = COMPLETED
check "it resumed" grep -Eq "32 tasks, [1-9][0-9]* done" "$TMP/results/smoke/slurm-$ids2.out"
check "resumed store equals the uninterrupted run" \
  /usr/bin/python3 "$ROOT/tests/compare_stores.py" "$TMP/ref.h5" "$TMP/c.h5"
[ "$FAIL" -eq "$fails" ] || { show_log "$log"; show_log "$TMP/results/smoke/slurm-$ids2.out"; }
finish
