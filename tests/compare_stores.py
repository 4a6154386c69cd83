#!/usr/bin/python3
"""Compares the task data of two lesde stores.

Every dataset under /study is compared exactly (NaN equal to NaN), except
those marked as timing (attribute timing = 1: rank, wall seconds, ...).
Usage: compare_stores.py A.h5 B.h5 [--only-done]
  --only-done  compare only the slots of tasks done in both (for partial stores)
Exit 0 when equal; prints the first differences otherwise.
"""
import sys

import h5py
import numpy as np


def datasets(f):
    out = {}
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset) and name.startswith("study/"):
            out[name] = obj
    f.visititems(visit)
    return out


def main(a, b, only_done):
    fa, fb = h5py.File(a, "r"), h5py.File(b, "r")
    da, db = datasets(fa), datasets(fb)
    diffs = []
    if set(da) != set(db):
        diffs.append(f"different datasets: {sorted(set(da) ^ set(db))[:5]}")
    n = 0
    for name in sorted(set(da) & set(db)):
        x, y = da[name], db[name]
        if x.attrs.get("timing", 0) == 1 or "/summary/" in name and only_done:
            continue
        if name.split("/")[-1] in ("finished_at",):
            continue
        xa, ya = np.asarray(x), np.asarray(y)
        if xa.shape != ya.shape:
            diffs.append(f"{name}: shapes {xa.shape} {ya.shape}")
            continue
        if only_done and not x.is_scale:  # coordinates: no task axes
            study = "/".join(name.split("/")[:2])
            done = (np.asarray(fa[study + "/status"]) == 1) & (np.asarray(fb[study + "/status"]) == 1)
            sel = done.reshape(done.shape + (1,) * (xa.ndim - done.ndim))
            sel = np.broadcast_to(sel, xa.shape)
            xa, ya = xa[sel], ya[sel]
        if xa.dtype.kind == "f":
            same = np.array_equal(xa, ya, equal_nan=True)
        else:
            same = np.array_equal(xa, ya)
        n += 1
        if not same:
            diffs.append(f"{name}: values differ")
    for d in diffs[:10]:
        print("differs:", d)
    print(f"compared {n} datasets: {'equal' if not diffs else f'{len(diffs)} differ'}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], "--only-done" in sys.argv[3:]))
