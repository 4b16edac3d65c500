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
from bench import models  # noqa: E402


def training_step(T, model, optimizer, inputs, targets):
    """The step every workload times: zero grads, forward, cross-entropy, backward, update."""
    loss_fn = T.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
    return step


def mlp(T):
    model = models.mlp(T)
    optimizer = T.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return training_step(T, model, optimizer, T.randn(128, 784), T.randint(0, 10, (128,)))


def lenet(T):
    model = models.lenet(T)
    optimizer = T.optim.Adam(model.parameters(), lr=1e-3)
    return training_step(T, model, optimizer, T.randn(64, 1, 28, 28), T.randint(0, 10, (64,)))


def gpt(T, vocab=96, block=64, batch=16):
    model = models.gpt(T, vocab=vocab, block=block)
    optimizer = T.optim.AdamW(model.parameters(), lr=3e-4)
    tokens = T.randint(0, vocab, (batch, block + 1))
    return training_step(T, model, optimizer, tokens[:, :-1], tokens[:, 1:].flatten())


def resnet(T):
    model = models.resnet(T)
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
