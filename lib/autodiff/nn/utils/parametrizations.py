"""Ready-made parametrizations (``torch.nn.utils.parametrizations``): ``orthogonal``,
``weight_norm`` and ``spectral_norm``, each a small Module registered with
:func:`autodiff.nn.utils.parametrize.register_parametrization`.
"""
from __future__ import annotations

import math
from enum import Enum, auto

from ... import _creation as C, linalg
from ..._dtype import finfo
from ..._sampling import randn
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad
from ...ops._util import xp_of
from ...ops.comparison import allclose
from ...ops.joining import cat
from ...ops.matmul import vdot
from ...tensor import Tensor
from .. import functional as F
from ..modules.module import Module
from . import parametrize
from .weight_norm import _weight_norm, norm_except_dim

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# ---- the linear algebra behind orthogonal() ------------------------------------------------------
class _MatrixExp(Function):
    """``exp(A) = sum A^k / k!`` by scaling and squaring: ``exp(A) = exp(A / 2^s)^(2^s)``,
    with ``||A / 2^s|| <= 1/2`` so that 18 Taylor terms reach float64 precision."""
    grad_name = "LinalgMatrixExpBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        x = a._data
        xp = xp_of(x)
        norm = float(xp.abs(x).sum(axis=-2).max()) if x.size else 0.0
        s = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
        x = x / 2.0 ** s
        term = result = xp.broadcast_to(xp.eye(x.shape[-1], dtype=x.dtype), x.shape)
        for k in range(1, 19):
            term = term @ x / k
            result = result + term
        for _ in range(s):
            result = result @ result
        return result

    @staticmethod
    def backward(ctx, grad):
        # The derivative of exp at A applied to G is the top-right block of exp([[A, G], [0, A]]);
        # the gradient uses A^H in place of A.
        a, = ctx.saved_tensors
        n, aH = a.shape[-1], a.mH
        block = cat([cat([aH, grad], -1), cat([C.zeros_like(grad), aH], -1)], -2)
        return _MatrixExp.apply(block)[..., :n, n:]


def _householder_product(A, tau):
    """``linalg.householder_product``: the first columns of ``H_1 ... H_k``, with
    ``H_i = I - tau_i v_i v_i^H`` and ``v_i`` column ``i`` of ``A`` below a unit diagonal."""
    n, k = A.shape[-2:]
    eye = C.eye(n, k, dtype=A.dtype, device=A.device)
    V = A.tril(-1) + eye
    Q = eye
    for i in reversed(range(k)):
        v = V[..., :, i:i + 1]
        Q = Q - tau[..., i:i + 1].unsqueeze(-1) * (v @ (v.mH @ Q))
    return Q


def _is_orthogonal(Q):
    n, k = Q.shape[-2:]
    eps = 10.0 * n * finfo(Q.dtype).eps
    return allclose(Q.mH @ Q, C.eye(k, dtype=Q.dtype, device=Q.device), atol=eps)


def _make_orthogonal(A):
    """The Q of the QR decomposition of ``A`` whose R has a positive diagonal."""
    Q, R = linalg.qr(A)
    return Q * R.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    """Maps an unconstrained matrix to an orthogonal one (``Q^H Q = I``); with
    ``use_trivialization`` the result is multiplied by the orthogonal buffer ``base``."""

    def __init__(self, weight, orthogonal_map: _OrthMaps, *, use_trivialization=True) -> None:
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        n, k = X.shape[-2:]
        transposed = n < k
        if transposed:
            X, n, k = X.mT, k, n
        if self.orthogonal_map == _OrthMaps.householder:
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            # the diagonal of X holds the signs +-1 (not differentiated, hence the int cast)
            Q = _householder_product(A, tau) * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        else:
            X = X.tril()                       # n*k - k(k-1)/2 free entries
            if n != k:                         # embed into a square matrix
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH                       # skew-symmetric
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = _MatrixExp.apply(A)
            else:                              # Cayley: (I - A/2)^{-1} (I + A/2)
                Id = C.eye(n, dtype=A.dtype, device=A.device)
                Q = linalg.solve(Id - 0.5 * A, Id + 0.5 * A)
            Q = Q[..., :k] if n != k else Q
        if "base" in self._buffers:
            Q = self.base @ Q
        return Q.mT if transposed else Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        with no_grad():
            return self._right_inverse(Q)

    def _right_inverse(self, Q):
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {Q.shape}.")
        Q_init = Q
        n, k = Q.shape[-2:]
        transpose = n < k
        if transpose:
            Q, n, k = Q.mT, k, n
        if "base" not in self._buffers:
            if self.orthogonal_map != _OrthMaps.householder:
                raise NotImplementedError("It is not possible to assign to the matrix exponential "
                                          "or the Cayley parametrizations when "
                                          "use_trivialization=False.")
            # the Householder reflectors of Q (LAPACK geqrf), with the signs of R's diagonal
            h, tau = xp_of(Q._data).linalg.qr(Q._data, mode="raw")
            A = h.swapaxes(-1, -2).copy()
            diag = A.diagonal(axis1=-2, axis2=-1)
            signs = xp_of(A).where(tau == 0.0, -1.0, 1.0) * xp_of(A).sign(diag)
            A[..., range(k), range(k)] = signs
            A = Tensor._make(A)
            return A.mT if transpose else A
        if n == k:
            Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
        else:                                  # complete Q to an n x n orthogonal matrix
            N = randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype, device=Q.device)
            Q = _make_orthogonal(cat([Q, N], dim=-1))
        self.base = Q
        # -Id: householder(-Id) is the identity, so the initial weight is base itself
        eye = C.eye(*Q_init.shape[-2:], dtype=Q_init.dtype, device=Q_init.device)
        return (-eye).expand(Q_init.shape).clone()


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Constrain the matrix (or batch of matrices) ``module.<name>`` to be orthogonal, via the
    matrix exponential (default for square matrices), the Cayley map or Householder reflections
    (default for rectangular ones)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError("Expected a matrix or batch of matrices. "
                         f"Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = ("matrix_exp" if weight.shape[-2] == weight.shape[-1]
                          or weight.is_complex() else "householder")
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


# ---- weight_norm ---------------------------------------------------------------------------------
class _WeightNorm(Module):
    """``(g, v) -> g * v / ||v||``; ``right_inverse`` splits a weight into its norms and itself."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int = 0):
    """Reparametrize ``module.<name>`` as ``g * v / ||v||`` (norms over every dimension but
    ``dim``): ``g`` is ``parametrizations.<name>.original0``, ``v`` is ``original1``."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def compat_hook(mod, state_dict, prefix, local_metadata, strict, missing_keys,
                    unexpected_keys, error_msgs):
        """Load checkpoints of the legacy version (keys ``<name>_g`` and ``<name>_v``)."""
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module.register_load_state_dict_pre_hook(compat_hook)
    return module


# ---- spectral_norm -------------------------------------------------------------------------------
class _SpectralNorm(Module):
    """``W -> W / sigma(W)``, the largest singular value estimated by power iteration on the
    buffers ``_u`` and ``_v`` (one more step per forward in training mode)."""

    def __init__(self, weight, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:              # a vector's norm needs no estimate
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations: int) -> None:
        # u and v are updated in place; forward clones them, so a graph built by an earlier
        # forward still sees the values it used
        with no_grad():
            for _ in range(n_power_iterations):
                self._u = F.normalize(weight_mat.mv(self._v), dim=0, eps=self.eps, out=self._u)
                self._v = F.normalize(weight_mat.mH.mv(self._u), dim=0, eps=self.eps,
                                      out=self._v)

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = vdot(u, weight_mat.mv(v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Divide ``module.<name>`` by its spectral norm (largest singular value, with the weight
    seen as a matrix of rows along ``dim``: 1 for transposed convolutions, else 0)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
