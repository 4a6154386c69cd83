"""Ratios of the end of the plateau with intervals, for K-ablation stores
whose study has no train_per_class axis (lesde report's plateausize.csv
needs one): median x |1 - rho| over the clean median per K and rho, with
the report's 95% expanded percentile interval (10,000 resamples of the
seeds, a seed's tasks at every point together; numpy's stream, not the
report's); for the gap run, K = 3's minus K = 6's; and given a second
store of the same seeds, its ratios minus the first's at every K and rho
both have.
Usage: /usr/bin/python3 ratio_ci.py STORE [OTHER_STORE]"""
import math
import statistics
import sys

import h5py
import numpy as np


def load(path):
    """{(K, rho): ends[seed]} of the store's kablation study (NaN: never left)."""
    g = h5py.File(path, "r")["study/kablation"]
    assert (np.asarray(g["status"]) == 1).all()
    pt = np.asarray(g["fit/plateau_t"])
    Ks = list(g["classes"][...]) if "classes" in g else [int(g.attrs["classes"])]
    rhos = list(g["rho"][...])
    pt = pt.reshape(len(Ks), len(rhos), pt.shape[-1])  # [K][rho][seed]
    return {(K, r): np.where(np.isnan(pt[i, j]), np.inf, pt[i, j])
            for i, K in enumerate(Ks) for j, r in enumerate(rhos)}


def med(x):  # a median beyond T stays +inf
    x = np.sort(x)
    lo, hi = x[(len(x) - 1) // 2], x[len(x) // 2]
    return hi if np.isinf(hi) else (lo + hi) / 2


def ratio(d, K, r, s):
    return med(d[K, r][s]) * abs(1 - r) / med(d[K, 0.0][s])


def ci(f, m):
    t975 = {16: 2.1314495, 32: 2.0395134, 64: 1.9983405}[m]  # t(0.975; m - 1), tabled
    tail = statistics.NormalDist().cdf(-math.sqrt(m / (m - 1)) * t975)
    rng = np.random.default_rng(1)
    b = np.sort([f(rng.integers(0, m, m)) for _ in range(10000)])
    return np.quantile(b, [tail, 1 - tail])


def main():
    a = load(sys.argv[1])
    m = len(next(iter(a.values())))
    alls = np.arange(m)
    Ks = sorted({K for K, _ in a})
    rhos = sorted({r for _, r in a if r != 0})
    for r in rhos:
        for K in Ks:
            lo, hi = ci(lambda s: ratio(a, K, r, s), m)
            print(f"K = {K}, rho = {r:g}: ratio {ratio(a, K, r, alls):.3f} [{lo:.3f}, {hi:.3f}]")
        if Ks == [3, 6]:
            lo, hi = ci(lambda s: ratio(a, 3, r, s) - ratio(a, 6, r, s), m)
            d = ratio(a, 3, r, alls) - ratio(a, 6, r, alls)
            print(f"rho = {r:g}: K = 3 minus K = 6: {d:.3f} [{lo:.3f}, {hi:.3f}]")
    if Ks == [3, 6] and 0.64 in rhos and 0.8 in rhos:
        lo, hi = ci(lambda s: ratio(a, 3, 0.8, s) - ratio(a, 6, 0.64, s), m)
        print(f"K = 3 at rho 0.8 minus K = 6 at rho 0.64 (both p_err 0.533): "
              f"{ratio(a, 3, 0.8, alls) - ratio(a, 6, 0.64, alls):.3f} [{lo:.3f}, {hi:.3f}]")
    if len(sys.argv) > 2:  # the same seeds in both stores: paired
        b = load(sys.argv[2])
        for K, r in sorted(k for k in b if k in a and k[1] != 0):
            lo, hi = ci(lambda s: ratio(b, K, r, s) - ratio(a, K, r, s), m)
            d = ratio(b, K, r, alls) - ratio(a, K, r, alls)
            print(f"second store minus first, K = {K}, rho = {r:g}: {ratio(b, K, r, alls):.3f} minus "
                  f"{ratio(a, K, r, alls):.3f} = {d:.3f} [{lo:.3f}, {hi:.3f}]")


if __name__ == "__main__":
    main()
