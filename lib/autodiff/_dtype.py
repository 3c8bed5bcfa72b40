"""dtypes and torch's type-promotion rules.

A :class:`dtype` wraps a numpy dtype and knows its torch name. Promotion follows torch, not
numpy: Python scalars and 0-dim tensors only lift the result's *category* (bool < integer <
floating), so ``int32_tensor + 2.5`` is float32 (the default dtype) and ``float16 + int64`` is
float16 -- numpy would say float64 in both cases.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "dtype", "float16", "float32", "float64", "half", "float", "double", "bfloat16_unsupported",
    "int8", "int16", "int32", "int64", "short", "int", "long", "uint8", "bool",
    "get_default_dtype", "set_default_dtype", "promote_types", "result_type", "can_cast",
    "finfo", "iinfo",
]

_builtin_bool, _builtin_int, _builtin_float = bool, int, float


class dtype:
    """A tensor element type, e.g. ``autodiff.float32``."""

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_signed", "_kind")

    def __init__(self, name: str, np_dtype, kind: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.is_floating_point = kind == 2
        self.is_signed = self.np.kind in "if"
        self._kind = kind          # 0 bool, 1 integer, 2 floating: the promotion category

    @property
    def is_complex(self):
        return False

    def __repr__(self):
        return f"autodiff.{self.name}"

    def __reduce__(self):          # pickling returns the singleton
        return (_from_name, (self.name,))


float16 = half = dtype("float16", np.float16, 2)
float32 = float = dtype("float32", np.float32, 2)
float64 = double = dtype("float64", np.float64, 2)
int8 = dtype("int8", np.int8, 1)
int16 = short = dtype("int16", np.int16, 1)
int32 = int = dtype("int32", np.int32, 1)
int64 = long = dtype("int64", np.int64, 1)
uint8 = dtype("uint8", np.uint8, 1)
bool = dtype("bool", np.bool_, 0)
bfloat16_unsupported = None

_ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool)
_BY_NP = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}


def _from_name(name):
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The autodiff dtype of a numpy dtype; TypeError for the ones torch has no tensor for."""
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype)}. The only supported "
            "types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def to_dtype(d) -> dtype:
    """Accept an autodiff dtype, a numpy dtype or a Python type (``float`` -> default dtype)."""
    if isinstance(d, dtype):
        return d
    if d is _builtin_float:
        return _default
    if d is _builtin_int:
        return int64
    if d is _builtin_bool:
        return bool
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    return from_numpy_dtype(d)


_default = float32


def get_default_dtype() -> dtype:
    """The dtype given to Python floats and to ``zeros``/``rand``/... without ``dtype=``."""
    return _default


def set_default_dtype(d) -> None:
    """Set the dtype of Python floats and of ``zeros``/``rand``/... without ``dtype=`` (a floating-
    point dtype)."""
    global _default
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default = d


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both ``a`` and ``b`` cast to safely (torch's table)."""
    if a is b:
        return a
    if a._kind != b._kind:
        hi, lo = (a, b) if a._kind > b._kind else (b, a)
        return hi                                 # category wins: int64 + float16 -> float16
    return _BY_NP[np.promote_types(a.np, b.np)]   # same category: numpy agrees with torch


def _category_of_scalar(x) -> int:
    if isinstance(x, (_builtin_bool, np.bool_)):
        return 0
    if isinstance(x, (_builtin_int, np.integer)):
        return 1
    return 2


def result_type(*operands) -> dtype:
    """torch.result_type over tensors and Python scalars.

    Three priority tiers: tensors with dims, 0-dim tensors, Python scalars. A lower tier only
    changes the result when its category (bool < int < float) is higher than the tiers above.
    """
    dims = zero = None
    scalar_kind = -1
    for x in operands:
        d = getattr(x, "dtype", None)
        if isinstance(d, dtype):
            if x.ndim:
                dims = d if dims is None else promote_types(dims, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        else:
            scalar_kind = max(scalar_kind, _category_of_scalar(x))
    out = dims
    if zero is not None and (out is None or zero._kind > out._kind):
        out = zero
    if scalar_kind >= 0 and (out is None or scalar_kind > out._kind):
        out = (bool, int64, _default)[scalar_kind]
    return out


def can_cast(from_: dtype, to: dtype) -> _builtin_bool:
    """torch.can_cast: False only when the cast lowers the category (float -> int, int -> bool)."""
    return from_._kind <= to._kind


class finfo:
    """Machine limits of a floating dtype, as ``torch.finfo`` (``finfo()``: the default dtype)."""

    def __init__(self, type=None):
        d = to_dtype(type) if type is not None else _default
        if not d.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use "
                            "torch.iinfo to handle 'torch.finfo'")
        info = np.finfo(d.np)
        self.bits, self.dtype = info.bits, d.name
        self.eps, self.max, self.min = _builtin_float(info.eps), _builtin_float(info.max), _builtin_float(info.min)
        self.tiny = self.smallest_normal = _builtin_float(info.smallest_normal)
        self.resolution = 10.0 ** -info.precision

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype, as ``torch.iinfo``."""

    def __init__(self, type):
        d = to_dtype(type)
        if d.is_floating_point:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        info = np.iinfo(d.np) if d is not bool else np.iinfo(np.uint8)
        self.bits, self.dtype = info.bits, d.name
        self.max, self.min = _builtin_int(info.max), _builtin_int(info.min)

    def __repr__(self):
        return (f"iinfo(min={_builtin_float(self.min):g}, max={_builtin_float(self.max):g}, "
                f"dtype={self.dtype})")
