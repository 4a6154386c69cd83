#!/usr/bin/python3
"""A whole lesde training task's protocol in PyTorch: the peer for
bench/compare.sh's whole-task line.

    /usr/bin/python3 bench/task_peer.py [--iters T] [--checkpoints C]
        [--per-class N] [--val-per-class N] [--probe-per-class N] [--k K]

What `lesde train` does between its data and its fit, with the quickstart's
settings by default (sweep/quickstart.ini: K = 3, 500 + 500 samples per
class, 10,000 steps, 101 checkpoints, 100 probe samples per class): the
same network (bench/torch_peer.py), float64, one thread, batch-1 SGD with
lr 0.005 on a random training sample per step, and at every checkpoint
(the first before any step) the evaluation of the probe set and the
validation set: logits, per-class mean logits, cross-entropy loss and
accuracy, as lesde records them. The images are random (the time does not
depend on them). The evaluation runs in the chunk size that is fastest on
this machine, found first by timing each candidate on the 1,800 samples.

Prints "name value" lines:

    torch_task_seconds <wall clock of the protocol>
    torch_task_cpu_seconds <this thread's CPU time>
    torch_task_train_seconds, torch_task_eval_seconds <the two parts>
    torch_task_chunk <the evaluation chunk size used>
    torch_task_openblas_kernels <OpenBLAS's kernels, which PyTorch's GEMMs run>
    torch_task_aten_capability <ATEN_CPU_CAPABILITY, or default>
"""
import argparse
import os
import time

import torch
import torch.nn.functional as F

from torch_peer import Net, blas_kernels


def evaluate(net, x, y, k, chunk):
    """Per-class mean logits (by label), mean CE loss, accuracy."""
    with torch.no_grad():
        z = torch.cat([net(x[s:s + chunk]) for s in range(0, x.shape[0], chunk)])
        means = torch.stack([z[y == c].mean(dim=0) for c in range(k)])
        loss = F.cross_entropy(z, y).item()
        acc = (z.argmax(dim=1) == y).double().mean().item()
    return means, loss, acc


def fastest_chunk(net, x, y, k):
    best, best_t = None, float("inf")
    for chunk in (25, 50, 100, 150, 300, 600, 900, 1800):
        t = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            evaluate(net, x, y, k, chunk)
            t = min(t, time.perf_counter() - t0)
        if t < best_t:
            best, best_t = chunk, t
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--per-class", type=int, default=500)
    ap.add_argument("--val-per-class", type=int, default=500)
    ap.add_argument("--probe-per-class", type=int, default=100)
    ap.add_argument("--iters", type=int, default=10000)
    ap.add_argument("--checkpoints", type=int, default=101)
    ap.add_argument("--lr", type=float, default=0.005)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    k = a.k
    net = Net(1, k).double()
    opt = torch.optim.SGD(net.parameters(), lr=a.lr)
    n, nv = k * a.per_class, k * a.val_per_class
    tx = torch.rand(n, 1, 1, 32, 32, dtype=torch.float64)
    ty = torch.arange(n).remainder(k).view(n, 1)
    vx = torch.rand(nv, 1, 32, 32, dtype=torch.float64)
    vy = torch.arange(nv).remainder(k)
    # the probe: the first probe_per_class training samples of each label
    pidx = torch.cat([torch.nonzero(ty.view(-1) == c).view(-1)[:a.probe_per_class]
                      for c in range(k)])
    px, py = tx[pidx].view(-1, 1, 32, 32), ty.view(-1)[pidx]
    draws = torch.randint(0, n, (a.iters,))
    # linear checkpoints 0 = t_0 < ... < t_{C-1} = T, as lesde's
    ckpt = sorted({round(i * a.iters / (a.checkpoints - 1)) for i in range(a.checkpoints)})

    chunk = fastest_chunk(net, torch.cat([px, vx]), torch.cat([py, vy]), k)

    t_train = t_eval = 0.0
    t0, c0 = time.perf_counter(), time.thread_time()
    c = 0
    for it in range(a.iters + 1):
        if it == ckpt[c]:
            te = time.perf_counter()
            evaluate(net, px, py, k, chunk)
            evaluate(net, vx, vy, k, chunk)
            t_eval += time.perf_counter() - te
            c += 1
            if c == len(ckpt):
                break
        ts = time.perf_counter()
        j = draws[it]
        opt.zero_grad()
        loss = F.cross_entropy(net(tx[j]), ty[j])
        loss.backward()
        opt.step()
        t_train += time.perf_counter() - ts
    wall, cpu = time.perf_counter() - t0, time.thread_time() - c0
    print("torch_task_seconds %.2f" % wall)
    print("torch_task_cpu_seconds %.2f" % cpu)
    print("torch_task_train_seconds %.2f" % t_train)
    print("torch_task_eval_seconds %.2f" % t_eval)
    print("torch_task_chunk %d" % chunk)
    print("torch_task_openblas_kernels %s" % blas_kernels())
    print("torch_task_aten_capability %s" % os.environ.get("ATEN_CPU_CAPABILITY", "default"))
    print("torch_task_config k=%d train=%d val=%d probe=%d iters=%d checkpoints=%d"
          % (k, n, nv, len(pidx), a.iters, len(ckpt)))


if __name__ == "__main__":
    main()
