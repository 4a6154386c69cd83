#!/usr/bin/env bash
# lesde fit on a CSV (the PyTorch user's path) and on a store agree; bad CSVs
# give one line with the row; lesde simulate reproduces the two sides of the
# separation theorem.
source "$(dirname "$0")/lib.sh"

expect_exit 0 "train" "$LESDE" train --quiet --iters 2000 --train-per-class 60 --val-per-class 30 \
  --checkpoints 41 --probe-per-class 20 --out "$TMP/run.h5"
# A run's means as the CSV a PyTorch log would give: to_csv FILE.h5 T X OUT,
# T and X the datasets of their iterations and means.
to_csv() {
  /usr/bin/python3 - "$@" <<'PY'
import sys, h5py, numpy as np
g = h5py.File(sys.argv[1], "r")["study/train"]
t, x = np.asarray(g[sys.argv[2]])[0], np.asarray(g[sys.argv[3]])[0]
with open(sys.argv[4], "w") as f:
    f.write("t,class," + ",".join(f"x{j}" for j in range(x.shape[2])) + "\n")
    for c in range(len(t)):
        for k in range(x.shape[1]):
            f.write(f"{t[c]},{k}," + ",".join(repr(v) for v in x[c, k]) + "\n")
PY
}
to_csv "$TMP/run.h5" t xbar_probe "$TMP/xbar.csv"
expect_exit 0 "fit a CSV" "$LESDE" fit "$TMP/xbar.csv" --csv "$TMP/a.csv" --out "$TMP/a.h5"
expect_exit 0 "fit a store" "$LESDE" fit "$TMP/run.h5" --csv "$TMP/b.csv"
check "CSV and store fits agree" cmp -s "$TMP/a.csv" "$TMP/b.csv"
check "the fit equals the one lesde train wrote" /usr/bin/python3 -c "
import h5py, numpy as np, sys
a = h5py.File('$TMP/a.h5', 'r'); g = h5py.File('$TMP/run.h5', 'r')['study/train']
ok = all(np.allclose(np.asarray(a['fit/' + n]), np.asarray(g['fit/' + n])[0], rtol=0, atol=0, equal_nan=True)
         for n in ('A', 'B', 'alpha', 'beta', 'alpha_sim', 'beta_sim', 'tail', 'tail_ref0',
                   'tail_local', 'rd_plateau', 'rd_reference', 'rd_t0', 'ref_scale', 'S', 'rd_etf', 'rd_cmean'))
sys.exit(0 if ok else 1)"
check "CSV summary has a row per checkpoint" test "$(grep -vc '^#' "$TMP/a.csv")" -eq 42

# --paths: noisy LE-SDE paths of both models beside the fit (le-sde.md
# section 5); with p != K (the first two coordinates) the L-model is
# undefined: its paths are NaN, as its fit, and the I-model's still come.
expect_exit 0 "fit --paths" "$LESDE" fit "$TMP/xbar.csv" --paths 20 --seed 3 --out "$TMP/p.h5"
check "--paths: the spread said" grep -q "^20 noisy paths: mean std at T across coordinates: I [0-9.e+-]*, L [0-9.e+-]*$" "$TMP/out"
cut -d, -f1-4 "$TMP/xbar.csv" >"$TMP/xbar2.csv"
expect_exit 0 "fit --paths, p != K" "$LESDE" fit "$TMP/xbar2.csv" --paths 20 --seed 3 --out "$TMP/p2.h5"
check "--paths, p != K: said L nan" grep -q "^20 noisy paths: .* I [0-9.e+-]*, L nan$" "$TMP/out"
check "--paths: both models' paths, finite and spread; p != K: I's only" \
  /usr/bin/python3 - "$TMP/p.h5" "$TMP/p2.h5" <<'PY'
import sys, h5py, numpy as np
ok = True
for path, p in zip(sys.argv[1:], (3, 2)):
    f = h5py.File(path, "r")
    m, s = np.asarray(f["fit/paths_mean"]), np.asarray(f["fit/paths_std"])
    ok &= m.shape == s.shape == (2, 41, 3, p)
    ok &= bool(np.all(np.isfinite(m[0])) and np.all(s[0] >= 0) and np.any(s[0] > 0))
    ok &= bool(np.all(np.isfinite(m[1])) if p == 3 else np.all(np.isnan(m[1])) and np.all(np.isnan(s[1])))
sys.exit(0 if ok else 1)
PY

# --ref-every 1: the same run, its probe also recorded at each of the last
# 1,000 iterations, where the reference method fits its scalar; lesde fit of
# the file reads those records and gives the scalar lesde train wrote.
expect_exit 0 "train --ref-every 1" "$LESDE" train --quiet --iters 2000 --train-per-class 60 \
  --val-per-class 30 --checkpoints 41 --probe-per-class 20 --ref-every 1 --out "$TMP/runr.h5"
expect_exit 0 "fit that store" "$LESDE" fit "$TMP/runr.h5" --quiet --out "$TMP/r.h5"
check "records 1001..2000; the same run; only the reference scalar moves; lesde fit agrees" \
  /usr/bin/python3 - "$TMP/run.h5" "$TMP/runr.h5" "$TMP/r.h5" <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r")["study/train"] for p in sys.argv[1:3])
f = h5py.File(sys.argv[3], "r")
t = np.asarray(b["ref_t"])[0]
ok = list(t) == list(range(1001, 2001)) and b["xbar_ref"].shape[1:] == (1000, 3, 3)
ok &= np.array_equal(np.asarray(a["xbar_probe"]), np.asarray(b["xbar_probe"]))
ok &= np.array_equal(np.asarray(b["xbar_ref"])[0, -1], np.asarray(b["xbar_probe"])[0, -1])
ok &= np.array_equal(np.asarray(a["fit/A"]), np.asarray(b["fit/A"]))
sa, sb = np.asarray(a["fit/ref_scale"])[0], np.asarray(b["fit/ref_scale"])[0]
ok &= bool(np.all(np.isfinite(sb)) and np.all(sa != sb))
ok &= np.array_equal(np.asarray(f["fit/ref_scale"]), sb) and int(f.attrs["ref_records"]) == 1000
ok &= int(b.attrs["ref_every"]) == 1 and int(a.attrs["ref_every"]) == 0
print("scalars, checkpoints:", sa, "every iteration:", sb)
sys.exit(0 if ok else 1)
PY
# The same records as a CSV beside the trajectory's (--ref-records): the
# fit of the file lesde train wrote, to the last bit.
to_csv "$TMP/runr.h5" ref_t xbar_ref "$TMP/rec.csv"
expect_exit 0 "fit a CSV with --ref-records" "$LESDE" fit "$TMP/xbar.csv" --ref-records "$TMP/rec.csv" \
  --out "$TMP/rc.h5"
check "--ref-records: the count said" grep -q "K = 3, p = 3; 1000 records of the reference window" "$TMP/out"
check "--ref-records: the fit lesde train --ref-every 1 wrote" /usr/bin/python3 -c "
import h5py, numpy as np, sys
a = h5py.File('$TMP/rc.h5', 'r'); g = h5py.File('$TMP/runr.h5', 'r')['study/train']
ok = all(np.array_equal(np.asarray(a['fit/' + n]), np.asarray(g['fit/' + n])[0], equal_nan=True)
         for n in ('A', 'rd_plateau', 'rd_reference', 'ref_scale', 'sim_reference'))
sys.exit(0 if ok and int(a.attrs['ref_records']) == 1000 else 1)"
expect_exit 2 "--ref-records with a store" "$LESDE" fit "$TMP/run.h5" --ref-records "$TMP/rec.csv"
check "--ref-records with a store: why" grep -q "goes with a CSV INPUT" "$TMP/err"
sed -n '1p;/^1[0-4][0-9][0-9],/p' "$TMP/rec.csv" >"$TMP/rec-early.csv"  # iterations 1001..1499
sed -i '2s/^1001,/999,/;3s/^1001,/999,/;4s/^1001,/999,/' "$TMP/rec-early.csv"
expect_exit 2 "--ref-records before the window" "$LESDE" fit "$TMP/xbar.csv" --ref-records "$TMP/rec-early.csv"
check "--ref-records before the window: named" grep -q "records at t = 999 .. 1499, outside the reference window, the last 1000 iterations: \[1000, 2000\]" "$TMP/err"
cut -d, -f1-4 "$TMP/rec.csv" >"$TMP/rec-p2.csv"
expect_exit 2 "--ref-records of other logits" "$LESDE" fit "$TMP/xbar.csv" --ref-records "$TMP/rec-p2.csv"
check "--ref-records of other logits: named" grep -q "rec-p2.csv: 3 classes of 2 logits, INPUT has 3 of 3" "$TMP/err"
sed '2,4s/^1001,/1001.5,/' "$TMP/rec.csv" >"$TMP/rec-off.csv"
expect_exit 2 "--ref-records off the grid" "$LESDE" fit "$TMP/xbar.csv" --ref-records "$TMP/rec-off.csv"
check "--ref-records off the grid: named" grep -q "tail record 0 (t = 1001.5) is not an iteration" "$TMP/err"

# The report's seed-averaged fit uses the records too: of one seed it is
# the run's own fit, whose reference RD differs from the checkpoints' one.
expect_exit 0 "report of both files" sh -c "'$LESDE' report '$TMP/run.h5' --out '$TMP/rep0' --quiet &&
  '$LESDE' report '$TMP/runr.h5' --out '$TMP/rep1' --quiet"
check "seedavg.csv: the reference RD of the run's own fit, records or not" \
  /usr/bin/python3 - "$TMP" <<'PY'
import csv, sys, h5py, numpy as np
ok, got = True, []
for run, rep in (("run", "rep0"), ("runr", "rep1")):
    (row,) = csv.DictReader(open(f"{sys.argv[1]}/{rep}/seedavg.csv"))
    g = h5py.File(f"{sys.argv[1]}/{run}.h5", "r")["study/train"]
    own = np.asarray(g["fit/rd_reference"])[0, 1, -1, :].mean()  # L-est/L-ODE at T
    got.append(float(row["rd_reference_LL_mean"]))
    ok &= abs(got[-1] - own) <= 1e-5 * abs(own)  # the table's 6 digits
print("seed-averaged reference RD, checkpoints and records:", got)
sys.exit(0 if ok and got[0] != got[1] else 1)
PY
# lesde fit of a sweep's task uses its study's fit settings (none of them
# the defaults here) and seed, as the sweep did: the same fit, bit for bit;
# an option given still wins.
cat >"$TMP/fk.ini" <<'EOF'
[sweep]
name = fitkeys
seeds = 3..4
[study.k]
kind = train
classes = 3
train_per_class = 30
val_per_class = 10
probe_per_class = 10
iters = 400
checkpoints = 41
plateau_factor = 1.5
sg_order = 3
sg_window = 61
sim_window = 31
tail_frac = 0.2
ref_paths = 20
EOF
expect_exit 0 "sweep with its own fit settings" "$LESDE" sweep "$TMP/fk.ini" --store "$TMP/fk.h5" --quiet
expect_exit 0 "fit its task 1" "$LESDE" fit "$TMP/fk.h5" --task 1 --quiet --out "$TMP/fk1.h5"
expect_exit 0 "fit its task 1, --plateau-factor 10" "$LESDE" fit "$TMP/fk.h5" --task 1 --quiet \
  --plateau-factor 10 --out "$TMP/fk10.h5"
check "fit STORE --task 1 is the sweep's fit of it; --plateau-factor 10 changes it" \
  /usr/bin/python3 - "$TMP/fk.h5" "$TMP/fk1.h5" "$TMP/fk10.h5" <<'PY'
import h5py, numpy as np, sys
g = h5py.File(sys.argv[1], "r")["study/k/fit"]
def differ(path):
    f, bad = h5py.File(path, "r")["fit"], []
    for name in ("A", "B", "S", "alpha", "beta", "alpha_sim", "beta_sim", "tail", "tail_ref0",
                 "tail_local", "rd_plateau", "rd_reference", "rd_t0", "rd_etf",
                 "ref_scale", "sim_plateau", "sim_reference"):
        a, b = g[name][1], f[name][()]  # task 1, seed 4 (no axis: [seed, ...])
        if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
            bad.append(name)
    return bad
same, other = differ(sys.argv[2]), differ(sys.argv[3])
print("differ from the sweep's fit:", same, "; with --plateau-factor 10:", other)
sys.exit(0 if not same and "rd_plateau" in other else 1)
PY

# Bad CSVs: exit 2, one line "file:line: ..." naming the row.
bad_csv() { # bad_csv NAME LINE CONTENT [fit options]
  local name=$1 line=$2 content=$3; shift 3
  printf '%b' "$content" >"$TMP/$name.csv"
  expect_exit 2 "bad CSV $name" "$LESDE" fit "$TMP/$name.csv" "$@"
  check "bad CSV $name: line $line named" grep -q "$name.csv:$line:" "$TMP/err"
  check "bad CSV $name: one line" test "$(wc -l <"$TMP/err")" -eq 1
}
H='t,class,x0,x1\n'
bad_csv ragged 3 "${H}0,0,1,2\n0,1,3\n"
bad_csv nonnumeric 3 "${H}0,0,1,2\n0,1,3,abc\n"
bad_csv nan 3 "${H}0,0,1,2\n0,1,3,NaN\n"
check "bad CSV nan: says not finite" grep -q "x1 = 'NaN' is not a finite number" "$TMP/err"
bad_csv inf 4 "${H}0,0,1,2\n0,1,3,4\n10,0,inf,2\n10,1,3,4\n"
bad_csv unsorted 6 "${H}0,0,1,2\n0,1,3,4\n10,0,1,2\n10,1,3,4\n5,0,1,2\n5,1,3,4\n"
bad_csv duplicate 5 "${H}0,0,1,2\n0,1,3,4\n10,0,1,2\n10,0,1,2\n"
bad_csv missing_class 4 "${H}0,0,1,2\n0,1,3,4\n10,0,1,2\n20,0,1,2\n20,1,3,4\n"
bad_csv uneven 8 "${H}0,0,1,2\n0,1,3,4\n10,0,1,2\n10,1,3,4\n20,0,1,2\n20,1,3,4\n35,0,1,2\n35,1,3,4\n"
bad_csv header 1 "time,class,x0\n0,0,1\n"
bad_csv one_checkpoint 2 "${H}0,0,1,2\n0,1,3,4\n"
bad_csv one_class 2 "${H}0,0,1,2\n10,0,1,2\n20,0,1,2\n"
bad_csv negative_t 2 "${H}-10,0,1,2\n-10,1,3,4\n0,0,1,2\n0,1,3,4\n"
check "bad CSV negative_t: says t counts iterations" grep -q "t = -10 is negative: t counts iterations" "$TMP/err"
printf 't,class,x0,x1\n0,0,1,2\n0,1,3,4\n10,0,1.5,2\n10,1,3,4.5\n20,0,2,2\n20,1,3,5\n35,0,3,2\n35,1,3,6\n' >"$TMP/uneven_ok.csv"
expect_exit 0 "uneven accepted with --interpolate" "$LESDE" fit "$TMP/uneven_ok.csv" --interpolate
expect_exit 2 "missing input" "$LESDE" fit "$TMP/none.csv"
for bad in "--sim-window 0" "--plateau-factor 1" "--ref-paths 0" "--sg-window -3"; do
  expect_exit 2 "fit $bad" "$LESDE" fit "$TMP/xbar.csv" $bad
  check "fit $bad: names the option" grep -q -- "${bad%% *}" "$TMP/err"
done

# The separation theorem at t = 1e12: s = 0.5 separates, s = 1.5 does not.
expect_exit 0 "simulate s=0.5" "$LESDE" simulate --s 0.5 --T 1e12 --n-obs 5 --reps 10 --out "$TMP/s.h5"
check "s=0.5: P(separable) = 1 at T" sh -c "grep -F 1e+12 '$TMP/out' | awk '{ exit !(\$1 == 1e12 && \$2 == 1) }'"
check "simulate wrote a store" sh -c "'$LESDE' status '$TMP/s.h5' | grep -q 'total: 10 done'"
expect_exit 0 "simulate s=1.5" "$LESDE" simulate --s 1.5 --T 1e12 --n-obs 5 --reps 10
check "s=1.5: P(separable) = 0 at T" sh -c "tail -1 '$TMP/out' | awk '{ exit !(\$2 == 0) }'"
expect_exit 2 "simulate L-model with p != K" "$LESDE" simulate --p 5 --model L
check "L-model p != K: says so" grep -q "^lesde: simulate: the L-model needs p = classes, not p = 5 with classes = 3" "$TMP/err"
expect_exit 2 "simulate bad number" "$LESDE" simulate --s abc
check "bad number: says so" grep -q "^lesde: simulate: 'abc' is not a number (see 'lesde simulate --help')" "$TMP/err"
finish
