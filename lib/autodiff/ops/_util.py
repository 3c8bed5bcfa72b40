"""Helpers shared by the op families: operand promotion, device checks, dim handling."""
from __future__ import annotations

import numbers

import numpy as np

from .. import _dtype as D
from ..backend import xp_of
from ..tensor import Tensor

__all__ = ["promote", "check_same_device", "check_broadcastable", "xp_of", "as_tensor_like",
           "norm_dim", "norm_dims", "is_tensor", "scalar_types"]

scalar_types = (numbers.Number, np.generic)


def is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def check_same_device(x, y, op=""):
    """Raise torch's RuntimeError when two arrays live on different devices."""
    if type(x) is type(y):
        if type(x) is np.ndarray or x.device == y.device:
            return
    elif (type(x) is np.ndarray and x.ndim == 0) or (type(y) is np.ndarray and y.ndim == 0):
        return                    # torch lets a 0-dim CPU tensor meet a CUDA tensor
    from ..backend import device_of
    raise RuntimeError(
        "Expected all tensors to be on the same device, but found at least two devices, "
        f"{device_of(x)} and {device_of(y)}!")


def check_broadcastable(shape_a, shape_b):
    """torch's RuntimeError for shapes that do not broadcast (numpy would raise a ValueError).

    Like torch, compare from the last dim and name the first mismatch met, counted in the
    broadcast result's dims.
    """
    n = max(len(shape_a), len(shape_b))
    for i in range(n - 1, -1, -1):
        ia, ib = i - n + len(shape_a), i - n + len(shape_b)
        sa = shape_a[ia] if ia >= 0 else 1
        sb = shape_b[ib] if ib >= 0 else 1
        if sa != sb and sa != 1 and sb != 1:
            raise RuntimeError(f"The size of tensor a ({sa}) must match the size of tensor b "
                               f"({sb}) at non-singleton dimension {i}")


def promote(a, b):
    """The raw operands of a binary op, cast to torch's result type.

    Python scalars stay Python scalars (numpy treats them as "weak", as torch does) once the
    tensor operand has the right category.
    """
    if isinstance(b, Tensor):
        y = b._data
        if isinstance(a, Tensor):
            x = a._data
            if x.shape != y.shape:
                check_broadcastable(x.shape, y.shape)
            if type(x) is not type(y) or type(x) is not np.ndarray:
                check_same_device(x, y)
                if type(x) is not type(y):        # a 0-dim CPU tensor joins the CUDA one
                    x, y = (xp_of(y).asarray(x), y) if type(x) is np.ndarray else \
                        (x, xp_of(x).asarray(y))
            if x.dtype != y.dtype:
                rt = D.result_type(a, b).np
                x, y = x.astype(rt, copy=False), y.astype(rt, copy=False)
            return x, y
        rt = D.result_type(a, b).np
        if y.dtype != rt:
            y = y.astype(rt)
        return _scalar(a, rt), y
    x = a._data
    kind = x.dtype.kind
    tb = type(b)
    if (kind == "f" and (tb is float or tb is int)) or (kind in "iu" and tb is int
                                                         and 0 <= b <= 127):
        return x, b                    # the tensor's dtype wins: nothing to convert
    rt = D.result_type(a, b).np
    if x.dtype != rt:
        x = x.astype(rt)
    return x, _scalar(b, rt)


def _scalar(s, rt):
    if isinstance(s, np.generic):
        s = s.item()
    if rt.kind == "f" and isinstance(s, int):
        return float(s)
    if rt.kind in "iu" and type(s) is int and not _fits(s, rt):
        return np.array(s).astype(rt)[()]   # wraps around, as torch does (int8 + 1000)
    return s


def _fits(n: int, np_dtype) -> bool:
    info = np.iinfo(np_dtype)
    return info.min <= n <= info.max


def as_tensor_like(x, ref: Tensor) -> Tensor:
    """``x`` as a tensor on ``ref``'s device (scalars get torch's scalar dtype)."""
    if isinstance(x, Tensor):
        return x
    from .._creation import tensor
    return tensor(x, device=ref.device)


def norm_dim(dim, ndim: int) -> int:
    """A dim in ``[-ndim, ndim)`` made non-negative; IndexError as torch words it otherwise."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def norm_dims(dim, ndim: int):
    """None -> every axis; an int or a sequence of ints -> a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        return (norm_dim(int(dim), ndim),)
    dims = tuple(norm_dim(int(d), ndim) for d in dim)
    if len(set(dims)) != len(dims):
        dup = next(d for i, d in enumerate(dims) if d in dims[:i])
        raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
    return dims if dims else tuple(range(ndim))
