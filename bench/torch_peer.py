#!/usr/bin/python3
"""The lesde CNN trained the same way in PyTorch: the peer for `lesde bench`.

    /usr/bin/python3 bench/torch_peer.py [--steps N] [--channels C] [--k K]

Same network (src/nn/cnn.h), float64, one thread, batch 1, plain SGD with
lr 0.005, random 32x32 inputs and labels from a fixed seed cycled through,
a warm-up, then the median over blocks of 20 steps of the time per step
(wall clock; _cpu: this thread's CPU time, robust on a busy machine):

    torch_us_per_step <value>
    torch_us_per_step_best <value>
    torch_us_per_step_cpu <value>
    torch_version, torch_openblas_kernels, torch_aten_capability <what ran>

    /usr/bin/python3 bench/torch_peer.py --reference

prints the logits, loss and gradient checksums of a fixed network (the
parameters and input are formulas) that tests/unit/test_nn.c compares the
C implementation against.
"""
import argparse
import ctypes
import math
import os
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self, channels, k):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, k)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def blas_kernels():
    """The kernels OpenBLAS picked (or was told by OPENBLAS_CORETYPE) for
    this CPU: PyTorch's GEMMs run on them (Debian links it to OpenBLAS)."""
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return "unknown"


def bench(steps, channels, k, block=20, pool=64):
    torch.manual_seed(0)
    net = Net(channels, k).double()
    opt = torch.optim.SGD(net.parameters(), lr=0.005)
    xs = torch.rand(pool, 1, channels, 32, 32, dtype=torch.float64)
    ys = torch.randint(0, k, (pool, 1))

    def step(j):
        opt.zero_grad()
        loss = F.cross_entropy(net(xs[j]), ys[j])
        loss.backward()
        opt.step()

    for s in range(max(200, steps // 10)):
        step(s % pool)
    times, cpu = [], []
    for b in range(max(1, steps // block)):
        t0, c0 = time.perf_counter(), time.thread_time()
        for s in range(block):
            step((b * block + s) % pool)
        times.append((time.perf_counter() - t0) * 1e6 / block)
        cpu.append((time.thread_time() - c0) * 1e6 / block)
    return statistics.median(times), min(times), statistics.median(cpu)


def reference():
    """tests/unit/test_nn.c, test_pytorch_reference: parameter j of tensor t
    (in cnn_get_tensor order, PyTorch layout) is sin(0.7 j + 1.3 t) /
    sqrt(fan_in), input pixel j is 0.5 + 0.5 sin(0.37 j), label 2."""
    net = Net(1, 3).double()
    with torch.no_grad():
        for t, (name, p) in enumerate(net.named_parameters()):
            # fan-in of a weight: one output's inputs; a bias: its weight's
            w = dict(net.named_parameters())[name.replace("bias", "weight")]
            fan_in = w[0].numel()
            j = torch.arange(p.numel(), dtype=torch.float64)
            p.copy_((torch.sin(0.7 * j + 1.3 * t) / math.sqrt(fan_in)).view_as(p))
    j = torch.arange(1024, dtype=torch.float64)
    x = (0.5 + 0.5 * torch.sin(0.37 * j)).view(1, 1, 32, 32)
    z = net(x)
    loss = F.cross_entropy(z, torch.tensor([2]))
    loss.backward()
    print("logits %.17g %.17g %.17g loss %.17g" % (*z[0].tolist(), loss.item()))
    for name, p in net.named_parameters():
        g = p.grad.reshape(-1)
        w = torch.cos(0.3 * torch.arange(g.numel(), dtype=torch.float64))
        print("%s %.17g %.17g" % (name, g.sum().item(), (g * w).sum().item()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--channels", type=int, default=1)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--reference", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.reference:
        reference()
        return
    med, best, cpu = bench(a.steps, a.channels, a.k)
    print("torch_us_per_step %.1f" % med)
    print("torch_us_per_step_best %.1f" % best)
    print("torch_us_per_step_cpu %.1f" % cpu)
    print("torch_version %s" % torch.__version__)
    print("torch_openblas_kernels %s" % blas_kernels())
    # (PyTorch 1.13 cannot say which it uses: the setting, if any)
    print("torch_aten_capability %s" % os.environ.get("ATEN_CPU_CAPABILITY", "default"))


if __name__ == "__main__":
    main()
