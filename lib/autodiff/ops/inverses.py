"""Linear algebra, part 2: inverses, determinants, solving, powers (torch.linalg).

Forward passes call ``numpy.linalg`` / ``cupy.linalg``, which work on stacks of matrices
(..., n, n). Backward passes are the matrix-calculus formulas written with tensor ops, so they
can be differentiated again. With X = A^-1 for example, dX = -X dA X gives::

    dL/dA = -X^T (dL/dX) X^T
"""
from __future__ import annotations

from .. import return_types
from ..autograd.function import Function
from ..tensor import Tensor
from ._linalg_util import (TYPE_NAMES, LinAlgError, batch_shape, check_float, check_matrix,
                           eye_like, lapack_failure, tolerances)
from ._util import xp_of
from .arithmetic import _out
from .indexing import where

__all__ = ["inv", "inverse", "det", "slogdet", "logdet", "solve", "pinv", "pinverse",
           "matrix_power", "lstsq"]


def _linalg(x):
    return xp_of(x).linalg


def _singular(x) -> bool:
    return bool((_linalg(x).det(x) == 0).any()) if x.size else False


# ---- inverse, determinants, solve ----------------------------------------------------------------
class LinalgInv(Function):
    grad_name = "LinalgInvExBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, A):
        x = A._data
        try:
            return _linalg(x).inv(x)
        except ValueError:           # numpy.linalg.LinAlgError (cupy raises it too)
            _, where = lapack_failure(x, _singular)
            raise LinAlgError(f"linalg.inv: {where}The inversion could not be completed because "
                              "the input matrix is singular.") from None

    @staticmethod
    def backward(ctx, grad):
        X = ctx.output
        return -(X.mT @ grad @ X.mT)


def inv(A, *, out=None):
    """The inverse of a square matrix (or of each matrix of a batch)."""
    check_matrix(A, "linalg.inv")
    check_float(A, "linalg.inv")
    return _out(LinalgInv.apply(A), out)


inverse = inv


class LinalgDet(Function):
    grad_name = "LinalgDetBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, A):
        ctx.save_for_backward(A)
        return _linalg(A._data).det(A._data)

    @staticmethod
    def backward(ctx, grad):
        """d det(A) = det(A) tr(A^-1 dA): the gradient is det(A) A^-T, the cofactor matrix."""
        A, = ctx.saved_tensors
        det, g = ctx.output, grad.unsqueeze(-1).unsqueeze(-1)
        if bool((det._data == 0).any()):          # singular: A^-1 does not exist
            return g * _cofactor(A)
        return g * det.unsqueeze(-1).unsqueeze(-1) * inverse(A).mT


def _cofactor(A):
    """The cofactor matrix from the SVD A = U diag(s) V^T, which also works for singular A:
    cof(A) = det(U) det(V) U diag(prod_{j != i} s_j) V^T (a constant: first order only)."""
    x = A._data
    xp = xp_of(x)
    u, s, vh = _linalg(x).svd(x)
    n = s.shape[-1]
    others = xp.where(xp.eye(n, dtype=bool), 1, s[..., None, :]).prod(-1)
    sign = _linalg(x).det(u) * _linalg(x).det(vh)
    return Tensor._make(sign[..., None, None] * (u * others[..., None, :]) @ vh)


def det(A, *, out=None):
    """The determinant of a square matrix (or of each matrix of a batch)."""
    check_matrix(A, "linalg.det")
    check_float(A, "linalg.det")
    return _out(LinalgDet.apply(A), out)


class LinalgSlogdet(Function):
    grad_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx, A):
        ctx.save_for_backward(A)
        return tuple(_linalg(A._data).slogdet(A._data))

    @staticmethod
    def backward(ctx, gsign, glogabs):
        A, = ctx.saved_tensors          # the sign is piecewise constant: no gradient
        return glogabs.unsqueeze(-1).unsqueeze(-1) * inverse(A).mT


def slogdet(A, *, out=None):
    """(sign, log|det|) of a square matrix: the log-determinant without overflow."""
    check_matrix(A, "linalg.slogdet")
    check_float(A, "linalg.slogdet")
    return return_types.linalg_slogdet(*LinalgSlogdet.apply(A))


def logdet(input):
    """log(det(A)): nan for a negative determinant, -inf for a singular matrix."""
    check_matrix(input, "logdet")
    check_float(input, "logdet")
    sign, logabs = LinalgSlogdet.apply(input)
    return where(sign < 0, float("nan"), logabs)


class LinalgSolve(Function):
    grad_name = "LinalgSolveExBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, A, B, vector):
        ctx.save_for_backward(A)
        ctx.vector = vector
        x, b = A._data, B._data
        try:
            out = _linalg(x).solve(x, b[..., None] if vector else b)
        except ValueError:
            raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix is "
                              "singular.") from None
        return out[..., 0] if vector else out

    @staticmethod
    def backward(ctx, grad):
        """X = A^-1 B: dL/dB = A^-T dL/dX, dL/dA = -dL/dB X^T."""
        A, = ctx.saved_tensors
        gB = LinalgSolve.apply(A.mT, grad, ctx.vector)
        gA = None
        if ctx.needs_input_grad[0]:
            X = ctx.output
            gA = -(gB.unsqueeze(-1) * X.unsqueeze(-2) if ctx.vector else gB @ X.mT)
        return gA, gB, None


def solve(A, B, *, left=True, out=None):
    """The X with A X = B (or X A = B when ``left=False``), without forming A^-1."""
    check_matrix(A, "linalg.solve")
    check_float(A, "linalg.solve")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of "
                           f"type {TYPE_NAMES[A.dtype.name]} and B of type "
                           f"{TYPE_NAMES[B.dtype.name]} instead")
    if not left:
        return _out(solve(A.mT, B.mT).mT, out)
    n = A._data.shape[-1]
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B._data.shape == A._data.shape[:-1])
    rows = B._data.shape[-1] if vector else B._data.shape[-2] if B.ndim > 1 else 1
    if rows != n:
        cols = 1 if vector else B._data.shape[-1]
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({n}x{n} and {rows}x{cols})")
    batch_shape(A._data.shape[:-2], B._data.shape[:-1] if vector else B._data.shape[:-2])
    return _out(LinalgSolve.apply(A, B, vector), out)


class LinalgPinv(Function):
    grad_name = "LinalgPinvBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, A, atol, rtol, hermitian):
        ctx.save_for_backward(A)
        x = A._data
        xp = xp_of(x)
        if hermitian:                                   # A = V diag(w) V^T
            w, v = _linalg(x).eigh(x)
            s, u, vh = xp.abs(w), v * xp.sign(w)[..., None, :], v.swapaxes(-1, -2)
        else:
            u, s, vh = _linalg(x).svd(x, full_matrices=False)
        smax = s.max(-1, keepdims=True) if s.shape[-1] else s[..., :1]
        keep = s > xp.maximum(atol, rtol * smax)
        inv_s = xp.where(keep, 1 / xp.where(keep, s, 1), 0)
        return (vh.swapaxes(-1, -2) * inv_s[..., None, :]) @ u.swapaxes(-1, -2)

    @staticmethod
    def backward(ctx, grad):
        """The derivative of a constant-rank pseudo-inverse (Golub & Pereyra)."""
        A, = ctx.saved_tensors
        P, G = ctx.output, grad
        PtG = P.mT @ G
        return (-(PtG @ P.mT) + (G.mT - A @ (P @ G.mT)) @ (P @ P.mT)
                + (P.mT @ P) @ (G.mT - (G.mT @ P) @ A), None, None, None)


def pinv(A, *, atol=None, rtol=None, hermitian=False, rcond=None, out=None):
    """The Moore-Penrose pseudo-inverse, from the SVD (singular values at most
    ``max(atol, rtol * largest)`` count as zero)."""
    if A.ndim < 2 or A._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.pinv({TYPE_NAMES[A.dtype.name]}{{{list(A.shape)}}}): expected a tensor with 2 or more dimensions of "
                           "float, double, cfloat or cdouble types")
    atol, rtol = tolerances(A, atol, rcond if rtol is None else rtol)
    return _out(LinalgPinv.apply(A, atol, rtol, hermitian), out)


def pinverse(input, rcond=1e-15):
    """The pseudo-inverse (``linalg.pinv``) with singular values below ``rcond`` times the largest
    cut off."""
    return pinv(input, rtol=rcond)


def matrix_power(A, n):
    """A @ A @ ... (n times) by repeated squaring; A^-1 for negative n, the identity for 0."""
    check_matrix(A, "linalg.matrix_power")
    if n == 0:                   # the identity, connected to A by a zero gradient as in torch
        return A.clone().copy_(eye_like(A._data.shape[-1], A))
    if n < 0:
        A, n = inverse(A), -n
    if n == 1:
        return A.clone()
    result = None
    while n:
        if n & 1:
            result = A if result is None else result @ A
        n >>= 1
        if n:
            A = A @ A
    return result


def lstsq(A, B, rcond=None, *, driver=None):
    """Least-squares solution of A X = B, through the pseudo-inverse (solution, residuals,
    rank, singular_values as torch's default driver 'gelsy' gives them: no residuals nor
    singular values)."""
    from .norms import matrix_rank          # norms needs this module: import late
    check_matrix(A, "linalg.lstsq", square=False)
    P = pinv(A, rtol=rcond)
    X = P @ B if B.ndim == A.ndim else (P @ B.unsqueeze(-1)).squeeze(-1)
    empty = Tensor._make(xp_of(A._data).zeros((0,), dtype=A._data.dtype))
    return _LSTSQ(X, empty, matrix_rank(A.detach(), rtol=rcond), empty)


_LSTSQ = return_types._make("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
