"""Selecting and scattering with index tensors and masks.

``index_select``/``take``/``masked_select`` read elements at given places; their gradient
*scatters* the incoming gradient back to those places (adding where a place was read twice).
``index_add``/``index_copy``/``index_fill``/``masked_fill``/``masked_scatter`` write elements;
their gradient *gathers* it. Each op's backward is the other one, so all are differentiable to
any order. The gather/scatter family along a dim is in ``scattering.py``, the searching ops
(nonzero, unique, searchsorted, isin) in ``searching.py``; both are re-exported here.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..backend import scatter_add as _scatter_add_arrays
from ..tensor import Tensor
from ._linalg_util import C_NAMES
from ._util import check_same_device, norm_dim, xp_of
from .broadcasting import broadcast_shape
from .indexing import IndexPut
from .joining import axis_alias, cat, dim_of
from .scattering import *  # noqa: F401,F403
from .scattering import (Gather, __all__ as _scattering_all, _check_bounds, _const, _except,
                         _index_array, _type_name, _vector, _zeros)
from .searching import *  # noqa: F401,F403
from .searching import __all__ as _searching_all, __methods__ as _searching_methods

_SELECTION = ["index_select", "take", "take_along_dim", "masked_select", "masked_fill",
              "masked_scatter", "index_fill", "index_add", "index_copy"]
__all__ = _SELECTION + _scattering_all + _searching_all

# ---- take -------------------------------------------------------------------------------------
class Take(Function):
    """Elements of the flattened input at ``index`` (negative indices count from the end)."""
    grad_name = "TakeBackward0"

    @staticmethod
    def forward(ctx, a, idx):
        ctx.idx, ctx.in_shape = idx, a._data.shape
        return a._data.reshape(-1)[idx]

    @staticmethod
    def backward(ctx, grad):
        flat = _zeros((int(np.prod(ctx.in_shape)),), grad)
        return IndexPut.apply(flat, (ctx.idx,), grad, True).reshape(ctx.in_shape), None


def take(input, index):
    """``input.flatten()[index]``: the result has the shape of ``index``."""
    idx = _index_array(index, input, "take(): Expected a long tensor for index, but got "
                                     "{type}", long_only=True)
    n = input._data.size
    bad = (idx < -n) | (idx >= n)
    if bool(bad.any()):
        raise IndexError(f"out of range: tried to access index {int(idx[bad][0])} on a tensor of "
                         f"{n} elements.")
    return Take.apply(input, idx % max(n, 1))


@axis_alias
def take_along_dim(input, indices, dim=None):
    """``gather`` after broadcasting ``input`` and ``indices`` (no dim: both flattened)."""
    idx = _index_array(indices, input, "torch.take_along_dim(): dtype of indices should be "
                                       "Long but got {type}", long_only=True)
    if dim is None:
        input, idx, d = input.reshape(-1), idx.reshape(-1), 0
    else:
        if idx.ndim != input._data.ndim:
            raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                               f"number of dimensions, but got {input._data.ndim} dimensions for "
                               f"input, and {idx.ndim} dimensions for indices")
        d = dim_of(input, dim)
        shp = list(broadcast_shape(*(_except(s, d) for s in (input._data.shape, idx.shape))))
        in_shape, idx_shape = list(shp), list(shp)
        in_shape[d], idx_shape[d] = input._data.shape[d], idx.shape[d]
        input = input.expand(in_shape)
        idx = xp_of(idx).broadcast_to(idx, idx_shape)
    n = input._data.shape[d]
    _check_bounds(idx, n, d, negative=True)
    return Gather.apply(input, d, idx % max(n, 1))


# ---- masks ------------------------------------------------------------------------------------
def _mask_array(mask, message):
    if mask._data.dtype != bool:
        raise RuntimeError(message.format(type=_type_name(mask),
                                          ctype=C_NAMES[mask.dtype.name]))
    return mask._data


class MaskedSelect(Function):
    grad_name = "MaskedSelectBackward0"

    @staticmethod
    def forward(ctx, a, m):
        xp = xp_of(a._data)
        shape = broadcast_shape(m.shape, a._data.shape)
        ctx.mask, ctx.shape = m, shape
        return xp.broadcast_to(a._data, shape)[xp.broadcast_to(m, shape)]

    @staticmethod
    def backward(ctx, grad):
        return MaskedScatter.apply(_zeros(ctx.shape, grad), ctx.mask, grad), None


def masked_select(input, mask):
    """The elements where the (broadcast) boolean ``mask`` is True, as a 1-D tensor."""
    m = _mask_array(mask, "masked_select: expected BoolTensor for mask")
    check_same_device(input._data, m)
    return MaskedSelect.apply(input, m)


class MaskedScatter(Function):
    """Fill the True places of ``mask``, in order, with the first elements of ``source``."""
    grad_name = "MaskedScatterBackward0"

    @staticmethod
    def forward(ctx, a, m, source):
        xp = xp_of(a._data)
        shape = broadcast_shape(m.shape, a._data.shape)
        m = xp.broadcast_to(m, shape)
        k = int(m.sum())
        if k > source._data.size:
            raise RuntimeError("Number of elements of source < number of ones in mask")
        ctx.mask, ctx.k, ctx.src_shape = m, k, source._data.shape
        out = xp.broadcast_to(a._data, shape).copy()
        out[m] = source._data.reshape(-1)[:k]
        return out

    @staticmethod
    def backward(ctx, grad):
        mask = _const(ctx.mask)
        g_a = grad.masked_fill(mask, 0) if ctx.needs_input_grad[0] else None
        g_src = None
        if ctx.needs_input_grad[2]:
            sel = MaskedSelect.apply(grad, ctx.mask)
            rest = int(np.prod(ctx.src_shape)) - ctx.k
            g_src = (cat([sel, _zeros((rest,), grad)]) if rest else sel).reshape(ctx.src_shape)
        return g_a, None, g_src


def masked_scatter(input, mask, source):
    """A copy of ``input`` whose masked places take ``source``'s elements, in order."""
    m = _mask_array(mask, "masked_scatter_ only supports boolean masks, but got mask with dtype "
                          "{type}")
    check_same_device(input._data, m)
    if source.dtype is not input.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but got"
                           f"{_type_name(input)} and {_type_name(source)}")
    return MaskedScatter.apply(input, m, source)


class MaskedFill(Function):
    """``value`` where ``mask`` is True, ``input`` elsewhere (value a number)."""
    grad_name = "MaskedFillBackward0"

    @staticmethod
    def forward(ctx, a, m, value):
        x = a._data
        xp = xp_of(x)
        broadcast_shape(m.shape, x.shape)          # torch's error when they do not broadcast
        ctx.mask = m
        v = value._data if isinstance(value, Tensor) else value
        return xp.where(m, xp.asarray(v).astype(x.dtype), x)

    @staticmethod
    def backward(ctx, grad):
        return MaskedFill.apply(grad, ctx.mask, 0), None, None


class MaskedFillTensor(MaskedFill):
    """``masked_fill`` with a 0-dim tensor value, which gets the sum of the masked gradient."""
    grad_name = "MaskedFillBackward1"

    @staticmethod
    def backward(ctx, grad):
        g_a = MaskedFill.apply(grad, ctx.mask, 0) if ctx.needs_input_grad[0] else None
        g_v = None
        if ctx.needs_input_grad[2]:
            g_v = MaskedFill.apply(grad, ~ctx.mask, 0).sum()
        return g_a, None, g_v


def masked_fill(input, mask, value):
    """A copy of ``input`` with ``value`` (a number or 0-dim tensor) where ``mask`` is True."""
    m = _mask_array(mask, "masked_fill_ only supports boolean masks, but got mask with dtype "
                          "{ctype}")
    check_same_device(input._data, m)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        return MaskedFillTensor.apply(input, m, value)
    return MaskedFill.apply(input, m, value)


# ---- index_select, index_add, index_copy, index_fill ------------------------------------------
def _along0(x, dim):
    """A view of ``x`` with ``dim`` moved to the front (so ``view[idx]`` indexes along dim)."""
    return xp_of(x).moveaxis(x, dim, 0)


class IndexSelect(Function):
    grad_name = "IndexSelectBackward0"

    @staticmethod
    def forward(ctx, a, dim, idx):
        ctx.dim, ctx.idx, ctx.in_shape = dim, idx, a._data.shape
        return xp_of(a._data).take(a._data, idx, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return IndexAdd.apply(_zeros(ctx.in_shape, grad), ctx.dim, ctx.idx, grad, 1), None, None


@axis_alias
def index_select(input, dim, index):
    """The slices ``index`` along ``dim``, as a new tensor."""
    idx = _index_array(index, input, "index_select(): Expected dtype int32 or int64 for index")
    idx = _vector(idx, IndexError, "index_select(): Index is supposed to be a vector")
    d = norm_dim(dim, input._data.ndim)
    if input._data.ndim == 0:
        if idx.size != 1:
            raise RuntimeError("index_select(): Index to scalar can have only 1 value, got "
                               f"{idx.size} value(s)")
        return index_select(input.reshape(1), 0, index.reshape(1)).reshape(())
    n = input._data.shape[d]
    bad = (idx < 0) | (idx >= n)
    if bool(bad.any()):                  # torch's two kernels word it differently
        if d == 1 and input.is_contiguous():
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={int(idx[bad][0])} "
                               f"axis_dim={n}")
        raise IndexError("index out of range in self")
    return IndexSelect.apply(input, d, idx)


class IndexAdd(Function):
    grad_name = "IndexAddBackward0"

    @staticmethod
    def forward(ctx, a, dim, idx, source, alpha):
        ctx.dim, ctx.idx, ctx.alpha = dim, idx, alpha
        out = a._data.copy()
        src = source._data if alpha == 1 else source._data * alpha
        _scatter_add_arrays(_along0(out, dim), idx, _along0(src.astype(out.dtype), dim))
        return out

    @staticmethod
    def backward(ctx, grad):
        g_src = IndexSelect.apply(grad, ctx.dim, ctx.idx) if ctx.needs_input_grad[3] else None
        if g_src is not None and ctx.alpha != 1:
            g_src = g_src * ctx.alpha
        return grad, None, None, g_src, None


def _check_source(input, d, idx, source, op):
    if source._data.ndim != input._data.ndim:
        raise RuntimeError(f"{op}(): Indexing dim {d} is out of bounds of the source tensor with "
                           f"dim {source._data.ndim}")
    if len(idx) != source._data.shape[d]:
        raise RuntimeError(f"{op}(): Number of indices ({len(idx)}) should be equal to "
                           f"source.size(dim): ({source._data.shape[d]}), for dim: {d}")
    if _except(source._data.shape, d) != _except(input._data.shape, d):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(input.shape)} "
                           f"source.shape = {list(source.shape)}")


@axis_alias
def index_add(input, dim, index, source, *, alpha=1):
    """Add ``alpha * source`` slices into a copy of ``input`` at ``index`` along ``dim``."""
    if input._data.ndim == 0:                 # a 0-dim tensor acts as one element along dim 0
        return index_add(input.reshape(1), dim, index.reshape(-1), source.reshape(-1),
                         alpha=alpha).reshape(())
    idx = _index_array(index, input, "index_add_(): Expected dtype int32/int64 for index but got: "
                              "{type}")
    if idx.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: "
                         f"{idx.ndim} with type: {_type_name(index)} and size: {list(idx.shape)}")
    idx = idx.reshape(-1)
    d = norm_dim(dim, input._data.ndim)
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_add_(): self ({_type_name(input)}) and source "
                           f"({_type_name(source)}) must have the same scalar type")
    _check_source(input, d, idx, source, "index_add_")
    if input._data.ndim == 1 and bool(((idx < 0) | (idx >= input._data.shape[0])).any()):
        raise IndexError("index out of range in self")
    _check_bounds(idx, input._data.shape[d], d)
    return IndexAdd.apply(input, d, idx, source, alpha)


class IndexCopy(Function):
    grad_name = "IndexCopyBackward0"

    @staticmethod
    def forward(ctx, a, dim, idx, source):
        ctx.dim, ctx.idx = dim, idx
        out = a._data.copy()
        _along0(out, dim)[idx] = _along0(source._data, dim)
        return out

    @staticmethod
    def backward(ctx, grad):
        g_a = IndexFill.apply(grad, ctx.dim, ctx.idx, 0) if ctx.needs_input_grad[0] else None
        g_src = IndexSelect.apply(grad, ctx.dim, ctx.idx) if ctx.needs_input_grad[3] else None
        return g_a, None, None, g_src


@axis_alias
def index_copy(input, dim, index, source):
    """A copy of ``input`` whose slices ``index`` along ``dim`` are replaced by ``source``'s."""
    if input._data.ndim == 0:
        return index_copy(input.reshape(1), dim, index.reshape(-1),
                          source.reshape(-1)).reshape(())
    idx = _index_array(index, input, "index_copy_(): Expected a long tensor for index, but "
                                     "got {type}", long_only=True)
    if idx.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {idx.ndim})")
    idx = idx.reshape(-1)
    d = norm_dim(dim, input._data.ndim)
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but "
                           f"got (self) {_type_name(input)} and (source) {_type_name(source)}")
    if source._data.ndim != input._data.ndim:
        raise IndexError("index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality "
                         f"({source._data.ndim}), destination dimensionality "
                         f"({input._data.ndim})")
    if len(idx) != source._data.shape[d]:
        raise IndexError(f"index_copy_(): Number of indices ({len(idx)}) should be equal to "
                         f"source.size(dim) ({source._data.shape[d]})")
    if _except(input._data.shape, d) != _except(source._data.shape, d):
        dst, src = (" ".join(str(n) for k, n in enumerate(t._data.shape) if k != d)
                    for t in (input, source))
        raise RuntimeError("index_copy_(): Source/destination tensor must have same slice "
                           f"shapes. Destination slice shape: {dst} at dimension {d} and source "
                           f"slice shape: {src} at dimension 0.")
    _check_bounds(idx, input._data.shape[d], d, IndexError, "index_copy_(): ")
    return IndexCopy.apply(input, d, idx, source)


class IndexFill(Function):
    grad_name = "IndexFillBackward0"

    @staticmethod
    def forward(ctx, a, dim, idx, value):
        ctx.dim, ctx.idx = dim, idx
        out = a._data.copy()
        _along0(out, dim)[idx] = value._data if isinstance(value, Tensor) else value
        return out

    @staticmethod
    def backward(ctx, grad):
        return IndexFill.apply(grad, ctx.dim, ctx.idx, 0), None, None, None


class IndexFillTensor(IndexFill):
    """``index_fill`` with a 0-dim tensor value: it gets the gradient of every filled place."""
    grad_name = "IndexFillBackward1"

    @staticmethod
    def backward(ctx, grad):
        g_a = IndexFill.apply(grad, ctx.dim, ctx.idx, 0) if ctx.needs_input_grad[0] else None
        g_v = None
        if ctx.needs_input_grad[3]:
            once = xp_of(ctx.idx).unique(ctx.idx)          # a place filled twice counts once
            g_v = IndexSelect.apply(grad, ctx.dim, once).sum()
        return g_a, None, None, g_v


@axis_alias
def index_fill(input, dim, index, value):
    """A copy of ``input`` with ``value`` in the slices ``index`` along ``dim``."""
    if input._data.ndim == 0:
        return index_fill(input.reshape(1), dim, index.reshape(-1), value).reshape(())
    if index._data.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    check_same_device(input._data, index._data)
    idx = _vector(index._data, RuntimeError, "Index has to be a vector/scalar")
    d = norm_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    _check_bounds(idx, n, d, IndexError, negative=True)
    idx = idx % max(n, 1)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        return IndexFillTensor.apply(input, d, idx, value)
    return IndexFill.apply(input, d, idx, value)


__methods__ = _SELECTION + _scattering_all + _searching_methods
__inplace__ = ["scatter", "scatter_add", "scatter_reduce", "masked_fill", "masked_scatter",
               "index_fill", "index_add", "index_copy"]
