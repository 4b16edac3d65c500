"""OpInfos for convolution (ember/ops/conv.py), against torch.nn.functional's convolutions."""
from __future__ import annotations

import torch
import torch.nn.functional as TF

from ember.ops import TABLE

from . import OpInfo, Sample
from . import samples as S

# (spatial dims, stride, padding, dilation, groups); 2-d stride-1 ones build wide columns
CONFIGS = [(1, 1, 0, 1, 1), (2, 1, 1, 1, 1), (2, 2, 1, 1, 2), (2, 2, 0, 2, 1), (3, 1, 1, 1, 1),
           (2, 1, 2, 2, 2)]
TORCH_CONV = {1: TF.conv1d, 2: TF.conv2d, 3: TF.conv3d}
TORCH_CONV_T = {1: TF.conv_transpose1d, 2: TF.conv_transpose2d, 3: TF.conv_transpose3d}


def _spatial(d):
    return {1: (7,), 2: (6, 5), 3: (4, 5, 3)}[d]


# 3x3 stride-1 2-d convolutions with 16 channels, which take the Winograd path when it is
# enabled (tests/test_winograd.py runs both paths); odd sizes leave partial edge tiles.
WINOGRAD = [((2, 16, 7, 5), 16, 1), ((1, 16, 4, 9), 17, 0), ((3, 16, 1, 3), 16, 2)]


def _conv_samples(rng, dt):
    out = []
    for d, s, p, dil, g in CONFIGS:
        x = S.randn(rng, (2, 4) + _spatial(d), dt)
        w = S.randn(rng, (6, 4 // g) + (2,) * d, dt)
        out.append(Sample((x, w), {"stride": s, "padding": p, "dilation": dil, "groups": g}))
    for shape, o, p in WINOGRAD:
        x, w = S.randn(rng, shape, dt), S.randn(rng, (o, shape[1], 3, 3), dt)
        out.append(Sample((x, w), {"stride": 1, "padding": p, "dilation": 1, "groups": 1}))
    return out


def _conv_ember(x, w, stride, padding, dilation, groups):
    d = x.dim() - 2
    return TABLE["conv"].fn(x, w, (stride,) * d, ((padding, padding),) * d, (dilation,) * d,
                            groups)


def _conv_t_samples(rng, dt):
    out = []
    for d, s, p, dil, g in CONFIGS:
        x = S.randn(rng, (2, 4) + _spatial(d), dt)
        w = S.randn(rng, (4, 6 // g) + (2,) * d, dt)
        out.append(Sample((x, w), {"stride": s, "padding": p, "dilation": dil, "groups": g,
                                   "output_padding": s - 1}))
    for shape, o, p in WINOGRAD:   # unstrided: a Winograd convolution with the flipped kernel
        x, w = S.randn(rng, shape, dt), S.randn(rng, (shape[1], o, 3, 3), dt)
        out.append(Sample((x, w), {"stride": 1, "padding": min(p, 1), "dilation": 1,
                                   "groups": 1, "output_padding": 0}))
    # strided, with output padding: the matrix product, then col2im
    x, w = S.randn(rng, (2, 3, 4, 3), dt), S.randn(rng, (3, 5, 3, 2), dt)
    out.append(Sample((x, w), {"stride": 3, "padding": 1, "dilation": 1, "groups": 1,
                               "output_padding": 2}))
    return out


def _conv_t_ember(x, w, stride, padding, dilation, groups, output_padding):
    d = x.dim() - 2
    return TABLE["conv_transpose"].fn(x, w, (stride,) * d, ((padding, padding),) * d,
                                      (dilation,) * d, groups, (output_padding,) * d)


def _conv_t_torch(x, w, stride, padding, dilation, groups, output_padding):
    return TORCH_CONV_T[x.dim() - 2](x, w, stride=stride, padding=padding, dilation=dilation,
                                     groups=groups, output_padding=output_padding)


def _weight_samples(rng, dt):
    out = []
    for d, s, p, dil, g in CONFIGS:
        x = S.randn(rng, (2, 4) + _spatial(d), dt)
        shape = (6, 4 // g) + (2,) * d
        y = TORCH_CONV[d](torch.from_numpy(x), torch.zeros(shape, dtype=torch.float64 if
                                                           dt == "float64" else torch.float32),
                          stride=s, padding=p, dilation=dil, groups=g)
        grad = S.randn(rng, tuple(y.shape), dt)
        out.append(Sample((x, grad), {"shape": shape, "stride": s, "padding": p,
                                      "dilation": dil, "groups": g}))
    for shape, o, p in WINOGRAD:
        x = S.randn(rng, shape, dt)
        out_size = tuple(n + 2 * p - 2 for n in shape[2:])
        grad = S.randn(rng, (shape[0], o) + out_size, dt)
        out.append(Sample((x, grad), {"shape": (o, shape[1], 3, 3), "stride": 1, "padding": p,
                                      "dilation": 1, "groups": 1}))
    return out


def _weight_ember(x, g, shape, stride, padding, dilation, groups):
    d = x.dim() - 2
    return TABLE["conv_weight"].fn(x, g, shape, (stride,) * d, ((padding, padding),) * d,
                                   (dilation,) * d, groups)


def _weight_torch(x, g, shape, stride, padding, dilation, groups):
    # the weight gradient of torch's own convolution, through autograd
    w = torch.zeros(shape, dtype=x.dtype, requires_grad=True)
    y = TORCH_CONV[x.dim() - 2](x, w, stride=stride, padding=padding, dilation=dilation,
                                groups=groups)
    (gw,) = torch.autograd.grad(y, w, g, create_graph=True)
    return gw


OPINFOS = [
    OpInfo("conv", _conv_samples, ember_fn=_conv_ember,
           torch_fn=lambda x, w, stride, padding, dilation, groups: TORCH_CONV[x.dim() - 2](
               x, w, stride=stride, padding=padding, dilation=dilation, groups=groups),
           gradgradcheck=True),
    OpInfo("conv_transpose", _conv_t_samples, ember_fn=_conv_t_ember, torch_fn=_conv_t_torch),
    OpInfo("conv_weight", _weight_samples, ember_fn=_weight_ember, torch_fn=_weight_torch),
]
