"""Linear algebra, part 3: matrix factorizations (Cholesky, QR, SVD, eigendecompositions).

Forward passes call ``numpy.linalg`` / ``cupy.linalg``; backward passes are the published
matrix-calculus formulas, written with tensor ops so they can be differentiated again. QR, SVD
and eigenvectors are only defined up to the signs of their columns: the gradients are those
of the factorization numpy returns, and they exist where it is smooth (distinct singular
values and eigenvalues). Unused outputs receive no gradient at all (``materialize_grads`` off),
so e.g. ``svdvals`` never divides by a difference of equal singular values.
"""
from __future__ import annotations

from .. import return_types
from ..autograd.function import Function
from ..tensor import Tensor
from ._linalg_util import (LinAlgError, check_float, check_matrix, const_like, diag_embed,
                           eye_like, lapack_failure)
from ._util import xp_of
from .arithmetic import _out
from .inverses import solve

__all__ = ["cholesky", "linalg_cholesky", "qr", "linalg_qr", "svd", "linalg_svd", "svdvals",
           "eigh", "eigvalsh", "eig", "eigvals"]


def _outputs(ctx, *arrays, inputs=()):
    """Wrap the factors as tensors and save them (after ``inputs``) for backward."""
    ts = tuple(Tensor._make(a) for a in arrays)
    ctx.save_for_backward(*inputs, *ts)
    ctx.set_materialize_grads(False)
    return ts


def _eigen_gaps(w):
    """E[..., i, j] = w_j - w_i off the diagonal, 1 on it (so dividing by E is safe there)."""
    n = w._data.shape[-1]
    return w.unsqueeze(-2) - w.unsqueeze(-1) + eye_like(n, w)


def _off_diagonal(M):
    n = M._data.shape[-1]
    return M * (1 - eye_like(n, M))


# ---- Cholesky ----------------------------------------------------------------------------------
class LinalgCholesky(Function):
    grad_name = "LinalgCholeskyExBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, A, upper, fn):
        x = A._data
        linalg = xp_of(x).linalg
        try:
            L = linalg.cholesky(x)
        except ValueError:                  # numpy.linalg.LinAlgError
            bad, where = lapack_failure(x, lambda m: _not_pd(linalg, m))
            order = next(k for k in range(1, bad.shape[-1] + 1) if _not_pd(linalg, bad[:k, :k]))
            raise LinAlgError(f"{fn}: {where}The factorization could not be completed because the "
                              f"input is not positive-definite (the leading minor of order "
                              f"{order} is not positive-definite).") from None
        ctx.upper = upper
        return L.swapaxes(-1, -2).copy() if upper else L

    @staticmethod
    def backward(ctx, grad):
        """A = L L^T: dL/dA = sym(L^-T Phi(L^T dL/dL) L^-1), Phi = lower triangle with the
        diagonal halved (Murray, 2016)."""
        L, gL = (ctx.output.mT, grad.mT) if ctx.upper else (ctx.output, grad)
        n = L._data.shape[-1]
        xp = xp_of(L._data)
        phi = const_like(xp.tril(xp.ones((n, n))) - 0.5 * xp.eye(n), L)
        Linv = L.inverse()
        S = Linv.mT @ ((L.mT @ gL) * phi) @ Linv
        return (S + S.mT) * 0.5, None, None


class Cholesky(LinalgCholesky):
    grad_name = "CholeskyBackward0"


def _not_pd(linalg, m) -> bool:
    try:
        linalg.cholesky(m)
        return False
    except ValueError:
        return True


def linalg_cholesky(A, *, upper=False, out=None):
    """L lower triangular with A = L L^T, for A symmetric positive-definite (only A's lower
    triangle is read); ``upper=True`` gives U = L^T."""
    check_matrix(A, "linalg.cholesky")
    check_float(A, "linalg.cholesky")
    return _out(LinalgCholesky.apply(A, upper, "linalg.cholesky"), out)


def cholesky(input, upper=False, *, out=None):
    """The legacy ``torch.cholesky`` (``linalg.cholesky`` is preferred)."""
    check_matrix(input, "cholesky")
    check_float(input, "cholesky")
    return _out(Cholesky.apply(input, upper, "linalg.cholesky"), out)


# ---- QR ----------------------------------------------------------------------------------------
class LinalgQr(Function):
    grad_name = "LinalgQrBackward0"

    @staticmethod
    def forward(ctx, A, mode):
        x = A._data
        ctx.mode, ctx.shape = mode, x.shape
        xp = xp_of(x)
        if mode == "r":
            q, r = xp.zeros((0,), dtype=x.dtype), xp.linalg.qr(x, mode="r")
        else:
            q, r = xp.linalg.qr(x, mode=mode)
        return _outputs(ctx, q, r, inputs=(A,))

    @staticmethod
    def backward(ctx, gQ, gR):
        m, n = ctx.shape[-2:]
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you are "
                               "going to differentiate through linalg.qr.")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        A, Q, R = ctx.saved_tensors
        gQ = Q * 0 if gQ is None else gQ
        gR = R * 0 if gR is None else gR
        if m >= n:
            return _qr_backward(Q, R, gQ, gR), None
        # wide A = [X | Y] = [Q U | Q V]: X = Q U is a square QR, and V = Q^T Y
        Y, U, gU, gV = A[..., m:], R[..., :m], gR[..., :m], gR[..., m:]
        gX = _qr_backward(Q, U, gQ + Y @ gV.mT, gU)
        gY = Q @ gV
        return gX @ eye_like(m, R, n) + gY @ eye_like(n, R)[m:], None   # [gX | gY]


def _qr_backward(Q, R, gQ, gR):
    """A = Q R with R square: dL/dA = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q, where
    copyltu makes a symmetric matrix from the lower triangle (Walter & Lehmann, 2018)."""
    M = R @ gR.mT - gQ.mT @ Q
    n = M._data.shape[-1]
    xp = xp_of(M._data)
    low = M * const_like(xp.tril(xp.ones((n, n))) - 0.5 * xp.eye(n), M)
    return solve(R, (gQ + Q @ (low + low.mT)).mT).mT


def linalg_qr(A, mode="reduced", *, out=None):
    """A = Q R with orthonormal columns in Q and R upper triangular; mode 'reduced' (Q is
    m x k), 'complete' (Q is m x m) or 'r' (R only, Q empty)."""
    check_matrix(A, "linalg.qr", square=False)
    check_float(A, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    return return_types.linalg_qr(*LinalgQr.apply(A, mode))


def qr(input, some=True, *, out=None):
    """The legacy ``torch.qr``: ``some=False`` is mode 'complete'."""
    return return_types.qr(*linalg_qr(input, "reduced" if some else "complete"))


# ---- SVD ---------------------------------------------------------------------------------------
class LinalgSvd(Function):
    grad_name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, A, full_matrices):
        x = A._data
        return _outputs(ctx, *xp_of(x).linalg.svd(x, full_matrices=full_matrices))

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        """Townsend (2016), for A = U diag(S) Vh with k = min(m, n) distinct singular values."""
        U, S, Vh = ctx.saved_tensors
        m, n, k = U._data.shape[-2], Vh._data.shape[-1], S._data.shape[-1]
        if U._data.shape[-1] != k:                      # full_matrices: the extra columns of U
            U, gU = U[..., :k], None if gU is None else gU[..., :k]   # or rows of Vh are free
        if Vh._data.shape[-2] != k:
            Vh, gVh = Vh[..., :k, :], None if gVh is None else gVh[..., :k, :]
        if gU is None and gVh is None:
            return U @ (gS.unsqueeze(-1) * Vh), None
        inner = 0
        if gU is not None:
            J = U.mT @ gU
            inner = (J - J.mT) * S.unsqueeze(-2)
        if gVh is not None:
            K = Vh @ gVh.mT
            inner = inner + S.unsqueeze(-1) * (K - K.mT)
        inner = inner / _eigen_gaps(S * S)
        if gS is not None:
            inner = inner + diag_embed(gS)
        gA = U @ inner @ Vh
        if m > k and gU is not None:                    # the part of gU outside span(U)
            gA = gA + ((gU - U @ (U.mT @ gU)) / S.unsqueeze(-2)) @ Vh
        if n > k and gVh is not None:                   # the part of gVh outside span(V)
            gA = gA + U @ ((gVh - (gVh @ Vh.mT) @ Vh) / S.unsqueeze(-1))
        return gA, None


def linalg_svd(A, full_matrices=True, *, driver=None, out=None):
    """A = U diag(S) Vh with S descending; ``full_matrices=False`` keeps only k = min(m, n)
    columns of U and rows of Vh."""
    check_matrix(A, "linalg.svd", square=False)
    check_float(A, "linalg.svd")
    return return_types.linalg_svd(*LinalgSvd.apply(A, full_matrices))


def svdvals(A, *, driver=None, out=None):
    """The singular values of A, in descending order."""
    check_matrix(A, "linalg.svd", square=False)
    check_float(A, "linalg.svd")
    return LinalgSvd.apply(A, False)[1]


def svd(input, some=True, compute_uv=True, *, out=None):
    """The legacy ``torch.svd``: returns V (not Vh); with ``compute_uv=False``, U and V are
    zero matrices."""
    U, S, Vh = linalg_svd(input, full_matrices=not some)
    if not compute_uv:
        xp = xp_of(input._data)
        m, n = input._data.shape[-2:]
        batch = input._data.shape[:-2]
        zeros = [Tensor._make(xp.zeros(batch + (d, d), dtype=input._data.dtype)) for d in (m, n)]
        return return_types.svd(zeros[0], S, zeros[1])
    return return_types.svd(U, S, Vh.mT)


# ---- eigendecompositions -----------------------------------------------------------------------
class LinalgEigh(Function):
    grad_name = "LinalgEighBackward0"

    @staticmethod
    def forward(ctx, A, uplo):
        x = A._data
        return _outputs(ctx, *xp_of(x).linalg.eigh(x, UPLO=uplo))

    @staticmethod
    def backward(ctx, gL, gV):
        """A = V diag(L) V^T: dL/dA = V (diag(gL) + (V^T gV) / E) V^T, E_ij = L_j - L_i."""
        L, V = ctx.saved_tensors
        inner = 0
        if gV is not None:
            inner = _off_diagonal(V.mT @ gV) / _eigen_gaps(L)
        if gL is not None:
            inner = inner + diag_embed(gL)
        return V @ inner @ V.mT, None


def eigh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix; only the
    triangle named by ``UPLO`` is read."""
    check_matrix(A, "linalg.eigh")
    check_float(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return return_types.linalg_eigh(*LinalgEigh.apply(A, UPLO))


def eigvalsh(A, UPLO="L", *, out=None):
    """The eigenvalues of a symmetric matrix, ascending."""
    return eigh(A, UPLO)[0]


class LinalgEig(Function):
    grad_name = "LinalgEigBackward0"

    @staticmethod
    def forward(ctx, A):
        x = A._data
        w, v = xp_of(x).linalg.eig(x)
        if w.dtype.kind == "c":
            raise RuntimeError(
                "linalg.eig: this matrix has complex eigenvalues, and autodiff has no complex "
                "dtype. Only matrices whose eigenvalues are all real are supported (they give "
                "real eigenvalues and eigenvectors); for symmetric matrices use linalg.eigh.")
        return _outputs(ctx, w, v)

    @staticmethod
    def backward(ctx, gL, gV):
        """A = V diag(L) V^-1 with unit-norm columns in V:
        dL/dA = V^-T (diag(gL) + (V^T gV - V^T V diag(V^T gV)) / E) V^T."""
        L, V = ctx.saved_tensors
        inner = 0
        if gV is not None:
            VtgV = V.mT @ gV
            n = L._data.shape[-1]
            norm_part = (V.mT @ V) * (VtgV * eye_like(n, VtgV)).sum(-2, keepdim=True)
            inner = _off_diagonal(VtgV - norm_part) / _eigen_gaps(L)
        if gL is not None:
            inner = inner + diag_embed(gL)
        return solve(V.mT, inner @ V.mT)


def eig(A, *, out=None):
    """Eigenvalues and unit-norm eigenvectors of a square matrix.

    torch returns complex tensors here; autodiff has no complex dtype, so it returns real
    tensors when all eigenvalues are real and raises a RuntimeError otherwise.
    """
    check_matrix(A, "linalg.eig")
    check_float(A, "linalg.eig")
    return return_types.linalg_eig(*LinalgEig.apply(A))


def eigvals(A, *, out=None):
    """The eigenvalues of a square matrix (real ones only: see ``eig``)."""
    return eig(A)[0]
