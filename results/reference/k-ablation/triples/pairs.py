"""Does a pair of classes slow down by what its third class is? From a store
of triples.ini, each pair's own plateau end: the first checkpoint where the
distance between the two classes' probe mean logits reaches 10x its value
at t = 0 (the fit's factor, on one pair instead of all K centred means).
Per pair of the five shapes other than the ring: its ratio (median end at
rho 0.8 x 0.2 over the clean median) with the ring as third class, against
the mean over the three triples with another third; D, the mean over the
ten pairs of the difference, with ratio_ci.py's 95% interval (seeds
resampled together in every triple); the same for the clean ends (as
log2 of with the ring over without); and the ring's own pairs against
their triple's rule ratio. Predictions: run.log, before this was run.
Given a store of ring.ini too, the same comparison at K = 4 and 5: the
pairs the studies with and without the ring share.
Usage: /usr/bin/python3 pairs.py STORE [RING_STORE]"""
import itertools
import os
import sys

import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "gap"))
from ratio_ci import ci, med  # noqa: E402
from triples import SHAPES, TRIPLES, ratio, study, study_ends  # noqa: E402

sys.path.insert(0, os.path.join(here, "..", "ring"))
from ring import PAIRS as RING_PAIRS, STUDIES  # noqa: E402

FACTOR = 10.0
NONRING = [p for p in itertools.combinations(range(6), 2) if 4 not in p]


def distance(x, i, j):
    """[checkpoint] distance of the two classes' mean logits."""
    return np.linalg.norm(x[:, i] - x[:, j], axis=1)


def margin(x, i, j):
    """[checkpoint] |(x_i[i] - x_i[j]) - (x_j[i] - x_j[j])|: the pair's margin,
    blind to the third class's logit."""
    return np.abs((x[:, i, i] - x[:, i, j]) - (x[:, j, i] - x[:, j, j]))


def pair_end(n, t, factor):
    """n [checkpoint] a readout, t [checkpoint]: the first t where n reaches
    factor times its t = 0 value; +inf if never."""
    hit = np.flatnonzero(np.isfinite(n[1:]) & (n[1:] >= factor * n[0])) + 1
    return float(t[hit[0]]) if len(hit) and n[0] > 0 else np.inf


def read_probes(f, studies):
    """studies {key: (study group, shape ids)} of a finished store f:
    {key: (probe means [rho][seed][checkpoint][k][p], iterations, ids)} and
    {key: study_ends} of the fit's rule (which checks the store)."""
    rule = {k: study_ends(f[g]) for k, (g, _) in studies.items()}
    return {k: (np.asarray(f[g]["xbar_probe"]), np.asarray(f[g]["t"]), ids) for k, (g, ids) in studies.items()}, rule


def probes(path):
    """read_probes of every triple of a triples.ini store, keyed by triple
    (label a is shape t[a]: triples.ini's class_ids ascend)."""
    return read_probes(h5py.File(path, "r"), {t: (study(t), t) for t in TRIPLES})


def ends(pr, readout=distance, factor=FACTOR):
    """{(key, pair): [rho][seed] ends} for every pair of every study of pr
    (read_probes'), pairs by shape."""
    d = {}
    for k, (x, tt, ids) in pr.items():
        for a, b in itertools.combinations(range(len(ids)), 2):
            d[k, (ids[a], ids[b])] = np.array([[pair_end(readout(x[r, s], a, b), tt[r, s], factor)
                                                for s in range(x.shape[1])] for r in range(x.shape[0])])
    return d


pair_ratio = ratio  # the same median x |1 - rho| over the clean median, keyed (triple, pair)


def thirds(p):
    return [tuple(sorted(p + (c,))) for c in range(6) if c not in p]


def effect(d, s, f):
    """Mean over the non-ring pairs of f(with the ring as third) - mean f(other thirds)."""
    out = []
    for p in NONRING:
        ts = thirds(p)
        ring = [t for t in ts if 4 in t][0]
        out.append(f(d, (ring, p), s) - np.mean([f(d, (t, p), s) for t in ts if t != ring]))
    return np.mean(out)


def clean_log2(d, key, s):
    return np.log2(med(d[key][0][s]))


def main():
    pr, rule = probes(sys.argv[1])
    d = ends(pr)
    m = next(iter(d.values())).shape[1]
    alls = np.arange(m)
    left = min(int(np.isfinite(v[1]).sum()) for v in d.values())
    print(f"every pair of every triple: at least {left}/{m} seeds leave at rho 0.8, "
          f"{min(int(np.isfinite(v[0]).sum()) for v in d.values())}/{m} clean")
    print("non-ring pair: clean median end and ratio, with the ring as third | the other three thirds")
    for p in NONRING:
        ts = thirds(p)
        ring = [t for t in ts if 4 in t][0]
        oth = [t for t in ts if t != ring]
        print(f"  {SHAPES[p[0]]}-{SHAPES[p[1]]}: ring {med(d[ring, p][0]):.0f}, {pair_ratio(d, (ring, p), alls):.2f} | "
              + ", ".join(f"{SHAPES[[c for c in t if c not in p][0]]} {med(d[t, p][0]):.0f}, "
                          f"{pair_ratio(d, (t, p), alls):.2f}" for t in oth))
    v = effect(d, alls, pair_ratio)
    lo, hi = ci(lambda s: effect(d, s, pair_ratio), m)
    print(f"D (ratio, ring third minus other thirds, mean over 10 pairs): {v:+.3f} [{lo:.3f}, {hi:.3f}]")
    v = effect(d, alls, clean_log2)
    lo, hi = ci(lambda s: effect(d, s, clean_log2), m)
    print(f"clean end, log2 (ring third over other thirds), mean over 10 pairs: {v:+.3f} [{lo:.3f}, {hi:.3f}] "
          f"(x{2 ** v:.2f})")
    print("the ring's pairs against their triple's rule: pair ratios | the rule's ratio")
    dev = []
    for t in (t for t in TRIPLES if 4 in t):
        rs = [pair_ratio(d, (t, p), alls) for p in itertools.combinations(t, 2) if 4 in p]
        rr = ratio(rule, t, alls)
        dev += [r - rr for r in rs]
        print(f"  {''.join(map(str, t))}: " + ", ".join(f"{r:.2f}" for r in rs) + f" | {rr:.2f}")
    print(f"  differences {min(dev):+.2f} to {max(dev):+.2f}")
    print("robustness, chosen after the above (run.log): D and the clean end's log2 by other readouts")
    for name, readout, factor in (("margin, factor 10", margin, 10.0), ("distance, factor 3", distance, 3.0),
                                  ("distance, factor 30", distance, 30.0)):
        e = ends(pr, readout, factor)
        left = min(int(np.isfinite(v[1]).sum()) for v in e.values())
        (v, c) = (effect(e, alls, pair_ratio), effect(e, alls, clean_log2))
        lo, hi = ci(lambda s: effect(e, s, pair_ratio), m)
        clo, chi = ci(lambda s: effect(e, s, clean_log2), m)
        print(f"  {name}: D {v:+.3f} [{lo:.3f}, {hi:.3f}]; clean log2 {c:+.3f} [{clo:.3f}, {chi:.3f}]; "
              f"at rho 0.8 at least {left}/{m} seeds leave per pair")
    together(d, alls)
    if len(sys.argv) > 2:
        replicate(sys.argv[2])


def together(d, alls):
    """Exploratory, after the results above: per triple and seed, the last
    pair's end over the first's (median [IQR] over seeds), clean and at rho
    0.8, against the same with each pair's seeds shuffled apart (the mean
    over 200 shuffles of the clean median), and the ratio of the earliest
    pair's end (per seed the earliest of the three, whichever pair)."""
    rng = np.random.default_rng(1)
    print("exploratory: per seed the last pair's end over the first's, median [IQR], clean | rho 0.8; "
          "clean with the seeds shuffled; the earliest end's ratio")
    for group, ts in (("with the ring", [t for t in TRIPLES if 4 in t]), ("without", [t for t in TRIPLES if 4 not in t])):
        rs = []
        for t in ts:
            ps = list(itertools.combinations(t, 2))
            e = np.stack([d[t, p] for p in ps])  # [pair][rho][seed]
            lag, first = e.max(axis=0) / e.min(axis=0), e.min(axis=0)
            q = [np.percentile(lag[r], [50, 25, 75]) for r in range(2)]
            sh = [e[:, 0][i][rng.permutation(e.shape[2])] for _ in range(200) for i in range(3)]
            sh = np.mean([np.median(np.max(sh[3 * k:3 * k + 3], axis=0) / np.min(sh[3 * k:3 * k + 3], axis=0))
                          for k in range(200)])
            rs.append(ratio({t: first}, t, alls))
            ring = ""
            if 4 in t:  # seeds where a pair with the ring is first (ties included)
                rf = e[[4 in p for p in ps]].min(axis=0) == first
                ring = f" (a ring pair first on {rf[0].sum()} | {rf[1].sum()} seeds)"
            print(f"  {''.join(map(str, t))}: {q[0][0]:.2f} [{q[0][1]:.2f}, {q[0][2]:.2f}] | "
                  f"{q[1][0]:.2f} [{q[1][1]:.2f}, {q[1][2]:.2f}]; shuffled {sh:.2f}; earliest {rs[-1]:.2f}{ring}")
        print(f"  {group}: the earliest end's ratio {min(rs):.2f}-{max(rs):.2f}, mean {np.mean(rs):.2f}")


def replicate(path):
    """ring.ini's K = 4 and 5: the shared pairs' ratio and clean end with the
    ring minus without (distance, factor 10)."""
    pr, _ = read_probes(h5py.File(path, "r"), {n: ("study/" + n, ids) for n, ids in STUDIES.items()})
    d = ends(pr)
    m = d["k4", (0, 1)].shape[1]
    alls = np.arange(m)
    print("ring.ini: the shared pairs, ratio and clean end with the ring minus without (distance, factor 10)")
    for K, without, with_ in RING_PAIRS:
        shared = list(itertools.combinations(range(K - 1), 2))

        def diff(s, fn):
            return np.mean([fn(d, (with_, p), s) - fn(d, (without, p), s) for p in shared])

        v, c = diff(alls, pair_ratio), diff(alls, clean_log2)
        lo, hi = ci(lambda s: diff(s, pair_ratio), m)
        clo, chi = ci(lambda s: diff(s, clean_log2), m)
        print(f"  K = {K}, {len(shared)} pairs: " + ", ".join(
            f"{p[0]}{p[1]} {pair_ratio(d, (with_, p), alls):.2f} vs {pair_ratio(d, (without, p), alls):.2f}"
            for p in shared))
        print(f"  K = {K}: D {v:+.3f} [{lo:.3f}, {hi:.3f}]; clean log2 {c:+.3f} [{clo:.3f}, {chi:.3f}] (x{2 ** c:.2f})")


if __name__ == "__main__":
    main()
