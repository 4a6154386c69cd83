"""K = 4 and 5 with and without GeoMNIST's ring (a store of ring.ini): per
study the clean plateau's median and the ratio median x |1 - rho| over it
at rho 0.8, with 95% intervals; at each K, without the ring over with it
(the clean plateau) and with minus without (the ratio); per study the
seeds whose largest class-centred probe mean at the clean plateau's end is
each class's. Given the six shapes' training set (DATA.h5, as triples.py
takes it), the clean plateau's quotient the largest centred mean images
predict. Intervals: ratio_ci.py's (seeds resampled, a seed's tasks in every
study together).
Usage: /usr/bin/python3 ring.py STORE [DATA.h5]"""
import os
import sys

import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "gap"))
sys.path.insert(0, os.path.join(here, "..", "triples"))
from ratio_ci import ci  # noqa: E402
from triples import centred_image_norms, clean, leaders, mean_images, ratio, study_ends  # noqa: E402

STUDIES = {"k4": (0, 1, 2, 3), "k4ring": (0, 1, 2, 4), "k5": (0, 1, 2, 3, 4), "k5noring": (0, 1, 2, 3, 5)}
PAIRS = ((4, "k4", "k4ring"), (5, "k5noring", "k5"))  # K, without the ring, with it


def load(path):
    f = h5py.File(path, "r")
    return f, {name: study_ends(f["study/" + name]) for name in STUDIES}


def main():
    f, d = load(sys.argv[1])
    m = d["k4"].shape[1]
    alls = np.arange(m)
    for name, ids in STUDIES.items():
        c, r = ci(lambda s: clean(d, name, s), m), ci(lambda s: ratio(d, name, s), m)
        print(f"{name} (shapes {' '.join(map(str, ids))}): clean {clean(d, name, alls):.0f} [{c[0]:.0f}, {c[1]:.0f}], "
              f"ratio at rho 0.8 {ratio(d, name, alls):.3f} [{r[0]:.3f}, {r[1]:.3f}], "
              f"{int(np.isfinite(d[name][1]).sum())}/{m} left at 0.8")
        print(f"  largest centred mean at the clean end: {leaders(f['study/' + name], ids, 0)}")
    for K, without, with_ in PAIRS:
        q = ci(lambda s: clean(d, without, s) / clean(d, with_, s), m)
        r = ci(lambda s: ratio(d, with_, s) - ratio(d, without, s), m)
        print(f"K = {K}: clean plateau without the ring over with it "
              f"{clean(d, without, alls) / clean(d, with_, alls):.2f} [{q[0]:.2f}, {q[1]:.2f}]; "
              f"ratio with minus without {ratio(d, with_, alls) - ratio(d, without, alls):+.3f} [{r[0]:.3f}, {r[1]:.3f}]")
    if len(sys.argv) > 2:
        mu = mean_images(sys.argv[2])
        for K, without, with_ in PAIRS:
            a, b = centred_image_norms(mu, STUDIES[without]).max(), centred_image_norms(mu, STUDIES[with_]).max()
            print(f"K = {K}: largest centred mean image {a:.2f} without the ring, {b:.2f} with it: "
                  f"predicted quotient {b / a:.2f}")


if __name__ == "__main__":
    main()
