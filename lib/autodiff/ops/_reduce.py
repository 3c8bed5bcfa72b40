"""Helpers of the reduction family (reduction, extrema, sorting, scan, softmax modules).

Two kinds of gradient recur in the family: a reduced gradient broadcast back over the input
(:func:`unreduce`), and a gradient sent back to the positions that indices picked along a dim
(:class:`Picking` and :func:`put_along`, built on the differentiable ``IndexPut``).
"""
from __future__ import annotations

import contextlib
import warnings

import numpy as np

from .. import _dtype as D
from ..autograd.function import Function
from ..backend import to_numpy
from ..tensor import Tensor
from ._util import norm_dims, xp_of
from .indexing import Index, IndexPut
from .inplace import _type_name as type_name      # torch's dtype names: Float, Long, ...


def reduce_dims(dim, ndim: int) -> tuple:
    """The axes ``dim`` names (all for None or ``()``); a 0-dim tensor accepts 0 and -1 but has
    no axis to reduce."""
    dims = norm_dims(dim, ndim)
    return () if ndim == 0 else dims


def sum_dtype(ctx, a, dtype):
    """The dtype of a sum or product: ``dtype`` if given, else the input's for floats and int64
    for integers and bools (as torch). An integer result cannot carry a gradient."""
    if dtype is None:
        return a._data.dtype if a._data.dtype.kind == "f" else D.int64.np
    dtype = D.to_dtype(dtype)
    if ctx.needs_input_grad[0] and not dtype.is_floating_point:
        raise RuntimeError(f"Autograd not support dtype: {type_name(dtype)}")
    return dtype.np


def isnan(x):
    """Elementwise NaN test of a raw array of any dtype (integers and bools are never NaN)."""
    xp = xp_of(x)
    return xp.isnan(x) if x.dtype.kind == "f" else xp.zeros(x.shape, dtype=bool)


def unreduce(grad: Tensor, in_shape, dims, keepdim) -> Tensor:
    """Reshape a reduced gradient so it broadcasts against the input, then expand it."""
    if not keepdim and dims and grad.ndim:     # (a 0-d gradient broadcasts as it is)
        shape = list(grad.shape)
        for d in sorted(dims):
            shape.insert(d, 1)
        grad = grad.reshape(shape)
    return grad.expand(in_shape)


def along(idx, dim: int) -> tuple:
    """The advanced index picking ``x[..., idx[i, j, ...], ...]`` on axis ``dim`` (the tuple
    form of ``take_along_axis``): an ``arange`` on every other axis, ``idx`` on ``dim``."""
    xp = xp_of(idx)
    index = []
    for axis, n in enumerate(idx.shape):
        if axis == dim:
            index.append(idx)
        else:
            shape = [1] * idx.ndim
            shape[axis] = n
            index.append(xp.arange(n).reshape(shape))
    return tuple(index)


def put_along(shape, idx, values: Tensor, dim: int) -> Tensor:
    """Zeros of ``shape`` with ``values`` added at ``idx`` along ``dim`` (repeats accumulate):
    the gradient of picking values at ``idx``, and differentiable itself."""
    from .._creation import zeros
    base = zeros(shape, dtype=values.dtype, device=values.device)
    return IndexPut.apply(base, along(idx, dim), values, True)


def flip(t: Tensor, dim: int) -> Tensor:
    """``t`` reversed along ``dim`` (an advanced index, so a differentiable copy)."""
    n = t.shape[dim]
    index = (slice(None),) * dim + (xp_of(t._data).arange(n - 1, -1, -1),)
    return Index.apply(t, index)


def accumulate(ufunc_name: str, x, axis: int):
    """``xp.<ufunc>.accumulate(x, axis)``: running max, min or logaddexp along ``axis``.

    NumPy has every ufunc's accumulate; where CuPy lacks one, the scan runs on the host.
    """
    xp = xp_of(x)
    try:
        return getattr(xp, ufunc_name).accumulate(x, axis=axis)
    except (AttributeError, NotImplementedError, TypeError):
        return xp.asarray(getattr(np, ufunc_name).accumulate(to_numpy(x), axis=axis))


def even_split(x, out, dims, nan_ties: bool):
    """Weights that share a max/min/median's gradient equally among the elements equal to it.

    ``out`` is the result with ``keepdim=True``. With ``nan_ties`` a NaN result is shared among
    the NaNs (torch's rule for ``max()``, ``median()``); otherwise a NaN result gets NaN.
    """
    mask = x == out
    if nan_ties:
        mask |= isnan(x) & isnan(out)
    with quiet():
        return Tensor._make(mask / mask.sum(axis=dims, keepdims=True, dtype=x.dtype))


@contextlib.contextmanager
def quiet():
    """Silence NumPy's warnings about 0/0, log(0) and empty slices: torch returns the nan/inf
    without a word, and so do we."""
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


class Picking(Function):
    """Base of the ops that pick elements along ``dim`` and return ``(values, indices)``:
    ``max(dim)``, ``median(dim)``, ``sort``, ``topk``, ``cummax``, ...

    A subclass's ``pick(x, dim, *args)`` returns the indices (as ``keepdim=True`` would shape
    them) for a raw array ``x`` with at least one dim: a 0-dim input is picked from as a
    1-vector. The gradient of the values goes back to the picked positions.
    """

    @classmethod
    def forward(cls, ctx, a, dim, keepdim, *args):
        x = a._data
        x1 = x.reshape(x.shape or (1,))
        idx = cls.pick(x1, dim, *args).astype(D.int64.np, copy=False)
        values = xp_of(x).take_along_axis(x1, idx, axis=dim)
        ctx.idx, ctx.dim, ctx.work_shape, ctx.in_shape = idx, dim, x1.shape, x.shape
        ctx.n_args = len(args)
        if x.ndim == 0:
            shape = ()
        elif keepdim:
            shape = idx.shape
        else:
            shape = idx.shape[:dim] + idx.shape[dim + 1:]
        return values.reshape(shape), idx.reshape(shape)

    @staticmethod
    def backward(ctx, grad, grad_indices=None):
        g = put_along(ctx.work_shape, ctx.idx, grad.reshape(ctx.idx.shape), ctx.dim)
        return (g.reshape(ctx.in_shape), None, None) + (None,) * ctx.n_args
