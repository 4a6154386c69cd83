#!/usr/bin/env bash
# Three nodes: on a local cluster of three slurmd (n1..n3), slurm/submit.sh
# runs the sweep as one job of 3 ranks, one per node (srun --mpi=pmix), and
# its report after it. The store equals the same spec run under mpirun, every
# node computed tasks, and the report job writes index.html.
SLURM_NODES=3
source "$(dirname "$0")/../e2e/lib.sh"
source "$ROOT/tests/slurm/common.bash"
SPEC=$ROOT/tests/specs/smoke.ini
# 16 tasks, the 8 training ones ~0.5 s: every rank gets some
SET=(--set study.train.iters=1500 --set sweep.seeds=0..3)

expect_exit 0 "reference sweep under mpirun" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" "${SET[@]}" \
  --store "$TMP/ref.h5" --quiet

ids=$("$SUBMIT" "$SPEC" "${SET[@]}" --nodes 3 --ntasks-per-node 1 --time 0:10:00 \
  --store "$TMP/s.h5" --lesde "$LESDE" --parsable)
read -r sweep report <<<"$ids"
[ -n "$report" ] || { bad "submit.sh did not print two job ids: '$ids'"; finish; exit 1; }
JOBS+=("$sweep" "$report")
log=$TMP/results/smoke/slurm-$sweep.out
state=$(wait_job "$sweep" 120)
check "sweep job completed (state $state)" test "$state" = COMPLETED
check "on 3 nodes (NodeList=$(job_field "$sweep" NodeList))" test "$(job_field "$sweep" NodeList)" = "n[1-3]"
check "3 ranks on 3 nodes" grep -q "3 ranks on 3 node(s) (n\[1-3\])" "$log"
check "under srun --mpi=pmix" grep -q "running: srun --mpi=pmix" "$log"
check "store complete" store_complete "$TMP/s.h5"
check "store equals the mpirun run" /usr/bin/python3 "$ROOT/tests/compare_stores.py" "$TMP/ref.h5" "$TMP/s.h5"
check "every rank (node) computed tasks" /usr/bin/python3 -c "
import h5py, numpy as np, sys
f = h5py.File('$TMP/s.h5', 'r')
ranks = set()
for s in f['study']:
    st = np.asarray(f['study'][s]['status']).ravel(); r = np.asarray(f['study'][s]['rank']).ravel()
    ranks |= set(r[st == 1].tolist())
print('ranks that computed:', sorted(ranks)); sys.exit(0 if ranks == {0, 1, 2} else 1)"
report_after "$sweep" "$report"
[ "$FAIL" -eq 0 ] || { show_log "$log"; show_log "$TMP/results/smoke/slurm-$report.out"; }
finish
