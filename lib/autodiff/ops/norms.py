"""Linear algebra, part 4: norms, rank and condition number.

``vector_norm`` (also behind ``torch.norm``) is one Function for every order p:
``(sum |x|^p)^(1/p)``, max / min |x| for p = +-inf, the number of non-zeros for p = 0. Its
gradient ``sign(x) |x|^(p-1) / norm^(p-1)`` is written so that zeros give 0, not nan: the
2-norm of a zero vector has gradient 0, as in torch.
Matrix norms are built on it and on the singular values: 'fro' is the vector 2-norm of all
entries, 1 and inf the largest column / row sum of |A| (a vector 1-norm along one dim, then
``amax``), 2 and -2 the largest / smallest singular value, 'nuc' their sum.
"""
from __future__ import annotations

import math

from .. import _dtype as D
from ..autograd.function import Function
from ..tensor import Tensor
from ._linalg_util import TYPE_NAMES, check_matrix, tolerances
from ._reduce import even_split, quiet, reduce_dims, unreduce
from ._util import norm_dim, norm_dims, promote, xp_of
from .arithmetic import _out
from .factorizations import svdvals
from .indexing import where

__all__ = ["vector_norm", "matrix_norm", "linalg_norm", "matrix_rank", "cond", "dist", "cdist"]

_INF = math.inf


class VectorNorm(Function):
    """``(sum |x|^p)^(1/p)`` over ``dims``; p = inf / -inf: max / min of ``|x|``; p = 0: the
    number of non-zeros. The gradient at a zero vector is 0, as in torch."""
    grad_name = "LinalgVectorNormBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, a, p, dims, keepdim):
        ctx.save_for_backward(a)
        return _norm(ctx, a._data, p, dims, keepdim, ctx.needs_input_grad[0])

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return _norm_grad(ctx, a, grad), None, None, None


class NormDim(VectorNorm):
    """The p-norm over dims as torch's C++ functions call it (``at::norm``): NormBackward1."""
    grad_name = "NormBackward1"


class Dist(Function):
    """``torch.dist``: the p-norm of ``a - b`` (all entries), one node as in torch."""
    grad_name = "DistBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, a, b, p):
        x, y = promote(a, b)
        ctx.save_for_backward(a, b)
        return _norm(ctx, x - y, p, tuple(range(max(x.ndim, y.ndim))), False,
                     ctx.needs_input_grad[0] or ctx.needs_input_grad[1])

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        g = _norm_grad(ctx, a - b, grad)
        return g, None if g is None else -g, None


class Cdist(Function):
    """``torch.cdist``: the p-norm distance of every row of ``a`` (..., P, M) to every row of
    ``b`` (..., R, M), giving (..., P, R)."""
    grad_name = "CdistBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, a, b, p):
        ctx.save_for_backward(a, b)
        d = a._data[..., :, None, :] - b._data[..., None, :, :]
        return _norm(ctx, d, p, (d.ndim - 1,), False,
                     ctx.needs_input_grad[0] or ctx.needs_input_grad[1])

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        g = _norm_grad(ctx, a.unsqueeze(-2) - b.unsqueeze(-3), grad)     # (..., P, R, M)
        if g is None:
            return None, None, None
        return g.sum(-2), -g.sum(-3), None


def _norm(ctx, x, p, dims, keepdim, needs_grad):
    """The forward of a p-norm of the array ``x``; keeps on ``ctx`` what its gradient needs."""
    xp = xp_of(x)
    ctx.p, ctx.dims, ctx.keepdim = p, dims, keepdim
    absx = xp.abs(x)
    if math.isinf(p):
        reduce = absx.max if p > 0 else absx.min
        if needs_grad:
            ctx.weights = even_split(absx, reduce(axis=dims, keepdims=True), dims, False)
        return reduce(axis=dims, keepdims=keepdim)
    if p == 0:
        return (x != 0).sum(axis=dims, keepdims=keepdim, dtype=x.dtype)
    if p == 1:
        return absx.sum(axis=dims, keepdims=keepdim)
    if p == 2:
        return xp.sqrt((x * x).sum(axis=dims, keepdims=keepdim))
    with quiet():                                # 0 ** negative p is inf
        return (absx ** p).sum(axis=dims, keepdims=keepdim) ** (1.0 / p)


def _norm_grad(ctx, a, grad):
    """The gradient of the p-norm of the tensor ``a`` (written with ops: differentiable)."""
    p = ctx.p
    if p == 0:                                   # piecewise constant: no gradient at all
        return None
    grad = unreduce(grad, a.shape, ctx.dims, ctx.keepdim)
    if math.isinf(p):                            # shared among the ties, like amax
        return grad * a.sign() * ctx.weights
    if p == 1:
        return grad * a.sign()
    norm = unreduce(ctx.output, a.shape, ctx.dims, ctx.keepdim)
    zero = norm == 0
    safe_norm = where(zero, 1.0, norm)          # a zero norm means a zero vector: grad 0
    if p == 2:
        return grad * a / safe_norm
    # d|x|_p / dx = sign(x) |x|^(p-1) / |x|_p^(p-1); taken as 0 where x or the norm is 0
    abs_pow = where(a == 0, 1.0, a.abs()) ** (p - 1)
    scale = where(zero, 0.0, grad / safe_norm ** (p - 1))
    return a.sign() * abs_pow * scale


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Distances between the rows of ``x1`` (B, P, M) and of ``x2`` (B, R, M): (B, P, R); the
    batch dims broadcast."""
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{t._data.ndim}D")
        if t._data.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{TYPE_NAMES[t.dtype.name]}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if x1.dtype != x2.dtype:
        raise RuntimeError(f"expected scalar type {TYPE_NAMES[x1.dtype.name]} but found "
                           f"{TYPE_NAMES[x2.dtype.name]}")
    return Cdist.apply(x1, x2, float(p))


def dist(input, other, p=2):
    """The p-norm of ``input - other`` (broadcast), over all entries."""
    for t in (input, other):
        if t._data.dtype.kind != "f":
            raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                               f"as input. Got {TYPE_NAMES[t.dtype.name]}")
    return Dist.apply(input, other, float(p))


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None, axis=None):
    """The p-norm of all entries of ``x`` or of the vectors along ``dim``."""
    dim = axis if dim is None else dim
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' (position 2) must be Number, not "
                        "str")
    if x._data.dtype.kind != "f":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {TYPE_NAMES[x.dtype.name]}")
    if dtype is not None:
        dtype = D.to_dtype(dtype)
        if not dtype.is_floating_point:
            raise RuntimeError("linalg.vector_norm: dtype should be floating point or complex, "
                               f"but got {TYPE_NAMES[dtype.name]}")
        if D.promote_types(x.dtype, dtype) is not dtype:
            raise RuntimeError(f"linalg.vector_norm: the dtype of the input "
                               f"({TYPE_NAMES[x.dtype.name]}) should be convertible without "
                               f"narrowing to the specified dtype ({TYPE_NAMES[dtype.name]})")
        x = x.to(dtype)
    dims = reduce_dims(dim, x._data.ndim)
    if abs(ord) == _INF and any(x._data.shape[d] == 0 for d in dims):
        raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty tensor "
                           "because the operation does not have an identity")
    return _out(VectorNorm.apply(x, float(ord), dims, keepdim), out)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None, axis=None):
    """A norm of the matrices spanned by the two dims ``dim``: 'fro', 'nuc', 1, -1, 2, -2, inf,
    -inf (1 and inf are the largest column and row sums of |A|, 2 the largest singular value)."""
    dim = dim if axis is None else axis
    check_matrix(A, "linalg.matrix_norm", square=False)
    if isinstance(dim, int) or len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                           f"{dim if isinstance(dim, int) else ' '.join(map(str, dim))}")
    norm_dims(dim, A.ndim)                         # rejects repeated dims
    d0, d1 = (norm_dim(d, A.ndim) for d in dim)
    if ord == "fro":
        return _out(vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype), out)
    if dtype is not None:
        A = A.to(dtype)
    if ord in ("nuc", 2, -2):
        S = svdvals(A.movedim((d0, d1), (-2, -1)))
        result = S.sum(-1) if ord == "nuc" else S.amax(-1) if ord == 2 else S.amin(-1)
        if keepdim:
            for d in sorted((d0, d1)):
                result = result.unsqueeze(d)
        return _out(result, out)
    if ord in (1, -1, _INF, -_INF):
        summed, extreme = (d0, d1) if abs(ord) == 1 else (d1, d0)
        sums = vector_norm(A, 1, summed, keepdim)
        if not keepdim and summed < extreme:
            extreme -= 1
        return _out(sums.amax(extreme, keepdim) if ord > 0 else sums.amin(extreme, keepdim), out)
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None, axis=None):
    """``linalg.norm``: a vector norm or a matrix norm, depending on ``ord`` and ``dim``."""
    dim = axis if dim is None else dim
    if dim is not None:
        dim = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dim) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. "
                               f"Got {list(dim)}")
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype, out=out)
    if dim is None:
        if A.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                               f"be 1D or 2D. Got {A.ndim}D.")
        dim = tuple(range(A.ndim))
    if isinstance(ord, str) or len(dim) == 2:
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype, out=out)
    return vector_norm(A, ord, dim, keepdim, dtype=dtype, out=out)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None, out=None):
    """The number of singular values above ``max(atol, rtol * largest)`` (an int64 tensor)."""
    if A._data.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least "
                           "2 dimensions.")
    if A._data.dtype.kind != "f":
        raise RuntimeError("This function doesn't handle types other than float and double")
    atol, rtol = tolerances(A, atol if tol is None else tol, rtol)
    x = A._data
    xp = xp_of(x)
    s = xp.abs(xp.linalg.eigvalsh(x)) if hermitian else xp.linalg.svd(x, compute_uv=False)
    smax = s.max(-1, keepdims=True) if s.shape[-1] else s[..., :1]
    rank = (s > xp.maximum(atol, rtol * smax)).sum(-1)
    return _out(Tensor._make(xp.asarray(rank, dtype=xp.int64)), out)


def cond(A, p=None, *, out=None):
    """The condition number: largest / smallest singular value (p None, 2, -2), otherwise
    ``norm(A, p) * norm(inv(A), p)``."""
    check_matrix(A, "linalg.cond", square=p not in (None, 2, -2))
    if p in (None, 2, -2):
        S = svdvals(A)
        big, small = S[..., 0], S[..., -1]
        return _out(big / small if p != -2 else small / big, out)
    return _out(matrix_norm(A, p) * matrix_norm(A.inverse(), p), out)
