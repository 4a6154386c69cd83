"""K = 2 on every pair of GeoMNIST's six shapes (a store of pairs.ini): per
pair the clean plateau's median and the ratio median x |1 - rho| over it at
rho 0.8, with 95% intervals; the mean ratio of the 5 pairs with the ring
(shape 4) minus that of the 10 others, with its interval; the same with the
triples' pairs beside them when a store of triples.ini is given (each pair's
own end there, pairs.py's readout). Intervals: ratio_ci.py's (seeds
resampled, a seed's tasks in every pair together). At K = 2 the fit's rule
is the pair's own end (the centred means' norm is half their distance).
Given the six shapes' training set too (DATA.h5, as triples.py takes it),
exploratory, after the results: each pair's mean-image distance against
its clean plateau and its ratio (Spearman's, over all pairs and the ten
without the ring). Predictions: run.log, before the run.
Usage: /usr/bin/python3 k2.py STORE [TRIPLES_STORE [DATA.h5]]"""
import itertools
import os
import sys

import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "gap"))
sys.path.insert(0, os.path.join(here, "..", "triples"))
from ratio_ci import ci, med  # noqa: E402
from triples import SHAPES, clean, mean_images, ratio, spearman, study_ends  # noqa: E402

PAIRS = list(itertools.combinations(range(6), 2))
RING = [p for p in PAIRS if 4 in p]
OTHERS = [p for p in PAIRS if 4 not in p]


def load(path):
    f = h5py.File(path, "r")
    return {p: study_ends(f["study/p%d%d" % p]) for p in PAIRS}


def group_diff(d, s):
    return np.mean([ratio(d, p, s) for p in RING]) - np.mean([ratio(d, p, s) for p in OTHERS])


def main():
    d = load(sys.argv[1])
    m = d[PAIRS[0]].shape[1]
    alls = np.arange(m)
    print("pair, clean plateau median [95%], seeds left at 0.8, ratio at rho 0.8 [95%]")
    for p in sorted(PAIRS, key=lambda p: ratio(d, p, alls)):
        c, r = ci(lambda s: clean(d, p, s), m), ci(lambda s: ratio(d, p, s), m)
        print(f"  {p[0]}{p[1]} ({SHAPES[p[0]]}-{SHAPES[p[1]]}): clean {clean(d, p, alls):.0f} [{c[0]:.0f}, {c[1]:.0f}], "
              f"{int(np.isfinite(d[p][1]).sum())}/{m} left, ratio {ratio(d, p, alls):.3f} [{r[0]:.3f}, {r[1]:.3f}]")
    for name, ps in (("with the ring", RING), ("without", OTHERS)):
        cs = [clean(d, p, alls) for p in ps]
        rs = [ratio(d, p, alls) for p in ps]
        print(f"{name}: clean {min(cs):.0f}-{max(cs):.0f}, ratio {min(rs):.2f}-{max(rs):.2f} (mean {np.mean(rs):.3f})")
    lo, hi = ci(lambda s: group_diff(d, s), m)
    print(f"mean ratio, the ring's pairs minus the others: {group_diff(d, alls):+.3f} [{lo:.3f}, {hi:.3f}]")
    if len(sys.argv) > 2:
        beside(d, alls, sys.argv[2])
    if len(sys.argv) > 3:
        distances(d, alls, sys.argv[3])


def distances(d, alls, path):
    mu = mean_images(path)
    dist = {p: np.linalg.norm(mu[p[0]] - mu[p[1]]) for p in PAIRS}
    m = len(alls)
    print("exploratory: mean-image distance, clean plateau median, ratio, their product clean x distance")
    for p in sorted(PAIRS, key=lambda p: dist[p]):
        print(f"  {p[0]}{p[1]}: {dist[p]:.2f}, {clean(d, p, alls):.0f}, {ratio(d, p, alls):.2f}, "
              f"{clean(d, p, alls) * dist[p]:.0f}")
    for name, ps in (("all 15 pairs", PAIRS), ("the 10 without the ring", OTHERS)):
        for what, fn in (("clean plateau", clean), ("ratio", ratio)):

            def rho(s):
                return spearman([dist[p] for p in ps], [fn(d, p, s) for p in ps])

            lo, hi = ci(rho, m)
            print(f"  {name}: Spearman(distance, {what}) {rho(alls):+.2f} [{lo:.2f}, {hi:.2f}]")


def beside(d, alls, path):
    """Each pair alone (K = 2) against the same pair in its four triples
    (pairs.py's own end of the pair there), clean median and ratio."""
    from pairs import ends, pair_ratio, probes
    pr, _ = probes(path)
    e = ends(pr)
    print("each pair alone | in its four triples (the pair's own end there): clean median, ratio")
    for p in PAIRS:
        ts = [t for (t, q) in e if q == p]
        print(f"  {p[0]}{p[1]}: alone {clean(d, p, alls):.0f}, {ratio(d, p, alls):.2f} | "
              + ", ".join(f"{''.join(map(str, t))} {med(e[t, p][0]):.0f}, {pair_ratio(e, (t, p), alls):.2f}"
                          for t in ts))


if __name__ == "__main__":
    main()
