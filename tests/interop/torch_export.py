#!/usr/bin/python3
"""Builds LeNet-5 or ResNet-20 in PyTorch with seeded random weights,
optionally trains it for STEPS SGD steps (or EPOCHS epochs) on the
Fashion-MNIST training set (so that accuracy means something), exports it
as ONNX, and writes PyTorch's float32 logits on the first N Fashion-MNIST
test images (pixels/255, the same input powerprune uses), so that
powerprune's import can be checked against PyTorch.

usage: torch_export.py OUT.onnx OUT_LOGITS.f32 N [SEED [STEPS]]
           [--arch lenet5|resnet20] [--epochs E] [--trained-bn]
Batch norm gets random running statistics after training (so that an
untrained BN is really exercised) unless --trained-bn keeps the trained ones.
Prints one JSON line: arch, images, accuracy (percent), the opset."""
import argparse
import gzip
import json

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

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


class Block(nn.Module):
    """The CIFAR ResNet basic block with the parameter-free (option A)
    shortcut: subsample, zero channels on both sides, as powerprune's."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.stride, self.extra = stride, cout - cin

    def forward(self, x):
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        s = x
        if self.stride > 1:
            s = s[:, :, ::self.stride, ::self.stride]
        if self.extra:
            lo = self.extra // 2
            s = F.pad(s, (0, 0, 0, 0, lo, self.extra - lo))
        return torch.relu(y + s)


class ResNet20(nn.Module):
    """ResNet-20 (3 stages of 3 blocks, 16/32/64 channels) on 1 x 28 x 28."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        blocks, c = [], 16
        for s, w in enumerate((16, 32, 64)):
            for k in range(3):
                blocks.append(Block(c, w, 2 if s > 0 and k == 0 else 1))
                c = w
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.blocks(torch.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


def load(n, split="t10k"):
    with gzip.open(FMNIST + split + "-images-idx3-ubyte.gz") as f:
        img = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:n]
    with gzip.open(FMNIST + split + "-labels-idx1-ubyte.gz") as f:
        lab = np.frombuffer(f.read(), np.uint8, offset=8)[:n]
    return img.astype(np.float32) / np.float32(255.0), lab


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("logits_out")
    ap.add_argument("n", type=int)
    ap.add_argument("seed", type=int, nargs="?", default=1)
    ap.add_argument("steps", type=int, nargs="?", default=0)
    ap.add_argument("--arch", choices=("lenet5", "resnet20"), default="lenet5")
    ap.add_argument("--epochs", type=int, default=0, help="train this many epochs (Adam) instead of STEPS SGD steps")
    ap.add_argument("--trained-bn", action="store_true", help="keep the trained BN statistics")
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    net = LeNet5() if a.arch == "lenet5" else ResNet20()
    if a.steps or a.epochs:
        xt, yt = load(60000, "train")
        yt = yt.astype(np.int64)
        g = torch.Generator().manual_seed(a.seed)
        if a.epochs:
            opt = torch.optim.Adam(net.parameters(), lr=1e-3)
            batches = [p for _ in range(a.epochs) for p in torch.randperm(len(yt), generator=g).split(64)]
        else:
            opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
            batches = [torch.randint(0, len(yt), (64,), generator=g) for _ in range(a.steps)]
        net.train()
        for idx in batches:
            idx = idx.numpy()
            loss = F.cross_entropy(net(torch.from_numpy(xt[idx])), torch.from_numpy(yt[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    if not a.trained_bn:
        with torch.no_grad():  # random running statistics, so BN is really exercised
            for m in net.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.2, 0.2)
                    m.running_var.uniform_(0.5, 2.0)
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.1, 0.1)
    net.eval()
    x, y = load(a.n)
    with torch.no_grad():
        logits = net(torch.from_numpy(x)).numpy().astype(np.float32)
    # opset 10 for ResNet-20: its Pad takes the pads as an attribute; from opset 11 torch computes them in a
    # subgraph of Shape/Concat/reversing Slice that it cannot constant-fold, which nn cannot express
    opset = 13 if a.arch == "lenet5" else 10
    torch.onnx.export(net, torch.zeros(1, 1, 28, 28), a.out, opset_version=opset, input_names=["image"],
                      output_names=["logits"], dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}})
    logits.tofile(a.logits_out)
    acc = 100.0 * float((logits.argmax(1) == y).mean())
    print(json.dumps({"arch": a.arch, "images": a.n, "accuracy": acc, "opset": opset}))


if __name__ == "__main__":
    main()
