#!/usr/bin/env bash
# netCDF-4 / xarray read a store as it is: with the h5netcdf and the netcdf4
# engines, every group of a sweep store (the study, fit/, init/, every
# summary/<stat>/ and summary/<stat>/fit/, an sde study) and of a lesde
# train file opens; every dimension of every variable has a coordinate
# (but the characters of a message), every variable units and a long_name,
# attributes are strings, not bytes. The final accuracy selected with .sel
# by p_err equals what lesde report wrote into summary.csv; the median over
# seeds computed by xarray equals summary/median. lesde fit's file opens
# with named dimensions too. The string coordinates (fit/model, sim) hold
# their values in both the parallel store and the serial train file; the
# class_ids attribute names the dataset classes of the class coordinate.
# The train file's records of the reference window (--ref-every) read with
# their own dimension, ref_record.
source "$(dirname "$0")/lib.sh"
if ! /usr/bin/python3 -c "import xarray, h5netcdf, netCDF4" 2>/dev/null; then
  echo "SKIP: needs python3-xarray, python3-h5netcdf and python3-netcdf4 (jobs/setup.sh --test)" >&2
  exit 77
fi
SPEC=$ROOT/tests/specs/smoke.ini
expect_exit 0 "sweep" "${MPIRUN[@]}" -n 2 "$LESDE" sweep "$SPEC" --store "$TMP/s.h5" --quiet
expect_exit 0 "report of the sweep" "$LESDE" report "$TMP/s.h5" --out "$TMP/rs" --quiet
expect_exit 0 "train" "$LESDE" train --quiet --iters 300 --train-per-class 40 --val-per-class 20 \
  --checkpoints 11 --probe-per-class 10 --p-err 0.25 --seed 4 --class-ids 5,0,7 --ref-every 50 \
  --out "$TMP/t.h5"
expect_exit 0 "report of the train file" "$LESDE" report "$TMP/t.h5" --out "$TMP/rt" --quiet
check "the train file has its summaries (no warning)" test ! -s "$TMP/err"

check "xarray reads every group, .sel by p_err equals summary.csv" \
  /usr/bin/python3 - "$TMP/s.h5" "$TMP/rs/summary.csv" "$TMP/t.h5" "$TMP/rt/summary.csv" <<'PY'
import csv, sys
import numpy as np
import xarray as xr

store, store_csv, run, run_csv = sys.argv[1:]
bad = []
STATS = ["mean", "std", "ci_lo", "ci_hi", "n", "median", "q25", "q75"]

def look(path, group, engine):
    """Opens a group; checks names, coordinates, units, attribute types."""
    try:
        ds = xr.open_dataset(path, engine=engine, group=group)
    except Exception as e:  # the failure this test is about
        bad.append(f"{engine} {group}: {e!r}"[:300])
        return None
    if not ds.data_vars:
        bad.append(f"{engine} {group}: no variables")
    for name, v in ds.variables.items():
        units = v.attrs.get("units", v.encoding.get("units"))  # times: decoded
        if "long_name" not in v.attrs or (name not in ds.dims and units is None
                                           and v.dtype.kind not in "OUS"):
            bad.append(f"{engine} {group}/{name}: no long_name or units")
        for k, a in v.attrs.items():
            if isinstance(a, bytes):
                bad.append(f"{engine} {group}/{name}: attribute {k} is bytes")
    for d in ds.dims:
        if d not in ds.coords:
            bad.append(f"{engine} {group}: dimension {d} has no coordinate")
    for k, a in ds.attrs.items():
        if isinstance(a, bytes):
            bad.append(f"{engine} {group}: attribute {k} is bytes")
    return ds

def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))

for engine in ("h5netcdf", "netcdf4"):
    groups = ["/study/train", "/study/train/fit", "/study/train/init", "/study/sde"]
    groups += [f"/study/train/summary/{s}" for s in STATS]
    groups += [f"/study/train/summary/{s}/fit" for s in STATS]
    groups += [f"/study/sde/summary/{s}" for s in STATS]
    opened = {g: look(store, g, engine) for g in groups}
    tr, mean, med = opened["/study/train"], opened["/study/train/summary/mean"], \
        opened["/study/train/summary/median"]
    if tr is None or mean is None or med is None:
        continue
    # the coordinates the brief names
    for d in ("p_err", "seed", "checkpoint", "val_checkpoint", "class", "feature", "snapshot",
              "probe_sample"):
        if d not in tr.coords:
            bad.append(f"{engine}: no coordinate {d}")
    if list(tr.checkpoint.values) != list(range(0, 301, 30)):
        bad.append(f"{engine}: checkpoint iterations {tr.checkpoint.values}")
    fit = opened["/study/train/fit"]
    if fit is not None and list(fit.model.values) != ["I", "L"]:
        bad.append(f"{engine}: models {fit.model.values}")
    if str(tr.message.dtype) != "object" or tr.message.dims != ("p_err", "seed"):
        bad.append(f"{engine}: message {tr.message.dtype} {tr.message.dims}")
    for r in rows(store_csv):
        p = float(r["p_err"])
        got = float(mean.final_val_acc.sel(p_err=p))
        if abs(got - float(r["final_val_acc"])) > 1e-5 * max(1, abs(got)):
            bad.append(f"{engine}: final_val_acc at p_err {p}: {got} vs csv {r['final_val_acc']}")
        raw = tr.final_val_acc.sel(p_err=p).where(tr.status.sel(p_err=p) == 1)
        if abs(float(raw.median("seed")) - float(med.final_val_acc.sel(p_err=p))) > 1e-12:
            bad.append(f"{engine}: median at p_err {p} differs")
        if abs(float(raw.mean("seed")) - got) > 1e-12:
            bad.append(f"{engine}: mean at p_err {p} differs")
    # the lesde train file: one task, no grid axes
    run_ds = look(run, "/study/train", engine)
    run_mean = look(run, "/study/train/summary/mean", engine)
    if run_ds is not None and run_mean is not None:
        (r,) = rows(run_csv)
        acc = float(run_ds.final_val_acc.sel(seed=4))
        if abs(run_ds.attrs["p_err"] - float(r["p_err"])) > 1e-12 or \
           abs(acc - float(r["final_val_acc"])) > 1e-5 or \
           float(run_mean.final_val_acc) != acc:
            bad.append(f"{engine}: train file: {acc}, p_err {run_ds.attrs['p_err']} vs {r}")
        # --ref-every 50: the reference window's records, 0, 50, .., 300
        if list(run_ds.ref_t.sel(seed=4).values) != list(range(0, 301, 50)) or \
           run_ds.xbar_ref.dims[-3:] != ("ref_record", "class", "feature") or \
           run_ds.attrs.get("ref_every") != 50:
            bad.append(f"{engine}: train file's ref_t {run_ds.ref_t.values}, "
                       f"xbar_ref {run_ds.xbar_ref.dims}")
        if not isinstance(run_ds.attrs["iters"], (int, np.integer)):
            bad.append(f"{engine}: iters is {type(run_ds.attrs['iters'])}")
        # which dataset classes the class coordinate's 0..K-1 are
        if list(run_ds.attrs.get("class_ids", [])) != [5, 0, 7] or \
           list(tr.attrs.get("class_ids", [])) != [0, 1, 2]:
            bad.append(f"{engine}: class_ids {run_ds.attrs.get('class_ids')} (train file), "
                       f"{tr.attrs.get('class_ids')} (sweep: the first 3)")
    # its string coordinates hold their values (a serial file writes them
    # as it creates them, a parallel one after: both ways checked)
    run_fit = look(run, "/study/train/fit", engine)
    if run_fit is not None and (list(run_fit.model.values) != ["I", "L"] or
                                fit is None or
                                list(run_fit.sim.values) != list(fit.sim.values) or
                                len(run_fit.sim.values) != 3 or "" in run_fit.sim.values):
        bad.append(f"{engine}: train file's string coordinates: models "
                   f"{run_fit.model.values}, sims {run_fit.sim.values}")
for b in bad[:15]:
    print("xarray:", b)
print(f"xarray: {len(bad)} problems")
sys.exit(1 if bad else 0)
PY

# Padding is missing, not data: schedules of different lengths (iters 40
# and 400 on 31 log-spaced checkpoints, the shorter with fewer distinct)
# pad t with -1 (as -1 marks any integer not written: an unrun task's rank); with the _FillValue
# attribute both engines read them as NaN (they read -1 as data before).
printf '[sweep]\nname = pad\nseeds = 0\n[study.a]\nkind = train\nclasses = 3\ntrain_per_class = 20\nval_per_class = 10\nprobe_per_class = 5\niters = 40, 400\ncheckpoints = 31\nspacing = log\nsnapshots = 1\n' >"$TMP/pad.ini"
expect_exit 0 "sweep of two schedules" "$LESDE" sweep "$TMP/pad.ini" --store "$TMP/pad.h5" --quiet
check "xarray reads the padding of t as missing" /usr/bin/python3 - "$TMP/pad.h5" <<'PY'
import sys
import h5py
import numpy as np
import xarray as xr

path = sys.argv[1]
raw = h5py.File(path, "r")["study/a/t"][...].reshape(2, -1)
n_pad = int((raw[0] == -1).sum())
ok = n_pad > 0 and not (raw[1] == -1).any()
for engine in ("h5netcdf", "netcdf4"):
    t = xr.open_dataset(path, engine=engine, group="study/a")["t"]
    short = t.sel(iters=40).values.ravel()
    good = int(np.isnan(short).sum()) == n_pad and not (short == -1).any() and \
        np.array_equal(short[:-n_pad], raw[0][:-n_pad])
    print(f"{engine}: {n_pad} padded entries of t at iters 40 read as NaN: {good}")
    ok = ok and good
sys.exit(0 if ok else 1)
PY

# lesde fit's file: named dimensions in both groups, coordinates the same
# as the store's fit group (checkpoint in iterations, model, sim, ...), and
# its values those of the store it was fitted from.
expect_exit 0 "lesde fit --out" "$LESDE" fit "$TMP/t.h5" --out "$TMP/fit.h5" --quiet
check "xarray reads lesde fit's file with named dimensions" \
  /usr/bin/python3 - "$TMP/fit.h5" "$TMP/t.h5" <<'PY'
import sys
import numpy as np
import xarray as xr

fit, run = sys.argv[1:]
bad = []
for engine in ("h5netcdf", "netcdf4"):
    try:
        root = xr.open_dataset(fit, engine=engine)
        f = xr.open_dataset(fit, engine=engine, group="fit")
    except Exception as e:
        bad.append(f"{engine}: {e!r}"[:300])
        continue
    want = {"xbar": ("checkpoint", "class", "feature"), "t": ("checkpoint",)}
    want_fit = {"rd_plateau": ("sim", "checkpoint", "class"), "tail": ("model", "quantity"),
                "sim_reference": ("sim", "checkpoint", "class", "feature"),
                "tail_local": ("model", "quantity", "tail_window"), "S": ("checkpoint",),
                "rd_etf": ("checkpoint", "class"), "A": ("model", "checkpoint")}
    for ds, w in ((root, want), (f, want_fit)):
        for name, dims in w.items():
            if ds[name].dims != dims:
                bad.append(f"{engine}: {name} has {ds[name].dims}, not {dims}")
    for name in f.data_vars:
        if any(d.startswith("phony_dim") for d in f[name].dims):
            bad.append(f"{engine}: fit/{name} has unnamed dimensions {f[name].dims}")
    if not np.array_equal(root.checkpoint.values, root.t.values) or \
       not np.array_equal(f.checkpoint.values, root.t.values):
        bad.append(f"{engine}: checkpoint coordinate is not t")
    if f.model.attrs.get("labels") != "I,L":
        bad.append(f"{engine}: model labels {f.model.attrs.get('labels')!r}")
    # the same numbers as the store's fit of that task
    st = xr.open_dataset(run, engine=engine, group="/study/train/fit")
    a = st.rd_etf.squeeze(drop=True).values
    if a.shape != f.rd_etf.shape or not np.allclose(a, f.rd_etf.values, equal_nan=True):
        bad.append(f"{engine}: rd_etf differs from the train file's")
for b in bad[:15]:
    print("fit file:", b)
print(f"fit file: {len(bad)} problems")
sys.exit(1 if bad else 0)
PY
finish
