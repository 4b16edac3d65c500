"""One training step (forward, backward, optimizer step), Ember vs PyTorch.

`python bench/train.py [--threads 1] [--cold] [workload ...]`. Each model is written once
against the PyTorch API with ``T`` bound to ``ember`` or ``torch``; the harness runs the two
alternately in fresh processes and prints, per model, the training step and the inference
step (``eval()`` under ``no_grad``) with their ratios, the first training step's time and each
process's peak memory. The headline runs both frameworks at their default threads; on a busy
machine ``--threads 1`` pins both to one thread (two threads contending with other load make
small GEMMs many times slower and the ratios noise).
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench._harness import Workload, main  # noqa: E402
from bench import models  # noqa: E402


def training_step(T, model, optimizer, inputs, targets):
    """The steps every workload times: training (zero grads, forward, cross-entropy, backward,
    update) and inference (the forward in eval mode, without a graph)."""
    loss_fn = T.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()

    def infer():
        if model.training:  # (once: inference is timed after training)
            model.eval()
        with T.no_grad():
            model(inputs)
    return Workload(step, infer)


def mlp_setup(T):
    """(model, optimizer, inputs, targets) of the MLP workload."""
    model = models.mlp(T)
    optimizer = T.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return model, optimizer, T.randn(128, 784), T.randint(0, 10, (128,))


def mlp(T):
    return training_step(T, *mlp_setup(T))


def lenet(T):
    model = models.lenet(T)
    optimizer = T.optim.Adam(model.parameters(), lr=1e-3)
    return training_step(T, model, optimizer, T.randn(64, 1, 28, 28), T.randint(0, 10, (64,)))


def gpt(T):
    return training_step(T, *gpt_setup(T))


def gpt_setup(T, vocab=96, block=64, batch=16):
    """(model, optimizer, inputs, targets) of the GPT workload."""
    model = models.gpt(T, vocab=vocab, block=block)
    optimizer = T.optim.AdamW(model.parameters(), lr=3e-4)
    tokens = T.randint(0, vocab, (batch, block + 1))
    return model, optimizer, tokens[:, :-1], tokens[:, 1:].flatten()


def resnet(T):
    model = models.resnet(T)
    optimizer = T.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    return training_step(T, model, optimizer, T.randn(32, 3, 32, 32), T.randint(0, 10, (32,)))


def _language_model(T, kind, vocab=10000, width=200, layers=2, seq=35, batch=20, dropout=0.2):
    """PyTorch's word_language_model example: embedding, recurrent or Transformer core,
    decoder to the vocabulary; SGD with gradient clipping, as its training loop does."""
    nn = T.nn

    class LanguageModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(dropout)
            self.encoder, self.decoder = nn.Embedding(vocab, width), nn.Linear(width, vocab)
            if kind == "Transformer":
                layer = nn.TransformerEncoderLayer(width, 2, width, dropout)
                self.core = nn.TransformerEncoder(layer, layers)
                position = T.arange(seq).unsqueeze(1).float()
                rate = T.exp(T.arange(0, width, 2).float() * (-9.210340371976184 / width))
                self.register_buffer("positions", T.stack(
                    (T.sin(position * rate), T.cos(position * rate)), 2).view(seq, 1, width))
                self.register_buffer("causal", nn.Transformer.generate_square_subsequent_mask(seq))
            else:
                self.core = getattr(nn, kind)(width, width, layers, dropout=dropout)

        def forward(self, tokens):
            x = self.drop(self.encoder(tokens))
            if kind == "Transformer":
                x = self.core(x * width ** 0.5 + self.positions, self.causal)
            else:
                x, _ = self.core(x)
            return self.decoder(self.drop(x)).view(-1, vocab)

    return LanguageModel(), T.randint(0, vocab, (seq + 1, batch))


def language_model(kind):
    def workload(T):
        model, tokens = _language_model(T, kind)
        optimizer = T.optim.SGD(model.parameters(), lr=20)
        loss_fn = T.nn.CrossEntropyLoss()
        inputs, targets = tokens[:-1], tokens[1:].flatten()

        def step():
            optimizer.zero_grad()
            loss_fn(model(inputs), targets).backward()
            T.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            optimizer.step()

        def infer():
            if model.training:
                model.eval()
            with T.no_grad():
                model(inputs)
        return Workload(step, infer)
    return workload


WORKLOADS = {
    "MLP 784-512-256-10, batch 128, SGD momentum": mlp,
    "LeNet-5 1x28x28, batch 64, Adam": lenet,
    "GPT 2 layers 4 heads 128, block 64, AdamW": gpt,
    "ResNet 32ch 3x32x32, batch 32, SGD": resnet,
    "LSTM LM 10k-200x2, seq 35, batch 20, SGD": language_model("LSTM"),
    "GRU LM 10k-200x2, seq 35, batch 20, SGD": language_model("GRU"),
    "Transformer LM 10k-200x2, seq 35, batch 20, SGD": language_model("Transformer"),
}

if __name__ == "__main__":
    main(WORKLOADS, os.path.abspath(__file__), extra_columns=("peak_rss_mb",))
