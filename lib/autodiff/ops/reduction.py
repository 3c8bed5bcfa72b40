"""Reductions: sum, mean, prod, var/std, norm, all/any, ... over all elements or along dims.

Gradients of a reduction broadcast the incoming gradient back over the reduced dims
(``unreduce``), written with tensor ops so they are differentiable again.

The reduction family is larger than one module: ``extrema`` (max, min, median, ...),
``sorting`` (sort, topk), ``scan`` (cumsum, cummax, ...) and ``softmax`` (logsumexp,
softmax) hold the rest, and this module exports their names too.
"""
from __future__ import annotations

import math
import numbers
import warnings

from .. import _dtype as D
from ..autograd.function import Function
from ..tensor import Tensor
from . import extrema, scan, softmax, sorting
from ._reduce import Index, flip, quiet, reduce_dims, sum_dtype, type_name, unreduce, xp_of
from .indexing import where

__all__ = ["sum", "mean", "prod", "nansum", "nanmean", "var", "std", "var_mean", "std_mean",
           "norm", "dist", "all", "any", "count_nonzero"]


def _numel(shape, dims) -> int:
    return math.prod(shape[d] for d in dims)


class Sum(Function):
    grad_name = "SumBackward0"

    @staticmethod
    def forward(ctx, a, dims, keepdim, dtype):
        x = a._data
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return x.sum(axis=dims, keepdims=keepdim, dtype=sum_dtype(ctx, a, dtype))

    @staticmethod
    def backward(ctx, grad):
        return unreduce(grad, ctx.in_shape, ctx.dims, ctx.keepdim), None, None, None


class SumDim(Sum):
    grad_name = "SumBackward1"


class Mean(Function):
    grad_name = "MeanBackward0"

    @staticmethod
    def forward(ctx, a, dims, keepdim, dtype):
        x = a._data
        if dtype is not None and not D.to_dtype(dtype).is_floating_point:
            raise RuntimeError("mean(): could not infer output dtype. Optional dtype must be "
                               "either a floating point or complex dtype. Got: "
                               f"{type_name(D.to_dtype(dtype))}")
        if dtype is None and x.dtype.kind != "f":
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either "
                               f"a floating point or complex dtype. Got: {type_name(a.dtype)}")
        ctx.in_shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.n = _numel(x.shape, dims)
        out_dtype = None if dtype is None else D.to_dtype(dtype).np
        with quiet():
            return x.mean(axis=dims, keepdims=keepdim, dtype=out_dtype)

    @staticmethod
    def backward(ctx, grad):
        return unreduce(grad, ctx.in_shape, ctx.dims, ctx.keepdim) / ctx.n, None, None, None


class MeanDim(Mean):
    grad_name = "MeanBackward1"


class Prod(Function):
    """Product; its gradient, the product of the *other* elements, is exact with zeros."""
    grad_name = "ProdBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, a, dims, keepdim, dtype):
        x = a._data
        ctx.save_for_backward(a)
        ctx.dims, ctx.keepdim = dims, keepdim
        return x.prod(axis=dims, keepdims=keepdim, dtype=sum_dtype(ctx, a, dtype))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        grad = unreduce(grad, a.shape, ctx.dims, ctx.keepdim)
        if not ctx.dims:
            return grad, None, None, None
        if not (a._data == 0).any():
            return grad * unreduce(ctx.output, a.shape, ctx.dims, ctx.keepdim) / a, None, None, None
        if len(ctx.dims) == 1:
            return grad * _product_of_others(a, ctx.dims[0]), None, None, None
        others = _product_of_others(a.reshape(-1), 0).reshape(a.shape)
        return grad * others, None, None, None


class ProdDim(Prod):
    grad_name = "ProdBackward1"


def _product_of_others(t: Tensor, dim: int) -> Tensor:
    """``prod_{j != i} t_j`` along ``dim``, without dividing: the product of the elements before
    ``i`` times the product of those after it."""
    return _exclusive_cumprod(t, dim) * flip(_exclusive_cumprod(flip(t, dim), dim), dim)


def _exclusive_cumprod(t: Tensor, dim: int) -> Tensor:
    """``prod_{j < i} t_j`` along ``dim`` (1 for i = 0): the cumprod of ``t`` shifted by one."""
    xp = xp_of(t._data)
    n = t.shape[dim]
    previous = Index.apply(t, (slice(None),) * dim + (xp.maximum(xp.arange(n) - 1, 0),))
    first = [1] * t.ndim
    first[dim] = n
    is_first = Tensor._make((xp.arange(n) == 0).reshape(first))
    return where(is_first, 1.0, previous).cumprod(dim)


class Nansum(Function):
    grad_name = "NansumBackward0"

    @staticmethod
    def forward(ctx, a, dims, keepdim, dtype):
        x = a._data
        ctx.save_for_backward(a)
        ctx.dims, ctx.keepdim = dims, keepdim
        return xp_of(x).nansum(x, axis=dims, keepdims=keepdim, dtype=sum_dtype(ctx, a, dtype))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        grad = unreduce(grad, a.shape, ctx.dims, ctx.keepdim)
        return where(a.isnan(), 0.0, grad), None, None, None


# ---- variance and standard deviation ------------------------------------------------------------
class Var(Function):
    """Variance with ``correction`` (1: unbiased); subclasses take the square root and/or also
    return the mean, as ``std``, ``var_mean`` and ``std_mean``."""
    grad_name = "VarBackward0"
    name, sqrt, with_mean = "var", False, False
    save_output = True

    @classmethod
    def forward(cls, ctx, a, dims, correction, keepdim):
        x = a._data
        if x.dtype.kind != "f":
            what = f"{cls.name} only support" if cls.with_mean else "std and var only support"
            raise RuntimeError(f"{what} floating point and complex dtypes")
        n = _numel(x.shape, dims)
        if n - correction <= 0:
            warnings.warn(f"{cls.name}(): degrees of freedom is <= 0. Correction should be "
                          "strictly less than the reduction factor (input numel divided by "
                          "output numel).", UserWarning, stacklevel=5)
        ctx.save_for_backward(a)
        ctx.dims, ctx.keepdim, ctx.n, ctx.dof = dims, keepdim, n, n - correction
        xp = xp_of(x)
        with quiet():
            out = x.var(axis=dims, ddof=correction, keepdims=keepdim)
            out = xp.sqrt(out) if cls.sqrt else out
            if cls.with_mean:
                return out, x.mean(axis=dims, keepdims=keepdim)
        return out

    @classmethod
    def backward(cls, ctx, grad, grad_mean=None):
        a, = ctx.saved_tensors
        if cls.sqrt:                      # d std = d var / (2 std), taken as 0 where std = 0
            std = ctx.output
            grad = where(std == 0, 0.0, grad / (2 * where(std == 0, 1.0, std)))
        centred = a - a.mean(ctx.dims, keepdim=True)
        scale = 2.0 / ctx.dof if ctx.dof else math.inf
        g = unreduce(grad, a.shape, ctx.dims, ctx.keepdim) * centred * scale
        if cls.with_mean:
            g = g + unreduce(grad_mean, a.shape, ctx.dims, ctx.keepdim) / ctx.n
        return g, None, None, None


class Std(Var):
    grad_name = "StdBackward0"
    name, sqrt = "std", True


class VarMean(Var):
    grad_name = "VarMeanBackward0"
    name, with_mean = "var_mean", True


class StdMean(Var):
    grad_name = "StdMeanBackward0"
    name, sqrt, with_mean = "std_mean", True, True


def _var_args(cls, input, dim, unbiased, keepdim, correction, axis):
    """torch's overloads: ``var(unbiased)``, ``var(dim, unbiased, keepdim)`` and
    ``var(dim, *, correction, keepdim)``."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    dim = axis if dim is None else dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{cls.name}() received an invalid combination of arguments: "
                        "unbiased and correction cannot both be given")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return cls.apply(input, reduce_dims(dim, input.ndim), correction, keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
    """Variance over ``dim`` (all elements by default), divided by ``N - correction``."""
    return _var_args(Var, input, dim, unbiased, keepdim, correction, axis)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
    """Standard deviation: the square root of :func:`var`."""
    return _var_args(Std, input, dim, unbiased, keepdim, correction, axis)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
    """``(var, mean)`` in one pass."""
    return _var_args(VarMean, input, dim, unbiased, keepdim, correction, axis)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
    """``(std, mean)`` in one pass."""
    return _var_args(StdMean, input, dim, unbiased, keepdim, correction, axis)


# ---- norms --------------------------------------------------------------------------------------
def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """The vector p-norm over ``dim`` (all elements by default), ``'fro'`` being the 2-norm;
    ``'nuc'`` (or 'fro' over more than two dims) is a matrix norm (``linalg.matrix_norm``)."""
    from .norms import matrix_norm, vector_norm
    if isinstance(p, str) and not (p == "fro" and (dim is None or isinstance(dim, int)
                                                    or len(dim) <= 2)):
        dims = tuple(range(input.ndim)) if dim is None else dim
        return matrix_norm(input, p, dims, keepdim, dtype=dtype, out=out)
    p = 2.0 if p in (None, "fro") else float(p)
    return vector_norm(input, p, dim, keepdim, dtype=dtype, out=out)


def dist(input, other, p=2):
    """The p-norm of ``input - other`` over all (broadcast) entries: ``DistBackward0``."""
    from .norms import dist
    return dist(input, other, p)


# ---- the functions users call -------------------------------------------------------------------
def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None):
    """Sum of all elements, or along ``dim`` (an int or a tuple of ints)."""
    dim = axis if dim is None else dim
    cls = Sum if dim is None else SumDim
    return cls.apply(input, reduce_dims(dim, input.ndim), keepdim, dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None):
    """Arithmetic mean of all elements, or along ``dim``."""
    dim = axis if dim is None else dim
    cls = Mean if dim is None else MeanDim
    return cls.apply(input, reduce_dims(dim, input.ndim), keepdim, dtype)


def prod(input, dim=None, keepdim=False, *, dtype=None, axis=None):
    """Product of all elements, or along the single dim ``dim``."""
    dim = axis if dim is None else dim
    if dim is None:
        return Prod.apply(input, reduce_dims(None, input.ndim), keepdim, dtype)
    if not isinstance(dim, numbers.Integral):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    return ProdDim.apply(input, reduce_dims(dim, input.ndim), keepdim, dtype)


def nansum(input, dim=None, keepdim=False, *, dtype=None, axis=None):
    """Sum that treats NaNs as zero."""
    dim = axis if dim is None else dim
    return Nansum.apply(input, reduce_dims(dim, input.ndim), keepdim, dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None, axis=None):
    """Mean of the non-NaN elements (NaN where there are none)."""
    if not input.is_floating_point():
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {type_name(input.dtype)}")
    dim = axis if dim is None else dim
    count = (~input.isnan()).sum(dim, keepdim=keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / count


def _logical(name, input, dim, keepdim):
    """all/any: a bool result (uint8 for uint8 input, as torch); ``dim=()`` reduces nothing."""
    x = input._data
    dims = () if dim == () else reduce_dims(dim, x.ndim)
    r = getattr(xp_of(x), name)(x, axis=dims, keepdims=keepdim)
    return Tensor._make(xp_of(x).asarray(r, dtype=x.dtype if x.dtype == D.uint8.np else bool))


def all(input, dim=None, keepdim=False, *, axis=None):
    """True where every element (along ``dim``) is non-zero."""
    return _logical("all", input, axis if dim is None else dim, keepdim)


def any(input, dim=None, keepdim=False, *, axis=None):
    """True where some element (along ``dim``) is non-zero."""
    return _logical("any", input, axis if dim is None else dim, keepdim)


def count_nonzero(input, dim=None, *, axis=None):
    """The number of non-zero elements (along ``dim``), as int64."""
    dim = axis if dim is None else dim
    x = input._data
    n = (x != 0).sum(axis=reduce_dims(dim, x.ndim), dtype=D.int64.np)
    return Tensor._make(xp_of(x).asarray(n))


__methods__ = ["sum", "mean", "prod", "nansum", "nanmean", "var", "std", "norm", "dist", "all",
               "any", "count_nonzero"]
__inplace__ = []

# the rest of the family
for _mod in (extrema, sorting, scan, softmax):
    __all__ += _mod.__all__
    __methods__ += _mod.__methods__
    __inplace__ += _mod.__inplace__
    globals().update({name: getattr(_mod, name) for name in _mod.__all__})
del _mod
