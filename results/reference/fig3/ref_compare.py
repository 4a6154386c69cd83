"""The reference method's imitation class by class at the paper's scale, its
scalar fitted on t = T alone (fig3.ini before ref_every = 10) and on every
10th iteration of the last 1,000 (since): the rows of two imitation_k.csv
files side by side, for docs/le-sde.md section 5. The L-model's estimates
under the L-model ODE; per p_err and class, the seeds whose RD_k beats both
baselines of that class (ETF and class average) and the median RD_k, and
pooled over p_err 0.1-0.5 and 0.6-0.8 with Wilson's 95% interval.
Usage: /usr/bin/python3 ref_compare.py OLD_imitation_k.csv NEW_imitation_k.csv
(OLD, the run before: git show c15711e:results/reference/fig3/imitation_k.csv)"""
import csv
import math
import sys


def rows(path):
    """(point, class) -> row of the reference method, L-est/L-ODE."""
    out = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            if r["start"] == "reference" and r["sim"] == "L-est/L-ODE":
                out[(r["point"], int(r["class"]))] = r
    return out


def wilson(k, n, z=1.959964):
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return c - h, c + h


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    old, new = rows(sys.argv[1]), rows(sys.argv[2])
    points = sorted({p for p, _ in new}, key=lambda p: float(p.split("=")[1]))
    print("point        class  beats both (of n): t=T -> window   median RD_k: t=T -> window   ETF")
    for p in points:
        for k in range(3):
            a, b = old[(p, k)], new[(p, k)]
            if a["n_done"] == b["n_done"]:  # the same tasks trained: the same bytes
                assert a["etf_median"] == b["etf_median"], "the two runs' trainings differ"
            print(f"p_err {float(p.split('=')[1]):<7.3g}{k:>5}   {a['beats_both_baselines']:>3} -> {b['beats_both_baselines']:>3} "
                  f"(of {b['n_done']})            {float(a['rd_median']):.3f} -> "
                  f"{float(b['rd_median']):.3f}             {float(b['etf_median']):.3f}")
    for name, lo, hi in (("p_err 0.1-0.5", 0.05, 0.55), ("p_err 0.6-0.8", 0.55, 0.85)):
        sel = [p for p in points if lo < float(p.split("=")[1]) < hi]
        for k in range(3):
            line = f"pooled {name}, class {k}:"
            for label, src in (("t=T", old), ("window", new)):
                n = sum(int(src[(p, k)]["n_done"]) for p in sel)
                c = sum(int(src[(p, k)]["beats_both_baselines"]) for p in sel)
                w = wilson(c, n)
                line += f"  {label} {c}/{n} [{w[0]:.2f}, {w[1]:.2f}]"
            print(line)


main()
