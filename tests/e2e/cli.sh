#!/usr/bin/env bash
# The command line itself: `lesde help CMD` is `lesde CMD --help`, -V is
# --version, --quiet silences every command that prints progress or notes,
# `lesde status --json` for scripts, `lesde fit STORE` takes the store's
# first train study and refuses an unknown one naming the studies there, and
# the one-process commands refuse to run as several MPI ranks.
source "$(dirname "$0")/lib.sh"
CMDS=(train data sweep status summarize fit simulate report bench)

# help CMD = CMD --help, byte for byte, for every command
for cmd in "${CMDS[@]}"; do
  "$LESDE" "$cmd" --help >"$TMP/a" 2>&1
  expect_exit 0 "lesde help $cmd" "$LESDE" help "$cmd"
  check "lesde help $cmd = lesde $cmd --help" cmp -s "$TMP/a" "$TMP/out"
  check "lesde help $cmd: nothing on stderr" test ! -s "$TMP/err"
  check "lesde help $cmd: no line over 79 characters" sh -c "! awk 'length > 79' '$TMP/a' | grep -q ."
done
expect_exit 0 "lesde help" "$LESDE" help
check "lesde help = lesde --help" sh -c "'$LESDE' --help | cmp -s - '$TMP/out'"
expect_exit 2 "lesde help nope" "$LESDE" help nope
check "help nope: names it" grep -q "unknown command 'nope'" "$TMP/err"
expect_exit 2 "lesde help a b" "$LESDE" help sweep train
check "help a b: says so" grep -q "^lesde: help: one COMMAND at most (see 'lesde --help')" "$TMP/err"

# The project's scripts answer --help with their usage and do nothing else
# (quickstart.sh once installed, built and ran a sweep on it; bench/*.sh ran
# the benchmark). jobs/mpirun passes --help to the launcher, as any ARGS.
for s in jobs/quickstart.sh jobs/paper.sh jobs/setup.sh bench/compare.sh bench/sched.sh \
         bench/speedup.sh tests/run.sh slurm/submit.sh slurm/local-cluster.sh; do
  expect_exit 0 "$s --help" env LESDE_BUILD="$TMP/no-build" timeout 10 bash "$ROOT/$s" --help
  check "$s --help: its usage" grep -qi "usage: *$s" "$TMP/out"
  check "$s --help: built nothing" test ! -e "$TMP/no-build"
done
# slurm.conf cannot quote a path: the local cluster refuses white space in
# its directory before it writes anything (slurmctld failed on the cut path)
expect_exit 1 "local-cluster.sh start in a directory with a space" \
  env LESDE_SLURM_DIR="$TMP/a b" bash "$ROOT/slurm/local-cluster.sh" start
check "local-cluster.sh: says why" grep -q "LESDE_SLURM_DIR may not hold white space" "$TMP/err"
check "local-cluster.sh: wrote nothing" test ! -e "$TMP/a b"
# A benchmark whose runs fail gives no figures (bench/speedup.sh once timed
# /bin/false and printed a speed-up).
expect_exit 1 "bench/speedup.sh with a failing lesde" env LESDE_BIN=/bin/false \
  bash "$ROOT/bench/speedup.sh"
check "speedup.sh: no figures of failed runs" test ! -s "$TMP/out"
check "speedup.sh: says which run failed" grep -q "^bench/speedup.sh: failed (1): /bin/false sweep" "$TMP/err"

# A usage line is written whole, in one write, from a fixed buffer: an
# argument longer than it is cut, and the line still ends with the hint.
long=$(head -c 6000 /dev/zero | tr '\0' x)
expect_exit 2 "train --classes <6000 x>" "$LESDE" train --out "$TMP/x.h5" --classes "$long"
check "long argument: one line" test "$(wc -l <"$TMP/err")" -eq 1
check "long argument: cut, hint kept" grep -Eq "^lesde: train: .*x{1000}.* \(see 'lesde train --help'\)$" "$TMP/err"
check "long argument: under 4 KiB" test "$(wc -c <"$TMP/err")" -le 4096

# -V = --version, with the MPI library it was built with
expect_exit 0 "lesde -V" "$LESDE" -V
cp "$TMP/out" "$TMP/v"
expect_exit 0 "lesde --version" "$LESDE" --version
check "-V = --version" cmp -s "$TMP/v" "$TMP/out"
check "version line" grep -Eq "^lesde [0-9]+\.[0-9]+\.[0-9]+ \(git [0-9a-f]+|unknown\)" "$TMP/out"
check "MPI line" grep -Eq "^MPI: (Open MPI|MPICH|Intel)" "$TMP/out"

# --quiet: nothing on stderr and nothing but results on stdout
SMALL=(--iters 300 --train-per-class 40 --val-per-class 20 --checkpoints 11 --probe-per-class 10)
expect_exit 0 "train --quiet" "$LESDE" train --quiet "${SMALL[@]}" --out "$TMP/run.h5"
check "train --quiet: no stderr" test ! -s "$TMP/err"
# Progress goes out every --progress seconds when stderr is no terminal:
# with 0.01 s a sweep that is not quiet prints some, a quiet one none.
# (The smoke sweep with one seed: 4 tasks.)
ONE_SEED=(--set sweep.seeds=0)
expect_exit 0 "sweep with progress" "$LESDE" sweep "$ROOT/tests/specs/smoke.ini" "${ONE_SEED[@]}" \
  --store "$TMP/p.h5" --progress 0.01
check "sweep: progress lines without --quiet" grep -q "done, 0 failed, 4 total" "$TMP/err"
expect_exit 0 "sweep --quiet" "$LESDE" sweep "$ROOT/tests/specs/smoke.ini" "${ONE_SEED[@]}" \
  --store "$TMP/q.h5" --progress 0.01 --quiet
check "sweep --quiet: no stderr" test ! -s "$TMP/err"
check "sweep --quiet: no stdout" test ! -s "$TMP/out"
expect_exit 0 "report --quiet" "$LESDE" report "$TMP/q.h5" --out "$TMP/r" --quiet
check "report --quiet: no stderr" test ! -s "$TMP/err"
check "report --quiet: index and p_hat* only" sh -c "! grep -qv -e '^index: ' -e '^p_hat\*' '$TMP/out'"
expect_exit 0 "summarize --quiet" "$LESDE" summarize "$TMP/q.h5" --quiet
check "summarize --quiet: silent" sh -c "! test -s '$TMP/out' && ! test -s '$TMP/err'"
expect_exit 0 "data --quiet" "$LESDE" data geomnist --png "$TMP/d.png" --quiet
check "data --quiet: silent, file written" sh -c "! test -s '$TMP/out' && ! test -s '$TMP/err' && test -s '$TMP/d.png'"
expect_exit 0 "fit --quiet" "$LESDE" fit "$TMP/run.h5" --csv "$TMP/f.csv" --quiet
check "fit --quiet: silent, file written" sh -c "! test -s '$TMP/out' && ! test -s '$TMP/err' && test -s '$TMP/f.csv'"
expect_exit 0 "simulate --quiet" "$LESDE" simulate --reps 2 --T 100 --n-obs 3 --out "$TMP/sim.h5" --quiet
check "simulate --quiet: silent, file written" sh -c "! test -s '$TMP/out' && ! test -s '$TMP/err' && test -s '$TMP/sim.h5'"
for cmd in train sweep report summarize data fit simulate; do
  check "$cmd --help lists --quiet" sh -c "'$LESDE' $cmd --help | grep -q -- '--quiet'"
done
# --quiet with no file to write would do the work and leave no trace.
expect_exit 2 "fit --quiet alone" "$LESDE" fit "$TMP/run.h5" --quiet
check "fit --quiet alone: says why" grep -q "^lesde: fit: --quiet goes with --out or --csv: alone it would print nothing" "$TMP/err"
expect_exit 2 "simulate --quiet alone" "$LESDE" simulate --reps 2 --T 100 --n-obs 3 --quiet
check "simulate --quiet alone: says why" grep -q "^lesde: simulate: --quiet goes with --out: alone it would print nothing" "$TMP/err"

# status --json: one JSON object, the same numbers as the text, failures
# with their messages; nothing on stdout when the store is bad.
expect_exit 1 "a sweep with failing tasks" "$LESDE" sweep "$ROOT/tests/specs/diverge.ini" \
  --store "$TMP/dv.h5" --set study.lr.iters=200 --quiet
expect_exit 0 "status --json" "$LESDE" status --json "$TMP/dv.h5"
check "status --json parses and matches" /usr/bin/python3 - "$TMP/out" "$TMP/dv.h5" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["store"] == sys.argv[2] and j["sweep"] == "diverge" and j["tasks"] == 4, j
assert j["overrides"] == ["study.lr.iters=200"], j["overrides"]
(st,) = j["studies"]
assert (st["name"], st["kind"], st["done"], st["failed"], st["pending"]) == ("lr", "train", 2, 2, 0), st
assert [f["task"] for f in st["failures"]] == [2, 3], st["failures"]
assert all(f["message"].startswith("diverged at iteration") for f in st["failures"])
assert (j["done"], j["failed"], j["pending"], j["complete"]) == (2, 2, 0, False), j
PY
expect_exit 0 "status --json of a complete store" "$LESDE" status "$TMP/q.h5" --json
check "complete: true" /usr/bin/python3 -c "
import json, sys; j = json.load(open('$TMP/out'))
sys.exit(0 if j['complete'] and j['done'] == 4 and [s['name'] for s in j['studies']] == ['sde', 'train'] else 1)"
printf 'not a store\n' >"$TMP/bad.h5"
expect_exit 2 "status --json of a text file" "$LESDE" status --json "$TMP/bad.h5"
check "nothing on stdout" test ! -s "$TMP/out"
check "the error line" grep -q "not an HDF5 file" "$TMP/err"
expect_exit 2 "status --json twice a store" "$LESDE" status --json "$TMP/q.h5" "$TMP/q.h5"

# fit STORE: the first train study by name (here 'b', after the sde study 'a')
train_keys='kind = train
classes = 3
train_per_class = 40
val_per_class = 20
probe_per_class = 10
iters = 300
checkpoints = 11
snapshots = 1'
cat >"$TMP/fit.ini" <<EOF
[sweep]
name = fitpick
seeds = 0
[study.a]
kind = sde
classes = 3
n = 10
T = 100
n_obs = 3
[study.b]
$train_keys
[study.c]
$train_keys
lr = 0.02
EOF
expect_exit 0 "sweep of three studies" "$LESDE" sweep "$TMP/fit.ini" --store "$TMP/fit.h5" --quiet
expect_exit 0 "fit STORE" "$LESDE" fit "$TMP/fit.h5"
cp "$TMP/out" "$TMP/fit_default"
expect_exit 0 "fit STORE --study b" "$LESDE" fit "$TMP/fit.h5" --study b
check "the default is study b" cmp -s "$TMP/fit_default" "$TMP/out"
expect_exit 0 "fit STORE --study c" "$LESDE" fit "$TMP/fit.h5" --study c
check "study c differs (lr)" sh -c "! cmp -s '$TMP/fit_default' '$TMP/out'"
expect_exit 2 "fit --study nope" "$LESDE" fit "$TMP/fit.h5" --study nope
check "unknown study: names the studies" \
  grep -q "fit.h5: no study 'nope'; the store has a (sde), b (train), c (train)" "$TMP/err"
check "unknown study: one line" test "$(wc -l <"$TMP/err")" -eq 1
expect_exit 2 "fit --study a (sde)" "$LESDE" fit "$TMP/fit.h5" --study a
check "sde study: says so" grep -q "study 'a' is an sde study" "$TMP/err"
expect_exit 2 "fit of a store with no train study" "$LESDE" fit "$TMP/sim.h5"
check "no train study: names the studies" grep -q "no train study to fit; the store has sde (sde)" "$TMP/err"
expect_exit 0 "fit a lesde train file" "$LESDE" fit "$TMP/run.h5"

# One process only: train and simulate under mpirun -n 2 refuse with one
# line (from rank 0) and leave no file; under mpirun -n 1 they run.
expect_exit 2 "train under 2 ranks" "${MPIRUN[@]}" -n 2 "$LESDE" train --quiet "${SMALL[@]}" --out "$TMP/two.h5"
check "train, 2 ranks: one line" test "$(grep -c '^lesde: ' "$TMP/err")" -eq 1
check "train, 2 ranks: says why" grep -q "lesde: train: runs on one process, not on 2 MPI ranks" "$TMP/err"
check "train, 2 ranks: no file" sh -c "! ls '$TMP'/two.h5* 2>/dev/null"
expect_exit 2 "simulate under 2 ranks" "${MPIRUN[@]}" -n 2 "$LESDE" simulate --reps 2 --T 100 --out "$TMP/two.h5"
check "simulate, 2 ranks: one line" test "$(grep -c '^lesde: ' "$TMP/err")" -eq 1
expect_exit 0 "train under 1 rank" "${MPIRUN[@]}" -n 1 "$LESDE" train --quiet "${SMALL[@]}" --out "$TMP/one.h5"
check "train, 1 rank: the same file as without mpirun" \
  /usr/bin/python3 "$ROOT/tests/compare_stores.py" "$TMP/run.h5" "$TMP/one.h5"
finish
