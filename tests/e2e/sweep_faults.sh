#!/usr/bin/env bash
# Faults: diverging tasks are recorded as failed with their message, the
# sweep goes on and exits 1; lesde status shows what failed; resume does
# not rerun failed tasks unless --retry-failed.
source "$(dirname "$0")/lib.sh"
SPEC=$ROOT/tests/specs/diverge.ini
expect_exit 1 "sweep with diverging tasks" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" --store "$TMP/d.h5" --quiet
check "says tasks failed" grep -q "2 of 4 tasks failed" "$TMP/err"
expect_exit 0 "status" "$LESDE" status "$TMP/d.h5"
check "status counts" grep -q "2 done .* 2 failed .* 0 pending" "$TMP/out"
check "status shows the message" grep -q "failed: task .*: diverged at iteration [0-9]" "$TMP/out"
check "the lr=10 tasks failed" /usr/bin/python3 -c "
import h5py, numpy as np, sys
f = h5py.File('$TMP/d.h5', 'r'); g = f['study/lr']
lr = np.asarray(g['axis/lr']); st = np.asarray(g['status'])
sys.exit(0 if list(lr) == [0.005, 10] and (st[0] == 1).all() and (st[1] == 2).all() else 1)"
expect_exit 1 "resume leaves failed tasks" "$LESDE" sweep "$SPEC" --store "$TMP/d.h5"
check "nothing rerun" grep -q "0 to run" "$TMP/err"
expect_exit 1 "--retry-failed reruns them" "$LESDE" sweep "$SPEC" --store "$TMP/d.h5" --retry-failed
check "2 rerun" grep -q "2 to run" "$TMP/err"
finish
