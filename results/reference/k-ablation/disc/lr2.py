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

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from disc import OTHERS, RINGS, SHAPES, ci, clean, ratio  # noqa: E402
from triples import study_ends  # noqa: E402

PAIRS = OTHERS + RINGS


def load(path, lr, seeds=None):
    """{pair: ends} of the store's studies (their lr checked), on the given seeds."""
    f, d, first = h5py.File(path, "r"), {}, None
    for p in PAIRS:
        g = f["study/p%d%d" % p]
        assert float(g.attrs["lr"]) == lr, f"{path}: lr {g.attrs['lr']}, expected {lr}"
        s = list(g["seed"][...])
        first = first or s
        assert s == first, f"{path}: the studies' seeds differ"
        keep = [s.index(x) for x in seeds] if seeds is not None else list(range(len(s)))
        d[p] = study_ends(g)[:, keep]
    return d, [s[i] for i in keep]


def mean_ratio(d, ps, s):
    return np.mean([ratio(d, p, s) for p in ps])


def main():
    b, seeds = load(sys.argv[2], 0.00125)
    a, _ = load(sys.argv[1], 0.005, seeds)
    m = len(seeds)
    alls = np.arange(m)
    print(f"seeds {seeds[0]}..{seeds[-1]} ({m})")
    print("pair: clean median at lr 0.005 and 0.00125, their quotient [95%]; ratio at 0.005, "
          "at 0.00125 [95%]; seeds left at rho 0.8 at 0.00125")
    for p in PAIRS:
        q = ci(lambda s: clean(b, p, s) / clean(a, p, s), m)
        r = ci(lambda s: ratio(b, p, s), m)
        print(f"  {p[0]}{p[1]} ({SHAPES[p[0]]}-{SHAPES[p[1]]}): clean {clean(a, p, alls):.0f}, "
              f"{clean(b, p, alls):.0f}, x{clean(b, p, alls) / clean(a, p, alls):.2f} [{q[0]:.2f}, {q[1]:.2f}]; "
              f"ratio {ratio(a, p, alls):.3f}, {ratio(b, p, alls):.3f} [{r[0]:.3f}, {r[1]:.3f}]; "
              f"{int(np.isfinite(b[p][1]).sum())}/{m}")
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
