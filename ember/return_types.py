"""The named tuples that multi-output ops return, as ``torch.return_types`` has them.

>>> values, indices = ember.tensor([[1., 5.], [7., 2.]]).max(dim=1)
>>> ember.tensor([3., 1.]).sort().indices
tensor([1, 0])
"""
from __future__ import annotations

from collections import namedtuple


def _return_type(name: str, fields: str = "values indices"):
    cls = namedtuple(name, fields)
    cls.__module__ = __name__
    cls.__repr__ = lambda self: f"ember.return_types.{name}(\n" + ",\n".join(
        f"{k}={v!r}" for k, v in zip(self._fields, self)) + ")"
    return cls


max = _return_type("max")
min = _return_type("min")
aminmax = _return_type("aminmax", "min max")
sort = _return_type("sort")
topk = _return_type("topk")
kthvalue = _return_type("kthvalue")
median = _return_type("median")
nanmedian = _return_type("nanmedian")
mode = _return_type("mode")
cummax = _return_type("cummax")
cummin = _return_type("cummin")
histogram = _return_type("histogram", "hist bin_edges")
frexp = _return_type("frexp", "mantissa exponent")
histogramdd = _return_type("histogramdd", "hist bin_edges")
