"""K = 2 on the halfoffset ellipse (GeoMNIST's shape 9) with each other
shape (a store of halfoffset.ini), beside pairs.ini's and offset.ini's
stores of the same seeds: per pair the clean plateau's median and the
ratio median x |1 - rho| over it at rho 0.8, with 95% intervals, the
mean-image distance and the clean plateau times it; the mean ratio of the
halfoffset's five pairs with the filled shapes (H, 4.9-6.6 apart) beside
the ten pairs of those shapes (near) and the offset's five (far); H minus
each, and where H lies from the ten (0) to the offset's five (1).
Given a second set of the three stores (other seeds), the same on those
alone and on all together. Intervals: ratio_ci.py's (seeds resampled, a
seed's tasks in all stores together). Predictions: run.log, written before
the run.
Usage: /usr/bin/python3 halfoffset.py DATA.h5 HALF OFFSET PAIRS [HALF2 OFFSET2 PAIRS2]
(DATA.h5: lesde data geomnist --classes 10 --per-class 2000 --seed 40 --out DATA.h5)"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from offset import (OFFSET, OFFSETS, OTHERS, PLAIN, SHAPES, ci, drive, load_stores,  # noqa: E402
                    mean_ratio, pair_rows)

SHAPES.append("halfoffset")
HALF = 9
HALVES = [(s, HALF) for s in PLAIN]  # with the five filled shapes
EXTRA = [(4, HALF), (6, HALF), (7, HALF), (OFFSET, HALF)]  # ring, disc, frame, offset


def load(half, offset, pairs):
    return load_stores(((half, HALVES + EXTRA), (offset, OFFSETS), (pairs, OTHERS)))


def report(d, mu):
    m = d[HALVES[0]].shape[1]
    alls = np.arange(m)
    pair_rows(d, mu, HALVES + EXTRA, m)
    print("mean ratio by group:")
    for name, ps in (("the ten of the filled shapes (1.3-4.0 apart)", OTHERS),
                     ("H, the halfoffset's five (4.9-6.6 apart)", HALVES),
                     ("the offset's five (9.4-10.8 apart)", OFFSETS)):
        lo, hi = ci(lambda s: mean_ratio(d, ps, s), m)
        print(f"  {name}: {mean_ratio(d, ps, alls):.3f} [{lo:.3f}, {hi:.3f}]")

    def where(s):
        near, far = mean_ratio(d, OTHERS, s), mean_ratio(d, OFFSETS, s)
        return (mean_ratio(d, HALVES, s) - near) / (far - near)

    for name, f in (("H minus the ten", lambda s: mean_ratio(d, HALVES, s) - mean_ratio(d, OTHERS, s)),
                    ("H minus the offset's five",
                     lambda s: mean_ratio(d, HALVES, s) - mean_ratio(d, OFFSETS, s)),
                    ("where H lies, the ten 0, the offset's five 1", where)):
        lo, hi = ci(f, m)
        print(f"{name}: {f(alls):+.3f} [{lo:.3f}, {hi:.3f}]")


def main():
    drive(load, report, 10)


if __name__ == "__main__":
    main()
