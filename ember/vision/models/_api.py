"""Pretrained weights in torchvision's style: an Enum per architecture, each member a `Weights`.

``resnet18(weights=ResNet18_Weights.DEFAULT)`` builds the network and loads the checkpoint
named by the member's URL through the hub's download cache. Nothing is
executed from the file: it is read by `ember.load`, PyTorch's format, restricted unpickling.

>>> w = ResNet18_Weights.DEFAULT
>>> w.url, w.meta["num_params"]
('https://download.pytorch.org/models/resnet18-f37072fd.pth', 11689512)
>>> preprocess = w.transforms()
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable

from ... import hub

__all__ = ["Weights", "WeightsEnum", "get_model", "get_model_weights", "get_weight",
           "list_models"]


@dataclass(frozen=True)
class Weights:
    """Where a checkpoint lives, the preprocessing it was trained with, and facts about it."""
    url: str
    transforms: Callable[..., Any]
    meta: dict = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash(self.url)


class WeightsEnum(enum.Enum):
    """Base of the per-architecture enums; members hold a `Weights`, ``DEFAULT`` names the best."""

    @classmethod
    def verify(cls, obj):
        """``obj`` as a member: None stays None, a name like "IMAGENET1K_V1" is looked up."""
        if obj is None or isinstance(obj, cls):
            return obj
        if isinstance(obj, str):
            name = obj.replace(cls.__name__ + ".", "")
            if name not in cls.__members__:
                raise ValueError(f"{name!r} is not a member of {cls.__name__}; choose one of "
                                 f"{list(cls.__members__)}")
            return cls[name]
        raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received "
                        f"{type(obj).__name__}.")

    def get_state_dict(self, progress: bool = True, check_hash: bool = True) -> dict:
        """The checkpoint's state dict: from the cache, else downloaded (hash-checked) once."""
        return hub.load_state_dict_from_url(self.url, progress=progress, check_hash=check_hash,
                                            weights_only=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self._name_}"

    @property
    def url(self) -> str:
        """The address of the checkpoint (read through the download cache)."""
        return self.value.url

    @property
    def transforms(self):
        """The preprocessing the weights were trained with: call it to get the transform."""
        return self.value.transforms

    @property
    def meta(self) -> dict:
        """Facts about the checkpoint: ``num_params``, ``categories``, ``min_size``, accuracies."""
        return self.value.meta


_BUILDERS: dict[str, Callable] = {}
_WEIGHTS: dict[str, type] = {}


def register_model(weights_enum: type | None = None):
    """Decorator: list a builder under its function name for `get_model` / `list_models`."""
    def register(fn):
        _BUILDERS[fn.__name__] = fn
        if weights_enum is not None:
            _WEIGHTS[fn.__name__] = weights_enum
        return fn
    return register


def list_models() -> list[str]:
    """The names `get_model` accepts, sorted.

    >>> "resnet18" in list_models()
    True
    """
    return sorted(_BUILDERS)


def get_model(name: str, **config) -> Any:
    """Build the model registered as ``name`` with keyword arguments ``config``.

    >>> get_model("resnet18", weights=None, num_classes=10)
    ResNet(...)
    """
    if name not in _BUILDERS:
        raise ValueError(f"Unknown model {name!r}; known: {list_models()}")
    return _BUILDERS[name](**config)


def get_model_weights(name: str) -> type:
    """The weights enum of the model registered as ``name``."""
    if name not in _WEIGHTS:
        raise ValueError(f"Model {name!r} has no registered weights")
    return _WEIGHTS[name]


def get_weight(name: str) -> WeightsEnum:
    """A weights member from its full name, e.g. ``"ResNet18_Weights.IMAGENET1K_V1"``."""
    enum_name, _, member = name.partition(".")
    for weights_enum in _WEIGHTS.values():
        if weights_enum.__name__ == enum_name:
            return weights_enum.verify(member)
    raise ValueError(f"Unknown weights enum {enum_name!r}")


def load_weights(model, weights: WeightsEnum | None, progress: bool):
    """Load ``weights`` (if any) into ``model`` strictly and return the model."""
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


def num_classes_from(weights: WeightsEnum | None, num_classes: int | None, default: int) -> int:
    """The classifier width: the checkpoint's when weights are given (a mismatch is an error)."""
    if weights is None:
        return default if num_classes is None else num_classes
    expected = len(weights.meta["categories"])
    if num_classes is not None and num_classes != expected:
        raise ValueError(f"The parameter 'num_classes' expected value {expected} (the weights' "
                         f"categories) but got {num_classes} instead.")
    return expected
