"""pairs.ini at two learning rates: its store at lr 0.005 (seeds 40..71)
and a run at lr 0.00125 with T = 1.2e5 in every study on some of those
seeds: per pair the clean plateau's median at each rate and their
quotient, and the ratio median x |1 - rho| over the clean median at rho
0.8 at each rate, on the seeds both have; the mean ratio of the ten pairs
of the filled shapes (near) and of the ring's five (far) at each rate,
the changes, the near minus far gap at each rate, and (added after the
results) each group's excess over the law at the smaller rate over the
larger, with 95% intervals
(ratio_ci.py's, seeds resampled, a seed's tasks in both stores together).
Predictions: run.log, written before the run.
Usage: /usr/bin/python3 lr2.py PAIRS_STORE PAIRS_LR_STORE"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from disc import OTHERS, RINGS, ci, mean_ratio  # noqa: E402
from lr import by_pair, load_at  # noqa: E402

PAIRS = OTHERS + RINGS


def main():
    b, seeds = load_at(sys.argv[2], PAIRS, 0.00125)
    a, _ = load_at(sys.argv[1], PAIRS, 0.005, seeds)
    m = len(seeds)
    alls = np.arange(m)
    print(f"seeds {seeds[0]}..{seeds[-1]} ({m})")
    by_pair(a, b, PAIRS, m)
    rows = [("near (the ten), lr 0.005", lambda s: mean_ratio(a, OTHERS, s)),
            ("near (the ten), lr 0.00125", lambda s: mean_ratio(b, OTHERS, s)),
            ("far (the ring's five), lr 0.005", lambda s: mean_ratio(a, RINGS, s)),
            ("far (the ring's five), lr 0.00125", lambda s: mean_ratio(b, RINGS, s)),
            ("near's change, 0.00125 minus 0.005",
             lambda s: mean_ratio(b, OTHERS, s) - mean_ratio(a, OTHERS, s)),
            ("far's change, 0.00125 minus 0.005",
             lambda s: mean_ratio(b, RINGS, s) - mean_ratio(a, RINGS, s)),
            ("near minus far, lr 0.005", lambda s: mean_ratio(a, OTHERS, s) - mean_ratio(a, RINGS, s)),
            ("near minus far, lr 0.00125", lambda s: mean_ratio(b, OTHERS, s) - mean_ratio(b, RINGS, s)),
            ("the gap's change, 0.00125 minus 0.005",
             lambda s: (mean_ratio(b, OTHERS, s) - mean_ratio(b, RINGS, s))
             - (mean_ratio(a, OTHERS, s) - mean_ratio(a, RINGS, s))),
            # added after the results (a review's question): the excess over
            # the law, mean ratio - 1, at the smaller rate over the larger
            ("near's excess over the law, 0.00125 over 0.005",
             lambda s: (mean_ratio(b, OTHERS, s) - 1) / (mean_ratio(a, OTHERS, s) - 1)),
            ("far's excess over the law, 0.00125 over 0.005",
             lambda s: (mean_ratio(b, RINGS, s) - 1) / (mean_ratio(a, RINGS, s) - 1))]
    for name, f in rows:
        lo, hi = ci(f, m)
        print(f"{name}: {f(alls):+.3f} [{lo:.3f}, {hi:.3f}]")


if __name__ == "__main__":
    main()
