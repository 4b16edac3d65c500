"""A character-level GPT trained on a short story shipped in examples/data.

Run it with `python examples/char_gpt.py`. It uses only Ember's PyTorch-style API: token and
position embeddings, causal self-attention blocks built from nn modules, LayerNorm, AdamW,
cross-entropy, and sampling with torch.multinomial. It prints the training and validation
loss as they fall, then a sample of generated text.
"""
from __future__ import annotations

import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ember as torch  # noqa: E402  (the litmus test: the rest reads as PyTorch)
from ember import nn  # noqa: E402
from ember.nn import functional as F  # noqa: E402

TEXT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "lighthouse.txt")


class CharCodec:
    """Maps characters to integer ids and back; the vocabulary is the text's characters."""

    def __init__(self, text: str):
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def encode(self, text: str) -> torch.Tensor:
        return torch.tensor([self.index[c] for c in text], dtype=torch.long)

    def decode(self, ids) -> str:
        return "".join(self.chars[i] for i in ids)


class CausalSelfAttention(nn.Module):
    """Multi-head attention where each position sees only itself and earlier positions."""

    def __init__(self, width: int, heads: int, block: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("future", torch.ones(block, block, dtype=torch.bool).triu(1))

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(c // self.heads)
        scores = scores.masked_fill(self.future[:t, :t], float("-inf"))
        attention = self.dropout(F.softmax(scores, dim=-1))
        mixed = (attention @ v).transpose(1, 2).reshape(b, t, c)
        return self.dropout(self.proj(mixed))


class Block(nn.Module):
    """Pre-norm transformer block: attention, then a feed-forward layer, each residual."""

    def __init__(self, width: int, heads: int, block: int, dropout: float):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attention = CausalSelfAttention(width, heads, block, dropout)
        self.feed_forward = nn.Sequential(
            nn.Linear(width, 4 * width), nn.GELU(approximate="tanh"),
            nn.Linear(4 * width, width), nn.Dropout(dropout))

    def forward(self, x):
        x = x + self.attention(self.ln1(x))
        return x + self.feed_forward(self.ln2(x))


class GPT(nn.Module):
    """Embeddings, a stack of transformer blocks, and a linear head onto the vocabulary."""

    def __init__(self, vocab: int, block: int = 64, width: int = 64, heads: int = 4,
                 layers: int = 2, dropout: float = 0.1):
        super().__init__()
        self.block = block
        self.tokens = nn.Embedding(vocab, width)
        self.positions = nn.Embedding(block, width)
        self.blocks = nn.Sequential(*(Block(width, heads, block, dropout)
                                      for _ in range(layers)))
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab)

    def forward(self, ids):
        x = self.tokens(ids) + self.positions(torch.arange(ids.shape[1]))
        return self.head(self.ln(self.blocks(x)))

    @torch.no_grad()
    def generate(self, ids, length: int, temperature: float = 0.8):
        """Extend ``ids`` (batch, time) by ``length`` sampled characters."""
        for _ in range(length):
            logits = self(ids[:, -self.block:])[:, -1] / temperature
            following = torch.multinomial(F.softmax(logits, dim=-1), num_samples=1)
            ids = torch.cat([ids, following], dim=1)
        return ids


def random_batch(data, block: int, batch: int):
    """``batch`` random windows of the text and the same windows shifted by one character."""
    starts = torch.randint(0, len(data) - block - 1, (batch,))
    windows = torch.stack([data[s:s + block + 1] for s in starts.tolist()])
    return windows[:, :-1], windows[:, 1:]


def loss_on(model, data, block: int, batch: int = 32, batches: int = 4) -> float:
    """Mean cross-entropy over a few random batches, in eval mode."""
    model.eval()
    with torch.no_grad():
        total = sum(F.cross_entropy(model(x).flatten(0, 1), y.flatten()).item()
                    for x, y in (random_batch(data, block, batch) for _ in range(batches)))
    model.train()
    return total / batches


def train(steps: int = 600, block: int = 64, batch: int = 32, seed: int = 0,
          report_every: int = 100, log=print):
    """Train the GPT; returns (model, codec, list of (step, train loss, validation loss))."""
    torch.manual_seed(seed)
    with open(TEXT_PATH, encoding="utf-8") as f:
        text = f.read()
    codec = CharCodec(text)
    data = codec.encode(text)
    cut = int(0.9 * len(data))
    train_data, val_data = data[:cut], data[cut:]

    model = GPT(len(codec.chars), block=block)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.1)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=steps)
    history = []
    for step in range(1, steps + 1):
        x, y = random_batch(train_data, block, batch)
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        if step == 1 or step % report_every == 0 or step == steps:
            record = (step, loss_on(model, train_data, block), loss_on(model, val_data, block))
            history.append(record)
            log(f"step {record[0]:4d}: train loss {record[1]:.3f}, val loss {record[2]:.3f}")
    return model, codec, history


def main() -> None:
    start = time.perf_counter()
    model, codec, _ = train()
    print(f"trained in {time.perf_counter() - start:.0f} s; a sample:\n")
    model.eval()
    prompt = codec.encode("The ").unsqueeze(0)
    print(codec.decode(model.generate(prompt, length=400)[0].tolist()))


if __name__ == "__main__":
    main()
