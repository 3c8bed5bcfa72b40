"""Linear algebra (ops/linalg.py, einsum.py, inverses.py, factorizations.py, norms.py and the
``autodiff.linalg`` namespace): a table of differentiable ops, each gradchecked to second order
in float64 and compared with torch (values, gradients, grad_fn name); then dtype rules, error
messages, and the special cases (singular matrices, zero vectors, complex eigenvalues)."""
import math
import warnings

import numpy as np
import pytest

import autodiff
from _helpers import OpSpec, run_gradcheck, run_torch_parity, spec_params

INF = math.inf


# ---- input domains: well-conditioned matrices, so that finite differences are accurate -------
def _normal(rng, shape):
    return rng.standard_normal(shape)


def _well_conditioned(rng, shape):
    """Random matrices plus 3 I: invertible, with distinct singular values."""
    n = shape[-1]
    return rng.uniform(-1, 1, shape) + 3 * np.eye(n)


def _spd(rng, shape):
    """Symmetric positive-definite: X X^T + n I."""
    x = rng.standard_normal(shape)
    return x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])


def _real_spectrum(rng, shape):
    """P diag(1, 2.5, 4, ...) P^-1: real, well separated eigenvalues."""
    n = shape[-1]
    p = rng.uniform(-0.3, 0.3, shape) + np.eye(n)
    return p @ np.diag(1 + 1.5 * np.arange(n)) @ np.linalg.inv(p)


def _sym(m, a):
    """The symmetric part: lets gradcheck perturb every entry of inputs that must be symmetric."""
    return (a + a.mT) / 2


def _real(m, t):
    """torch's eig is complex even for a real spectrum; autodiff's is real."""
    return t if m is autodiff else t.real


def _qr_invariant(m, a, mode="reduced"):
    """(Q o Q) (R o R) does not depend on the signs of the columns of Q (rows of R)."""
    Q, R = m.linalg.qr(a, mode=mode)
    return (Q * Q) @ (R * R)


def _svd_invariant(m, a, full_matrices=False):
    U, S, Vh = m.linalg.svd(a, full_matrices=full_matrices)
    k = S.shape[-1]
    return ((U[..., :k] * U[..., :k]) * S.unsqueeze(-2)) @ (Vh[..., :k, :] * Vh[..., :k, :])


def _eigh_invariant(m, a):
    L, V = m.linalg.eigh(_sym(m, a))
    return ((V * V) * L.unsqueeze(-2)) @ (V * V).mT


def _eig_invariant(m, a):
    L, V = m.linalg.eig(a)
    L, V = _real(m, L), _real(m, V)
    return ((V * V) * L.unsqueeze(-2)) @ (V * V).mT


M, N, K = 2, 3, 4
PRODUCTS = [
    OpSpec("matmul_1d_1d", lambda m, a, b: a @ b, ((N,), "real"), ((N,), "real")),
    OpSpec("matmul_2d_1d", lambda m, a, b: a @ b, ((M, N), "real"), ((N,), "real")),
    OpSpec("matmul_1d_2d", lambda m, a, b: a @ b, ((N,), "real"), ((N, K), "real")),
    OpSpec("matmul_2d_2d", lambda m, a, b: a @ b, ((M, N), "real"), ((N, K), "real")),
    OpSpec("matmul_3d_2d", lambda m, a, b: a @ b, ((5, M, N), "real"), ((N, K), "real")),
    OpSpec("matmul_3d_1d", lambda m, a, b: a @ b, ((5, M, N), "real"), ((N,), "real")),
    OpSpec("matmul_3d_3d", lambda m, a, b: a @ b, ((5, M, N), "real"), ((5, N, K), "real")),
    OpSpec("matmul_1d_3d", lambda m, a, b: m.matmul(a, b), ((N,), "real"), ((5, N, K), "real")),
    OpSpec("matmul_broadcast", lambda m, a, b: a @ b, ((3, 1, M, N), "real"),
           ((2, N, K), "real")),
    # torch transposes this case into one mm (CloneBackward0 on top); we broadcast into a bmm
    OpSpec("matmul_2d_3d", lambda m, a, b: a @ b, ((M, N), "real"), ((5, N, K), "real"),
           name=False),
    OpSpec("mm", lambda m, a, b: m.mm(a, b), ((M, N), "real"), ((N, K), "real")),
    OpSpec("bmm", lambda m, a, b: a.bmm(b), ((5, M, N), "real"), ((5, N, K), "real")),
    OpSpec("mv", lambda m, a, b: a.mv(b), ((M, N), "real"), ((N,), "real")),
    OpSpec("dot", lambda m, a, b: m.dot(a, b), ((N,), "real"), ((N,), "real")),
    OpSpec("vdot", lambda m, a, b: a.vdot(b), ((N,), "real"), ((N,), "real")),
    OpSpec("inner_1d", lambda m, a, b: m.inner(a, b), ((N,), "real"), ((N,), "real")),
    OpSpec("inner_nd", lambda m, a, b: a.inner(b), ((M, N), "real"), ((K, 2, N), "real")),
    OpSpec("inner_0d", lambda m, a, b: m.inner(a, b), ((M, N), "real"), ((), "real")),
    OpSpec("outer", lambda m, a, b: m.outer(a, b), ((N,), "real"), ((K,), "real")),
    OpSpec("ger", lambda m, a, b: a.ger(b), ((N,), "real"), ((K,), "real")),
    OpSpec("addmm", lambda m, c, a, b: m.addmm(c, a, b), ((M, K), "real"), ((M, N), "real"),
           ((N, K), "real")),
    OpSpec("addmm_scaled", lambda m, c, a, b: c.addmm(a, b, beta=0.5, alpha=-2),
           ((K,), "real"), ((M, N), "real"), ((N, K), "real")),
    OpSpec("addmv", lambda m, c, a, b: m.addmv(c, a, b, beta=2, alpha=0.5), ((M,), "real"),
           ((M, N), "real"), ((N,), "real")),
    OpSpec("baddbmm", lambda m, c, a, b: m.baddbmm(c, a, b, alpha=3), ((M, K), "real"),
           ((5, M, N), "real"), ((5, N, K), "real")),
    OpSpec("tensordot_int", lambda m, a, b: m.tensordot(a, b, dims=2), ((M, N, K), "real"),
           ((N, K, 2), "real")),
    OpSpec("tensordot_lists", lambda m, a, b: m.tensordot(a, b, dims=([0, 2], [1, 0])),
           ((M, N, K), "real"), ((K, M, 2), "real")),
    OpSpec("tensordot_0", lambda m, a, b: m.tensordot(a, b, dims=0), ((M,), "real"),
           ((N,), "real"), name=False),
    OpSpec("kron", lambda m, a, b: m.kron(a, b), ((M, N), "real"), ((N, M), "real")),
    OpSpec("kron_mixed_ndim", lambda m, a, b: a.kron(b), ((N,), "real"), ((M, 2, N), "real")),
    OpSpec("cross", lambda m, a, b: m.cross(a, b, dim=0), ((3, K), "real"), ((3, K), "real")),
    OpSpec("linalg_cross", lambda m, a, b: m.linalg.cross(a, b), ((K, 3), "real"),
           ((1, 3), "real")),
    OpSpec("trace", lambda m, a: m.trace(a), ((N, K), "real")),
    OpSpec("bilinear", lambda m, a, b, w, c: m.bilinear(a, b, w, c), ((5, N), "real"),
           ((5, K), "real"), ((M, N, K), "real"), ((M,), "real")),
    # torch's einsum is a permute/bmm/view graph; ours is one EinsumBackward0 node
    OpSpec("bilinear_nobias", lambda m, a, b, w: m.bilinear(a, b, w, None),
           ((2, 5, N), "real"), ((2, 5, K), "real"), ((M, N, K), "real"), name=False),
    OpSpec("multi_dot", lambda m, a, b, c, d: m.linalg.multi_dot([a, b, c, d]), ((N,), "real"),
           ((N, 5), "real"), ((5, 2), "real"), ((2,), "real")),
    OpSpec("multi_dot_matrices", lambda m, a, b, c: m.linalg.multi_dot([a, b, c]),
           ((5, 1), "real"), ((1, 6), "real"), ((6, 2), "real")),
    OpSpec("chain_matmul", lambda m, a, b: m.chain_matmul(a, b), ((M, N), "real"),
           ((N, K), "real")),
    OpSpec("linalg_matmul", lambda m, a, b: m.linalg.matmul(a, b), ((M, N), "real"),
           ((N, K), "real")),
    OpSpec("vecdot", lambda m, a, b: m.linalg.vecdot(a, b), ((M, N), "real"), ((N,), "real"),
           name=False),
]

EINSUM = [OpSpec("einsum_" + eq.replace(",", "_").replace("->", "_to_").replace("...", "E"),
                 (lambda eq: lambda m, *xs: m.einsum(eq, *xs))(eq), *args, name=False)
          for eq, *args in [
              ("ij,jk->ik", ((M, N), "real"), ((N, K), "real")),
              ("ij,jk", ((M, N), "real"), ((N, K), "real")),
              ("ii->i", ((N, N), "real")),
              ("ii", ((N, N), "real")),
              ("ij->", ((M, N), "real")),
              ("ij->j", ((M, N), "real")),
              ("ba", ((M, N), "real")),
              ("iij,j->i", ((N, N, M), "real"), ((M,), "real")),
              ("bij,bjk->bik", ((1, M, N), "real"), ((K, N, K), "real")),
              ("i,i,i->", ((N,), "real"), ((N,), "real"), ((N,), "real")),
              ("ij,jk,kl->il", ((M, N), "real"), ((N, K), "real"), ((K, M), "real")),
              ("...ij,...jk", ((2, M, N), "real"), ((N, K), "real")),
              ("i...->...", ((M, N, K), "real")),
              ("b...,b...->b...", ((M, N), "real"), ((M, 1, N), "real")),
              ("a b, b c -> c a", ((M, N), "real"), ((N, K), "real")),
          ]]

INVERSES = [
    OpSpec("inv", lambda m, a: m.linalg.inv(a), ((N, N), _well_conditioned)),
    OpSpec("inverse_batched", lambda m, a: m.inverse(a), ((2, N, N), _well_conditioned)),
    OpSpec("det", lambda m, a: m.linalg.det(a), ((N, N), _well_conditioned)),
    OpSpec("det_batched", lambda m, a: a.det(), ((2, N, N), _normal)),
    OpSpec("slogdet", lambda m, a: m.slogdet(a)[1], ((2, N, N), _normal)),
    OpSpec("linalg_slogdet", lambda m, a: m.linalg.slogdet(a).logabsdet, ((N, N), _normal)),
    OpSpec("logdet", lambda m, a: m.logdet(a), ((N, N), _spd)),
    OpSpec("matrix_power_3", lambda m, a: m.matrix_power(a, 3), ((N, N), "real")),
    OpSpec("matrix_power_6_batched", lambda m, a: a.matrix_power(6), ((2, N, N), "unit")),
    OpSpec("matrix_power_1", lambda m, a: m.linalg.matrix_power(a, 1), ((N, N), "real")),
    OpSpec("matrix_power_0", lambda m, a: m.matrix_power(a, 0), ((N, N), "real"), name=False),
    OpSpec("matrix_power_neg", lambda m, a: m.matrix_power(a, -2), ((N, N), _well_conditioned)),
    OpSpec("solve_vector", lambda m, a, b: m.linalg.solve(a, b), ((N, N), _well_conditioned),
           ((N,), "real")),
    OpSpec("solve_matrix", lambda m, a, b: m.linalg.solve(a, b), ((N, N), _well_conditioned),
           ((N, M), "real")),
    OpSpec("solve_batched_vectors", lambda m, a, b: m.linalg.solve(a, b),
           ((2, N, N), _well_conditioned), ((2, N), "real")),
    OpSpec("solve_broadcast", lambda m, a, b: m.linalg.solve(a, b),
           ((2, N, N), _well_conditioned), ((N, M), "real")),
    OpSpec("solve_right", lambda m, a, b: m.linalg.solve(a, b, left=False),
           ((N, N), _well_conditioned), ((M, N), "real"), name=False),
    OpSpec("pinv_tall", lambda m, a: m.linalg.pinv(a), ((K, N), "real")),
    OpSpec("pinv_wide_batched", lambda m, a: m.linalg.pinv(a), ((2, M, K), "real")),
    OpSpec("pinv_hermitian", lambda m, a: m.linalg.pinv(_sym(m, a), hermitian=True),
           ((N, N), _spd)),
    OpSpec("pinverse", lambda m, a: a.pinverse(), ((K, N), "real")),
    OpSpec("lstsq", lambda m, a, b: m.linalg.lstsq(a, b).solution, ((K, N), "real"),
           ((K, M), "real"), name=False),
]

FACTORIZATIONS = [
    OpSpec("cholesky", lambda m, a: m.linalg.cholesky(_sym(m, a)), ((N, N), _spd)),
    OpSpec("cholesky_upper_batched", lambda m, a: m.linalg.cholesky(_sym(m, a), upper=True),
           ((2, N, N), _spd)),
    OpSpec("cholesky_legacy", lambda m, a: _sym(m, a).cholesky(), ((N, N), _spd)),
    OpSpec("qr_tall", _qr_invariant, ((K, N), "real"), name=False),
    OpSpec("qr_square_batched", _qr_invariant, ((2, N, N), "real"), name=False),
    OpSpec("qr_wide", _qr_invariant, ((M, K), "real"), name=False),
    OpSpec("qr_complete_square", lambda m, a: _qr_invariant(m, a, "complete"), ((N, N), "real"),
           name=False),
    OpSpec("qr_R", lambda m, a: m.linalg.qr(a)[1].abs(), ((K, N), "real"), name=False),
    OpSpec("svd_tall", _svd_invariant, ((K, N), "real"), name=False),
    OpSpec("svd_wide_batched", _svd_invariant, ((2, N, K), "real"), name=False),
    OpSpec("svd_full_matrices", lambda m, a: _svd_invariant(m, a, True), ((K, N), "real"),
           name=False),
    OpSpec("svd_S", lambda m, a: m.linalg.svd(a)[1], ((N, K), "real")),
    OpSpec("svdvals", lambda m, a: m.linalg.svdvals(a), ((2, K, N), "real")),
    OpSpec("svd_legacy", lambda m, a: m.svd(a)[1], ((K, N), "real")),
    OpSpec("eigh", _eigh_invariant, ((N, N), "real"), name=False),
    OpSpec("eigh_values", lambda m, a: m.linalg.eigh(_sym(m, a))[0], ((2, N, N), _spd)),
    OpSpec("eigvalsh", lambda m, a: m.linalg.eigvalsh(_sym(m, a), UPLO="U"), ((N, N), _spd)),
    OpSpec("eig", _eig_invariant, ((N, N), _real_spectrum), name=False),
    OpSpec("eigvals", lambda m, a: _real(m, m.linalg.eigvals(a)), ((N, N), _real_spectrum),
           name=False),
]

NORMS = [
    OpSpec("norm_default", lambda m, a: m.linalg.norm(a), ((M, N, K), "real")),
    OpSpec("norm_vector_ord", lambda m, a: m.linalg.norm(a, 3), ((K,), "real")),
    OpSpec("norm_dim", lambda m, a: m.linalg.norm(a, -1, dim=1), ((N, K), "nonzero")),
    OpSpec("norm_fro", lambda m, a: m.linalg.norm(a, "fro"), ((N, K), "real")),
    OpSpec("norm_matrix_dim", lambda m, a: m.linalg.norm(a, 1, dim=(2, 0), keepdim=True),
           ((N, K, M), "real")),
    OpSpec("vector_norm_inf", lambda m, a: m.linalg.vector_norm(a, INF, dim=-1),
           ((N, K), "real")),
    OpSpec("vector_norm_-inf", lambda m, a: m.linalg.vector_norm(a, -INF), ((N, K), "real")),
    OpSpec("vector_norm_1", lambda m, a: m.linalg.vector_norm(a, 1, dim=(0, 1), keepdim=True),
           ((N, K, M), "nonzero")),
    OpSpec("vector_norm_half", lambda m, a: m.linalg.vector_norm(a, 0.5), ((K,), "nonzero")),
    OpSpec("matrix_norm_fro", lambda m, a: m.linalg.matrix_norm(a), ((M, N, K), "real")),
    OpSpec("matrix_norm_nuc", lambda m, a: m.linalg.matrix_norm(a, "nuc"), ((M, N, K), "real")),
    OpSpec("matrix_norm_2", lambda m, a: m.linalg.matrix_norm(a, 2), ((M, N, K), "real")),
    OpSpec("matrix_norm_-2", lambda m, a: m.linalg.matrix_norm(a, -2, dim=(0, 2)),
           ((N, M, N), "real")),
    OpSpec("matrix_norm_1", lambda m, a: m.linalg.matrix_norm(a, 1), ((N, K), "real")),
    OpSpec("matrix_norm_-1", lambda m, a: m.linalg.matrix_norm(a, -1), ((N, K), "real")),
    OpSpec("matrix_norm_inf", lambda m, a: m.linalg.matrix_norm(a, INF, keepdim=True),
           ((M, N, K), "real")),
    OpSpec("matrix_norm_-inf", lambda m, a: m.linalg.matrix_norm(a, -INF), ((N, K), "real")),
    OpSpec("torch_norm_nuc", lambda m, a: m.norm(a, p="nuc"), ((N, K), "real")),
    OpSpec("cdist", lambda m, a, b: m.cdist(a, b), ((N, K), "real"), ((M, K), "real")),
    OpSpec("cdist_batched", lambda m, a, b: m.cdist(a, b, p=1), ((M, N, K), "real"),
           ((1, M, K), "real")),
    OpSpec("cdist_3", lambda m, a, b: m.cdist(a, b, p=3), ((N, K), "real"), ((N, K), "real")),
    OpSpec("cdist_inf", lambda m, a, b: m.cdist(a, b, p=INF), ((N, K), "real"),
           ((M, K), "real")),
    OpSpec("cond", lambda m, a: m.linalg.cond(a), ((N, N), _well_conditioned), name=False),
    # torch's own backward of cond(A, 'fro') fails (an in-place change of inv's output)
    OpSpec("cond_fro", lambda m, a: m.linalg.cond(a, "fro"), ((N, N), _well_conditioned),
           name=False, backward=False),
]

ALL = PRODUCTS + EINSUM + INVERSES + FACTORIZATIONS + NORMS


@pytest.mark.parametrize("spec", spec_params(ALL))
def test_gradcheck(spec, device):
    if device == "cuda" and spec.id.startswith("eig"):
        pytest.skip("cupy has no general eigendecomposition")
    run_gradcheck(spec, device)


@pytest.mark.torch
@pytest.mark.parametrize("spec", spec_params(ALL))
def test_torch_parity(torch, spec):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_torch_parity(torch, spec)


# ---- grad_fn names of the parts of a result that are not its first output ---------------------
def _leaf(*shape, fn=_normal):
    return autodiff.tensor(fn(np.random.default_rng(0), shape), requires_grad=True)


@pytest.mark.parametrize("make, name", [
    (lambda: autodiff.linalg.qr(_leaf(4, 3)).Q, "LinalgQrBackward0"),
    (lambda: autodiff.linalg.svd(_leaf(4, 3)).Vh, "LinalgSvdBackward0"),
    (lambda: autodiff.linalg.eigh(_leaf(3, 3, fn=_spd)).eigenvectors, "LinalgEighBackward0"),
    (lambda: autodiff.linalg.cholesky(_leaf(3, 3, fn=_spd)), "LinalgCholeskyExBackward0"),
    (lambda: autodiff.linalg.slogdet(_leaf(3, 3)).sign, "LinalgSlogdetBackward0"),
    (lambda: autodiff.einsum("ij,jk", _leaf(2, 3), _leaf(3, 4)), "EinsumBackward0"),
])
def test_grad_fn_names(make, name):
    assert make().grad_fn.name() == name


def test_matmul_graph_of_batched_product():
    """torch's decomposition: expand, view to 3-D, bmm, view back."""
    out = _leaf(5, 2, 3) @ _leaf(5, 3, 4)
    node = out.grad_fn
    names = []
    while node is not None and node.name() != "AccumulateGrad":
        names.append(node.name())
        node = node.next_functions[0][0]
    assert names == ["UnsafeViewBackward0", "BmmBackward0", "ViewBackward0", "ExpandBackward0"]


# ---- dtypes --------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [autodiff.int64, autodiff.int32, autodiff.float16])
@pytest.mark.parametrize("sa, sb", [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 4)),
                                    ((5, 2, 3), (5, 3, 4))])
def test_matmul_same_dtype(dtype, sa, sb):
    a = (autodiff.arange(math.prod(sa)) % 4).reshape(sa).to(dtype)     # exact in float16
    b = (autodiff.arange(math.prod(sb)) % 3).reshape(sb).to(dtype)
    out = a @ b
    assert out.dtype is dtype
    np.testing.assert_array_equal(out.numpy().astype(np.float64),
                                  a.numpy().astype(np.float64) @ b.numpy().astype(np.float64))


def test_trace_dtypes():
    assert autodiff.trace(autodiff.ones(2, 3, dtype=autodiff.int32)).dtype is autodiff.int64
    assert autodiff.trace(autodiff.ones(2, 2, dtype=autodiff.float16)).dtype is autodiff.float16


def test_outer_and_kron_promote():
    a, b = autodiff.ones(3), autodiff.ones(2, dtype=autodiff.float64)
    assert autodiff.outer(a, b).dtype is autodiff.float64
    assert autodiff.kron(autodiff.ones(2, dtype=autodiff.int64), autodiff.ones(2, 3)).dtype \
        is autodiff.float32


def test_addmm_scalars_act_in_integer_dtype():
    i = autodiff.ones(2, 2, dtype=autodiff.int64)
    out = autodiff.addmm(i, i, i, beta=2.5)      # torch: 2.5 acts as 2 on integers
    assert out.dtype is autodiff.int64 and out.tolist() == [[4, 4], [4, 4]]


def test_addmm_beta_zero_ignores_nan_input():
    out = autodiff.addmm(autodiff.full((2, 2), math.nan), autodiff.ones(2, 3),
                         autodiff.ones(3, 2), beta=0)
    assert out.tolist() == [[3.0, 3.0], [3.0, 3.0]]


def test_inplace_addmm():
    c = autodiff.zeros(2, 2)
    assert c.addmm_(autodiff.ones(2, 3), autodiff.ones(3, 2)) is c
    assert c.tolist() == [[3.0, 3.0], [3.0, 3.0]]


def test_out_argument():
    out = autodiff.empty(2, 2)
    assert autodiff.matmul(autodiff.ones(2, 3), autodiff.ones(3, 2), out=out) is out
    assert out.tolist() == [[3.0, 3.0], [3.0, 3.0]]


def test_einsum_takes_a_list_and_does_not_alias():
    x = autodiff.arange(9.0).reshape(3, 3)
    d = autodiff.einsum("ii->i", [x])
    d += 1                                       # a copy: x is unchanged
    assert x[1, 1].item() == 4.0 and d.tolist() == [1.0, 5.0, 9.0]


# ---- special cases -------------------------------------------------------------------------------
def test_norm_of_zero_vector_has_zero_gradient():
    for ord in (2, 1, 3, 0.5, -1, INF):
        x = autodiff.zeros(3, dtype=autodiff.float64, requires_grad=True)
        autodiff.linalg.vector_norm(x, ord).backward()
        assert x.grad.tolist() == [0.0, 0.0, 0.0], ord


def test_norm_ties_share_the_gradient():
    x = autodiff.tensor([2.0, 1.0, -2.0], requires_grad=True)
    autodiff.linalg.vector_norm(x, INF).backward()
    assert x.grad.tolist() == [0.5, 0.0, -0.5]


def test_det_gradient_of_singular_matrix_is_the_cofactor_matrix():
    """torch returns 0 here; the derivative of det at a rank n-1 matrix is its cofactor matrix."""
    a = autodiff.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=autodiff.float64, requires_grad=True)
    autodiff.linalg.det(a).backward()
    np.testing.assert_allclose(a.grad.numpy(), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)
    z = autodiff.zeros(2, 3, 3, dtype=autodiff.float64, requires_grad=True)
    autodiff.det(z).sum().backward()
    assert not z.grad.numpy().any()


def test_eig_real_spectrum_is_real_and_reconstructs():
    a = autodiff.tensor(_real_spectrum(np.random.default_rng(0), (4, 4)))
    L, V = autodiff.linalg.eig(a)
    assert L.dtype is autodiff.float64 and V.dtype is autodiff.float64
    np.testing.assert_allclose((V @ autodiff.diag_embed(L) @ autodiff.linalg.inv(V)).numpy(),
                               a.numpy(), atol=1e-10)


def test_eig_complex_spectrum_raises():
    rotation = autodiff.tensor([[0.0, -1.0], [1.0, 0.0]])
    with pytest.raises(RuntimeError, match="complex eigenvalues"):
        autodiff.linalg.eig(rotation)
    with pytest.raises(RuntimeError, match="no complex dtype"):
        autodiff.linalg.eigvals(rotation)


@pytest.mark.torch
def test_decompositions_match_torch_up_to_signs(torch):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 5, 3))
    s = _spd(rng, (4, 4))
    ours, theirs = autodiff.tensor(a), torch.tensor(a)
    for mode in ("reduced", "complete", "r"):
        Q, R = autodiff.linalg.qr(ours, mode=mode)
        tQ, tR = torch.linalg.qr(theirs, mode=mode)
        assert Q.shape == tQ.shape and R.shape == tR.shape
        np.testing.assert_allclose(np.abs(R.numpy()), tR.abs().numpy(), atol=1e-12)
        if mode != "r":
            np.testing.assert_allclose((Q @ R).numpy(), a, atol=1e-12)
    for full in (True, False):
        U, S, Vh = autodiff.linalg.svd(ours, full_matrices=full)
        tU, tS, tVh = torch.linalg.svd(theirs, full_matrices=full)
        assert (U.shape, Vh.shape) == (tU.shape, tVh.shape)
        np.testing.assert_allclose(S.numpy(), tS.numpy(), atol=1e-12)
        k = S.shape[-1]
        np.testing.assert_allclose(((U[..., :k] * S.unsqueeze(-2)) @ Vh[..., :k, :]).numpy(), a,
                                   atol=1e-12)
    U, S, V = autodiff.svd(ours, compute_uv=False)
    assert U.shape == (2, 5, 5) and V.shape == (2, 3, 3) and not U.numpy().any()
    np.testing.assert_allclose(autodiff.svd(ours, some=False).V.numpy().shape, (2, 3, 3))
    L, V = autodiff.linalg.eigh(autodiff.tensor(s))
    tL, tV = torch.linalg.eigh(torch.tensor(s))
    np.testing.assert_allclose(L.numpy(), tL.numpy(), atol=1e-12)
    np.testing.assert_allclose(np.abs(V.numpy()), tV.abs().numpy(), atol=1e-10)
    np.testing.assert_allclose(autodiff.linalg.cholesky(autodiff.tensor(s)).numpy(),
                               torch.linalg.cholesky(torch.tensor(s)).numpy(), atol=1e-12)


@pytest.mark.torch
def test_rank_and_lstsq_match_torch(torch):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((2, 5, 3)) @ rng.standard_normal((2, 3, 4))     # rank 3
    for kw in ({}, {"hermitian": False, "atol": 0.5}, {"rtol": 0.3}, {"tol": 1.0}):
        assert autodiff.linalg.matrix_rank(autodiff.tensor(a), **kw).tolist() == \
            torch.linalg.matrix_rank(torch.tensor(a), **kw).tolist()
    s = _spd(rng, (4, 4))
    assert autodiff.linalg.matrix_rank(autodiff.tensor(s), hermitian=True).item() == 4
    b = rng.standard_normal((5, 2))
    ours = autodiff.linalg.lstsq(autodiff.tensor(a[0, :, :3]), autodiff.tensor(b))
    theirs = torch.linalg.lstsq(torch.tensor(a[0, :, :3]), torch.tensor(b))
    np.testing.assert_allclose(ours.solution.numpy(), theirs.solution.numpy(), atol=1e-10)
    assert ours.rank.item() == theirs.rank.item() and tuple(ours.residuals.shape) == (0,)


# ---- errors: same exception type and message as torch -------------------------------------------
def _f(*shape, dtype=None):
    """``ones(*shape)`` of autodiff or torch, whichever module ``m`` is."""
    return lambda m: m.ones(*shape, dtype=None if dtype is None else getattr(m, dtype))


ERRORS = [
    ("matmul_shapes", lambda m: _f(4, 3)(m) @ _f(4, 5)(m)),
    ("matmul_0d", lambda m: m.tensor(2.0) @ _f(3)(m)),
    ("matmul_1d_1d_sizes", lambda m: _f(3)(m) @ _f(4)(m)),
    ("matmul_2d_1d_sizes", lambda m: _f(2, 3)(m) @ _f(4)(m)),
    ("matmul_1d_2d_sizes", lambda m: _f(3)(m) @ _f(4, 5)(m)),
    ("matmul_3d_3d_sizes", lambda m: _f(4, 2, 3)(m) @ _f(4, 4, 5)(m)),
    ("matmul_batch_broadcast", lambda m: _f(4, 2, 3)(m) @ _f(3, 3, 5)(m)),
    ("matmul_folded_sizes", lambda m: _f(4, 2, 3)(m) @ _f(4, 5)(m)),
    ("matmul_float_double", lambda m: _f(2, 3)(m) @ _f(3, 2, dtype="float64")(m)),
    ("matmul_long_float", lambda m: _f(2, 3, dtype="int64")(m) @ _f(3, 2)(m)),
    ("matmul_dot_dtypes", lambda m: _f(3)(m) @ _f(3, dtype="float64")(m)),
    ("matmul_mv_dtypes", lambda m: _f(2, 3)(m) @ _f(3, dtype="float64")(m)),
    ("matmul_bmm_dtypes", lambda m: _f(4, 2, 3)(m) @ _f(4, 3, 2, dtype="float64")(m)),
    ("mm_not_matrix", lambda m: m.mm(_f(3)(m), _f(3)(m))),
    ("bmm_not_3d", lambda m: m.bmm(_f(2, 3)(m), _f(3, 5)(m))),
    ("bmm_dtypes", lambda m: m.bmm(_f(2, 2, 3)(m), _f(2, 3, 5, dtype="float64")(m))),
    ("mv_not_vector", lambda m: m.mv(_f(2, 3)(m), _f(3, 1)(m))),
    ("dot_2d", lambda m: m.dot(_f(2, 3)(m), _f(2, 3)(m))),
    ("dot_sizes", lambda m: m.dot(_f(3)(m), _f(4)(m))),
    ("vdot_dtypes", lambda m: m.vdot(_f(3)(m), _f(3, dtype="float64")(m))),
    ("inner_sizes", lambda m: m.inner(_f(2, 3)(m), _f(4, 4)(m))),
    ("outer_2d", lambda m: m.outer(_f(3, 2)(m), _f(4)(m))),
    ("addmm_input_shape", lambda m: m.addmm(_f(3, 5)(m), _f(2, 3)(m), _f(3, 5)(m))),
    ("addmm_dtypes", lambda m: m.addmm(_f(2, 5, dtype="float64")(m), _f(2, 3)(m), _f(3, 5)(m))),
    ("addmm_input_ndim", lambda m: m.addmm(_f(1, 1, 1)(m), _f(2, 3)(m), _f(3, 2)(m))),
    ("addmm_input_dim1", lambda m: m.addmm(_f(2, 3)(m), _f(2, 3)(m), _f(3, 2)(m))),
    ("addmv_sizes", lambda m: m.addmv(_f(3)(m), _f(2, 3)(m), _f(3)(m))),
    ("addmv_input_2d", lambda m: m.addmv(_f(2, 1)(m), _f(2, 3)(m), _f(3)(m))),
    ("addmv_dtypes", lambda m: m.addmv(_f(2, dtype="float64")(m), _f(2, 3)(m), _f(3)(m))),
    ("baddbmm_dtypes", lambda m: m.baddbmm(_f(2, 2, 2, dtype="float64")(m), _f(2, 2, 3)(m),
                                           _f(2, 3, 2)(m))),
    ("baddbmm_input", lambda m: m.baddbmm(_f(2, 2, 2)(m), _f(3, 2, 3)(m), _f(3, 3, 2)(m))),
    ("baddbmm_input_dim1", lambda m: m.baddbmm(_f(2, 3, 2)(m), _f(2, 2, 3)(m), _f(2, 3, 2)(m))),
    ("tensordot_sizes", lambda m: m.tensordot(_f(2, 3)(m), _f(4, 5)(m), dims=1)),
    ("tensordot_lists", lambda m: m.tensordot(_f(2, 3)(m), _f(3, 5)(m), dims=([1], [0, 1]))),
    ("tensordot_negative", lambda m: m.tensordot(_f(2, 3)(m), _f(3, 5)(m), dims=-1)),
    ("cross_sizes", lambda m: m.linalg.cross(_f(3, 4)(m), _f(3, 4)(m))),
    ("cross_ndim", lambda m: m.cross(_f(3)(m), _f(3, 2)(m), dim=0)),
    ("trace_1d", lambda m: m.trace(_f(3)(m))),
    ("trace_bool", lambda m: m.trace(_f(2, 2, dtype="bool")(m))),
    ("mm_bool", lambda m: m.mm(_f(2, 2, dtype="bool")(m), _f(2, 2, dtype="bool")(m))),
    ("bilinear_batch", lambda m: m.bilinear(_f(5, 3)(m), _f(6, 4)(m), _f(2, 3, 4)(m), None)),
    ("bilinear_weight", lambda m: m.bilinear(_f(5, 2)(m), _f(5, 4)(m), _f(2, 3, 4)(m), None)),
    ("bilinear_bias", lambda m: m.bilinear(_f(5, 3)(m), _f(5, 4)(m), _f(2, 3, 4)(m), _f(3)(m))),
    ("bilinear_dtype", lambda m: m.bilinear(_f(5, 3)(m), _f(5, 4)(m),
                                            _f(2, 3, 4, dtype="float64")(m), None)),
    ("multi_dot_one", lambda m: m.linalg.multi_dot([_f(3, 3)(m)])),
    ("multi_dot_shapes", lambda m: m.linalg.multi_dot([_f(3, 3)(m), _f(4, 3)(m)])),
    ("multi_dot_3d", lambda m: m.linalg.multi_dot([_f(3, 3)(m), _f(3, 3, 3)(m), _f(3, 3)(m)])),
    ("multi_dot_dtype", lambda m: m.linalg.multi_dot([_f(3, 3)(m),
                                                      _f(3, 3, dtype="float64")(m)])),
    ("einsum_size", lambda m: m.einsum("i,i->i", _f(2)(m), _f(3)(m))),
    ("einsum_dtype", lambda m: m.einsum("i,i", _f(3)(m), _f(3, dtype="float64")(m))),
    ("einsum_output_repeated", lambda m: m.einsum("ij->ii", _f(3, 3)(m))),
    ("einsum_output_unknown", lambda m: m.einsum("ij->k", _f(3, 3)(m))),
    ("einsum_ndim", lambda m: m.einsum("ij", _f(3)(m))),
    ("einsum_too_many_subscripts", lambda m: m.einsum("ij...k", _f(2, 3)(m))),
    ("einsum_fewer_operands", lambda m: m.einsum("ij,jk", _f(2, 3)(m))),
    ("einsum_more_operands", lambda m: m.einsum("i->i", _f(3)(m), _f(3)(m))),
    ("einsum_character", lambda m: m.einsum("i!", _f(2, 3)(m))),
    ("einsum_second_arrow", lambda m: m.einsum("ij->j->i", _f(2, 3)(m))),
    ("einsum_stray_dot", lambda m: m.einsum("i.j", _f(2, 3)(m))),
    ("einsum_two_ellipses", lambda m: m.einsum("...i...", _f(2, 3)(m))),
    ("einsum_output_dot", lambda m: m.einsum("ij->i.", _f(2, 3)(m))),
    ("einsum_diagonal_sizes", lambda m: m.einsum("ii", _f(2, 3)(m))),
    ("einsum_ellipsis_broadcast", lambda m: m.einsum("...ij,...jk", _f(5, 2, 3)(m),
                                                     _f(2, 3, 4)(m))),
    ("einsum_not_tensor", lambda m: m.einsum("i,i->", _f(3)(m), 5)),
    ("inv_not_square", lambda m: m.linalg.inv(_f(3, 2)(m))),
    ("inv_1d", lambda m: m.inverse(_f(3)(m))),
    ("inv_long", lambda m: m.linalg.inv(_f(3, 3, dtype="int64")(m))),
    ("det_not_square", lambda m: m.det(_f(2, 3, 2)(m))),
    ("det_1d", lambda m: m.linalg.det(_f(3)(m))),
    ("logdet_not_square", lambda m: m.logdet(_f(3, 2)(m))),
    ("slogdet_1d", lambda m: m.linalg.slogdet(_f(3)(m))),
    ("matrix_power_not_square", lambda m: m.matrix_power(_f(3, 2)(m), 2)),
    ("matrix_power_long_negative", lambda m: m.matrix_power(_f(2, 2, dtype="int64")(m), -1)),
    ("cholesky_not_square", lambda m: m.linalg.cholesky(_f(3, 2)(m))),
    ("cholesky_legacy_not_square", lambda m: m.cholesky(_f(3, 2)(m))),
    ("cholesky_not_pd", lambda m: m.linalg.cholesky(m.diag(m.tensor([1.0, -1.0, 1.0])))),
    ("cholesky_batch_not_pd", lambda m: m.linalg.cholesky(m.stack([m.eye(2), -m.eye(2)]))),
    ("solve_singular", lambda m: m.linalg.solve(m.zeros(3, 3), _f(3)(m))),
    ("solve_shapes", lambda m: m.linalg.solve(m.eye(3), _f(4, 2)(m))),
    ("solve_vector_shape", lambda m: m.linalg.solve(m.eye(3), _f(4)(m))),
    ("solve_dtypes", lambda m: m.linalg.solve(m.eye(3), _f(3, dtype="float64")(m))),
    ("pinv_1d", lambda m: m.linalg.pinv(_f(3)(m))),
    ("qr_1d", lambda m: m.linalg.qr(_f(3)(m))),
    ("qr_mode", lambda m: m.linalg.qr(_f(3, 3)(m), mode="x")),
    ("qr_long", lambda m: m.linalg.qr(_f(3, 3, dtype="int64")(m))),
    ("svd_1d", lambda m: m.linalg.svd(_f(3)(m))),
    ("svdvals_1d", lambda m: m.linalg.svdvals(_f(3)(m))),
    ("eigh_not_square", lambda m: m.linalg.eigh(_f(3, 2)(m))),
    ("eigh_uplo", lambda m: m.linalg.eigh(_f(3, 3)(m), UPLO="X")),
    ("eig_not_square", lambda m: m.linalg.eig(_f(3, 2)(m))),
    ("norm_3d_with_ord", lambda m: m.linalg.norm(_f(2, 2, 2)(m), 2)),
    ("norm_fro_1d", lambda m: m.linalg.norm(_f(3)(m), "fro")),
    ("norm_order", lambda m: m.linalg.norm(_f(3, 3)(m), 3)),
    ("norm_dim_length", lambda m: m.linalg.norm(_f(3, 3)(m), dim=(0, 1, 1))),
    ("norm_repeated_dim", lambda m: m.linalg.norm(_f(3, 3)(m), dim=(0, 0))),
    ("norm_long", lambda m: m.linalg.norm(_f(3, 3, dtype="int64")(m))),
    ("vector_norm_str", lambda m: m.linalg.vector_norm(_f(3)(m), "fro")),
    ("vector_norm_dtype", lambda m: m.linalg.vector_norm(_f(3)(m), dtype=m.int64)),
    ("vector_norm_narrowing", lambda m: m.linalg.vector_norm(_f(3, dtype="float64")(m),
                                                             dtype=m.float32)),
    ("vector_norm_empty_inf", lambda m: m.linalg.vector_norm(m.zeros(0), INF)),
    ("matrix_norm_1d", lambda m: m.linalg.matrix_norm(_f(3)(m))),
    ("matrix_norm_order", lambda m: m.linalg.matrix_norm(_f(3, 3)(m), "abc")),
    ("torch_norm_nuc_dim", lambda m: m.norm(_f(3, 3)(m), p="nuc", dim=1)),
    ("matrix_rank_1d", lambda m: m.linalg.matrix_rank(_f(3)(m))),
]


@pytest.mark.torch
@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in ERRORS])
def test_errors_match_torch(torch, case):
    _, fn = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:
            fn(torch)
        with pytest.raises(Exception) as ours:
            fn(autodiff)
    builtin = next(c for c in type(theirs.value).__mro__ if c.__module__ == "builtins")
    assert isinstance(ours.value, builtin), (type(ours.value), type(theirs.value))
    assert str(ours.value).split("\n")[0] == str(theirs.value).split("\n")[0]


@pytest.mark.parametrize("fn, exc, message", [
    (lambda: autodiff.ones(4, 3) @ autodiff.ones(4, 5), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (4x3 and 4x5)"),
    (lambda: autodiff.ones(2, 3) @ autodiff.ones(3, 2, dtype=autodiff.float64), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: float != double"),
    (lambda: autodiff.dot(autodiff.ones(2, 3), autodiff.ones(2, 3)), RuntimeError,
     "1D tensors expected, but got 2D and 2D tensors"),
    (lambda: autodiff.linalg.inv(autodiff.ones(3, 2)), RuntimeError,
     "linalg.inv: A must be batches of square matrices, but they are 3 by 2 matrices"),
    (lambda: autodiff.linalg.inv(autodiff.zeros(2, 3, 3)), autodiff.linalg.LinAlgError,
     "linalg.inv: (Batch element 0): The inversion could not be completed because the input "
     "matrix is singular."),
    (lambda: autodiff.matrix_power(autodiff.zeros(3, 3), -1), RuntimeError,
     "input matrix is singular"),
    (lambda: autodiff.linalg.qr(autodiff.ones(3, 2, requires_grad=True), mode="r").R.sum()
     .backward(), RuntimeError, "depends on Q, which is not computed when mode='r'"),
    (lambda: autodiff.linalg.qr(autodiff.ones(3, 2, requires_grad=True), mode="complete").Q
     .sum().backward(), RuntimeError, "not differentiable when mode='complete' and nrows > ncols"),
])
def test_error_messages(fn, exc, message):
    with pytest.raises(exc) as info:
        fn()
    assert message in str(info.value)


def test_cross_without_dim_warns_and_uses_first_dim_of_size_3():
    with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated"):
        out = autodiff.cross(autodiff.eye(3), autodiff.ones(3, 3))
    np.testing.assert_allclose(out.numpy(), np.cross(np.eye(3), np.ones((3, 3)), axis=0))
