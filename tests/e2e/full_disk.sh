#!/usr/bin/env bash
# A full disk, and a store that cannot be written.
#  1. The store does not fit (a small tmpfs): refused at once with the
#     sizes, exit 1, nothing left behind.
#  2. Its raw data fits but not all of it: the creation fails half-way,
#     exit 1, the half-made file is removed (1 and 2 ranks: no rank hangs).
#  3. The disk fills up during a sweep: the store was allocated in full
#     at creation, so the sweep completes and equals a reference run.
#  4. Writes fail in the middle of a sweep (prlimit --fsize on the running
#     ranks: every write past the limit fails with EFBIG, as writes do on a
#     disk that cannot allocate): exit 1 with a clear line, the tasks done
#     before are kept; copied to another disk the store resumes, no done
#     task is computed again, and it equals the reference (1 and 2 ranks).
# 1-3 need root (mount -t tmpfs), 4 needs prlimit; skipped (77) without both.
source "$(dirname "$0")/lib.sh"
SPEC=$ROOT/tests/specs/smoke.ini
SET=(--set study.train.iters=3000) # tasks long enough to act between them
MNT=$TMP/mnt
trap 'umount "$MNT" 2>/dev/null; rm -rf "$TMP"' EXIT
ran=0

expect_exit 0 "reference sweep" "$LESDE" sweep "$SPEC" "${SET[@]}" --store "$TMP/ref.h5" --quiet
S=$(stat -c %s "$TMP/ref.h5")

status_total() { "$LESDE" status "$1" 2>/dev/null | sed -n 's/^total: //p'; }
wait_done() { # wait_done STORE N PID: until N tasks are done (or PID ends)
  for _ in $(seq 1 3000); do
    sleep 0.1
    kill -0 "$3" 2>/dev/null || return 1
    local d
    d=$(status_total "$1" | sed 's/ done.*//')
    [ -n "$d" ] && [ "$d" -ge "$2" ] && return 0
  done
  return 1
}

mount_kb() { mkdir -p "$MNT" && mount -t tmpfs -o size="$1"k tmpfs "$MNT" 2>/dev/null; }
if [ "$(id -u)" -eq 0 ] && mount_kb 64 && umount "$MNT"; then
  ran=1
  # 1. Half the store's size.
  mount_kb $((S / 2048))
  expect_exit 1 "no room" "$LESDE" sweep "$SPEC" "${SET[@]}" --store "$MNT/s.h5" --quiet
  check "no room: one line" test "$(wc -l <"$TMP/err")" -eq 1
  check "no room: says the sizes" grep -qE "^lesde: $MNT/s.h5: no room for the store: it needs at least [0-9.]+ MB, the disk has [0-9.]+ MB free" "$TMP/err"
  check "no room: nothing left" test -z "$(ls -A "$MNT")"
  raw=$(sed -n 's/.*needs at least \([0-9.]*\) MB.*/\1/p' "$TMP/err")
  umount "$MNT"
  # The one-process commands on a disk of 64 kB: train's data do not fit,
  # simulate's (small) do but its metadata do not.
  mount_kb 64
  expect_exit 1 "train, no room" "$LESDE" train --quiet --iters 300 --train-per-class 40 \
    --val-per-class 20 --checkpoints 11 --probe-per-class 10 --out "$MNT/x.h5"
  check "train, no room: says the sizes" grep -qE "^lesde: $MNT/x.h5.tmp: no room for the store: it needs at least [0-9.]+ MB, the disk has [0-9.]+ MB free" "$TMP/err"
  expect_exit 1 "simulate, no room" "$LESDE" simulate --quiet --out "$MNT/y.h5"
  check "simulate, no room: says the metadata do not fit" grep -q "^lesde: $MNT/y.h5.tmp: cannot create the store: its metadata do not fit on the disk (disk full?)" "$TMP/err"
  check "train, simulate: nothing left" test -z "$(ls -A "$MNT")"
  umount "$MNT"

  # 2. Between the raw data and the whole file.
  kb=$(awk -v r="$raw" -v s="$S" 'BEGIN { printf "%d", (r * 1e6 + s) / 2 / 1024 }')
  check "a size between raw data and file ($raw MB < $kb kB < $S B)" \
    awk -v r="$raw" -v s="$S" -v k="$kb" 'BEGIN { exit !(r * 1e6 < k * 1024 && k * 1024 < s) }'
  for n in 1 2; do
    mount_kb "$kb"
    expect_exit 1 "full half-way, $n rank(s)" timeout 120 "${MPIRUN[@]}" -n "$n" "$LESDE" sweep "$SPEC" \
      "${SET[@]}" --store "$MNT/s.h5" --quiet
    check "full half-way, $n rank(s): says the disk is full" grep -q "^lesde: $MNT/s.h5: cannot create .*(disk full?)" "$TMP/err"
    check "full half-way, $n rank(s): the half-made store is removed" test -z "$(ls -A "$MNT")"
    umount "$MNT"
  done

  # 3. Room for the store and a little more; then the disk fills up.
  mount_kb $((S / 1024 + 1024))
  "$LESDE" sweep "$SPEC" "${SET[@]}" --store "$MNT/s.h5" --quiet 2>"$TMP/fill.err" &
  pid=$!
  if wait_done "$MNT/s.h5" 2 "$pid"; then
    dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null
    check "the disk is full" test "$(df -k --output=avail "$MNT" | tail -1)" -eq 0
    wait "$pid"
    rc=$?
    if [ "$rc" -eq 0 ]; then ok; else bad "sweep on a disk that fills up: exit $rc: $(cat "$TMP/fill.err")"; fi
    check "the disk filled up: all done" test "$(status_total "$MNT/s.h5")" = "20 done, 0 failed, 0 pending"
    check "the disk filled up: equals the reference" \
      /usr/bin/python3 "$ROOT/tests/compare_stores.py" "$TMP/ref.h5" "$MNT/s.h5"
  else
    wait "$pid"
    bad "the sweep ended before 2 tasks were done: $(cat "$TMP/fill.err")"
  fi
  umount "$MNT"
else
  echo "full_disk: cannot mount a tmpfs here (not root?): parts 1-3 skipped" >&2
fi

# 4. Writes fail mid-sweep: a file-size limit below the store's size set on
# the running ranks (SIGXFSZ is ignored by lesde: the write fails, EFBIG).
if command -v prlimit >/dev/null; then
  ran=1
  for n in 1 2; do
    mkdir -p "$TMP/small$n" "$TMP/big$n"
    store=$TMP/small$n/s.h5
    if [ "$n" -eq 1 ]; then
      "$LESDE" sweep "$SPEC" "${SET[@]}" --store "$store" --quiet 2>"$TMP/limit.err" &
    else
      "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" "${SET[@]}" --store "$store" --quiet 2>"$TMP/limit.err" &
    fi
    pid=$!
    if ! wait_done "$store" 2 "$pid"; then
      wait "$pid"
      bad "$n rank(s): the sweep ended before 2 tasks were done: $(head -3 "$TMP/limit.err")"
      continue
    fi
    ranks=$pid
    [ "$n" -eq 2 ] && ranks=$(pgrep -P "$pid")
    for p in $ranks; do prlimit --pid "$p" --fsize=$((S / 2)); done
    wait "$pid"
    rc=$?
    if [ "$rc" -eq 1 ]; then ok; else bad "$n rank(s): write failure: exit $rc, expected 1: $(head -5 "$TMP/limit.err")"; fi
    check "$n rank(s): says which write failed" grep -q "^lesde: rank [0-9]: cannot write .* of task [0-9]" "$TMP/limit.err"
    check "$n rank(s): says finished tasks resume" grep -q "^lesde: the store could not be written (see above); finished tasks are kept and resume" "$TMP/limit.err"
    total=$(status_total "$store")
    check "$n rank(s): tasks done before are kept ($total)" \
      bash -c "[[ '$total' =~ ^([0-9]+)\ done,\ 0\ failed ]] && [ \${BASH_REMATCH[1]} -ge 2 ] && [ \${BASH_REMATCH[1]} -lt 20 ]"
    finished_at "$store" >"$TMP/done.before"
    # "Another disk": a copy elsewhere, resumed without the limit.
    cp "$store" "$TMP/big$n/s.h5"
    expect_exit 0 "$n rank(s): resume on another disk" "${MPIRUN[@]}" -n "$n" "$LESDE" sweep "$SPEC" \
      "${SET[@]}" --store "$TMP/big$n/s.h5" --quiet
    check "$n rank(s): resumed: all done" test "$(status_total "$TMP/big$n/s.h5")" = "20 done, 0 failed, 0 pending"
    finished_at "$TMP/big$n/s.h5" >"$TMP/done.after"
    check "$n rank(s): done tasks not computed again" \
      bash -c "comm -23 <(sort '$TMP/done.before') <(sort '$TMP/done.after') | wc -l | grep -qx 0"
    check "$n rank(s): resumed store equals the reference" \
      /usr/bin/python3 "$ROOT/tests/compare_stores.py" "$TMP/ref.h5" "$TMP/big$n/s.h5"
  done
else
  echo "full_disk: no prlimit: part 4 skipped" >&2
fi
[ "$ran" -eq 1 ] || exit 77
finish
