"""`ember.text`: text encoders. A BERT encoder (`BertModel`) whose module names match the
published checkpoints, and `SentenceEncoder`, which reads a sentence-transformers checkpoint
and embeds sentences for semantic search.

Tokenizers come from ``tokenizer.json`` files through the ``tokenizers`` package and weights
from ``model.safetensors`` through ``safetensors`` (both in ``pip install 'ember[text]'``),
imported only when a checkpoint is loaded.

>>> encoder = ember.text.SentenceEncoder.from_pretrained("all-MiniLM-L6-v2")
>>> scores = encoder.encode(["how do I bake bread"]) @ encoder.encode(documents).T
"""
from .bert import BertConfig, BertModel
from .sentence import SentenceEncoder

__all__ = ["BertConfig", "BertModel", "SentenceEncoder"]
