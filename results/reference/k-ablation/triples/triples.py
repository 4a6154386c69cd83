"""K = 3 on every triple of GeoMNIST's six shapes (a store of triples.ini):
per triple the clean plateau's median and the ratio median x |1 - rho| over
it at rho 0.8, with 95% intervals; across triples Spearman's rank
correlation of the ratio with the clean plateau; per shape and per pair the
mean ratio of the triples holding it minus that of the others. Intervals:
ratio_ci.py's (seeds resampled, a seed's tasks in every triple together).
Then, added after the first results (exploratory, not predicted): the
same within the triples with and without the ring (shape 4), and which
class has the largest class-centred probe mean at the plateau's end.
Given the six shapes' training set (lesde data geomnist --classes 6
--per-class 2000 --seed 40 --out DATA.h5), also each triple's largest
centred mean image (a class's mean image minus the mean of the three) and
the clean plateau times its norm.
Usage: /usr/bin/python3 triples.py STORE [DATA.h5]"""
import itertools
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gap"))
from ratio_ci import ci, med  # noqa: E402

SHAPES = ["ellipse", "rectangle", "triangle", "cross", "ring", "diamond"]
TRIPLES = list(itertools.combinations(range(6), 3))
RING = [t for t in TRIPLES if 4 in t]  # shape 4, the ring
OTHERS = [t for t in TRIPLES if 4 not in t]


def study(t):
    return "study/t" + "".join(map(str, t))


def study_ends(g):
    """[rho 0, rho 0.8][seed] plateau ends of a finished study, +inf: never left."""
    assert (np.asarray(g["status"]) == 1).all(), "the sweep has not finished"
    assert list(g["rho"][...]) == [0.0, 0.8]
    pt = np.asarray(g["fit/plateau_t"]).reshape(2, -1)
    return np.where(np.isnan(pt), np.inf, pt)


def load(path):
    """{triple: study_ends}."""
    f = h5py.File(path, "r")
    return {t: study_ends(f[study(t)]) for t in TRIPLES}


def clean(d, k, s):
    """The clean median over the seeds s of d[k] ([rho][seed] ends)."""
    return med(d[k][0][s])


def ratio(d, k, s):
    """Median x |1 - rho| at rho 0.8 over the clean median, seeds s."""
    return med(d[k][1][s]) * 0.2 / med(d[k][0][s])


def group_ratio(d, ks, s):
    return np.mean([ratio(d, k, s) for k in ks])


def ranks(v):
    """Ranks from 0, ties sharing their mean rank (clean medians do tie)."""
    v = np.asarray(v)
    r = np.empty(len(v))
    r[np.argsort(v, kind="stable")] = np.arange(len(v))
    for u in np.unique(v):
        r[v == u] = r[v == u].mean()
    return r


def spearman(x, y):
    return np.corrcoef(ranks(x), ranks(y))[0, 1]


def holding(d, s, keep):
    """Mean ratio of the triples that keep() accepts minus that of the others."""
    r = np.array([ratio(d, t, s) for t in TRIPLES])
    k = np.array([keep(t) for t in TRIPLES])
    return r[k].mean() - r[~k].mean()


def main():
    d = load(sys.argv[1])
    m = len(d[TRIPLES[0]][0])
    alls = np.arange(m)
    print("triple, clean plateau median [95%], seeds left at 0.8, ratio at rho 0.8 [95%]")
    for t in sorted(TRIPLES, key=lambda t: ratio(d, t, alls)):
        c = ci(lambda s: clean(d, t, s), m)
        r = ci(lambda s: ratio(d, t, s), m)
        left = int(np.isfinite(d[t][1]).sum())
        print(f"{''.join(map(str, t))} ({'/'.join(SHAPES[i] for i in t)}): clean {clean(d, t, alls):.0f} "
              f"[{c[0]:.0f}, {c[1]:.0f}], {left}/{m} left, ratio {ratio(d, t, alls):.3f} [{r[0]:.3f}, {r[1]:.3f}]")

    def rho_s(s):
        return spearman([clean(d, t, s) for t in TRIPLES], [ratio(d, t, s) for t in TRIPLES])

    lo, hi = ci(rho_s, m)
    print(f"Spearman(clean plateau, ratio) over the 20 triples: {rho_s(alls):.3f} [{lo:.3f}, {hi:.3f}]")
    print("per shape: mean ratio of the 10 triples holding it minus the 10 others")
    for i in range(6):
        lo, hi = ci(lambda s: holding(d, s, lambda t: i in t), m)
        print(f"  {SHAPES[i]}: {holding(d, alls, lambda t: i in t):+.3f} [{lo:.3f}, {hi:.3f}]")
    print("per pair: mean ratio of the 4 triples holding both minus the 16 others")
    for i, j in itertools.combinations(range(6), 2):
        lo, hi = ci(lambda s: holding(d, s, lambda t: i in t and j in t), m)
        print(f"  {SHAPES[i]}-{SHAPES[j]}: {holding(d, alls, lambda t: i in t and j in t):+.3f} "
              f"[{lo:.3f}, {hi:.3f}]")

    print("exploratory: the triples with the ring (shape 4) and without it")
    for name, ts in (("with the ring", RING), ("without", OTHERS)):

        def within(s):
            return spearman([clean(d, t, s) for t in ts], [ratio(d, t, s) for t in ts])

        a, b = ci(within, m), ci(lambda s: group_ratio(d, ts, s), m)
        print(f"  {name}: mean ratio {group_ratio(d, ts, alls):.3f} [{b[0]:.3f}, {b[1]:.3f}], "
              f"Spearman(clean, ratio) {within(alls):.3f} [{a[0]:.3f}, {a[1]:.3f}]")
    print("exploratory: seeds whose largest class-centred probe mean at the plateau's end is each class's")
    f = h5py.File(sys.argv[1], "r")
    for t in TRIPLES:
        print(f"  {''.join(map(str, t))}: clean {leaders(f[study(t)], t, 0)}; rho 0.8 {leaders(f[study(t)], t, 1)}")
    if len(sys.argv) > 2:
        images(d, alls, sys.argv[2])


def leaders(g, ids, r):
    """Seeds whose largest class-centred probe mean at the plateau's end is
    each class's, at the study g's r-th grid point."""
    x, tt, pt = np.asarray(g["xbar_probe"][r]), np.asarray(g["t"][r]), np.asarray(g["fit/plateau_t"][r])
    n = np.zeros(len(ids), int)
    for s in range(len(pt)):
        if np.isfinite(pt[s]):
            c = np.searchsorted(tt[s], pt[s])
            dev = x[s, c] - x[s, c].mean(axis=0, keepdims=True)
            n[np.argmax(np.linalg.norm(dev, axis=1))] += 1
    return " ".join(f"{SHAPES[i]} {k}" for i, k in zip(ids, n))


def centred_image_norms(mu, ids):
    """Norms of the classes' mean images minus the mean of those K."""
    m = mu[list(ids)]
    return np.linalg.norm(m - m.mean(axis=0), axis=1)


def mean_images(path):
    """[shape][pixel] mean training images of a lesde data --out file."""
    f = h5py.File(path, "r")
    y = np.asarray(f["label"])
    x = np.asarray(f["x"]).reshape(len(y), -1)
    return np.array([x[y == k].mean(axis=0) for k in range(int(y.max()) + 1)])


def images(d, alls, path):
    mu = mean_images(path)
    print("exploratory: distances between the shapes' mean images")
    print("  " + "; ".join(f"{SHAPES[i]}-{SHAPES[j]} {np.linalg.norm(mu[i] - mu[j]):.2f}"
                           for i, j in itertools.combinations(range(6), 2)))
    print("exploratory: per triple the centred mean images' norms; the clean plateau times the largest")
    prods = []
    for t in TRIPLES:
        n = centred_image_norms(mu, t)
        prods.append(clean(d, t, alls) * n.max())
        print(f"  {''.join(map(str, t))}: " + " ".join(f"{SHAPES[i]} {v:.2f}" for i, v in zip(t, n))
              + f"; clean {clean(d, t, alls):.0f} x {n.max():.2f} = {prods[-1]:.0f}")
    print(f"  over the triples {min(prods):.0f}-{max(prods):.0f}, median {np.median(prods):.0f}")


if __name__ == "__main__":
    main()
