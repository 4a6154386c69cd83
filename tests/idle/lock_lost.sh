#!/usr/bin/env bash
# A sweep whose lock is lost while it runs: stopped (SIGSTOP) for longer
# than the lock's refresh interval (60 s) while its STORE.lock became
# another sweep's (the text a takeover leaves: another holder) or was
# removed, the sweep warns when it next refreshes, once (a second such stop
# says nothing more), runs on, and on its way out (SIGUSR1: exit 3) leaves
# the other sweep's lock as it found it. Two sweeps on two stores share the
# waits, and stopped they take no CPU: this test mostly sleeps (label idle,
# run beside the first pass as the Slurm tests are).
source "$(dirname "$0")/../e2e/lib.sh"
SPEC=$ROOT/tests/specs/smoke.ini
LONG=(--set study.train.iters=400000) # runs until stopped
A=$TMP/a.h5 # its lock replaced
B=$TMP/b.h5 # its lock removed
WARN="warning: the lock of %s is no longer this sweep's (removed, or taken over as stale"

"$LESDE" sweep "$SPEC" "${LONG[@]}" --store "$A" --grace 0 --quiet >/dev/null 2>"$TMP/a.err" &
pa=$!
"$LESDE" sweep "$SPEC" "${LONG[@]}" --store "$B" --grace 0 --quiet >/dev/null 2>"$TMP/b.err" &
pb=$!
check "both hold their locks" wait_for 60 test -s "$A.lock" -a -s "$B.lock"
check "both are writing their stores" wait_for 60 sh -c \
  "'$LESDE' status '$A' >/dev/null 2>&1 && '$LESDE' status '$B' >/dev/null 2>&1"

kill -STOP "$pa" "$pb"
# What a sweep on another host leaves when it takes A's lock over.
printf 'host=elsewhere.invalid\npid=4242\nslurm_job=\nslurm_restart=0\nsince=2026-01-01T00:00:00Z\n' \
  >"$TMP/other.lock"
cp "$TMP/other.lock" "$A.lock.new" && mv "$A.lock.new" "$A.lock"
rm -f "$B.lock"
sleep 62
kill -CONT "$pa" "$pb"
# shellcheck disable=SC2059
for x in a b; do
  s=$A; [ $x = b ] && s=$B
  check "$x warns that its lock is lost" wait_for 30 grep -qF "lesde: $(printf "$WARN" "$s")" "$TMP/$x.err"
done
check "A's sweep still runs" kill -0 "$pa"
check "B's sweep still runs" kill -0 "$pb"

# A second stop past the interval: no second warning.
kill -STOP "$pa" "$pb"
sleep 62
kill -CONT "$pa" "$pb"
sleep 3 # a few hundred polls, each of which may refresh
kill -USR1 "$pa" "$pb"
wait "$pa"; ra=$?
wait "$pb"; rb=$?
check "A stops cleanly (exit 3), got $ra" test "$ra" -eq 3
check "B stops cleanly (exit 3), got $rb" test "$rb" -eq 3
check "A warned once" test "$(grep -c 'no longer this sweep' "$TMP/a.err")" -eq 1
check "B warned once" test "$(grep -c 'no longer this sweep' "$TMP/b.err")" -eq 1
check "the other sweep's lock is left as it was" cmp -s "$TMP/other.lock" "$A.lock"
check "no lock made again for B" test ! -e "$B.lock"
expect_exit 0 "status of A" "$LESDE" status "$A"
check "A's store says the other holder" grep -q "host elsewhere.invalid, pid 4242" "$TMP/out"

finish
