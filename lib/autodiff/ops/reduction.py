"""Reductions: sum, mean, ... over all elements or along dims (``keepdim`` as torch).

Gradients of a reduction broadcast the incoming gradient back over the reduced dims
(``_unreduce``), written with tensor ops so they are differentiable again.
"""
from __future__ import annotations

from .. import _dtype as D
from ..autograd.function import Function
from ._util import norm_dims, xp_of

__all__ = ["sum", "mean"]


def _unreduce(grad, in_shape, dims, keepdim):
    """Reshape a reduced gradient so it broadcasts against the input, then expand it."""
    if not keepdim and dims:
        shape = list(grad.shape)
        for d in sorted(dims):
            shape.insert(d, 1)
        grad = grad.reshape(shape)
    return grad.expand(in_shape)


def _sum_dtype(x, dtype):
    """torch sums integers and bools in int64 unless ``dtype`` says otherwise."""
    if dtype is not None:
        return D.to_dtype(dtype).np
    return x.dtype if x.dtype.kind == "f" else D.int64.np


class Sum(Function):
    grad_name = "SumBackward0"

    @staticmethod
    def forward(ctx, a, dims, keepdim, dtype):
        x = a._data
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return x.sum(axis=dims, keepdims=keepdim, dtype=_sum_dtype(x, dtype))

    @staticmethod
    def backward(ctx, grad):
        return _unreduce(grad, ctx.in_shape, ctx.dims, ctx.keepdim), None, None, None


class SumDim(Sum):
    grad_name = "SumBackward1"


class Mean(Function):
    grad_name = "MeanBackward0"

    @staticmethod
    def forward(ctx, a, dims, keepdim, dtype):
        x = a._data
        if dtype is None and x.dtype.kind != "f":
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {a.dtype.name.capitalize()}")
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        n = 1
        for d in dims:
            n *= x.shape[d]
        ctx.n = n
        return x.mean(axis=dims, keepdims=keepdim, dtype=None if dtype is None else D.to_dtype(dtype).np)

    @staticmethod
    def backward(ctx, grad):
        return _unreduce(grad, ctx.in_shape, ctx.dims, ctx.keepdim) / ctx.n, None, None, None


class MeanDim(Mean):
    grad_name = "MeanBackward1"


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None):
    """Sum of all elements, or along ``dim`` (an int or a tuple of ints)."""
    dim = axis if dim is None else dim
    dims = norm_dims(dim, input._data.ndim)
    cls = Sum if dim is None else SumDim
    return cls.apply(input, dims, keepdim, dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None):
    """Arithmetic mean of all elements, or along ``dim``."""
    dim = axis if dim is None else dim
    dims = norm_dims(dim, input._data.ndim)
    cls = Mean if dim is None else MeanDim
    return cls.apply(input, dims, keepdim, dtype)


__methods__ = ["sum", "mean"]
__inplace__ = []
