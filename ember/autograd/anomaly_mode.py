"""PyTorch's path ``torch.autograd.anomaly_mode``; defined in `anomaly`."""
from .anomaly import detect_anomaly, set_detect_anomaly

__all__ = ["detect_anomaly", "set_detect_anomaly"]
