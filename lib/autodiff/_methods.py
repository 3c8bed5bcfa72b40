"""Binds the ops to ``Tensor``: methods (``x.exp()``), in-place methods (``x.exp_()``) and
Python operators (``a + b``, ``a @ b``, ``a[i] = v``, ...), as torch's Tensor has them."""
from __future__ import annotations

import numpy as np

from . import ops
from .ops import arithmetic as A, comparison as C, indexing as I, inplace as P, unary as U
from .tensor import Tensor


def _bind_modules():
    from . import _redraw, _sampling
    for name in _redraw.__all__:                     # x.uniform_(), x.normal_(), ...
        setattr(Tensor, name, getattr(_redraw, name))
    Tensor.bernoulli = _sampling.bernoulli
    Tensor.multinomial = _sampling.multinomial
    from .ops import special_functions as S          # torch.i0, igamma, ... as methods too
    for name, fn in (("i0", S.i0), ("igamma", S.gammainc), ("igammac", S.gammaincc),
                     ("mvlgamma", S.multigammaln)):
        setattr(Tensor, name, fn)
    for mod in ops.MODULES:
        for name in getattr(mod, "__methods__", ()):
            if name not in Tensor.__dict__:
                setattr(Tensor, name, getattr(mod, name))
        for name in getattr(mod, "__inplace__", ()):
            setattr(Tensor, name + "_", P.inplace_method(getattr(mod, name), name + "_"))


def _operand(x):
    """Right-hand operands: tensors and numbers pass, numpy arrays become tensors."""
    if isinstance(x, np.ndarray):
        from ._creation import from_numpy
        return from_numpy(x)
    return x


_OPERAND_TYPES = (Tensor, int, float, bool, np.generic)


def _binary(fn, reflected=False):
    def op(self, other):
        if type(other) is np.ndarray:
            other = _operand(other)
        elif not isinstance(other, _OPERAND_TYPES):
            return NotImplemented
        return fn(other, self) if reflected else fn(self, other)
    return op


def _commutative(function_cls, *extra):
    """``a + b``/``a * b`` straight to the Function: the tensor operand goes first."""
    def op(self, other):
        if type(other) is np.ndarray:
            other = _operand(other)
        elif not isinstance(other, _OPERAND_TYPES):
            return NotImplemented
        return function_cls.apply(self, other, *extra)
    return op


def _invert(self):
    """``~x``: logical not of a bool tensor, bitwise not of an integer one."""
    if self._data.dtype == bool:
        return C.logical_not(self)
    if self.is_floating_point():
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return C.bitwise_not(self)


def _bind_operators():
    T = Tensor
    T.__add__ = T.__radd__ = _commutative(A.Add, 1)
    T.__sub__ = _binary(A.sub)
    T.__rsub__ = _binary(A.sub, reflected=True)
    T.__mul__ = T.__rmul__ = _commutative(A.Mul)
    T.__truediv__ = _binary(A.div)
    T.__rtruediv__ = _binary(A.div, reflected=True)
    T.__floordiv__ = _binary(A.floor_divide)
    T.__rfloordiv__ = _binary(lambda a, b: A.floor_divide(b, a) if isinstance(b, Tensor)
                              else A.div(_scalar_tensor(a, b), b, rounding_mode="floor"),
                              reflected=False)
    T.__mod__ = _binary(A.remainder)
    T.__rmod__ = _binary(A.remainder, reflected=True)
    T.__pow__ = _binary(A.pow)
    T.__rpow__ = _binary(A.pow, reflected=True)
    T.__matmul__ = _binary(lambda a, b: ops.linalg.matmul(a, b))
    T.__rmatmul__ = _binary(lambda a, b: ops.linalg.matmul(a, b), reflected=True)
    T.__neg__ = U.neg
    T.polygamma = U._polygamma_method
    T.__pos__ = U.positive
    T.__abs__ = U.abs
    T.__invert__ = _invert
    T.__and__ = T.__rand__ = _binary(lambda a, b: C.bitwise_and(a, b))
    T.__or__ = T.__ror__ = _binary(lambda a, b: C.bitwise_or(a, b))
    T.__xor__ = T.__rxor__ = _binary(lambda a, b: C.bitwise_xor(a, b))
    T.__lshift__ = _binary(C.bitwise_left_shift)
    T.__rlshift__ = _binary(C.bitwise_left_shift, reflected=True)
    T.__rshift__ = _binary(C.bitwise_right_shift)
    T.__rrshift__ = _binary(C.bitwise_right_shift, reflected=True)
    T.__eq__ = _binary(C.eq)
    T.__ne__ = _binary(C.ne)
    T.__lt__ = _binary(C.lt)
    T.__le__ = _binary(C.le)
    T.__gt__ = _binary(C.gt)
    T.__ge__ = _binary(C.ge)
    T.__getitem__ = I.getitem
    T.where = lambda self, condition, other: I.where(condition, self, other)   # torch's order
    T.__setitem__ = I.setitem
    for name, fn in (("__iadd__", A.add), ("__isub__", A.sub), ("__imul__", A.mul),
                     ("__itruediv__", A.div), ("__ifloordiv__", A.floor_divide),
                     ("__imod__", A.remainder), ("__ipow__", A.pow),
                     ("__iand__", C.bitwise_and), ("__ior__", C.bitwise_or),
                     ("__ixor__", C.bitwise_xor), ("__ilshift__", C.bitwise_left_shift),
                     ("__irshift__", C.bitwise_right_shift)):
        setattr(T, name, _inplace_op(fn))
    T.copy_ = P.copy_
    T.fill_ = P.fill_
    T.zero_ = P.zero_
    T.T = property(lambda self: self.permute(*range(self.ndim - 1, -1, -1)))
    T.mT = property(lambda self: ops.shape.mT(self))
    T.H = T.T
    T.mH = T.mT


def _scalar_tensor(s, ref):
    from ._creation import tensor
    return tensor(s, device=ref.device)


def _inplace_op(fn):
    def op(self, other):
        return P.run_inplace(fn, self, _operand(other))
    return op


_bind_modules()
_bind_operators()
