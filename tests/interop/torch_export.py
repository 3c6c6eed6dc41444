#!/usr/bin/python3
"""Builds LeNet-5 in PyTorch with seeded random weights, optionally trains it
for STEPS SGD steps on the Fashion-MNIST training set (so that accuracy means
something), exports it as ONNX, and writes PyTorch's float32 logits on the
first N Fashion-MNIST test images (pixels/255, the same input powerprune
uses), so that powerprune's import can be checked against PyTorch.

usage: torch_export.py OUT.onnx OUT_LOGITS.f32 N [SEED [STEPS]]
Prints one JSON line: images, accuracy (percent), the opset."""
import gzip
import json
import sys

import numpy as np
import torch
from torch import nn

FMNIST = "/usr/share/datasets/fashion-mnist/"


class LeNet5(nn.Module):
    """LeNet-5 with ReLU, as powerprune's lenet5 (conv 5x5 pad 2, max pools)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)
        self.bn = nn.BatchNorm2d(6)  # eval-mode BN with non-trivial statistics

    def forward(self, x):
        x = self.pool(torch.relu(self.bn(self.conv1(x))))
        x = self.pool(torch.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


def load(n, split="t10k"):
    with gzip.open(FMNIST + split + "-images-idx3-ubyte.gz") as f:
        img = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:n]
    with gzip.open(FMNIST + split + "-labels-idx1-ubyte.gz") as f:
        lab = np.frombuffer(f.read(), np.uint8, offset=8)[:n]
    return img.astype(np.float32) / np.float32(255.0), lab


def main():
    out, logits_out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    steps = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    net = LeNet5()
    if steps:
        xt, yt = load(60000, "train")
        opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
        g = torch.Generator().manual_seed(seed)
        for _ in range(steps):
            idx = torch.randint(0, len(yt), (64,), generator=g).numpy()
            loss = nn.functional.cross_entropy(net(torch.from_numpy(xt[idx])), torch.from_numpy(yt[idx].astype(np.int64)))
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():  # random running statistics, so BN is really exercised
        net.bn.running_mean.uniform_(-0.2, 0.2)
        net.bn.running_var.uniform_(0.5, 2.0)
        net.bn.weight.uniform_(0.5, 1.5)
        net.bn.bias.uniform_(-0.1, 0.1)
    net.eval()
    x, y = load(n)
    with torch.no_grad():
        logits = net(torch.from_numpy(x)).numpy().astype(np.float32)
    opset = 13
    torch.onnx.export(net, torch.zeros(1, 1, 28, 28), out, opset_version=opset, input_names=["image"],
                      output_names=["logits"], dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}})
    logits.tofile(logits_out)
    acc = 100.0 * float((logits.argmax(1) == y).mean())
    print(json.dumps({"images": n, "accuracy": acc, "opset": opset}))


if __name__ == "__main__":
    main()
