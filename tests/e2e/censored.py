"""The report's censored quantile, for the end-to-end checks: numpy's
type 7 over the sorted values, but +inf where the interpolation touches
+inf (a seed that never left the plateau counts as later than all), and
-inf where it starts from -inf (a bootstrap difference's lower end)."""
import math

import numpy as np


def quantile(v, q):
    v = np.sort(v)
    h = q * (len(v) - 1)
    lo = int(math.floor(h))
    if lo + 1 >= len(v) or h == lo or np.isinf(v[lo]):
        return v[lo]
    return v[lo + 1] if np.isinf(v[lo + 1]) else v[lo] + (h - lo) * (v[lo + 1] - v[lo])
