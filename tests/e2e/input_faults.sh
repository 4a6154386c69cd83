#!/usr/bin/env bash
# Bad input files and arguments not covered elsewhere (docs/errors.md lists
# them all): each gives one line "lesde: ..." naming the problem and the
# documented exit code, and leaves no output file behind.
source "$(dirname "$0")/lib.sh"
SPEC=$ROOT/tests/specs/smoke.ini

# refused CODE WORDS ARGS...: lesde ARGS exits CODE with one line matching WORDS
refused() {
  local code=$1 words=$2; shift 2
  expect_exit "$code" "lesde $*" "$LESDE" "$@"
  check "lesde $*: one line" test "$(wc -l <"$TMP/err")" -eq 1
  check "lesde $*: says '$words'" grep -qE "^lesde: .*($words)" "$TMP/err"
}

# Specs that are not text, or not files.
printf '\xff\xfe[sweep]\nseeds = 0\n' >"$TMP/bom16.ini"
head -c 4096 /dev/urandom >"$TMP/random.ini"
printf '[sweep]\nname = %0300d\n' 0 >"$TMP/long.ini"
refused 2 "bom16.ini:1: expected 'key = value'" sweep "$TMP/bom16.ini" --store "$TMP/s.h5"
refused 2 "random.ini:[0-9]+: " sweep "$TMP/random.ini" --store "$TMP/s.h5"
refused 2 "long.ini:2: line longer than 198 characters" sweep "$TMP/long.ini" --store "$TMP/s.h5"
refused 1 "cannot read the spec: Is a directory" sweep "$TMP" --store "$TMP/s.h5"
refused 1 "cannot read the spec: No such file" sweep "$TMP/none.ini" --store "$TMP/s.h5"
# Overrides and options of lesde sweep.
refused 2 "smoke.ini:--set: a --set holds a control character \(0x0a\)" \
  sweep "$SPEC" --store "$TMP/s.h5" --set "$(printf 'study.train.iters=5\n[study.x]')"
sets=()
for _ in $(seq 65); do sets+=(--set study.train.iters=5); done
refused 2 "at most 64 --set" sweep "$SPEC" --store "$TMP/s.h5" "${sets[@]}"
refused 2 "MPI-IO hint 'nokv' is not key=value" sweep "$SPEC" --store "$TMP/s.h5" --mpi-info nokv
# ... and a dry run (slurm/submit.sh's check) refuses them too
refused 2 "MPI-IO hint 'nokv' is not key=value" sweep "$SPEC" --dry-run --mpi-info nokv
refused 2 "MPI-IO hint '=x' is not key=value" sweep "$SPEC" --dry-run --mpi-info a=b,=x
refused 2 "more than 1,023 characters" sweep "$SPEC" --dry-run --mpi-info "a=$(printf '%01100d' 0)"
# what MPI_Info_set refuses, fatally (MPI_ERRORS_ARE_FATAL: exit 33, a lock
# left behind): an empty value, a key beyond this MPI's limit (255 at most)
refused 2 "MPI-IO hint 'striping_factor=' is not key=value" sweep "$SPEC" --dry-run \
  --mpi-info romio_cb_write=enable,striping_factor=
refused 2 "MPI-IO hint 'striping_factor=' is not key=value" sweep "$SPEC" --store "$TMP/mi.h5" \
  --mpi-info striping_factor=
refused 2 "its key may have at most [0-9]+ characters" sweep "$SPEC" --store "$TMP/mi.h5" \
  --mpi-info "$(printf '%0300d' 0)=1"
check "refused hints: no store, no lock" sh -c "! ls '$TMP'/mi.h5* 2>/dev/null"
expect_exit 0 "a dry run with good MPI-IO hints" "$LESDE" sweep "$SPEC" --dry-run \
  --mpi-info romio_cb_write=enable,,striping_factor=4
refused 2 "--grace needs seconds >= 0" sweep "$SPEC" --store "$TMP/s.h5" --grace -1
refused 2 "--progress needs seconds > 0" sweep "$SPEC" --store "$TMP/s.h5" --progress 0
refused 2 "--wall needs positive hours" sweep "$SPEC" --dry-run --wall 0
refused 2 "--wall needs positive hours, at most 8760, not '1e308'" sweep "$SPEC" --dry-run --wall 1e308
expect_exit 0 "a dry run for a wall time of 3.6 s" "$LESDE" sweep "$SPEC" --dry-run --wall 0.001
check "--wall 0.001: asks Slurm for a minute, not 00:00:00 (no limit)" \
  grep -q "sbatch --time=00:01:00)" "$TMP/out"
refused 2 "one SPEC only" sweep "$SPEC" "$SPEC"
refused 2 "sweep: SPEC is required" sweep --store "$TMP/s.h5"
refused 2 "--wall goes with --dry-run" sweep "$SPEC" --store "$TMP/s.h5" --wall 2
refused 2 "sweep: --store needs a file name" sweep "$SPEC" --store ""
# Two million checkpoints (the spec takes up to 1e7): the schedules were
# stack arrays, and from about a million the dry run died of SIGSEGV.
printf '[sweep]\nname = big\nseeds = 0\n[study.a]\nkind = train\nclasses = 2\ntrain_per_class = 5\nval_per_class = 5\nprobe_per_class = 5\niters = 2000000\ncheckpoints = 2000000\nfit = no\n' >"$TMP/big.ini"
expect_exit 0 "dry run of 2e6 checkpoints" "$LESDE" sweep "$TMP/big.ini" --dry-run
check "dry run of 2e6 checkpoints: the store's size" grep -q "^the store: .* MB, allocated in full" "$TMP/out"
refused 2 "--new deletes the whole store, every study's tasks; with --study" \
  sweep "$SPEC" --store "$TMP/s.h5" --new --study train
check "no store left by the refusals" test ! -e "$TMP/s.h5"
# --new replaces only a lesde store: a typo naming another file loses nothing.
echo "my notes" >"$TMP/notes.txt"
/usr/bin/python3 -c "import h5py, sys; h5py.File(sys.argv[1], 'w')['x'] = [1.0, 2.0]" "$TMP/other.h5"
sum=$(cat "$TMP/notes.txt" "$TMP/other.h5" | md5sum)
refused 2 "notes.txt: not an HDF5 file.*; --new replaces only a lesde store" \
  sweep "$SPEC" --store "$TMP/notes.txt" --new
refused 2 "other.h5: not a lesde store .*; --new replaces only a lesde store" \
  sweep "$SPEC" --store "$TMP/other.h5" --new
mkdir -p "$TMP/adir"
refused 2 "adir: a directory, not a store; --new" sweep "$SPEC" --store "$TMP/adir" --new
refused 2 "adir: a directory, not a store" status "$TMP/adir"
check "--new left both files as they were" sh -c "[ \"\$(cat '$TMP/notes.txt' '$TMP/other.h5' | md5sum)\" = '$sum' ]"
expect_exit 0 "a store to replace" "$LESDE" sweep "$SPEC" --store "$TMP/old.h5" --quiet --set sweep.seeds=0
expect_exit 0 "--new replaces a lesde store" "$LESDE" sweep "$SPEC" --store "$TMP/old.h5" --new
check "--new says it removed the old store" grep -qx "lesde: $TMP/old.h5: removed the old store (--new)" "$TMP/err"

# Dataset files: Fashion-MNIST (IDX, gzip) and CIFAR-10 (binary batches).
T=(train --quiet --iters 50 --checkpoints 6 --snapshots 1 --train-per-class 2 --val-per-class 2
   --probe-per-class 1 --out "$TMP/run.h5")
mkdir -p "$TMP/fm" "$TMP/cf"
/usr/bin/python3 - "$TMP/fm" <<'PY'
import gzip, struct, sys
d = sys.argv[1]
idx = lambda dims, data: bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", n) for n in dims) + bytes(data)
open(d + "/train-labels-idx1-ubyte.gz", "wb").write(gzip.compress(idx([20], [i % 10 for i in range(20)])))
open(d + "/train-images-idx3-ubyte.gz", "wb").write(gzip.compress(idx([20, 28, 28], [0] * (20 * 784 - 5))))
PY
refused 1 "train-images-idx3-ubyte.gz: truncated IDX data: 15675 of 15680 bytes" "${T[@]}" --dataset fashion-mnist --data-dir "$TMP/fm"
echo "plain junk, not gzip nor IDX" >"$TMP/fm/train-images-idx3-ubyte.gz"
refused 1 "not an IDX file: bad magic .* \(and not gzip-compressed\)" "${T[@]}" --dataset fashion-mnist --data-dir "$TMP/fm"
refused 1 "cannot open: No such file or directory" "${T[@]}" --dataset fashion-mnist --data-dir "$TMP/none"
head -c $((3073 * 3 + 5)) /dev/zero >"$TMP/cf/data_batch_1.bin"
refused 1 "data_batch_1.bin: truncated or not a CIFAR-10 binary batch: 9224 bytes" "${T[@]}" --dataset cifar10 --data-dir "$TMP/cf"
for i in 1 2 3 4 5; do { printf '\x2a'; head -c 3072 /dev/zero; } >"$TMP/cf/data_batch_$i.bin"; done
refused 1 "record 0 has label 42, not 0..9" "${T[@]}" --dataset cifar10 --data-dir "$TMP/cf"
for i in 1 2 3 4 5; do head -c 3073 /dev/zero >"$TMP/cf/data_batch_$i.bin"; done
rm "$TMP/cf/data_batch_3.bin"
refused 1 "data_batch_3.bin: cannot open: No such file or directory; lesde expects the CIFAR-10 binary version" \
  "${T[@]}" --dataset cifar10 --data-dir "$TMP/cf"
check "no run file left by the refusals" test ! -e "$TMP/run.h5" -a ! -e "$TMP/run.h5.tmp"

# A sweep whose data files are missing is refused before anything is made:
# exit 2, the spec's line (data_dir's), the missing file, no store, no
# lock, no folder.
printf '[sweep]\nname = cf\nseeds = 0..1\n[study.c]\nkind = train\ndataset = cifar10\ndata_dir = %s\niters = 20\ncheckpoints = 3\nsnapshots = 1\n' \
  "$TMP/cf" >"$TMP/cf.ini"
expect_exit 2 "sweep without the data" "$LESDE" sweep "$TMP/cf.ini" --store "$TMP/cf.h5" --quiet
check "sweep without the data: names spec line and file" \
  grep -q "^lesde: $TMP/cf.ini:7: study 'c': cifar10 (the binary version): $TMP/cf/data_batch_3.bin: No such file or directory" "$TMP/err"
check "sweep without the data: nothing made" test ! -e "$TMP/cf.h5" -a ! -e "$TMP/cf.h5.lock"
# The dry run (and slurm/submit.sh, which runs it first) refuses it alike.
expect_exit 2 "dry run without the data" "$LESDE" sweep "$TMP/cf.ini" --dry-run
check "dry run without the data: the sweep's line" \
  grep -q "^lesde: $TMP/cf.ini:7: study 'c': cifar10 (the binary version): $TMP/cf/data_batch_3.bin: No such file or directory" "$TMP/err"
# given by --set: the place is the override's, as for any spec error
expect_exit 2 "dry run, data_dir by --set" "$LESDE" sweep "$TMP/cf.ini" --dry-run \
  --set "study.c.data_dir=$TMP/nodir"
check "data_dir by --set: the place is --set" \
  grep -q "^lesde: $TMP/cf.ini:--set: study 'c': cifar10 (the binary version): $TMP/nodir/" "$TMP/err"
# no data_dir: the directory came from $LESDE_CIFAR10_DIR, and the line says so
grep -v '^data_dir' "$TMP/cf.ini" >"$TMP/cfenv.ini"
expect_exit 2 "dry run, the data's directory from LESDE_CIFAR10_DIR" \
  env LESDE_CIFAR10_DIR="$TMP/envdir" "$LESDE" sweep "$TMP/cfenv.ini" --dry-run
check "LESDE_CIFAR10_DIR: named as the directory's source, not 'the default'" \
  grep -q ": $TMP/envdir/data_batch_.*: No such file or directory (data_dir not set: \$LESDE_CIFAR10_DIR)$" "$TMP/err"
sed "s|data_dir = .*|data_dir = $TMP/nodir|" "$TMP/cf.ini" >"$TMP/nodir.ini"
cd "$TMP" # the default store: results/cf/store.h5 here
expect_exit 2 "sweep with a data_dir that does not exist, 2 ranks" \
  "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$TMP/nodir.ini" --quiet
cd "$ROOT"
check "missing data_dir: says so" grep -q "$TMP/nodir/.*: No such file or directory" "$TMP/err"
check "missing data_dir: no results folder" test ! -e "$TMP/results"
# Every rank loads the spec itself. One that cannot (a node without the
# file) or that reads another version must stop them all at once: before,
# it waited in MPI_Finalize for the others, which waited for its tasks,
# until the job's time limit (timeout: a hang fails here, with 124).
cat >"$TMP/rank1.sh" <<EOF
#!/bin/bash
# rank 1 alone: another spec file (WHAT=missing) or one more seed (WHAT=seed)
[ "\${OMPI_COMM_WORLD_RANK:-0}" = 1 ] || exec "$LESDE" "\$@"
case \$WHAT in
  missing) exec "$LESDE" sweep "$TMP/none.ini" "\${@:3}" ;;
  seed) exec "$LESDE" "\$@" --set sweep.seeds=0..3 ;;
esac
EOF
chmod +x "$TMP/rank1.sh"
expect_exit 1 "rank 1 of 3 cannot read the spec" env WHAT=missing timeout 120 \
  "${MPIRUN[@]}" -n 3 "$TMP/rank1.sh" sweep "$SPEC" --store "$TMP/r1.h5" --quiet
check "rank 1 says its own error" \
  grep -q "^lesde: rank 1 of 3: $TMP/none.ini: cannot read the spec: No such file" "$TMP/err"
check "rank 0 says which rank and what to do" \
  grep -q "^lesde: rank 1 could not load the spec .*readable at the same path on every node" "$TMP/err"
check "no store made" test ! -e "$TMP/r1.h5"
check "one line from rank 1, one from rank 0" test "$(grep -c '^lesde: ' "$TMP/err")" -eq 2
expect_exit 1 "3 ranks cannot read the spec" timeout 120 \
  "${MPIRUN[@]}" -n 3 "$LESDE" sweep "$TMP/none.ini" --store "$TMP/r1.h5" --quiet
check "3 ranks cannot read the spec: rank 0 alone says it, once" \
  test "$(grep -c '^lesde: ' "$TMP/err")" -eq 1 -a "$(grep -c "^lesde: $TMP/none.ini: cannot read the spec" "$TMP/err")" -eq 1
# Another lesde build on one node (a stale install of its own): this
# binary with another git revision, the same length, patched in.
rev=$("$LESDE" --version | sed -n '1s/.*(git \([0-9a-f]\{12\}\).*/\1/p')
if [ -n "$rev" ]; then
  sed "s/$rev/000000000000/" "$LESDE" >"$TMP/other-lesde" && chmod +x "$TMP/other-lesde"
  cat >"$TMP/other.sh" <<EOF
#!/bin/bash
[ "\${OMPI_COMM_WORLD_RANK:-0}" = 1 ] && exec "$TMP/other-lesde" "\$@"
exec "$LESDE" "\$@"
EOF
  chmod +x "$TMP/other.sh"
  check "the patched copy says its revision" sh -c "'$TMP/other-lesde' --version | grep -q 'git 000000000000'"
  expect_exit 2 "rank 1 of 3 runs another build" timeout 120 \
    "${MPIRUN[@]}" -n 3 "$TMP/other.sh" sweep "$SPEC" --store "$TMP/r1.h5" --quiet
  check "rank 1 says its build" grep -q "^lesde: rank 1 of 3 runs lesde git 000000000000" "$TMP/err"
  check "rank 0 names rank 1 and its own build" \
    grep -q "^lesde: rank 1 runs another lesde build than rank 0 (rank 0's: git $rev" "$TMP/err"
  check "another build: two lines, no store" \
    test "$(grep -c '^lesde: ' "$TMP/err")" -eq 2 -a ! -e "$TMP/r1.h5"
else
  echo "skipped: another build on rank 1 (this lesde has no git revision to patch)" >&2
fi
expect_exit 2 "rank 1 of 2 reads another spec" env WHAT=seed timeout 120 \
  "${MPIRUN[@]}" -n 2 "$TMP/rank1.sh" sweep "$SPEC" --store "$TMP/r1.h5" --quiet
check "rank 0 names the two hashes" grep -Eq \
  "^lesde: rank 1 read another spec than rank 0 \(hash [0-9a-f]{16}, rank 0's [0-9a-f]{16}\): .* the same file on every node" \
  "$TMP/err"
check "no store made" test ! -e "$TMP/r1.h5"
# Files there but unreadable as CIFAR-10: the task fails with that message
# and the sweep goes on.
for f in data_batch_3 test_batch; do head -c 3073 /dev/zero >"$TMP/cf/$f.bin"; done
{ printf '\x2a'; head -c 3072 /dev/zero; } >"$TMP/cf/data_batch_1.bin"
expect_exit 1 "sweep with bad data" "$LESDE" sweep "$TMP/cf.ini" --store "$TMP/cf.h5" --quiet
check "sweep with bad data: 2 failed" grep -q "^lesde: 2 of 2 tasks failed" "$TMP/err"
expect_exit 1 "dry run with bad data: its tasks would fail" "$LESDE" sweep "$TMP/cf.ini" --dry-run
check "dry run with bad data: says why and what follows" sh -c \
  "grep -q 'study c: its data cannot be built: .*data_batch_1.bin: record 0 has label 42' '$TMP/out' &&
   grep -q '^lesde: 1 of the data sets the tasks need cannot be built (above): the sweep would record those tasks as failed' '$TMP/err'"
expect_exit 0 "status names the bad file" "$LESDE" status "$TMP/cf.h5"
check "status names the bad file" grep -q "failed: task 1 .*data_batch_1.bin: record 0 has label 42" "$TMP/out"
# Every rank checks the data: a node without it would fail each task it
# took at once and drain the queue. Rank 1 of 3 is given a directory
# without the files (LESDE_CIFAR10_DIR: the spec has no data_dir).
cat >"$TMP/nodata.sh" <<EOF
#!/bin/bash
[ "\${OMPI_COMM_WORLD_RANK:-0}" = 1 ] && export LESDE_CIFAR10_DIR="$TMP/envdir"
exec "$LESDE" "\$@"
EOF
chmod +x "$TMP/nodata.sh"
expect_exit 2 "rank 1 of 3 without the data" env LESDE_CIFAR10_DIR="$TMP/cf" timeout 120 \
  "${MPIRUN[@]}" -n 3 "$TMP/nodata.sh" sweep "$TMP/cfenv.ini" --store "$TMP/nd.h5" --quiet
check "rank 1 names the missing file" grep -q \
  "^lesde: rank 1 of 3 (host .*): $TMP/cfenv.ini:[0-9]*: study 'c': cifar10 (the binary version): $TMP/envdir/data_batch_1.bin: No such file" \
  "$TMP/err"
check "rank 0 names rank 1" grep -q "^lesde: rank 1 does not find the sweep's data that rank 0 finds" "$TMP/err"
check "two lines" test "$(grep -c '^lesde: ' "$TMP/err")" -eq 2
check "rank 1 without the data: nothing made" test ! -e "$TMP/nd.h5" -a ! -e "$TMP/nd.h5.lock"

# Arguments of the other commands.
refused 2 "status: one STORE is required" status
refused 2 "status: unknown option '--frob'" status --frob "$TMP/x.h5"
refused 2 "summarize: one STORE is required" summarize "$TMP/a.h5" "$TMP/b.h5"
refused 2 "data: unknown dataset 'mnist'" data mnist --png "$TMP/x.png"
refused 2 "data: nothing to do" data geomnist
refused 2 "simulate: T must be >= 1, not 0.5" simulate --T 0.5
refused 2 "fit: one INPUT \(CSV or lesde HDF5\) is required" fit
refused 2 "none.csv: cannot open: No such file or directory" fit "$TMP/none.csv"
refused 2 "bench: unknown option '--frob'" bench --frob
refused 2 "bench: --steps needs a positive integer, not '0'" bench --steps 0
# an option's missing value is named as such, by every command
refused 2 "report: --out needs a value" report "$TMP/x.h5" --out
refused 2 "sweep: --store needs a value" sweep quickstart --store
refused 2 "train: --iters needs a value" train --iters
refused 2 "fit: --task needs a value" fit "$TMP/x.h5" --task
refused 2 "bench: --steps needs a value" bench --steps
refused 2 "study c has tasks 0..1, not 99" fit "$TMP/cf.h5" --task 99
# a task that failed (or has not run) has nothing to fit
refused 2 "task 0 of study c has no trajectory \(not done\?\)" fit "$TMP/cf.h5" --task 0

# lesde train killed (SIGTERM; a background job ignores SIGINT): no FILE.h5;
# the next run replaces the .tmp.
"$LESDE" train --quiet --iters 1000000 --checkpoints 6 --snapshots 1 --out "$TMP/k.h5" \
  2>/dev/null &
pid=$!
sleep 1
kill -TERM "$pid"
wait "$pid"
check "train after SIGTERM: no file" test ! -e "$TMP/k.h5"
expect_exit 0 "train again" "$LESDE" train --quiet --iters 20 --checkpoints 3 --snapshots 1 \
  --train-per-class 5 --val-per-class 5 --probe-per-class 2 --out "$TMP/k.h5"
check "train again: the file, no .tmp" test -s "$TMP/k.h5" -a ! -e "$TMP/k.h5.tmp"

# A diverging lesde train: the message, exit 1, no file.
refused 1 "diverged at iteration [0-9]+ \(loss [0-9.e+]+, lr 10\)" train --quiet --iters 300 --lr 10 \
  --checkpoints 6 --snapshots 1 --train-per-class 40 --val-per-class 20 --probe-per-class 10 \
  --out "$TMP/div.h5"
check "diverged train: no file" test ! -e "$TMP/div.h5" -a ! -e "$TMP/div.h5.tmp"

# lesde fit inputs besides the CSV rows (tests/e2e/fit_simulate.sh has those).
refused 2 "cannot read: Is a directory" fit "$TMP"
: >"$TMP/empty.csv"
refused 2 "empty.csv:1: empty file" fit "$TMP/empty.csv"
# random bytes: refused at line 1, as a bad header, or as a blank one when
# the first byte is a line break (\n or \r: 2 runs in 256)
head -c 3000 /dev/urandom >"$TMP/random.csv"
refused 2 "random.csv:1: (bad header|blank line where the header)" fit "$TMP/random.csv"
printf '\r' | cat - "$TMP/random.csv" >"$TMP/random_cr.csv"
refused 2 "random_cr.csv:1: blank line where the header" fit "$TMP/random_cr.csv"
finish
