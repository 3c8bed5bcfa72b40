"""``autodiff.linalg``: the functions of ``torch.linalg``.

One difference from torch: there is no complex dtype, so ``eig`` and ``eigvals`` return real
tensors when all eigenvalues are real and raise a RuntimeError otherwise.
"""
from .ops._linalg_util import LinAlgError
from .ops.factorizations import (eig, eigh, eigvals, eigvalsh, linalg_cholesky as cholesky,
                                 linalg_qr as qr, linalg_svd as svd, svdvals)
from .ops.inverses import det, inv, lstsq, matrix_power, pinv, slogdet, solve
from .ops.linalg import linalg_cross as cross, matmul, multi_dot
from .ops.norms import cond, linalg_norm as norm, matrix_norm, matrix_rank, vector_norm

__all__ = ["LinAlgError", "cholesky", "cond", "cross", "det", "eig", "eigh", "eigvals",
           "eigvalsh", "inv", "lstsq", "matmul", "matrix_norm", "matrix_power", "matrix_rank",
           "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "vecdot",
           "vector_norm"]


def vecdot(x, y, *, dim=-1, out=None):
    """Dot products of the vectors along ``dim`` (other dims broadcast)."""
    from .ops.arithmetic import _out
    return _out((x * y).sum(dim), out)
