"""The benchmark models, written once against the PyTorch API with ``T`` bound to ``ember`` or
``torch``: bench/train.py times their training steps, bench/compile.py their compiled
forms, and tests/test_compile.py checks compiled against eager on them."""
from __future__ import annotations


def mlp(T):
    nn = T.nn
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def lenet(T):
    nn = T.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),   # 6 x 14 x 14
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),             # 16 x 5 x 5
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


def gpt(T, vocab=96, width=128, heads=4, layers=2, block=64):
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

    return GPT()


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

    return nn.Sequential(
        nn.Conv2d(3, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
        Residual(width, width, 1), Residual(width, 2 * width, 2),      # 64 x 16 x 16
        Residual(2 * width, 2 * width, 1), Residual(2 * width, 4 * width, 2),  # 128 x 8 x 8
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * width, 10))


def overhead(T, width=32, depth=10):
    """Small layers, where per-op Python cost dominates: 10 Linear(32, 32) with ReLUs."""
    nn = T.nn
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*layers[:-1])
