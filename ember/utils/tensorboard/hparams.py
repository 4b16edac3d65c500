"""The HParams tab's summaries: the experiment, and a session's start and end."""
from __future__ import annotations

import time

from google.protobuf import struct_pb2
from tensorboard.compat.proto.summary_pb2 import Summary
from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2

from ..._tensor import Tensor
from ._convert import to_float

_TYPES = {bool: api_pb2.DATA_TYPE_BOOL, str: api_pb2.DATA_TYPE_STRING,
          float: api_pb2.DATA_TYPE_FLOAT64}


def _plain(name: str, value):
    """An hparam value as a bool, str or float (numbers and one-element tensors)."""
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, Tensor)) or hasattr(value, "dtype"):
        return to_float(value, f"add_hparams: hparam {name!r}")
    raise ValueError(f"add_hparams: hparam {name!r} must be an int, float, str, bool or "
                     f"tensor, got {type(value).__name__}")


def _value(plain) -> struct_pb2.Value:
    if isinstance(plain, bool):
        return struct_pb2.Value(bool_value=plain)
    if isinstance(plain, str):
        return struct_pb2.Value(string_value=plain)
    return struct_pb2.Value(number_value=plain)


def _summary(tag: str, data: plugin_data_pb2.HParamsPluginData) -> Summary:
    return Summary(value=[Summary.Value(tag=tag, tensor=metadata.NULL_TENSOR,
                                        metadata=metadata.create_summary_metadata(data))])


def hparams(hparam_dict: dict, metric_dict: dict,
            hparam_domain_discrete: dict | None = None) -> tuple[Summary, Summary, Summary]:
    """The experiment, session-start and session-end summaries of one hparams run."""
    if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
        raise TypeError("add_hparams: hparam_dict and metric_dict must be dicts, got "
                        f"{type(hparam_dict).__name__} and {type(metric_dict).__name__}")
    domains = hparam_domain_discrete or {}
    plain = {name: _plain(name, v) for name, v in hparam_dict.items()}
    infos = []
    for name, value in plain.items():
        info = api_pb2.HParamInfo(name=name, type=_TYPES[type(value)])
        if name in domains:
            choices = [_plain(name, c) for c in domains[name]]
            if any(type(c) is not type(value) for c in choices):
                raise TypeError(f"add_hparams: the domain of {name!r} must hold values of "
                                f"the hparam's own type ({type(value).__name__})")
            info.domain_discrete.CopyFrom(
                struct_pb2.ListValue(values=[_value(c) for c in choices]))
        infos.append(info)
    metrics = [api_pb2.MetricInfo(name=api_pb2.MetricName(tag=tag)) for tag in metric_dict]
    now = time.time()
    experiment = api_pb2.Experiment(hparam_infos=infos, metric_infos=metrics,
                                    time_created_secs=now)
    start = plugin_data_pb2.SessionStartInfo(start_time_secs=now)
    for name, value in plain.items():
        start.hparams[name].CopyFrom(_value(value))
    end = plugin_data_pb2.SessionEndInfo(status=api_pb2.STATUS_SUCCESS, end_time_secs=now)
    return (_summary(metadata.EXPERIMENT_TAG, plugin_data_pb2.HParamsPluginData(
                experiment=experiment)),
            _summary(metadata.SESSION_START_INFO_TAG, plugin_data_pb2.HParamsPluginData(
                session_start_info=start)),
            _summary(metadata.SESSION_END_INFO_TAG, plugin_data_pb2.HParamsPluginData(
                session_end_info=end)))
