"""``ember.<name>`` for the layer functions PyTorch also exports at the top level
(``torch.conv2d``, ``torch.layer_norm``, ``torch.kl_div``...).

Most take ``nn.functional``'s arguments and are plain aliases. The rest follow ATen's
signatures: some order their arguments differently (``torch.batch_norm`` puts weight and
bias before the running statistics), take an extra cuDNN flag, or give the loss reduction as
an integer (0 none, 1 mean, 2 sum), and leave losses unreduced unless told otherwise (as
PyTorch 2.x does); those are listed with their positional parameter names.
"""
from __future__ import annotations

from .nn import functional as F
from .nn.functional.loss import logits_cross_entropy
from .nn.functional.loss_margin import ranking_loss
from .nn.functional.sparse import embedding_bag_with_bookkeeping

_SAME_AS_FUNCTIONAL = (
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "avg_pool1d", "max_pool1d", "max_pool2d", "max_pool3d", "adaptive_avg_pool1d", "bilinear",
    "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "cosine_similarity",
    "pairwise_distance", "pdist", "rms_norm", "selu_", "celu_", "rrelu_", "threshold_")

# ATen's reduction codes: 1 mean, 2 sum, and any other integer leaves the loss unreduced.
_REDUCTIONS = {1: "mean", 2: "sum"}

# torch.<name>: (the nn.functional function, torch's positional parameter names)
_ATEN_SIGNATURES = {
    "layer_norm": (F.layer_norm, "input normalized_shape weight bias eps cudnn_enable"),
    "group_norm": (F.group_norm, "input num_groups weight bias eps cudnn_enabled"),
    "batch_norm": (F.batch_norm, "input weight bias running_mean running_var training "
                                 "momentum eps cudnn_enabled"),
    "instance_norm": (F.instance_norm, "input weight bias running_mean running_var "
                                       "use_input_stats momentum eps cudnn_enabled"),
    "kl_div": (F.kl_div, "input target reduction log_target"),
    "binary_cross_entropy_with_logits": (logits_cross_entropy,
                                         "input target weight pos_weight reduction"),
    "cosine_embedding_loss": (F.cosine_embedding_loss, "input1 input2 target margin reduction"),
    "hinge_embedding_loss": (F.hinge_embedding_loss, "input target margin reduction"),
    "margin_ranking_loss": (ranking_loss, "input1 input2 target margin reduction"),
    "poisson_nll_loss": (F.poisson_nll_loss, "input target log_input full eps reduction"),
    "triplet_margin_loss": (F.triplet_margin_loss, "anchor positive negative margin p eps swap "
                                                   "reduction"),
    "ctc_loss": (F.ctc_loss, "log_probs targets input_lengths target_lengths blank reduction "
                             "zero_infinity"),
}
_IGNORED = {"cudnn_enable", "cudnn_enabled"}


def _aten_call(name, fn, params):
    names = params.split()

    def call(*args, **kwargs):
        if len(args) > len(names):
            raise TypeError(f"{name}() takes at most {len(names)} positional arguments but "
                            f"{len(args)} were given")
        kwargs.update(zip(names, args))
        if "reduction" in names:
            kwargs.setdefault("reduction", 0)
        for flag in _IGNORED & kwargs.keys():
            del kwargs[flag]
        if isinstance(kwargs.get("reduction"), int):
            kwargs["reduction"] = _REDUCTIONS.get(kwargs["reduction"], "none")
        return fn(**kwargs)
    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"``nn.functional.{fn.__name__}`` with PyTorch's ``torch.{name}`` arguments."
    return call


def _adaptive_max_pool1d(input, output_size):
    """``nn.functional.adaptive_max_pool1d``, returning the values and their indices."""
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


ALIASES = {name: getattr(F, name) for name in _SAME_AS_FUNCTIONAL}
ALIASES.update({name: _aten_call(name, fn, params)
                for name, (fn, params) in _ATEN_SIGNATURES.items()})
ALIASES["adaptive_max_pool1d"] = _adaptive_max_pool1d
ALIASES["embedding_bag"] = embedding_bag_with_bookkeeping
