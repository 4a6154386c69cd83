#!/usr/bin/env bash
# The Slurm path end to end: on the local one-node cluster, slurm/submit.sh
# submits the smoke sweep (srun --mpi=pmix, 2 ranks) and its report; the
# sweep completes, its store equals the same spec run directly under mpirun,
# and the report job, started after it, writes index.html.
source "$(dirname "$0")/../e2e/lib.sh"
source "$ROOT/tests/slurm/common.bash"
SPEC=$ROOT/tests/specs/smoke.ini

# The scripts' command lines
expect_exit 0 "local-cluster.sh --help" "$CLUSTER" --help
expect_exit 2 "local-cluster.sh with a bad command" "$CLUSTER" bogus
expect_exit 0 "local-cluster.sh start when running" "$CLUSTER" start 9>&-
check "start when running says so" grep -q "already running" "$TMP/out"
expect_exit 0 "local-cluster.sh status" "$CLUSTER" status
check "status prints sinfo" grep -Eq "debug\*? +up .*(idle|mix|alloc)" "$TMP/out"
expect_exit 0 "submit.sh --help" "$SUBMIT" --help
expect_exit 2 "submit.sh without a spec" "$SUBMIT"
expect_exit 2 "submit.sh with a bad option" "$SUBMIT" "$SPEC" --nodez 2
expect_exit 0 "submit.sh --dry-run" "$SUBMIT" "$SPEC" --ntasks-per-node 2 --time 0:10:00 --dry-run -- --qos=normal
check "dry run: the sweep job" grep -q "sbatch .*--ntasks-per-node=2 .*--time=0:10:00 .*--qos=normal .*lesde.sbatch" "$TMP/out"
check "dry run: the report after it" grep -q 'sbatch .*--dependency=afterok:.*report.sbatch' "$TMP/out"
check "dry run: the sweep name from the spec" grep -q "results/smoke/slurm-%j.out" "$TMP/out"
check "dry run submits nothing" test ! -e "$TMP/results"
expect_exit 0 "submit.sh --study --dry-run" "$SUBMIT" "$SPEC" --study sde --dry-run
check "dry run: --study passed to the sweep" grep -q "lesde.sbatch --study sde" "$TMP/out"
expect_exit 2 "submit.sh --study an unknown name" "$SUBMIT" "$SPEC" --study gamma --dry-run
check "--study gamma: refused by the spec check" grep -q "no study 'gamma' in .*smoke.ini" "$TMP/err"
check "--study gamma: nothing submitted" test ! -e "$TMP/results"

expect_exit 0 "reference sweep under mpirun" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" --store "$TMP/ref.h5" --quiet

ids=$("$SUBMIT" "$SPEC" --ntasks-per-node 2 --time 0:10:00 --store "$TMP/s.h5" --lesde "$LESDE" --parsable)
read -r sweep report <<<"$ids"
[ -n "$report" ] || { bad "submit.sh did not print two job ids: '$ids'"; finish; exit 1; }
JOBS+=("$sweep" "$report")
echo "sweep job $sweep, report job $report" >&2
log=$TMP/results/smoke/slurm-$sweep.out
rlog=$TMP/results/smoke/slurm-$report.out

state=$(wait_job "$sweep" 120)
check "sweep job completed (state $state)" test "$state" = COMPLETED
check "sweep job exit code 0" test "$(job_field "$sweep" ExitCode)" = 0:0
check "the sweep ran under srun --mpi=pmix" grep -q "running: srun --mpi=pmix" "$log"
check "the sweep log says complete" grep -q "sweep complete" "$log"
check "store complete (lesde status)" store_complete "$TMP/s.h5"
check "store equals the mpirun run" /usr/bin/python3 "$ROOT/tests/compare_stores.py" "$TMP/ref.h5" "$TMP/s.h5"

report_after "$sweep" "$report"

[ "$FAIL" -eq 0 ] || { show_log "$log"; show_log "$rlog"; }
finish
