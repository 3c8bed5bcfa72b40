"""Views: ops whose result shares storage with the input (view, transpose, expand, ...).

Each returns a numpy view of the input's array, so writes through the result reach the base.
``record_view`` remembers how to re-derive the view from its base, which in-place writes
through a view need to rewrite the base's history.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from ..autograd.function import Function
from ..tensor import Tensor
from ._linalg_util import TYPE_NAMES
from ._util import norm_dim, xp_of
from .inplace import _check_leaf, record_view

__all__ = ["view", "reshape", "expand", "expand_as", "broadcast_to", "transpose", "t", "permute",
           "squeeze", "unsqueeze", "flatten", "unflatten", "movedim", "swapaxes", "view_as",
           "reshape_as", "sum_to_size", "adjoint", "mT", "ravel", "moveaxis", "swapdims"]


def _shape_arg(shape):
    """``view(2, 3)``, ``view((2, 3))`` and ``view([2, 3])`` all mean the shape (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _infer(shape, numel):
    """Resolve one -1 in ``shape``; RuntimeError (torch's message) when the sizes disagree."""
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _view_array(x, shape):
    """A view of ``x`` with ``shape``, or None when the strides make that impossible."""
    if type(x) is np.ndarray:
        try:
            return np.reshape(x, shape, copy=False)
        except ValueError:
            return None
    out = x.reshape(shape)                      # cupy: a view keeps the data pointer
    return out if out.size == 0 or out.data.ptr == x.data.ptr else None


class View(Function):
    grad_name = "ViewBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a._data.shape
        out = _view_array(a._data, shape)
        if out is None:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape), None


class Reshape(Function):
    """reshape of a tensor whose strides allow no view: a copy."""
    grad_name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a._data.shape
        return a._data.reshape(shape).copy()

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape), None


def view(input, *shape):
    """The same data with another shape, sharing storage (RuntimeError if strides forbid);
    ``view(dtype)`` reads the same bytes as another dtype."""
    if len(shape) == 1 and isinstance(shape[0], D.dtype):
        return _view_dtype(input, shape[0])
    shape = _infer(_shape_arg(shape), input._data.size)
    out = View.apply(input, shape)
    return record_view(out, input, lambda b: b.view(shape))


def _view_dtype(input, dtype):
    """The bytes of ``input`` reinterpreted as ``dtype``: storage shared, no gradient. With
    another element size the last dim shrinks or grows (it must be contiguous)."""
    x, names = input._data, TYPE_NAMES
    a, b = x.dtype.itemsize, dtype.itemsize
    if a != b:
        what = f"view {names[input.dtype.name]} as {names[dtype.name]} (different element sizes)"
        if x.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 to {what}")
        if x.strides[-1] != a and x.shape[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 to {what}, but got {x.strides[-1] // a}")
        if b > a and x.shape[-1] % (b // a):
            raise RuntimeError(f"self.size(-1) must be divisible by {b // a} to {what}, but got "
                               f"{x.shape[-1]}")
    out = Tensor._make(x.view(dtype.np))
    out._vc, out._base = input._vc, input          # one storage: one version counter
    return out


def reshape(input, *shape):
    """Like view when the strides allow it, otherwise a copy."""
    shape = _infer(_shape_arg(shape), input._data.size)
    if input._data.shape == shape:
        return view(input, shape)
    if _view_array(input._data, shape) is not None:
        return view(input, shape)
    return Reshape.apply(input, shape)


def view_as(input, other):
    """``input.view(other.shape)``."""
    return view(input, tuple(other.shape))


def reshape_as(input, other):
    """``input.reshape(other.shape)``."""
    return reshape(input, tuple(other.shape))


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` into one (a view when possible)."""
    nd = input._data.ndim
    if nd == 0:
        return reshape(input, 1)
    s, e = norm_dim(start_dim, nd), norm_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shp = input._data.shape
    n = 1
    for d in shp[s:e + 1]:
        n *= d
    return reshape(input, shp[:s] + (n,) + shp[e + 1:])


def ravel(input):
    """``input`` flattened to 1-D (a view when possible)."""
    return reshape(input, -1)


def unflatten(input, dim, sizes):
    """Split dim ``dim`` into ``sizes`` (one of them may be -1)."""
    d = norm_dim(dim, input._data.ndim)
    shp = input._data.shape
    if -1 not in sizes and math.prod(sizes) != shp[d]:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({shp[d]}) in the input tensor")
    sizes = _infer(tuple(sizes), shp[d])
    return view(input, shp[:d] + sizes + shp[d + 1:]) if input._data.flags.c_contiguous \
        else reshape(input, shp[:d] + sizes + shp[d + 1:])


class Expand(Function):
    grad_name = "ExpandBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a._data.shape
        return xp_of(a._data).broadcast_to(a._data, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.sum_to_size(ctx.in_shape), None


def expand(input, *sizes):
    """Broadcast size-1 dims to ``sizes`` without copying (-1 keeps a dim)."""
    sizes = _shape_arg(sizes)
    shp = input._data.shape
    if len(sizes) < len(shp):
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(shp)}}}, size={list(sizes)}): the "
                           "number of sizes provided ({}) must be greater or equal to the number "
                           "of dimensions in the tensor ({})".format(len(sizes), len(shp)))
    lead = len(sizes) - len(shp)
    target = []
    for i, s in enumerate(sizes):
        cur = shp[i - lead] if i >= lead else None
        if s == -1:
            if cur is None:
                raise RuntimeError("The expanded size of the tensor (-1) isn't allowed in a "
                                   "leading, non-existing dimension 0")
            s = cur
        elif cur is not None and cur != s and cur != 1:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({cur}) at non-singleton dimension {i}.  Target sizes: "
                               f"{list(sizes)}.  Tensor sizes: {list(shp)}")
        target.append(s)
    target = tuple(target)
    out = Expand.apply(input, target)
    return record_view(out, input, lambda b: b.expand(target))


def expand_as(input, other):
    """``input.expand(other.shape)``."""
    return expand(input, tuple(other.shape))


def broadcast_to(input, size):
    """``input`` broadcast to ``size`` (a view, as ``expand``)."""
    return expand(input, tuple(size))


class SumToSize(Function):
    """Sum over broadcast dims so the result has ``shape`` (the inverse of expand)."""
    grad_name = "SumBackward1"

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a._data.shape
        x = a._data
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                          if s == 1 and x.shape[i + lead] != 1)
        out = x.sum(axis=axes, keepdims=True) if axes else x
        return out.reshape(shape) if lead else out

    @staticmethod
    def backward(ctx, grad):
        return grad.expand(ctx.in_shape), None


def sum_to_size(input, *size):
    """``input`` summed over broadcast dims down to ``size`` (the inverse of ``expand``)."""
    shape = _shape_arg(size)
    if input._data.shape == shape:
        return input
    return SumToSize.apply(input, shape)


class Permute(Function):
    grad_name = "PermuteBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a._data.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        inv = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inv[d] = i
        return grad.permute(inv), None


class Transpose(Function):
    grad_name = "TransposeBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, a, d0, d1):
        ctx.d0, ctx.d1 = d0, d1
        return a._data.swapaxes(d0, d1)

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(ctx.d0, ctx.d1), None, None


class T(Transpose):
    grad_name = "TBackward0"

    @staticmethod
    def forward(ctx, a, d0, d1):
        return a._data.T              # 0-D and 1-D arrays come back as they are (still a view)

    @staticmethod
    def backward(ctx, grad):
        return grad.t(), None, None


def permute(input, *dims):
    """A view with the dims reordered as ``dims``."""
    dims = _shape_arg(dims)
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {nd} is not equal to len(dims) = {len(dims)}"
                           .replace("(sparse_coo)", ""))
    dims = tuple(norm_dim(d, nd) for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    out = Permute.apply(input, dims)
    return record_view(out, input, lambda b: b.permute(dims))


def transpose(input, dim0, dim1):
    """A view with dims ``dim0`` and ``dim1`` swapped."""
    nd = input._data.ndim
    d0, d1 = norm_dim(dim0, nd), norm_dim(dim1, nd)
    out = Transpose.apply(input, d0, d1)
    return record_view(out, input, lambda b: b.transpose(d0, d1))


swapaxes = swapdims = transpose


def t(input):
    """Transpose of a matrix (0-D and 1-D tensors come back as they are)."""
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
    out = T.apply(input, 0, 1)
    return record_view(out, input, lambda b: b.t())


def adjoint(input):
    """The last two dims swapped (the conjugate transpose of real matrices)."""
    return transpose(input, -2, -1)


def mT(input):
    """The last two dims swapped (``Tensor.mT``); needs at least two dims."""
    if input._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {input._data.ndim}-D tensor.")
    return transpose(input, -2, -1)


def movedim(input, source, destination):
    """A view with dims ``source`` moved to positions ``destination``, the others in order."""
    nd = input._data.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src = [norm_dim(s, nd) for s in src]
    dst = [norm_dim(d, nd) for d in dst]
    order = [d for d in range(nd) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, order)


moveaxis = movedim


class Squeeze(Function):
    grad_name = "SqueezeBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, a, dims):
        ctx.in_shape = a._data.shape
        return a._data.reshape(tuple(s for i, s in enumerate(a._data.shape) if i not in dims))

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape), None


class SqueezeDim(Squeeze):
    grad_name = "SqueezeBackward1"        # squeeze(int); squeeze(tuple) is SqueezeBackward2


class SqueezeDims(Squeeze):
    grad_name = "SqueezeBackward2"


class Unsqueeze(Function):
    grad_name = "UnsqueezeBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return xp_of(a._data).expand_dims(a._data, dim)

    @staticmethod
    def backward(ctx, grad):
        return grad.squeeze(ctx.dim), None


def squeeze(input, dim=None, *, axis=None):
    """Remove size-1 dims (all of them, or those in ``dim``)."""
    dim = axis if dim is None else dim
    shp = input._data.shape
    if dim is None:
        dims = tuple(i for i, s in enumerate(shp) if s == 1)
    else:
        ds = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = tuple(d for d in (norm_dim(d, len(shp)) for d in ds) if shp and shp[d] == 1)
    cls = Squeeze if dim is None else SqueezeDim if isinstance(dim, int) else SqueezeDims
    out = cls.apply(input, dims)
    return record_view(out, input, lambda b: b.squeeze(dims))


def unsqueeze(input, dim):
    """Insert a size-1 dim at ``dim`` (which may be ``ndim``, the end)."""
    d = norm_dim(dim, input._data.ndim + 1)
    out = Unsqueeze.apply(input, d)
    return record_view(out, input, lambda b: b.unsqueeze(d))


# ---- in-place view ops: the tensor itself takes the new shape --------------------------------
def _reshape_in_place(name, fn):
    def method(self, *args, **kwargs):
        _check_leaf(self)
        result = fn(self, *args, **kwargs)
        self._data = result._data              # a view of the same storage
        if result._requires_grad:
            self.grad_fn, self._output_nr = result.grad_fn, result._output_nr
        return self
    method.__name__ = name
    method.__doc__ = f"In-place :meth:`{name[:-1]}`: this tensor takes the new shape."
    return method


squeeze_ = _reshape_in_place("squeeze_", squeeze)
unsqueeze_ = _reshape_in_place("unsqueeze_", unsqueeze)
t_ = _reshape_in_place("t_", t)
transpose_ = _reshape_in_place("transpose_", transpose)
swapaxes_ = swapdims_ = transpose_

__methods__ = [n for n in __all__ if n != "mT"] + ["squeeze_", "unsqueeze_", "t_", "transpose_",
                                                   "swapaxes_", "swapdims_"]
__inplace__ = []
