"""Creating tensors: ``tensor``, ``zeros``, ``arange``, typed constructors, ... (random ones:
``_sampling.py``).

dtype inference follows torch: Python bools -> bool, ints -> int64, floats -> the default dtype
(float32); numpy arrays keep their dtype.
"""
from __future__ import annotations

import functools
import numbers
import warnings

import numpy as np

from . import _dtype as D
from .backend import array_module, device as Device, to_device, to_numpy
from .tensor import Tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "asarray", "zeros", "ones", "full", "empty",
           "zeros_like", "ones_like", "full_like", "empty_like", "arange", "range", "linspace",
           "logspace", "eye", "legacy_new", "FloatTensor", "DoubleTensor", "HalfTensor",
           "IntTensor", "LongTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor",
           "scalar_tensor", "with_out"]


def _device(device):
    """A ``device=`` argument (None, a string, an index or a device) as a device or None."""
    if device is None:
        return None
    if isinstance(device, Device):
        return device
    if isinstance(device, int) and not isinstance(device, bool):
        return Device("cuda", device)
    d = Device(device)
    return Device("cuda", 0) if d.type == "cuda" and d.index is None else d


def with_out(fn):
    """torch's ``out=`` for factory functions: the result is written into ``out`` (resized if
    needed), whose dtype and device are the defaults; an explicit ``dtype`` must agree with it."""
    @functools.wraps(fn)
    def factory(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(f"{fn.__name__}(): argument 'out' must be Tensor, not "
                            f"{type(out).__name__}")
        dtype = kwargs.get("dtype")
        if dtype is not None and D.to_dtype(dtype) != out.dtype:
            from .ops._linalg_util import TYPE_NAMES
            raise RuntimeError(f"dtype {TYPE_NAMES[D.to_dtype(dtype).name]} does not match dtype "
                               f"of out parameter ({TYPE_NAMES[out.dtype.name]})")
        kwargs["dtype"] = out.dtype
        kwargs.setdefault("device", out.device)
        if kwargs.pop("requires_grad", False) or out.requires_grad:
            raise RuntimeError(f"aten::{fn.__name__}(): functions with out=... arguments don't "
                               "support automatic differentiation, but one of the arguments "
                               "requires grad.")
        from .ops.inplace import copy_into_out
        return copy_into_out(out, fn(*args, **kwargs))
    return factory


def _on(arr, device):
    """Move a numpy array to ``device`` (None or cpu: stays)."""
    if device is None or device.type == "cpu":
        return arr
    return to_device(arr, device)


def _infer_dtype(data) -> D.dtype:
    """torch's inference: each element has a type (a Python bool: bool, int: int64, float: the
    default dtype; a numpy scalar, numpy array or tensor: its dtype) and the tensor gets the
    promotion of them all (``[np.int32(1), 2.5]`` -> float32, ``[np.float64(1), 2]`` -> float64)."""
    kind, typed = _scan(data, -1, None)
    python = (D.bool, D.int64, D.get_default_dtype())[kind] if kind >= 0 else None
    if typed is None:
        return python or D.get_default_dtype()
    return typed if python is None else D.promote_types(typed, python)


def _scan(data, kind, typed):
    """(highest Python kind: 0 bool, 1 int, 2 float; promotion of the typed elements)."""
    if isinstance(data, (list, tuple)):
        for x in data:
            kind, typed = _scan(x, kind, typed)
        return kind, typed
    if isinstance(data, bool):
        return max(kind, 0), typed
    if isinstance(data, (Tensor, np.ndarray, np.generic)):
        dt = data.dtype if isinstance(data, Tensor) else D.from_numpy_dtype(data.dtype)
        return kind, dt if typed is None else D.promote_types(typed, dt)
    if isinstance(data, numbers.Integral):
        return max(kind, 1), typed
    if isinstance(data, numbers.Real):
        return 2, typed
    if isinstance(data, complex):
        raise TypeError("complex tensors are not supported by autodiff")
    if isinstance(data, str):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")


def _to_nested_arrays(data):
    """Tensors inside lists are single numbers (``tensor([t1, t2])`` with one-element tensors)."""
    if isinstance(data, Tensor):
        if data.numel() != 1:
            if data.dtype.is_floating_point:
                raise ValueError("only one element tensors can be converted to Python scalars")
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return to_numpy(data._data).reshape(())
    if isinstance(data, (list, tuple)):
        return [_to_nested_arrays(x) for x in data]
    return data


def _check_ragged(data, depth=0):
    if isinstance(data, (list, tuple)) and data:
        lens = None
        for x in data:
            n = len(x) if isinstance(x, (list, tuple)) else None
            if lens is None:
                lens = n
            elif n != lens:
                raise ValueError(f"expected sequence of length {lens} at dim {depth + 1} (got {n})")
        for x in data:
            _check_ragged(x, depth + 1)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor that copies ``data`` (a number, nested lists, a numpy array or a tensor)."""
    device = _device(device)
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than autodiff.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
        out = data.detach().to(device or data.device, dtype or data.dtype, copy=True)
        return out.requires_grad_(requires_grad) if requires_grad else out
    if isinstance(data, np.ndarray):
        dt = D.to_dtype(dtype) if dtype is not None else D.from_numpy_dtype(data.dtype)
        arr = np.array(data, dtype=dt.np, copy=True)
    elif hasattr(data, "__cuda_array_interface__"):        # a cupy array
        dt = D.to_dtype(dtype) if dtype is not None else D.from_numpy_dtype(data.dtype)
        arr = data.astype(dt.np, copy=True)
        return Tensor._make(to_device(arr, device) if device else arr)._set_rg(requires_grad)
    else:
        dt = D.to_dtype(dtype) if dtype is not None else _infer_dtype(data)
        if isinstance(data, (list, tuple)):
            _check_ragged(data)
            data = _to_nested_arrays(data)
        try:
            arr = np.array(data, dtype=dt.np)
        except OverflowError:
            if dtype is None:                # an inferred int64 that a Python int outgrew
                raise ValueError("Overflow when unpacking long long") from None
            raise RuntimeError(f"value cannot be converted to type {dt.name} without "
                               "overflow") from None
        except (TypeError, ValueError) as e:
            raise TypeError(f"new(): invalid data type '{type(data).__name__}'") from e
    return Tensor._make(_on(arr, device))._set_rg(requires_grad)


def _set_rg(self, requires_grad):
    if requires_grad:
        if self._data.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        self.requires_grad = True
    return self


Tensor._set_rg = _set_rg


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a numpy array or tensor when it can."""
    device = _device(device)
    dtype = D.to_dtype(dtype) if dtype is not None else None
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (device or dtype) else data
    if isinstance(data, np.ndarray):
        t = from_numpy(data) if data.dtype in D._BY_NP else tensor(data)
        return t.to(device=device, dtype=dtype) if (device or dtype) else t
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray) -> Tensor:
    """A tensor that shares memory with ``ndarray``: changes to one show in the other."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_numpy_dtype(ndarray.dtype)        # TypeError for unsupported dtypes
    return Tensor._make(ndarray)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    """A 0-dim tensor holding ``s`` (of the default dtype unless ``dtype`` says otherwise)."""
    return tensor(s, dtype=dtype or D.get_default_dtype(), device=device,
                  requires_grad=requires_grad)


# ---- filled tensors -----------------------------------------------------------------------------
def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"size must be a tuple of ints, but got {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _filled(fill, size, dtype, device, requires_grad):
    device = _device(device)
    dt = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
    xp = array_module(device)
    if isinstance(fill, Tensor):
        fill = fill.item()
    arr = xp.zeros(size, dt.np) if fill == 0 else xp.full(size, fill, dt.np)
    return Tensor._make(arr)._set_rg(requires_grad)


@with_out
def zeros(*size, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of zeros of the given size."""
    return _filled(0, _size(size), dtype, device, requires_grad)


@with_out
def ones(*size, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of ones of the given size."""
    return _filled(1, _size(size), dtype, device, requires_grad)


@with_out
def empty(*size, dtype=None, layout=None, device=None, requires_grad=False,
          memory_format=None, pin_memory=False):
    """An 'uninitialised' tensor. Here it holds zeros, so notebooks stay reproducible."""
    return _filled(0, _size(size), dtype, device, requires_grad)


@with_out
def full(size, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of ``size`` filled with ``fill_value`` (its dtype inferred from the value)."""
    if dtype is None:
        dtype = _infer_dtype(fill_value.item() if isinstance(fill_value, Tensor) else fill_value)
    return _filled(fill_value, _size((size,) if isinstance(size, int) else tuple(size)), dtype,
                   device, requires_grad)


def _like(fill, t, dtype, device, requires_grad):
    return _filled(fill, tuple(t.shape), dtype or t.dtype, device or t.device, requires_grad)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    """Zeros with the shape (and, by default, dtype and device) of ``input``."""
    return _like(0, input, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    """Ones with the shape (and, by default, dtype and device) of ``input``."""
    return _like(1, input, dtype, device, requires_grad)


empty_like = zeros_like


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    """``fill_value`` with the shape (and, by default, dtype and device) of ``input``."""
    return _like(fill_value, input, dtype, device, requires_grad)


# ---- ranges -------------------------------------------------------------------------------------
@with_out
def arange(start=0, end=None, step=1, *, dtype=None, layout=None, device=None,
           requires_grad=False):
    """Values from ``start`` up to (not including) ``end``; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise RuntimeError("step must be nonzero")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = D.int64 if all(isinstance(v, (int, np.integer)) for v in vals) else D.get_default_dtype()
    dt = D.to_dtype(dtype)
    xp = array_module(_device(device))
    n = int(np.ceil((vals[1] - vals[0]) / vals[2]))
    arr = (vals[0] + xp.arange(max(n, 0), dtype=np.float64 if dt.is_floating_point else np.int64)
           * vals[2]).astype(dt.np)
    return Tensor._make(arr)._set_rg(requires_grad)


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Deprecated in torch: like arange but includes ``end`` (float by default)."""
    warnings.warn("autodiff.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "autodiff.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    if end is None:
        start, end = 0, start
    return arange(start, end + step / 2, step, dtype=dtype or D.get_default_dtype(),
                  device=device, requires_grad=requires_grad)


@with_out
def linspace(start, end, steps, *, dtype=None, layout=None, device=None,
             requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end``, both included."""
    dt = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
    xp = array_module(_device(device))
    return Tensor._make(xp.linspace(float(start), float(end), int(steps)).astype(dt.np))._set_rg(
        requires_grad)


@with_out
def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """``steps`` values ``base ** x`` for ``x`` evenly spaced from ``start`` to ``end``."""
    dt = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
    xp = array_module(_device(device))
    return Tensor._make(xp.logspace(float(start), float(end), int(steps), base=base).astype(
        dt.np))._set_rg(requires_grad)


@with_out
def eye(n, m=None, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The ``n x m`` identity matrix (square when ``m`` is None)."""
    dt = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
    xp = array_module(_device(device))
    return Tensor._make(xp.eye(n, m, dtype=dt.np))._set_rg(requires_grad)


# ---- legacy typed constructors ------------------------------------------------------------------
def legacy_new(dtype, args, device=None):
    """``FloatTensor(2, 3)`` is a size; ``FloatTensor([1, 2])``/``(ndarray)`` is data."""
    if not args:
        return Tensor._make(array_module(_device(device)).zeros((0,), dtype.np))
    if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
        return empty(*args, dtype=dtype, device=device)
    if len(args) == 1 and type(args[0]).__name__ == "Size":          # autodiff.Size: a size
        return empty(*args[0], dtype=dtype, device=device)
    if len(args) == 1 and isinstance(args[0], (tuple, list)) and not args[0]:
        return Tensor._make(array_module(_device(device)).zeros((0,), dtype.np))
    if len(args) == 1:
        data = args[0]
        if isinstance(data, Tensor):
            return data.to(dtype)
        return tensor(data, dtype=dtype, device=device)
    raise TypeError(f"new(): invalid arguments {args!r}")


def _typed(name, dtype):
    class _Meta(type):
        def __instancecheck__(cls, obj):
            return isinstance(obj, Tensor) and obj.dtype is dtype

    def __new__(cls, *args, device=None):
        return legacy_new(dtype, args, device)
    return _Meta(name, (), {"__new__": __new__, "__doc__": f"Legacy constructor of {dtype} tensors."})


FloatTensor = _typed("FloatTensor", D.float32)
DoubleTensor = _typed("DoubleTensor", D.float64)
HalfTensor = _typed("HalfTensor", D.float16)
IntTensor = _typed("IntTensor", D.int32)
LongTensor = _typed("LongTensor", D.int64)
ShortTensor = _typed("ShortTensor", D.int16)
CharTensor = _typed("CharTensor", D.int8)
ByteTensor = _typed("ByteTensor", D.uint8)
BoolTensor = _typed("BoolTensor", D.bool)


# ---- Tensor.new_*: same dtype and device as the tensor unless told otherwise -------------------
def _new(fill):
    def method(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False):
        return _filled(fill, _size(size), dtype or self.dtype, device or self.device,
                       requires_grad)
    method.__doc__ = f"A tensor of {'zeros' if fill == 0 else 'ones'} with this tensor's dtype and device."
    return method


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
              layout=None, pin_memory=False):
    """A tensor filled with ``fill_value``, with this tensor's dtype and device."""
    return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None,
                pin_memory=False):
    """A copy of ``data`` with this tensor's dtype and device."""
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                  requires_grad=requires_grad)


Tensor.new_zeros = _new(0)
Tensor.new_ones = _new(1)
Tensor.new_empty = _new(0)
Tensor.new_full = _new_full
Tensor.new_tensor = _new_tensor
Tensor.new = lambda self, *args, device=None: legacy_new(self.dtype, args, device or self.device)
Tensor.pin_memory = lambda self, device=None: self     # page-locking is a no-op here
Tensor.is_pinned = lambda self, device=None: False
