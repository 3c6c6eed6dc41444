#!/usr/bin/env python3
"""PyTorch peer of bench_nn: training images/s of the same LeNet-5 and ResNet-20
(CIFAR variant, option-A shortcuts) on CPU with Adam, same batch and threads.
usage: bench_nn_torch.py BATCH THREADS LENET_STEPS RESNET_STEPS
prints: "<model> <batch> <threads> <images/s> <images per CPU-second>" per model."""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.c2 = nn.Conv2d(6, 16, 5)
        self.f1 = nn.Linear(400, 120)
        self.f2 = nn.Linear(120, 84)
        self.f3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = x.flatten(1)
        return self.f3(F.relu(self.f2(F.relu(self.f1(x)))))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.ba = nn.BatchNorm2d(cout)
        self.b = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bb = nn.BatchNorm2d(cout)
        self.stride, self.pad = stride, (cout - cin) // 2

    def forward(self, x):
        y = self.bb(self.b(F.relu(self.ba(self.a(x)))))
        s = x[:, :, ::self.stride, ::self.stride] if self.stride > 1 else x
        if self.pad:
            s = F.pad(s, (0, 0, 0, 0, self.pad, self.pad))
        return F.relu(y + s)


class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.b = nn.BatchNorm2d(16)
        layers, cin = [], 16
        for i, w in enumerate((16, 32, 64)):
            for k in range(3):
                layers.append(Block(cin, w, 2 if (i > 0 and k == 0) else 1))
                cin = w
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.layers(F.relu(self.b(self.c(x))))
        return self.fc(x.mean((2, 3)))


def bench(model, size, batch, steps):
    torch.manual_seed(1)
    x = torch.rand(4096, 1, size, size)
    y = torch.randint(0, 10, (4096,))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()

    def step(i):
        j = (i * batch) % (4096 - batch)
        opt.zero_grad()
        loss = F.cross_entropy(model(x[j:j + batch]), y[j:j + batch])
        loss.backward()
        opt.step()

    for i in range(3):
        step(i)
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(steps):
        step(i)
    t, c = time.perf_counter() - t0, time.process_time() - c0
    return "%.1f %.1f" % (steps * batch / t, steps * batch / c)


def main():
    batch, threads, ls, rs = (int(a) for a in sys.argv[1:5])
    torch.set_num_threads(threads)
    if ls > 0:
        print("lenet5 %d %d %s" % (batch, threads, bench(LeNet5(), 28, batch, ls)), flush=True)
    if rs > 0:
        print("resnet20 %d %d %s" % (batch, threads, bench(ResNet20(), 32, batch, rs)), flush=True)


if __name__ == "__main__":
    main()
