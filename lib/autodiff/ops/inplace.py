"""In-place ops (``add_``, ``x[i] = v``, ``copy_``, ...) and ``out=`` arguments.

Every in-place op is its out-of-place op followed by :func:`apply_inplace`, which writes the
result into the tensor's storage (so views and numpy arrays sharing it see the change), bumps
the version counter, and gives the tensor the result's history. Writing into a *view* of a
tensor that is part of a graph rewrites the base's history with a ``CopySlices`` node, as torch
does, so gradients stay right.
"""
from __future__ import annotations

from .. import _dtype as D
from ..autograd.function import Function
from ..autograd.grad_mode import STATE
from ..backend import xp_of
from ..tensor import Tensor
from ._linalg_util import TYPE_NAMES

__all__ = ["apply_inplace", "record_view", "copy_", "copy_into_out", "fill_", "zero_",
           "inplace_method", "run_inplace"]


def _check_leaf(t: Tensor):
    if not STATE.enabled:
        return
    if t.grad_fn is None and t._requires_grad:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    base = t._base
    if t._requires_grad and base is not None and base.grad_fn is None and base._requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")


def apply_inplace(self: Tensor, result: Tensor, cast=False) -> Tensor:
    """Make ``self`` hold ``result``'s values and history; returns ``self``."""
    _check_leaf(self)
    if result._data.shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                           f"shape {list(result.shape)}")
    if not cast and result._data.dtype != self._data.dtype and not D.can_cast(result.dtype, self.dtype):
        raise RuntimeError(f"result type {_type_name(result.dtype)} can't be cast to the desired "
                           f"output type {_type_name(self.dtype)}")
    if result._data is not self._data:
        self._data[...] = result._data
    self._vc[0] += 1
    if not (STATE.enabled and (result._requires_grad or self._requires_grad)):
        return self
    view_fn = self.__dict__.get("_view_fn")
    if self._base is not None and view_fn is not None:
        _rebase_view(self, result, view_fn)
    else:
        self.grad_fn, self._output_nr = result.grad_fn, result._output_nr
        self._requires_grad = result._requires_grad
    return self


def _type_name(d):
    """torch's scalar type name of a dtype ('Float', 'Double', 'Long', ...)."""
    return TYPE_NAMES[d.name]


class CopySlices(Function):
    """The base's new history after a view of it was written in place."""
    grad_name = "CopySlices"

    @staticmethod
    def forward(ctx, base, value, view_fn):
        ctx.view_fn = view_fn
        mask = Tensor._make(xp_of(base._data).zeros(base._data.shape, dtype=base._data.dtype))
        view_fn(mask)._data[...] = 1
        ctx.keep = 1 - mask          # 1 outside the written region
        return base._data            # the data was already written through the view

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.keep, ctx.view_fn(grad), None


def _rebase_view(view: Tensor, result: Tensor, view_fn):
    base = view._base
    out = CopySlices.apply(base, result, view_fn)
    if out.grad_fn is not None:
        base.grad_fn, base._output_nr, base._requires_grad = out.grad_fn, 0, True
        fresh = view_fn(base)
        view.grad_fn, view._output_nr = fresh.grad_fn, fresh._output_nr
        view._requires_grad = True


def record_view(out: Tensor, src: Tensor, fn):
    """Remember how ``out`` is obtained from the root base, for in-place writes through it."""
    parent = src.__dict__.get("_view_fn")
    out.__dict__["_view_fn"] = fn if parent is None else (lambda b: fn(parent(b)))
    return out


class Copy(Function):
    """``dst.copy_(src)``: src broadcast to dst's shape and cast to its dtype."""
    grad_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, dst, src):
        x = src._data
        xp = xp_of(dst._data)
        if xp_of(x) is not xp:
            from ..backend import to_device
            x = to_device(x, dst.device)
        return xp.broadcast_to(x.astype(dst._data.dtype, copy=False), dst._data.shape)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, grad


def copy_(self: Tensor, src, non_blocking=False) -> Tensor:
    """Copy ``src`` (broadcast, cast, moved across devices) into ``self``."""
    if not isinstance(src, Tensor):
        from .._creation import tensor
        src = tensor(src)
    try:
        result = Copy.apply(self, src)
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({list(self.shape)}) must match the size of "
                           f"tensor b ({list(src.shape)}) to copy") from None
    return apply_inplace(self, result, cast=True)


def copy_into_out(out: Tensor, result: Tensor) -> Tensor:
    """torch's ``out=`` argument: resize ``out`` when needed, then copy the result in."""
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if STATE.enabled and (result._requires_grad or out._requires_grad):
        raise RuntimeError("functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if out._data.shape != result._data.shape:
        out._data = xp_of(result._data).empty(result._data.shape, dtype=out._data.dtype)
    out._data[...] = result._data
    out._vc[0] += 1
    return out


class Fill(Function):
    grad_name = "FillBackward0"

    @staticmethod
    def forward(ctx, a, value):
        v = value._data if isinstance(value, Tensor) else value
        return xp_of(a._data).full(a._data.shape, v, dtype=a._data.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, None


def fill_(self: Tensor, value) -> Tensor:
    """Fill with one value (a number or a 0-dim tensor)."""
    if isinstance(value, Tensor) and value.dim() != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value.dim()} dimensions.")
    if not STATE.enabled or not self._requires_grad:
        _check_leaf(self)
        self._data[...] = value._data if isinstance(value, Tensor) else value
        self._vc[0] += 1
        return self
    return apply_inplace(self, Fill.apply(self, value), cast=True)


def zero_(self: Tensor) -> Tensor:
    """Fill ``self`` with zeros in place."""
    return fill_(self, 0)


def _snapshot(t: Tensor) -> Tensor:
    """``t``'s values in storage of their own, with ``t``'s history.

    An in-place op computes its result from this copy: whatever the op saves for backward is
    then not overwritten when the result is written into ``t``.
    """
    snap = Tensor._make(t._data.copy(), t._requires_grad)
    snap.grad_fn, snap._output_nr = t.grad_fn, t._output_nr
    if t.grad_fn is None and t._requires_grad:      # a leaf: gradients must still reach it
        snap._requires_grad = False
    return snap


def _recording(self, args):
    return STATE.enabled and (self._requires_grad or any(
        isinstance(a, Tensor) and a._requires_grad for a in args))


def run_inplace(fn, self, *args, **kwargs):
    """``fn(self, ...)`` written back into ``self``; the heart of every ``x.op_(...)``."""
    if _recording(self, args):
        _check_leaf(self)
        return apply_inplace(self, fn(_snapshot(self), *args, **kwargs))
    return apply_inplace(self, fn(self, *args, **kwargs))


def inplace_method(fn, name):
    """``x.<name>_(...)`` from the out-of-place ``fn``: compute, then write into ``x``."""
    def method(self, *args, **kwargs):
        return run_inplace(fn, self, *args, **kwargs)
    method.__name__ = name
    method.__doc__ = f"In-place version of :meth:`{name.rstrip('_')}`."
    return method
