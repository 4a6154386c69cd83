#!/usr/bin/env bash
# Damaged, foreign and read-only stores: lesde status and lesde sweep say
# what is wrong in one line, exit non-zero, and change nothing (the same
# checksum, no new file beside it). A read-only store (chattr +i: the tests
# run as root, whom chmod does not stop) is still readable by status and
# refused by sweep; a read-only directory gets no store. Under mpirun the
# refusal is the same and no rank hangs.
source "$(dirname "$0")/lib.sh"
SPEC=$ROOT/tests/specs/smoke.ini
IMMUTABLE=()
trap 'for f in "${IMMUTABLE[@]}"; do chattr -i "$f" 2>/dev/null; done; rm -rf "$TMP"' EXIT

expect_exit 0 "a good store" "$LESDE" sweep "$SPEC" --store "$TMP/good.h5" --quiet
size=$(stat -c %s "$TMP/good.h5")

# The faulty files, each in a directory of its own (to see nothing is added).
mk() { mkdir -p "$TMP/$1"; echo "$TMP/$1/store.h5"; }
head -c $((size / 2)) "$TMP/good.h5" >"$(mk half)"
head -c 1000 "$TMP/good.h5" >"$(mk superblock_only)"
: >"$(mk empty)"
echo "not a store" >"$(mk text)"
/usr/bin/python3 - "$(mk foreign)" "$(mk impostor)" <<'PY'
import sys, h5py, numpy as np
# Another program's HDF5 file: data, no lesde attributes.
with h5py.File(sys.argv[1], "w") as f:
    f["x"] = np.arange(10.0)
    f.attrs["title"] = "made by h5py"
# lesde's attribute names with other shapes: arrays of strings (this
# overflowed the reader's buffer once).
with h5py.File(sys.argv[2], "w") as f:
    f.attrs["creator"] = np.bytes_("lesde")
    f.attrs["spec_hash"] = np.array([b"0123456789abcdef"] * 64)
    f.attrs["spec_text"] = np.array([b"[sweep]\nseeds = 0\n"] * 1000)
PY
cp "$TMP/good.h5" "$(mk no_status)"
/usr/bin/python3 -c "
import h5py, sys
with h5py.File(sys.argv[1], 'r+') as f:
    del f['study/train/status']" "$TMP/no_status/store.h5"
# A status dataset of another shape than the spec's (store_read_status read
# the file's whole dataset into a buffer sized by the spec).
cp "$TMP/good.h5" "$(mk resized)"
/usr/bin/python3 -c "
import h5py, numpy as np, sys
with h5py.File(sys.argv[1], 'r+') as f:
    del f['study/train/status']
    f['study/train/status'] = np.zeros((2, 30), 'i1')" "$TMP/resized/store.h5"
"$LESDE" data geomnist --classes 2 --per-class 1 --out "$(mk images)" >/dev/null

listing() { (cd "$(dirname "$1")" && ls -A && md5sum "$(basename "$1")"); }

# fault NAME STATUS_CODE SWEEP_CODE WORDS: both commands refuse, unchanged.
fault() {
  local name=$1 scode=$2 wcode=$3 words=$4 f=$TMP/$1/store.h5
  local before
  before=$(listing "$f")
  expect_exit "$scode" "$name: status" "$LESDE" status "$f"
  check "$name: status says one line" test "$(wc -l <"$TMP/err")" -eq 1
  check "$name: status names the file and says '$words'" \
    grep -qE "^lesde: .*$f.*($words)" "$TMP/err"
  expect_exit "$wcode" "$name: sweep" "$LESDE" sweep "$SPEC" --store "$f" --quiet
  check "$name: sweep says one line" test "$(wc -l <"$TMP/err")" -eq 1
  check "$name: sweep names the file and says '$words'" \
    grep -qE "^lesde: .*$f.*($words)" "$TMP/err"
  check "$name: nothing changed" test "$(listing "$f")" = "$before"
}
fault half 1 1 "truncated"
fault superblock_only 1 1 "truncated"
fault empty 2 2 "not an HDF5 file"
fault text 2 2 "not an HDF5 file"
fault foreign 2 2 "not a lesde store"
fault impostor 2 2 "not a lesde store"
fault images 2 2 "not a lesde store"
fault no_status 1 1 "no dataset /study/train/status"
fault resized 1 1 "damaged store"

# Several ranks: the same refusal, and no rank left waiting.
for fc in half:1 foreign:2; do
  name=${fc%:*}
  f=$TMP/$name/store.h5
  before=$(listing "$f")
  expect_exit "${fc#*:}" "$name: sweep on 2 ranks" timeout 120 "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" \
    --store "$f" --quiet
  check "$name: 2 ranks say it" grep -qE "^lesde: .*$f" "$TMP/err"
  check "$name: 2 ranks changed nothing" test "$(listing "$f")" = "$before"
done

# Read-only: chattr +i stops root too; without it (no CAP_LINUX_IMMUTABLE,
# a filesystem without attributes) a non-root user gets chmod.
readonly_file() { # readonly_file PATH: 0 if PATH is now read-only for us
  if chattr +i "$1" 2>/dev/null; then IMMUTABLE+=("$1"); return 0; fi
  [ "$(id -u)" -ne 0 ] && chmod a-w "$1"
}
mkdir -p "$TMP/ro"
cp "$TMP/good.h5" "$TMP/ro/store.h5"
/usr/bin/python3 -c "
import h5py, sys
with h5py.File(sys.argv[1], 'r+') as f:
    f['study/train/status'][0, :] = 0  # tasks to run again: the sweep wants to write" "$TMP/ro/store.h5"
if readonly_file "$TMP/ro/store.h5" && readonly_file "$TMP/ro"; then
  f=$TMP/ro/store.h5
  before=$(listing "$f")
  expect_exit 0 "read-only store: status reads it" "$LESDE" status "$f"
  check "read-only store: 5 pending" grep -q "total: 15 done, 0 failed, 5 pending" "$TMP/out"
  expect_exit 1 "read-only store: sweep" "$LESDE" sweep "$SPEC" --store "$f" --quiet
  check "read-only store: one line" test "$(wc -l <"$TMP/err")" -eq 1
  check "read-only store: says read-only" grep -q "^lesde: $f: cannot open the store for writing: read-only" "$TMP/err"
  expect_exit 1 "read-only store: sweep on 2 ranks" timeout 120 "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" \
    --store "$f" --quiet
  check "read-only store: 2 ranks say read-only" grep -q "^lesde: $f: cannot open the store for writing: read-only" "$TMP/err"
  check "read-only store: nothing changed" test "$(listing "$f")" = "$before"
  # A store to create in a read-only directory.
  expect_exit 1 "read-only directory: sweep" "$LESDE" sweep "$SPEC" --store "$TMP/ro/new.h5" --quiet
  check "read-only directory: one line" test "$(wc -l <"$TMP/err")" -eq 1
  check "read-only directory: says it cannot create" grep -q "^lesde: $TMP/ro/new.h5: cannot create the store" "$TMP/err"
  check "read-only directory: no store" test ! -e "$TMP/ro/new.h5"
  check "read-only directory: nothing changed" test "$(listing "$f")" = "$before"
else
  echo "store_faults: cannot make a file read-only here (no chattr +i as root): read-only cases skipped" >&2
fi

# A missing directory.
expect_exit 1 "missing directory" "$LESDE" sweep "$SPEC" --store "$TMP/nope/s.h5" --quiet
check "missing directory: says so" grep -q "^lesde: $TMP/nope/s.h5: cannot create the store: no such file or directory" "$TMP/err"
expect_exit 2 "status of a missing store" "$LESDE" status "$TMP/nope/s.h5"
check "missing store: says so" grep -q "no such store" "$TMP/err"

# A rank that sees another filesystem at the store's path (node-local /tmp,
# a share not mounted on its node) would make a store of its own and write
# its tasks there, or hang the collective open. Here rank 1 of 3 runs in
# another directory, so the relative --store is another file for it; every
# rank must stop at once, with no store made and the lock gone.
mkdir -p "$TMP/n0" "$TMP/n1"
cat >"$TMP/elsewhere.sh" <<EOF
#!/bin/bash
[ "\${OMPI_COMM_WORLD_RANK:-0}" = 1 ] && cd "$TMP/n1"
exec "$LESDE" "\$@"
EOF
chmod +x "$TMP/elsewhere.sh"
cd "$TMP/n0"
expect_exit 2 "rank 1 of 3 sees another store directory" timeout 120 \
  "${MPIRUN[@]}" -n 3 "$TMP/elsewhere.sh" sweep "$SPEC" --store s.h5 --quiet
cd "$ROOT"
check "rank 1 says what it found" grep -q \
  "^lesde: rank 1 of 3 (host .*): s.h5.lock: finds no lock where rank 0 wrote its own (host .*, pid [0-9]*, since " \
  "$TMP/err"
check "rank 0 names rank 1 and the cure" grep -q \
  "^lesde: s.h5: rank 1 does not see the store's directory as rank 0 does .*a filesystem that every node shares" \
  "$TMP/err"
check "no store, no lock, on either side" test -z "$(find "$TMP/n0" "$TMP/n1" -mindepth 1)"
finish
