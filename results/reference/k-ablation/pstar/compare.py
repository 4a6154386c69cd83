"""The p* runs' medians against each other, with 95% expanded percentile
bootstrap intervals over seeds, as lesde report's (the a and 1 - a
quantiles, a = Phi(-sqrt(m/(m-1)) t(0.975; m-1)); numpy's stream, not the
report's; plain 2.5% and 97.5% before 2026-12-06, run.log): the probe's
size on the same seeds (paired), and this run against sweep/plateau.ini's
K = 3, 125 per class, lr 0.005 tasks (other seeds: unpaired). A seed that
never left the plateau counts as later than all.
With a fourth store (K = 3 on shapes 3-5, the same seeds and sizes as the
first), its medians against the first's K = 3 (shapes 0-2), paired.
Usage: /usr/bin/python3 compare.py PROBE40_STORE PROBE100_STORE PLATEAU_STORE [SHAPES345_STORE]"""
import math
import statistics
import sys

import h5py
import numpy as np


def tails(m):
    """The expanded percentile interval's quantiles for m seeds (ratio_ci.py's)."""
    t975 = {16: 2.1314495, 32: 2.0395134, 64: 1.9983405}[m]  # t(0.975; m - 1), tabled
    a = statistics.NormalDist().cdf(-math.sqrt(m / (m - 1)) * t975)
    return [a, 1 - a]


def ends(path, study):
    return h5py.File(path, "r")["study/" + study]["fit/plateau_t"][...]


def med(x):
    return np.median(np.where(np.isnan(x), np.inf, x))


p40 = ends(sys.argv[1], "kablation")[0, 1]  # [K][n][seed]: K = 3, 125 per class
p100 = ends(sys.argv[2], "kablation")[0]  # [K][seed]: K = 3 (125 per class)
pl = ends(sys.argv[3], "plateau")[0, 2, 0]  # [lr][p_err][n][seed]: 0.005, 2/3, 125
rng = np.random.default_rng(1)
m = len(p40)
d = [med(p40[i]) - med(p100[i]) for i in (rng.integers(0, m, m) for _ in range(10000))]
print(f"K = 3, 125 per class, probe 40 minus probe 100 (the same seeds): "
      f"{med(p40) - med(p100):.0f} {np.quantile(d, tails(m)).round()}")
d = [med(p100[rng.integers(0, m, m)]) - med(pl[rng.integers(0, len(pl), len(pl))]) for _ in range(10000)]
print(f"probe 100 minus sweep/plateau.ini's (seeds 0..15): "
      f"{med(p100) - med(pl):.0f} {np.quantile(d, tails(min(m, len(pl)))).round()}")
if len(sys.argv) > 4:
    s012 = ends(sys.argv[1], "kablation")[0]  # [n][seed], K = 3 on shapes 0-2
    s345 = ends(sys.argv[4], "kablation")  # [n][seed], K = 3 on shapes 3-5
    for i, n in enumerate((42, 125)):
        a, b = s012[i], s345[i]
        d = [med(b[j]) / med(a[j]) for j in (rng.integers(0, m, m) for _ in range(10000))]
        print(f"{n} per class: shapes 3-5 {med(b):.0f} steps ({med(b) / (3 * n):.1f} passes), "
              f"shapes 0-2 {med(a):.0f} ({med(a) / (3 * n):.1f}): ratio {med(b) / med(a):.2f} "
              f"{np.quantile(d, tails(m)).round(2)}")
