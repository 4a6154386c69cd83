"""frame.ini at two learning rates (two stores of the same seeds: lr 0.005
and the run with every study's lr set to 0.00125): per pair the clean
plateau's median at each rate and their quotient, the ratio median x
|1 - rho| over the clean median at rho 0.8 at each rate, with 95% intervals
(ratio_ci.py's, seeds resampled, a seed's tasks in both stores together);
the mean ratio of the frame's five pairs with the filled shapes at the
smaller rate, and its change from the larger. Predictions: run.log,
written before the run.
Usage: /usr/bin/python3 lr.py FRAME_STORE FRAME_LR_STORE"""
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from disc import ci, clean, load_stores, ratio  # noqa: E402
from frame import EXTRA, FRAMES, SHAPES  # noqa: E402


def main():
    a, b = (load_stores(((path, FRAMES + EXTRA),)) for path in sys.argv[1:3])
    for path, lr in zip(sys.argv[1:3], (0.005, 0.00125)):
        got = {float(h5py.File(path, "r")[f"study/p{p[0]}{p[1]}"].attrs["lr"]) for p in FRAMES + EXTRA}
        assert got == {lr}, f"{path}: lr {got}, expected {lr}"
    assert all(np.array_equal(h5py.File(sys.argv[1], "r")[f"study/p{p[0]}{p[1]}/seed"][...],
                              h5py.File(sys.argv[2], "r")[f"study/p{p[0]}{p[1]}/seed"][...])
               for p in FRAMES + EXTRA), "the stores' seeds differ"
    m = a[FRAMES[0]].shape[1]
    alls = np.arange(m)
    print("pair: clean median at lr 0.005 and 0.00125, their quotient [95%]; ratio at 0.005, "
          "at 0.00125 [95%]; seeds left at rho 0.8 at 0.00125")
    for p in FRAMES + EXTRA:
        q = ci(lambda s: clean(b, p, s) / clean(a, p, s), m)
        r = ci(lambda s: ratio(b, p, s), m)
        print(f"  {p[0]}{p[1]} ({SHAPES[p[0]]}-{SHAPES[p[1]]}): clean {clean(a, p, alls):.0f}, "
              f"{clean(b, p, alls):.0f}, x{clean(b, p, alls) / clean(a, p, alls):.2f} [{q[0]:.2f}, {q[1]:.2f}]; "
              f"ratio {ratio(a, p, alls):.3f}, {ratio(b, p, alls):.3f} [{r[0]:.3f}, {r[1]:.3f}]; "
              f"{int(np.isfinite(b[p][1]).sum())}/{m}")

    def mean_ratio(d, s):
        return np.mean([ratio(d, p, s) for p in FRAMES])

    for name, f in (("the frame's five, mean ratio at lr 0.005", lambda s: mean_ratio(a, s)),
                    ("the frame's five, mean ratio at lr 0.00125", lambda s: mean_ratio(b, s)),
                    ("its change, 0.00125 minus 0.005", lambda s: mean_ratio(b, s) - mean_ratio(a, s))):
        lo, hi = ci(f, m)
        print(f"{name}: {f(alls):.3f} [{lo:.3f}, {hi:.3f}]")


if __name__ == "__main__":
    main()
