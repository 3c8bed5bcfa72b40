"""``Summary`` protocol buffers, one builder per kind of data (tensorboard's own protobufs).

Each function returns a ``Summary`` that :class:`SummaryWriter` wraps in an ``Event``; the
layouts are the ones TensorBoard's plugins read (and the ones torch's writer produces).
"""
from __future__ import annotations

import numpy as np
from google.protobuf import struct_pb2
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
from tensorboard.plugins.hparams import metadata as hparams_metadata

from ._convert import png, to_numpy, to_scalar

__all__ = ["scalar", "histogram", "image", "text", "hparams"]


def _plugin(name: str) -> SummaryMetadata:
    return SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name=name))


def scalar(tag, value, new_style=False, double_precision=False) -> Summary:
    """One number; ``new_style`` stores it as a tensor (float64 with ``double_precision``)."""
    value = to_scalar(value)
    if not new_style:
        return Summary(value=[Summary.Value(tag=tag, simple_value=value)])
    proto = (TensorProto(dtype="DT_DOUBLE", double_val=[value]) if double_precision
             else TensorProto(dtype="DT_FLOAT", float_val=[value]))
    return Summary(value=[Summary.Value(tag=tag, tensor=proto, metadata=_plugin("scalars"))])


_TF_BINS = None


def tensorflow_bins() -> np.ndarray:
    """TensorFlow's default bucket edges: 0 and +-1e-12 * 1.1**k up to 1e20."""
    global _TF_BINS
    if _TF_BINS is None:
        positive = 1e-12 * 1.1 ** np.arange(int(np.log(1e32) / np.log(1.1)) + 1)
        _TF_BINS = np.concatenate([-positive[::-1], [0.0], positive])
    return _TF_BINS


def histogram(tag, values, bins="tensorflow", max_bins=None) -> Summary:
    """A histogram of ``values`` with numpy's ``bins`` (a count, edges or a rule name), or
    TensorFlow's exponential buckets for ``"tensorflow"``; empty outer buckets are dropped."""
    values = to_numpy(values).reshape(-1).astype(np.float64)
    if values.size == 0:
        raise ValueError("The input has no element.")
    if isinstance(bins, str) and bins == "tensorflow":
        bins = tensorflow_bins()
    counts, edges = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:      # merge groups of adjacent bins
        group = -(-len(counts) // max_bins)
        counts = np.pad(counts, (0, -len(counts) % group)).reshape(-1, group).sum(axis=1)
        edges = np.append(edges[:-1:group], edges[-1])
    nonzero = np.flatnonzero(counts)
    if nonzero.size == 0:
        raise ValueError("The histogram is empty: no value falls inside the bins.")
    first, last = nonzero[0], nonzero[-1] + 1
    # TensorBoard stores right edges only: an empty leading bucket carries the left edge
    proto = HistogramProto(min=values.min(), max=values.max(), num=values.size,
                           sum=values.sum(), sum_squares=values.dot(values),
                           bucket_limit=edges[first:last + 1].tolist(),
                           bucket=[0.0] + counts[first:last].tolist())
    return Summary(value=[Summary.Value(tag=tag, histo=proto)])


def image(tag, hwc: np.ndarray) -> Summary:
    """An HWC uint8 image, stored as PNG."""
    height, width, channels = hwc.shape
    img = Summary.Image(height=height, width=width, colorspace=channels,
                        encoded_image_string=png(hwc))
    return Summary(value=[Summary.Value(tag=tag, image=img)])


def text(tag, string) -> Summary:
    """A (markdown) string, shown by the Text dashboard under ``<tag>/text_summary``."""
    proto = TensorProto(dtype="DT_STRING", string_val=[str(string).encode("utf-8")],
                        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]))
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", tensor=proto,
                                        metadata=_plugin("text"))])


def _hparams_summary(tag, **data) -> Summary:
    meta = hparams_metadata.create_summary_metadata(plugin_data_pb2.HParamsPluginData(**data))
    return Summary(value=[Summary.Value(tag=tag, metadata=meta,
                                        tensor=hparams_metadata.NULL_TENSOR)])


def _hparam_value(key, value):
    """``(data type, Value field, python value)`` of one hyperparameter."""
    if isinstance(value, bool):
        return "DATA_TYPE_BOOL", "bool_value", value
    if isinstance(value, (int, float)):
        return "DATA_TYPE_FLOAT64", "number_value", float(value)
    if isinstance(value, str):
        return "DATA_TYPE_STRING", "string_value", value
    if hasattr(value, "shape") and to_numpy(value).size == 1:
        return "DATA_TYPE_FLOAT64", "number_value", to_scalar(value)
    raise ValueError(f"value of hparam {key!r} should be one of int, float, str, bool, or a "
                     f"one-element tensor, got {type(value).__name__}")


def hparams(hparam_dict, metric_dict, hparam_domain_discrete=None):
    """The three summaries of one hparams session: experiment, session start, session end."""
    if type(hparam_dict) is not dict or type(metric_dict) is not dict:
        raise TypeError("hparam_dict and metric_dict should be dictionary.")
    domains = hparam_domain_discrete or {}
    if not isinstance(domains, dict) or set(domains) - set(hparam_dict):
        raise TypeError("parameter: hparam_domain_discrete should be a dictionary whose keys are "
                        "in hparam_dict, nothing logged.")
    start = plugin_data_pb2.SessionStartInfo()
    infos = []
    for key, value in hparam_dict.items():
        if value is None:
            continue
        dtype, field, value = _hparam_value(key, value)
        setattr(start.hparams[key], field, value)
        info = api_pb2.HParamInfo(name=key, type=api_pb2.DataType.Value(dtype))
        if key in domains:
            choices = domains[key]
            if not isinstance(choices, list) or not all(
                    _hparam_value(key, d)[0] == dtype for d in choices):
                raise TypeError(f"parameter: hparam_domain_discrete[{key}] should be a list of "
                                f"same type as hparam_dict[{key}].")
            info.domain_discrete.values.extend(
                [struct_pb2.Value(**{field: d}) for d in choices])
        infos.append(info)
    metrics = [api_pb2.MetricInfo(name=api_pb2.MetricName(tag=tag)) for tag in metric_dict]
    experiment = api_pb2.Experiment(hparam_infos=infos, metric_infos=metrics)
    end = plugin_data_pb2.SessionEndInfo(status=api_pb2.Status.Value("STATUS_SUCCESS"))
    return (_hparams_summary(hparams_metadata.EXPERIMENT_TAG, experiment=experiment),
            _hparams_summary(hparams_metadata.SESSION_START_INFO_TAG, session_start_info=start),
            _hparams_summary(hparams_metadata.SESSION_END_INFO_TAG, session_end_info=end))
