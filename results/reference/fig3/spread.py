"""The probe's logits at fig3's snapshots, for docs/claims.md section 3
(why p_err 0.1 ends above the calibrated length): per snapshot, medians
over the seeds of the mean over classes of the true class's mean softmax
probability (ptrue), the centred length of the log of the class-mean
probabilities (logprob) and of the class-mean logits (logit), as
collapse.csv has them at the last snapshot (src/report/nc.c), and the
standard deviation over a class's samples of the true class's centred
logit (z_k - mean_j z_j), mean over classes. Classes by true label.
Usage: /usr/bin/python3 spread.py STORE [P_ERR]   (default 0.1)"""
import sys

import h5py
import numpy as np


def centred_length(x):
    """le_centred_length: mean over rows of |row - its mean|."""
    return np.mean(np.linalg.norm(x - x.mean(axis=1, keepdims=True), axis=1))


def probe_stats(z, y, K):
    """z [n][K] logits, y [n] true classes: ptrue, logprob, logit, sd."""
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    ml = np.array([z[y == k].mean(axis=0) for k in range(K)])
    mp = np.log(np.array([p[y == k].mean(axis=0) for k in range(K)]))
    ptrue = np.mean([np.exp(mp[k, k]) for k in range(K)])
    sd = np.mean([np.std(z[y == k, k] - z[y == k].mean(axis=1)) for k in range(K)])
    return ptrue, centred_length(mp), centred_length(ml), sd


def main():
    g = h5py.File(sys.argv[1], "r")["study/pollution"]
    pe = float(sys.argv[2]) if len(sys.argv) > 2 else 0.1
    i = int(np.argmin(np.abs(np.asarray(g["p_err"]) - pe)))
    zl, sc = np.asarray(g["snap_logits"][i]), np.asarray(g["snap_checkpoint"][i])
    y, t = np.asarray(g["probe_clean_label"][i]), np.asarray(g["t"][i])
    K = zl.shape[-1]
    print(f"p_err {float(g['p_err'][i]):g}, {zl.shape[0]} seeds; medians over the seeds")
    print("snapshot t: ptrue, logprob length, logit length, sd of the true class's centred logit")
    for s in range(zl.shape[1]):
        ts = {int(t[r, sc[r, s]]) for r in range(zl.shape[0])}
        q = np.array([probe_stats(zl[r, s], y[r], K) for r in range(zl.shape[0])])
        m = np.median(q, axis=0)
        print(f"  {'/'.join(map(str, sorted(ts)))}: {m[0]:.3f}, {m[1]:.3f}, {m[2]:.3f}, {m[3]:.3f}")


if __name__ == "__main__":
    main()
