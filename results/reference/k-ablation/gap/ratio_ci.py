"""The K-gap run's ratios with intervals (its study has no train_per_class
axis, so lesde report's plateausize.csv does not cover it): median x
|1 - rho| over the clean median per K, and K = 3's minus K = 6's, with the
report's 95% expanded percentile interval (10,000 resamples of the seeds,
a seed's tasks at every point together; numpy's stream, not the report's).
Usage: /usr/bin/python3 ratio_ci.py STORE"""
import math
import statistics
import sys

import h5py
import numpy as np

g = h5py.File(sys.argv[1], "r")["study/kablation"]
pt = np.asarray(g["fit/plateau_t"])  # [K][rho][seed], NaN: never left
assert (np.asarray(g["status"]) == 1).all()
Ks, rhos = list(g["classes"][...]), list(g["rho"][...])
pt = np.where(np.isnan(pt), np.inf, pt)
m = pt.shape[-1]
t975 = {32: 2.0395134}[m]  # t(0.975; m - 1), tabled
tail = statistics.NormalDist().cdf(-math.sqrt(m / (m - 1)) * t975)


def med(x):  # a median beyond T stays +inf
    x = np.sort(x)
    lo, hi = x[(len(x) - 1) // 2], x[len(x) // 2]
    return hi if np.isinf(hi) else (lo + hi) / 2


def ratio(k, r, s):
    return med(pt[k, r, s]) * abs(1 - rhos[r]) / med(pt[k, 0, s])


def ci(f):
    rng = np.random.default_rng(1)
    b = np.sort([f(rng.integers(0, m, m)) for _ in range(10000)])
    return np.quantile(b, [tail, 1 - tail])


alls = np.arange(m)
for r in range(1, len(rhos)):
    for k in range(len(Ks)):
        lo, hi = ci(lambda s: ratio(k, r, s))
        print(f"K = {Ks[k]}, rho = {rhos[r]:g}: ratio {ratio(k, r, alls):.3f} [{lo:.3f}, {hi:.3f}]")
    lo, hi = ci(lambda s: ratio(0, r, s) - ratio(1, r, s))
    d = ratio(0, r, alls) - ratio(1, r, alls)
    print(f"rho = {rhos[r]:g}: K = {Ks[0]} minus K = {Ks[1]}: {d:.3f} [{lo:.3f}, {hi:.3f}]")
lo, hi = ci(lambda s: ratio(0, 2, s) - ratio(1, 1, s))
print(f"K = 3 at rho 0.8 minus K = 6 at rho 0.64 (both p_err 0.533): "
      f"{ratio(0, 2, alls) - ratio(1, 1, alls):.3f} [{lo:.3f}, {hi:.3f}]")
