#!/usr/bin/python3
"""The reference method's scalar fitted on its checkpoints or on every
iteration of its window, side by side on the same runs (sweep/ref-window.ini).

    /usr/bin/python3 bench/ref_window.py STORE [STORE ...] [--orders ORDERS]
    /usr/bin/python3 bench/ref_window.py STORE --tenth TENTH

The store's two studies train the same tasks (checked: their probe means are
the same bytes); `checkpoints` fits the reference method's one scalar on the
checkpoints in the last 1,000 iterations (one, t = T), `every` on each of
those iterations (ref_every = 1), as the reference code does. Per p_err and
class, for the L-model's estimates under the L-model ODE: the scalars'
ratio per seed, how far the value at T is from the window's mean and how
noisy the window is (what a one-point fit picks up), whether every 10th
iteration would do, and RD_k at T against the ETF and class-average
baselines of the same class (median [IQR]; seeds beating both, with Wilson's
95% interval when pooled over the polluted points).

Several stores (the spec run again with --set sweep.seeds=...) pool their
seeds. ORDERS, optional: a store of sweep/class-order.ini's two rotated
studies with the window's scalar at p_err 0.1-0.5, on the first store's
seeds (results/reference/ref-window/README.md has the commands). With it,
per label and shape, whether what is left of label 0's advantage follows
the label (the scalar's fit) or the shape.

TENTH: a store of the same spec whose `checkpoints` study ran with
ref_every = 10 (`--set study.checkpoints.ref_every=10`) on some of the first
store's tasks. Task by task, it prints that scalar against every iteration's
(as the runs record it, not subsampled afterwards) and the RD_k(T) it gives,
beside the one-point scalar's: whether every 10th iteration does in the
imitation itself.
"""
import argparse
import sys

import h5py
import numpy as np

LL = 1  # fit/sim index of the L-model's estimates under the L-model ODE


def q(a):
    a = a[np.isfinite(a)]
    lo, hi = np.percentile(a, [25, 75])
    return f"{np.median(a):.3f} [{lo:.3f}, {hi:.3f}]"


def wilson(k, n, z=1.959964):
    p, d = k / n, 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return c - h, c + h


def beats(g, sl):
    """RD_k(T) of L/L below both baselines, and RD_k - ETF: [points, seeds, K] each."""
    rd = np.asarray(g["fit/rd_reference"])[sl][:, :, LL, -1, :]
    e = np.asarray(g["fit/rd_etf"])[sl][:, :, -1, :]
    c = np.asarray(g["fit/rd_cmean"])[sl][:, :, -1, :]
    return (rd < e) & (rd < c), rd - e


def orders(every, perr, path):
    """Label 0 against labels 1 and 2, in three rotations of the shapes."""
    try:
        f = h5py.File(path, "r")
        studies = [("order012", [0, 1, 2], every, perr > 0)]
        for name, ids in (("order120", [1, 2, 0]), ("order201", [2, 0, 1])):
            g = f["study/" + name]
            studies.append((name, ids, g, np.isin(axis(g, "p_err"), perr[perr > 0])))
    except (OSError, KeyError) as e:
        sys.exit(f"ref_window.py: {path}: not a store of class-order.ini's rotations ({e})")
    shape = ["ellipse", "rectangle", "triangle"]
    print("\nthe labels' shapes rotated (sweep/class-order.ini), the window's scalar, p_err > 0:")
    tot = np.zeros((2, 2), int)  # [label 0, labels 1-2] x [beats, runs]
    for name, ids, g, sl in studies:
        if int(g.attrs.get("ref_every", 0)) != 1 or not np.all(np.asarray(g["status"])[sl] == 1):
            sys.exit(f"ref_window.py: {g.name}: not all done with ref_every = 1")
        w, d = beats(g, sl)
        for k in range(w.shape[2]):
            lo, hi = wilson(w[..., k].sum(), w[..., k].size)
            print(f"  {name} label {k} ({shape[ids[k]]}): beats both {w[..., k].sum()}/"
                  f"{w[..., k].size} [{lo:.2f}, {hi:.2f}], RD_k - ETF {q(d[..., k].ravel())}")
            tot[int(k > 0)] += [w[..., k].sum(), w[..., k].size]
    for i, what in enumerate(("label 0", "labels 1 and 2")):
        lo, hi = wilson(*tot[i])
        print(f"  pooled, {what}: {tot[i][0]}/{tot[i][1]} [{lo:.2f}, {hi:.2f}]")


def tenth(path, d0, ev):
    """Task by task: the scalar from every 10th iteration against every iteration's.
    d0: the first store's arrays (load), ev: its study `every`."""
    try:
        f = h5py.File(path, "r")
        g = f["study/checkpoints"]
    except (OSError, KeyError) as e:
        sys.exit(f"ref_window.py: {path}: not a store of sweep/ref-window.ini ({e})")
    if int(g.attrs.get("ref_every", 0)) != 10:
        sys.exit(f"ref_window.py: {path}: its checkpoints study has not ref_every = 10")
    perr, seed = axis(g, "p_err"), np.asarray(g["seed"])
    pi = [int(np.flatnonzero(d0["perr"] == v)[0]) for v in perr]
    si = [int(np.flatnonzero(d0["seed"] == v)[0]) for v in seed]
    ix = np.ix_(pi, si)
    done = arr(g, "status") == 1
    # load checked that the first store's two studies have the same probe means
    if not np.array_equal(arr(ev, "xbar_probe")[ix][done], arr(g, "xbar_probe")[done]):
        sys.exit(f"ref_window.py: {path}: its probe means differ from the first store's")
    s10, r10 = arr(g, "fit/ref_scale")[..., LL], arr(g, "fit/rd_reference")[:, :, LL, -1, :]
    s0, s1, r0, r1 = (d0[k][ix] for k in ("s0", "s1", "r0", "r1"))
    print(f"\nevery 10th iteration of the window, as recorded (ref_every = 10, {path}), "
          f"against every iteration's: {int(done.sum())} tasks")
    print("  p_err seed  scalar: tenth/every  one point/every   RD_0(T): every  tenth-every  "
          "one point-every   max over classes |tenth-every|")
    for p, s in zip(*np.nonzero(done)):
        print(f"  {perr[p]:5g} {seed[s]:4d}  {s10[p, s] / s1[p, s]:19.4f}  {s0[p, s] / s1[p, s]:15.3f}  "
              f"{r1[p, s, 0]:14.4f}  {r10[p, s, 0] - r1[p, s, 0]:+11.4f}  "
              f"{r0[p, s, 0] - r1[p, s, 0]:+15.3f}   {np.abs(r10[p, s] - r1[p, s]).max():.4f}")
    d = done
    print(f"  largest: |tenth/every - 1| {np.abs(s10[d] / s1[d] - 1).max():.4f}, "
          f"|RD_k tenth - every| {np.abs(r10[d] - r1[d]).max():.4f}; one point/every "
          f"{(s0[d] / s1[d]).min():.3f}-{(s0[d] / s1[d]).max():.3f}, "
          f"|RD_0 one point - every| {np.abs(r0[d][:, 0] - r1[d][:, 0]).max():.3f}")


def axis(g, name):
    """A grid axis: a dataset, or an attribute when it holds one value."""
    return np.atleast_1d(np.asarray(g[name] if name in g else g.attrs[name]))


def arr(g, name):
    """A per-task array, [p_err, seed, ...] even where the store drops a one-value p_err."""
    a = np.asarray(g[name])
    return a if "p_err" in g else a[np.newaxis]


def load(path):
    """One store of sweep/ref-window.ini: its arrays, seeds on axis 1."""
    try:
        f = h5py.File(path, "r")
        ck, ev = f["study/checkpoints"], f["study/every"]
    except (OSError, KeyError) as e:
        sys.exit(f"ref_window.py: {path}: not a store of sweep/ref-window.ini ({e})")
    for g in (ck, ev):
        st = arr(g, "status")
        if not np.all(st == 1):
            sys.exit(f"ref_window.py: {path}{g.name}: {int(np.sum(st != 1))} tasks not done")
    if not np.array_equal(arr(ck, "xbar_probe"), arr(ev, "xbar_probe"),
                          equal_nan=True):
        sys.exit(f"ref_window.py: {path}: the two studies' probe means differ: not the same runs")
    return {
        "perr": axis(ck, "p_err"),
        "seed": np.asarray(ck["seed"]),
        "s0": arr(ck, "fit/ref_scale")[..., LL],
        "s1": arr(ev, "fit/ref_scale")[..., LL],
        "r0": arr(ck, "fit/rd_reference")[:, :, LL, -1, :],  # [P, S, K] at T
        "r1": arr(ev, "fit/rd_reference")[:, :, LL, -1, :],
        "etf": arr(ck, "fit/rd_etf")[:, :, -1, :],
        "cm": arr(ck, "fit/rd_cmean")[:, :, -1, :],
        "x": arr(ev, "xbar_ref")[:, :, :, 0, 0],  # [P, S, R]: class 0's logit 0
    }, ev


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stores", nargs="+",
                    help="stores of sweep/ref-window.ini (other seeds by --set sweep.seeds): "
                         "their seeds are pooled")
    ap.add_argument("--orders", help="class-order.ini's rotations, ref_every = 1, seeds as "
                                     "the first store's")
    ap.add_argument("--tenth", help="the same spec's checkpoints study with ref_every = 10, "
                                    "on tasks of the first store")
    a = ap.parse_args()
    parts = [load(path) for path in a.stores]
    d = {k: np.concatenate([pt[0][k] for pt in parts], axis=0 if k == "seed" else 1)
         for k in parts[0][0] if k != "perr"}
    perr = parts[0][0]["perr"]
    if any(not np.array_equal(pt[0]["perr"], perr) for pt in parts) or \
            len(set(d["seed"])) != len(d["seed"]):
        sys.exit("ref_window.py: the stores differ in p_err or share seeds")
    s0, s1, r0, r1 = d["s0"], d["s1"], d["r0"], d["r1"]
    etf, cm, x = d["etf"], d["cm"], d["x"]
    P, S, K = r0.shape
    print(f"{S} seeds x {P} p_err, the scalar's window: {x.shape[2]} iterations; median [IQR]")
    for p in range(P):
        m = x[p].mean(axis=1)
        strided = np.array([[x[p, s, o::10].mean() / m[s] - 1 for o in range(10)] for s in range(S)])
        print(f"\np_err {perr[p]:g}: scalar every / checkpoints {q(s1[p] / s0[p])}; "
              f"class 0's logit at T / its window mean {q(x[p, :, -1] / m)}; its sd over the "
              f"window / |mean| {q(x[p].std(axis=1) / np.abs(m))}; every 10th iteration "
              f"instead, the mean off by at most {q(np.abs(strided).max(axis=1))} (relative)")
        print(f"  mean over classes: RD(T) checkpoints {q(r0[p].mean(axis=1))}, every "
              f"{q(r1[p].mean(axis=1))}, ETF baseline {q(etf[p].mean(axis=1))}")
        for k in range(K):
            w0 = np.sum((r0[p, :, k] < etf[p, :, k]) & (r0[p, :, k] < cm[p, :, k]))
            w1 = np.sum((r1[p, :, k] < etf[p, :, k]) & (r1[p, :, k] < cm[p, :, k]))
            print(f"  class {k}: RD_k(T) checkpoints {q(r0[p, :, k])}, every {q(r1[p, :, k])}, "
                  f"ETF baseline {q(etf[p, :, k])}; beats both baselines on {w0} -> {w1} of {S}")
    pol = perr > 0
    n = int(pol.sum()) * S
    print(f"\npooled over p_err > 0 ({n} runs):")
    for k in range(K):
        a0, a1 = r0[pol, :, k].ravel(), r1[pol, :, k].ravel()
        e, c = etf[pol, :, k].ravel(), cm[pol, :, k].ravel()
        w0, w1 = (a0 < e) & (a0 < c), (a1 < e) & (a1 < c)
        print(f"  class {k}: beats both: checkpoints {w0.sum()}/{n} "
              f"[{wilson(w0.sum(), n)[0]:.2f}, {wilson(w0.sum(), n)[1]:.2f}], every {w1.sum()}/{n} "
              f"[{wilson(w1.sum(), n)[0]:.2f}, {wilson(w1.sum(), n)[1]:.2f}] ({(w0 & ~w1).sum()} "
              f"lost, {(~w0 & w1).sum()} gained); RD_k - ETF per run: checkpoints {q(a0 - e)}, "
              f"every {q(a1 - e)}")
    if a.orders:
        orders(parts[0][1], perr, a.orders)
    if a.tenth:
        tenth(a.tenth, parts[0][0], parts[0][1])


if __name__ == "__main__":
    main()
