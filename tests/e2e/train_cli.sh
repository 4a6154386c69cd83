#!/usr/bin/env bash
# lesde train / data from the command line: help, version, a real small run,
# and bad input (one clear line, exit 2 or 1, no file left behind).
source "$(dirname "$0")/lib.sh"

expect_exit 0 "lesde --help" "$LESDE" --help
check "help lists exit codes" grep -q "interrupted but resumable" "$TMP/out"
expect_exit 0 "lesde --version" "$LESDE" --version
check "version printed" grep -q "^lesde " "$TMP/out"
for cmd in train data sweep status summarize bench; do
  expect_exit 0 "lesde $cmd --help" "$LESDE" "$cmd" --help
  check "$cmd --help says Usage" grep -q "^Usage: " "$TMP/out"
done
expect_exit 2 "unknown command" "$LESDE" frobnicate
check "unknown command: says so" grep -q "^lesde: unknown command 'frobnicate' (see 'lesde --help')" "$TMP/err"
expect_exit 2 "no command" "$LESDE"
check "no command: the usage" grep -q "^Usage: lesde COMMAND" "$TMP/err" "$TMP/out"

# A small real run.
expect_exit 0 "small train" "$LESDE" train --quiet --iters 300 --train-per-class 40 \
  --val-per-class 20 --checkpoints 11 --probe-per-class 10 --out "$TMP/run.h5"
check "run file exists" test -s "$TMP/run.h5"
check "no temporary left" test ! -e "$TMP/run.h5.tmp"
check "h5dump reads it" h5dump -H "$TMP/run.h5" >/dev/null
check "parameters as attributes" sh -c "h5dump -a /study/train/lr '$TMP/run.h5' | grep -q 0.005"
# Where the time went: the loop, then the data and the file (bench/compare.sh
# reads them), and a total that holds them all (rounded to 0.01 s).
check "training, data, file and the total printed" awk '/^training /{t=$2}
  /^outside training: data /{d=$4; f=$8; a=$(NF-3); seen=1}
  END{exit !(seen && t>0 && d>0 && f>0 && a>=t+d+f-0.02 && a<t+d+f+5)}' "$TMP/out"

# Bad input: exit 2, one line naming the problem, no file.
bad_case() { # bad_case WORD ARGS...
  local word=$1; shift
  rm -f "$TMP/bad.h5"
  expect_exit 2 "train $*" "$LESDE" train --quiet --iters 50 --checkpoints 6 "$@" --out "$TMP/bad.h5"
  check "message names '$word' for: $*" grep -qi -- "$word" "$TMP/err"
  check "one line for: $*" test "$(wc -l <"$TMP/err")" -eq 1
  check "no file for: $*" test ! -e "$TMP/bad.h5" -a ! -e "$TMP/bad.h5.tmp"
}
bad_case classes --classes 1
bad_case "at least 2 (0 and T)" --checkpoints 1
bad_case "--seed must be non-negative" --seed -1
bad_case classes --classes 11
bad_case p_err --p-err 1.5
bad_case p_err --p-err -0.1
bad_case p-err --p-err abc
bad_case iterations --iters 0
bad_case iterations --iters -5
bad_case lr --lr 0
bad_case lr --lr -1
bad_case dataset --dataset mnist3d
bad_case option --frobnicate 3
bad_case "validation checkpoints" --val-checkpoints 1
bad_case "validation checkpoints" --val-checkpoints 60
bad_case sg-window --sg-window 0
bad_case "20 checkpoints do not fit in 10 iterations" --iters 10 --checkpoints 20
bad_case "^lesde: train: class_ids lists 0 twice (see" --class-ids 0,0,1
bad_case "--iters needs an integer, not '1.5'" --iters 1.5
# Integers as a spec writes them: 1e2 iterations are 100.
expect_exit 0 "train --iters 1e2" "$LESDE" train --quiet --iters 1e2 --checkpoints 6 --train-per-class 5 \
  --val-per-class 5 --probe-per-class 2 --snapshots 1 --out "$TMP/e2.h5"
check "--iters 1e2: 100 iterations" /usr/bin/python3 -c "
import h5py, sys; g = h5py.File('$TMP/e2.h5', 'r')['study/train']; sys.exit(0 if g.attrs['iters'] == 100 else 1)"
# Separability with no pair to test: the probe is drawn by training label, so
# at seed 3 (K 3, p_err 0.6, one probe sample a class) all three samples are
# of one clean class. By clean label that is NaN and left out of the summary
# (n 0), not "all separable"; seed 0's probe has every clean class.
for s in 0 3; do
  expect_exit 0 "train, one probe sample a class, seed $s" "$LESDE" train --quiet --classes 3 \
    --p-err 0.6 --iters 100 --checkpoints 5 --train-per-class 20 --val-per-class 5 \
    --probe-per-class 1 --snapshots 2 --seed $s --out "$TMP/p$s.h5"
done
check "no clean pair to test: separability NaN, summary n 0; otherwise 1" /usr/bin/python3 -c "
import h5py, math, sys
def get(s, name):
    return h5py.File('$TMP/p%d.h5' % s, 'r')['study/train/' + name][()].ravel().tolist()
ok = True
for f in ('snap_sep_all_clean', 'snap_sep_frac_clean'):
    a, b, n3 = get(3, 'fit/' + f), get(0, 'fit/' + f), get(3, 'summary/n/fit/' + f)
    print(f, 'seed 3', a, 'n', n3, 'seed 0', b)
    ok &= all(math.isnan(x) for x in a) and n3 == [0.0, 0.0] and b == [1.0, 1.0]
sys.exit(0 if ok else 1)"
expect_exit 2 "train without --out" "$LESDE" train --quiet --iters 50
check "without --out: says so" grep -q "^lesde: train: --out FILE.h5 is required (see 'lesde train --help')" "$TMP/err"
# Unwritable output: exit 1, nothing left behind.
expect_exit 1 "unwritable output" "$LESDE" train --quiet --iters 50 --checkpoints 6 --out /nonexistent/dir/x.h5
check "names the path" grep -q "/nonexistent/dir/x.h5" "$TMP/err"
check "no file" test ! -e /nonexistent/dir/x.h5.tmp
expect_exit 2 "missing --out" "$LESDE" train --iters 50

# The kernel path: printed by train and bench, recorded in the file, chosen
# by LESDE_KERNELS; a bad value is refused before anything runs.
check "train names its kernel path" sh -c "'$LESDE' train --iters 20 --train-per-class 5 \
  --val-per-class 5 --checkpoints 3 --probe-per-class 2 --snapshots 1 --out '$TMP/k.h5' \
  | grep -Eq '(avx512|avx2|c) kernels'"
check "the file records it" sh -c "h5dump -a /cnn_kernels '$TMP/k.h5' | grep -Eq 'avx512|avx2|\"c\"'"
expect_exit 0 "bench on the c path" env LESDE_KERNELS=c "$LESDE" bench --steps 40 --infer 20
check "bench names the c path" grep -q "^lesde_kernels c$" "$TMP/out"
# OpenBLAS beside the kernels: the same logits by im2col + GEMMs, and a time
check "bench's OpenBLAS pass gives the kernels' logits" \
  awk '$1 == "openblas_infer_max_diff" && $2 < 1e-12 { ok = 1 } END { exit !ok }' "$TMP/out"
check "bench times fc1 on OpenBLAS" \
  awk '$1 == "openblas_fc1_us_per_step" && $2 > 0 { ok = 1 } END { exit !ok }' "$TMP/out"
check "bench names the CPU" grep -Eq "^lesde_cpu .+" "$TMP/out"
check "bench measures the path's multiply-add loop" \
  awk '$1 == "lesde_fma_peak_gflops" && $2 > 0 && $2 < 1e6 { ok = 1 } END { exit !ok }' "$TMP/out"
expect_exit 2 "LESDE_KERNELS=sse9" env LESDE_KERNELS=sse9 "$LESDE" bench --steps 20
check "names the bad path" grep -q "LESDE_KERNELS=sse9: not a kernel path of this build" "$TMP/err"
# A cache size that is no whole number of megabytes is refused, not read
# as the default 256 (a '1G' meant to raise it, an 'off' to turn it off).
for v in 1G off -1; do
  expect_exit 2 "LESDE_DATA_CACHE_MB=$v" env LESDE_DATA_CACHE_MB=$v "$LESDE" sweep "$ROOT/tests/specs/smoke.ini" --dry-run
  check "LESDE_DATA_CACHE_MB=$v: says why" \
    grep -q "^lesde: LESDE_DATA_CACHE_MB=$v: not a whole number of megabytes from 0 (no cache) to 1099511627776$" "$TMP/err"
done
# An empty file name is refused (it would write a hidden .tmp); a file
# that cannot be made says why.
for c in "data geomnist --out" "data geomnist --png" "fit $TMP/none.h5 --out" "fit $TMP/none.h5 --csv" \
  "simulate --out" "train --out"; do
  read -r -a args <<<"$c"
  expect_exit 2 "$c ''" "$LESDE" "${args[@]}" ""
  check "$c '': says so" grep -q "^lesde: ${args[0]}: ${args[-1]} needs a file name, not '' " "$TMP/err"
done
expect_exit 1 "data --out in a missing directory" "$LESDE" data geomnist --per-class 2 --out "$TMP/no/x.h5"
check "data --out: the reason" grep -q "^lesde: $TMP/no/x.h5: cannot create the file: No such file or directory$" "$TMP/err"
mkdir "$TMP/isdir.h5"
expect_exit 1 "data --out a directory" "$LESDE" data geomnist --per-class 2 --out "$TMP/isdir.h5"
check "data --out a directory: the reason, nothing left" \
  sh -c "grep -q '^lesde: $TMP/isdir.h5: cannot write the file (Is a directory)$' '$TMP/err' && test ! -e '$TMP/isdir.h5.tmp'"
# --out of train and simulate replaces a lesde store (the run above) but
# not another file, nor a directory: a slip of the path loses nothing.
# (A store that a sweep is writing: e2e.store_lock.)
echo "a,b" >"$TMP/notes.csv"
for c in "train --quiet --iters 50 --checkpoints 6" "simulate --quiet --reps 1 --T 10 --n-obs 2"; do
  read -r -a args <<<"$c"
  for f in "$TMP/notes.csv" "$TMP/isdir.h5"; do
    expect_exit 2 "${args[0]} --out onto $(basename "$f")" "$LESDE" "${args[@]}" --out "$f"
    check "${args[0]} --out onto $(basename "$f"): says why" \
      grep -q "^lesde: $f: .*; --out replaces only a lesde store: move the file away or give another --out$" "$TMP/err"
  done
  check "${args[0]} --out: the file and the directory untouched" \
    sh -c "[ \"\$(cat '$TMP/notes.csv')\" = a,b ] && [ -d '$TMP/isdir.h5' ] && [ ! -e '$TMP/isdir.h5.tmp' ]"
done
cp "$TMP/run.h5" "$TMP/again.h5"
expect_exit 0 "train --out onto a lesde store: replaced" "$LESDE" train --quiet --iters 50 --checkpoints 6 --out "$TMP/again.h5"
check "the store replaced" sh -c "! cmp -s '$TMP/run.h5' '$TMP/again.h5'"
expect_exit 2 "LESDE_DATA_CACHE_MB over its range" env LESDE_DATA_CACHE_MB=1099511627777 "$LESDE" status "$TMP/none.h5"
expect_exit 2 "a value with a line break" env LESDE_DATA_CACHE_MB=$'5\nx' "$LESDE" status "$TMP/none.h5"
check "echoed on one line" test "$(wc -l <"$TMP/err")" -eq 1
expect_exit 0 "LESDE_DATA_CACHE_MB=0 (off) is taken" env LESDE_DATA_CACHE_MB=0 "$LESDE" sweep "$ROOT/tests/specs/smoke.ini" --dry-run

# lesde data
expect_exit 0 "data png" "$LESDE" data geomnist --classes 6 --per-class 8 --png "$TMP/g.png"
check "png signature" sh -c "head -c 8 '$TMP/g.png' | od -An -tx1 | grep -q '89 50 4e 47'"
expect_exit 0 "data h5" "$LESDE" data geomnist --classes 3 --per-class 5 --out "$TMP/g.h5"
check "data h5 has x" sh -c "h5dump -H '$TMP/g.h5' | grep -q 'DATASET \"x\"'"
expect_exit 2 "data K=11" "$LESDE" data geomnist --classes 11 --png "$TMP/x.png"
check "data K=11: says so" grep -q "^lesde: data: --classes must be in 2..10 for geomnist (see 'lesde data --help')" "$TMP/err"
finish
