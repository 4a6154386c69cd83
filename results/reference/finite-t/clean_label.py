"""The end of the initial plateau read off the validation means, grouped by
clean label, beside the fit's `plateau_t`, read off the probe means,
grouped by training label: the fit's rule (the first checkpoint where the
class-centred means reach 10 times their norm at t = 0) applied to
`xbar_val`, per grid point of a train study over p_err or rho; the medians and
IQRs over seeds, a seed that never left counting as later than all; the
median times |1 - rho|, rho = p_err K/(K-1).
Usage: /usr/bin/python3 clean_label.py STORE [STUDY]   (STUDY: finite)"""
import sys

import h5py
import numpy as np


def plateau_end(x, t, factor=10.0):
    """x [checkpoint][k][p], t [checkpoint]: the fit's rule (le_plateau_index)."""
    d = x - x.mean(axis=1, keepdims=True)
    n = np.sqrt((d * d).sum(axis=(1, 2)))
    if not np.isfinite(n[0]) or not n[0] > 0:
        return np.nan
    for c in range(1, len(n)):
        if not np.isfinite(n[c]):
            return np.nan
        if n[c] >= factor * n[0]:
            return float(t[c])
    return np.nan


def quantiles(v):
    """Median and quartiles with NaN (never left) as +inf, as the report does."""
    v = np.sort(np.where(np.isnan(v), np.inf, v))
    return [np.inf if np.isinf(v[int(np.ceil(q * (len(v) - 1)))]) else np.quantile(v, q)
            for q in (0.5, 0.25, 0.75)]


def main():
    g = h5py.File(sys.argv[1], "r")["study/" + (sys.argv[2] if len(sys.argv) > 2 else "finite")]
    pt = g["fit/plateau_t"]
    axes = [pt.dims[i][0].name.split("/")[-1] for i in range(pt.ndim - 1)]
    vals = {a: np.asarray(g[a]) for a in axes}
    K = int(g.attrs["classes"])
    xv, vt, ptv = np.asarray(g["xbar_val"]), np.asarray(g["val_t"]), np.asarray(pt)
    print("point, seeds, clean-label end median [IQR], x |1 - rho|, probe plateau_t median [IQR], x |1 - rho|")
    for idx in np.ndindex(*ptv.shape[:-1]):
        pt_c = np.array([plateau_end(xv[idx + (s,)], vt[idx + (s,)]) for s in range(ptv.shape[-1])])
        point = {a: vals[a][i] for a, i in zip(axes, idx)}
        rho = point["rho"] if "rho" in point else point["p_err"] * K / (K - 1)
        a, b = quantiles(pt_c), quantiles(ptv[idx])
        name = ", ".join(f"{k}={v:g}" for k, v in point.items())
        w = abs(1 - rho)

        def times_w(v):  # at p* the product is 0 x median: not printed
            return f"{v * w:.0f}" if w > 1e-12 else "-"

        print(f"{name}: {ptv.shape[-1]}, {a[0]:.0f} [{a[1]:.0f}, {a[2]:.0f}], {times_w(a[0])}, "
              f"{b[0]:.0f} [{b[1]:.0f}, {b[2]:.0f}], {times_w(b[0])}")


if __name__ == "__main__":
    main()
