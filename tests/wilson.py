"""Wilson's 95% score interval of a proportion k/n, written out from the
formula (not lesde's code), for the end-to-end tests to check lesde's
intervals against: the ends are exactly 0 at k = 0 and 1 at k = n."""
import math

Z = 1.959963984540054  # the 97.5% quantile of the standard normal


def wilson(k, n):
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return (0.0 if k == 0 else centre - half), (1.0 if k == n else centre + half)
