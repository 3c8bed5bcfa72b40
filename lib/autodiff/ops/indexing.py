"""``tensor[index]`` and ``tensor[index] = value``, plus ``index_put`` and ``where``.

Indexing follows numpy's rules, which torch shares: ints, slices, ``...`` and ``None`` give a
*view*; integer/boolean tensors or lists ("advanced" indices) give a copy. The gradient of an
index is an ``index_put`` of the gradient into zeros, and the other way round, so both are
differentiable to any order.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..backend import xp_of
from ..tensor import Tensor
from ._util import promote
from .inplace import _type_name, apply_inplace, copy_, record_view

__all__ = ["getitem", "setitem", "index_put", "index_put_", "where", "select", "is_nonzero"]


def _normalize(t: Tensor, index):
    """A tuple index for the array of ``t`` and whether it is basic (a view)."""
    if isinstance(index, list) and len(index) < 32 and any(
            i is None or i is Ellipsis or isinstance(i, (slice, list, tuple, Tensor))
            for i in index):
        index = tuple(index)          # torch reads x[[[0, 1], [1, 2]]] as x[[0, 1], [1, 2]]
        import warnings
        warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated; "
                      "use x[tuple(seq)] instead of x[seq].", UserWarning, stacklevel=3)
    if not isinstance(index, tuple):
        index = (index,)
    xp = xp_of(t._data)
    out, basic = [], True
    for i in index:
        if isinstance(i, Tensor):
            if i._data.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if i._data.ndim == 0 and i._data.dtype.kind in "iu":
                out.append(int(i._data))
                continue
            i = i._data if xp is xp_of(i._data) else xp.asarray(i._data)
            basic = False
        elif isinstance(i, (list, np.ndarray)) or hasattr(i, "__cuda_array_interface__"):
            arr = xp.asarray(i)
            if arr.dtype.kind == "f" or arr.dtype == object:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            i, basic = arr, False
        elif isinstance(i, slice):
            if i.step is not None and int(i.step) <= 0:
                raise ValueError("step must be greater than zero")
        elif isinstance(i, bool):
            basic = False                 # x[True] adds a dim, as a copy
        elif i is None or i is Ellipsis:
            pass
        elif isinstance(i, (int, np.integer)):
            i = int(i)
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             f"byte Variables are valid indices (got {type(i).__name__})")
        out.append(i)
    if basic and not any(i is Ellipsis for i in out):
        out.append(Ellipsis)          # so that an int index still returns a 0-d *view*
    return tuple(out), basic


def _index_error(e, t, index=()):
    """numpy's IndexError in torch's words."""
    msg = str(e)
    single = len(index) > 0 and isinstance(index[0], int) and \
        sum(i is not Ellipsis and i is not None for i in index) == 1     # t[0] on a 0-dim t
    if msg.startswith("too many indices") and t._data.ndim == 0 and single:
        msg = ("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
               "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    elif msg.startswith("too many indices"):
        msg = f"too many indices for tensor of dimension {t._data.ndim}"
    elif msg.startswith("boolean index did not match"):
        msg = _mask_mismatch(msg, t, index) or msg
    return IndexError(msg.replace("axis", "dimension"))


def _mask_mismatch(msg, t, index):
    """torch's message for a boolean mask whose shape does not fit the indexed tensor."""
    import re
    found = re.search(r"along (?:axis|dimension) (\d+)", msg)
    masks = [i for i, x in enumerate(index) if getattr(x, "dtype", None) == bool]
    if not found or not masks:
        return None
    k = masks[0]
    mask = index[k]

    def used(x):                         # how many dims of the tensor an index entry consumes
        return 0 if x is None or x is Ellipsis else getattr(x, "ndim", 1) or 1
    if any(x is Ellipsis for x in index[:k]):
        start = t._data.ndim - sum(used(x) for x in index[k:])
    else:
        start = sum(used(x) for x in index[:k])
    dim = int(found.group(1))
    # torch applies the integer indices first: their dims are gone from the tensor it names
    int_dims, j = set(), 0
    for x in index[:k]:
        if isinstance(x, int) and x is not Ellipsis:
            int_dims.add(j)
        j += used(x) if x is not Ellipsis else t._data.ndim - sum(used(y) for y in index)
    shape = [n for d, n in enumerate(t.shape) if d not in int_dims]
    return (f"The shape of the mask {list(mask.shape)} at index {dim - start} does not match the "
            f"shape of the indexed tensor {shape} at index {dim - len(int_dims)}")


class Select(Function):
    """Basic indexing: a view."""
    grad_name = "SelectBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, a, index):
        ctx.index, ctx.in_shape = index, a._data.shape
        try:
            return a._data[index]
        except IndexError as e:
            raise _index_error(e, a, index) from None

    @staticmethod
    def backward(ctx, grad):
        from .._creation import zeros
        base = zeros(ctx.in_shape, dtype=grad.dtype, device=grad.device)
        return IndexPut.apply(base, ctx.index, grad, True), None


class Slice(Select):
    grad_name = "SliceBackward0"


class IndexUnsqueeze(Select):
    grad_name = "UnsqueezeBackward0"


class Alias(Select):
    grad_name = "AliasBackward0"


def _basic_node(shape, idx):
    """The node torch names a basic index after: its last step that does something (select,
    slice or unsqueeze); an index that keeps everything (``x[:]``, ``x[...]``) is an alias."""
    used = sum(i is not None and i is not Ellipsis for i in idx)
    node, dim = Alias, 0
    for i in idx:
        if i is Ellipsis:
            dim += len(shape) - used
        elif i is None:
            node = IndexUnsqueeze
        elif isinstance(i, slice):
            if dim < len(shape) and i.indices(shape[dim]) != (0, shape[dim], 1):
                node = Slice
            dim += 1
        else:
            node, dim = Select, dim + 1
    return node


class Index(Select):
    """Advanced indexing: the same maths, but the result is a copy."""
    grad_name = "IndexBackward0"
    is_view = False


class IndexPut(Function):
    """A copy of ``base`` with ``base[index] = values`` (or ``+=`` when ``accumulate``)."""
    grad_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, base, index, values, accumulate):
        ctx.index, ctx.accumulate = index, accumulate
        out = base._data.copy()
        v = values._data.astype(out.dtype, copy=False)
        try:
            if accumulate:
                from ..backend import scatter_add
                scatter_add(out, index, v)
            else:
                out[index] = v
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(values.shape)} "
                               f"cannot be broadcast to indexing result of shape "
                               f"{list(out[index].shape)}") from None
        return out

    @staticmethod
    def backward(ctx, grad):
        g_base = grad
        if not ctx.accumulate and ctx.needs_input_grad[0]:
            g_base = IndexPut.apply(grad, ctx.index, grad[ctx.index] * 0, False)
        g_values = _take(grad, ctx.index) if ctx.needs_input_grad[2] else None
        return g_base, None, g_values, None


def _take(t, index):
    return Select.apply(t, index) if _is_basic(index) else Index.apply(t, index)


def _is_basic(index):
    return all(i is None or i is Ellipsis or isinstance(i, slice)
               or (isinstance(i, int) and not isinstance(i, bool)) for i in index)


def getitem(t: Tensor, index):
    """``t[index]``."""
    idx, basic = _normalize(t, index)
    if not basic:
        return Index.apply(t, idx)
    out = _basic_node(t._data.shape, idx).apply(t, idx)
    return record_view(out, t, lambda b: Select.apply(b, idx))


def _as_value(t: Tensor, value):
    if isinstance(value, Tensor):
        return value
    from .._creation import tensor
    return tensor(value, dtype=t.dtype, device=t.device)


def setitem(t: Tensor, index, value):
    """``t[index] = value``: in place, differentiable with respect to ``t`` and ``value``."""
    idx, basic = _normalize(t, index)
    if basic:
        view = record_view(Select.apply(t, idx), t, lambda b: Select.apply(b, idx))
        copy_(view, value)
        return
    value = _as_value(t, value)
    apply_inplace(t, IndexPut.apply(t, idx, value, False), cast=True)


def index_put(input, indices, values, accumulate=False):
    """Out of place ``input[indices] = values`` (``+=`` with ``accumulate``)."""
    idx, _ = _normalize(input, tuple(indices))
    return IndexPut.apply(input, idx, _as_value(input, values), accumulate)


def index_put_(input, indices, values, accumulate=False):
    """In place ``input[indices] = values`` (``+=`` with ``accumulate``)."""
    return apply_inplace(input, index_put(input, indices, values, accumulate), cast=True)


class Where(Function):
    grad_name = "WhereBackward0"
    _operands = (1, 2)          # the condition is not differentiable

    @staticmethod
    def forward(ctx, cond, a, b):
        x, y = promote(a, b)
        c = cond._data
        ctx.save_for_backward(cond)
        return xp_of(c).where(c, x, y)

    @staticmethod
    def backward(ctx, grad):
        cond, = ctx.saved_tensors
        zero = grad * 0
        ga = where(cond, grad, zero) if ctx.needs_input_grad[1] else None
        gb = where(cond, zero, grad) if ctx.needs_input_grad[2] else None
        return None, ga, gb


def where(condition, input=None, other=None):
    """``input`` where ``condition`` holds, else ``other`` (numbers allowed, broadcasting)."""
    if input is None and other is None:
        from .selection import nonzero
        return nonzero(condition, as_tuple=True)
    if condition._data.dtype != bool:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {_type_name(condition.dtype)}")
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            from .._creation import tensor
            input = tensor(input, device=condition.device)
        else:
            return Where.apply(condition, _scalar_like(input, other), other)
    return Where.apply(condition, input, other)


def _scalar_like(s, ref):
    """A Python number as a 0-dim tensor of the type torch would give it next to ``ref``."""
    from .. import _dtype as D
    from .._creation import tensor
    return tensor(s, dtype=D.result_type(ref, s), device=ref.device)


def select(input, dim, index):
    """The slice at ``index`` along ``dim`` (one dim fewer), a view: ``x.select(1, 0)`` is
    ``x[:, 0]``."""
    from ._util import norm_dim
    if input._data.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = norm_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")
    return getitem(input, (slice(None),) * d + (int(index),))


def is_nonzero(input):
    """The truth of a one-element tensor."""
    return bool(input)


__methods__ = ["index_put", "index_put_", "select", "is_nonzero"]
__inplace__ = []
