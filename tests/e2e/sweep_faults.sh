#!/usr/bin/env bash
# Faults: diverging tasks (lr = 10) are recorded as failed with their
# message ("diverged at iteration N"), the sweep goes on (the other tasks
# and their summaries are written) and exits 1, on 2 ranks and on one;
# lesde status shows what failed; resume does not rerun failed tasks unless
# --retry-failed.
source "$(dirname "$0")/lib.sh"
SPEC=$ROOT/tests/specs/diverge.ini
expect_exit 1 "sweep with diverging tasks" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" --store "$TMP/d.h5" --quiet
check "says tasks failed" grep -q "2 of 4 tasks failed" "$TMP/err"
check "names what says why and what runs them again" grep -q "lesde status .* says why; --retry-failed runs them again" "$TMP/err"
expect_exit 0 "status" "$LESDE" status "$TMP/d.h5"
check "status counts" grep -q "2 done .* 2 failed .* 0 pending" "$TMP/out"
check "status shows the message" grep -q "failed: task .*: diverged at iteration [0-9]" "$TMP/out"
check "status names the failed task's grid values" grep -q "failed: task [0-9]* (lr/lr=10/seed=[0-9]*): diverged" "$TMP/out"
check "the lr=10 tasks failed" /usr/bin/python3 -c "
import h5py, numpy as np, sys
f = h5py.File('$TMP/d.h5', 'r'); g = f['study/lr']
lr = np.asarray(g['lr']); st = np.asarray(g['status'])
sys.exit(0 if list(lr) == [0.005, 10] and (st[0] == 1).all() and (st[1] == 2).all() else 1)"
# The sweep went on past the failures: the good tasks' results and their
# summaries are there, the failed tasks hold no data and count in no mean,
# and each message names the iteration and the loss.
check "failed tasks: no data, summaries of done seeds only, messages" /usr/bin/python3 -c "
import h5py, numpy as np, re, sys
g = h5py.File('$TMP/d.h5', 'r')['study/lr']
acc = np.asarray(g['final_val_acc']); n = np.asarray(g['summary/n/final_val_acc'])
msg = [m.tobytes().rstrip(b'\0').decode() for m in np.asarray(g['message']).reshape(4, -1)]
ok = np.isfinite(acc[0]).all() and np.isnan(acc[1]).all() and np.isnan(np.asarray(g['val_acc'])[1]).all()
ok &= list(n) == [2, 0] and msg[:2] == ['', '']
ok &= all(re.fullmatch(r'diverged at iteration [0-9]+ \\(loss [0-9.e+]+, lr 10\\)', m) for m in msg[2:])
sys.exit(0 if ok else 1)"
expect_exit 1 "one process: the same" "$LESDE" sweep "$SPEC" --store "$TMP/d1.h5" --quiet
check "one process: 2 failed" grep -q "^lesde: 2 of 4 tasks failed" "$TMP/err"
check "one process: the same statuses" /usr/bin/python3 -c "
import h5py, numpy as np, sys
a, b = (np.asarray(h5py.File(p, 'r')['study/lr/status']) for p in ('$TMP/d.h5', '$TMP/d1.h5'))
sys.exit(0 if (a == b).all() else 1)"
expect_exit 1 "resume leaves failed tasks" "$LESDE" sweep "$SPEC" --store "$TMP/d.h5"
check "nothing rerun" grep -q "0 to run" "$TMP/err"
expect_exit 1 "--retry-failed reruns them" "$LESDE" sweep "$SPEC" --store "$TMP/d.h5" --retry-failed
check "2 rerun" grep -q "2 to run" "$TMP/err"
expect_exit 0 "status after the rerun" "$LESDE" status "$TMP/d.h5"
check "still 2 done, 2 failed" grep -q "total: 2 done, 2 failed, 0 pending" "$TMP/out"
# Its output piped into a reader that leaves (| head -2): a stop like a
# signal's (exit 3, the lock released, running tasks finished), not a death
# by SIGPIPE that left the lock; the resume completes the store.
SMOKE=$ROOT/tests/specs/smoke.ini
bash -c '"$@" 2>&1 | head -2 >/dev/null; echo "${PIPESTATUS[0]}" >"$0"' "$TMP/pipe.rc" \
  "$LESDE" sweep "$SMOKE" --store "$TMP/pipe.h5" --progress 0.05
check "piped into head: exit 3 ($(cat "$TMP/pipe.rc"))" test "$(cat "$TMP/pipe.rc")" = 3
check "piped into head: the lock released" test ! -e "$TMP/pipe.h5.lock"
expect_exit 0 "the resume after the pipe closed" "$LESDE" sweep "$SMOKE" --store "$TMP/pipe.h5" --quiet
expect_exit 0 "status after the resume" "$LESDE" status "$TMP/pipe.h5"
check "all done after the resume" grep -q "^total: 20 done, 0 failed, 0 pending" "$TMP/out"
# A failed task of the second study (by name): status numbers it within its
# study, as lesde fit --task takes it, not by its place in the sweep (the
# fit of that number was silently another, done task).
expect_exit 1 "two studies, the second's lr=10 tasks fail" "$LESDE" sweep "$SMOKE" \
  --store "$TMP/two.h5" --quiet --set sweep.seeds=0..1 --set study.train.lr=10,0.005
expect_exit 0 "status of it" "$LESDE" status "$TMP/two.h5"
check "status: the first failed task is train's task 0" \
  grep -q "^    failed: task 0 (train/lr=10,p_err=0/seed=0): diverged" "$TMP/out"
expect_exit 2 "fit the task status names" "$LESDE" fit "$TMP/two.h5" --study train --task 0
check "fit: that task has no trajectory" grep -q "task 0 of study train has no trajectory" "$TMP/err"
expect_exit 0 "status --json of it" "$LESDE" status --json "$TMP/two.h5"
check "status --json: task in the study, sweep_task after sde's 4" /usr/bin/python3 -c "
import json, sys; j = json.load(open('$TMP/out'))
f = [s for s in j['studies'] if s['name'] == 'train'][0]['failures'][0]
sys.exit(0 if (f['task'], f['sweep_task'], f['point'], f['seed']) == (0, 4, 0, 0) else 1)"
finish
