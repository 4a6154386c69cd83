"""Does the ring's effect depend on the plateau rule's factor? From a store
of triples.ini, the plateau's end recomputed from the probe means with the
fit's rule at factors 3, 10 (the fit's), 30 and 100: per factor the mean
over the 10 triples with the ring and the 10 without of the clean plateau
and of the ratio median x |1 - rho| over it at rho 0.8, and the ratio's
with minus without, with ratio_ci.py's 95% interval (seeds resampled
together in every triple); then how far the centred means grow by T.
Usage: /usr/bin/python3 rule.py STORE"""
import os
import sys

import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "gap"))
sys.path.insert(0, os.path.join(here, "..", "..", "finite-t"))
from clean_label import plateau_end  # noqa: E402
from ratio_ci import ci  # noqa: E402
from triples import OTHERS, RING, TRIPLES, clean, group_ratio, ratio, study  # noqa: E402


def probes(path):
    """{triple: (probe means [rho][seed][checkpoint][k][p], iterations [rho][seed][checkpoint])}."""
    f = h5py.File(path, "r")
    return {t: (np.asarray(f[study(t)]["xbar_probe"]), np.asarray(f[study(t)]["t"])) for t in TRIPLES}


def ends(pr, factor):
    """{triple: [rho][seed] ends at this factor}, +inf: never left."""
    d = {}
    for t, (x, tt) in pr.items():
        e = np.array([[plateau_end(x[r, s], tt[r, s], factor) for s in range(x.shape[1])] for r in range(2)])
        d[t] = np.where(np.isnan(e), np.inf, e)
    return d


def main():
    pr = probes(sys.argv[1])
    for factor in (3.0, 10.0, 30.0, 100.0):
        d = ends(pr, factor)
        m = d[TRIPLES[0]].shape[1]
        alls = np.arange(m)

        def mean_clean(ts, s):
            return np.mean([clean(d, t, s) for t in ts])

        left = [int(np.isfinite(d[t][1]).sum()) for t in TRIPLES]
        diff = group_ratio(d, RING, alls) - group_ratio(d, OTHERS, alls)
        if min(left) >= 0.75 * m:
            lo, hi = ci(lambda s: group_ratio(d, RING, s) - group_ratio(d, OTHERS, s), m)
            interval = f"[{lo:.3f}, {hi:.3f}]"
        else:  # resampled medians beyond T would make it +inf - +inf
            interval = "(no interval: too many seeds never left)"
        print(f"factor {factor:g}: clean {mean_clean(RING, alls):.0f} with the ring, "
              f"{mean_clean(OTHERS, alls):.0f} without; ratio {group_ratio(d, RING, alls):.3f} and "
              f"{group_ratio(d, OTHERS, alls):.3f}, with minus without {diff:+.3f} "
              f"{interval}; at rho 0.8 {min(left)}-{max(left)} of {m} seeds left within T per triple")
        if min(left) < 0.75 * m:
            print("  per triple, ratio (seeds left at rho 0.8): " + ", ".join(
                f"{''.join(map(str, t))} {ratio(d, t, alls):.2f} ({k})" for t, k in zip(TRIPLES, left)))
    growth(pr)


def growth(pr):
    """How far the class-centred probe means grow by T: their norm at the last
    checkpoint over that at t = 0, median over the seeds of each group."""
    for name, ts in (("with the ring", RING), ("without", OTHERS)):
        q = [[], []]
        for x, tt in (pr[t] for t in ts):
            for r in range(2):
                for s in range(x.shape[1]):
                    last = int(np.argmax(tt[r, s]))
                    d0, d1 = (x[r, s, c] - x[r, s, c].mean(axis=0) for c in (0, last))
                    q[r].append(np.linalg.norm(d1) / np.linalg.norm(d0))
        print(f"the centred means' growth by T, {name}: clean {np.median(q[0]):.0f}x, rho 0.8 {np.median(q[1]):.0f}x")


if __name__ == "__main__":
    main()
