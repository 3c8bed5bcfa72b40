"""Collation: turning a list of samples into one batch (``default_collate``).

The rules are torch's: tensors are stacked along a new first dimension, numpy arrays and
numbers become tensors (Python floats: float64, ints: int64, bools: bool), strings stay a
list, and containers (dicts, tuples, namedtuples, lists) are collated field by field. The
per-type functions live in ``default_collate_fn_map``, which a user may extend.
"""
from __future__ import annotations

import collections.abc
import copy
import re

import numpy as np

from ...._creation import as_tensor, tensor
from ...._dtype import float64
from ....ops.joining import stack
from ....tensor import Tensor

__all__ = ["default_collate", "default_convert", "collate", "default_collate_fn_map"]

# numpy dtype codes of arrays that cannot become tensors: bytes, strings, unicode, objects.
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = ("default_collate: batch must contain tensors, numpy arrays, "
                                  "numbers, dicts or lists; found {}")


def _is_numpy(obj):
    kind = type(obj)
    return kind.__module__ == "numpy" and kind.__name__ not in ("str_", "string_")


def default_convert(data):
    """Turn numpy arrays (also inside containers) into tensors, leaving everything else as is;
    the DataLoader's collate function when automatic batching is off (``batch_size=None``)."""
    if isinstance(data, Tensor):
        return data
    if _is_numpy(data):
        if isinstance(data, np.ndarray) and np_str_obj_array_pattern.search(data.dtype.str):
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {k: default_convert(data[k]) for k in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):           # namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def _rebuild_mapping(elem, values):
    """A mapping of ``elem``'s type holding ``values`` (a plain dict if that type refuses)."""
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(values)
            return clone
        return type(elem)(values)
    except TypeError:
        return values


def _rebuild_sequence(elem, values):
    """A sequence of ``elem``'s type holding ``values`` (a plain list if that type refuses)."""
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, v in enumerate(values):
                clone[i] = v
            return clone
        return type(elem)(values)
    except TypeError:
        return list(values)


def collate(batch, *, collate_fn_map=None):
    """Collate ``batch`` (a list of samples): a function of ``collate_fn_map`` for the type of
    the first sample, else recursion into mappings, namedtuples and sequences."""
    elem = batch[0]
    if collate_fn_map is not None:
        if type(elem) in collate_fn_map:
            return collate_fn_map[type(elem)](batch, collate_fn_map=collate_fn_map)
        for kind, fn in collate_fn_map.items():
            if isinstance(elem, kind):
                return fn(batch, collate_fn_map=collate_fn_map)

    def sub(samples):
        return collate(samples, collate_fn_map=collate_fn_map)

    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {key: sub([d[key] for d in batch]) for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):           # namedtuple
        return type(elem)(*(sub(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [sub(samples) for samples in zip(*batch)]
        return fields if isinstance(elem, tuple) else _rebuild_sequence(elem, fields)
    raise TypeError(default_collate_err_msg_format.format(type(elem)))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Stack a batch of tensors along a new first dim."""
    return stack(batch, 0)              # its error names the shapes of a mismatched batch


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    """Collate numpy arrays as tensors (TypeError for string or object arrays)."""
    if np_str_obj_array_pattern.search(batch[0].dtype.str):
        raise TypeError(default_collate_err_msg_format.format(batch[0].dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    """A batch of numpy scalars as a 1-D tensor."""
    return as_tensor(np.asarray(batch))            # keeps the numpy dtype (int32 stays int32)


def collate_float_fn(batch, *, collate_fn_map=None):
    """A batch of Python floats as a float64 tensor."""
    return tensor(batch, dtype=float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    """A batch of Python ints as an int64 tensor (of bools, a bool tensor)."""
    return tensor(batch)                           # int64, or bool for a batch of bools


def collate_str_fn(batch, *, collate_fn_map=None):
    """A batch of strings stays a list."""
    return batch


# Order matters: numpy scalars are checked before float/int (np.float64 subclasses float).
default_collate_fn_map = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Merge a list of samples into a batch by torch's rules (see the module docstring):
    ``default_collate([(x0, 0), (x1, 1)]) == [stack([x0, x1]), tensor([0, 1])]``."""
    return collate(batch, collate_fn_map=default_collate_fn_map)
