"""K = 2 on the square frame (GeoMNIST's shape 7) with each other shape (a
store of frame.ini), beside pairs.ini's and disc.ini's stores of the same
seeds: per pair the clean plateau's median and the ratio median x |1 - rho|
over it at rho 0.8, with 95% intervals; the frame's five pairs with the
filled shapes (neither round nor far) minus the ten pairs of those shapes;
and the two-by-two of the mean ratios, far or near, round or not: neither
(the ten), round and near (the disc's five), far and not round (the
frame's five), far and round (the ring's five), with the interaction
ring - frame - disc + neither. Given a second set of the three stores (other
seeds), the same on those alone and on all together. Intervals: ratio_ci.py's
(seeds resampled, a seed's tasks in all stores together). Predictions:
run.log, written before the run.
Usage: /usr/bin/python3 frame.py DATA.h5 FRAME PAIRS DISC [FRAME2 PAIRS2 DISC2]
(DATA.h5: lesde data geomnist --classes 8 --per-class 2000 --seed 40 --out DATA.h5)"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from disc import (DISC, DISCS, OTHERS, PLAIN, RING, RINGS, ci, disjoint, load_stores,  # noqa: E402
                  mean_images, mean_ratio, pair_row, ratio, runs)

FRAME = 7
FRAMES = [(s, FRAME) for s in PLAIN]
EXTRA = [(RING, FRAME), (DISC, FRAME)]


def load(frame, pairs, disc):
    return load_stores(((frame, FRAMES + EXTRA), (pairs, OTHERS + RINGS), (disc, DISCS)))


def report(d, mu):
    m = d[FRAMES[0]].shape[1]
    alls = np.arange(m)
    print("pair: mean-image distance, clean plateau median [95%], clean x distance, seeds left at 0.8, "
          "ratio at rho 0.8 [95%]")
    for p in sorted(FRAMES + EXTRA, key=lambda p: ratio(d, p, alls)):
        pair_row(d, p, np.linalg.norm(mu[p[0]] - mu[p[1]]), m)
    rs = [ratio(d, p, alls) for p in FRAMES]
    print(f"  the frame's five with the filled shapes: ratio {min(rs):.2f}-{max(rs):.2f}, mean {np.mean(rs):.3f}")
    cells = (("neither (near, not round)", OTHERS), ("the disc's (near, round)", DISCS),
             ("the frame's (far, not round)", FRAMES), ("the ring's (far, round)", RINGS))
    print("mean ratio by cell:")
    for name, ps in cells:
        lo, hi = ci(lambda s: mean_ratio(d, ps, s), m)
        print(f"  {name}: {mean_ratio(d, ps, alls):.3f} [{lo:.3f}, {hi:.3f}]")

    def inter(s):
        return (mean_ratio(d, RINGS, s) - mean_ratio(d, FRAMES, s) - mean_ratio(d, DISCS, s)
                + mean_ratio(d, OTHERS, s))

    for name, f in (("the frame's five minus the ten of neither",
                     lambda s: mean_ratio(d, FRAMES, s) - mean_ratio(d, OTHERS, s)),
                    ("the ring's five minus the frame's five",
                     lambda s: mean_ratio(d, RINGS, s) - mean_ratio(d, FRAMES, s)),
                    ("far, the mean of frame - neither and ring - disc",
                     lambda s: (mean_ratio(d, FRAMES, s) - mean_ratio(d, OTHERS, s)
                                + mean_ratio(d, RINGS, s) - mean_ratio(d, DISCS, s)) / 2),
                    ("round, the mean of disc - neither and ring - frame",
                     lambda s: (mean_ratio(d, DISCS, s) - mean_ratio(d, OTHERS, s)
                                + mean_ratio(d, RINGS, s) - mean_ratio(d, FRAMES, s)) / 2),
                    ("interaction, ring - frame - disc + neither", inter)):
        lo, hi = ci(f, m)
        print(f"{name}: {f(alls):+.3f} [{lo:.3f}, {hi:.3f}]")


def drive(load, report, shapes):
    """DATA.h5 (of `shapes` shapes) and three stores, and maybe three more of
    other seeds: report on them (runs)."""
    mu = mean_images(sys.argv[1])
    assert len(mu) == shapes, f"DATA.h5 must hold {shapes} shapes"
    d2 = None
    if len(sys.argv) >= 8:
        for first, second in zip(sys.argv[2:5], sys.argv[5:8]):
            disjoint(first, second)  # each kind of store: no seed twice
        d2 = load(*sys.argv[5:8])
    runs(report, mu, load(*sys.argv[2:5]), d2)


def main():
    drive(load, report, 8)


if __name__ == "__main__":
    main()
