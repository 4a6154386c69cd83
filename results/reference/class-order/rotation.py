#!/usr/bin/python3
"""Does the reference method's class-0 advantage follow the label (the fit of
its one scalar on label 0's logit) or the shape? sweep/class-order.ini gives
the labels GeoMNIST's three shapes in three rotations; this reads its store
and prints, for the L-model's estimates under the L-model ODE, per order,
label and p_err: the seeds whose RD_k at T beats both baselines of that
label (ETF and class average), RD_k and RD_k minus the ETF baseline's
(median [IQR] over seeds); then pooled over p_err 0.1-0.5 per label and
shape, and label 0 against labels 1 and 2, with Wilson's 95% intervals.

    /usr/bin/python3 rotation.py STORE [--old OLD_imitation_k.csv]

OLD: the imitation_k.csv of a run whose scalar was fitted otherwise (before
ref_every = 10: git show 7bf40ef:results/reference/class-order/imitation_k.csv),
whose counts are printed beside this store's ("old -> new").
"""
import argparse
import csv
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../bench"))
from ref_window import q, wilson  # noqa: E402 (median [IQR]; Wilson's interval)

LL = 1  # fit/sim index of the L-model's estimates under the L-model ODE
ORDERS = (("order012", (0, 1, 2)), ("order120", (1, 2, 0)), ("order201", (2, 0, 1)))
SHAPE = ("ellipse", "rectangle", "triangle")  # GeoMNIST's classes 0, 1, 2


def ci(k, n):
    lo, hi = wilson(k, n)
    return f"[{max(lo, 0):.2f}, {min(hi, 1):.2f}]"


def old_counts(path):
    """(study, p_err, label) -> seeds beating both baselines, from imitation_k.csv."""
    out = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            if r["start"] == "reference" and r["sim"] == "L-est/L-ODE":
                p = float(r["point"].split("=")[1])
                out[(r["study"], round(p, 6), int(r["class"]))] = int(r["beats_both_baselines"])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("store", help="a store of sweep/class-order.ini, every task done")
    ap.add_argument("--old", help="an imitation_k.csv of the same spec fitted otherwise")
    a = ap.parse_args()
    old = old_counts(a.old) if a.old else None
    try:
        f = h5py.File(a.store, "r")
        groups = [(name, ids, f["study/" + name]) for name, ids in ORDERS]
    except (OSError, KeyError) as e:
        sys.exit(f"rotation.py: {a.store}: not a store of sweep/class-order.ini ({e})")
    pooled = {}  # (order, label) -> (beats, runs, RD_k - ETF)
    for name, ids, g in groups:
        st = np.asarray(g["status"])
        if not np.all(st == 1):
            sys.exit(f"rotation.py: {g.name}: {int(np.sum(st != 1))} tasks not done")
        perr = np.asarray(g["p_err"])
        rd = np.asarray(g["fit/rd_reference"])[:, :, LL, -1, :]  # [P, S, K] at T
        etf = np.asarray(g["fit/rd_etf"])[:, :, -1, :]
        cm = np.asarray(g["fit/rd_cmean"])[:, :, -1, :]
        win = (rd < etf) & (rd < cm)
        P, S, K = rd.shape
        print(f"{name} (labels 0, 1, 2 drawn as {', '.join(SHAPE[i] for i in ids)}; "
              f"ref_every = {int(g.attrs.get('ref_every', 0))}), {S} seeds:")
        for p in range(P):
            for k in range(K):
                was = ""
                if old is not None:
                    key = (name, round(float(perr[p]), 6), k)
                    was = f"{old[key]:>2} -> " if key in old else "   ?  -> "
                print(f"  p_err {perr[p]:<4g} label {k} ({SHAPE[ids[k]]:<9}): beats both "
                      f"{was}{win[p, :, k].sum():>2} of {S}; RD_k {q(rd[p, :, k])}, ETF "
                      f"{q(etf[p, :, k])}, RD_k - ETF {q(rd[p, :, k] - etf[p, :, k])}")
        sel = (perr > 0.05) & (perr < 0.55)
        for k in range(K):
            pooled[(name, k)] = (int(win[sel, :, k].sum()), int(sel.sum()) * S,
                                 (rd[sel, :, k] - etf[sel, :, k]).ravel())
    print("\npooled over p_err 0.1-0.5, per order and label:")
    for name, ids, _ in groups:
        for k in range(3):
            w, n, d = pooled[(name, k)]
            print(f"  {name} label {k} ({SHAPE[ids[k]]:<9}): beats both {w}/{n} {ci(w, n)}, "
                  f"RD_k - ETF {q(d)}")
    print("\nper shape, as label 0, 1, 2 (pooled over p_err 0.1-0.5):")
    for s in range(3):
        cells = []
        for k in range(3):
            name = next(nm for nm, ids, _ in groups if ids[k] == s)
            w, n, _ = pooled[(name, k)]
            cells.append(f"{w}/{n}")
        print(f"  {SHAPE[s]:<9}: {', '.join(cells)}")
    for what, labels in (("label 0", (0,)), ("labels 1 and 2", (1, 2))):
        w = sum(pooled[(nm, k)][0] for nm, _, _ in groups for k in labels)
        n = sum(pooled[(nm, k)][1] for nm, _, _ in groups for k in labels)
        d = np.concatenate([pooled[(nm, k)][2] for nm, _, _ in groups for k in labels])
        print(f"pooled, {what}: beats both {w}/{n} {ci(w, n)}, RD_k - ETF {q(d)}")


if __name__ == "__main__":
    main()
