"""Comparisons and logical/bitwise ops: no gradient flows through them (results are bool or
integer), so they are plain functions on arrays rather than Functions."""
from __future__ import annotations

from .. import _dtype as D
from ..tensor import Tensor
from ._util import is_tensor, promote, xp_of

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "equal", "allclose", "isclose", "logical_and",
           "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
           "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "greater",
           "less", "greater_equal", "less_equal", "not_equal"]


def _compare(name, op):
    def f(input, other, *, out=None):
        if not is_tensor(input):
            input, other = other, input
            return _compare_result(_SWAP[name](*promote(input, other)), out)
        return _compare_result(op(*promote(input, other)), out)
    f.__name__ = name
    f.__doc__ = f"Elementwise ``{name}`` comparison, giving a bool tensor."
    return f


def _compare_result(arr, out):
    r = Tensor._make(xp_of(arr).asarray(arr))
    if out is not None:
        from .arithmetic import _out
        return _out(r, out)
    return r


import operator as _op

_SWAP = {"eq": _op.eq, "ne": _op.ne, "lt": _op.gt, "le": _op.ge, "gt": _op.lt, "ge": _op.le}
eq = _compare("eq", _op.eq)
ne = not_equal = _compare("ne", _op.ne)
lt = less = _compare("lt", _op.lt)
le = less_equal = _compare("le", _op.le)
gt = greater = _compare("gt", _op.gt)
ge = greater_equal = _compare("ge", _op.ge)


def equal(input, other) -> bool:
    """True when both tensors have the same shape and elements."""
    return input.shape == other.shape and bool((input._data == other._data).all())


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (NaNs equal with ``equal_nan``)."""
    x, y = promote(input, other)
    return Tensor._make(xp_of(x).isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """True if every element of ``input`` is close to ``other`` (see :func:`isclose`)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def _logical(name):
    def f(input, other=None, *, out=None):
        xp = xp_of(input._data)
        if name == "logical_not":
            arr = xp.logical_not(input._data)
        else:
            o = other._data if is_tensor(other) else other
            arr = getattr(xp, name)(input._data, o)
        return _compare_result(arr, out)
    f.__name__ = name
    return f


logical_and = _logical("logical_and")
logical_or = _logical("logical_or")
logical_xor = _logical("logical_xor")
logical_not = _logical("logical_not")


def _bitwise(name, op, kernel=None):
    def f(input, other=None):
        t = input if is_tensor(input) else other
        dtype = t.dtype if op is None else D.result_type(input, other)
        if dtype.is_floating_point:
            from .inplace import _type_name
            raise NotImplementedError(f'"{kernel or name}_cpu" not implemented for '
                                      f"'{_type_name(dtype)}'")
        if op is None:
            return Tensor._make(~t._data)
        a, b = promote(input, other) if is_tensor(input) else promote(other, input)[::-1]
        return Tensor._make(xp_of(t._data).asarray(op(a, b)))
    f.__name__ = name
    return f


def _shift(left):
    """``a << b`` / ``a >> b`` as torch defines them for every count: a shift by the bit width
    or more (or by a negative count) gives 0, or the sign, instead of C's undefined result."""
    def op(a, b):
        xp = xp_of(a if hasattr(a, "dtype") else b)
        a, b = xp.asarray(a), xp.asarray(b)
        bits = a.dtype.itemsize * 8
        out_of_range = (b < 0) | (b >= bits)
        count = xp.clip(b, 0, bits - 1).astype(a.dtype)
        if left:
            return xp.where(out_of_range, 0, xp.left_shift(a, count)).astype(a.dtype)
        return xp.where(out_of_range, xp.right_shift(a, bits - 1) if a.dtype.kind == "i" else 0,
                        xp.right_shift(a, count)).astype(a.dtype)
    return op


bitwise_and = _bitwise("bitwise_and", _op.and_)
bitwise_or = _bitwise("bitwise_or", _op.or_)
bitwise_xor = _bitwise("bitwise_xor", _op.xor)
bitwise_not = _bitwise("bitwise_not", None)
bitwise_left_shift = _bitwise("bitwise_left_shift", _shift(left=True), kernel="lshift")
bitwise_right_shift = _bitwise("bitwise_right_shift", _shift(left=False), kernel="rshift")


__methods__ = [n for n in __all__]
__inplace__ = ["eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "greater", "less", "greater_equal", "less_equal", "not_equal"]
