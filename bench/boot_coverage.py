#!/usr/bin/python3
"""How often p_hat*'s bootstrap interval from few seeds holds the estimate
from many: draw m of a study's seeds (without replacement), compute the
interval lesde report would give from them, both the plain percentile one
(2.5% and 97.5%) and the expanded one lesde uses (tail
Phi(-sqrt(m/(m-1)) t(0.975; m-1))), and count how often each holds the
crossing of all the seeds' mean curve.

    bench/boot_coverage.py results/reference/fig3/seeds.csv [--classes 3] [--study NAME]

The input is a report's seeds.csv of a train study whose only axis is
p_err (or rho), refused otherwise; the level is chance, 1/K. The many-seed estimate stands in
for the truth, so for m near the number of seeds the counts run high (the
draws share most of their seeds with it). Prints one line per m.
"""
import argparse
import csv
import re
import sys
from math import sqrt
from statistics import NormalDist

import numpy as np

# t(0.975; df): the table lesde's GSL call gives, for the m below
T975 = {2: 4.302653, 4: 2.776445, 7: 2.364624, 9: 2.262157, 15: 2.131450, 31: 2.039513}


def crossings(x, y, level):
    """First crossing of level by each row of y (linear interpolation), inf if none:
    report_pstar_interp row by row."""
    out = np.full(y.shape[0], np.inf)
    done = np.zeros(y.shape[0], bool)
    for i in range(len(x)):
        hit = ~done & (y[:, i] <= level)
        if i == 0:
            out[hit] = x[0]
        else:
            f = (y[hit, i - 1] - level) / (y[hit, i - 1] - y[hit, i])
            out[hit] = x[i - 1] + f * (x[i] - x[i - 1])
        done |= hit
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("seeds_csv")
    ap.add_argument("--classes", type=int, default=3, help="K: the level is 1/K (default 3)")
    ap.add_argument("--draws", type=int, default=400, help="draws of m seeds per m (default 400)")
    ap.add_argument("--boot", type=int, default=10000, help="bootstrap resamples (default 10000)")
    ap.add_argument("--study", help="the study to read, when the file holds several")
    a = ap.parse_args()
    rows = list(csv.DictReader(open(a.seeds_csv)))
    studies = sorted({r["study"] for r in rows})
    if a.study is not None:
        if a.study not in studies:
            sys.exit(f"boot_coverage: no study '{a.study}' in {a.seeds_csv} (it has {', '.join(studies)})")
        rows = [r for r in rows if r["study"] == a.study]
    elif len(studies) != 1:
        sys.exit(f"boot_coverage: {a.seeds_csv} holds studies {', '.join(studies)}: pick one with --study")
    # one axis only, p_err or rho: other axes would pool their points into one curve
    axes = {tuple(sorted(kv.split("=")[0].strip() for kv in r["point"].split(","))) for r in rows}
    if axes != {("p_err",)} and axes != {("rho",)}:
        sys.exit(f"boot_coverage: the study's points must have one axis, p_err or rho, not {sorted(axes)}")
    key = re.compile(r"(?:p_err|rho)=([0-9.eE+-]+)")
    xs = sorted({float(key.search(r["point"]).group(1)) for r in rows})
    seeds = sorted({int(r["seed"]) for r in rows})
    y = np.full((len(seeds), len(xs)), np.nan)
    for r in rows:
        y[seeds.index(int(r["seed"])), xs.index(float(key.search(r["point"]).group(1)))] = float(
            r["final_val_acc"]
        )
    if np.isnan(y).any():
        sys.exit("boot_coverage: every seed needs every point (a finished study)")
    x, level = np.array(xs), 1.0 / a.classes
    truth = crossings(x, y.mean(0, keepdims=True), level)[0]
    if not np.isfinite(truth):
        sys.exit(f"boot_coverage: the seeds' mean curve never falls to 1/K = {level:.4g}: no crossing to cover")
    print(f"{len(seeds)} seeds x {len(xs)} points; their mean curve crosses 1/K at {truth:.5f}")
    rng = np.random.default_rng(1)
    for m in sorted(df + 1 for df in T975 if df + 1 < len(seeds)):
        tail = NormalDist().cdf(-sqrt(m / (m - 1)) * T975[m - 1])
        held = {"plain": 0, "expanded": 0}
        width = {"plain": [], "expanded": []}
        for _ in range(a.draws):
            sub = y[rng.choice(len(seeds), m, replace=False)]
            c = np.sort(crossings(x, sub[rng.integers(0, m, (a.boot, m))].mean(1), level))
            for name, t in (("plain", 0.025), ("expanded", tail)):
                lo, hi = np.quantile(c, [t, 1 - t])
                held[name] += lo <= truth <= hi
                width[name].append(hi - lo)
        print(
            f"m = {m:2d}: plain percentile holds it {held['plain'] / a.draws:.2f} "
            f"(median width {np.median(width['plain']):.4f}), expanded (tail {tail:.4f}) "
            f"{held['expanded'] / a.draws:.2f} ({np.median(width['expanded']):.4f})"
        )


if __name__ == "__main__":
    main()
