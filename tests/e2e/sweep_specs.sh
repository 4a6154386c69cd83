#!/usr/bin/env bash
# Spec errors and store protection: every malformed spec in tests/specs/bad
# gives one line "file:line: ..." with its expected line, exit 2, no store;
# a different spec on an existing store is refused and the store untouched.
source "$(dirname "$0")/lib.sh"
n=0
for f in "$ROOT"/tests/specs/bad/*.ini; do
  n=$((n + 1))
  line=$(sed -n 's/^; *expect-line: *\([^ ]*\).*/\1/p' "$f" | head -1)
  read -r -a args <<<"$(sed -n 's/^; *args: *//p' "$f" | head -1)"
  rm -f "$TMP/bad.h5"
  expect_exit 2 "$(basename "$f")" "$LESDE" sweep "$f" "${args[@]}" --store "$TMP/bad.h5" --quiet
  check "$(basename "$f"): one line" test "$(wc -l <"$TMP/err")" -eq 1
  check "$(basename "$f"): says $f:$line:" grep -qF "$f:$line:" "$TMP/err"
  check "$(basename "$f"): no store" test ! -e "$TMP/bad.h5"
done
check "at least 15 malformed specs" test "$n" -ge 15
# Alone, a spec is read before MPI starts; on 2 ranks every rank reads it
# after, and rank 0 alone says what is wrong.
BADK=$ROOT/tests/specs/bad/bad_kind.ini
rm -f "$TMP/bad.h5"
expect_exit 2 "bad spec on 2 ranks" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$BADK" --store "$TMP/bad.h5" --quiet
check "on 2 ranks: said once" test "$(grep -c "^lesde: $BADK:3: kind" "$TMP/err")" -eq 1
check "on 2 ranks: no store" test ! -e "$TMP/bad.h5"

SPEC=$ROOT/tests/specs/smoke.ini
expect_exit 0 "small sweep" "$LESDE" sweep "$SPEC" --store "$TMP/s.h5" --quiet \
  --set study.sde.n_obs=3
sum=$(md5sum <"$TMP/s.h5")
expect_exit 2 "other spec refused" "$LESDE" sweep "$SPEC" --store "$TMP/s.h5" --quiet
check "refusal says another spec" grep -q "another spec" "$TMP/err"
check "refusal names the --set the store was made with" \
  grep -q "it was made with --set study.sde.n_obs=3, this run has no --set; give the same --set to resume it" "$TMP/err"
check "store untouched" test "$(md5sum <"$TMP/s.h5")" = "$sum"
# The store of another sweep (another name): no --set or --new advice,
# which would not fit or would delete the other experiment's results.
sed 's/^name *=.*/name = other/' "$SPEC" >"$TMP/other-name.ini"
expect_exit 2 "another sweep's store refused" "$LESDE" sweep "$TMP/other-name.ini" \
  --store "$TMP/s.h5" --quiet --set study.sde.n_obs=3
check "refusal names both sweeps" \
  grep -q "s.h5: holds sweep 'smoke', not this spec's 'other': resume it with its own spec, or give --store for another file" "$TMP/err"
check "refusal advises neither --set nor --new" sh -c "! grep -q -e '--new' -e 'same --set' '$TMP/err'"
check "store untouched" test "$(md5sum <"$TMP/s.h5")" = "$sum"
# A name given by --set is the --set's matter: the refusal names the --set.
expect_exit 0 "a sweep named by --set" "$LESDE" sweep "$SPEC" --store "$TMP/named.h5" --quiet \
  --set sweep.name=renamed --set study.sde.n_obs=3 --set study.train.iters=50
expect_exit 2 "its resume without the --set" "$LESDE" sweep "$SPEC" --store "$TMP/named.h5" --quiet \
  --set study.sde.n_obs=3 --set study.train.iters=50
check "the refusal names the --set, not another sweep" \
  grep -q "holds sweep 'renamed' of another spec .*: it was made with --set sweep.name=renamed --set study.sde.n_obs=3 --set study.train.iters=50, this run has" "$TMP/err"
# A dry run refuses what the sweep would (slurm/submit.sh runs one before it
# submits: a resubmission with other --set fails on the login node, not
# after its wait in the queue); with --new, which replaces the store, not.
expect_exit 2 "dry run on the store without its --set" "$LESDE" sweep "$SPEC" --store "$TMP/s.h5" --dry-run
check "dry run: the sweep's refusal" grep -q "it was made with --set study.sde.n_obs=3, this run has no --set" "$TMP/err"
expect_exit 2 "dry run of another sweep on the store" "$LESDE" sweep "$TMP/other-name.ini" --store "$TMP/s.h5" \
  --dry-run --set study.sde.n_obs=3
expect_exit 0 "dry run with its --set" "$LESDE" sweep "$SPEC" --store "$TMP/s.h5" --dry-run --set study.sde.n_obs=3
expect_exit 0 "dry run with --new" "$LESDE" sweep "$SPEC" --store "$TMP/s.h5" --dry-run --new
echo a,b >"$TMP/data.csv"  # --new replaces only a lesde store: the dry run says so too
expect_exit 2 "dry run with --new on a CSV" "$LESDE" sweep "$SPEC" --store "$TMP/data.csv" --dry-run --new
check "dry run with --new on a CSV: the sweep's refusal" \
  grep -q "data.csv: not an HDF5 file, or damaged (truncated?); --new replaces only a lesde store" "$TMP/err"
check "the CSV untouched" test "$(cat "$TMP/data.csv")" = a,b
expect_exit 2 "submit.sh on the store without its --set" "$ROOT/slurm/submit.sh" "$SPEC" --store "$TMP/s.h5" \
  --lesde "$LESDE" --dry-run
check "submit.sh: the sweep's refusal, nothing submitted" sh -c "grep -q 'it was made with --set study.sde.n_obs=3' '$TMP/err' && grep -q 'nothing submitted' '$TMP/err'"
expect_exit 0 "submit.sh with its --set" "$ROOT/slurm/submit.sh" "$SPEC" --store "$TMP/s.h5" \
  --lesde "$LESDE" --dry-run --set study.sde.n_obs=3
check "store untouched by the dry runs" test "$(md5sum <"$TMP/s.h5")" = "$sum"
expect_exit 0 "same spec resumes (nothing to do)" "$LESDE" sweep "$SPEC" --store "$TMP/s.h5" \
  --quiet --set study.sde.n_obs=3
# A --set value with spaces (a class_ids list): the refusal quotes it, so
# that the --set it names can be pasted back as they stand, and resume.
expect_exit 0 "a sweep with a list in --set" "$LESDE" sweep "$SPEC" --store "$TMP/q.h5" --quiet \
  --set sweep.seeds=0 --set study.train.iters=50 --set "study.train.class_ids=2 0 1"
expect_exit 2 "its resume without them" "$LESDE" sweep "$SPEC" --store "$TMP/q.h5" --quiet
check "the refusal quotes the list" grep -q "it was made with --set sweep.seeds=0 --set study.train.iters=50 --set 'study.train.class_ids=2 0 1', this run" "$TMP/err"
sets=$(sed -n 's/.*it was made with \(.*\), this run has .*/\1/p' "$TMP/err")
check "the --set it names, pasted, resume the store" \
  bash -c "'$LESDE' sweep '$SPEC' --store '$TMP/q.h5' --quiet $sets"
expect_exit 0 "status of it" "$LESDE" status "$TMP/q.h5"
check "status lists them quoted as well" \
  grep -q "^  with --set sweep.seeds=0 --set study.train.iters=50 --set 'study.train.class_ids=2 0 1'$" "$TMP/out"
# description and data_dir change no result: the store resumes.
expect_exit 0 "an edited description resumes" "$LESDE" sweep "$SPEC" --store "$TMP/s.h5" \
  --set study.sde.n_obs=3 --set "sweep.description=edited"
check "edited description: nothing to run" grep -q ", 0 to run" "$TMP/err" "$TMP/out"
expect_exit 0 "--new starts over" "$LESDE" sweep "$SPEC" --store "$TMP/s.h5" --quiet --new
# A spec without 'name =' is named after its file, and the name is hashed:
# the store's readers name it so too, whatever the store's file is called.
grep -v '^name' "$SPEC" >"$TMP/noname.ini"
expect_exit 0 "a spec without a name" "$LESDE" sweep "$TMP/noname.ini" --store "$TMP/other.h5" \
  --quiet --set study.sde.n_obs=3 --set study.train.iters=50
expect_exit 0 "status of its store" "$LESDE" status "$TMP/other.h5"
check "status: the spec's name, no other-version warning" \
  sh -c "grep -q \"sweep 'noname', spec hash\" '$TMP/out' && ! grep -q 'another lesde version' '$TMP/err'"
expect_exit 0 "dry run" "$LESDE" sweep "$SPEC" --dry-run
check "dry run estimates core-hours" grep -q "core-hours" "$TMP/out"
check "dry run prints ranks" grep -q "ranks for a wall time" "$TMP/out"
# its store size: the raw data of the store --new just made of the same
# spec, which adds its metadata (~0.6 MB: datasets, scales, attributes)
mb=$(sed -n 's/^the store: \([0-9.]*\) MB, allocated in full.*/\1/p' "$TMP/out")
check "dry run: the store's size ($mb MB) is the file's ($(stat -c %s "$TMP/s.h5") bytes)" \
  awk -v m="${mb:-0}" -v b="$(stat -c %s "$TMP/s.h5")" 'BEGIN { exit !(m > 0 && b >= (m - 0.05) * 1e6 && b <= m * 1e6 * 1.05 + 1e6) }'
check "dry run times the fit of a study that fits" grep -q "self-benchmark, the fit at K = [0-9]*: [0-9.]* us per training step" "$TMP/out"
check "dry run: no note on a window of 11 checkpoints (below)" sh -c "! grep -q 'note: the reference' '$TMP/out'"
expect_exit 0 "dry run, no fit" "$LESDE" sweep "$SPEC" --dry-run --set study.train.fit=no
check "dry run without a fit times none" sh -c "! grep -q 'the fit at K' '$TMP/out'"
# The reference scalar's window, the last 1,000 iterations, holds all 11 of
# the 300 iterations' checkpoints; with 5 it names them and ref_every's
# records (300 / 10 + 1), and says nothing when ref_every is set.
expect_exit 0 "dry run, 5 checkpoints" "$LESDE" sweep "$SPEC" --dry-run --set study.train.checkpoints=5
check "dry run: the note on a window of 5" sh -c "grep -q \"window (the last 1000 iterations) holds 5 checkpoints;\" '$TMP/out' && grep -q 'ref_every = 10 fits it on 31 records' '$TMP/out'"
expect_exit 0 "dry run, 5 checkpoints and ref_every" "$LESDE" sweep "$SPEC" --dry-run \
  --set study.train.checkpoints=5 --set study.train.ref_every=10
check "dry run: no note with ref_every set" sh -c "! grep -q 'note: the reference' '$TMP/out'"
finish
