"""Training steps of small convolutional models, Ember vs PyTorch:
`python bench/models.py [workload ...]`.

Each workload is written once against the PyTorch API and run with ``T`` bound to either
``ember`` or ``torch``.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench._harness import main  # noqa: E402


def _train_step(T, model, x, target):
    opt = T.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = T.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), target)
        loss.backward()
        opt.step()
    return step


def lenet5_train_batch64(T):
    nn = T.nn
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    return _train_step(T, model, T.randn(64, 1, 28, 28), T.randint(0, 10, (64,)))


def resnet_block_train_batch32(T):
    nn = T.nn

    class Block(nn.Module):
        def __init__(self, channels):
            super().__init__()
            self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(channels)
            self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(channels)

        def forward(self, x):
            y = self.bn1(self.conv1(x)).relu()
            return (self.bn2(self.conv2(y)) + x).relu()

    model = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32),
                          nn.ReLU(), Block(32), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                          nn.Linear(32, 10))
    return _train_step(T, model, T.randn(32, 3, 32, 32), T.randint(0, 10, (32,)))


WORKLOADS = {f.__name__: f for f in (lenet5_train_batch64, resnet_block_train_batch32)}

if __name__ == "__main__":
    main(WORKLOADS, os.path.abspath(__file__))
