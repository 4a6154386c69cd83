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


def dim_names(ds):
    return [d[0].name.rsplit("/", 1)[-1] if len(d) else "" for d in ds.dims]


def written(f, study, ds):
    """Which slots of ds a done task wrote: the status over the task axes,
    reduced with any() over the grid axes ds lacks (the initial weights and
    sample_index have no p_err axis, say: every task along it writes the
    same slot)."""
    status = f[study + "/status"]
    done = np.asarray(status) == 1
    mine = dim_names(ds)
    for axis, name in reversed(list(enumerate(dim_names(status)))):
        if name not in mine:
            done = done.any(axis=axis)
    return done


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
            done = written(fa, study, x) & written(fb, study, y)
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
