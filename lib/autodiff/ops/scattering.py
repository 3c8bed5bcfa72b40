"""Gather and scatter along a dim: gather, scatter, scatter_add, scatter_reduce.

``gather`` reads ``input[i][index[i][j]]`` (for ``dim=1``); ``scatter`` writes there. Each is
the other's gradient: the gradient of a gather is a scatter-*add* of the incoming gradient into
zeros (a place read twice gets both contributions), and the gradient of a scatter with respect
to ``src`` gathers it back. Part of the selection family: ``selection.py`` re-exports these.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..autograd.function import Function
from ..backend import scatter_add as _scatter_add_arrays
from ..tensor import Tensor
from ._util import check_same_device, norm_dim, xp_of
from .indexing import IndexPut
from .inplace import _type_name as _dtype_name
from .joining import axis_alias
from .rearranging import _zeros

__all__ = ["gather", "scatter", "scatter_add", "scatter_reduce"]


def _type_name(t):
    return _dtype_name(t.dtype)


def _const(array):
    """A raw array as a tensor outside the graph (masks, counts)."""
    return Tensor._make(array)


# ---- checking index tensors ------------------------------------------------------------------
def _index_array(index, input, message, long_only=False):
    """The array of an integer index tensor; RuntimeError(``message``) for another dtype."""
    if not isinstance(index, Tensor):
        raise TypeError(f"index must be a Tensor, not {type(index).__name__}")
    dt = index._data.dtype
    if not (dt == np.int64 or (dt == np.int32 and not long_only)):
        raise RuntimeError(message.format(type=_type_name(index)))
    check_same_device(input._data, index._data)
    return index._data


def _check_bounds(idx, n, dim, exc=RuntimeError, prefix="", negative=False):
    """torch's "index i is out of bounds" error for the first index outside ``[0, n)``."""
    lo = -n if negative else 0
    bad = (idx < lo) | (idx >= n)
    if bool(bad.any()):
        raise exc(f"{prefix}index {int(idx[bad][0])} is out of bounds for dimension {dim} with "
                  f"size {n}")


def _vector(idx, exc, message):
    if idx.ndim > 1:
        raise exc(message)
    return idx.reshape(-1)


def _except(shape, d):
    """``shape`` with dim ``d`` set to 1 (to compare shapes everywhere but along ``d``)."""
    return shape[:d] + (1,) + shape[d + 1:]


# ---- gather and scatter ------------------------------------------------------------------------
def _grid(idx, dim):
    """The advanced index with ``idx`` at ``dim`` and aranges elsewhere: for ``dim=1``,
    ``x[_grid(idx, 1)][i][j] == x[i][idx[i][j]]``."""
    xp = xp_of(idx)
    axes = [xp.arange(n).reshape((-1,) + (1,) * (idx.ndim - 1 - i))
            for i, n in enumerate(idx.shape)]
    axes[dim] = idx
    return tuple(axes)


def _block(shape):
    """The leading block of a (larger) tensor that matches an index of ``shape``."""
    return tuple(slice(0, n) for n in shape)


def _pad_to(g, shape):
    """``g`` placed in the leading block of zeros of ``shape`` (for a src larger than index)."""
    if tuple(g.shape) == tuple(shape):
        return g
    return IndexPut.apply(_zeros(shape, g), _block(g.shape), g, False)


def _check_gather(x, dim, idx, src=None, op="self"):
    """torch's checks of gather/scatter shapes and index values (see the messages)."""
    if x.ndim == 0:
        raise RuntimeError("gather/scatter of a 0-dim tensor is not supported: reshape it to 1-D")
    if idx.ndim != x.ndim:
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {op} tensor")
    if src is not None and idx.ndim != src.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    for d in range(idx.ndim):
        too_big = (d != dim and idx.shape[d] > x.shape[d]) or \
                  (src is not None and idx.shape[d] > src.shape[d])
        if too_big and op == "input":
            raise RuntimeError(f"Size does not match at dimension {d} expected index "
                               f"{list(idx.shape)} to be no larger than self {list(x.shape)} "
                               f"apart from dimension {dim}")
        if too_big:
            extra = "" if src is None else f" and to be no larger size than src {list(src.shape)}"
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self "
                               f"{list(x.shape)} apart from dimension {dim}{extra}")
    _check_bounds(idx, x.shape[dim], dim)


class Gather(Function):
    grad_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, a, dim, idx):
        ctx.dim, ctx.idx, ctx.in_shape = dim, idx, a._data.shape
        return a._data[_grid(idx, dim)]

    @staticmethod
    def backward(ctx, grad):
        return ScatterAdd.apply(_zeros(ctx.in_shape, grad), ctx.dim, ctx.idx, grad), None, None


@axis_alias
def gather(input, dim, index, *, sparse_grad=False):
    """``out[i][j] = input[i][index[i][j]]`` for ``dim=1`` (and likewise for other dims)."""
    idx = _index_array(index, input, "gather(): Expected dtype int32/int64 for index")
    d = norm_dim(dim, input._data.ndim)
    _check_gather(input._data, d, idx, op="input")
    return Gather.apply(input, d, idx)


class ScatterAdd(Function):
    """``out = a.clone(); out[i][index[i][j]] += src[i][j]``."""
    grad_name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, a, dim, idx, src):
        ctx.dim, ctx.idx, ctx.src_shape = dim, idx, src._data.shape
        out = a._data.copy()
        _scatter_add_arrays(out, _grid(idx, dim), src._data[_block(idx.shape)])
        return out

    @staticmethod
    def backward(ctx, grad):
        g_src = _pad_to(Gather.apply(grad, ctx.dim, ctx.idx), ctx.src_shape)
        return grad, None, None, g_src


class Scatter(Function):
    """``out = a.clone(); out[i][index[i][j]] = src[i][j]`` (the last write wins)."""
    grad_name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, a, dim, idx, src):
        ctx.dim, ctx.idx, ctx.src_shape = dim, idx, src._data.shape
        out = a._data.copy()
        out[_grid(idx, dim)] = src._data[_block(idx.shape)]
        return out

    @staticmethod
    def backward(ctx, grad):
        g_a = ScatterValue.apply(grad, ctx.dim, ctx.idx, 0) if ctx.needs_input_grad[0] else None
        g_src = _pad_to(Gather.apply(grad, ctx.dim, ctx.idx), ctx.src_shape)
        return g_a, None, None, g_src


class ScatterValue(Function):
    grad_name = "ScatterBackward1"

    @staticmethod
    def forward(ctx, a, dim, idx, value):
        ctx.dim, ctx.idx = dim, idx
        out = a._data.copy()
        out[_grid(idx, dim)] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        return ScatterValue.apply(grad, ctx.dim, ctx.idx, 0), None, None, None


def _reduce_at(op, target, flat_idx, values):
    """``target[i] = op(target[i], v)`` for every pair, repeated ``i`` included (any ufunc).

    Elements are processed in rounds: round r handles the r-th occurrence of every index, so
    that no index appears twice within one fancy-indexed assignment.
    """
    xp = xp_of(target)
    order = xp.argsort(flat_idx)
    s = flat_idx[order]
    first = xp.ones(s.shape, dtype=bool)
    first[1:] = s[1:] != s[:-1]
    rank = xp.arange(s.size) - xp.nonzero(first)[0][xp.cumsum(first) - 1]
    for r in range(int(rank.max()) + 1 if s.size else 0):
        pick = order[rank == r]
        i = flat_idx[pick]
        target[i] = op(target[i], values[pick])


class ScatterReduceLegacy(Function):
    """``scatter(..., reduce='add'|'multiply')``: torch gives it no derivative."""
    grad_name = "torch::autograd::NotImplemented"

    @staticmethod
    def forward(ctx, a, dim, idx, src, reduce):
        out = a._data.copy()
        v = src._data[_block(idx.shape)] if isinstance(src, Tensor) else src
        v = xp_of(out).broadcast_to(xp_of(out).asarray(v, dtype=out.dtype), idx.shape)
        flat = xp_of(out).ravel_multi_index(_grid(idx, dim), out.shape).reshape(-1)
        if reduce == "add":
            _scatter_add_arrays(out.reshape(-1), flat, v.reshape(-1))
        else:
            _reduce_at(xp_of(out).multiply, out.reshape(-1), flat, v.reshape(-1))
        return out

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::scatter is not implemented")


@axis_alias
def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """Write ``src`` (a tensor) or ``value`` (a number) at ``index`` along ``dim``, a copy."""
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    idx = _index_array(index, input, "scatter(): Expected dtype int32/int64 for index")
    d = norm_dim(dim, input._data.ndim)
    if src is not None and src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _check_gather(input._data, d, idx, None if src is None else src._data)
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        if src is not None:
            warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and "
                          "will be removed in a future PyTorch release. Use torch.scatter_reduce "
                          "instead for more reduction options.", UserWarning, stacklevel=2)
        return ScatterReduceLegacy.apply(input, d, idx, value if src is None else src, reduce)
    if src is None:
        if isinstance(value, Tensor):
            value = value.item()
        return ScatterValue.apply(input, d, idx, value)
    return Scatter.apply(input, d, idx, src)


@axis_alias
def scatter_add(input, dim, index, src):
    """Add ``src`` into a copy of ``input`` at ``index`` along ``dim`` (repeats accumulate)."""
    idx = _index_array(index, input, "scatter(): Expected dtype int32/int64 for index")
    d = norm_dim(dim, input._data.ndim)
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _check_gather(input._data, d, idx, src._data)
    return ScatterAdd.apply(input, d, idx, src)


class ScatterReduce(Function):
    """Reduce ``src`` into a copy of ``input`` at ``index``: sum, prod, mean, amax or amin.

    Forward also computes the constant weights of the gradient: ``grad * w_self`` for the
    input, ``gather(grad * w_out) * w_src`` for src (ties of amax/amin share the gradient).
    """
    grad_name = "ScatterReduceBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, a, dim, idx, src, reduce, include_self):
        x, xp = a._data, xp_of(a._data)
        out = x.copy()
        flat_out = out.reshape(-1)
        grid = _grid(idx, dim)
        flat = xp.ravel_multi_index(grid, out.shape).reshape(-1)
        v = src._data[_block(idx.shape)]
        touched = xp.zeros(out.shape, dtype=bool)
        touched[grid] = True
        n = xp.zeros(out.shape, dtype=x.dtype)
        _scatter_add_arrays(n, grid, xp.ones(idx.shape, dtype=x.dtype))
        if not include_self:
            flat_out[flat] = _identity(reduce, x.dtype)
        if reduce in ("sum", "mean"):
            _scatter_add_arrays(flat_out, flat, v.reshape(-1))
        else:
            op = {"prod": xp.multiply, "amax": xp.maximum, "amin": xp.minimum}[reduce]
            _reduce_at(op, flat_out, flat, v.reshape(-1))
        count = xp.maximum(n + include_self, 1)
        if reduce == "mean":
            out = out // count if x.dtype.kind in "iu" else out / count
        ctx.dim, ctx.idx, ctx.src_shape = dim, idx, src._data.shape
        ctx.reduce, ctx.include_self = reduce, include_self
        ctx.touched = _const(touched)
        w_self = (xp.ones_like(out) if include_self else (~touched).astype(x.dtype))
        ctx.w_out, ctx.w_src = None, None
        if reduce == "mean":
            ctx.w_out = _const(1 / count)
            w_self = w_self / count if include_self else w_self
        elif reduce in ("amax", "amin"):
            m_self = (x == out) & (~touched | include_self)
            m_src = v == out[grid]
            ties = m_self.astype(x.dtype)
            _scatter_add_arrays(ties, grid, m_src.astype(x.dtype))
            w_self, ctx.w_out, ctx.w_src = m_self / ties, _const(1 / ties), _const(m_src)
        ctx.w_self = _const(w_self.astype(x.dtype))
        if reduce == "prod":
            ctx.save_for_backward(a, src)
        return out

    @staticmethod
    def backward(ctx, grad):
        if ctx.reduce == "prod":
            return ScatterReduce._prod_backward(ctx, grad)
        g_out = grad if ctx.w_out is None else grad * ctx.w_out
        g_src = Gather.apply(g_out, ctx.dim, ctx.idx)
        if ctx.w_src is not None:
            g_src = g_src * ctx.w_src
        return grad * ctx.w_self, None, None, _pad_to(g_src, ctx.src_shape), None, None

    @staticmethod
    def _prod_backward(ctx, grad):
        """d(prod)/d(factor) = prod / factor (factors must be nonzero)."""
        a, src = ctx.saved_tensors
        gr = grad * ctx.output
        g_a = gr / a if ctx.include_self else grad.masked_fill(ctx.touched, 0)
        g_src = Gather.apply(gr, ctx.dim, ctx.idx) / src[_block(ctx.idx.shape)]
        return g_a, None, None, _pad_to(g_src, ctx.src_shape), None, None


def _identity(reduce, dtype):
    """The start value of a reduction over no element."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


@axis_alias
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """Combine ``src`` into a copy of ``input`` at ``index`` along ``dim`` with ``reduce``."""
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    idx = _index_array(index, input, "scatter(): Expected dtype int32/int64 for index")
    d = norm_dim(dim, input._data.ndim)
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _check_gather(input._data, d, idx, src._data)
    return ScatterReduce.apply(input, d, idx, src, reduce, bool(include_self))
