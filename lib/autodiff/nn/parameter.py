"""``Parameter``: a tensor that a ``Module`` registers as one of its learnable weights, and
``Buffer``: a tensor registered as state that is not learned (running statistics, masks)."""
from __future__ import annotations

from .._printing import parameter_repr
from ..tensor import Tensor

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A tensor that requires grad by default and that a Module assigned it as an attribute
    lists in ``parameters()``. It shares storage with ``data``; results of ops on it are plain
    tensors."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .._creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not "
                            f"{type(data).__name__}")
        if requires_grad and not data.is_floating_point():
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        p = cls._make(data._data, bool(requires_grad))
        p._vc = data._vc               # an alias of data: in-place changes show in both
        return p

    def __init__(self, data=None, requires_grad=True):
        pass                          # everything happened in __new__

    def __repr__(self):
        return parameter_repr(self)


class _BufferMeta(type(Tensor)):
    """``isinstance(t, Buffer)`` holds for the plain tensors that ``Buffer(...)`` returns."""

    def __instancecheck__(cls, instance):
        if cls is Buffer:
            return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a tensor to become a buffer when assigned to a Module attribute
    (``persistent=False`` keeps it out of the ``state_dict``)."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            from .._creation import empty
            data = empty(0)
        t = data.detach()
        t.__dict__["persistent"] = persistent
        t.__dict__["_is_buffer"] = True
        return t

