"""Joining and splitting: cat, stack, split, chunk, unbind, narrow, broadcast_tensors, meshgrid.

``cat`` and ``stack`` glue tensors along a dim; their gradient cuts the incoming gradient back
into pieces. ``split``, ``chunk``, ``unbind`` and ``narrow`` do the opposite and return *views*
(writing into a piece changes the base); their gradient glues the pieces' gradients together.
The ops that rearrange one tensor (flip, roll, repeat, diagonals, ...) are in ``rearranging.py``.
"""
from __future__ import annotations

import functools

from .. import _dtype as D
from ..autograd.function import Function
from ..tensor import Tensor
from ._util import check_same_device, norm_dim, xp_of
from .broadcasting import *  # noqa: F401,F403
from .broadcasting import __all__ as _broadcasting_all, meshgrid
from .inplace import copy_into_out, record_view
from .rearranging import *  # noqa: F401,F403  (flip, roll, repeat, tril, diag, unfold, ...)
from .rearranging import _zeros
from .rearranging import __all__ as _rearranging_all, __inplace__ as _rearranging_inplace
from .rearranging import __methods__ as _rearranging_methods, repeat, unfold  # noqa: F401

_JOINING = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack",
            "column_stack", "split", "chunk", "unbind", "tensor_split", "hsplit", "vsplit",
            "dsplit", "narrow", "cartesian_prod", "atleast_1d", "atleast_2d", "atleast_3d"]
__all__ = _JOINING + _broadcasting_all + _rearranging_all


def axis_alias(fn):
    """Let ``axis=`` stand for ``dim=``, as in torch: ``x.gather(axis=1, index=i)``."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if "axis" in kwargs:
            kwargs["dim"] = kwargs.pop("axis")
        return fn(*args, **kwargs)
    return wrapper


def dim_of(input, dim):
    """``norm_dim`` for ops that need a real dim: torch's IndexError for a 0-dim tensor."""
    if input._data.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return norm_dim(dim, input._data.ndim)


def _at_least_1d(input, message):
    if input._data.ndim == 0:
        raise RuntimeError(message)


def _along(dim, index):
    """The index tuple that applies ``index`` (a slice or an int) to dimension ``dim``."""
    return (slice(None),) * dim + (index,)


def _tensor_list(tensors, op):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return list(tensors)


# ---- cat and stack ----------------------------------------------------------------------------
class Cat(Function):
    grad_name = "CatBackward0"

    @staticmethod
    def forward(ctx, dim, dtype, *tensors):
        ctx.dim, ctx.sizes = dim, [t._data.shape[dim] for t in tensors]
        arrays = [t._data.astype(dtype.np, copy=False) for t in tensors]
        return xp_of(arrays[0]).concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        grads, start = [], 0
        for size in ctx.sizes:
            grads.append(grad[_along(ctx.dim, slice(start, start + size))])
            start += size
        return (None, None, *grads)


def cat(tensors, dim=0, *, out=None, axis=None):
    """Concatenate tensors along an existing ``dim`` (dtypes promoted as torch does)."""
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("autodiff.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    dim = dim if axis is None else axis
    real = [(i, t) for i, t in enumerate(tensors) if t._data.shape != (0,)] or [(0, tensors[0])]
    ref = real[0][1]
    d = norm_dim(dim, ref._data.ndim)
    for i, t in real[1:]:
        check_same_device(ref._data, t._data)
        if t._data.ndim != ref._data.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got "
                               f"{ref._data.ndim} and {t._data.ndim}")
        for k, (a, b) in enumerate(zip(ref._data.shape, t._data.shape)):
            if k != d and a != b:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {a} but got size {b} for tensor number {i} "
                                   "in the list.")
    dtype = D.result_type(*tensors)
    if len(real) < len(tensors):        # legacy: 1-D empty tensors are skipped
        tensors = [t for _, t in real]
    result = Cat.apply(d, dtype, *tensors)
    return result if out is None else copy_into_out(out, result)


concat = concatenate = cat


class Stack(Function):
    grad_name = "StackBackward0"

    @staticmethod
    def forward(ctx, dim, dtype, *tensors):
        ctx.dim = dim
        arrays = [t._data.astype(dtype.np, copy=False) for t in tensors]
        return xp_of(arrays[0]).stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return (None, None, *grad.unbind(ctx.dim))


@axis_alias
def stack(tensors, dim=0, *, out=None):
    """Join equally shaped tensors along a *new* dimension ``dim``."""
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        check_same_device(tensors[0]._data, t._data)
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(t._data.shape)} at entry {i}")
    d = norm_dim(dim, len(shape) + 1)
    result = Stack.apply(d, D.result_type(*tensors), *tensors)
    return result if out is None else copy_into_out(out, result)


def hstack(tensors, *, out=None):
    """Concatenate column-wise: along dim 1, or dim 0 for 1-D tensors."""
    tensors = atleast_1d(_tensor_list(tensors, "hstack"))
    return cat(tensors, 0 if tensors and tensors[0].ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    """Concatenate row-wise (1-D tensors become rows)."""
    return cat(atleast_2d(_tensor_list(tensors, "vstack")), 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    """Concatenate depth-wise, along dim 2."""
    return cat(atleast_3d(_tensor_list(tensors, "dstack")), 2, out=out)


def column_stack(tensors, *, out=None):
    """Make 0-D and 1-D tensors columns, then concatenate along dim 1."""
    tensors = _tensor_list(tensors, "column_stack")
    cols = [t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in tensors]
    return cat(cols, 1, out=out)


# ---- splitting into views ---------------------------------------------------------------------
def _refuse_inplace(out, src, name, i):
    """Views from a multi-view op may not be written in place while autograd records."""
    def view_fn(base):
        raise RuntimeError(
            f"Output {i} of {name} is a view and is being modified inplace. This view is the "
            "output of a function that returns multiple views. Such functions do not allow the "
            "output views to be modified inplace. You should replace the inplace operation by "
            "an out-of-place one.")
    return record_view(out, src, view_fn)


class Split(Function):
    """Cut along ``dim`` into pieces of the given sizes: views of the input."""
    grad_name = "SplitBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, a, dim, sizes):
        ctx.dim = dim
        ctx.set_materialize_grads(False)        # unused pieces: zeros made on the right device
        x, outs, start = a._data, [], 0
        for size in sizes:
            outs.append(x[_along(dim, slice(start, start + size))])
            start += size
        ctx.shapes = [o.shape for o in outs]
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        return cat(_fill_missing(grads, ctx.shapes), ctx.dim), None, None


def _fill_missing(grads, shapes):
    """The gradients of unused outputs as zeros like those of the used ones."""
    ref = next(g for g in grads if g is not None)
    return [_zeros(s, ref) if g is None else g for g, s in zip(grads, shapes)]


class SplitWithSizes(Split):
    grad_name = "SplitWithSizesBackward0"


def _split(input, dim, sizes, cls):
    outs = cls.apply(input, dim, tuple(sizes))
    name = cls.grad_name[:-len("Backward0")]
    return tuple(_refuse_inplace(o, input, name, i) for i, o in enumerate(outs))


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes."""
    _at_least_1d(tensor, "split expects at least a 1-dimensional tensor")
    d = norm_dim(dim, tensor._data.ndim)
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if any(s < 0 for s in sizes):
            raise RuntimeError("split_with_sizes expects split_sizes have only non-negative "
                               f"entries, but got split_sizes={sizes}")
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got "
                               f"split_sizes={sizes}")
        return _split(tensor, d, sizes, SplitWithSizes)
    size = int(split_size_or_sections)
    if size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
    if size == 0 and n != 0:
        raise RuntimeError("split_size can only be 0 if dimension size is 0, but got dimension "
                           f"size of {n}")
    sizes = [min(size, n - s) for s in range(0, n, size)] if n else [0]
    return _split(tensor, d, sizes, Split)


@axis_alias
def chunk(input, chunks, dim=0):
    """``chunks`` pieces of (nearly) equal size along ``dim`` (fewer when it does not divide)."""
    _at_least_1d(input, "chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input._data.shape[norm_dim(dim, input._data.ndim)]
    return split(input, max(-(-n // chunks), 1) if n else 0, dim)


class Unbind(Function):
    """All slices along ``dim``, each without that dim: views of the input."""
    grad_name = "UnbindBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        ctx.set_materialize_grads(False)
        outs = tuple(a._data[_along(dim, i)] for i in range(a._data.shape[dim]))
        ctx.shapes = [o.shape for o in outs]
        return outs

    @staticmethod
    def backward(ctx, *grads):
        return stack(_fill_missing(grads, ctx.shapes), ctx.dim), None


@axis_alias
def unbind(input, dim=0):
    """All slices along ``dim``, each without that dim (views of ``input``)."""
    d = dim_of(input, dim)
    if input._data.shape[d] == 0:
        return ()
    outs = Unbind.apply(input, d)
    return tuple(_refuse_inplace(o, input, "Unbind", i) for i, o in enumerate(outs))


@axis_alias
def tensor_split(input, indices_or_sections, dim=0):
    """Split into ``n`` near-equal sections, or at the given indices (each piece a slice view)."""
    _at_least_1d(input, "tensor_split expected at least a 1-dimensional tensor, but got a "
                        "tensor with 0 dims")
    d = norm_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    cuts = indices_or_sections
    if isinstance(cuts, Tensor):
        if cuts.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               "zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {cuts.ndim} dims")
        cuts = cuts.item() if cuts.ndim == 0 else cuts.tolist()
    if isinstance(cuts, (list, tuple)):
        bounds = [0] + [int(c) for c in cuts] + [n]
    else:
        if cuts <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {cuts}")
        q, r = divmod(n, cuts)
        sizes = [q + 1] * r + [q] * (cuts - r)
        bounds = [0] + [sum(sizes[:i + 1]) for i in range(cuts)]
    return tuple(input[_along(d, slice(a, max(a, b)))] for a, b in zip(bounds, bounds[1:]))


def _split_dim(input, sections, dim, name):
    if isinstance(sections, int) and input._data.shape[dim] % sections:
        raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size "
                           f"of the dimension {input._data.shape[dim]} is not divisible by the "
                           f"split_size {sections}!")
    return tensor_split(input, sections, dim)


def hsplit(input, indices_or_sections):
    """``tensor_split`` along dim 1 (dim 0 for 1-D tensors); sections must divide evenly."""
    if input._data.ndim < 1:
        raise RuntimeError("torch.hsplit requires a tensor with at least 1 dimension, but got a "
                           "tensor with 0 dimensions!")
    return _split_dim(input, indices_or_sections, 1 if input._data.ndim > 1 else 0, "hsplit")


def vsplit(input, indices_or_sections):
    """``tensor_split`` along dim 0 of a tensor with at least two dims."""
    if input._data.ndim < 2:
        raise RuntimeError("torch.vsplit requires a tensor with at least 2 dimension, but got a "
                           f"tensor with {input._data.ndim} dimensions!")
    return _split_dim(input, indices_or_sections, 0, "vsplit")


def dsplit(input, indices_or_sections):
    """``tensor_split`` along dim 2 of a tensor with at least three dims."""
    if input._data.ndim < 3:
        raise RuntimeError("torch.dsplit requires a tensor with at least 3 dimension, but got a "
                           f"tensor with {input._data.ndim} dimensions!")
    return _split_dim(input, indices_or_sections, 2, "dsplit")


@axis_alias
def narrow(input, dim, start, length):
    """The view ``input[..., start:start + length, ...]`` along ``dim``."""
    if input._data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = norm_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    start, length = int(start), int(length)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    start %= max(n, 1)
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return input[_along(d, slice(start, start + length))]


# ---- products and dims -----------------------------------------------------------------------
def cartesian_prod(*tensors):
    """All combinations of the elements of 1-D tensors, one per row."""
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    return stack([g.flatten() for g in meshgrid(*tensors, indexing="ij")], 1)


def _atleast(n, tensors):
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    out = []
    for t in tensors:
        if t._data.ndim >= n:
            out.append(t)
        elif t._data.ndim == 0:
            out.append(t.reshape((1,) * n))
        elif t._data.ndim == 1:
            out.append(t.unsqueeze(0) if n == 2 else t.unsqueeze(0).unsqueeze(-1))
        else:
            out.append(t.unsqueeze(-1))
    return out[0] if single else tuple(out)


def atleast_1d(*tensors):
    """0-D tensors become 1-D; a list of tensors gives a tuple."""
    return _atleast(1, tensors)


def atleast_2d(*tensors):
    """Tensors with fewer than two dims get leading size-1 dims."""
    return _atleast(2, tensors)


def atleast_3d(*tensors):
    """Tensors with fewer than three dims get size-1 dims (1-D: (1, n, 1); 2-D: (m, n, 1))."""
    return _atleast(3, tensors)


__methods__ = ["split", "chunk", "unbind", "tensor_split", "hsplit", "vsplit", "dsplit",
               "narrow"] + _rearranging_methods
__inplace__ = list(_rearranging_inplace)
