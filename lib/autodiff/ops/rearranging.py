"""Rearranging one tensor: repeat, tile, repeat_interleave, flip, roll, rot90, tril/triu,
diagonals (diag, diagonal, diag_embed, diagonal_scatter) and sliding windows (unfold).

Each gradient is the "opposite" rearrangement: flip and roll undo themselves, repeat sums the
copies, a diagonal's gradient is scattered back onto a diagonal of zeros, and so on. All are
written with tensor ops, so they are differentiable again. (Part of the joining family:
``joining.py`` re-exports these names.)
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from ._util import norm_dim, xp_of
from .inplace import record_view

__all__ = ["tile", "repeat_interleave", "flip", "fliplr", "flipud", "roll", "rot90", "tril",
           "triu", "diag", "diagonal", "diag_embed", "diagonal_scatter", "diff"]


def _zeros(shape, like):
    from .._creation import zeros
    return zeros(shape, dtype=like.dtype, device=like.device)


# ---- repeating ----------------------------------------------------------------------------------
class Repeat(Function):
    grad_name = "RepeatBackward0"

    @staticmethod
    def forward(ctx, a, reps):
        x = a._data
        ctx.in_shape, ctx.reps = x.shape, reps
        ctx.padded = (1,) * (len(reps) - x.ndim) + x.shape
        return xp_of(x).tile(x, reps)

    @staticmethod
    def backward(ctx, grad):
        # Output dim i holds reps[i] copies of a block of size padded[i]: split it in two
        # dims (copy, position) and sum over the copies.
        pairs = [n for rs in zip(ctx.reps, ctx.padded) for n in rs]
        g = grad.reshape(pairs).sum(tuple(range(0, len(pairs), 2)))
        return g.reshape(ctx.in_shape), None


def repeat(input, *sizes):
    """Repeat the whole tensor ``sizes[i]`` times along dim ``i`` (leading dims may be added)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = sizes[0]
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    shape = (1,) * (len(sizes) - input._data.ndim) + input._data.shape
    out = [r * s for r, s in zip(sizes, shape)]
    for n in out:
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {out}")
    return Repeat.apply(input, sizes)


def tile(input, dims):
    """Like ``repeat``, but ``dims`` shorter than the tensor's rank is padded with ones."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return repeat(input, (1,) * (input._data.ndim - len(dims)) + dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None, axis=None):
    """Repeat each element (or slice along ``dim``) ``repeats`` times, next to itself.

    ``repeat_interleave(counts)`` alone gives ``i`` repeated ``counts[i]`` times.
    """
    if repeats is None:
        return _repeat_indices(input)
    dim = axis if dim is None else dim
    if dim is None:
        input, dim = input.reshape(-1), 0
    d = norm_dim(dim, input._data.ndim)
    if isinstance(repeats, Tensor) and repeats.numel() != 1 or isinstance(repeats, (list, tuple)):
        from .._creation import tensor
        reps = repeats if isinstance(repeats, Tensor) else tensor(repeats)
        if reps._data.ndim != 1 or reps.shape[0] != input.shape[d]:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {reps.numel()} and input.size({d}) = "
                               f"{input.shape[d]}")
        return input.index_select(d, _repeat_indices(reps))
    r = int(repeats)
    if r < 0:
        raise RuntimeError("Repeats must be non-negative")
    shape = list(input.shape)
    wide = input.unsqueeze(d + 1).expand(*shape[:d + 1], r, *shape[d + 1:])
    shape[d] *= r
    return wide.clone().view(shape)


def _repeat_indices(counts):
    """``[0]*counts[0] + [1]*counts[1] + ...`` as an int64 tensor."""
    c = counts._data
    if c.ndim != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if c.dtype.kind not in "iu":
        raise NotImplementedError(f'"repeat_interleave_cpu" not implemented for '
                                  f"'{counts.dtype.name.capitalize()}'")
    xp = xp_of(c)
    if c.size and int(c.min()) < 0:
        raise RuntimeError("repeats can not be negative")
    return Tensor._make(xp.repeat(xp.arange(c.size, dtype=xp.int64), c))


# ---- flips and rotations ----------------------------------------------------------------------
class Flip(Function):
    grad_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return xp_of(a._data).flip(a._data, dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return grad.flip(ctx.dims), None


def flip(input, *dims):
    """Reverse the order of elements along ``dims`` (a copy, as in torch)."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    if input._data.ndim == 0:
        return Flip.apply(input, ())                # nothing to reverse; still a copy
    axes = [norm_dim(d, input._data.ndim) for d in dims]
    for a in axes:
        if axes.count(a) > 1:
            raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
    return Flip.apply(input, tuple(axes))


def fliplr(input):
    """Reverse the columns (dim 1)."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input):
    """Reverse the rows (dim 0)."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


class Roll(Function):
    grad_name = "RollBackward0"

    @staticmethod
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return xp_of(a._data).roll(a._data, shifts, dims)

    @staticmethod
    def backward(ctx, grad):
        back = tuple(-s for s in ctx.shifts) if ctx.dims is not None else -ctx.shifts
        return grad.roll(back, ctx.dims), None, None


def roll(input, shifts, dims=None):
    """Shift elements cyclically along ``dims`` (no dims: over the flattened tensor)."""
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = () if dims is None else (dims,) if isinstance(dims, int) else tuple(dims)
    if not dims:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return Roll.apply(input, shifts[0], None)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    if input._data.ndim == 0:
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
    return Roll.apply(input, shifts, tuple(norm_dim(d, input._data.ndim) for d in dims))


class Rot90(Function):
    grad_name = "Rot90Backward0"

    @staticmethod
    def forward(ctx, a, k, dims):
        ctx.k, ctx.dims = k, dims
        return xp_of(a._data).rot90(a._data, k, dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return grad.rot90(-ctx.k, ctx.dims), None, None


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times, from the first towards the second of ``dims``."""
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input._data.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input._data.ndim}")
    d0, d1 = (norm_dim(d, input._data.ndim) for d in dims)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    return Rot90.apply(input, k % 4, (d0, d1))


# ---- triangles and diagonals ------------------------------------------------------------------
class Tril(Function):
    grad_name = "TrilBackward0"
    upper = False

    @classmethod
    def forward(cls, ctx, a, k):
        ctx.k = k
        xp = xp_of(a._data)
        return (xp.triu if cls.upper else xp.tril)(a._data, k)

    @classmethod
    def backward(cls, ctx, grad):
        return (grad.triu if cls.upper else grad.tril)(ctx.k), None


class Triu(Tril):
    grad_name = "TriuBackward0"
    upper = True


def tril(input, diagonal=0):
    """The lower triangle (on and below diagonal ``k``) of the last two dims; zeros elsewhere."""
    if input._data.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tril.apply(input, int(diagonal))


def triu(input, diagonal=0):
    """The upper triangle (on and above diagonal ``k``) of the last two dims."""
    if input._data.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Triu.apply(input, int(diagonal))


def _diagonal_view(x, offset, d1, d2):
    """A *writeable* view of a diagonal (numpy hands diagonals out read-only)."""
    d = x.diagonal(offset, d1, d2)
    if isinstance(d, np.ndarray) and not d.flags.writeable and x.flags.writeable:
        d.flags.writeable = True
    return d


def _diag_dims(ndim, dim1, dim2):
    d1, d2 = norm_dim(dim1, ndim), norm_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


class Diagonal(Function):
    """The diagonal of the (``dim1``, ``dim2``) planes, as a view in a new last dim."""
    grad_name = "DiagonalBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, a, offset, d1, d2):
        ctx.args, ctx.in_shape = (offset, d1, d2), a._data.shape
        return _diagonal_view(a._data, offset, d1, d2)

    @staticmethod
    def backward(ctx, grad):
        return diagonal_scatter(_zeros(ctx.in_shape, grad), grad, *ctx.args), None, None, None


class DiagonalCopy(Diagonal):
    """``diag`` of a matrix: the diagonal as a new tensor (torch's node name says so)."""
    grad_name = "DiagonalBackward0_copy"
    is_view = False

    @staticmethod
    def forward(ctx, a, offset, d1, d2):
        return Diagonal.forward(ctx, a, offset, d1, d2).copy()


def diagonal(input, offset=0, dim1=0, dim2=1):
    """A view of the diagonal ``offset`` of the planes spanned by ``dim1`` and ``dim2``."""
    d1, d2 = _diag_dims(input._data.ndim, dim1, dim2)
    out = Diagonal.apply(input, int(offset), d1, d2)
    return record_view(out, input, lambda b: Diagonal.apply(b, int(offset), d1, d2))


class DiagonalScatter(Function):
    grad_name = "DiagonalScatterBackward0"

    @staticmethod
    def forward(ctx, a, src, offset, d1, d2):
        ctx.args = (offset, d1, d2)
        out = a._data.copy()
        view = _diagonal_view(out, offset, d1, d2)
        if view.shape != src._data.shape:
            raise RuntimeError(f"expected src to have a size equal to the slice of self. src "
                               f"size = {list(src.shape)}, slice size = {list(view.shape)}")
        view[...] = src._data
        return out

    @staticmethod
    def backward(ctx, grad):
        g_src = grad.diagonal(*ctx.args)
        g_a = diagonal_scatter(grad, g_src * 0, *ctx.args) if ctx.needs_input_grad[0] else None
        return g_a, g_src, None, None, None


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of ``input`` with ``src`` written onto ``input.diagonal(offset, dim1, dim2)``."""
    d1, d2 = _diag_dims(input._data.ndim, dim1, dim2)
    return DiagonalScatter.apply(input, src, int(offset), d1, d2)


class DiagEmbed(Function):
    """The last dim of the input laid on the diagonals of new (``dim1``, ``dim2``) planes."""
    grad_name = "DiagEmbedBackward0"

    @staticmethod
    def forward(ctx, a, offset, d1, d2):
        x = a._data
        ctx.args = (offset, d1, d2)
        n = x.shape[-1] + abs(offset) if x.ndim else 1 + abs(offset)
        shape = list(x.shape[:-1])
        for d in sorted((d1, d2)):
            shape.insert(d, n)
        out = xp_of(x).zeros(shape, dtype=x.dtype)
        _diagonal_view(out, offset, d1, d2)[...] = x
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad.diagonal(*ctx.args), None, None, None


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices (in dims ``dim1``, ``dim2``) whose diagonal ``offset`` is the input's last dim."""
    d1, d2 = _diag_dims(input._data.ndim + 1, dim1, dim2)
    return DiagEmbed.apply(input, int(offset), d1, d2)


def diag(input, diagonal=0):
    """1-D: a matrix with the vector on diagonal ``diagonal``; 2-D: that diagonal, copied."""
    nd = input._data.ndim
    if nd == 1:
        return DiagEmbed.apply(input, int(diagonal), 0, 1)
    if nd != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")
    return DiagonalCopy.apply(input, int(diagonal), 0, 1)


# ---- sliding windows --------------------------------------------------------------------------
class Unfold(Function):
    """Windows of ``size`` every ``step`` along ``dim``: a strided view (windows in a new dim)."""
    grad_name = "UnfoldBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, a, dim, size, step):
        x = a._data
        ctx.in_shape, ctx.args = x.shape, (dim, size, step)
        shape = list(x.shape)
        shape[dim] = (shape[dim] - size) // step + 1
        strides = list(x.strides)
        strides[dim] *= step
        return xp_of(x).lib.stride_tricks.as_strided(x, shape + [size], strides + [x.strides[dim]])

    @staticmethod
    def backward(ctx, grad):
        return UnfoldBackward.apply(grad, ctx.in_shape, *ctx.args), None, None, None


class UnfoldBackward(Function):
    """Add every window back onto its place (overlapping windows add up)."""
    grad_name = "UnfoldBackwardBackward0"

    @staticmethod
    def forward(ctx, g, in_shape, dim, size, step):
        ctx.args = (dim, size, step)
        x = g._data
        out = xp_of(x).zeros(in_shape, dtype=x.dtype)
        n = x.shape[dim]
        for j in range(size):                        # element j of every window
            out[(slice(None),) * dim + (slice(j, j + step * (n - 1) + 1, step),)] += x[..., j]
        return out

    @staticmethod
    def backward(ctx, grad):
        return unfold(grad, *ctx.args), None, None, None, None


def unfold(input, dimension, size, step):
    """All windows of length ``size`` taken every ``step`` along ``dimension`` (a view)."""
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if input._data.ndim == 0:
        if size > 1:
            raise RuntimeError(f"maximum size for tensor at dimension 0 is 1 but size is {size}")
        return input.reshape(1)
    d = norm_dim(dimension, input._data.ndim)
    n = input._data.shape[d]
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    out = Unfold.apply(input, d, int(size), int(step))
    return record_view(out, input, lambda b: Unfold.apply(b, d, int(size), int(step)))


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim`` (``out[i] = x[i + 1] - x[i]``), after
    ``prepend`` / ``append`` are joined on; for bool tensors, ``x[i + 1] != x[i]``."""
    from .joining import cat, narrow
    if input._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = norm_dim(dim, input._data.ndim)
    parts = [t for t in (prepend, input, append) if t is not None]
    x = cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        length = x._data.shape[d] - 1
        if length < 0:
            break
        later, earlier = narrow(x, d, 1, length), narrow(x, d, 0, length)
        x = later != earlier if x._data.dtype == bool else later - earlier
    return x if n else x.clone()


__methods__ = __all__ + ["repeat", "unfold"]
__inplace__ = ["tril", "triu"]
