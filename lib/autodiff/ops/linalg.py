"""Linear algebra: the ``linalg`` family of ops.

The family spans several modules: ``matmul.py`` (matmul, mm, bmm, mv, dot, addmm, ...),
``einsum.py``, ``inverses.py`` (inv, det, solve, pinv, ...), ``factorizations.py`` (cholesky,
qr, svd, eigh, eig) and ``norms.py``. This one holds the products built on matmul (tensordot,
kron, outer, bilinear, multi_dot, ...) and lists in ``__all__`` the names torch has at top level
(``torch.det``, ``torch.einsum``, ...); ``autodiff/linalg.py`` is the ``autodiff.linalg``
namespace.
"""
from __future__ import annotations

import math
import warnings

from ..autograd.function import Function
from ..tensor import Tensor
from ._linalg_util import C_NAMES, TYPE_NAMES, batch_shape, check_not_bool, eye_like, unsafe_view
from ._util import norm_dim, xp_of
from .arithmetic import _out
from .einsum import einsum
from .factorizations import cholesky, qr, svd
from .inverses import det, inverse, logdet, matrix_power, pinverse, slogdet
from .matmul import addmm, addmv, baddbmm, bmm, dot, matmul, mm, mv, vdot

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm", "addmv",
           "baddbmm", "tensordot", "kron", "cross", "trace", "bilinear", "chain_matmul", "einsum",
           "inverse", "det", "logdet", "slogdet", "matrix_power", "cholesky", "pinverse", "qr",
           "svd"]


# ---- products built from matmul ---------------------------------------------------------------
def outer(input, vec2, *, out=None):
    """Outer product of two vectors: ``out[i, j] = input[i] * vec2[j]``."""
    for name, v in (("self", input), ("vec2", vec2)):
        if v._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v._data.ndim}-D")
    return _out(input.reshape(-1, 1) * vec2, out)


ger = outer


def tensordot(a, b, dims=2, out=None):
    """Contract the last ``dims`` dims of ``a`` with the first ``dims`` of ``b`` (or the two
    lists of dims given as a pair), by permuting both into matrices and calling mm."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    for da, db in zip(dims_a, dims_b):
        sa, sb = a._data.shape[norm_dim(da, a.ndim)], b._data.shape[norm_dim(db, b.ndim)]
        if sa != sb:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} in "
                               f"dim {da} and second has size {sb} in dim {db}")
    ca = [norm_dim(d, a.ndim) for d in dims_a]
    cb = [norm_dim(d, b.ndim) for d in dims_b]
    free_a = [d for d in range(a.ndim) if d not in ca]
    free_b = [d for d in range(b.ndim) if d not in cb]
    k = math.prod(a._data.shape[d] for d in ca)
    left = a.permute(free_a + ca).reshape(-1, k)
    right = b.permute(cb + free_b).reshape(k, -1)
    shape = [a._data.shape[d] for d in free_a] + [b._data.shape[d] for d in free_b]
    return _out(mm(left, right).reshape(shape), out)


def inner(input, other, *, out=None):
    """Sum over the last dims of both: ``inner(a, b)[i.., j..] = sum_k a[i.., k] b[j.., k]``."""
    if input._data.ndim == 0 or other._data.ndim == 0:
        return _out(input * other, out)
    if input._data.shape[-1] != other._data.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(input._data.shape)} and {list(other._data.shape)}")
    return _out(tensordot(input, other, dims=([-1], [-1])), out)


def kron(input, other, *, out=None):
    """Kronecker product: every element of ``input`` times the whole of ``other``."""
    nd = max(input.ndim, other.ndim)
    sa = (1,) * (nd - input.ndim) + input._data.shape
    sb = (1,) * (nd - other.ndim) + other._data.shape
    a = input.reshape([s for d in sa for s in (d, 1)])         # (a0, 1, a1, 1, ...)
    b = other.reshape([s for d in sb for s in (1, d)])         # (1, b0, 1, b1, ...)
    return _out(unsafe_view(a * b, [x * y for x, y in zip(sa, sb)]), out)


class LinalgCross(Function):
    grad_name = "LinalgCrossBackward0"

    @staticmethod
    def forward(ctx, a, b, dim):
        ctx.save_for_backward(a, b)
        ctx.dim = dim
        x, y = a._data, b._data
        xp = xp_of(x)
        shape = batch_shape(x.shape, y.shape)
        return xp.cross(xp.broadcast_to(x, shape), xp.broadcast_to(y, shape), axis=dim)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (LinalgCross.apply(b, grad, ctx.dim) if ctx.needs_input_grad[0] else None,
                LinalgCross.apply(grad, a, ctx.dim) if ctx.needs_input_grad[1] else None, None)


def linalg_cross(input, other, *, dim=-1, out=None, axis=None):
    """Cross product of 3-vectors along ``dim`` (other dims broadcast)."""
    dim = dim if axis is None else axis
    if input._data.ndim != other._data.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"expected scalar type {TYPE_NAMES[input.dtype.name]} but found "
                           f"{TYPE_NAMES[other.dtype.name]}")
    d = norm_dim(dim, input._data.ndim)
    na, nb = input._data.shape[d], other._data.shape[d]
    if na != 3 or nb != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {na} "
                           f"and {nb}")
    batch_shape(input._data.shape, other._data.shape)
    return _out(LinalgCross.apply(input, other, d), out)


def cross(input, other, dim=None, *, out=None, axis=None):
    """``linalg.cross``, except that ``dim`` defaults to the first dim of size 3 (deprecated)."""
    dim = axis if dim is None else dim
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=2)
        shape = batch_shape(input._data.shape, other._data.shape)
        dim = next((i for i, s in enumerate(shape) if s == 3), -1)
    return linalg_cross(input, other, dim=dim, out=out)


class Trace(Function):
    grad_name = "TraceBackward0"

    @staticmethod
    def forward(ctx, a):
        x = a._data
        ctx.shape = x.shape
        return x.trace(dtype=x.dtype if x.dtype.kind == "f" else "int64")

    @staticmethod
    def backward(ctx, grad):
        return grad * eye_like(ctx.shape[0], grad, ctx.shape[1])


def trace(input):
    """Sum of the main diagonal of a 2-D tensor (integers are summed as int64)."""
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    check_not_bool(input, "trace")
    return Trace.apply(input)


def bilinear(input1, input2, weight, bias=None):
    """``y[..., o] = input1[..., i] weight[o, i, j] input2[..., j] + bias[o]``."""
    if input1._data.ndim != input2._data.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1._data.ndim} "
                           f"and {input2._data.ndim}")
    for i, (s1, s2) in enumerate(zip(input1._data.shape[:-1], input2._data.shape[:-1])):
        if s1 != s2:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got "
                               f"{s1} and {s2}")
    ws = weight._data.shape
    for k, x in ((1, input1), (2, input2)):
        expected = ws[min(k, len(ws) - 1)]
        if weight._data.ndim != 3 or x._data.shape[-1] != expected:
            raise RuntimeError(f"bilinear(): input{k} size does not match weight size: got "
                               f"{x._data.shape[-1]} but expected {expected}")
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != ws[0]):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias._data.shape[0]} but expected {ws[0]}")
    tensors = [("input1", input1), ("input2", input2), ("weight", weight)]
    tensors += [("bias", bias)] if bias is not None else []
    if len({t._data.dtype for _, t in tensors}) > 1:
        raise RuntimeError("All tensors must have the same dtype, got " + ", ".join(
            f"{name}: {C_NAMES[t.dtype.name]}" for name, t in tensors))
    y = einsum("...i,oij,...j->...o", input1, weight, input2)
    return y if bias is None else y + bias


def chain_matmul(*matrices, out=None):
    """Deprecated alias of ``linalg.multi_dot`` for 2-D tensors."""
    return _out(multi_dot(matrices), out)


def multi_dot(tensors, *, out=None):
    """The product of a chain of matrices, multiplied in the cheapest order (first and last may
    be vectors)."""
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    for i, t in enumerate(tensors):
        d = t._data.ndim
        where = "first" if i == 0 else "last" if i == n - 1 else None
        if where and d not in (1, 2):
            raise RuntimeError(f"multi_dot(): the {where} tensor must be 1D or 2D but got {d}D")
        if not where and d != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {d}D")
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0"
                               f" is {C_NAMES[tensors[0].dtype.name]} and tensor {i} "
                               f"{C_NAMES[t.dtype.name]}")
    mats = list(tensors)
    first_vec, last_vec = mats[0].ndim == 1, mats[-1].ndim == 1
    if first_vec:
        mats[0] = mats[0].unsqueeze(0)
    if last_vec:
        mats[-1] = mats[-1].unsqueeze(-1)
    for i in range(n - 1):
        s1, s2 = mats[i]._data.shape, mats[i + 1]._data.shape
        if s1[1] != s2[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(tensors[i].shape)} and {list(tensors[i + 1].shape)} "
                               "cannot be multiplied")
    result = _chain(mats, _chain_order([m._data.shape[0] for m in mats] + [mats[-1].shape[1]]),
                    0, n - 1)
    shape = [s for s, vec in zip(result.shape, (first_vec, last_vec)) if not vec]
    return _out(result.reshape(shape), out)      # a view, as in torch, even if nothing changes


def _chain_order(p):
    """Matrix-chain dynamic programme: split[i][j] is where to cut the product of matrices
    i..j (of shapes p[i] x p[i+1], ...) to do the fewest multiplications."""
    n = len(p) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j], split[i][j] = min(
                (cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1], k) for k in range(i, j))
    return split


def _chain(mats, split, i, j):
    if i == j:
        return mats[i]
    k = split[i][j]
    return mm(_chain(mats, split, i, k), _chain(mats, split, k + 1, j))


__methods__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm",
               "addmv", "baddbmm", "kron", "cross", "trace", "inverse", "det", "logdet",
               "slogdet", "matrix_power", "cholesky", "pinverse", "svd", "qr"]
__inplace__ = ["addmm", "addmv", "baddbmm"]
