"""The exporter's exception types, at ``torch.onnx.errors``' path."""
from ._builder import OnnxExporterError, UnsupportedOperatorError

__all__ = ["OnnxExporterError", "UnsupportedOperatorError"]
