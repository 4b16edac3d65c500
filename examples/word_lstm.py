"""A word-level LSTM language model trained on the short story shipped in examples/data.

Run it with `python examples/word_lstm.py`. It uses only Ember's PyTorch-style API: an
Embedding, a two-layer nn.LSTM carrying its state across batches (truncated backpropagation
through time), a decoder tied to the embedding, Adam, gradient clipping, and cross-entropy.
It prints the training and validation perplexity after each epoch.
"""
from __future__ import annotations

import math
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ember as torch  # noqa: E402  (the litmus test: the rest reads as PyTorch)
from ember import nn  # noqa: E402
from ember.nn import functional as F  # noqa: E402

TEXT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "lighthouse.txt")


def words_of(text: str) -> list[str]:
    """Lower-case words and punctuation marks as separate tokens; line breaks as <eol>."""
    return [w if w != "\n" else "<eol>" for w in re.findall(r"[a-z']+|[.,:;!?]|\n", text.lower())]


def as_columns(ids, batch: int):
    """Cut a token stream into ``batch`` equal streams side by side: shape (length, batch)."""
    length = len(ids) // batch
    return ids[:length * batch].view(batch, length).t().contiguous()


class WordLSTM(nn.Module):
    """Embedding, a stacked LSTM, and a decoder sharing the embedding's weight."""

    def __init__(self, vocab: int, width: int = 128, layers: int = 2, dropout: float = 0.3):
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        self.lstm = nn.LSTM(width, width, num_layers=layers, dropout=dropout)
        self.dropout = nn.Dropout(dropout)
        self.decode = nn.Linear(width, vocab)
        self.decode.weight = self.embed.weight  # tied: one matrix maps words to vectors and back

    def forward(self, ids, state=None):
        out, state = self.lstm(self.dropout(self.embed(ids)), state)
        return self.decode(self.dropout(out)), state


def detach(state):
    """Cut the graph between batches so backpropagation stops at the batch boundary."""
    return tuple(s.detach() for s in state)


def run_epoch(model, columns, bptt: int, optimizer=None) -> float:
    """One pass over ``columns``; trains when given an optimizer. Returns the perplexity."""
    model.train(optimizer is not None)
    total, count, state = 0.0, 0, None
    with torch.set_grad_enabled(optimizer is not None):
        for start in range(0, len(columns) - 1, bptt):
            inputs = columns[start:start + bptt]
            targets = columns[start + 1:start + 1 + len(inputs)]
            inputs = inputs[:len(targets)]
            logits, state = model(inputs, None if state is None else detach(state))
            loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
            if optimizer is not None:
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 0.5)
                optimizer.step()
            total += loss.item() * targets.numel()
            count += targets.numel()
    return math.exp(total / count)


def train(epochs: int = 16, batch: int = 16, bptt: int = 24, seed: int = 0, log=print):
    """Train the model; returns (model, list of (epoch, train perplexity, val perplexity))."""
    torch.manual_seed(seed)
    with open(TEXT_PATH, encoding="utf-8") as f:
        words = words_of(f.read())
    vocab = sorted(set(words))
    index = {w: i for i, w in enumerate(vocab)}
    ids = torch.tensor([index[w] for w in words], dtype=torch.long)
    cut = int(0.9 * len(ids))
    train_columns, val_columns = as_columns(ids[:cut], batch), as_columns(ids[cut:], 4)

    model = WordLSTM(len(vocab))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=6, gamma=0.5)
    history = []
    for epoch in range(1, epochs + 1):
        train_perplexity = run_epoch(model, train_columns, bptt, optimizer)
        val_perplexity = run_epoch(model, val_columns, bptt)
        scheduler.step()
        history.append((epoch, train_perplexity, val_perplexity))
        log(f"epoch {epoch:2d}: train perplexity {train_perplexity:7.1f}, "
            f"val perplexity {val_perplexity:7.1f}")
    return model, history


def main() -> None:
    start = time.perf_counter()
    _, history = train()
    first, last = history[0], history[-1]
    print(f"trained in {time.perf_counter() - start:.0f} s: train perplexity "
          f"{first[1]:.1f} -> {last[1]:.1f}, val perplexity {first[2]:.1f} -> {last[2]:.1f}")


if __name__ == "__main__":
    main()
