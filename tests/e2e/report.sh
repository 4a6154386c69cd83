#!/usr/bin/env bash
# lesde report: a tiny sweep of both kinds, then the report. Every expected
# figure is a valid, non-empty PNG with its .gp/.dat beside it and is shown
# by index.html; summary.csv has one row per train grid point and the
# documented columns; absent kinds are skipped with a line; errors exit with
# the documented codes.
source "$(dirname "$0")/lib.sh"
SPEC=$ROOT/tests/specs/report.ini
STORE=$TMP/r.h5
OUT=$TMP/report  # not $TMP/out: expect_exit writes stdout there
expect_exit 0 "sweep" "$LESDE" sweep "$SPEC" --store "$STORE" --quiet

expect_exit 0 "report" "$LESDE" report "$STORE" --out "$OUT"
cp "$TMP/out" "$TMP/report.out"

is_png() { # a PNG signature and a non-empty file
  [ -s "$1" ] && [ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = "89504e470d0a1a0a" ]
}
figs="fig2-pollution fig3a-pollution fig3b-pollution fig3cd-pollution fig3ref0-pollution
      fig3final-pollution imit-pollution imitk-pollution tailt-pollution fig4plateau-pollution
      fig4seedsplateau-pollution fig4reference-pollution fig4seedsreference-pollution
      fig5-pollution fig5kplateau-pollution fig5kreference-pollution collapse-pollution
      lengths-pollution plateau-pollution
      gamma-gamma sept-gamma sept-boundary tailorder-pollution"
for f in $figs; do
  check "$f.png is a PNG" is_png "$OUT/$f.png"
  check "$f.gp kept" test -s "$OUT/$f.gp"
  check "$f.dat kept" test -s "$OUT/$f.dat"
done
n=$(ls "$OUT"/*.png | wc -l)
check "23 figures, not $n" test "$n" -eq 23
check "a 'wrote' line for each of the 23 PNGs" test "$(grep '^wrote .*\.png$' "$TMP/report.out" | sed 's/^wrote //' | sort)" = \
  "$(ls "$OUT"/*.png | sort)"
check "fig5k: a panel per class" test "$(grep -c "^set title 'class " "$OUT/fig5kplateau-pollution.gp")" -eq 3
check "fig4 names the median-RD seed" grep -q "seed [01] (median RD of 2 seeds)" "$OUT/fig4plateau-pollution.gp"
check "fig4seeds: a panel per seed" test "$(grep -c "^set title 'seed " "$OUT/fig4seedsplateau-pollution.gp")" -eq 2
# More seeds than fig4seeds draws (24): 26 seeds at one p_err; the panels
# are 24 seeds spread over the ranking by final RD, lowest first (the
# caption says so), and the caption's count is over all 26.
expect_exit 0 "sweep, 26 seeds" "$LESDE" sweep "$SPEC" --set sweep.seeds=0..25 \
  --set study.pollution.p_err=0 --set study.gamma.n_obs=1 --set study.boundary.n_obs=1 \
  --store "$TMP/s26.h5" --quiet
expect_exit 0 "report, 26 seeds" "$LESDE" report "$TMP/s26.h5" --out "$TMP/r26" --quiet
gp26=$TMP/r26/fig4seedsplateau-pollution.gp
check "fig4seeds: 24 panels of 26 seeds" test "$(grep -c "^set title 'seed " "$gp26")" -eq 24
sed -n "s/^set title 'seed [0-9]*: RD \([-0-9.naif]*\) .*/\1/p" "$gp26" >"$TMP/rd26"
check "fig4seeds: panels by final RD, lowest first (NaN last)" bash -c \
  "grep -v nan '$TMP/rd26' | sort -c -g && ! grep -n nan '$TMP/rd26' | awk -F: -v n=\$(grep -vc nan '$TMP/rd26') '\$1 <= n' | grep -q ."
check "fig4seeds: the caption says how the seeds were chosen, and counts all 26" \
  grep -q "for 24 seeds, spread evenly over the ranking of all done seeds by final RD, lowest first.*of the [0-9]* seeds with a finite RD (all done seeds" "$TMP/r26/index.html"
check "sept-gamma: a curve per s" test "$(grep -c "title 's = " "$OUT/sept-gamma.gp")" -eq 2
check "sept-boundary: one curve named after its study" grep -q "title 'boundary'" "$OUT/sept-boundary.gp"
for p in "$OUT"/*.png; do
  check "index shows $(basename "$p")" grep -qF "<img src=\"$(basename "$p")\"" "$OUT/index.html"
done
check "index links summary.csv" grep -qF 'href="summary.csv"' "$OUT/index.html"
check "index has the spec hash" grep -qF "$(h5dump -a /spec_hash "$STORE" 2>/dev/null |
  sed -n 's/.*(0): "\([0-9a-f]*\)".*/\1/p')" "$OUT/index.html"
check "index has no external resources" bash -c "! grep -qiE '(src|href)=\"(https?:)?//' '$OUT/index.html'"

# summary.csv: a header and one row per grid point (2), 37 columns each.
check "summary.csv: 3 lines" test "$(wc -l <"$OUT/summary.csv")" -eq 3
check "summary.csv: 37 columns" test "$(awk -F, '{print NF}' "$OUT/summary.csv" | sort -u)" = 37
# the seeds with every class pair separable: a whole count of the seeds,
# and Wilson's interval around it, never a point (2 seeds say little)
check "summary.csv: all pairs separable, k/n with Wilson's interval" /usr/bin/python3 - "$OUT/summary.csv" <<'PY'
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    p, lo, hi, n = (float(r[k]) for k in ("sep_all", "sep_all_lo", "sep_all_hi", "sep_all_n"))
    assert n == 2 and abs(p * n - round(p * n)) < 1e-12, r
    assert 0 <= lo <= p <= hi <= 1 and hi - lo > 0.5, r
PY
check "summary.md: the column, as k/n [lo, hi]" \
  grep -Eq '^\| 3 \| 0 \|.* \| [0-2]/2 \[[0-9.e-]+, [0-9.e-]+\] \|$' "$OUT/summary.md"
check "summary.csv: tail medians and IQR" grep -q ',r_gamma_L,r_gamma_L_q25,r_gamma_L_q75,' "$OUT/summary.csv"
# The LE tables: every start x simulation per point, one row per done task,
# the seed-averaged fit per point.
check "imitation.csv: 2 points x 3 starts x 3 simulations" test "$(wc -l <"$OUT/imitation.csv")" -eq 19
check "imitation.csv header" grep -q '^study,point,start,sim,n_done,rd_median,rd_q25,rd_q75,beats_both_baselines,' "$OUT/imitation.csv"
# imitation_k.csv: the same per class, each value recomputed here from the
# store's per-seed RD_k at the point's last checkpoint (numpy's linear
# percentiles, as report_quantiles).
check "imitation_k.csv: 2 points x 3 classes x 3 starts x 3 simulations" test "$(wc -l <"$OUT/imitation_k.csv")" -eq 55
check "imitation_k.csv header" grep -q '^study,point,start,sim,class,n_done,rd_median,rd_q25,rd_q75,beats_both_baselines,all_finite,etf_median,' "$OUT/imitation_k.csv"
imit_k_check() { PYTHONPATH="$ROOT/tests" /usr/bin/python3 - "$STORE" "$OUT/imitation_k.csv" <<'PY'
import csv, h5py, numpy as np, sys
from wilson import wilson
f = h5py.File(sys.argv[1], "r")
g = f["study/pollution"]
t = np.asarray(g["t"])
sims = ["I-est/L-ODE", "L-est/L-ODE", "I-est/I-ODE"]
def close(a, b):
    return np.isnan(a) and np.isnan(b) or abs(a - b) <= 1e-5 * max(1.0, abs(b))
rows = list(csv.DictReader(open(sys.argv[2])))
points = sorted({r["point"] for r in rows}, key=[r["point"] for r in rows].index)
bad = 0
for r in rows:
    p, k = points.index(r["point"]), int(r["class"])
    last = int(np.sum(t[p, 0] >= 0)) - 1
    rd = np.asarray(g["fit/rd_" + r["start"]])[p, :, sims.index(r["sim"]), last, k]
    etf = np.asarray(g["fit/rd_etf"])[p, :, last, k]
    cm = np.asarray(g["fit/rd_cmean"])[p, :, last, k]
    beats = int(np.sum(rd < np.minimum(etf, cm)))
    # report_quantiles: over the finite values (a plateau start may be undefined)
    q = lambda a, x: np.percentile(a[np.isfinite(a)], x) if np.isfinite(a).any() else np.nan
    want = [q(rd, 50), q(rd, 25), q(rd, 75), q(etf, 50)]
    got = [float(r[c]) for c in ("rd_median", "rd_q25", "rd_q75", "etf_median")]
    if not all(close(a, b) for a, b in zip(got, want)) or int(r["beats_both_baselines"]) != beats:
        print("row", r, "want", want, beats); bad += 1
    # Wilson's 95% interval of beats / all_finite
    n = int(r["all_finite"])
    if n > 0:
        lo, hi = wilson(beats, n)
        if not (close(float(r["beats_both_lo"]), lo) and close(float(r["beats_both_hi"]), hi)):
            print("wilson", r, lo, hi); bad += 1
sys.exit(1 if bad or len(rows) != 54 else 0)
PY
}
check "imitation_k.csv: medians, IQR and counts from the store's RD_k" imit_k_check
# collapse: per grid point t, then the median, q25 and q75 across seeds of
# the store's etf_dev at every checkpoint (numpy's percentiles over the
# finite values), to the 9 digits the file has.
collapse_check() { /usr/bin/python3 - "$STORE" "$OUT/collapse-pollution.dat" <<'PY'
import h5py, numpy as np, sys
g = h5py.File(sys.argv[1], "r")["study/pollution"]
t, etf = np.asarray(g["t"]), np.asarray(g["fit/etf_dev"])
blocks = [b for b in open(sys.argv[2]).read().split("\n\n\n") if b.strip()]
bad = 0
if len(blocks) != etf.shape[0]:
    print("blocks", len(blocks), etf.shape); sys.exit(1)
for p, b in enumerate(blocks):
    rows = np.array([[float(v) for v in l.split()] for l in b.splitlines() if l and l[0] != "#"])
    n = int(np.sum(t[p, 0] >= 0))
    want = np.column_stack([t[p, 0, :n]] + [np.nanpercentile(etf[p, :, :n], q, axis=0) for q in (50, 25, 75)])
    if rows.shape != want.shape or not np.allclose(rows, want, rtol=1e-8, atol=1e-12, equal_nan=True):
        print("point", p, rows.shape, want.shape); bad += 1
sys.exit(1 if bad else 0)
PY
}
check "collapse: median and IQR across seeds of the store's etf_dev" collapse_check
# collapse.csv: every value recomputed from the store's validation class
# means at each seed's last validation checkpoint, and from the probe's
# logits at its last snapshot (the 2-seed and the 26-seed report), to the 6
# digits the file has.
nc_check() { /usr/bin/python3 - "$1" "$2" <<'PY'
import csv, h5py, numpy as np, sys
g = h5py.File(sys.argv[1], "r")["study/pollution"]
X, vt = np.asarray(g["xbar_val"]), np.asarray(g["val_t"])
pa, tp = np.asarray(g["probe_acc"]), np.asarray(g["t"])
Z, sc, y = np.asarray(g["snap_logits"]), np.asarray(g["snap_checkpoint"]), np.asarray(g["probe_clean_label"])
if X.ndim == 4:  # p_err fixed: no grid axis
    X, vt, pa, tp, Z, sc, y = X[None], vt[None], pa[None], tp[None], Z[None], sc[None], y[None]
pe = np.asarray(g["p_err"]) if "p_err" in g else [0.0]
rows = list(csv.DictReader(open(sys.argv[2])))
def centred(A):
    return np.linalg.norm(A - A.mean(-1, keepdims=True), axis=-1).mean(-1)
def probe(p, s, K):  # at the last snapshot, which is the probe's last checkpoint
    j, last = np.nonzero(sc[p, s] >= 0)[0][-1], np.nonzero(tp[p, s] >= 0)[0][-1]
    assert sc[p, s, j] == last, (p, s, sc[p, s], last)
    z, lab = Z[p, s, j][:, :K], y[p, s]
    pr = np.exp(z - z.max(1, keepdims=True)); pr /= pr.sum(1, keepdims=True)
    ml = np.array([z[lab == k].mean(0) for k in range(K)])
    mp = np.array([pr[lab == k].mean(0) for k in range(K)])
    return centred(ml), centred(np.log(mp)), np.diag(mp).mean()
assert len(rows) == X.shape[0], (len(rows), X.shape)
def close(a, b):
    return (np.isnan(a) and np.isnan(b)) or abs(a - b) <= 1e-5 * max(abs(b), 1e-12)
for p, r in enumerate(rows):
    K = int(r["K"]); iu = np.triu_indices(K, 1)
    M = np.array([X[p, s, np.nonzero(vt[p, s] >= 0)[0][-1], :K, :K] for s in range(X.shape[1])])
    n = np.linalg.norm(M, axis=-1)
    cos = (np.einsum("skj,slj->skl", M, M) / (n[:, :, None] * n[:, None, :]))[:, iu[0], iu[1]]
    dev = np.abs(cos + 1 / (K - 1))
    C = M - M.mean(-1, keepdims=True)
    length = np.linalg.norm(C, axis=-1).mean(-1)
    far = np.bincount(np.argmax(dev, -1), minlength=len(iu[0]))
    fp = int(np.argmax(far))
    p_err = float(r["p_err"])
    assert p_err == float("%.6g" % pe[p]), (p, r["p_err"], pe[p])
    cal = abs(np.log((1 - p_err) * (K - 1) / p_err)) * np.sqrt((K - 1) / K) if 0 < p_err < 1 else np.nan
    want = dict(n_done=len(M), norm_calibrated=cal, farthest_pair_cos_median=np.median(cos[:, fp]))
    acc = [pa[p, s, np.nonzero(tp[p, s] >= 0)[0][-1]] for s in range(X.shape[1])]
    pm = np.array([probe(p, s, K) for s in range(X.shape[1])])
    for q, name in ((50, "median"), (25, "q25"), (75, "q75")):
        want["etf_val_" + name] = np.percentile(dev.max(-1), q)
        want["norm_val_" + name] = np.percentile(length, q)
        want["probe_acc_" + name] = np.percentile(acc, q)
        for w, m in enumerate(("logit", "logprob")):
            want["probe_norm_%s_%s" % (m, name)] = np.percentile(pm[:, w], q)
        want["probe_ptrue_" + name] = np.percentile(pm[:, 2], q)
    for k, v in want.items():
        assert close(float(r[k]), float(v)), (p, k, r[k], v)
    assert r["farthest_pair"] == "%d-%d" % (iu[0][fp], iu[1][fp]), (p, r["farthest_pair"], far)
    assert int(r["farthest_pair_seeds"]) == far[fp], (p, r["farthest_pair_seeds"], far)
PY
}
check "collapse.csv: from the store's validation class means" nc_check "$STORE" "$OUT/collapse.csv"
# lengths: the centred length of the validation class means at every
# validation checkpoint, median and IQR over the seeds, recomputed from the
# store; a dashed line at the calibrated length where it is positive.
lengths_check() { /usr/bin/python3 - "$STORE" "$OUT/lengths-pollution.dat" <<'PY'
import h5py, numpy as np, sys
g = h5py.File(sys.argv[1], "r")["study/pollution"]
X, vt = np.asarray(g["xbar_val"]), np.asarray(g["val_t"])
blocks = [b for b in open(sys.argv[2]).read().split("\n\n\n") if b.strip()]
assert len(blocks) == X.shape[0], (len(blocks), X.shape)
for p, b in enumerate(blocks):
    rows = np.array([[float(v) for v in l.split()] for l in b.splitlines() if l and l[0] != "#"])
    L = np.linalg.norm(X[p] - X[p].mean(-1, keepdims=True), axis=-1).mean(-1)  # [seed][t]
    q = np.percentile(L, [50, 25, 75], axis=0).T
    keep = (vt[p, 0] > 0) & (q[:, 0] > 0)
    want = np.column_stack([vt[p, 0][keep], q[keep]])
    assert rows.shape == want.shape and np.allclose(rows, want, rtol=1e-8, atol=0), (p, rows.shape, want.shape)
PY
}
check "lengths: the validation means' centred length from the store" lengths_check
# plateau.csv: the end of the plateau of every point recomputed from the
# store's fit/plateau_t, a seed that never left it counting as +inf
# (tests/e2e/censored.py);
# the figure's dotted line starts from the clean point's median.
plateau_check() { PYTHONPATH=$ROOT/tests/e2e /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import csv, h5py, numpy as np, sys
from censored import quantile
g = h5py.File(sys.argv[1], "r")["study/pollution"]
pt, st = np.asarray(g["fit/plateau_t"]), np.asarray(g["status"])
pe, K = np.asarray(g["p_err"]), int(g.attrs["classes"])
rows = list(csv.DictReader(open(sys.argv[2])))
assert len(rows) == len(pe), (len(rows), pe)
for p, r in enumerate(rows):
    v = pt[p][st[p] == 1]
    ended = int(np.isfinite(v).sum()); v = np.where(np.isfinite(v), v, np.inf)
    rho = pe[p] * K / (K - 1)
    assert int(r["n_done"]) == len(v) and int(r["n_ended"]) == ended, (p, r)
    assert abs(float(r["rho"]) - float("%.6g" % rho)) == 0, (p, r["rho"], rho)
    for q, name in ((0.5, "median"), (0.25, "q25"), (0.75, "q75")):
        want, got = quantile(v, q), float(r["t_" + name])
        assert got == want or np.isfinite(want) and abs(got - want) <= 1e-5 * abs(want), (p, name, got, want)
    prod = quantile(v, 0.5) * abs(1 - rho)
    got = float(r["t_median_x_abs_1_rho"])
    assert got == prod or np.isfinite(prod) and abs(got - prod) <= 1e-5 * abs(prod), (p, got, prod)
clean = [float(r["t_median"]) for r in rows if float(r["rho"]) == 0]
gp = open(sys.argv[3]).read()
assert clean and ("%.9g / x with lines dt 3" % clean[0]) in gp, (clean, gp[-400:])
PY
}
check "plateau.csv: from the store's fit/plateau_t" plateau_check "$STORE" "$OUT/plateau.csv" "$OUT/plateau-pollution.gp"
check "summary.md: the plateau table" grep -q "^## Study pollution: the end of the initial plateau" "$OUT/summary.md"

# plateausize: the same study with the training set's size as an axis; each
# line of the figure (one per p_err) recomputed from the store, a median
# beyond T drawn at T and flagged. And a study of one p_err still has its
# rows in plateau.csv (and no plateau figure: nothing to draw it against).
size_check() { PYTHONPATH=$ROOT/tests/e2e /usr/bin/python3 - "$1" "$2" <<'PY'
import h5py, numpy as np, sys
from censored import quantile
g = h5py.File(sys.argv[1], "r")["study/pollution"]
pt, st, t = np.asarray(g["fit/plateau_t"]), np.asarray(g["status"]), np.asarray(g["t"])
n = np.asarray(g["train_per_class"])
blocks = [[list(map(float, l.split())) for l in b.splitlines() if l and not l.startswith("#")]
          for b in open(sys.argv[2]).read().split("\n\n\n")]
assert len(blocks) == pt.shape[0], (len(blocks), pt.shape)  # a line per p_err
beyond = 0
for p, rows in enumerate(blocks):
    assert [r[0] for r in rows] == list(n), (p, rows)
    for i, r in enumerate(rows):
        v = pt[p, i][st[p, i] == 1]
        v = np.where(np.isfinite(v), v, np.inf)
        T = t[p, i, np.argmax(st[p, i] == 1)].max()
        want = [quantile(v, q) for q in (0.5, 0.25, 0.75)]
        beyond += r[4] == 1
        assert r[4] == (0 if np.isfinite(want[0]) else 1), (p, i, r, want)
        want = [w if np.isfinite(w) else T for w in want]
        assert np.allclose(r[1:4], want, rtol=1e-8, atol=0), (p, i, r, want)
print("medians beyond T:", beyond)
PY
}
SIZE=$TMP/size.h5
expect_exit 0 "sweep, train_per_class an axis" "$LESDE" sweep "$SPEC" --store "$SIZE" --quiet \
  --set study.pollution.train_per_class=20,40
expect_exit 0 "report of it" "$LESDE" report "$SIZE" --out "$TMP/size"
check "plateausize: a PNG" is_png "$TMP/size/plateausize-pollution.png"
check "plateausize: every line from the store" size_check "$SIZE" "$TMP/size/plateausize-pollution.dat"
# plateausize.csv / plateausize_pairs.csv: the slowing toward p* (median x
# |1 - rho| over the clean median of the same size) of each size, and its
# change between the two sizes, recomputed from the store, the bootstrap
# interval too: the report's fixed stream (splitmix64 of a counter) drawn
# again here, and its expanded percentile interval for m = 4 seeds
# (tail Phi(-sqrt(4/3) t(0.975; 3)), t from a table). 4 seeds at p_err 0.3,
# 20 and 40 per class: some never leave the plateau, so the censoring and
# an upper bound beyond T are checked too.
ratio_check() { PYTHONPATH=$ROOT/tests/e2e /usr/bin/python3 - "$@" <<'PY'
import csv, math, h5py, numpy as np, statistics, sys
from censored import quantile
g = h5py.File(sys.argv[1], "r")["study/pollution"]
pt, st = np.asarray(g["fit/plateau_t"]), np.asarray(g["status"])  # [p_err][n][seed]
pe, K = np.asarray(g["p_err"]), int(g.attrs["classes"])
S = pt.shape[-1]
assert S == 4 and list(pe) == [0, 0.3] and (st == 1).all(), (S, pe)
def med(p, i, seeds):
    v = [pt[p, i, s] for s in seeds]
    return quantile(np.where(np.isfinite(v), v, np.inf), 0.5)
def ratio(i, seeds):  # p_err 0.3 over the clean point, both at size i
    t0 = med(0, i, seeds)
    return math.nan if not math.isfinite(t0) else med(1, i, seeds) * abs(1 - 0.3 * K / (K - 1)) / t0
M = (1 << 64) - 1
def mix(x):
    x = (x + 0x9E3779B97F4A7C15) & M
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M
    return x ^ (x >> 31)
tail = statistics.NormalDist().cdf(-math.sqrt(4 / 3) * 3.182446305)
def spread(f):
    est, b, ctr = f(range(S)), [], 0
    for _ in range(10000):
        d = []
        for _ in range(S):
            ctr += 1
            d.append(mix((0x9E3779B97F4A7C15 * ctr) & M) % S)
        b.append(f(d))
    undef = math.nan if math.isnan(est) else sum(math.isnan(x) for x in b) / len(b)
    b = np.sort([x for x in b if not math.isnan(x)])
    return est, [quantile(b, q) for q in (tail, 1 - tail)], undef
def same(got, want):
    got = float(got)
    return got == want or math.isnan(got) and math.isnan(want) or \
        math.isfinite(want) and abs(got - want) <= 1e-5 * abs(want)
rows = list(csv.DictReader(open(sys.argv[2])))
assert [(r["train_per_class"], r["p_err"]) for r in rows] == [("20", "0.3"), ("40", "0.3")], rows
for i, r in enumerate(rows):
    est, (lo, hi), undef = spread(lambda d: ratio(i, d))
    assert same(r["t_median"], med(1, i, range(S))) and same(r["t_median_clean"], med(0, i, range(S))), r
    assert same(r["ratio"], est) and same(r["ratio_lo"], lo) and same(r["ratio_hi"], hi), (r, est, lo, hi)
    assert same(r["boot_undefined"], undef), (r, undef)
    print("ratio at", r["train_per_class"], "per class:", est, [lo, hi], "undefined resamples:", undef)
pairs = list(csv.DictReader(open(sys.argv[3])))
assert len(pairs) == 1 and (pairs[0]["train_per_class_a"], pairs[0]["train_per_class_b"]) == ("20", "40"), pairs
r = pairs[0]
est, (lo, hi), undef = spread(lambda d: ratio(1, d) - ratio(0, d))
assert same(r["ratio_a"], ratio(0, range(S))) and same(r["ratio_b"], ratio(1, range(S))), r
assert same(r["b_minus_a"], est) and same(r["b_minus_a_lo"], lo) and same(r["b_minus_a_hi"], hi), (r, est, lo, hi)
assert same(r["boot_undefined"], undef), (r, undef)
print("difference:", est, [lo, hi], "undefined resamples:", undef)
PY
}
RATIO=$TMP/ratio.h5
expect_exit 0 "sweep, 4 seeds x 2 sizes x p_err 0, 0.3" "$LESDE" sweep "$SPEC" --store "$RATIO" --quiet \
  --set sweep.seeds=0..3 --set study.pollution.train_per_class=20,40 --set study.pollution.p_err=0,0.3
expect_exit 0 "report of it" "$LESDE" report "$RATIO" --out "$TMP/ratio"
check "plateausize.csv and its pairs: from the store" \
  ratio_check "$RATIO" "$TMP/ratio/plateausize.csv" "$TMP/ratio/plateausize_pairs.csv"
# Mid-sweep: the clean point at 40 per class not done, so only 20 per
# class has a ratio and no line has two sizes: the pairs table says so.
/usr/bin/python3 -c "import h5py, sys; g = h5py.File(sys.argv[1], 'r+')['study/pollution']; s = g['status']; a = s[...]; a[0, 1, :] = 0; s[...] = a" "$RATIO"
expect_exit 0 "report of it mid-sweep" "$LESDE" report "$RATIO" --out "$TMP/ratio-part"
check "mid-sweep: p_hat* of 40 per class skipped, saying why" grep -Eq \
  "^skipped p_hat\* for study pollution, .*40.*: fewer than 2 p_err values with done tasks and summaries$" "$TMP/out"
check "plateausize.csv mid-sweep: the one size with a clean point" \
  test "$(grep -c '^pollution,' "$TMP/ratio-part/plateausize.csv")" -eq 1
check "plateausize pairs mid-sweep: none, and summary.md says why" \
  grep -q "No line has two sizes with a ratio yet" "$TMP/ratio-part/summary.md"
check "summary.md: the plateausize tables" \
  grep -q "^## Study pollution: the slowing toward p\\* against the training set's size" "$TMP/ratio/summary.md"
check "summary.md: an interval that left resamples out says how many (the pairs: 50%)" \
  grep -q "^| .* | 20 -> 40 | .* | inf \\[[0-9.]*, inf\\] (50% of resamples undefined) |$" "$TMP/ratio/summary.md"
check "no plateausize.csv without a train_per_class axis" test ! -e "$OUT/plateausize.csv"
check "skipped plateausize without the axis" \
  grep -q '^skipped plateausize: no fitted train study with a train_per_class axis' "$TMP/report.out"
# A fitted study with the axes but no done task (only the other study ran)
# is skipped for that, not as if there were no such study.
expect_exit 0 "sweep, only gamma" "$LESDE" sweep "$SPEC" --study gamma --store "$TMP/gonly.h5" \
  --quiet --set study.pollution.train_per_class=20,40 --set study.gamma.n_obs=1
expect_exit 0 "report of it" "$LESDE" report "$TMP/gonly.h5" --out "$TMP/gonly" \
  --only plateau,plateausize
for k in plateau plateausize; do
  check "$k: a study with no done task skipped as such" \
    grep -qx "skipped $k for study pollution: no done task" "$TMP/out"
done
# A spec may list an axis in any order: the curves run along its values
# and the x range spans them (a plateausize range from the first and last
# listed made gnuplot fail, and the whole report with it).
expect_exit 0 "sweep, axes out of order" "$LESDE" sweep "$SPEC" --store "$TMP/unsorted.h5" \
  --quiet --set study.pollution.train_per_class=40,20 --set study.gamma.s=1.5,0.5,1
expect_exit 0 "report of it" "$LESDE" report "$TMP/unsorted.h5" --out "$TMP/unsorted" \
  --only plateausize,gamma --quiet
check "plateausize: x range over the least and largest" \
  grep -q '^set xrange \[13.3333333:60\]$' "$TMP/unsorted/plateausize-pollution.gp"
check "plateausize and gamma: rows ascending in x" /usr/bin/python3 - "$TMP/unsorted" <<'PY'
import glob, sys
for name in ("plateausize-pollution", "gamma-gamma"):
    blocks = open(f"{sys.argv[1]}/{name}.dat").read().split("\n\n\n")
    for b in blocks:
        x = [float(l.split()[0]) for l in b.splitlines() if l.strip() and not l.startswith("#")]
        assert x == sorted(x) and len(x) >= 2, (name, x)
PY
# --at p_err=0.2 finds the point rho = 0.3 at K = 3, whose p_err is
# 0.3 * 2/3 = 0.19999999999999998.
sed 's/^p_err  *= 0, 0.7$/rho = 0, 0.3/' "$SPEC" >"$TMP/rho.ini"
expect_exit 0 "sweep over rho" "$LESDE" sweep "$TMP/rho.ini" --store "$TMP/rho.h5" --quiet \
  --study pollution
expect_exit 0 "report --at p_err=0.2" "$LESDE" report "$TMP/rho.h5" --out "$TMP/rho" --only fig2 \
  --at p_err=0.2
check "--at p_err=0.2: the point rho=0.3" grep -q "^# pollution, point rho=0.3:" "$TMP/rho/fig2-pollution.dat"
# A quartile beyond T is drawn at T (it was NaN: gnuplot dropped its bar).
expect_exit 0 "sweep, 4 seeds" "$LESDE" sweep "$SPEC" --store "$TMP/pl4.h5" --quiet \
  --study pollution --set sweep.seeds=0..3
/usr/bin/python3 - "$TMP/pl4.h5" <<'PY'
import h5py, math, sys
pt = h5py.File(sys.argv[1], "r+")["study/pollution/fit/plateau_t"]
a = pt[...]
a[0] = [100, 200, 250, math.nan]  # p_err 0: median 225, q75 beyond T
pt[...] = a
PY
expect_exit 0 "report --only plateau" "$LESDE" report "$TMP/pl4.h5" --out "$TMP/pl4" --only plateau
check "plateau: q75 beyond T drawn at T = 300" grep -qx "1 225 175 300 0 0" "$TMP/pl4/plateau-pollution.dat"
check "plateau.csv keeps it beyond T" grep -q "^pollution,p_err=0,3,0,0,4,3,225,175,inf," "$TMP/pl4/plateau.csv"
# The --set the store was made with are shown beside its spec's text.
expect_exit 0 "report of a store made with --set" "$LESDE" report "$TMP/gonly.h5" \
  --out "$TMP/gonly2" --only summary --quiet
check "summary.md names the --set" grep -qx \
  'Run with `--set study.pollution.train_per_class=20,40` `--set study.gamma.n_obs=1`.' \
  "$TMP/gonly2/summary.md"
check "index.html names the --set beside the spec" grep -q \
  'run with these overrides of it: <code>--set study.pollution.train_per_class=20,40</code> <code>--set study.gamma.n_obs=1</code>.' \
  "$TMP/gonly2/index.html"
ONE=$TMP/one.h5
expect_exit 0 "sweep, one p_err" "$LESDE" sweep "$SPEC" --store "$ONE" --quiet \
  --set study.pollution.p_err=0.7 --set study.pollution.train_per_class=20,40
expect_exit 0 "report of it" "$LESDE" report "$ONE" --out "$TMP/one"
check "plateau.csv: a row per point of a study of one p_err" \
  test "$(grep -c '^pollution,"\?train_per_class=' "$TMP/one/plateau.csv")" -eq 2
check "no plateausize.csv without a clean point" test ! -e "$TMP/one/plateausize.csv"
check "no plateau figure of one p_err" grep -q '^skipped plateau: no fitted train study with a rho' "$TMP/out"
check "plateausize: one line" test "$(grep -c '^# p_{err} = 0.7$' "$TMP/one/plateausize-pollution.dat")" -eq 1
# A slice with no done task (the lr = 0.01 tasks set back to pending, as in a
# store reported mid-sweep) is skipped with a line, before any file is opened.
PART=$TMP/part.h5
expect_exit 0 "sweep, two lr" "$LESDE" sweep "$SPEC" --store "$PART" --quiet --set study.pollution.p_err=0.7 \
  --set study.pollution.train_per_class=20,40 --set study.pollution.lr=0.005,0.01
/usr/bin/python3 -c "import h5py, sys; g = h5py.File(sys.argv[1], 'r+')['study/pollution']; s = g['status']; s[1] = 0" "$PART"
expect_exit 0 "report of it" "$LESDE" report "$PART" --out "$TMP/part"
check "plateausize: the done slice drawn" is_png "$TMP/part/plateausize-pollution-lr_0.005.png"
check "plateausize: the slice with no done task skipped" \
  grep -q '^skipped plateausize for study pollution, lr=0.01: no done task' "$TMP/out"
check "plateausize: no script for it" test ! -e "$TMP/part/plateausize-pollution-lr_0.01.gp"
check "lengths: the calibrated length of p_err 0.7, dashed" grep -q "^ *0.125863[0-9]* with lines dt 2" "$OUT/lengths-pollution.gp"
check "lengths: none for p_err 0" test "$(grep -c "with lines dt 2 lw 1.2 lc rgb '#" "$OUT/lengths-pollution.gp")" -eq 1
check "collapse.csv: 26 seeds" nc_check "$TMP/s26.h5" "$TMP/r26/collapse.csv"
check "summary.md: the collapse table" grep -q "^## Study pollution: neural collapse at the end of the run" "$OUT/summary.md"
check "summary.md: the imitation counts with Wilson's interval" \
  grep -qE '^\| p_err=0 \| 2/2 \| [0-9]+ \| [0-9.]+ \[[0-9.]+, [0-9.]+\] \| [0-2]/2 \[[0-9.]+, [0-9.]+\] \|' "$OUT/summary.md"
# models.csv: the L-model's imitation against the I-model's, seed by seed;
# every value recomputed here from the store (the 2-seed and the 26-seed
# report): the paired difference I - L, its quantiles, the seeds where the
# L-model is closer and Wilson's interval of that count.
models_check() { PYTHONPATH="$ROOT/tests" /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import csv, h5py, numpy as np, sys
from wilson import wilson
g = h5py.File(sys.argv[1], "r")["study/pollution"]
t = np.asarray(g["t"])
t = t if t.ndim == 3 else t[None]  # [point][seed][checkpoint]; no grid axis: one point
sims = ["I-est/L-ODE", "L-est/L-ODE", "I-est/I-ODE"]
rows = list(csv.DictReader(open(sys.argv[2])))
points = sorted({r["point"] for r in rows}, key=[r["point"] for r in rows].index)
def close(a, b):
    return np.isnan(a) and np.isnan(b) or abs(a - b) <= 1e-5 * max(1.0, abs(b))
bad = 0
for r in rows:
    p = points.index(r["point"])
    last = int(np.sum(t[p, 0] >= 0)) - 1
    rd = np.asarray(g["fit/rd_" + r["start"]])
    rd = rd if rd.ndim == 5 else rd[None]
    rd = rd[p, :, :, last, :3].mean(axis=-1)  # [seed][sim], the mean over K = 3 classes
    l, i = rd[:, sims.index("L-est/L-ODE")], rd[:, sims.index(r["sim_i"])]
    ok = np.isfinite(l) & np.isfinite(i)
    l, i = l[ok], i[ok]
    n, w = len(l), int(np.sum(l < i))
    q = lambda a: [np.percentile(a, x) for x in (50, 25, 75)] if len(a) else [np.nan] * 3
    want = q(l) + q(i) + q(i - l)
    cols = [a + b for a in ("l_", "i_", "diff_") for b in ("median", "q25", "q75")]
    got = [float(r[c]) for c in cols]
    if int(r["n"]) != n or int(r["l_closer"]) != w or not all(close(a, b) for a, b in zip(got, want)):
        print("row", r, "want", n, w, want); bad += 1
    if n > 0:
        lo, hi = wilson(w, n)
        if not (close(float(r["l_closer_lo"]), lo) and close(float(r["l_closer_hi"]), hi)):
            print("wilson", r, lo, hi); bad += 1
sys.exit(1 if bad or len(rows) != int(sys.argv[3]) else 0)
PY
}
check "models.csv header" grep -q '^study,point,start,sim_i,n,l_median,l_q25,l_q75,i_median,i_q25,i_q75,diff_median,diff_q25,diff_q75,l_closer,l_closer_lo,l_closer_hi$' "$OUT/models.csv"
check "models.csv: 2 points x 3 starts x 2 comparisons, from the store" models_check "$STORE" "$OUT/models.csv" 12
check "models.csv: 26 seeds, from the store" models_check "$TMP/s26.h5" "$TMP/r26/models.csv" 6
check "summary.md: the models table, L closer as k/n [lo, hi]" \
  grep -qE '^\| - \| 26/26 \| [0-9.]+ \[[0-9.]+, [0-9.]+\] \| [0-9.]+ \[[0-9.]+, [0-9.]+\] \| .* \| [0-9]+/[0-9]+ \[[0-9.]+, [0-9.]+\] \|$' "$TMP/r26/summary.md"
# tails.csv: the tail index of betahat against alphahat's, seed by seed,
# recomputed from the store's fit/tail ([point][seed][model I, L][alpha,
# beta, gamma]).
tails_check() { PYTHONPATH="$ROOT/tests" /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import csv, h5py, numpy as np, sys
from wilson import wilson
g = h5py.File(sys.argv[1], "r")["study/pollution"]
tail = np.asarray(g["fit/tail"])
tail = tail if tail.ndim == 4 else tail[None]
rows = list(csv.DictReader(open(sys.argv[2])))
points = sorted({r["point"] for r in rows}, key=[r["point"] for r in rows].index)
close = lambda a, b: np.isnan(a) and np.isnan(b) or abs(a - b) <= 1e-5 * max(1.0, abs(b))
bad = 0
for r in rows:
    t = tail[points.index(r["point"]), :, "IL".index(r["model"])]
    ok = np.isfinite(t[:, 0]) & np.isfinite(t[:, 1])
    a, b = t[ok, 0], t[ok, 1]
    q = lambda x: [np.percentile(x, y) for y in (50, 25, 75)] if len(x) else [np.nan] * 3
    want = q(b) + q(a) + q(a - b)
    got = [float(r[x + y]) for x in ("beta_", "alpha_", "diff_") for y in ("median", "q25", "q75")]
    n, w = len(a), int(np.sum(b < a))
    if int(r["n"]) != n or int(r["beta_below"]) != w or not all(close(x, y) for x, y in zip(got, want)):
        print("row", r, "want", n, w, want); bad += 1
    if n > 0 and not all(close(float(r[x]), y) for x, y in zip(("beta_below_lo", "beta_below_hi"), wilson(w, n))):
        print("wilson", r); bad += 1
sys.exit(1 if bad or len(rows) != int(sys.argv[3]) else 0)
PY
}
check "tails.csv header" grep -q '^study,point,model,n,beta_median,beta_q25,beta_q75,alpha_median,alpha_q25,alpha_q75,diff_median,diff_q25,diff_q75,beta_below,beta_below_lo,beta_below_hi$' "$OUT/tails.csv"
check "tails.csv: 2 points x 2 models, from the store" tails_check "$STORE" "$OUT/tails.csv" 4
check "tails.csv: 26 seeds, from the store" tails_check "$TMP/s26.h5" "$TMP/r26/tails.csv" 2
check "summary.md: the tails table, r_beta < r_alpha as k/n [lo, hi]" \
  grep -qE '^\| - \| 26/26 \| [-0-9.e]+ \[[-0-9.e]+, [-0-9.e]+\] \| [0-9]+/[0-9]+ \[[0-9.]+, [0-9.]+\] \| [-0-9.e]+ \[[-0-9.e]+, [-0-9.e]+\] \| [0-9]+/[0-9]+ \[[0-9.]+, [0-9.]+\] \|$' "$TMP/r26/summary.md"
# tailorder draws tails.csv's shares: its own reading of the store
order_check() { /usr/bin/python3 - "$1" "$2" <<'PY'
import csv, sys
dat = [l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
rows = list(csv.DictReader(open(sys.argv[2])))
points = sorted({r["point"] for r in rows}, key=[r["point"] for r in rows].index)
assert len(dat) == len(points), (dat, points)
for r in rows:
    d = dat[points.index(r["point"])]
    col = 2 + 4 * "IL".index(r["model"])
    n, k = int(r["n"]), int(r["beta_below"])
    assert int(d[col + 3]) == n, (d, r)
    for got, want in zip(d[col:col + 3], (k / n, float(r["beta_below_lo"]), float(r["beta_below_hi"]))):
        assert abs(float(got) - want) <= 1e-5, (d, r)
PY
}
check "tailorder: the shares and intervals of tails.csv" order_check "$OUT/tailorder-pollution.dat" "$OUT/tails.csv"
# imitk draws the same medians (figs_le.c's own reading of the store)
imitk_check() { /usr/bin/python3 - "$OUT/imitk-pollution.dat" "$OUT/imitation_k.csv" <<'PY'
import csv, sys
dat = [l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
rows = list(csv.DictReader(open(sys.argv[2])))
points = sorted({r["point"] for r in rows}, key=[r["point"] for r in rows].index)
n = 0
for r in rows:
    if r["sim"] != "L-est/L-ODE" or r["start"] not in ("plateau", "reference"):
        continue
    v = float(dat[points.index(r["point"])][1 + 12 * int(r["class"]) + 3 * ("plateau", "reference").index(r["start"])])
    want = float(r["rd_median"])
    if not (v != v and want != want) and abs(v - want) > 1e-5 * max(1, abs(want)):
        print(r, v); sys.exit(1)
    n += 1
sys.exit(0 if n == 2 * 3 * 2 else 1)
PY
}
check "imitk: a panel per class" test "$(grep -c "^set title 'class " "$OUT/imitk-pollution.gp")" -eq 3
check "imitk: the medians of imitation_k.csv" imitk_check
check "seeds.csv: 4 tasks" test "$(wc -l <"$OUT/seeds.csv")" -eq 5
check "seeds.csv: 35 columns" test "$(awk -F, '{print NF}' "$OUT/seeds.csv" | sort -u)" = 35
# ref_range: the reference imitation's largest |logit| over the genuine
# one's, a positive number for every task and simulation
check "seeds.csv: ref_range per simulation" grep -q ',rd_etf,rd_cmean,ref_range_IL,ref_range_LL,ref_range_II,sep_frac,sep_all,sep_frac_train,S0$' "$OUT/seeds.csv"
# per seed, the separability the summary counts: sep_all is 0 or 1, and 1
# exactly where every pair is (sep_frac 1); its mean per point is the
# summary's proportion
check "seeds.csv: sep_all per seed, summary.csv's proportion its mean" /usr/bin/python3 - "$OUT/seeds.csv" "$OUT/summary.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert rows and all(r["sep_all"] in ("0", "1") for r in rows), rows
assert all((r["sep_all"] == "1") == (float(r["sep_frac"]) == 1.0) for r in rows), rows
summ = {r["p_err"]: float(r["sep_all"]) for r in csv.DictReader(open(sys.argv[2]))}
for pe, want in summ.items():
    got = [int(r["sep_all"]) for r in rows if r["point"] == "p_err=" + pe]
    assert got and abs(sum(got) / len(got) - want) < 1e-12, (pe, got, want)
PY
# sep_frac_train (by training label) and S0 (S at t = 0) are the store's
# fit/snap_sep_frac at the task's last snapshot and fit/S at checkpoint 0,
# row by row (the seeds.csv row order: point by point, seed by seed).
check "seeds.csv: sep_frac_train and S0 from the store" /usr/bin/python3 - "$STORE" "$OUT/seeds.csv" <<'PY'
import csv, h5py, numpy as np, sys
g = h5py.File(sys.argv[1], "r")["study/pollution"]
sf, S, t = np.asarray(g["fit/snap_sep_frac"]), np.asarray(g["fit/S"]), np.asarray(g["t"])
rows = list(csv.DictReader(open(sys.argv[2])))
points = sorted({r["point"] for r in rows}, key=[r["point"] for r in rows].index)
seeds = list(np.asarray(g["seed"]))
assert len(rows) == 4, rows
for r in rows:
    p, s = points.index(r["point"]), seeds.index(int(r["seed"]))
    v = sf[p, s][np.isfinite(sf[p, s])]
    assert float(r["sep_frac_train"]) == float("%.6g" % v[-1]), (r, v)
    assert t[p, s, 0] == 0 and float(r["S0"]) == float("%.6g" % S[p, s, 0]), (r, S[p, s, 0])
PY
check "seeds.csv: ref_range finite and positive" awk -F, 'NR > 1 { for (i = 29; i <= 31; i++) if (!($i + 0 > 0) || $i == "NaN") exit 1 }' "$OUT/seeds.csv"
check "summary.md: the blow-up column counts the seeds" grep -qE '^\| p_err=0 \| 2/2 \|.*\| [0-2]/2( \(seeds? [0-9, .]+\))? \|$' "$OUT/summary.md"
check "seedavg.csv: 2 points" test "$(wc -l <"$OUT/seedavg.csv")" -eq 3
check "summary.md: the imitation table" grep -q "^## Imitation of study pollution against the trivial baselines" "$OUT/summary.md"
check "summary.csv header" grep -q '^study,K,p_err,rho,n_done,n_seeds,final_val_acc,' "$OUT/summary.csv"
check "summary.csv: both seeds done" test "$(awk -F, 'NR > 1 {print $5}' "$OUT/summary.csv" | sort -u)" = 2
check "summary.csv: p_err 0 and 0.7" test "$(awk -F, 'NR > 1 {print $3}' "$OUT/summary.csv" | tr '\n' ' ')" = "0 0.7 "
check "summary.md states the p_hat* method" grep -q "linearly interpolated between grid points" "$OUT/summary.md"
check "pstar.csv: one K" test "$(wc -l <"$OUT/pstar.csv")" -eq 2
check "summary_sde.csv: (2 + 1) points x 3 times" test "$(wc -l <"$OUT/summary_sde.csv")" -eq 10

# stdout: skipped kinds, the index and p_hat*.
out=$TMP/report.out
check "skipped kabl" grep -q '^skipped kabl: no train study with a classes axis' "$out"
check "prints index.html" grep -qF "index: $OUT/index.html" "$out"
check "prints p_hat* for K=3" grep -qE \
  '^p_hat\* pollution K=3: ([0-9.]+( \[[0-9.]+, ([0-9.]+|beyond the grid)\]|, already at the first grid point)?|not reached) \(p\* = 0.6667; accuracy crosses 1/K\); p_stall ([0-9.]+( \[[0-9.]+, ([0-9.]+|beyond the grid)\]|, already at the first grid point)?|not reached) \(accuracy crosses 1/K \+ 0.05\)$' "$out"
check "pstar.csv states the method" grep -q "linearly interpolated between grid points" "$OUT/pstar.csv"
check "pstar.csv header" grep -q '^study,other_axes,K,p_star,p_hat_star,p_stall,p_hat_star_at_first_point,p_stall_at_first_point,method,stall_method,p_hat_star_ci_lo,p_hat_star_ci_hi,p_hat_star_seed_median,p_hat_star_seed_q25,p_hat_star_seed_q75,p_hat_star_seeds_reached,p_stall_ci_lo,p_stall_ci_hi,p_stall_seed_median,p_stall_seed_q25,p_stall_seed_q75,p_stall_seeds_reached,seeds,spread_method$' "$OUT/pstar.csv"
# The spread over seeds, recomputed from seeds.csv: each seed's own curve's
# crossing (median of the seeds that reach it), and the bootstrap interval
# holds the estimate (2 seeds: the resamples are the two seeds' curves and
# their mean, which is the estimate).
check "pstar.csv: the single seeds' crossings and the interval" /usr/bin/python3 - "$OUT/pstar.csv" "$OUT/seeds.csv" <<'PY'
import csv, math, statistics, sys
ps = list(csv.DictReader(open(sys.argv[1])))
assert len(ps) == 1 and ps[0]["seeds"] == "2", ps
ps = ps[0]
rows = list(csv.DictReader(open(sys.argv[2])))
def cross(xy, level):
    prev = None
    for x, y in xy:
        if y <= level:
            return x if prev is None else prev[0] + (prev[1] - level) / (prev[1] - y) * (x - prev[0])
        prev = (x, y)
    return math.nan
for name, level in (("p_hat_star", 1 / 3), ("p_stall", 1 / 3 + 0.05)):
    per = []
    for seed in sorted({r["seed"] for r in rows}):
        xy = sorted((float(r["point"].split("=")[1]), float(r["final_val_acc"])) for r in rows if r["seed"] == seed)
        per.append(cross(xy, level))
    got = [c for c in per if not math.isnan(c)]
    assert int(ps[name + "_seeds_reached"]) == len(got), (name, ps, per)
    if got:
        assert abs(float(ps[name + "_seed_median"]) - statistics.median(got)) < 1e-5, (name, ps, per)
        lo, hi = float(ps[name + "_ci_lo"]), float(ps[name + "_ci_hi"])
        est = float(ps[name])
        if not math.isnan(est) and not math.isnan(hi):
            assert lo - 1e-6 <= est <= hi + 1e-6 and min(got) - 1e-6 <= lo, (name, ps, per)
PY
# Each estimate is at the first grid point by its own level: a mean
# accuracy of 0.36 at p_err 0 (within 0.05 of 1/K, above it) and 0.2 at
# 0.7 puts p_stall at the first point and p_hat* between the two.
FIRST=$TMP/first.h5
cp "$STORE" "$FIRST"
/usr/bin/python3 - "$FIRST" <<'PY'
import h5py, sys
g = h5py.File(sys.argv[1], "r+")["study/pollution"]
g["final_val_acc"][...] = [[0.36, 0.36], [0.2, 0.2]]
for s in ("mean", "ci_lo", "ci_hi"):
    g["summary"][s]["final_val_acc"][...] = [0.36, 0.2]
PY
expect_exit 0 "report, p_stall at the first grid point" "$LESDE" report "$FIRST" \
  --out "$TMP/first" --only summary,pstar --quiet
check "p_hat* off the first grid point, with its interval; p_stall at it" grep -qE \
  '^p_hat\* pollution K=3: 0\.1167 \[[0-9.]+, [0-9.]+\] \(p\* = 0\.6667; accuracy crosses 1/K\); p_stall 0, already at the first grid point \(' "$TMP/out"
check "pstar.csv: each estimate's own flag" /usr/bin/python3 - "$TMP/first/pstar.csv" <<'PY'
import csv, sys
r = next(csv.DictReader(open(sys.argv[1])))
assert (r.get("p_hat_star_at_first_point"), r.get("p_stall_at_first_point")) == ("0", "1"), r
PY
check "summary.md: only p_stall at the first grid point" grep -qE \
  '^\| pollution \| - \| 3 \| 0\.6667 \| 0\.1167 \[[0-9.]+, [0-9.]+\] \| .* \| 0 \(at the first grid point\) \|$' \
  "$TMP/first/summary.md"

# Summaries that lag the status: a stopped sweep summarizes the tasks done
# so far, and a resume killed after a task but before its own summaries
# leaves one more done seed than they cover. Made here by summarizing with
# seed 1 of the first point pending (of both studies), then marking it done
# again. The report warns, and fig2 (drawn from the summaries) counts their
# seeds, not the status's. The SDE study has no fig2: its warning says so.
LAG=$TMP/lag.h5
cp "$STORE" "$LAG"
set_status() { /usr/bin/python3 - "$LAG" "$1" <<'PY'
import h5py, sys
f = h5py.File(sys.argv[1], "r+")
for s in ("pollution", "gamma"):
    f["study/%s/status" % s][0, 1] = int(sys.argv[2])
PY
}
set_status 0 && expect_exit 0 "summarize with a seed pending" "$LESDE" summarize "$LAG"
set_status 1
expect_exit 0 "report, summaries behind the status" "$LESDE" report "$LAG" --out "$TMP/lag" \
  --only fig2,summary --quiet
check "lagging summaries: one warning naming the point" grep -qx \
  "lesde: warning: study pollution: the summaries across seeds are older than the tasks at 1 grid point (p_err=0: 1 of 2 done seeds; was a resumed sweep killed?); the tables and fig2 show the summaries: run 'lesde summarize $LAG' first" "$TMP/err"
check "lagging summaries of an SDE study: its warning names no fig2" grep -Eq \
  "^lesde: warning: study gamma: the summaries across seeds are older than the tasks at 1 grid point \(.*: 1 of 2 done seeds; was a resumed sweep killed\?\); the tables and figures show the summaries: run 'lesde summarize $LAG' first$" "$TMP/err"
check "lagging summaries: fig2's title counts 1 seed" \
  grep -q "estimated LE dynamics (mean of 1 seed, 95% bands)" "$TMP/lag/fig2-pollution.gp"
check "lagging summaries: fig2's caption says so" \
  grep -q "mean over 1 done seed with 95% t-intervals (slides Figure 2). The summaries cover 1 of the 2 done seeds: 'lesde summarize' brings them up to date." "$TMP/lag/index.html"
# While a sweep holds the store (a live lock), 'lesde summarize' is refused
# and the sweep summarizes at its end: no warning, and fig2's caption says so.
sleep 600 &
live=$!
printf 'host=%s\npid=%s\nslurm_job=\nslurm_restart=0\nsince=%s\n' \
  "$(hostname)" "$live" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$LAG.lock"
expect_exit 0 "report, summaries behind, a sweep running" "$LESDE" report "$LAG" \
  --out "$TMP/lagl" --only fig2,summary --quiet
check "a sweep running: says so, and no warning" sh -c "grep -q 'in progress: a sweep is writing it' \
  '$TMP/err' && ! grep -q warning '$TMP/err'"
check "a sweep running: fig2's caption leaves the summaries to it" \
  grep -q "The summaries cover 1 of the 2 done seeds: the running sweep brings them up to date when it ends." "$TMP/lagl/index.html"
kill "$live"
wait "$live" 2>/dev/null
rm -f "$LAG.lock"
expect_exit 0 "summarize again" "$LESDE" summarize "$LAG"
expect_exit 0 "report, summaries up to date" "$LESDE" report "$LAG" --out "$TMP/lag2" --only fig2 --quiet
check "up-to-date summaries: no warning" test ! -s "$TMP/err"
check "up-to-date summaries: fig2 counts 2 seeds" \
  grep -q "estimated LE dynamics (mean of 2 seeds, 95% bands)" "$TMP/lag2/fig2-pollution.gp"

# A researcher redraws a figure from its script.
rm -f "$OUT/fig5-pollution.png"
check "gnuplot redraws from the kept script" bash -c "cd '$OUT' && gnuplot fig5-pollution.gp"
check "redrawn PNG" is_png "$OUT/fig5-pollution.png"
# Every PNG is the same bytes as its script alone draws it (as it must stay
# when the report draws many in one gnuplot process).
cp -r "$OUT" "$TMP/hand" && rm "$TMP"/hand/*.png
for gp in "$TMP"/hand/*.gp; do (cd "$TMP/hand" && gnuplot "$(basename "$gp")"); done
for p in "$OUT"/*.png; do
  check "$(basename "$p"): the same bytes as gnuplot on its script alone" cmp -s "$p" "$TMP/hand/$(basename "$p")"
done
# gnuplot's messages name their script, and a failing script stops the
# report with the one-line error of gnuplot on it alone, before any later
# script's messages or failure. A wrapper makes the scripts named in $NOTE
# print a line and those in $FAIL fail, at their end. fig3 draws 9 figures
# (fig3a fig3b fig3cd tailorder fig3ref0 fig3final imit imitk tailt): drawn
# in two halves, fig3b and fig3cd are in the first, imit, imitk and tailt
# in the second.
cat >"$TMP/fakegp" <<EOF
#!/usr/bin/env bash
exec 9>>"$TMP/fakegp.lock" && flock 9 # two gnuplots at once: edit once
for n in \$NOTE; do
  if [ -f "\$n.gp" ] && ! grep -q '^print "note' "\$n.gp"; then echo "print \"note of \$n\"" >>"\$n.gp"; fi
done
for n in \$FAIL; do
  if [ -f "\$n.gp" ] && ! grep -q '^no_such_command' "\$n.gp"; then echo no_such_command >>"\$n.gp"; fi
done
exec gnuplot "\$@"
EOF
chmod +x "$TMP/fakegp"
gp_note() { echo "lesde: gnuplot on $1.gp: note of $1"; }
gp_fail() { echo "lesde: gnuplot failed on $1/$2.gp (exit 1): no_such_command | ^ | \"$2.gp\" line N: invalid command"; }
gp_err() { sed 's/ line [0-9]*: invalid/ line N: invalid/' "$TMP/err"; }
NOTE="fig3b-pollution imit-pollution" FAIL="imitk-pollution tailt-pollution" \
  expect_exit 1 "a script fails (second half)" "$LESDE" report "$STORE" --out "$TMP/fa" --gnuplot "$TMP/fakegp"
check "a script fails (second half): its error, after the notes before it" \
  diff <(gp_err) <(gp_note fig3b-pollution; gp_note imit-pollution; gp_fail "$TMP/fa" imitk-pollution)
# "wrote" only for what was drawn: a figure queued behind the failing one
# (tailt) or the failing one itself (imitk) has no PNG and no such line.
drawn_only() {
  grep '^wrote ' "$TMP/out" | sed 's/^wrote //' | while read -r p; do [ -s "$p" ] || echo "$p"; done
}
check "a script fails: every 'wrote' PNG exists" test -z "$(drawn_only)"
check "a script fails: the figures before it said 'wrote'" grep -q "^wrote $TMP/fa/imit-pollution.png\$" "$TMP/out"
NOTE="fig3b-pollution imit-pollution" FAIL="fig3cd-pollution tailt-pollution" \
  expect_exit 1 "a script fails (first half)" "$LESDE" report "$STORE" --out "$TMP/fb" --gnuplot "$TMP/fakegp"
check "a script fails (first half): its error, nothing of the scripts after it" \
  diff <(gp_err) <(gp_note fig3b-pollution; gp_fail "$TMP/fb" fig3cd-pollution)

# Killed while gnuplot draws (Ctrl-C), the report leaves no file in TMPDIR:
# the batches gnuplot reads are memory files. The fake gnuplot, given a
# batch (not the -e check at start), interrupts the report that started it.
printf '%s\n' '#!/usr/bin/env bash' '[ "$1" = -e ] || { kill -INT "$REPORT_PID"; sleep 0.2; }' \
  'exec gnuplot "$@"' >"$TMP/intgp"
chmod +x "$TMP/intgp"
mkdir -p "$TMP/tmpdir"
TMPDIR=$TMP/tmpdir expect_exit 130 "a report interrupted while gnuplot draws" \
  bash -c 'REPORT_PID=$$ exec "$0" "$@"' "$LESDE" report "$STORE" --out "$TMP/fi" --gnuplot "$TMP/intgp"
check "an interrupted report leaves nothing in TMPDIR" test -z "$(ls -A "$TMP/tmpdir")"

# --study: only that study; the train figures are skipped, with a line each.
expect_exit 0 "report --study gamma" "$LESDE" report "$STORE" --out "$TMP/g" --study gamma
for k in fig2 fig3 fig4 fig5 collapse; do
  check "--study gamma: skipped $k" grep -q "^skipped $k: no train study" "$TMP/out"
done
check "--study gamma: two figures (gamma, sept)" test "$(ls "$TMP"/g/*.png | wc -l)" -eq 2
check "--study gamma: summary.csv header only" test "$(wc -l <"$TMP/g/summary.csv")" -eq 1

# --only: what it names is made and nothing else (not even another figure's
# .gp), each file as the full report writes it; an unknown name is a usage
# error that lists the names it takes.
files() { (cd "$1" && LC_ALL=C ls | tr '\n' ' '); }
expect_exit 0 "report --only plateau" "$LESDE" report "$STORE" --out "$TMP/only" --only plateau
check "--only plateau: plateau.csv and the plateau figure, nothing else" test "$(files "$TMP/only")" = \
  "index.html plateau-pollution.dat plateau-pollution.gp plateau-pollution.png plateau.csv "
check "--only plateau: plateau.csv as the full report's" cmp -s "$TMP/only/plateau.csv" "$OUT/plateau.csv"
check "--only plateau: the figure's data as the full report's" \
  cmp -s "$TMP/only/plateau-pollution.dat" "$OUT/plateau-pollution.dat"
check "--only plateau: index.html shows that figure alone" \
  test "$(grep -c '<img src=' "$TMP/only/index.html")" -eq 1
check "--only plateau: no p_hat* (not computed)" bash -c "! grep -q '^p_hat' '$TMP/out'"
expect_exit 0 "report --only summary,pstar" "$LESDE" report "$STORE" --out "$TMP/only2" \
  --only summary,pstar --quiet
check "--only summary,pstar: exactly those" test "$(files "$TMP/only2")" = \
  "index.html pstar.csv summary.csv summary.md "
for f in summary.csv pstar.csv; do
  check "--only summary,pstar: $f as the full report's" cmp -s "$TMP/only2/$f" "$OUT/$f"
done
check "--only summary,pstar: p_hat* printed" grep -q '^p_hat\* pollution K=3: ' "$TMP/out"
# the figures drawn together with others (fig5 and fig5k, imit and imitk)
expect_exit 0 "report --only fig5k,imitk" "$LESDE" report "$STORE" --out "$TMP/only4" --only fig5k,imitk --quiet
check "--only fig5k,imitk: exactly those" test "$(files "$TMP/only4" | sed 's/\.\(dat\|gp\|png\) / /g')" = \
  "fig5kplateau-pollution fig5kplateau-pollution fig5kplateau-pollution fig5kreference-pollution fig5kreference-pollution fig5kreference-pollution imitk-pollution imitk-pollution imitk-pollution index.html "
expect_exit 0 "report --study gamma --only sept,summary_sde" "$LESDE" report "$STORE" --out "$TMP/only5" \
  --study gamma --only sept,summary_sde --quiet
check "--study gamma --only sept,summary_sde: exactly those" test "$(files "$TMP/only5")" = \
  "index.html sept-gamma.dat sept-gamma.gp sept-gamma.png summary_sde.csv "
expect_exit 2 "--only an unknown name" "$LESDE" report "$STORE" --out "$TMP/only3" --only plateau,fig9
check "--only fig9: names it and the names it takes" grep -q \
  "^lesde: report: --only: no figure or table 'fig9' (figures: fig2, .*, plateausize; tables: summary, .*, summary_sde)" "$TMP/err"
check "--only fig9: nothing written" test ! -e "$TMP/only3"
expect_exit 2 "--only an empty name" "$LESDE" report "$STORE" --out "$TMP/only3" --only plateau,

# --p-err: the dynamics figures at another grid point (0.7, written 7/10
# as a spec may write it: the same double), a point no study has skips
# them, a bad value is refused. One run of each: the ASan pass repeats it.
check "by default fig5 is at p_err = 0" grep -q "^set multiplot .*title 'pollution, p\\\\_err=0: " "$OUT/fig5-pollution.gp"
expect_exit 0 "report --p-err 7/10" "$LESDE" report "$STORE" --out "$TMP/at" --study pollution --p-err 7/10
check "--p-err 7/10: fig5 at p_err = 0.7" grep -q "^set multiplot .*title 'pollution, p\\\\_err=0.7: " "$TMP/at/fig5-pollution.gp"
check "--p-err 7/10: fig5k at p_err = 0.7" grep -q "point p_err=0.7, start" "$TMP/at/fig5kplateau-pollution.dat"
check "--p-err 7/10: fig4 at p_err = 0.7" grep -q "p\\\\_err=0.7" "$TMP/at/fig4plateau-pollution.gp"
check "--p-err 7/10: fig2 at p_err = 0.7" grep -q "p\\\\_err=0.7" "$TMP/at/fig2-pollution.gp"
check "--p-err: the other figures as without it" cmp -s "$TMP/at/imitation_k.csv" "$OUT/imitation_k.csv"
expect_exit 0 "report --p-err 0.5 (no such point)" "$LESDE" report "$STORE" --out "$TMP/at5" --study pollution --p-err 0.5
for k in fig2 fig4 fig5; do
  check "--p-err 0.5: skipped $k" grep -q "^skipped $k for study pollution: no done task.* at p_err = 0.5 (--p-err)" "$TMP/out"
done
check "--p-err 0.5: no fig5k" test ! -e "$TMP/at5/fig5kplateau-pollution.png"
for bad in 1.5 -0.1 abc 1/0; do
  expect_exit 2 "--p-err $bad refused" "$LESDE" report "$STORE" --out "$TMP/x" --p-err "$bad"
  check "--p-err $bad: says what it needs" grep -q "p-err: p_err needs a number in \[0, 1\]" "$TMP/err"
done
# --at KEY=VALUE: any grid axis, with p_err or alone. A store of two axes
# (p_err x iters); without --at the figures are at the first point.
expect_exit 0 "sweep, p_err x iters" "$LESDE" sweep "$SPEC" --set study.pollution.iters=300,400 \
  --set study.gamma.n_obs=1 --set study.boundary.n_obs=1 --store "$TMP/two.h5" --quiet
expect_exit 0 "report --at iters=400 --at p_err=7/10" "$LESDE" report "$TMP/two.h5" \
  --out "$TMP/at2" --study pollution --at iters=400 --at p_err=7/10
check "--at: fig5 at iters=400, p_err=0.7" \
  grep -q "^set multiplot .*title 'pollution, iters=400, p\\\\_err=0.7: " "$TMP/at2/fig5-pollution.gp"
check "--at: fig5k at that point" grep -q "point iters=400, p_err=0.7, start" "$TMP/at2/fig5kplateau-pollution.dat"
check "--at: fig2 at that point" grep -q "iters=400, p\\\\_err=0.7" "$TMP/at2/fig2-pollution.gp"
check "--at: fig4 at that point" grep -q "iters=400, p\\\\_err=0.7" "$TMP/at2/fig4plateau-pollution.gp"
expect_exit 0 "report --at iters=1e3/2.5 (400, as a spec writes it)" "$LESDE" report "$TMP/two.h5" \
  --out "$TMP/at3" --study pollution --at iters=1e3/2.5 --quiet
check "--at iters=1e3/2.5: fig5 at iters=400, p_err=0" \
  grep -q "^set multiplot .*title 'pollution, iters=400, p\\\\_err=0: " "$TMP/at3/fig5-pollution.gp"
expect_exit 0 "report of two axes, no --at" "$LESDE" report "$TMP/two.h5" --out "$TMP/at4" --study pollution --quiet
check "no --at: fig5 at the first point" \
  grep -q "^set multiplot .*title 'pollution, iters=300, p\\\\_err=0: " "$TMP/at4/fig5-pollution.gp"
expect_exit 0 "report --at iters=500 (no such point)" "$LESDE" report "$TMP/two.h5" --out "$TMP/at5" \
  --study pollution --at iters=500
check "--at iters=500: skipped fig5" \
  grep -q "^skipped fig5 for study pollution: no done task at iters = 500 (--at)" "$TMP/out"
expect_exit 0 "report --at seedz=1 (no such axis)" "$LESDE" report "$TMP/two.h5" --out "$TMP/at6" \
  --study pollution --at seedz=1
check "--at seedz=1: no grid axis" grep -q "^skipped fig2 for study pollution: no grid axis or parameter seedz (--at)" "$TMP/out"
# a parameter the study fixes (not an axis): every point has it, or none
expect_exit 0 "report --at plateau_factor=3/2 --at dataset=geomnist --at iters=400" "$LESDE" report \
  "$TMP/two.h5" --out "$TMP/at7" --study pollution --at plateau_factor=3/2 --at dataset=geomnist --at iters=400
check "--at a fixed number and word: fig5 at iters=400, p_err=0" \
  grep -q "^set multiplot .*title 'pollution, iters=400, p\\\\_err=0: " "$TMP/at7/fig5-pollution.gp"
check "--at a fixed number and word: no figure of the study skipped" \
  sh -c "! grep -q '^skipped .* for study pollution' '$TMP/out'"
# a fixed word as a spec reads it: any case, and fit=1 for fit = true
expect_exit 0 "report --at fit=1 --at dataset=GeoMNIST --at iters=400" "$LESDE" report "$TMP/two.h5" \
  --out "$TMP/at7w" --study pollution --at fit=1 --at dataset=GeoMNIST --at iters=400
check "--at fit=1, dataset=GeoMNIST: fig5 at iters=400, p_err=0" \
  grep -q "^set multiplot .*title 'pollution, iters=400, p\\\\_err=0: " "$TMP/at7w/fig5-pollution.gp"
check "--at fit=1, dataset=GeoMNIST: no figure of the study skipped" \
  sh -c "! grep -q '^skipped .* for study pollution' '$TMP/out'"
expect_exit 0 "report --at fit=off (the study fits)" "$LESDE" report "$TMP/two.h5" --out "$TMP/at7n" \
  --study pollution --at fit=off
check "--at fit=off: skipped, no such point" \
  grep -q "^skipped fig5 for study pollution: no done task at fit = off (--at)" "$TMP/out"
expect_exit 0 "report --at plateau_factor=2 (the study fixes 1.5)" "$LESDE" report "$TMP/two.h5" \
  --out "$TMP/at8" --study pollution --at plateau_factor=2
check "--at plateau_factor=2: skipped, no such point" \
  grep -q "^skipped fig5 for study pollution: no done task at plateau_factor = 2 (--at)" "$TMP/out"
expect_exit 0 "report --at data_dir=x (no single value)" "$LESDE" report "$TMP/two.h5" --out "$TMP/at9" \
  --study pollution --at data_dir=x
check "--at data_dir=x: no parameter" grep -q "^skipped fig2 for study pollution: no grid axis or parameter data_dir (--at)" "$TMP/out"
# A partial store: iters = 400's tasks set back to pending, summaries
# redone. Each figure over the grid says which slice it skips and why:
# no done task at all, or fewer points than it draws from.
cp "$TMP/two.h5" "$TMP/part.h5"
check "iters = 400 set pending" /usr/bin/python3 - "$TMP/part.h5" <<'PY'
import h5py, numpy as np, sys
g = h5py.File(sys.argv[1], "r+")["study/pollution"]
st = g["status"]
dims = [d[0].name.rsplit("/", 1)[-1] for d in st.dims]
a = dims.index("iters")
idx = [slice(None)] * st.ndim
idx[a] = list(g["iters"][...]).index(400)
v = st[...]
v[tuple(idx)] = 0
st[...] = v
sys.exit(0 if (v == 1).sum() == v.size // 2 else 1)
PY
expect_exit 0 "summarize the partial store" "$LESDE" summarize "$TMP/part.h5" --quiet
expect_exit 0 "report of the partial store" "$LESDE" report "$TMP/part.h5" --out "$TMP/part" --study pollution
check "partial: fig3 drawn at iters=300" test -s "$TMP/part/fig3final-pollution-iters_300.png"
check "partial: fig3 at iters=400 skipped, no done task" \
  grep -q "^skipped fig3 for study pollution, iters=400: no done task with summaries$" "$TMP/out"
check "partial: collapse at iters=400 skipped, no done task" \
  grep -q "^skipped collapse for study pollution, iters=400: no done task with summaries$" "$TMP/out"
check "partial: finite skipped, 2 of its 4 points" \
  grep -q "^skipped finite for study pollution: fewer than 4 grid points with done tasks and summaries$" "$TMP/out"
expect_exit 2 "--at without =" "$LESDE" report "$TMP/two.h5" --out "$TMP/x" --at iters
check "--at without =: says what it needs" grep -q "at: needs KEY=VALUE" "$TMP/err"
expect_exit 2 "--at p_err twice" "$LESDE" report "$TMP/two.h5" --out "$TMP/x" --at p_err=0 --p-err 0.7
check "--at p_err twice: says so" grep -q "p_err is asked twice" "$TMP/err"

# Errors.
expect_exit 2 "missing store" "$LESDE" report "$TMP/none.h5" --out "$TMP/x"
check "missing store: one line" test "$(wc -l <"$TMP/err")" -eq 1
echo "not a store" >"$TMP/text.h5"
expect_exit 2 "not a store" "$LESDE" report "$TMP/text.h5" --out "$TMP/x"
check "not a store: one line" test "$(wc -l <"$TMP/err")" -eq 1
expect_exit 0 "an HDF5 file of another kind" "$LESDE" data geomnist --per-class 2 --out "$TMP/imgs.h5"
expect_exit 2 "HDF5 but not a lesde store" "$LESDE" report "$TMP/imgs.h5" --out "$TMP/x"
check "not a lesde store: says so" grep -q "not a lesde store" "$TMP/err"
expect_exit 2 "unknown study" "$LESDE" report "$STORE" --out "$TMP/x" --study nope
check "unknown study names the studies" grep -q "gamma, pollution" "$TMP/err"
expect_exit 2 "no --out" "$LESDE" report "$STORE"
check "no --out: says so" grep -q "^lesde: report: --out DIR is required (see 'lesde report --help')" "$TMP/err"
expect_exit 2 "no STORE" "$LESDE" report --out "$TMP/x"
check "no STORE: says so" grep -q "^lesde: report: one STORE is required (see 'lesde report --help')" "$TMP/err"
touch "$TMP/file"
expect_exit 1 "DIR not writable" "$LESDE" report "$STORE" --out "$TMP/file/sub"
check "DIR not writable: says so" grep -q "cannot create directory\|not writable\|not a directory" "$TMP/err"
expect_exit 1 "gnuplot missing" "$LESDE" report "$STORE" --out "$TMP/y" --gnuplot "$TMP/no-gnuplot"
check "gnuplot missing: clear error" grep -q "gnuplot not found" "$TMP/err"
# A store of an older lesde (layout 1) may lack datasets added since: the
# report draws the rest and skips, with a line, what needs them; the same
# dataset missing from a store of this layout is an error.
strip() { /usr/bin/python3 - "$@" <<'PY'
import h5py, sys
with h5py.File(sys.argv[1], "r+") as f:
    del f["study/pollution/fit/tail"]
    if sys.argv[2] == "old":
        f.attrs["layout_version"] = 1.0
    if sys.argv[2] == "foreign":  # this layout, by another lesde version
        f.attrs["spec_hash"] = "0123456789abcdef"
PY
}
cp "$STORE" "$TMP/old.h5" && strip "$TMP/old.h5" old
expect_exit 0 "report of an older store without fit/tail" "$LESDE" report "$TMP/old.h5" --out "$TMP/old"
check "older store: fig3 skipped, saying why" grep -q "^skipped fig3: .*no dataset /study/pollution/fit/tail (a store of an older lesde)$" "$TMP/out"
check "older store: the figures after it drawn" is_png "$TMP/old/collapse-pollution.png"
check "older store: summary.md written" test -s "$TMP/old/summary.md"
cp "$STORE" "$TMP/cut.h5" && strip "$TMP/cut.h5" new
expect_exit 1 "report of a store of this layout without fit/tail" "$LESDE" report "$TMP/cut.h5" --out "$TMP/cut"
check "this layout, fit/tail missing: says so" grep -q "no dataset /study/pollution/fit/tail" "$TMP/err"
cp "$STORE" "$TMP/foreign.h5" && strip "$TMP/foreign.h5" foreign
expect_exit 0 "report of another version's store without fit/tail" "$LESDE" report "$TMP/foreign.h5" --out "$TMP/foreign"
check "another version: a warning" grep -q "^lesde: warning: .*foreign.h5: written by another lesde version" "$TMP/err"
check "another version: fig3 skipped" grep -q "^skipped fig3: .*fit/tail (a store of an older lesde)$" "$TMP/out"
expect_exit 0 "--help" "$LESDE" report --help
check "--help lists exit codes" grep -q "Exit status" "$TMP/out"
# bench/boot_coverage.py, which measured why p_hat*'s interval is the
# expanded percentile one (le-sde.md section 7), still runs on a committed
# seeds.csv, and its expanded intervals are never narrower than the plain.
/usr/bin/python3 "$ROOT/bench/boot_coverage.py" "$ROOT/results/reference/fig3/seeds.csv" \
  --draws 20 --boot 300 >"$TMP/cover" 2>&1
check "boot_coverage.py: one line for each m" test "$(grep -c '^m = ' "$TMP/cover")" -eq 6
check "boot_coverage.py: expanded at least as wide as plain" awk '/^m = / {
    p = $0; sub(/.*median width /, "", p); p += 0
    x = $0; sub(/.*\) [0-9.]+ \(/, "", x); x += 0
    if (x < p) bad = 1 } END { exit bad }' "$TMP/cover"
# It refuses what would pool points into one curve: a second axis (finite-t:
# iters and p_err), several studies without --study (class-order).
expect_exit 1 "boot_coverage.py: two axes" /usr/bin/python3 "$ROOT/bench/boot_coverage.py" \
  "$ROOT/results/reference/finite-t/seeds.csv"
check "boot_coverage.py: names the axes" grep -q "one axis, p_err or rho, not .*iters" "$TMP/err"
expect_exit 1 "boot_coverage.py: three studies" /usr/bin/python3 "$ROOT/bench/boot_coverage.py" \
  "$ROOT/results/reference/class-order/seeds.csv"
check "boot_coverage.py: asks for --study" grep -q "pick one with --study" "$TMP/err"

finish
