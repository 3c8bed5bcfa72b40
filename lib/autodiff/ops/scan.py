"""Scans (cumulative reductions along a dim): cumsum, cumprod, cummax, cummin, logcumsumexp.

The gradient of a scan is a scan running the other way: element i of the input reaches every
output k >= i, so its gradient sums the gradients of those outputs (a reversed cumsum).
"""
from __future__ import annotations

from .. import return_types
from ..autograd.function import Function
from ..tensor import Tensor
from ._reduce import Picking, accumulate, flip, isnan, sum_dtype, type_name
from ._util import norm_dim, xp_of
from .indexing import where

__all__ = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"]


def _reverse_cumsum(t: Tensor, dim: int) -> Tensor:
    """``sum_{k >= i} t_k`` along ``dim``."""
    return flip(flip(t, dim).cumsum(dim), dim)


class Cumsum(Function):
    grad_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, a, dim, dtype):
        x = a._data
        ctx.dim = dim
        out = xp_of(x).cumsum(x.reshape(x.shape or (1,)), axis=dim, dtype=sum_dtype(ctx, a, dtype))
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        return (_reverse_cumsum(grad, ctx.dim) if grad.ndim else grad), None, None


class Cumprod(Function):
    """Running product; its gradient stays exact when inputs are zero (no 0/0)."""
    grad_name = "CumprodBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, a, dim, dtype):
        x = a._data
        ctx.save_for_backward(a)
        ctx.dim = dim
        out = xp_of(x).cumprod(x.reshape(x.shape or (1,)), axis=dim, dtype=sum_dtype(ctx, a, dtype))
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        # grad_i = sum_{k >= i} grad_k prod_{j <= k, j != i} a_j, which is sum_k grad_k out_k / a_i
        # wherever a_i != 0. At the first zero of a slice, a_i is instead left out of a running
        # product; after it every product is 0. (Second derivatives are exact unless a slice
        # holds two zeros.)
        a, = ctx.saved_tensors
        if a.ndim == 0:
            return grad, None, None
        dim = ctx.dim
        later = _reverse_cumsum(grad * ctx.output, dim)
        zero = a._data == 0
        if not zero.any():
            return later / a, None, None
        first_zero = Tensor._make(zero & (xp_of(zero).cumsum(zero, axis=dim) == 1))
        nonzero = Tensor._make(~zero)
        without_it = _reverse_cumsum(grad * where(first_zero, 1.0, a).cumprod(dim), dim)
        g = where(nonzero, later / where(nonzero, a, 1.0), where(first_zero, without_it, 0.0))
        return g, None, None


def _running_index(x, dim, ufunc):
    """Indices for cummax/cummin: the last position where the running extreme was reached (a
    NaN, once seen, is the extreme; every later NaN takes over its index)."""
    xp = xp_of(x)
    best = accumulate(ufunc, x, dim)
    n = x.shape[dim]
    position = xp.arange(n).reshape([n if i == dim else 1 for i in range(x.ndim)])
    reached = (x == best) | isnan(x)
    return accumulate("maximum", xp.where(reached, position, 0), dim)


class Cummax(Picking):
    grad_name = "CummaxBackward0"
    pick = staticmethod(lambda x, dim: _running_index(x, dim, "maximum"))


class Cummin(Picking):
    grad_name = "CumminBackward0"
    pick = staticmethod(lambda x, dim: _running_index(x, dim, "minimum"))


class Logcumsumexp(Function):
    """``log(cumsum(exp(x)))``, computed as a running ``logaddexp`` so nothing overflows."""
    grad_name = "LogcumsumexpBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, a, dim):
        x = a._data
        if x.dtype.kind != "f":
            raise NotImplementedError(
                f"\"logcumsumexp_out_cpu\" not implemented for '{type_name(a.dtype)}'")
        ctx.save_for_backward(a)
        ctx.dim = dim
        return accumulate("logaddexp", x.reshape(x.shape or (1,)), dim).reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        # grad_i = sum_{k >= i} grad_k exp(a_i - out_k), summed in log space, separately for
        # the positive and the negative grad_k (log needs a positive argument)
        a, = ctx.saved_tensors
        if a.ndim == 0:
            return grad, None
        out, dim = ctx.output, ctx.dim
        # log(0), kept finite (half the float range, so adding to it cannot overflow)
        lowest = float(xp_of(a._data).finfo(grad._data.dtype).min) / 2

        def part(mask, magnitude):
            log_grad = where(mask, where(mask, magnitude, 1.0).log(), lowest)
            return (a + flip(flip(log_grad - out, dim).logcumsumexp(dim), dim)).exp()
        return part(grad > 0, grad) - part(grad < 0, -grad), None


def _dim(dim, axis, input, name):
    if dim is None and axis is None:
        raise TypeError(f"{name}() missing 1 required positional arguments: \"dim\"")
    return norm_dim(dim if axis is None else axis, input.ndim)


def cumsum(input, dim=None, *, dtype=None, axis=None):
    """Running sums along ``dim`` (integers sum in int64 unless ``dtype`` is given)."""
    return Cumsum.apply(input, _dim(dim, axis, input, "cumsum"), dtype)


def cumprod(input, dim=None, *, dtype=None, axis=None):
    """Running products along ``dim``."""
    return Cumprod.apply(input, _dim(dim, axis, input, "cumprod"), dtype)


def cummax(input, dim=None, *, axis=None):
    """``(values, indices)``: the running maximum along ``dim`` and where it was reached."""
    return return_types.cummax(*Cummax.apply(input, _dim(dim, axis, input, "cummax"), True))


def cummin(input, dim=None, *, axis=None):
    """``(values, indices)``: the running minimum along ``dim`` and where it was reached."""
    return return_types.cummin(*Cummin.apply(input, _dim(dim, axis, input, "cummin"), True))


def logcumsumexp(input, dim=None, *, axis=None):
    """``log(cumsum(exp(input)))`` along ``dim``, without overflow."""
    return Logcumsumexp.apply(input, _dim(dim, axis, input, "logcumsumexp"))


__methods__ = list(__all__)
__inplace__ = ["cumsum", "cumprod"]
