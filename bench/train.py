"""One training step (forward, backward, optimizer step), Ember vs PyTorch.

`python bench/train.py [workload ...]`. Each model is written once against the PyTorch API
with ``T`` bound to ``ember`` or ``torch``; the harness runs the two alternately in fresh
processes and prints the time ratio and each process's peak memory. On a busy machine, pin
both frameworks to one BLAS thread (``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1``): two
threads contending with other load make small GEMMs many times slower and the ratios noise.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench._harness import main  # noqa: E402


def training_step(T, model, optimizer, inputs, targets):
    """The step every workload times: zero grads, forward, cross-entropy, backward, update."""
    loss_fn = T.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
    step.model, step.inputs = model, inputs   # for the inference rows of bench/conv.py
    return step


def mlp(T):
    nn = T.nn
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    optimizer = T.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return training_step(T, model, optimizer, T.randn(128, 784), T.randint(0, 10, (128,)))


def lenet(T):
    nn = T.nn
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),   # 6 x 14 x 14
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),             # 16 x 5 x 5
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))
    optimizer = T.optim.Adam(model.parameters(), lr=1e-3)
    return training_step(T, model, optimizer, T.randn(64, 1, 28, 28), T.randint(0, 10, (64,)))


def gpt(T, vocab=96, width=128, heads=4, layers=2, block=64, batch=16):
    nn, F = T.nn, T.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
            self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
            self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(),
                                     nn.Linear(4 * width, width))

        def forward(self, x):
            b, t, c = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
            q, k, v = (z.view(b, t, heads, c // heads).transpose(1, 2) for z in (q, k, v))
            scores = (q @ k.transpose(-2, -1)) * (c // heads) ** -0.5
            causal = T.ones(t, t, dtype=T.bool).triu(1)
            attention = F.softmax(scores.masked_fill(causal, float("-inf")), dim=-1)
            x = x + self.proj((attention @ v).transpose(1, 2).reshape(b, t, c))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tokens, self.positions = nn.Embedding(vocab, width), nn.Embedding(block, width)
            self.blocks = nn.Sequential(*(Block() for _ in range(layers)))
            self.ln, self.head = nn.LayerNorm(width), nn.Linear(width, vocab)

        def forward(self, idx):
            x = self.tokens(idx) + self.positions(T.arange(idx.shape[1]))
            return self.head(self.ln(self.blocks(x))).flatten(0, 1)

    model = GPT()
    optimizer = T.optim.AdamW(model.parameters(), lr=3e-4)
    tokens = T.randint(0, vocab, (batch, block + 1))
    return training_step(T, model, optimizer, tokens[:, :-1], tokens[:, 1:].flatten())


def resnet(T, width=32):
    nn, F = T.nn, T.nn.functional

    class Residual(nn.Module):
        def __init__(self, channels_in, channels_out, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(channels_in, channels_out, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(channels_out)
            self.conv2 = nn.Conv2d(channels_out, channels_out, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(channels_out)
            self.shortcut = nn.Sequential()
            if stride != 1 or channels_in != channels_out:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(channels_in, channels_out, 1, stride, bias=False),
                    nn.BatchNorm2d(channels_out))

        def forward(self, x):
            y = F.relu(self.bn1(self.conv1(x)))
            return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))

    model = nn.Sequential(
        nn.Conv2d(3, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
        Residual(width, width, 1), Residual(width, 2 * width, 2),      # 64 x 16 x 16
        Residual(2 * width, 2 * width, 1), Residual(2 * width, 4 * width, 2),  # 128 x 8 x 8
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * width, 10))
    optimizer = T.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    return training_step(T, model, optimizer, T.randn(32, 3, 32, 32), T.randint(0, 10, (32,)))


WORKLOADS = {
    "MLP 784-512-256-10, batch 128, SGD momentum": mlp,
    "LeNet-5 1x28x28, batch 64, Adam": lenet,
    "GPT 2 layers 4 heads 128, block 64, AdamW": gpt,
    "ResNet 32ch 3x32x32, batch 32, SGD": resnet,
}

if __name__ == "__main__":
    main(WORKLOADS, os.path.abspath(__file__), extra_columns=("peak_rss_mb",))
