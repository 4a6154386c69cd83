#!/usr/bin/env bash
# A node dies mid-job: on a 3-node cluster a 2-node sweep job loses its
# second node (slurm/local-cluster.sh kill-node: SIGKILL to that slurmd and
# to the job's processes on it). Slurm sets the node DOWN after SlurmdTimeout
# (10 s here) and ends the job with NODE_FAIL:
#   1. submitted as usual (--requeue): Slurm requeues it, the next run
#      (on the two nodes left) resumes the store;
#   2. submitted with --no-requeue: the job fails, a resubmission resumes it.
# Either way the store completes, equals the uninterrupted run, and no task
# finished before the failure is computed again (its finished_at and rank
# are unchanged). 3. One rank of a job dies, its node lives.
SLURM_NODES=3
export LESDE_SLURMD_TIMEOUT=10   # read when this test starts the cluster
source "$(dirname "$0")/../e2e/lib.sh"
source "$ROOT/tests/slurm/common.bash"
SPEC=$ROOT/tests/specs/smoke.ini
longer_reference

# kill_second_node JOB STORE: once some tasks are done, crash a node of the
# job that does not hold its batch shell; snapshot what was finished then.
kill_second_node() {
  local job=$1 store=$2 victim
  check "some tasks done before the node dies" wait_done "$store" 3 "$job"
  victim=$(scontrol show hostnames "$(job_field "$job" NodeList)" | grep -vx "$(job_field "$job" BatchHost)" | head -1)
  [ -n "$victim" ] || { bad "job $job has no second node"; return 1; }
  "$CLUSTER" kill-node "$victim" >&2
  finished_at "$store" >"$TMP/killed.$job"
  echo "job $job: node $victim killed after $(wc -l <"$TMP/killed.$job") tasks" >&2
  KILLED=$victim
}
# revive NODE: start its slurmd again and wait until it takes jobs
revive() { "$CLUSTER" start --nodes "$("$CLUSTER" nodes | wc -l)" >&2 9>&-; }

# 1. Requeued by Slurm.
submit_longer "$TMP/a.h5" --nodes 2 --ntasks-per-node 1 --grace 30 || { finish; exit 1; }
kill_second_node "$JOB" "$TMP/a.h5"
state=$(wait_job "$JOB" 240)
check "job completed after the failure (state $state)" test "$state" = COMPLETED
check "Slurm requeued it once (Restarts=$(job_field "$JOB" Restarts))" test "$(job_field "$JOB" Restarts)" = 1
check "the log names the node failure" grep -q "NODE FAILURE" "$LOG"
check "the next run avoided the dead node" sh -c "grep 'restart 1,' '$LOG' | grep -qv '$KILLED'"
check "the next run resumed" grep -Eq "lesde: smoke: 32 tasks, [1-9][0-9]* done" "$LOG"
check "store complete" store_complete "$TMP/a.h5"
check "store equals the uninterrupted run" /usr/bin/python3 "$ROOT/tests/compare_stores.py" "$TMP/ref.h5" "$TMP/a.h5"
finished_at "$TMP/a.h5" >"$TMP/a.final"
check "tasks finished before the failure not computed again" unchanged "$TMP/killed.$JOB" "$TMP/a.final"
[ "$FAIL" -eq 0 ] || show_log "$LOG"
check "the dead node comes back" revive

# 2. Not requeued: the job fails, a resubmission completes the store.
fails=$FAIL
submit_longer "$TMP/b.h5" --nodes 2 --ntasks-per-node 1 --grace 30 -- --no-requeue || { finish; exit 1; }
failed=$JOB failed_log=$LOG
kill_second_node "$failed" "$TMP/b.h5"
state=$(wait_job "$failed" 120)
check "job ended by the node failure (state $state)" test "$state" = NODE_FAIL
check "not requeued (Restarts=$(job_field "$failed" Restarts))" test "$(job_field "$failed" Restarts)" = 0
check "store not complete" sh -c "'$LESDE' status '$TMP/b.h5' | grep -Eq '^total: .* [1-9][0-9]* pending'"
finished_at "$TMP/b.h5" >"$TMP/b.failed"
check "the dead node comes back" revive
resubmit_completes "$TMP/b.h5" --nodes 2 --ntasks-per-node 1
finished_at "$TMP/b.h5" >"$TMP/b.final"
check "tasks finished before the failure not computed again" unchanged "$TMP/killed.$failed" "$TMP/b.final"
check "tasks finished by the failed job not computed again" unchanged "$TMP/b.failed" "$TMP/b.final"
[ "$FAIL" -eq "$fails" ] || { show_log "$failed_log"; show_log "$LOG"; }

# 3. A rank dies, its node lives (a crash, the kernel's OOM killer): the
#    others would wait for it until the time limit, since MPI under srun
#    does not end them. lesde.sbatch runs srun --wait=$RANK_WAIT, so the
#    step ends RANK_WAIT s after; the job fails, is not requeued, and a
#    resubmission resumes the store. The rank dies of SIGSEGV, as a crash
#    does: it leaves a core, whose stacks show_cores prints.
fails=$FAIL
export RANK_WAIT=5
submit_longer "$TMP/c.h5" --nodes 2 --ntasks-per-node 1 --grace 30 || { finish; exit 1; }
unset RANK_WAIT
crashed=$JOB crashed_log=$LOG
check "some tasks done before the rank dies" wait_done "$TMP/c.h5" 3 "$crashed"
victim=$(rank_pid "$crashed" 1)
check "rank 1 of job $crashed found (pid ${victim:-none})" test -n "$victim"
kill -SEGV "$victim" 2>/dev/null
killed_at=$SECONDS
finished_at "$TMP/c.h5" >"$TMP/killed.$crashed"
state=$(wait_job "$crashed" 90)
echo "job $crashed: rank 1 killed, job $state $((SECONDS - killed_at)) s later" >&2
check "job failed (state $state)" test "$state" = FAILED
check "it ended within RANK_WAIT + KillWait + 20 s ($((SECONDS - killed_at)) s)" \
  test $((SECONDS - killed_at)) -le 30
check "not requeued (Restarts=$(job_field "$crashed" Restarts))" test "$(job_field "$crashed" Restarts)" = 0
check "the log says a rank died by a signal" grep -q "a rank was killed by signal 11" "$crashed_log"
check "the log names the PMIx workaround for a SIGSEGV" grep -q "PMIX_MCA_gds=hash" "$crashed_log"
# the core of the crash, where the tests look for one (unless this
# machine's core_pattern sends cores elsewhere), and its stacks; then
# removed, so that the end of the test shows only unexpected ones
if grep -q '^core' /proc/sys/kernel/core_pattern 2>/dev/null && [ "$(ulimit -c)" != 0 ]; then
  check "the crashed rank's stacks, from its core, name lesde's main" \
    bash -c "$(declare -f show_cores); TMP='$TMP' LESDE='$LESDE' show_cores 2>&1 | grep -q ' main '"
fi
rm -f "$TMP"/core*
check "store not complete" sh -c "'$LESDE' status '$TMP/c.h5' | grep -Eq '^total: .* [1-9][0-9]* pending'"
finished_at "$TMP/c.h5" >"$TMP/c.failed"
resubmit_completes "$TMP/c.h5" --nodes 2 --ntasks-per-node 1
finished_at "$TMP/c.h5" >"$TMP/c.final"
check "tasks finished before the rank died not computed again" unchanged "$TMP/killed.$crashed" "$TMP/c.final"
[ "$FAIL" -eq "$fails" ] || { show_log "$crashed_log"; show_log "$LOG"; }

# A rank killed with the store open, its ranks on two nodes, leaves OMPIO's
# STORE-<job>-<pid>.lock (its shared file pointer) beside the store: the
# next run removes it, and says so.
check "a resumed run removed what Open MPI left beside its store" \
  grep -q "that Open MPI's MPI-IO left beside the store" "$TMP"/results/smoke/slurm-*.out
check "nothing Open MPI left beside the stores ($(cd "$TMP" && echo *.h5-*.lock))" \
  test -z "$(find "$TMP" -maxdepth 1 -name '*.h5-*-*.lock')"
finish
