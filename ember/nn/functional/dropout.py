"""Dropout functions: element-wise, channel-wise (1d/2d/3d) and alpha dropout."""
from __future__ import annotations

import warnings

from ...ops import TABLE, COMPOSITES
from ...ops._inplace import make_method
from ...ops.dropout import check_p, noise_shape
from ... import random as _random

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"]

_dropout_ = make_method(TABLE["_dropout"])
_dropout = COMPOSITES["dropout"].fn
_feature_dropout = COMPOSITES["feature_dropout"].fn
_alpha_dropout = COMPOSITES["alpha_dropout"].fn
_feature_alpha_dropout = COMPOSITES["feature_alpha_dropout"].fn


def _run(input, p, training, inplace, feature):
    check_p(p)
    if inplace and training and p > 0:
        rng = _random.generator_for(input.device).rng
        return _dropout_(input, p, noise_shape(input, feature), rng)
    return (_feature_dropout if feature else _dropout)(input, p, training)


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero each element with probability ``p`` while training; scale the rest by 1/(1-p).

    >>> F.dropout(ember.ones(4), 0.5, training=False)
    tensor([1., 1., 1., 1.])
    """
    return _run(input, p, training, inplace, False)


def _channelwise(name: str, spatial: int):
    def channel_dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False):
        check_p(p)
        ndim = input.dim()
        if spatial == 1 and ndim not in (2, 3):
            raise RuntimeError(
                f"dropout1d: Expected 2D or 3D input, but received a {ndim}D input. Note that "
                "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
                "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or "
                "3D inputs).")
        if spatial > 1 and ndim not in (spatial + 1, spatial + 2):
            warnings.warn(f"{name}: Received a {ndim}-D input to {name}, which is deprecated "
                          f"and will result in an error in a future release.", UserWarning,
                          stacklevel=2)
        unbatched = ndim == spatial + 1 and spatial != 2
        x = input.unsqueeze(0) if unbatched else input
        if unbatched and inplace:
            _run(x, p, training, True, True)  # x is a view: the write lands in input
            return input
        out = _run(x, p, training, inplace, True)
        return out.squeeze(0) if unbatched else out
    channel_dropout.__name__ = name
    channel_dropout.__doc__ = (f"Zero whole channels of a (N, C, *{spatial} spatial dims) "
                               "input with probability ``p`` while training.")
    return channel_dropout


dropout1d = _channelwise("dropout1d", 1)
# A 3-d input to dropout2d is taken as batched (N, C, L), as PyTorch still does.
dropout2d = _channelwise("dropout2d", 2)
dropout3d = _channelwise("dropout3d", 3)


def _inplace_result(input, out, inplace):
    return input.copy_(out) if inplace and out is not input else out


def alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False):
    """Dropout for SELU networks: keeps the activations' mean and variance."""
    check_p(p)
    return _inplace_result(input, _alpha_dropout(input, p, training), inplace)


def feature_alpha_dropout(input, p: float = 0.5, training: bool = False,
                          inplace: bool = False):
    """`alpha_dropout` of whole channels."""
    check_p(p)
    return _inplace_result(input, _feature_alpha_dropout(input, p, training), inplace)
