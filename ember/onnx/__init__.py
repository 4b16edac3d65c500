"""`ember.onnx`: export a model to ONNX, PyTorch's ``torch.onnx`` API.

`export` traces the model with graph mode's tracer (`ember.jit`) and lowers each op of the
captured graph through the ONNX lowering declared beside its forward in the op table. The
`onnx` package (``pip install 'ember[onnx]'``) builds and checks the model; ONNX Runtime, or
any other ONNX consumer, runs it.
"""
from . import errors
from ._export import DEFAULT_OPSET, export, is_in_onnx_export
from .errors import OnnxExporterError, UnsupportedOperatorError

__all__ = ["export", "is_in_onnx_export", "errors", "OnnxExporterError",
           "UnsupportedOperatorError", "DEFAULT_OPSET"]
