#!/usr/bin/env bash
# A bad spec: submit.sh refuses it before submitting anything (exit 2, the
# `file:line:` message); submitted anyway (--no-check), the sweep job fails
# fast with the message in its log, and the report job never runs (Slurm
# cancels it, or it stays pending with DependencyNeverSatisfied: then it is
# cancelled here). Then srun with no MPI plugin (--mpi=none): every task
# refuses at once with the fix (srun --mpi=pmix), exit 2, nothing written,
# where Open MPI would abort in MPI_Init asking for a rebuild and MPICH
# would run each task alone.
source "$(dirname "$0")/../e2e/lib.sh"
source "$ROOT/tests/slurm/common.bash"
BAD=$ROOT/tests/specs/bad/unknown_key.ini   # its error is on line 4
NAME=unknown_key                            # no [sweep] name: the base name

expect_exit 2 "submit.sh refuses a bad spec" "$SUBMIT" "$BAD" --ntasks-per-node 2 --lesde "$LESDE"
check "with file:line" grep -q "unknown_key.ini:4:" "$TMP/err"
check "and submits nothing" test ! -e "$TMP/results/$NAME"

start=$SECONDS
ids=$("$SUBMIT" "$BAD" --ntasks-per-node 2 --store "$TMP/bad.h5" --lesde "$LESDE" --no-check --parsable)
read -r sweep report <<<"$ids"
[ -n "$report" ] || { bad "submit.sh did not print two job ids: '$ids'"; finish; exit 1; }
JOBS+=("$sweep" "$report")
log=$TMP/results/$NAME/slurm-$sweep.out
state=$(wait_job "$sweep" 60)
took=$((SECONDS - start))
check "sweep job failed (state $state)" test "$state" = FAILED
check "exit code 2 (ExitCode=$(job_field "$sweep" ExitCode))" test "$(job_field "$sweep" ExitCode)" = 2:0
check "fast (${took}s)" test "$took" -le 30
check "the error in its log, with file:line" grep -q "lesde: .*unknown_key.ini:4: unknown key" "$log"
check "not requeued" test "$(job_field "$sweep" Restarts)" = 0

# The report: cancelled by Slurm (--kill-on-invalid-dep=yes), or pending for
# ever (clusters where that option is off): cancel it then.
rstate="" reason=""
for _ in $(seq 1 60); do
  rstate=$(job_field "$report" JobState)
  reason=$(job_field "$report" Reason)
  [ "$rstate" = CANCELLED ] && break
  if [ "$rstate" = PENDING ] && [ "$reason" = DependencyNeverSatisfied ]; then
    scancel "$report"
    break
  fi
  sleep 0.5
done
echo "report job $report: $rstate ($reason)" >&2
never_ran() { case $1 in CANCELLED/DependencyNeverSatisfied | PENDING/DependencyNeverSatisfied) return 0 ;; esac; return 1; }
check "report job did not run (state $rstate, reason $reason)" never_ran "$rstate/$reason"
rstate=$(wait_job "$report" 30)
check "report job gone (state $rstate)" test "$rstate" = CANCELLED
check "report job never started (no log)" test ! -e "$TMP/results/$NAME/slurm-$report.out"
check "no report written" test ! -e "$TMP/results/$NAME/report"
[ "$FAIL" -eq 0 ] || show_log "$log"

SMOKE=$ROOT/tests/specs/smoke.ini
expect_exit 2 "srun --mpi=none: sweep refused" \
  srun -n 2 --mpi=none "$LESDE" sweep "$SMOKE" --store "$TMP/noplugin.h5" --quiet
check "says to use srun --mpi=pmix, once" \
  test "$(grep -c "srun started 2 tasks with no MPI plugin.*srun --mpi=pmix" "$TMP/err")" = 1
check "no store" test ! -e "$TMP/noplugin.h5"
expect_exit 2 "srun --mpi=none: train refused" \
  srun -n 2 --mpi=none "$LESDE" train --iters 10 --out "$TMP/noplugin_train.h5"
check "no train file" test ! -e "$TMP/noplugin_train.h5"
expect_exit 0 "srun --mpi=pmix: the same sweep runs" \
  srun -n 2 --mpi=pmix "$LESDE" sweep "$SMOKE" --store "$TMP/pmix.h5" --quiet
finish
