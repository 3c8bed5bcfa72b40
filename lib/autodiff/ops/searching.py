"""Searching and counting: nonzero, argwhere, unique, unique_consecutive, searchsorted,
bucketize, isin, bincount, histc.

Their results are indices, counts or booleans, so none has a gradient (``unique`` of a float
tensor keeps torch's node, whose backward raises). Part of the selection family:
``selection.py`` re-exports these names.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from ..autograd.function import Function
from ..tensor import Tensor
from ._util import xp_of
from .joining import dim_of

__all__ = ["nonzero", "argwhere", "unique", "unique_consecutive", "searchsorted", "bucketize",
           "isin", "bincount", "histc"]


def _int64(array):
    return Tensor._make(array.astype(D.int64.np, copy=False))


def nonzero(input, *, as_tuple=False):
    """Indices of the nonzero elements: one row per element, or one tensor per dim."""
    x = input._data
    xp = xp_of(x)
    if as_tuple:
        if x.ndim == 0:
            return (_int64(xp.zeros(int(bool(x)), dtype=D.int64.np)),)
        return tuple(_int64(i) for i in xp.nonzero(x))
    return _int64(xp.argwhere(x))


def argwhere(input):
    """The indices of the nonzero elements, one row each (``nonzero``)."""
    return nonzero(input)


def _group_rows(rows, sort):
    """Groups of equal rows of a 2-D array (sorted, or runs of consecutive equal rows).

    Returns the first row of every group, each row's group number and the group sizes.
    """
    xp = xp_of(rows)
    n = rows.shape[0]
    order = xp.lexsort(rows.T[::-1]) if sort and n else xp.arange(n)
    s = rows[order]
    new = xp.ones(n, dtype=bool)
    if n > 1:
        new[1:] = (s[1:] != s[:-1]).any(axis=1)
    starts = xp.nonzero(new)[0]
    inverse = xp.empty(n, dtype=D.int64.np)
    inverse[order] = xp.cumsum(new) - 1
    counts = xp.diff(xp.concatenate([starts, xp.asarray([n])]))
    return s[starts], inverse, counts


def _no_derivative(op):
    def backward(ctx, *grads):
        raise NotImplementedError(f"the derivative for '{op}' is not implemented.")
    return staticmethod(backward)


class _Unique(Function):
    """Shared forward of unique and unique_consecutive (the subclasses name torch's nodes)."""

    @staticmethod
    def forward(ctx, a, sort, dim):
        x = a._data
        xp = xp_of(x)
        if dim is None:
            vals, inv, counts = _group_rows(x.reshape(-1, 1), sort)
            return vals.reshape(-1), inv.reshape(x.shape), counts.astype(D.int64.np)
        moved = xp.moveaxis(x, dim, 0)
        vals, inv, counts = _group_rows(moved.reshape(moved.shape[0], -1), sort)
        vals = xp.moveaxis(vals.reshape((-1,) + moved.shape[1:]), 0, dim)
        return xp.ascontiguousarray(vals), inv, counts.astype(D.int64.np)


_NODES = {(True, False): ("Unique2Backward0", "_unique2"),
          (True, True): ("UniqueDimBackward0", "unique_dim"),
          (False, False): ("UniqueConsecutiveBackward0", "unique_consecutive"),
          (False, True): ("UniqueConsecutiveBackward0", "unique_consecutive")}
_UNIQUE = {key: type(node, (_Unique,), {"grad_name": node, "backward": _no_derivative(op),
                                        "__module__": __name__})
           for key, (node, op) in _NODES.items()}


def _unique(input, sort, return_inverse, return_counts, dim):
    if dim is not None:
        dim = dim_of(input, dim)
    vals, inv, counts = _UNIQUE[(sort, dim is not None)].apply(input, sort, dim)
    out = (vals,) + ((inv,) if return_inverse else ()) + ((counts,) if return_counts else ())
    return out[0] if len(out) == 1 else out


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements (or slices along ``dim``), sorted; optionally where each element
    went (``return_inverse``) and how often each occurs (``return_counts``)."""
    return _unique(input, True, return_inverse, return_counts, dim)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Like ``unique`` but only collapses runs of consecutive equal elements (no sorting)."""
    return _unique(input, False, return_inverse, return_counts, dim)


# ---- sorted search ----------------------------------------------------------------------------
def _as_array(x, like):
    if isinstance(x, Tensor):
        return x._data
    return xp_of(like).asarray(x)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None, out=None):
    """Where each value of ``input`` would be inserted into the sorted last dim of
    ``sorted_sequence`` to keep it sorted (``right``: after equal elements)."""
    b = sorted_sequence._data
    xp = xp_of(b)
    v = _as_array(input, b)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got "
                               f"{side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
        right = side == "right"
    if sorter is not None:
        if sorter.shape != sorted_sequence.shape:
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same "
                               f"size, but got boundary tensor {list(b.shape)}and got sorter "
                               f"tensor {list(sorter.shape)}")
        b = xp.take_along_axis(b, sorter._data, axis=-1)
    if b.ndim > 1:
        if v.ndim == 0:
            raise RuntimeError("torch.searchsorted(): input value can be a scalar only when "
                               f"boundaries tensor dimension is 1, but we got boundaries tensor "
                               f"dim({b.ndim}) and input value's dim(0) numel(1)")
        if b.shape[:-1] != v.shape[:-1]:
            raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or "
                               "the first N-1 dimensions of boundaries tensor and input value "
                               f"tensor must match, but we got boundaries tensor {list(b.shape)} "
                               f"and input value tensor {list(v.shape)}")
    side = "right" if right else "left"
    if b.ndim <= 1:
        pos = xp.searchsorted(b, v, side=side)
    else:                                       # one search per row of the leading dims
        rows = zip(b.reshape(-1, b.shape[-1]), v.reshape(-1, v.shape[-1]))
        pos = xp.stack([xp.searchsorted(rb, rv, side=side) for rb, rv in rows])
    result = Tensor._make(xp.asarray(pos, dtype=D.int32.np if out_int32 else D.int64.np)
                          .reshape(v.shape))
    if out is not None:
        from .inplace import copy_into_out
        return copy_into_out(out, result)
    return result


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """The index of the bucket each value falls into, for a 1-D sorted ``boundaries``."""
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """A bool tensor: whether each of ``elements`` occurs in ``test_elements``."""
    like = elements._data if isinstance(elements, Tensor) else test_elements._data
    e, t = _as_array(elements, like), _as_array(test_elements, like)
    return Tensor._make(xp_of(like).isin(e, t, assume_unique=assume_unique, invert=invert))


# ---- counting -----------------------------------------------------------------------------------
def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, 2, ... occurs in the 1-D non-negative integer ``input`` (the
    sum of ``weights`` at its positions, with weights); at least ``minlength`` counts."""
    x = input._data
    if x.dtype.kind not in "iub":
        from .inplace import _type_name
        raise NotImplementedError(f'"bincount_cpu" not implemented for '
                                  f"'{_type_name(input.dtype)}'")
    if x.ndim != 1 or (x.size and int(x.min()) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    xp = xp_of(x)
    if weights is None:
        return Tensor._make(xp.bincount(x, minlength=minlength).astype(D.int64.np))
    w = weights._data
    if w.shape != x.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    dtype = w.dtype if w.dtype.kind == "f" else D.float64.np
    return Tensor._make(xp.bincount(x, weights=w, minlength=minlength).astype(dtype))


def histc(input, bins=100, min=0, max=0, *, out=None):
    """A histogram of ``bins`` equal-width bins over ``[min, max]`` (the data's range when both
    are 0); values outside are left out. The counts have the input's dtype; no gradient."""
    from .arithmetic import _out
    x = input._data
    if x.dtype.kind != "f":
        from .inplace import _type_name
        raise NotImplementedError(f'"histogram_cpu" not implemented for '
                                  f"'{_type_name(input.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"autodiff.histogram(): bins must be > 0, but got {bins} for "
                           "dimension 0")
    xp = xp_of(x)
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError("autodiff.histc: max must be larger than min")
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"autodiff.histc: range of [{lo}, {hi}] is not finite")
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    flat = x.reshape(-1).astype(np.float64)
    flat = flat[(flat >= lo) & (flat <= hi)]
    pos = ((flat - lo) * bins / (hi - lo)).astype(np.int64)
    counts = xp.bincount(xp.minimum(pos, bins - 1), minlength=bins)
    return _out(Tensor._make(counts.astype(x.dtype)), out)


__methods__ = ["nonzero", "argwhere", "unique", "unique_consecutive", "bincount", "histc"]
