"""Separable linear maps: a small sparse matrix applied along each spatial axis.

Resizing an image, adaptive average pooling and reflect/replicate/circular padding are linear
and act on each axis on its own: output ``i`` along an axis is a weighted sum of a few inputs.
One axis is an :class:`AxisMap`, the non-zeros ``(rows, cols, weights)`` of an ``(n_out, n_in)``
matrix. Applying it takes a few vectorised steps, one per "level": level ``r`` holds the
``r``-th entry of every row (forward) or of every column (adjoint), so no two entries of a level
write to the same place. The gradient of the map is its adjoint (the transposed matrix), and
the adjoint's gradient is the map again, so every order of derivative works.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from ..autograd.function import Function
from ._util import xp_of

__all__ = ["AxisMap", "axis_map", "Separable", "SeparableAdjoint", "apply_separable",
           "adaptive_ranges", "adaptive_avg_map"]


class AxisMap(NamedTuple):
    """The non-zeros of an ``(n_out, n_in)`` matrix (``weights`` None: all ones), grouped."""
    rows: np.ndarray
    cols: np.ndarray
    weights: np.ndarray | None
    n_out: int
    n_in: int
    by_row: tuple          # levels: entries with distinct rows
    by_col: tuple          # levels: entries with distinct columns


def _levels(keys):
    """Split entry positions into groups in which no key repeats (the r-th of each key)."""
    if not len(keys):
        return ()
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sk)) + 1]
    rank = np.arange(len(sk)) - np.repeat(starts, np.diff(np.r_[starts, len(sk)]))
    return tuple(order[rank == r] for r in range(int(rank.max()) + 1))


def axis_map(rows, cols, weights, n_out, n_in):
    """A sparse linear map along one axis: ``out[rows[k]] += weights[k] * in[cols[k]]``."""
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    return AxisMap(rows, cols, weights, n_out, n_in, _levels(rows), _levels(cols))


def _apply(a, axis, m, adjoint):
    """``m`` (or its transpose) applied along ``axis`` of the array ``a``."""
    xp = xp_of(a)
    src, dst, n = (m.rows, m.cols, m.n_in) if adjoint else (m.cols, m.rows, m.n_out)
    shape = list(a.shape)
    shape[axis] = n
    res = xp.zeros(shape, dtype=a.dtype)
    lead = (slice(None),) * axis
    wshape = (-1,) + (1,) * (a.ndim - axis - 1)
    for level in (m.by_col if adjoint else m.by_row):
        part = xp.take(a, xp.asarray(src[level]), axis=axis)
        if m.weights is not None:
            part *= xp.asarray(m.weights[level], dtype=a.dtype).reshape(wshape)
        res[lead + (xp.asarray(dst[level]),)] += part
    return res


class Separable(Function):
    """``x`` with ``maps[d]`` applied along its ``d``-th trailing spatial axis."""
    grad_name = "SeparableBackward0"

    @staticmethod
    def forward(ctx, x, maps):
        ctx.maps = maps
        a = x._data
        for d, m in enumerate(maps):
            a = _apply(a, a.ndim - len(maps) + d, m, False)
        return a

    @staticmethod
    def backward(ctx, grad):
        return SeparableAdjoint.apply(grad, ctx.maps), None


class SeparableAdjoint(Function):
    """The transposed maps (the gradient of :class:`Separable`)."""
    grad_name = "SeparableBackwardBackward0"

    @staticmethod
    def forward(ctx, g, maps):
        ctx.maps = maps
        a = g._data
        for d, m in reversed(list(enumerate(maps))):
            a = _apply(a, a.ndim - len(maps) + d, m, True)
        return a

    @staticmethod
    def backward(ctx, grad):
        return Separable.apply(grad, ctx.maps), None


@functools.cache
def _named(grad_name):
    """A :class:`Separable` subclass showing torch's ``grad_fn`` name (an upsample's, ...)."""
    return type(grad_name.removesuffix("Backward0"), (Separable,),
                {"grad_name": grad_name, "__module__": __name__})


def apply_separable(x, grad_name, maps):
    """``maps`` applied along ``x``'s trailing axes, with ``grad_name`` as its ``grad_fn`` name."""
    return _named(grad_name).apply(x, tuple(maps))


def adaptive_ranges(size, out):
    """torch's adaptive windows along one axis: ``[floor(i*size/out), ceil((i+1)*size/out))``."""
    i = np.arange(out, dtype=np.int64)
    return i * size // out, -(-(i + 1) * size // out)


def adaptive_avg_map(size, out):
    """The map averaging each adaptive window."""
    start, end = adaptive_ranges(size, out)
    count = end - start
    rows = np.repeat(np.arange(out), count)
    cols = np.arange(rows.size) - np.repeat(np.cumsum(count) - count, count) + start[rows]
    return axis_map(rows, cols, 1.0 / count[rows], out, size)
