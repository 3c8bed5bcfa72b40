"""Helpers shared by the linear-algebra ops: argument checks with torch's messages, constant
matrices (identity, masks) and the few shape tricks the backward formulas need."""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from ._util import xp_of

__all__ = ["TYPE_NAMES", "C_NAMES", "LinAlgError", "check_matrix", "check_float", "check_not_bool",
           "eye_like", "const_like", "batch_shape", "unsafe_view", "diag_embed", "diagonal",
           "scale", "lapack_failure", "tolerances"]

#: torch's ScalarType names ("expected scalar type Float but found Double")
TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
              "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
#: the C type names some of torch's messages use ("float != double")
C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
           "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
           "bool": "bool"}


class LinAlgError(RuntimeError):
    """A matrix the algorithm cannot handle (singular, not positive-definite)."""


def check_matrix(A: Tensor, fn: str, square: bool = True):
    """RuntimeError unless ``A`` is a (batch of) matrices, square ones when ``square``."""
    if A._data.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    m, n = A._data.shape[-2:]
    if square and m != n:
        raise RuntimeError(f"{fn}: A must be batches of square matrices, but they are {m} by {n} "
                           "matrices")


def check_float(A: Tensor, fn: str):
    """torch's RuntimeError for a linear-algebra function ``fn`` given a non-float tensor."""
    if A._data.dtype.kind != "f":
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got "
                           f"{TYPE_NAMES[A.dtype.name]}")


def check_not_bool(A: Tensor, kernel: str):
    """torch's NotImplementedError for ``kernel`` given a bool tensor."""
    if A._data.dtype == bool:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def const_like(array, ref: Tensor) -> Tensor:
    """A constant (no gradient) on ``ref``'s device with ``ref``'s dtype."""
    xp = xp_of(ref._data)
    return Tensor._make(xp.asarray(array, dtype=ref._data.dtype))


def eye_like(n: int, ref: Tensor, m: int | None = None) -> Tensor:
    """The identity matrix (n x m) as a constant with ``ref``'s dtype and device."""
    return Tensor._make(xp_of(ref._data).eye(n, m, dtype=ref._data.dtype))


def batch_shape(s1, s2) -> tuple:
    """Broadcast two batch shapes, with torch's message when they do not fit."""
    n = max(len(s1), len(s2))
    s1, s2 = (1,) * (n - len(s1)) + tuple(s1), (1,) * (n - len(s2)) + tuple(s2)
    out = []
    for i, (a, b) in enumerate(zip(s1, s2)):
        if a != b and a != 1 and b != 1:
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) "
                               f"at non-singleton dimension {i}")
        out.append(b if a == 1 else a)
    return tuple(out)


class UnsafeView(Function):
    """Reshape of a freshly computed result (no other tensor shares its storage)."""
    grad_name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a._data.shape
        return a._data.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape), None


def unsafe_view(t: Tensor, shape) -> Tensor:
    """``t`` reshaped to ``shape`` as torch's ``_unsafe_view``: a fresh result, so not tracked as
    a view."""
    return UnsafeView.apply(t, tuple(shape))


def diag_embed(v: Tensor) -> Tensor:
    """Vectors (..., n) -> diagonal matrices (..., n, n), differentiably."""
    return v.unsqueeze(-1) * eye_like(v._data.shape[-1], v)


def diagonal(M: Tensor) -> Tensor:
    """Matrices (..., n, n) -> their diagonals (..., n), differentiably."""
    return (M * eye_like(M._data.shape[-1], M)).sum(-1)


def scale(t: Tensor, s) -> Tensor:
    """``t * s``, skipping the multiplication when ``s`` is 1."""
    return t if s == 1 else t * s


def lapack_failure(x, fails) -> tuple:
    """The index of the first matrix of the batch ``x`` for which ``fails(matrix)`` is true,
    and the prefix torch puts in front of its message for it ("(Batch element 2): ")."""
    batch = x.shape[:-2]
    flat = x.reshape((-1,) + x.shape[-2:])
    for i in range(flat.shape[0]):
        if fails(flat[i]):
            return flat[i], (f"(Batch element {i}): " if batch else "")
    return flat[0], ""


def tolerances(A, atol, rtol):
    """torch's defaults: rtol = eps * max(m, n) unless atol > 0 was given."""
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else \
            float(np.finfo(A._data.dtype).eps) * max(A._data.shape[-2:])
    return (0.0 if atol is None else float(atol)), float(rtol)
