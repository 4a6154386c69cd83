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
from disc import SHAPES, ci, clean, mean_ratio, ratio  # noqa: E402
from frame import EXTRA, FRAMES  # noqa: E402
from triples import study_ends  # noqa: E402


def load_at(path, pairs, lr, seeds=None):
    """{pair: ends} of the store's studies p<i><j> at learning rate lr (checked,
    as is one seed order in all), on the given seeds (default all); and the
    seeds."""
    f, d, first = h5py.File(path, "r"), {}, None
    for p in pairs:
        g = f["study/p%d%d" % p]
        assert float(g.attrs["lr"]) == lr, f"{path}: lr {g.attrs['lr']}, expected {lr}"
        s = list(g["seed"][...])
        first = first or s
        assert s == first, f"{path}: the studies' seeds differ"
        keep = [s.index(x) for x in seeds] if seeds is not None else list(range(len(s)))
        d[p] = study_ends(g)[:, keep]
    return d, [s[i] for i in keep]


def by_pair(a, b, pairs, m):
    """Per pair, a at lr 0.005 and b at 0.00125: the clean medians and their
    quotient [95%], the ratios [95% at 0.00125], the seeds left at rho 0.8."""
    alls = np.arange(m)
    print("pair: clean median at lr 0.005 and 0.00125, their quotient [95%]; ratio at 0.005, "
          "at 0.00125 [95%]; seeds left at rho 0.8 at 0.00125")
    for p in pairs:
        q = ci(lambda s: clean(b, p, s) / clean(a, p, s), m)
        r = ci(lambda s: ratio(b, p, s), m)
        print(f"  {p[0]}{p[1]} ({SHAPES[p[0]]}-{SHAPES[p[1]]}): clean {clean(a, p, alls):.0f}, "
              f"{clean(b, p, alls):.0f}, x{clean(b, p, alls) / clean(a, p, alls):.2f} [{q[0]:.2f}, {q[1]:.2f}]; "
              f"ratio {ratio(a, p, alls):.3f}, {ratio(b, p, alls):.3f} [{r[0]:.3f}, {r[1]:.3f}]; "
              f"{int(np.isfinite(b[p][1]).sum())}/{m}")


def main():
    b, seeds = load_at(sys.argv[2], FRAMES + EXTRA, 0.00125)
    a, seeds_a = load_at(sys.argv[1], FRAMES + EXTRA, 0.005)
    assert seeds_a == seeds, "the stores' seeds differ"
    m = len(seeds)
    alls = np.arange(m)
    by_pair(a, b, FRAMES + EXTRA, m)
    for name, f in (("the frame's five, mean ratio at lr 0.005", lambda s: mean_ratio(a, FRAMES, s)),
                    ("the frame's five, mean ratio at lr 0.00125", lambda s: mean_ratio(b, FRAMES, s)),
                    ("its change, 0.00125 minus 0.005",
                     lambda s: mean_ratio(b, FRAMES, s) - mean_ratio(a, FRAMES, s))):
        lo, hi = ci(f, m)
        print(f"{name}: {f(alls):.3f} [{lo:.3f}, {hi:.3f}]")

if __name__ == "__main__":
    main()
