"""Extremes and order statistics: max/min, amax/amin, aminmax, argmax/argmin, median,
nanmedian, mode, kthvalue.

Two gradient rules, as in torch. A reduction to a value (``max()``, ``amax``, ``median()``)
shares the gradient equally among the elements equal to the result. A reduction along a dim
that also returns indices (``max(dim)``, ``median(dim)``, ``mode``, ``kthvalue``) sends it to
the element at the returned index.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .. import return_types
from ..autograd.function import Function
from ..tensor import Tensor
from ._reduce import Picking, accumulate, even_split, isnan, reduce_dims, unreduce
from ._util import norm_dim, xp_of
from .arithmetic import maximum, minimum

__all__ = ["max", "min", "amax", "amin", "aminmax", "argmax", "argmin", "median", "nanmedian",
           "mode", "kthvalue"]


def _check_nonempty(name, x, dims):
    """torch refuses to reduce an empty tensor (or an empty dim) to a max, min, median, ..."""
    if x.size == 0 and len(dims) == x.ndim:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                           "== 0. Specify the reduction dim with the 'dim' argument.")
    for d in dims:
        if x.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


# ---- reductions to a value: the gradient is shared among ties ------------------------------------
class Amax(Function):
    grad_name = "AmaxBackward0"
    reduce, name, nan_ties = "max", "amax", False

    @classmethod
    def forward(cls, ctx, a, dims, keepdim):
        x = a._data
        _check_nonempty(cls.name, x, dims)
        out = getattr(x, cls.reduce)(axis=dims, keepdims=True)
        ctx.dims, ctx.keepdim = dims, keepdim
        if ctx.needs_input_grad[0]:
            ctx.weights = even_split(x, out, dims, cls.nan_ties)
        return out if keepdim else out.squeeze(axis=dims)

    @staticmethod
    def backward(ctx, grad):
        return unreduce(grad, ctx.weights.shape, ctx.dims, ctx.keepdim) * ctx.weights, None, None


class Amin(Amax):
    grad_name = "AminBackward0"
    reduce, name = "min", "amin"


class MaxAll(Amax):
    """``max()`` of every element; a NaN result shares its gradient among the NaNs."""
    grad_name = "MaxBackward1"
    name, nan_ties = "max", True


class MinAll(MaxAll):
    grad_name = "MinBackward1"
    reduce, name = "min", "min"


class Aminmax(Function):
    grad_name = "AminmaxBackward0"

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        x = a._data
        if x.size == 0 and len(dims) == x.ndim:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")
        if len(dims) == 1 and x.shape[dims[0]] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {dims[0]} to have non-zero size.")
        lo, hi = x.min(axis=dims, keepdims=True), x.max(axis=dims, keepdims=True)
        ctx.dims, ctx.keepdim = dims, keepdim
        if ctx.needs_input_grad[0]:
            ctx.weights = even_split(x, lo, dims, False), even_split(x, hi, dims, False)
        if not keepdim:
            lo, hi = lo.squeeze(axis=dims), hi.squeeze(axis=dims)
        return lo, hi

    @staticmethod
    def backward(ctx, grad_min, grad_max):
        w_min, w_max = ctx.weights
        shape = w_min.shape
        return (unreduce(grad_min, shape, ctx.dims, ctx.keepdim) * w_min
                + unreduce(grad_max, shape, ctx.dims, ctx.keepdim) * w_max), None, None


class MedianAll(Function):
    """The lower median of all elements (NaN if there is one); ties share the gradient."""
    grad_name = "MedianBackward0"
    ignore_nan = False

    @classmethod
    def forward(cls, ctx, a):
        x = a._data
        flat = x.reshape(-1)
        if flat.size == 0:
            out = xp_of(x).asarray(float("nan"), dtype=x.dtype)
        else:
            out = flat[_median_index(flat, 0, cls.ignore_nan)].reshape(())
        if ctx.needs_input_grad[0]:
            ctx.weights = even_split(x, out, tuple(range(x.ndim)), True)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.weights


class NanmedianAll(MedianAll):
    grad_name = "NanmedianBackward0"
    ignore_nan = True


# ---- reductions along a dim that return indices: the gradient goes to the index ------------------
def _median_index(x, dim, ignore_nan):
    """Index of the lower median along ``dim``: position ``(n - 1) // 2`` of a stable sort.

    A slice holding a NaN has median NaN (its first NaN) unless ``ignore_nan``; then the
    median is taken over the others.
    """
    xp = xp_of(x)
    order = xp.argsort(x, axis=dim, kind="stable")          # NaNs sort last
    valid = (~isnan(x)).sum(axis=dim, keepdims=True)
    if ignore_nan:
        position = xp.maximum(valid - 1, 0) // 2
    else:
        position = xp.where(valid < x.shape[dim], valid, (x.shape[dim] - 1) // 2)
    return xp.take_along_axis(order, position, axis=dim)


def _mode_index(x, dim):
    """Index of the most frequent value along ``dim`` (the smallest one on a tie; NaNs count as
    equal), at its last occurrence, as torch: the end of the first longest run of equal values
    in sorted order."""
    xp = xp_of(x)
    order = xp.argsort(x, axis=dim, kind="stable")
    s = xp.take_along_axis(x, order, axis=dim)
    n = x.shape[dim]
    position = xp.arange(n).reshape([n if i == dim else 1 for i in range(x.ndim)])
    previous = xp.take(s, xp.maximum(xp.arange(n) - 1, 0), axis=dim)
    starts_run = ((s != previous) & ~(isnan(s) & isnan(previous))) | (position == 0)
    run_start = accumulate("maximum", xp.where(starts_run, position, 0), dim)
    run_end = xp.argmax(position - run_start, axis=dim, keepdims=True)
    return xp.take_along_axis(order, run_end, axis=dim)


class MaxDim(Picking):
    grad_name = "MaxBackward0"
    pick = staticmethod(lambda x, dim: xp_of(x).argmax(x, axis=dim, keepdims=True))


class MinDim(Picking):
    grad_name = "MinBackward0"
    pick = staticmethod(lambda x, dim: xp_of(x).argmin(x, axis=dim, keepdims=True))


class MedianDim(Picking):
    grad_name = "MedianBackward1"
    pick = staticmethod(lambda x, dim: _median_index(x, dim, False))


class NanmedianDim(Picking):
    grad_name = "NanmedianBackward1"
    pick = staticmethod(lambda x, dim: _median_index(x, dim, True))


class Mode(Picking):
    grad_name = "ModeBackward0"
    pick = staticmethod(_mode_index)


class Kthvalue(Picking):
    grad_name = "KthvalueBackward0"

    @staticmethod
    def pick(x, dim, k):
        if not 1 <= k <= x.shape[dim]:
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
        order = xp_of(x).argsort(x, axis=dim, kind="stable")
        return order[(slice(None),) * dim + (slice(k - 1, k),)]


def _along_dim(cls, name, input, dim, keepdim, *args):
    """Apply a :class:`Picking` op along one dim; a ``return_types.<name>`` of the results."""
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    d = norm_dim(int(dim), input.ndim)
    _check_nonempty(name, input._data, (d,) if input.ndim else ())
    return getattr(return_types, name)(*cls.apply(input, d, keepdim, *args))


def _no_bool(kernel, input):
    if input.dtype is D.bool:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


# ---- the functions users call -------------------------------------------------------------------
def max(input, dim=None, keepdim=False, *, axis=None):
    """The largest element; with ``dim``: ``(values, indices)`` along it; with a tensor as
    second argument: the elementwise :func:`maximum`."""
    dim = axis if dim is None else dim
    if isinstance(dim, Tensor):
        return maximum(input, dim)
    if dim is None:
        return MaxAll.apply(input, tuple(range(input.ndim)), False)
    return _along_dim(MaxDim, "max", input, dim, keepdim)


def min(input, dim=None, keepdim=False, *, axis=None):
    """The smallest element; with ``dim``: ``(values, indices)``; with a tensor: ``minimum``."""
    dim = axis if dim is None else dim
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    if dim is None:
        return MinAll.apply(input, tuple(range(input.ndim)), False)
    return _along_dim(MinDim, "min", input, dim, keepdim)


def amax(input, dim=(), keepdim=False, *, axis=None):
    """The largest values over ``dim`` (all dims by default); ties share the gradient."""
    dim = dim if axis is None else axis
    return Amax.apply(input, reduce_dims(dim, input.ndim), keepdim)


def amin(input, dim=(), keepdim=False, *, axis=None):
    """The smallest values over ``dim`` (all dims by default); ties share the gradient."""
    dim = dim if axis is None else axis
    return Amin.apply(input, reduce_dims(dim, input.ndim), keepdim)


def aminmax(input, *, dim=None, keepdim=False, axis=None):
    """``(min, max)`` over all elements or along ``dim``, as ``return_types.aminmax``."""
    dim = axis if dim is None else dim
    dims = reduce_dims(None if dim is None else int(dim), input.ndim)
    return return_types.aminmax(*Aminmax.apply(input, dims, keepdim))


def _arg(name, input, dim, keepdim):
    """argmax/argmin: the first index of the extreme (NaN counts as the extreme)."""
    x = input._data
    xp = xp_of(x)
    if x.dtype == bool:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if x.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                             "input.numel() == 0.")
        r = getattr(xp, name)(x.reshape(-1)).reshape((1,) * x.ndim if keepdim else ())
    else:
        d = norm_dim(dim, x.ndim)
        _check_nonempty(name, x, (d,) if x.ndim else ())
        r = getattr(xp, name)(x.reshape(x.shape or (1,)), axis=d, keepdims=keepdim)
        r = r.reshape(()) if x.ndim == 0 else r
    return Tensor._make(xp.asarray(r, dtype=D.int64.np))


def argmax(input, dim=None, keepdim=False, *, axis=None):
    """Index of the largest element (of the flattened tensor when ``dim`` is None)."""
    return _arg("argmax", input, axis if dim is None else dim, keepdim)


def argmin(input, dim=None, keepdim=False, *, axis=None):
    """Index of the smallest element (of the flattened tensor when ``dim`` is None)."""
    return _arg("argmin", input, axis if dim is None else dim, keepdim)


def median(input, dim=None, keepdim=False, *, axis=None):
    """The lower median of all elements; with ``dim``: ``(values, indices)`` along it."""
    dim = axis if dim is None else dim
    _no_bool("median_cpu" if dim is None else "median_out", input)
    if dim is None:
        return MedianAll.apply(input)
    return _along_dim(MedianDim, "median", input, dim, keepdim)


def nanmedian(input, dim=None, keepdim=False, *, axis=None):
    """Like :func:`median`, ignoring NaNs."""
    dim = axis if dim is None else dim
    _no_bool("median_cpu" if dim is None else "median_out", input)
    if dim is None:
        return NanmedianAll.apply(input)
    return _along_dim(NanmedianDim, "nanmedian", input, dim, keepdim)


def mode(input, dim=-1, keepdim=False, *, axis=None):
    """The most frequent value along ``dim`` and the index of its last occurrence."""
    return _along_dim(Mode, "mode", input, dim if axis is None else axis, keepdim)


def kthvalue(input, k, dim=-1, keepdim=False, *, axis=None):
    """The ``k``-th smallest value along ``dim`` (k counts from 1) and its index."""
    _no_bool("kthvalue_cpu", input)
    return _along_dim(Kthvalue, "kthvalue", input, dim if axis is None else axis, keepdim, int(k))


__methods__ = list(__all__)
__inplace__ = []
