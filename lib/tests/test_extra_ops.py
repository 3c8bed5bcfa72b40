"""Fused pointwise ops, statistics and index-pattern constructions (ops/pointwise.py,
ops/statistics.py, ops/construction.py): every differentiable op gradchecked to second order in
float64 and compared with torch (values, dtype, gradients, grad_fn name); integer-valued ops and
errors compared with torch's."""
import math
import warnings

import numpy as np
import pytest

import autodiff
from autodiff.ops import construction, pointwise, statistics
from _helpers import (OpSpec, assert_close, assert_raises, cpu_vs_simulated_cuda, run_gradcheck,
                      run_torch_parity, spec_params, to_numpy)

M, V, S = (3, 4), (4,), ()
ROWS = (3, 5)                     # 3 variables, 5 observations (quantile rows, cov input)


def _distinct(rng, shape):
    """Values far apart from each other: sorting them has no near-tie a perturbation flips."""
    n = int(np.prod(shape))
    return (rng.permutation(n) + rng.uniform(0.1, 0.3, n)).reshape(shape) / n * 4 - 2


def _qs(m, *values):
    return m.tensor(values, dtype=m.float64)


POINTWISE = [
    OpSpec("addcmul", lambda m, x, a, b: m.addcmul(x, a, b), (M, "real"), (M, "real"),
           (V, "real")),
    OpSpec("addcmul_value", lambda m, x, a, b: m.addcmul(x, a, b, value=-0.5), (V, "real"),
           ((3, 1), "real"), (M, "real")),
    OpSpec("addcmul_method", lambda m, x, a, b: x.addcmul(a, b, value=2), (M, "real"),
           (S, "real"), (M, "real")),
    OpSpec("addcmul_inplace", lambda m, x, a, b: x.clone().addcmul_(a, b, value=3), (M, "real"),
           (V, "real"), (M, "real")),
    OpSpec("addcdiv", lambda m, x, a, b: m.addcdiv(x, a, b), (M, "real"), (V, "real"),
           (M, "nonzero")),
    OpSpec("addcdiv_value", lambda m, x, a, b: m.addcdiv(x, a, b, value=2), (V, "real"),
           (M, "real"), ((3, 1), "nonzero")),
    OpSpec("addcdiv_inplace", lambda m, x, a, b: x.clone().addcdiv_(a, b, value=-1),
           (M, "real"), (M, "real"), (V, "nonzero")),
    OpSpec("logaddexp", lambda m, a, b: m.logaddexp(a, b), (M, "real"), (V, "real")),
    OpSpec("logaddexp_method", lambda m, a, b: a.logaddexp(b * 10), (M, "real"), (M, "real")),
    OpSpec("logaddexp2", lambda m, a, b: m.logaddexp2(a, b), (M, "real"), (S, "real")),
    OpSpec("logaddexp2_method", lambda m, a, b: a.logaddexp2(b), (V, "real"), (M, "real")),
]

STATISTICS = [
    OpSpec("quantile_all", lambda m, x: m.quantile(x, 0.3), (ROWS, _distinct)),
    *[OpSpec(f"quantile_{mode}", lambda m, x, mode=mode: m.quantile(
        x, _qs(m, 0.0, 0.3, 0.6, 0.9, 1.0), dim=1, interpolation=mode), (ROWS, _distinct))
      for mode in ("linear", "lower", "higher", "midpoint", "nearest")],
    OpSpec("quantile_dim0_keepdim", lambda m, x: x.quantile(0.75, dim=0, keepdim=True),
           ((4, 3), _distinct)),
    OpSpec("quantile_q_keepdim", lambda m, x: m.quantile(x, _qs(m, 0.2, 0.5), dim=-2,
                                                         keepdim=True), ((3, 4, 2), _distinct)),
    OpSpec("quantile_all_keepdim", lambda m, x: m.quantile(x, _qs(m, 0.25, 0.5), keepdim=True),
           (M, _distinct)),
    OpSpec("quantile_0dim_q", lambda m, x: m.quantile(x, m.tensor(0.4, dtype=m.float64), 1),
           (ROWS, _distinct)),
    OpSpec("nanquantile", lambda m, x: m.nanquantile(x.where(x > -1.2, math.nan),
                                                     _qs(m, 0.1, 0.5, 0.8), dim=1),
           (ROWS, _distinct)),
    OpSpec("nanquantile_nearest", lambda m, x: x.where(x > -1.0, math.nan).nanquantile(
        0.4, interpolation="nearest"), (ROWS, _distinct)),
    OpSpec("cov", lambda m, x: m.cov(x), (ROWS, "real")),
    OpSpec("cov_vector", lambda m, x: x.cov(correction=0), ((6,), "real")),
    OpSpec("cov_fweights", lambda m, x: m.cov(x, fweights=m.tensor([1, 2, 0, 3, 1])),
           (ROWS, "real")),
    OpSpec("cov_aweights", lambda m, x, w: m.cov(x, aweights=w), (ROWS, "real"), ((5,), "pos")),
    OpSpec("cov_both_weights", lambda m, x, w: m.cov(x, correction=2, aweights=w,
                                                     fweights=m.tensor([2, 1, 1, 3, 1])),
           (ROWS, "real"), ((5,), "pos")),
    OpSpec("corrcoef", lambda m, x: m.corrcoef(x), (ROWS, "real")),
    OpSpec("corrcoef_method", lambda m, x: x.corrcoef(), ((2, 6), "real")),
    OpSpec("corrcoef_one_variable", lambda m, x: m.corrcoef(x), ((5,), "real")),
    OpSpec("trapezoid", lambda m, y: m.trapezoid(y), (M, "real")),
    OpSpec("trapezoid_dx", lambda m, y: m.trapezoid(y, dx=0.5, dim=0), (M, "real")),
    OpSpec("trapezoid_one_sample", lambda m, y: m.trapezoid(y), ((3, 1), "real")),
    OpSpec("trapezoid_x", lambda m, y, x: m.trapezoid(y, x), (M, "real"), (V, "real")),
    OpSpec("trapezoid_x_dim0", lambda m, y, x: m.trapezoid(y, x, dim=0), (M, "real"),
           ((3,), "real")),
    OpSpec("trapezoid_x_full", lambda m, y, x: m.trapezoid(y, x, dim=0), (M, "real"),
           (M, "real")),
    OpSpec("trapezoid_x_fewer_dims", lambda m, y, x: m.trapezoid(y, x), ((2, 3, 4), "real"),
           (M, "real")),
    OpSpec("trapz", lambda m, y, x: m.trapz(y, x), (M, "real"), (V, "real")),
    OpSpec("trapz_dx", lambda m, y: m.trapz(y, dx=3), (M, "real")),
    OpSpec("cumulative_trapezoid", lambda m, y: m.cumulative_trapezoid(y), (M, "real")),
    OpSpec("cumulative_trapezoid_dx", lambda m, y: m.cumulative_trapezoid(y, dx=2, dim=0),
           (M, "real")),
    OpSpec("cumulative_trapezoid_x", lambda m, y, x: m.cumulative_trapezoid(y, x), (M, "real"),
           (V, "real")),
]

CONSTRUCTION = [
    OpSpec("block_diag", lambda m, a, b, c: m.block_diag(a, b, c), ((2, 3), "real"),
           ((4,), "real"), (S, "real")),
    OpSpec("block_diag_one", lambda m, a: m.block_diag(a), ((3,), "real")),
    OpSpec("block_diag_empty_block", lambda m, a, b: m.block_diag(
        a, m.zeros(2, 0, dtype=a.dtype), m.zeros(0, 1, dtype=a.dtype), b), ((1, 2), "real"),
           ((2, 2), "real")),
    OpSpec("combinations", lambda m, x: m.combinations(x), ((4,), "real")),
    OpSpec("combinations_r3", lambda m, x: m.combinations(x, 3), ((5,), "real")),
    OpSpec("combinations_replacement", lambda m, x: m.combinations(x, r=2, with_replacement=True),
           ((3,), "real")),
    OpSpec("combinations_r1", lambda m, x: m.combinations(x, 1), ((3,), "real")),
    OpSpec("cartesian_prod", lambda m, a, b: m.cartesian_prod(a, b), ((3,), "real"),
           ((2,), "real")),
]

ALL = POINTWISE + STATISTICS + CONSTRUCTION


@pytest.mark.parametrize("spec", spec_params(ALL))
def test_gradcheck(spec):
    run_gradcheck(spec)


@pytest.mark.parametrize("spec", spec_params(ALL))
def test_torch_parity(spec, torch):
    run_torch_parity(torch, spec)


def test_table_covers_every_op():
    """A new op in these modules must get a row in the table (or a forward-only test)."""
    names = set(pointwise.__all__) | set(statistics.__all__) | set(construction.__all__)
    called = set().union(*(s.fn.__code__.co_names for s in ALL))
    assert names - called == {"tril_indices", "triu_indices"}      # integer-valued: see below


def test_quantile_gradient_goes_to_the_two_neighbours():
    x = autodiff.tensor([4.0, 1.0, 3.0, 2.0, 0.0], requires_grad=True)
    autodiff.quantile(x, 0.3).backward()       # rank 1.2: between 1.0 and 2.0
    assert x.grad.tolist() == pytest.approx([0.0, 0.8, 0.0, 0.2, 0.0])


# ---- forward only: integer results, dtypes, NaNs, empty inputs ----------------------------------
_F = [1.0, 2.5, -1.0, 4.0]
_I = [3, 1, 2, 5]

FORWARD = {
    "tril_indices": lambda m: m.tril_indices(3, 3),
    "tril_indices_offset": lambda m: m.tril_indices(3, 4, -1),
    "tril_indices_wide_offset": lambda m: m.tril_indices(3, 4, 5),
    "tril_indices_none": lambda m: m.tril_indices(3, 4, -5),
    "tril_indices_empty": lambda m: m.tril_indices(0, 3),
    "tril_indices_int32": lambda m: m.tril_indices(4, 2, 1, dtype=m.int32, device="cpu"),
    "triu_indices": lambda m: m.triu_indices(3, 4),
    "triu_indices_offset": lambda m: m.triu_indices(3, 4, 1),
    "triu_indices_negative_offset": lambda m: m.triu_indices(4, 3, -2),
    "triu_indices_none": lambda m: m.triu_indices(3, 4, 9),
    "triu_indices_int32": lambda m: m.triu_indices(2, 5, dtype=m.int32),
    "addcmul_int": lambda m: m.addcmul(m.tensor(_I), m.tensor(_I), m.tensor(_I), value=2),
    "addcmul_int_float_value": lambda m: m.addcmul(m.tensor(_I), m.tensor(_I), m.tensor(_I),
                                                   value=0.5),
    "addcmul_promotes": lambda m: m.addcmul(m.tensor(_I), m.tensor(_F), m.tensor(2)),
    "addcmul_0dim_float64": lambda m: m.addcmul(m.tensor(1.0, dtype=m.float64), m.tensor(_F),
                                                m.tensor(_F)),
    "addcmul_bool_input": lambda m: m.addcmul(m.tensor([True, False, True, True]), m.tensor(_F),
                                              m.tensor(_F)),
    "addcmul_out": lambda m: m.addcmul(m.tensor(_F), m.tensor(_F), m.tensor(_F), value=3,
                                       out=m.empty(0)),
    "addcmul_inplace_int": lambda m: m.tensor(_I).addcmul_(m.tensor(_I), m.tensor(_I), value=-1),
    "addcdiv_int_input": lambda m: m.addcdiv(m.tensor(_I), m.tensor(_F), m.tensor(_I)),
    "addcdiv_by_zero": lambda m: m.addcdiv(m.tensor(_F), m.tensor(_F), m.zeros(4)),
    "addcdiv_inplace": lambda m: m.tensor(_F).addcdiv_(m.tensor(_F), m.tensor(_I), value=2),
    "logaddexp_int_float": lambda m: m.logaddexp(m.tensor(_I), m.tensor(_F)),
    "logaddexp_infinities": lambda m: m.logaddexp(
        m.tensor([math.inf, -math.inf, math.nan, -math.inf, 1e30]),
        m.tensor([math.inf, -math.inf, 1.0, 1.0, 1e30])),
    "logaddexp2_infinities": lambda m: m.logaddexp2(
        m.tensor([math.inf, -math.inf, math.nan, 3.0]), m.tensor([math.inf, -math.inf, 1.0, 3.0])),
    "logaddexp_half": lambda m: m.logaddexp(m.tensor(_F).half(), m.tensor(_F).half()),
    "logaddexp_out": lambda m: m.logaddexp2(m.tensor(_F), m.tensor(_F), out=m.empty(2)),
    "quantile_float32_ranks": lambda m: m.quantile(m.arange(10.0), m.tensor([0.3, 0.7, 0.55])),
    "quantile_nan": lambda m: m.quantile(m.tensor([[1.0, math.nan, 2.0], [3.0, 1.0, 2.0]]), 0.5,
                                         dim=1),
    "nanquantile_all_nan": lambda m: m.nanquantile(m.tensor([[math.nan] * 3, [3.0, math.nan, 2.0]]),
                                                   m.tensor([0.0, 0.5, 1.0]), dim=1),
    "quantile_0dim": lambda m: m.quantile(m.tensor(3.0), 0.5, dim=0),
    "quantile_0dim_keepdim": lambda m: m.quantile(m.tensor(3.0), m.tensor([0.2, 0.5]), dim=0,
                                                  keepdim=True),
    "quantile_axis": lambda m: m.quantile(m.arange(12.0).reshape(3, 4), 0.5, axis=0),
    "quantile_out": lambda m: m.quantile(m.tensor(_F), 0.5, out=m.empty(3)),
    "cov_int": lambda m: m.cov(m.tensor(_I)),
    "cov_int_fweights": lambda m: m.cov(m.tensor(_I), fweights=m.tensor([1, 2, 3, 0])),
    "cov_aweights_float32_on_float64": lambda m: m.cov(m.tensor([_F, _F[::-1]], dtype=m.float64),
                                                       aweights=m.tensor([1.0, 0.5, 0.2, 3.0])),
    "corrcoef_constant_row": lambda m: m.corrcoef(m.tensor([[1.0, 1, 1], [1, 2, 3]])),
    "corrcoef_int": lambda m: m.corrcoef(m.tensor(_I)),
    "trapezoid_int": lambda m: m.trapezoid(m.tensor(_I)),
    "trapezoid_int_dx": lambda m: m.trapezoid(m.tensor(_I), dx=2),
    "trapezoid_int_x": lambda m: m.trapezoid(m.tensor(_I), m.tensor([0, 1, 3, 4])),
    "trapezoid_empty": lambda m: m.trapezoid(m.empty(3, 0)),
    "trapezoid_empty_int": lambda m: m.trapezoid(m.zeros(3, 0, dtype=m.int64), dx=0.5),
    "trapezoid_x_float64": lambda m: m.trapezoid(m.tensor(_F), m.tensor(_F, dtype=m.float64)),
    "cumulative_trapezoid_int": lambda m: m.cumulative_trapezoid(m.tensor(_I)),
    "cumulative_trapezoid_empty": lambda m: m.cumulative_trapezoid(m.zeros(3, 0, dtype=m.int64)),
    "cumulative_trapezoid_one_sample": lambda m: m.cumulative_trapezoid(m.ones(3, 1)),
    "block_diag_promotes": lambda m: m.block_diag(m.tensor([True]), m.tensor(_I)),
    "block_diag_int_float": lambda m: m.block_diag(m.tensor(_I), m.tensor(_F), m.tensor(7)),
    "block_diag_nothing": lambda m: m.block_diag(),
    "combinations_int": lambda m: m.combinations(m.tensor(_I), 3, with_replacement=True),
    "combinations_r0": lambda m: m.combinations(m.tensor(_I), 0),
    "combinations_r_too_big": lambda m: m.combinations(m.tensor(_F), 5),
    "combinations_empty": lambda m: m.combinations(m.empty(0)),
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", list(FORWARD))
def test_forward_matches_torch(name, torch):
    ours, theirs = FORWARD[name](autodiff), FORWARD[name](torch)
    assert_close(ours, theirs, rtol=1e-6, atol=1e-6)
    assert not ours.requires_grad


def test_integer_results_have_no_history():
    x = autodiff.tensor([1.0, 2.0], requires_grad=True)
    assert autodiff.combinations(x, 0).grad_fn is None
    assert autodiff.trapezoid(autodiff.empty(2, 0, requires_grad=True)).grad_fn is None
    assert autodiff.tril_indices(3, 3).dtype is autodiff.int64


def test_cov_with_too_few_degrees_of_freedom_warns(torch):
    for correction in (4, 5):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ours = autodiff.cov(autodiff.arange(12.0).reshape(3, 4), correction=correction)
        assert [str(w.message) for w in caught if w.category is UserWarning] == [
            "cov(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "number of observations."]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = torch.cov(torch.arange(12.0).reshape(3, 4), correction=correction)
        assert_close(ours, theirs)                                 # inf, as torch


def test_inplace_writes_into_the_tensor():
    x = autodiff.ones(3)
    view = x[1:]
    same = x.addcmul_(autodiff.tensor([1.0, 2.0, 3.0]), autodiff.tensor([2.0, 2.0, 2.0]))
    assert same is x and x.tolist() == [3.0, 5.0, 7.0] and view.tolist() == [5.0, 7.0]
    x.addcdiv_(autodiff.tensor([3.0, 5.0, 7.0]), autodiff.tensor([3.0, 5.0, 7.0]), value=-3)
    assert x.tolist() == [0.0, 2.0, 4.0]


def test_second_order_gradient_of_addcmul_matches_torch(torch):
    """d/dx of (d addcmul(x, x, x*x) / dx) through create_graph, against torch."""
    results = []
    for m in (autodiff, torch):
        x = m.tensor([0.5, -1.5, 2.0], dtype=m.float64, requires_grad=True)
        y = m.addcmul(x, x, x * x, value=0.5).logaddexp(x).sum()
        g, = m.autograd.grad(y, x, create_graph=True)
        gg, = m.autograd.grad(g.sum(), x)
        results.append((to_numpy(g), to_numpy(gg)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


# ---- the CUDA code path (simulated), and errors -------------------------------------------------
def _everything(a, b, c):
    xs = [autodiff.addcmul(a, b, c, value=2), autodiff.addcdiv(a, b, c.abs() + 1),
          a.logaddexp(b), autodiff.logaddexp2(a, c),
          a.quantile(autodiff.tensor([0.2, 0.7], dtype=a.dtype, device=a.device), dim=1),
          a.nanquantile(0.5, interpolation="midpoint"), autodiff.cov(a, aweights=c[0].abs()),
          autodiff.corrcoef(b), autodiff.trapezoid(a, c[1]),
          autodiff.cumulative_trapezoid(b, dim=0), autodiff.block_diag(a, c[0], b[0, 0]),
          autodiff.combinations(c[1], 2, with_replacement=True),
          autodiff.tril_indices(3, 4, device=a.device).double(),
          autodiff.triu_indices(2, 4, 1, device=a.device).double()]
    return autodiff.cat([x.reshape(-1) for x in xs])


def test_cuda_code_path():
    cpu_vs_simulated_cuda(_everything, (3, 4), (3, 4), (3, 4))


_Q = lambda m: m.tensor([1.0, 2.0, 3.0])                                       # noqa: E731

ERRORS = [
    ("addcmul_bool", lambda m: m.addcmul(*[m.tensor([True])] * 3), NotImplementedError,
     '"addcmul_cpu_out" not implemented for \'Bool\''),
    ("addcmul_shapes", lambda m: m.addcmul(m.ones(3), m.ones(2, 1), m.ones(4)), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"),
    ("addcmul_scalar", lambda m: m.addcmul(m.ones(3), 2, m.ones(3)), TypeError,
     "addcmul(): argument 'tensor1' (position 2) must be Tensor, not int"),
    ("addcmul_overflow", lambda m: m.addcmul(*[m.tensor([1], dtype=m.int8)] * 3, value=300),
     RuntimeError, "value cannot be converted to type int8_t without overflow"),
    ("addcmul_inplace_broadcast", lambda m: m.ones(3).addcmul_(m.ones(2, 1), m.ones(3)),
     RuntimeError, "output with shape [3] doesn't match the broadcast shape [2, 3]"),
    ("addcmul_inplace_cast", lambda m: m.tensor([1]).addcmul_(m.ones(1), m.ones(1)),
     RuntimeError, "result type Float can't be cast to the desired output type Long"),
    ("addcdiv_integers", lambda m: m.addcdiv(m.ones(2), m.tensor([1, 2]), m.tensor([True, True])),
     RuntimeError, "Integer division with addcdiv is no longer supported"),
    ("logaddexp_int", lambda m: m.logaddexp(m.tensor([1]), m.tensor([2])), NotImplementedError,
     '"logaddexp_cpu" not implemented for \'Long\''),
    ("logaddexp2_bool", lambda m: m.logaddexp2(m.tensor([True]), m.tensor([True])),
     NotImplementedError, '"logaddexp2_cpu" not implemented for \'Bool\''),
    ("logaddexp_scalar", lambda m: m.logaddexp(m.ones(2), 2.0), TypeError,
     "logaddexp(): argument 'other' (position 2) must be Tensor, not float"),
    ("quantile_q_range", lambda m: m.quantile(m.empty(0), 1.5), RuntimeError,
     "quantile() q must be in the range [0, 1] but got 1.5"),
    ("quantile_q_nan", lambda m: m.nanquantile(_Q(m), math.nan), RuntimeError,
     "quantile() q must be in the range [0, 1] but got nan"),
    ("quantile_q_values", lambda m: m.quantile(_Q(m), m.tensor([0.5, -0.1])), RuntimeError,
     "quantile() q values must be in the range [0, 1]"),
    ("quantile_mode", lambda m: m.quantile(m.empty(0), 0.5, interpolation="median"),
     RuntimeError, "quantile() interpolation must be one of linear, lower, higher, midpoint or "
     "nearest, but got median"),
    ("quantile_empty", lambda m: m.quantile(m.empty(3, 0), 0.5, dim=9), RuntimeError,
     "quantile() input tensor must be non-empty"),
    ("quantile_q_2d", lambda m: m.quantile(m.tensor([1, 2]), m.tensor([[0.5]])), RuntimeError,
     "quantile() q must be a scalar or 1D tensor"),
    ("quantile_int", lambda m: m.quantile(m.tensor([1, 2]), 0.5), RuntimeError,
     "quantile() input tensor must be either float or double dtype"),
    ("quantile_half", lambda m: m.nanquantile(_Q(m).half(), 0.5), RuntimeError,
     "quantile() input tensor must be either float or double dtype"),
    ("quantile_q_dtype", lambda m: m.quantile(_Q(m), m.tensor([2.0], dtype=m.float64)),
     RuntimeError, "quantile() q tensor must be same dtype as the input tensor"),
    ("quantile_dim", lambda m: m.quantile(_Q(m), 0.5, dim=1), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    ("cov_3d", lambda m: m.cov(m.ones(2, 2, 2)), RuntimeError,
     "cov(): expected input to have two or fewer dimensions but got an input with 3 dimensions"),
    ("cov_bool", lambda m: m.cov(m.tensor([True, False])), RuntimeError,
     "cov(): bool dtype is not supported for input"),
    ("cov_fweights_float", lambda m: m.cov(_Q(m), fweights=_Q(m), aweights=m.tensor([1, 2])),
     RuntimeError, "cov(): expected fweights to have integral dtype but got fweights with Float "
     "dtype"),
    ("cov_fweights_negative", lambda m: m.cov(_Q(m), fweights=m.tensor([1, -2, 0])),
     RuntimeError, "cov(): fweights cannot be negative"),
    ("cov_fweights_2d", lambda m: m.cov(_Q(m), fweights=m.tensor([[1, 2, 0]])), RuntimeError,
     "cov(): expected fweights to have one or fewer dimensions but got fweights with 2 "
     "dimensions"),
    ("cov_fweights_numel", lambda m: m.cov(_Q(m), fweights=m.tensor([1, 2])), RuntimeError,
     "cov(): expected fweights to have the same numel as there are observations in the input "
     "but got 2 != 3"),
    ("cov_aweights_int", lambda m: m.cov(_Q(m), aweights=m.tensor([1, 2, 0])), RuntimeError,
     "cov(): expected aweights to have floating point dtype but got aweights with Long dtype"),
    ("cov_aweights_negative", lambda m: m.cov(_Q(m), aweights=m.tensor([1.0, -2, 0])),
     RuntimeError, "cov(): aweights cannot be negative"),
    ("cov_zero_weights", lambda m: m.cov(_Q(m), fweights=m.tensor([0, 0, 0])), RuntimeError,
     "cov(): weights sum to zero, can't be normalized"),
    ("corrcoef_3d", lambda m: m.corrcoef(m.ones(2, 2, 2)), RuntimeError,
     "corrcoef(): expected input to have two or fewer dimensions but got an input with 3 "
     "dimensions"),
    ("trapezoid_x_and_dx", lambda m: m.trapezoid(_Q(m), _Q(m), dx=2), TypeError,
     "trapezoid() received an invalid combination of arguments - got (Tensor, Tensor, dx=int), "
     "but expected one of:\n * (Tensor y, Tensor x, *, int dim = -1)\n * (Tensor y, *, Number dx "
     "= 1, int dim = -1)\n"),
    ("trapz_number_x", lambda m: m.trapz(_Q(m), 2.0), TypeError,
     "trapz() received an invalid combination of arguments - got (Tensor, float), but expected "
     "one of:\n * (Tensor y, *, float dx = 1, int dim = -1)\n"),
    ("trapezoid_bool", lambda m: m.trapezoid(m.tensor([True, False])), RuntimeError,
     "trapezoid: received a bool input for `y`, but bool is not supported"),
    ("trapezoid_bool_x", lambda m: m.trapezoid(_Q(m), m.tensor([True, False, True])),
     RuntimeError, "trapezoid: received a bool input for `x` or `y`, but bool is not supported"),
    ("trapezoid_0dim", lambda m: m.trapezoid(m.tensor(1.0)), IndexError,
     "Dimension specified as -1 but tensor has no dimensions"),
    ("trapezoid_dim", lambda m: m.trapezoid(m.ones(2, 3), dim=2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("trapezoid_x_length", lambda m: m.trapezoid(m.ones(3, 4), _Q(m)), RuntimeError,
     "trapezoid: There must be one `x` value for each sample point"),
    ("trapezoid_x_shape", lambda m: m.trapezoid(m.ones(3, 4), m.ones(2, 4)), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0"),
    ("cumulative_trapezoid_x_shape", lambda m: m.cumulative_trapezoid(m.ones(3, 4), m.ones(2, 4)),
     RuntimeError, "The size of tensor a (3) must match the size of tensor b (2) at "
     "non-singleton dimension 0"),
    ("cumulative_trapezoid_x_length", lambda m: m.cumulative_trapezoid(m.ones(3, 4), _Q(m)),
     RuntimeError, "cumulative_trapezoid: There must be one `x` value for each sample point"),
    ("cumulative_trapezoid_bool", lambda m: m.cumulative_trapezoid(m.tensor([True, False])),
     RuntimeError, "cumulative_trapezoid: received a bool input for `y`, but bool is not "
     "supported"),
    ("cumulative_trapezoid_0dim", lambda m: m.cumulative_trapezoid(m.tensor(2.0)), IndexError,
     "slice() cannot be applied to a 0-dim tensor."),
    ("tril_indices_row", lambda m: m.tril_indices(-1, 3, dtype=m.float32), RuntimeError,
     "row must be non-negative, got-1"),
    ("triu_indices_col", lambda m: m.triu_indices(3, -2), RuntimeError,
     "col must be non-negative, got-2"),
    ("tril_indices_dtype", lambda m: m.tril_indices(3, 3, dtype=m.float32), NotImplementedError,
     '"tril_indices" not implemented for \'Float\''),
    ("triu_indices_dtype", lambda m: m.triu_indices(3, 3, dtype=m.int8), NotImplementedError,
     '"triu_indices" not implemented for \'Char\''),
    ("tril_indices_float", lambda m: m.tril_indices(3, 3, 0.5), TypeError,
     "tril_indices(): argument 'offset' (position 3) must be int, not float"),
    ("block_diag_3d", lambda m: m.block_diag(_Q(m), m.ones(1, 1, 1)), RuntimeError,
     "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input 1 has 3 dimensions"),
    ("block_diag_list", lambda m: m.block_diag([_Q(m)]), TypeError,
     "expected Tensor as element 0 in argument 0, but got list"),
    ("combinations_2d", lambda m: m.combinations(m.ones(2, 2)), RuntimeError,
     "Expect a 1D vector, but got shape [2, 2]"),
    ("combinations_negative", lambda m: m.combinations(_Q(m), -1), RuntimeError,
     "Expect a non-negative number, but got -1"),
]


@pytest.mark.parametrize("fn, exc, message", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors(fn, exc, message):
    assert_raises(lambda: fn(autodiff), exc, message)


@pytest.mark.parametrize("fn, exc, message", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_are_torchs(fn, exc, message, torch):
    """The table above holds torch's own exception types and messages."""
    assert_raises(lambda: fn(torch), exc, message)
