"""Tensors built from index patterns: the coordinates of a triangle, block-diagonal matrices,
the r-element combinations of a vector (``cartesian_prod`` lives with the joining ops)."""
from __future__ import annotations

import itertools

import numpy as np

from .. import _dtype as D
from ..autograd.function import Function
from ._linalg_util import TYPE_NAMES
from ._util import check_same_device, is_tensor, xp_of

__all__ = ["tril_indices", "triu_indices", "block_diag", "combinations"]


# ---- triangle coordinates -----------------------------------------------------------------------
def _triangle(name, row, col, offset, dtype, device, lower):
    for pos, (arg, v) in enumerate((("row", row), ("col", col), ("offset", offset)), 1):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be int, not "
                            f"{type(v).__name__}")
    for arg, v in (("row", row), ("col", col)):
        if v < 0:
            raise RuntimeError(f"{arg} must be non-negative, got{v}")
    dtype = D.int64 if dtype is None else D.to_dtype(dtype)
    if dtype not in (D.int64, D.int32):
        raise NotImplementedError(f'"{name}" not implemented for \'{TYPE_NAMES[dtype.name]}\'')
    # shape bookkeeping, not tensor data: numpy computes the pattern, then it goes to the device
    r, c = np.indices((row, col)).reshape(2, -1)
    keep = c - r <= offset if lower else c - r >= offset
    from .._creation import tensor
    return tensor(np.stack([r[keep], c[keep]]), dtype=dtype, device=device)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (row, column) coordinates of the lower triangle of a ``row x col`` matrix (the
    entries on or below diagonal ``offset``), as a ``2 x N`` tensor in row-major order."""
    return _triangle("tril_indices", row, col, offset, dtype, device, lower=True)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The coordinates of the upper triangle (on or above diagonal ``offset``), as a ``2 x N``
    tensor."""
    return _triangle("triu_indices", row, col, offset, dtype, device, lower=False)


# ---- block-diagonal matrices --------------------------------------------------------------------
def _as_matrix_shape(shape):
    """A 0-D tensor is a 1x1 block, a 1-D one a single row."""
    return (1, 1) if len(shape) == 0 else (1, shape[0]) if len(shape) == 1 else tuple(shape)


class BlockDiag(Function):
    """The tensors along the diagonal of a zero matrix; each gets its block of the gradient."""
    grad_name = "BlockDiagBackward0"

    @staticmethod
    def forward(ctx, dtype, *tensors):
        shapes = [_as_matrix_shape(t._data.shape) for t in tensors]
        ctx.shapes = [t._data.shape for t in tensors]
        xp = xp_of(tensors[0]._data)
        out = xp.zeros((sum(s[0] for s in shapes), sum(s[1] for s in shapes)), dtype=dtype.np)
        r = c = 0
        for t, (h, w) in zip(tensors, shapes):
            out[r:r + h, c:c + w] = t._data.reshape(h, w)
            r, c = r + h, c + w
        return out

    @staticmethod
    def backward(ctx, grad):
        grads, r, c = [], 0, 0
        for shape, needs in zip(ctx.shapes, ctx.needs_input_grad[1:]):
            h, w = _as_matrix_shape(shape)
            grads.append(grad[r:r + h, c:c + w].reshape(shape) if needs else None)
            r, c = r + h, c + w
        return (None, *grads)


def block_diag(*tensors):
    """A block-diagonal matrix with ``tensors`` (0-, 1- or 2-D) as its blocks, in order."""
    for i, t in enumerate(tensors):
        if not is_tensor(t):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
        if t._data.ndim > 2:
            raise RuntimeError("torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t._data.ndim} dimensions")
        check_same_device(tensors[0]._data, t._data)
    if not tensors:
        from .._creation import empty
        return empty(1, 0)
    return BlockDiag.apply(D.result_type(*tensors), *tensors)


# ---- combinations -------------------------------------------------------------------------------
def combinations(input, r=2, with_replacement=False):
    """The length-``r`` combinations of the elements of a 1-D tensor, one per row, in
    lexicographic order of positions (as ``itertools.combinations``)."""
    if input._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    from .._creation import empty, tensor
    if r == 0:
        return empty(0, dtype=input.dtype, device=input.device)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    positions = np.array(list(pick(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    from .joining import stack
    return stack([input.index_select(0, tensor(col, device=input.device))
                  for col in positions.T], 1)


__methods__ = []
__inplace__ = []
