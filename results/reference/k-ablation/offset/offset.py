"""K = 2 on the offset ellipse (GeoMNIST's shape 8) with each other shape (a
store of offset.ini), beside pairs.ini's and frame.ini's stores of the same
seeds: per pair the clean plateau's median and the ratio median x |1 - rho|
over it at rho 0.8, with 95% intervals, the mean-image distance and the
clean plateau times it; the mean ratio of the offset's five pairs with the
filled shapes (far, filled) beside the ten pairs of those shapes (near,
filled), the frame's five (far, an outline) and the ring's five (far, an
outline); O, the offset's five minus the ten, and the offset's five minus
the frame's five. Given a second set of the three stores (other seeds),
the same on those alone and on all together. Intervals: ratio_ci.py's
(seeds resampled, a seed's tasks in all stores together). Predictions:
run.log, written before the run.
Usage: /usr/bin/python3 offset.py DATA.h5 OFFSET PAIRS FRAME [OFFSET2 PAIRS2 FRAME2]
(DATA.h5: lesde data geomnist --classes 9 --per-class 2000 --seed 40 --out DATA.h5)"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "disc"))
from disc import (OTHERS, PLAIN, RING, RINGS, SHAPES, ci, clean, load_stores,  # noqa: E402
                  mean_ratio, pair_row, ratio)
from frame import FRAME, FRAMES, drive  # noqa: E402

SHAPES.append("offset")
OFFSET = 8
OFFSETS = [(s, OFFSET) for s in PLAIN]  # with the five filled shapes
EXTRA = [(RING, OFFSET), (6, OFFSET), (FRAME, OFFSET)]  # with the ring, the disc, the frame
LAW = (1650, 2350)  # P1's band of clean plateau x distance


def load(offset, pairs, frame):
    return load_stores(((offset, OFFSETS + EXTRA), (pairs, OTHERS + RINGS), (frame, FRAMES)))


def pair_rows(d, mu, ps, m):
    """The pairs ps' lines, by ratio, and how many follow the plateau law (P1)."""
    alls = np.arange(m)
    print("pair: mean-image distance, clean plateau median [95%], clean x distance, seeds left at 0.8, "
          "ratio at rho 0.8 [95%]")
    in_law = 0
    for p in sorted(ps, key=lambda p: ratio(d, p, alls)):
        dist = np.linalg.norm(mu[p[0]] - mu[p[1]])
        pair_row(d, p, dist, m)
        in_law += LAW[0] <= clean(d, p, alls) * dist <= LAW[1]
    print(f"  P1: clean x distance within {LAW[0]}-{LAW[1]} for {in_law} of {len(ps)} pairs")


def report(d, mu):
    m = d[OFFSETS[0]].shape[1]
    alls = np.arange(m)
    pair_rows(d, mu, OFFSETS + EXTRA, m)
    rs = [ratio(d, p, alls) for p in OFFSETS]
    print(f"  the offset's five with the filled shapes: ratio {min(rs):.2f}-{max(rs):.2f}, mean {np.mean(rs):.3f}")
    print("mean ratio by group:")
    for name, ps in (("the ten of the filled shapes (near, filled)", OTHERS),
                     ("the offset's five (far, filled)", OFFSETS),
                     ("the frame's five (far, an outline)", FRAMES),
                     ("the ring's five (far, an outline)", RINGS)):
        lo, hi = ci(lambda s: mean_ratio(d, ps, s), m)
        print(f"  {name}: {mean_ratio(d, ps, alls):.3f} [{lo:.3f}, {hi:.3f}]")
    for name, a, b in (("O: the offset's five minus the ten", OFFSETS, OTHERS),
                       ("the offset's five minus the frame's five", OFFSETS, FRAMES)):
        lo, hi = ci(lambda s: mean_ratio(d, a, s) - mean_ratio(d, b, s), m)
        print(f"{name}: {mean_ratio(d, a, alls) - mean_ratio(d, b, alls):+.3f} [{lo:.3f}, {hi:.3f}]")


def main():
    drive(load, report, 9)


if __name__ == "__main__":
    main()
