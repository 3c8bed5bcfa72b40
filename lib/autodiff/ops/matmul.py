"""Matrix products: ``matmul`` and its kernels, and the fused ``beta * input + alpha * product``.

``matmul`` dispatches, as torch does, to ``dot`` (vector . vector), ``mv`` (matrix @ vector),
``mm`` (matrix @ matrix) or ``bmm`` (stacks of matrices, batch dims broadcast). Each of those is
a Function whose backward is written with the same products, e.g. for C = A B::

    dL/dA = dL/dC @ B^T        dL/dB = A^T @ dL/dC

so gradients of gradients come for free.
"""
from __future__ import annotations

import math

from ..autograd.function import Function
from . import shape as S
from ._linalg_util import C_NAMES, TYPE_NAMES, batch_shape, check_not_bool, scale, unsafe_view
from ._util import check_same_device
from .arithmetic import _out
from .inplace import record_view

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "addmm", "addmv", "baddbmm"]


# ---- the four kernels of matmul ------------------------------------------------------------------
class Mm(Function):
    grad_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a._data @ b._data

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (grad.mm(b.t()) if ctx.needs_input_grad[0] else None,
                a.t().mm(grad) if ctx.needs_input_grad[1] else None)


class Bmm(Function):
    grad_name = "BmmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a._data @ b._data

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (grad.bmm(b.mT) if ctx.needs_input_grad[0] else None,
                a.mT.bmm(grad) if ctx.needs_input_grad[1] else None)


class Mv(Function):
    grad_name = "MvBackward0"

    @staticmethod
    def forward(ctx, a, v):
        ctx.save_for_backward(a, v)
        return a._data @ v._data

    @staticmethod
    def backward(ctx, grad):
        a, v = ctx.saved_tensors
        return (grad.unsqueeze(-1) * v if ctx.needs_input_grad[0] else None,
                a.t().mv(grad) if ctx.needs_input_grad[1] else None)


class Dot(Function):
    grad_name = "DotBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a._data @ b._data

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (grad * b if ctx.needs_input_grad[0] else None,
                grad * a if ctx.needs_input_grad[1] else None)


class Vdot(Dot):
    grad_name = "VdotBackward0"


class _SqueezeRow(S.Squeeze):
    """The squeeze that turns (1 x n) @ (n x p) back into a vector (torch's node name)."""
    grad_name = "SqueezeBackward4"


def _mm_checks(a, b):
    if a._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                           f"{C_NAMES[a.dtype.name]} != {C_NAMES[b.dtype.name]}")
    (n, k), (k2, p) = a._data.shape, b._data.shape
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{p})")
    check_not_bool(a, "addmm_impl_cpu_")
    check_same_device(a._data, b._data)


def mm(input, mat2, *, out=None):
    """Matrix product of two 2-D tensors."""
    _mm_checks(input, mat2)
    return _out(Mm.apply(input, mat2), out)


def _bmm_checks(a, b):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected scalar type {TYPE_NAMES[a.dtype.name]} but found "
                           f"{TYPE_NAMES[b.dtype.name]}")
    (B, _, k), (B2, k2, _) = a._data.shape, b._data.shape
    if (B2, k2) != (B, k):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{B}, {k}] but got: [{B2}, {k2}].")
    check_not_bool(a, "bmm")
    check_same_device(a._data, b._data)


def _bmm_all_checks(a, b):
    if a._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _bmm_checks(a, b)


def bmm(input, mat2, *, out=None):
    """Batch of matrix products: (b, n, m) @ (b, m, p) -> (b, n, p)."""
    _bmm_all_checks(input, mat2)
    return _out(Bmm.apply(input, mat2), out)


def mv(input, vec, *, out=None):
    """Matrix-vector product: (n, m) @ (m,) -> (n,)."""
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, "
                           f"{vec._data.ndim}")
    if input._data.dtype != vec._data.dtype:
        t = TYPE_NAMES
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{t[vec.dtype.name]}, {t[input.dtype.name]}, and {t[vec.dtype.name]}")
    n, m = input._data.shape
    if vec._data.shape[0] != m:
        raise RuntimeError(f"size mismatch, got input ({n}), mat ({n}x{m}), vec "
                           f"({vec._data.shape[0]})")
    check_not_bool(input, "addmv_impl_cpu")
    check_same_device(input._data, vec._data)
    return _out(Mv.apply(input, vec), out)


def _dot_checks(a, b):
    if a._data.ndim != 1 or b._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a._data.ndim}D and {b._data.ndim}D "
                           "tensors")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{TYPE_NAMES[a.dtype.name]} and {TYPE_NAMES[b.dtype.name]}")
    n, m = a._data.shape[0], b._data.shape[0]
    if n != m:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have "
                           f"the same number of elements, but got {n} and {m} elements "
                           "respectively")
    check_not_bool(a, "dot")
    check_same_device(a._data, b._data)


def dot(input, tensor, *, out=None):
    """Inner product of two 1-D tensors (a 0-dim result)."""
    _dot_checks(input, tensor)
    return _out(Dot.apply(input, tensor), out)


def vdot(input, other, *, out=None):
    """``dot`` that would conjugate its first argument (the same thing for real tensors)."""
    _dot_checks(input, other)
    return _out(Vdot.apply(input, other), out)


# ---- matmul: torch's dispatch over the dimensions ------------------------------------------------
def matmul(input, other, *, out=None):
    """The ``@`` operator: dot, mv, mm or a batched product with broadcast batch dims."""
    da, db = input._data.ndim, other._data.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D "
                           f"and {db}D")
    if da == 1 and db == 1:
        result = dot(input, other)
    elif da == 2 and db == 1:
        result = mv(input, other)
    elif da == 1 and db == 2:
        row = mm(input.unsqueeze(0), other)
        result = record_view(_SqueezeRow.apply(row, (0,)), row, lambda b: b.squeeze(0))
    elif da == 2 and db == 2:
        result = mm(input, other)
    elif db <= 2:            # fold the batch dims of input into its rows: one big mm / mv
        folded = input.reshape(-1, input._data.shape[-1])
        flat = mv(folded, other) if db == 1 else mm(folded, other)
        result = unsafe_view(flat, input._data.shape[:-1] + other._data.shape[1:])
    else:
        result = _batched_matmul(input, other)
    return _out(result, out)


def _batched_matmul(a, b):
    """Broadcast the batch dims, flatten them into one and call bmm."""
    shape_a, shape_b = a._data.shape, b._data.shape
    if len(shape_a) == 1:
        a = a.unsqueeze(0)
    if len(shape_b) == 1:
        b = b.unsqueeze(-1)
    (n, k), (k2, p) = a._data.shape[-2:], b._data.shape[-2:]
    batch = batch_shape(a._data.shape[:-2], b._data.shape[:-2])
    B = math.prod(batch)
    a3 = a.expand(batch + (n, k)).reshape(B, n, k)
    b3 = b.expand(batch + (k2, p)).reshape(B, k2, p)
    _bmm_checks(a3, b3)
    rows = (n,) if len(shape_a) > 1 else ()
    cols = (p,) if len(shape_b) > 1 else ()
    return unsafe_view(Bmm.apply(a3, b3), batch + rows + cols)


# ---- fused "beta * input + alpha * product" ---------------------------------------------
def _cast_scalar(s, x):
    """torch applies alpha/beta in the tensor's dtype (2.5 acts as 2 on integer tensors)."""
    return s if x.dtype.kind == "f" else int(s)


class _AddProduct(Function):
    """``beta * input + alpha * (m1 @ m2)`` for mm, mv and bmm alike."""

    @staticmethod
    def forward(ctx, input, m1, m2, beta, alpha):
        ctx.save_for_backward(m1, m2)
        ctx.beta, ctx.alpha = beta, alpha
        x = m1._data @ m2._data
        if alpha != 1:
            x *= _cast_scalar(alpha, x)
        if beta != 0:       # beta == 0 ignores input entirely (even its nan and inf)
            y = input._data if beta == 1 else input._data * _cast_scalar(beta, x)
            x = x + y
        return x

    @staticmethod
    def backward(ctx, grad):
        m1, m2 = ctx.saved_tensors
        need = ctx.needs_input_grad
        g = scale(grad, ctx.alpha)
        g1 = g2 = None
        if need[1]:              # for addmv, m2 is a vector and g1 an outer product
            g1 = g @ m2.mT if m2._data.ndim > 1 else g.unsqueeze(-1) * m2
        if need[2]:
            g2 = m1.mT @ g
        return scale(grad, ctx.beta) if need[0] else None, g1, g2, None, None


class Addmm(_AddProduct):
    grad_name = "AddmmBackward0"


class Addmv(_AddProduct):
    grad_name = "AddmvBackward0"


class Baddbmm(_AddProduct):
    grad_name = "BaddbmmBackward0"


def _check_input_fits(input, target):
    """``input`` must expand to the product's shape (torch's messages of ``expand``)."""
    shape = input._data.shape
    if len(shape) > len(target):
        raise RuntimeError(
            f"expand(torch.{TYPE_NAMES[input.dtype.name]}Tensor{{{list(shape)}}}, "
            f"size={list(target)}): the number of sizes provided ({len(target)}) must be greater "
            f"or equal to the number of dimensions in the tensor ({len(shape)})")
    lead = len(target) - len(shape)
    for i, size in enumerate(shape):
        if size != 1 and size != target[lead + i]:
            raise RuntimeError(
                f"The expanded size of the tensor ({target[lead + i]}) must match the existing "
                f"size ({size}) at non-singleton dimension {lead + i}.  Target sizes: "
                f"{list(target)}.  Tensor sizes: {list(shape)}")


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat1 @ mat2)``; input broadcasts to the product's shape."""
    if input._data.dtype != mat2._data.dtype:
        t = TYPE_NAMES
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{t[input.dtype.name]} and {t[mat2.dtype.name]}")
    _mm_checks(mat1, mat2)
    _check_input_fits(input, (mat1._data.shape[0], mat2._data.shape[1]))
    return _out(Addmm.apply(input, mat1, mat2, beta, alpha), out)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat @ vec)``."""
    if mat._data.ndim != 2 or vec._data.ndim != 1 or input._data.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input._data.ndim}, "
                           f"{mat._data.ndim}, {vec._data.ndim}")
    dts = {input._data.dtype, mat._data.dtype, vec._data.dtype}
    n, m = mat._data.shape
    if len(dts) > 1:
        t = TYPE_NAMES
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{t[input.dtype.name]}, {t[mat.dtype.name]}, and {t[vec.dtype.name]}")
    if vec._data.shape[0] != m or input._data.shape not in ((), (1,), (n,)):
        raise RuntimeError(f"size mismatch, got input ({input._data.shape[0] if input.ndim else 1}"
                           f"), mat ({n}x{m}), vec ({vec._data.shape[0]})")
    check_not_bool(mat, "addmv_impl_cpu")
    return _out(Addmv.apply(input, mat, vec, beta, alpha), out)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    if len({input._data.dtype, batch1._data.dtype}) > 1:
        c = C_NAMES
        raise RuntimeError(f"Input dtypes must be the same, got: input {c[input.dtype.name]}, "
                           f"batch1: {c[batch1.dtype.name]}, batch2: {c[batch2.dtype.name]}")
    _bmm_all_checks(batch1, batch2)
    target = batch1._data.shape[:2] + batch2._data.shape[2:]
    _check_input_fits(input, target)
    return _out(Baddbmm.apply(input, batch1, batch2, beta, alpha), out)
