#!/usr/bin/env bash
# Time limit: the warning Slurm sends before a job's time limit
# (--signal=B:USR1@..., to the batch shell) is sent by hand with
# `scancel --batch --signal=USR1` once some tasks are done. lesde.sbatch
# passes it to srun, lesde stops and exits 3, the job requeues itself and the
# requeued run resumes the store: complete, and equal to an uninterrupted run.
# The report job waits through the requeue and runs after the last run.
# Then a job cancelled (SIGTERM) right after its time-limit warning is not
# requeued (the cancel outranks the warning), and submitting the same sweep
# again resumes its store.
source "$(dirname "$0")/../e2e/lib.sh"
source "$ROOT/tests/slurm/common.bash"
longer_reference

# 1. The time-limit warning on a one-node job of 2 ranks: requeue and resume.
usr1_requeue "$TMP/s.h5" --ntasks-per-node 2

# 2. Warned, then cancelled while it stops (SIGTERM to everything): exit 3,
#    not requeued; a new submission of the same sweep resumes the store.
fails=$FAIL
submit_longer "$TMP/c.h5" --ntasks-per-node 2 --grace 30 || { finish; exit 1; }
cancelled=$JOB cancelled_log=$LOG
check "some tasks done before scancel" wait_done "$TMP/c.h5" 3 "$cancelled"
# (at once: the running tasks of ~0.4 s must not have ended in between)
scancel --batch --signal=USR1 "$cancelled"
scancel "$cancelled"
state=$(wait_job "$cancelled" 60)
check "cancelled job stays cancelled (state $state)" test "$state" = CANCELLED
# The batch script decides after lesde has exited: wait for its word.
for _ in $(seq 1 100); do grep -q "lesde exited" "$cancelled_log" 2>/dev/null && break; sleep 0.2; done
check "the warning came first" grep -q "SIGUSR1: passing it on" "$cancelled_log"
check "the log says: not requeued" grep -q "SIGTERM.*not requeued" "$cancelled_log"
check "cancelled job not requeued (state $(job_field "$cancelled" JobState))" \
  test "$(job_field "$cancelled" JobState)/$(job_field "$cancelled" Restarts)" = CANCELLED/0
echo "cancelled job $cancelled: $(done_tasks "$TMP/c.h5") tasks done" >&2
resubmit_completes "$TMP/c.h5" --ntasks-per-node 2
[ "$FAIL" -eq "$fails" ] || { show_log "$cancelled_log"; show_log "$LOG"; }
finish
