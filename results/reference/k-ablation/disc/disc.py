"""K = 2 on the disc (GeoMNIST's shape 6) with each other shape (a store of
disc.ini), beside the 15 pairs of pairs.ini (the same seeds and settings):
per pair the clean plateau's median and the ratio median x |1 - rho| over
it at rho 0.8, with 95% intervals; D, the mean ratio of the disc's five
pairs with the shapes other than the ring minus that of the ten pairs of
those five shapes; the ring's five pairs minus the disc's five; and, given
the seven shapes' training set (lesde data geomnist --classes 7
--per-class 2000 --seed 40 --out DATA.h5), each pair's mean-image distance
and the clean plateau times it. Intervals: ratio_ci.py's (seeds resampled,
a seed's tasks in both stores together). Predictions: run.log, written
before the run. Given a second pair of stores (the replication, other seeds),
the same on those seeds alone, then on all the seeds together. Studies not
run in a store (`lesde sweep --study`: every task pending) are skipped, with
the lines that need them.
Usage: /usr/bin/python3 disc.py DISC_STORE PAIRS_STORE DATA.h5 [DISC_STORE2 PAIRS_STORE2]"""
import itertools
import os
import sys

import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "gap"))
sys.path.insert(0, os.path.join(here, "..", "triples"))
from ratio_ci import ci  # noqa: E402
from triples import clean, mean_images, ratio, study_ends  # noqa: E402

SHAPES = ["ellipse", "rectangle", "triangle", "cross", "ring", "diamond", "disc", "frame"]
RING, DISC = 4, 6
PLAIN = [0, 1, 2, 3, 5]  # neither round
OTHERS = list(itertools.combinations(PLAIN, 2))  # pairs.ini's ten without the ring
RINGS = [(s, RING) if s < RING else (RING, s) for s in PLAIN]
DISCS = [(s, DISC) for s in PLAIN]


def load(disc_path, pairs_path):
    """{pair: [rho 0, rho 0.8][seed] ends} of both stores, their seeds checked."""
    return load_stores(((disc_path, DISCS + [(RING, DISC)]), (pairs_path, OTHERS + RINGS)))


def load_stores(stores):
    """{pair: ends} of the studies p<i><j> of each (store, pairs), their seeds checked."""
    d, seeds = {}, []
    for path, pairs in stores:
        f = h5py.File(path, "r")
        for p in pairs:
            g = f["study/p%d%d" % p]
            if not np.asarray(g["status"]).any():  # not run (sweep --study): skipped
                continue
            d[p] = study_ends(g)
            seeds.append(list(g["seed"][...]))
    assert all(s == seeds[0] for s in seeds), "the stores' seeds differ"
    return d


def disjoint(first, second):
    """Checks that two runs' stores share no seed (a store given twice would double them)."""
    def seeds(path):
        f = h5py.File(path, "r")
        return {int(x) for g in f["study"].values() for x in g["seed"][...]}
    assert not seeds(first) & seeds(second), f"{first} and {second} share seeds"


def mean_ratio(d, ps, s):
    return np.mean([ratio(d, p, s) for p in ps])


def runs(report, mu, d, d2=None):
    """report(d, mu); given a second run's ends d2 (other seeds), report on
    those seeds alone, then on both runs' seeds together."""
    if d2 is None:
        report(d, mu)
        return
    print("the second stores' seeds alone:")
    report(d2, mu)
    print("\nall seeds, both runs:")
    report({p: np.concatenate([d[p], d2[p]], axis=1) for p in d}, mu)


def pair_row(d, p, dist, m):
    """One pair's line: distance, clean median [95%], clean x distance, seeds
    left at rho 0.8, ratio [95%]."""
    alls = np.arange(m)
    c, r = ci(lambda s: clean(d, p, s), m), ci(lambda s: ratio(d, p, s), m)
    print(f"  {p[0]}{p[1]} ({SHAPES[p[0]]}-{SHAPES[p[1]]}): {dist:.2f}, "
          f"clean {clean(d, p, alls):.0f} [{c[0]:.0f}, {c[1]:.0f}], {clean(d, p, alls) * dist:.0f}, "
          f"{int(np.isfinite(d[p][1]).sum())}/{m}, ratio {ratio(d, p, alls):.3f} [{r[0]:.3f}, {r[1]:.3f}]")


def main():
    mu = mean_images(sys.argv[3])
    assert len(mu) == 7, "DATA.h5 must hold the seven shapes"
    d2 = None
    if len(sys.argv) >= 6:
        disjoint(sys.argv[1], sys.argv[4])
        d2 = load(sys.argv[4], sys.argv[5])
    runs(report, mu, load(sys.argv[1], sys.argv[2]), d2)


def report(d, mu):
    m = d[DISCS[0]].shape[1]
    alls = np.arange(m)
    dist = {p: np.linalg.norm(mu[p[0]] - mu[p[1]]) for p in d}
    print("pair: mean-image distance, clean plateau median [95%], clean x distance, seeds left at 0.8, "
          "ratio at rho 0.8 [95%]")
    for name, ps in (("the disc's", DISCS + [(RING, DISC)]), ("the ring's", RINGS), ("neither", OTHERS)):
        ps = [p for p in ps if p in d]
        if not ps:
            print(f"{name}: not run")
            continue
        print(f"{name}:")
        for p in sorted(ps, key=lambda p: ratio(d, p, alls)):
            pair_row(d, p, dist[p], m)
        rs = [ratio(d, p, alls) for p in ps if p != (RING, DISC)]
        print(f"  ratio {min(rs):.2f}-{max(rs):.2f}, mean {np.mean(rs):.3f}" + (" (without disc-ring)" if ps[0] in DISCS and (RING, DISC) in ps else ""))
    for name, a, b in (("D: the disc's five minus the ten of neither", DISCS, OTHERS),
                       ("the ring's five minus the ten of neither", RINGS, OTHERS),
                       ("the ring's five minus the disc's five", RINGS, DISCS)):
        if not all(p in d for p in a + b):
            print(f"{name}: not run")
            continue
        lo, hi = ci(lambda s: mean_ratio(d, a, s) - mean_ratio(d, b, s), m)
        print(f"{name}: {mean_ratio(d, a, alls) - mean_ratio(d, b, alls):+.3f} [{lo:.3f}, {hi:.3f}]")


if __name__ == "__main__":
    main()
