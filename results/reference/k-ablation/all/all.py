"""Every pair of GeoMNIST's ten shapes at K = 2, from the five sweeps that
ran them at pairs.ini's settings (pairs, disc, frame, offset, halfoffset;
seeds 40..71 and then 72..103): per pair the mean-image distance, the
clean plateau's median, the clean plateau times the distance, and the
ratio median x |1 - rho| over the clean median at rho 0.8 with its 95%
interval; Spearman's rank correlation of the ratio with the distance over
all 45 pairs, and within the pairs nearer than 4.5 and farther, each with
its interval; the pairs' mean ratio by distance band. Written after every
one of these runs had been read: exploratory, a summary of them, not a
test. Intervals: ratio_ci.py's (64 seeds resampled, a seed's tasks in every
store together). Writes all45.csv and all45.dat (for all45.gp) beside
the script.
Usage: /usr/bin/python3 all.py DATA.h5 PAIRS DISC FRAME OFFSET HALF PAIRS2 DISC2 FRAME2 OFFSET2 HALF2
(DATA.h5: lesde data geomnist --classes 10 --per-class 2000 --seed 40 --out DATA.h5;
each store of seeds 40..71, each second one of 72..103)"""
import itertools
import os
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "disc"))
from disc import ci, clean, disjoint, load_stores, ratio  # noqa: E402
from triples import mean_images  # noqa: E402

SHAPES = ["ellipse", "rectangle", "triangle", "cross", "ring", "diamond", "disc", "frame",
          "offset", "halfoffset"]
# Each sweep's pairs: pairs.ini the 15 of shapes 0-5, then each added shape
# with every shape before it.
SWEEPS = [list(itertools.combinations(range(6), 2))] + [[(s, n) for s in range(n)] for n in range(6, 10)]
BANDS = ((0, 4.5), (4.5, 7.5), (7.5, 99))


def load(paths):
    return load_stores(list(zip(paths, SWEEPS)))


def spearman(x, y):
    rx, ry = np.argsort(np.argsort(x)), np.argsort(np.argsort(y))
    return np.corrcoef(rx, ry)[0, 1]


def main():
    mu = mean_images(sys.argv[1])
    assert len(mu) == 10, "DATA.h5 must hold the ten shapes"
    first, second = sys.argv[2:7], sys.argv[7:12]
    assert len(second) == 5, __doc__
    for a, b in zip(first, second):
        disjoint(a, b)
    d1, d2 = load(first), load(second)
    d = {p: np.concatenate([d1[p], d2[p]], axis=1) for p in d1}
    pairs = sorted(d, key=lambda p: np.linalg.norm(mu[p[0]] - mu[p[1]]))
    assert len(pairs) == 45
    m = d[pairs[0]].shape[1]
    alls = np.arange(m)
    dist = {p: np.linalg.norm(mu[p[0]] - mu[p[1]]) for p in pairs}
    rows = []
    print(f"{m} seeds. pair: mean-image distance, clean plateau median, clean x distance, "
          "ratio at rho 0.8 [95%]")
    for p in pairs:
        lo, hi = ci(lambda s: ratio(d, p, s), m)
        c, r = clean(d, p, alls), ratio(d, p, alls)
        rows.append((p, dist[p], c, r, lo, hi))
        print(f"  {SHAPES[p[0]]}-{SHAPES[p[1]]}: {dist[p]:.2f}, {c:.0f}, {c * dist[p]:.0f}, "
              f"{r:.3f} [{lo:.3f}, {hi:.3f}]")
    x = np.array([dist[p] for p in pairs])
    for name, keep in (("all 45 pairs", x > 0), ("nearer than 4.5", x < 4.5), ("farther than 4.5", x > 4.5)):
        ps = [p for p, k in zip(pairs, keep) if k]
        rho = lambda s: spearman(x[keep], [ratio(d, p, s) for p in ps])  # noqa: E731
        lo, hi = ci(rho, m)
        print(f"Spearman, ratio against distance, {name} ({len(ps)}): {rho(alls):+.3f} [{lo:.3f}, {hi:.3f}]")
    for lo_d, hi_d in BANDS:
        ps = [p for p in pairs if lo_d < dist[p] < hi_d]
        f = lambda s: np.mean([ratio(d, p, s) for p in ps])  # noqa: E731
        lo, hi = ci(f, m)
        print(f"pairs {lo_d:g}-{hi_d:g} apart ({len(ps)}; {min(dist[p] for p in ps):.2f}-"
              f"{max(dist[p] for p in ps):.2f}): mean ratio {f(alls):.3f} [{lo:.3f}, {hi:.3f}]")
    with open(os.path.join(here, "all45.csv"), "w") as csv, open(os.path.join(here, "all45.dat"), "w") as dat:
        csv.write("a,b,shape_a,shape_b,distance,clean_median,clean_x_distance,ratio,ratio_lo,ratio_hi\n")
        dat.write("# distance ratio lo hi (pair a-b)\n")
        for p, dd, c, r, lo, hi in rows:
            csv.write(f"{p[0]},{p[1]},{SHAPES[p[0]]},{SHAPES[p[1]]},{dd:.4f},{c:g},{c * dd:.1f},"
                      f"{r:.4f},{lo:.4f},{hi:.4f}\n")
            dat.write(f"{dd:.4f} {r:.4f} {lo:.4f} {hi:.4f} # {SHAPES[p[0]]}-{SHAPES[p[1]]}\n")


if __name__ == "__main__":
    main()
