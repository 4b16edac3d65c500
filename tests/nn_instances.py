"""One small instance of every layer class in ``ember.nn`` (for tests that must cover them
all, such as pickling each one)."""
import inspect
import warnings

import ember
from ember import nn

_ONE_SIZE = ("AdaptiveAvgPool", "AdaptiveMaxPool", "AvgPool", "MaxPool", "MaxUnpool",
             "ChannelShuffle", "PixelShuffle", "PixelUnshuffle", "Unfold", "LocalResponseNorm",
             "CrossMapLRN2d", "ZeroPad", "ReflectionPad", "ReplicationPad", "CircularPad",
             "LazyLinear")
_FEATURES = ("BatchNorm", "InstanceNorm", "SyncBatchNorm", "LayerNorm", "RMSNorm")


def constructor_args(name: str) -> tuple[tuple, dict]:
    """Arguments that build a small ``nn.<name>``."""
    if name.startswith(_ONE_SIZE):
        return (2,), {}
    if name.startswith("LPPool"):
        return (2, 2), {}
    if name.startswith("ConstantPad"):
        return (1, 0.5), {}
    if name.startswith(_FEATURES):
        return (4,), {}
    if name.startswith("LazyConv"):
        return (2, 3), {}
    if name.startswith("Conv"):
        return (2, 2, 3), {}
    if name.startswith("FractionalMaxPool"):
        return (2,), {"output_ratio": 0.5}
    if name in ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"):
        return (4, 4), {}
    table = {
        "AdaptiveLogSoftmaxWithLoss": ((8, 10, [4]), {}), "Bilinear": ((3, 3, 2), {}),
        "Embedding": ((10, 4), {}), "EmbeddingBag": ((10, 4), {}), "Fold": ((4, 2), {}),
        "GroupNorm": ((2, 4), {}), "Linear": ((4, 2), {}), "MultiheadAttention": ((8, 2), {}),
        "LinearCrossEntropyLoss": ((4, 3), {}),
        "RNNBase": (("LSTM", 4, 4), {}), "RNNCellBase": ((4, 4, True, 1), {}),
        "Threshold": ((0.1, 0.0), {}), "Unflatten": ((1, (2, 2)), {}),
        "TransformerEncoderLayer": ((8, 2, 16), {}), "TransformerDecoderLayer": ((8, 2, 16), {}),
        "TransformerEncoder": ((nn.TransformerEncoderLayer(8, 2, 16), 2), {}),
        "TransformerDecoder": ((nn.TransformerDecoderLayer(8, 2, 16), 2), {}),
        "Sequential": ((nn.Linear(2, 2), nn.ReLU()), {}),
        "ModuleList": (([nn.Linear(2, 2)],), {}), "ModuleDict": (({"a": nn.Tanh()},), {}),
        "ParameterList": (([nn.Parameter(ember.ones(2))],), {}),
        "ParameterDict": (({"p": nn.Parameter(ember.ones(2))},), {}),
    }
    return table.get(name, ((), {}))


def every_module() -> list[tuple[str, nn.Module]]:
    """``(name, instance)`` for every public Module class of ``ember.nn``."""
    out = []
    for name in sorted(set(nn.modules.__all__)):
        cls = getattr(nn, name)
        if not (inspect.isclass(cls) and issubclass(cls, nn.Module)) or name == "Container":
            continue
        args, kwargs = constructor_args(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecated aliases (NLLLoss2d...) warn
            out.append((name, cls(*args, **kwargs)))
    return out
