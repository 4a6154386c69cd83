#!/usr/bin/python3
"""Replays a `lesde train --save-data` run in PyTorch and compares.

Everything comes from the file: the images and both labels, the initial
parameters, the sample drawn at each step and the checkpoint schedule. The
same network and loop in PyTorch (float64, batch 1, plain SGD) must give the
same per-class mean logits at every checkpoint, up to floating-point
reassociation (tolerance below). Exit 0 on agreement, 1 otherwise.
"""
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self, channels, k):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, k)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.reshape(x.shape[0], -1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def class_means(logits, labels, k):
    return np.stack([logits[labels == c].mean(axis=0) for c in range(k)])


def main(path, rtol):
    torch.set_num_threads(1)
    f = h5py.File(path, "r")
    g = f["study/train"]
    k = int(g.attrs["classes"])
    lr = float(g.attrs["lr"])
    first = lambda name: np.asarray(g[name])[0]  # the one task: seed axis of 1
    t = first("t")
    # validation on its own schedule since layout 2 (before: at every checkpoint)
    val_t = first("val_t") if "val_t" in g else t
    sample = first("sample_index")
    x_train = torch.from_numpy(first("data/train_x"))
    y_train = torch.from_numpy(first("data/train_label").astype(np.int64))
    x_val = torch.from_numpy(first("data/val_x"))
    y_val = first("data/val_label")
    probe = first("probe_index")
    probe_label = first("probe_label")
    net = Net(x_train.shape[1], k).double()
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(torch.from_numpy(first("init/" + name)))
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    xbar_val, xbar_probe = first("xbar_val"), first("xbar_probe")
    worst = 0.0
    c = v = 0

    def compare(logits, labels, theirs):
        mine = class_means(logits, labels, k)
        return np.max(np.abs(mine - theirs)) / max(1e-12, np.max(np.abs(theirs)))

    for it in range(int(t[-1]) + 1):
        with torch.no_grad():
            if c < len(t) and it == t[c]:
                worst = max(worst, compare(net(x_train[probe]).numpy(), probe_label, xbar_probe[c]))
                c += 1
            if v < len(val_t) and it == val_t[v]:
                worst = max(worst, compare(net(x_val).numpy(), y_val, xbar_val[v]))
                v += 1
        if c == len(t) and v == len(val_t):
            break
        i = int(sample[it])
        opt.zero_grad()
        loss = F.cross_entropy(net(x_train[i:i + 1]), y_train[i:i + 1])
        loss.backward()
        opt.step()
    print(f"replay: {c} probe and {v} validation checkpoints, {int(t[-1])} steps, "
          f"worst relative difference {worst:.3g}")
    return 0 if worst <= rtol else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 1e-8))
