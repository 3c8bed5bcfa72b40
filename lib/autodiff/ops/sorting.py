"""Sorting: sort, argsort, msort, topk.

Sorting is stable (equal values keep their order, also when descending) and puts NaN after
every number, as torch does on the CPU. The gradient of the sorted values goes back to the
positions they came from.
"""
from __future__ import annotations

from .. import _dtype as D
from .. import return_types
from ..tensor import Tensor
from ._reduce import Picking
from ._util import norm_dim, xp_of

__all__ = ["sort", "argsort", "msort", "topk"]


def _order(x, dim, descending):
    """The stable sorting permutation of a raw array along ``dim``.

    Descending order sorts the reversed array ascending and reverses the result back, which
    keeps equal values in their original order.
    """
    xp = xp_of(x)
    if not descending:
        return xp.argsort(x, axis=dim, kind="stable")
    n = x.shape[dim]
    return (n - 1) - xp.flip(xp.argsort(xp.flip(x, axis=dim), axis=dim, kind="stable"), axis=dim)


class Sort(Picking):
    grad_name = "SortBackward0"
    pick = staticmethod(_order)


class Topk(Picking):
    grad_name = "TopkBackward0"

    @staticmethod
    def pick(x, dim, k, largest):
        return _order(x, dim, largest)[(slice(None),) * dim + (slice(0, k),)]


def sort(input, dim=-1, descending=False, stable=False, *, axis=None):
    """``(values, indices)`` of ``input`` sorted along ``dim``."""
    d = norm_dim(dim if axis is None else axis, input.ndim)
    return return_types.sort(*Sort.apply(input, d, True, descending))


def argsort(input, dim=-1, descending=False, stable=False, *, axis=None):
    """The indices that sort ``input`` along ``dim``."""
    x = input._data
    d = norm_dim(dim if axis is None else axis, x.ndim)
    order = _order(x.reshape(x.shape or (1,)), d, descending).reshape(x.shape)
    return Tensor._make(order.astype(D.int64.np, copy=False))


def msort(input):
    """``input`` sorted along its first dim."""
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True, *, axis=None):
    """The ``k`` largest (or, with ``largest=False``, smallest) elements along ``dim`` and their
    indices, in sorted order (also when ``sorted=False``)."""
    if input.dtype is D.bool:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    d = norm_dim(dim if axis is None else axis, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    return return_types.topk(*Topk.apply(input, d, True, int(k), largest))


__methods__ = list(__all__)
__inplace__ = []
