"""The reduction family: sum/mean/prod/var/std/norm/all/any (reduction.py), max/min/median/mode/
kthvalue (extrema.py), sort/topk (sorting.py), cumsum/cumprod/cummax/logcumsumexp (scan.py) and
logsumexp/softmax/log_softmax (softmax.py).

Gradients are checked numerically to second order (float64); values, indices, gradients, dtypes,
grad_fn names, printed results and error messages are compared with torch.
"""
import math
import warnings

import numpy as np
import pytest

import autodiff
from _helpers import (OpSpec, assert_close, grad_fn_name, run_gradcheck, run_torch_parity,
                      spec_params)

INF = math.inf


# ---- input domains ------------------------------------------------------------------------------
def _with_zeros(rng, shape):
    """Values in [-2, 2] with about a third of them exactly zero (prod/cumprod gradients)."""
    a = rng.uniform(-2.0, 2.0, shape)
    a[rng.uniform(size=shape) < 0.35] = 0.0
    return a


def _one_zero_per_row(rng, shape):
    """Values in [-2, 2] with one exact zero in each row along the last dim."""
    a = rng.uniform(-2.0, 2.0, shape)
    a[np.arange(shape[0]), rng.integers(0, shape[-1], shape[0])] = 0.0
    return a


def _with_nans(rng, shape):
    a = rng.uniform(-2.0, 2.0, shape)
    a[rng.uniform(size=shape) < 0.25] = np.nan
    return a


def _pair_tie(rng, shape):
    """Every row along the last dim has its largest value twice (a 2-way tie: the central
    difference there is 1/2 per element, which is exactly the shared gradient)."""
    a = rng.uniform(-2.0, 1.0, shape)
    a[..., 0] = a[..., -1] = 1.5
    return a


def _spread(rng, shape):
    """Well-separated distinct values: no sort order flips under a finite-difference step."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.37 - n * 0.15 + rng.uniform(-0.05, 0.05, n)).reshape(shape)


S = OpSpec
SPECS = [
    # reduction.py
    S("sum", lambda m, x: x.sum(), ((2, 3), "real")),
    S("sum_dims_keepdim", lambda m, x: x.sum((0, 2), keepdim=True), ((2, 3, 4), "real")),
    S("sum_axis", lambda m, x: x.sum(axis=-1), ((2, 3), "real")),
    S("sum_0d", lambda m, x: x.sum(0), ((), "real")),
    S("mean", lambda m, x: x.mean(), ((2, 3), "real")),
    S("mean_dim", lambda m, x: m.mean(x, 1, keepdim=True), ((2, 3, 2), "real")),
    S("prod", lambda m, x: x.prod(), ((2, 3), "real")),
    S("prod_dim", lambda m, x: x.prod(1), ((2, 3, 2), "real")),
    S("prod_dim_zeros", lambda m, x: x.prod(-1, keepdim=True), ((4, 5), _with_zeros)),
    S("prod_zeros", lambda m, x: x.prod(), ((2, 2), _with_zeros)),
    S("nansum", lambda m, x: x.nansum(1), ((3, 4), _with_nans)),
    S("nanmean", lambda m, x: m.nanmean(x, 0, keepdim=True), ((3, 4), _with_nans)),
    S("var", lambda m, x: x.var(), ((3, 4), "real")),
    S("var_dim_biased", lambda m, x: x.var(1, unbiased=False), ((3, 4), "real")),
    S("var_correction", lambda m, x: m.var(x, (0, 2), correction=2, keepdim=True),
      ((3, 2, 4), "real")),
    S("std", lambda m, x: x.std(), ((3, 4), "real")),
    S("std_dim", lambda m, x: x.std(0, True, True), ((3, 4), "real")),
    S("var_mean_var", lambda m, x: m.var_mean(x, 1)[0], ((3, 4), "real")),
    S("var_mean_mean", lambda m, x: m.var_mean(x, 1)[1], ((3, 4), "real")),
    S("std_mean_std", lambda m, x: m.std_mean(x, correction=0)[0], ((3, 4), "real")),
    S("std_mean_mean", lambda m, x: m.std_mean(x, 0, keepdim=True)[1], ((3, 4), "real")),
    S("norm", lambda m, x: x.norm(), ((3, 4), "real")),
    S("norm_fro_dims", lambda m, x: m.norm(x, "fro", (0, 2), keepdim=True), ((2, 3, 2), "real")),
    S("norm_1", lambda m, x: x.norm(1, 1), ((3, 4), "nonzero")),
    S("norm_3", lambda m, x: x.norm(3, 0), ((3, 4), "real")),
    S("norm_half", lambda m, x: x.norm(0.5, 1), ((3, 4), "nonzero")),
    S("norm_minus1", lambda m, x: x.norm(-1, 1), ((3, 4), "nonzero")),
    S("norm_inf", lambda m, x: x.norm(INF, 1), ((3, 4), "real")),
    S("norm_minus_inf", lambda m, x: x.norm(-INF), ((3, 4), "nonzero")),
    # extrema.py
    S("max", lambda m, x: x.max(), ((3, 4), "real")),
    S("min", lambda m, x: m.min(x), ((3, 4), "real")),
    S("max_dim", lambda m, x: x.max(1).values, ((3, 4), "real")),
    S("min_dim_keepdim", lambda m, x: m.min(x, 0, True)[0], ((3, 4), "real")),
    S("amax", lambda m, x: x.amax(), ((3, 4), "real")),
    S("amax_dims", lambda m, x: x.amax((0, 2), keepdim=True), ((3, 2, 4), "real")),
    S("amin_dim", lambda m, x: m.amin(x, 1), ((3, 4), "real")),
    S("amax_tie", lambda m, x: x.amax(-1), ((3, 4), _pair_tie), gradgrad=False),
    S("max_tie", lambda m, x: x.max(), ((1, 4), _pair_tie), gradgrad=False),
    S("aminmax_min", lambda m, x: m.aminmax(x).min, ((3, 4), "real")),
    S("aminmax_max", lambda m, x: m.aminmax(x, dim=1, keepdim=True).max, ((3, 4), "real")),
    S("median", lambda m, x: x.median(), ((3, 5), _spread)),
    S("median_dim", lambda m, x: x.median(1).values, ((3, 4), _spread)),
    S("nanmedian", lambda m, x: x.nanmedian(), ((3, 5), _with_nans)),
    S("nanmedian_dim", lambda m, x: m.nanmedian(x, 0, True).values, ((5, 3), _with_nans)),
    S("mode", lambda m, x: x.mode(0).values, ((3, 4), _spread)),
    S("kthvalue", lambda m, x: x.kthvalue(2, 1).values, ((3, 4), _spread)),
    S("kthvalue_keepdim", lambda m, x: m.kthvalue(x, 3, 0, True).values, ((3, 4), _spread)),
    # sorting.py
    S("sort", lambda m, x: x.sort().values, ((3, 4), _spread)),
    S("sort_desc_dim0", lambda m, x: m.sort(x, 0, descending=True).values, ((3, 4), _spread)),
    S("msort", lambda m, x: m.msort(x), ((3, 4), _spread)),
    S("topk", lambda m, x: x.topk(2).values, ((3, 4), _spread)),
    S("topk_smallest_dim0", lambda m, x: x.topk(2, 0, largest=False).values, ((3, 4), _spread)),
    # scan.py
    S("cumsum", lambda m, x: x.cumsum(1), ((3, 4), "real")),
    S("cumsum_dim0", lambda m, x: m.cumsum(x, dim=0), ((3, 4), "real")),
    S("cumprod", lambda m, x: x.cumprod(1), ((3, 4), "real")),
    S("cumprod_zeros", lambda m, x: x.cumprod(-1), ((4, 5), _with_zeros), gradgrad=False),
    S("cumprod_one_zero", lambda m, x: x.cumprod(-1), ((4, 5), _one_zero_per_row)),
    S("cummax", lambda m, x: x.cummax(1).values, ((3, 4), "real")),
    S("cummin", lambda m, x: m.cummin(x, 0).values, ((3, 4), "real")),
    S("logcumsumexp", lambda m, x: x.logcumsumexp(1), ((3, 4), "real")),
    # softmax.py
    S("logsumexp", lambda m, x: x.logsumexp(1), ((3, 4), "real")),
    S("logsumexp_dims", lambda m, x: m.logsumexp(x, (0, 1), keepdim=True), ((3, 4), "real")),
    S("softmax", lambda m, x: x.softmax(1), ((3, 4), "real")),
    S("softmax_dim0", lambda m, x: m.softmax(x, 0), ((3, 4), "real")),
    S("log_softmax", lambda m, x: x.log_softmax(-1), ((3, 4), "real")),
    S("log_softmax_dim0", lambda m, x: m.log_softmax(x, dim=0), ((3, 4), "real")),
]


@pytest.mark.parametrize("spec", spec_params(SPECS))
def test_gradcheck(spec):
    run_gradcheck(spec)


@pytest.mark.torch
@pytest.mark.parametrize("spec", spec_params(SPECS))
def test_torch_parity(torch, spec):
    run_torch_parity(torch, spec)


# ---- gradients that must match torch exactly: ties, NaNs, zeros ---------------------------------
def _grads(m, fn, data, dtype="float64"):
    """fn's output and the gradient of ``(output * weights).sum()`` for ``m`` = autodiff/torch."""
    x = m.tensor(data, dtype=getattr(m, dtype), requires_grad=True)
    out = fn(m, x)
    out = out[0] if isinstance(out, tuple) else out
    w = np.arange(1, out.numel() + 1, dtype=np.float64).reshape(tuple(out.shape))
    (out * m.tensor(w, dtype=out.dtype)).sum().backward()
    return out, x.grad


TIES = np.array([[3.0, 1.0, 3.0, 2.0], [0.0, 5.0, 5.0, 5.0], [4.0, 4.0, 4.0, 4.0]])
NANS = np.array([[1.0, np.nan, 3.0, np.nan], [2.0, 2.0, 0.0, 1.0], [np.nan] * 4])
ZEROS = np.array([[2.0, 0.0, 3.0, 0.0, 5.0], [1.5, -2.0, 0.0, 4.0, 0.5], [1.0, 2.0, 3.0, 4.0, 0.5]])

GRAD_CASES = {
    "max_ties": (lambda m, x: x.max(), TIES),
    "min_ties": (lambda m, x: x.min(), TIES),
    "amax_ties": (lambda m, x: x.amax(1), TIES),
    "amin_ties_all": (lambda m, x: x.amin(), TIES),
    "max_dim_ties": (lambda m, x: x.max(1), TIES),
    "min_dim_ties": (lambda m, x: x.min(0, keepdim=True), TIES),
    "aminmax_ties": (lambda m, x: m.aminmax(x, dim=1)[1] * 2 + m.aminmax(x, dim=1)[0], TIES),
    "median_ties": (lambda m, x: x.median(), TIES),
    "median_dim_ties": (lambda m, x: x.median(1), TIES),
    "mode_ties": (lambda m, x: x.mode(1), TIES),
    "sort_ties": (lambda m, x: x.sort(1, descending=True), TIES),
    "cummax_ties": (lambda m, x: x.cummax(1), TIES),
    "cummin_ties": (lambda m, x: x.cummin(0), TIES),
    "norm_inf_ties": (lambda m, x: x.norm(INF, 1), TIES - 4.0),
    "max_nan": (lambda m, x: x.max(), NANS[:1]),
    "amax_nan": (lambda m, x: x.amax(1), NANS),
    "max_dim_nan": (lambda m, x: x.max(1), NANS),
    "median_nan": (lambda m, x: x.median(), NANS[:1]),
    "median_dim_nan": (lambda m, x: x.median(1), NANS),
    "nanmedian_nan": (lambda m, x: x.nanmedian(), NANS[:2]),
    "nanmedian_dim_nan": (lambda m, x: x.nanmedian(1), NANS[:2]),   # all-NaN rows: see notes
    "cummax_nan": (lambda m, x: x.cummax(1), NANS),
    "sort_nan": (lambda m, x: x.sort(1), NANS),
    "nansum_nan": (lambda m, x: x.nansum(1), NANS),
    "nanmean_nan": (lambda m, x: x.nanmean(), NANS[:2]),
    "prod_zeros": (lambda m, x: x.prod(1), ZEROS),
    "prod_all_one_zero": (lambda m, x: x.prod(), ZEROS[1:]),
    "prod_all_two_zeros": (lambda m, x: x.prod(), ZEROS),
    "cumprod_zeros": (lambda m, x: x.cumprod(1), ZEROS),
    "logsumexp_inf": (lambda m, x: x.logsumexp(1), np.array([[-INF, -INF], [1000.0, 1000.0]])),
    "softmax_big": (lambda m, x: x.softmax(1), np.array([[1000.0, 0.0], [-INF, 1.0]])),
    "logcumsumexp_range": (lambda m, x: x.logcumsumexp(1), np.array([[-1000.0, 0.0, 1000.0]])),
    "std_constant": (lambda m, x: x.std(1), np.array([[1.0, 1.0], [1.0, 2.0]])),
}


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")     # -inf - -inf, as torch
@pytest.mark.parametrize("case", GRAD_CASES, ids=list(GRAD_CASES))
def test_special_gradients_match_torch(torch, case):
    fn, data = GRAD_CASES[case]
    out, grad = _grads(autodiff, fn, data)
    tout, tgrad = _grads(torch, fn, data)
    assert_close(out, tout, rtol=1e-12, atol=0)
    assert grad_fn_name(out) == grad_fn_name(tout)
    assert_close(grad, tgrad, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, 1.5, -1, INF, -INF, "fro"])
def test_norm_gradient_of_zero_vector_is_zero(p):
    x = autodiff.zeros(2, 3, dtype=autodiff.float64, requires_grad=True)
    x.norm(p).backward()
    assert x.grad is not None and not np.any(x.grad.numpy())


def test_norm_p0_has_no_gradient():
    x = autodiff.tensor([0.0, 2.0, -1.0], requires_grad=True)
    y = x.norm(0)
    assert y.item() == 2 and y.grad_fn.name() == "LinalgVectorNormBackward0"
    y.backward()
    assert x.grad is None                 # torch returns an undefined gradient too


def test_prod_gradient_is_exact_with_zeros():
    """d prod / d x_i is the product of the others, also where x_i (or another x_j) is 0."""
    x = autodiff.tensor([2.0, 0.0, 3.0], requires_grad=True)
    x.prod().backward()
    assert x.grad.tolist() == [0.0, 6.0, 0.0]
    y = autodiff.tensor([[2.0, 0.0, 0.0], [1.0, 2.0, 3.0]], requires_grad=True)
    y.prod(1).sum().backward()
    assert y.grad.tolist() == [[0.0, 0.0, 0.0], [6.0, 3.0, 2.0]]


def test_cumprod_gradient_is_exact_with_zeros():
    x = autodiff.tensor([2.0, 0.0, 3.0, 0.0, 5.0], requires_grad=True)
    x.cumprod(0).sum().backward()
    assert x.grad.tolist() == [1.0, 8.0, 0.0, 0.0, 0.0]


def test_max_ties_share_the_gradient_but_max_dim_picks_one():
    x = autodiff.tensor([[3.0, 1.0, 3.0]], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [[0.5, 0.0, 0.5]]
    x.grad = None
    x.max(1).values.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 0.0]]        # the first index, as torch returns


def test_logsumexp_and_softmax_do_not_overflow():
    x = autodiff.tensor([1000.0, 1000.0])
    assert x.logsumexp(0).item() == pytest.approx(1000 + math.log(2))
    assert x.softmax(0).tolist() == [0.5, 0.5]
    assert x.log_softmax(0).tolist() == pytest.approx([-math.log(2)] * 2)
    assert autodiff.tensor([-INF, -INF]).logsumexp(0).item() == -INF
    y = autodiff.tensor([-1000.0, 0.0, 1000.0], dtype=autodiff.float64).logcumsumexp(0)
    assert y.tolist() == pytest.approx([-1000.0, 0.0, 1000.0])


# ---- indices, values and dtypes against torch ---------------------------------------------------
INT = np.array([[3, 1, 3, 2], [0, 5, 5, 5], [4, 4, 4, 4]])
INDEX_CASES = {
    "max_dim": lambda m, x: x.max(1),
    "min_dim_keepdim": lambda m, x: m.min(x, 0, True),
    "argmax": lambda m, x: x.argmax(),
    "argmax_dim": lambda m, x: x.argmax(1),
    "argmin_keepdim": lambda m, x: x.argmin(keepdim=True),
    "argmin_dim_keepdim": lambda m, x: m.argmin(x, 0, keepdim=True),
    "median_dim": lambda m, x: x.median(1),
    "nanmedian_dim": lambda m, x: x.nanmedian(0),
    "mode": lambda m, x: m.where(x == x, x, 7).mode(),     # (torch's mode of NaNs is erratic)
    "mode_dim0": lambda m, x: m.where(x == x, x, 7).mode(0),
    "sort": lambda m, x: x.sort(),
    "sort_desc": lambda m, x: x.sort(1, True),
    "sort_stable_dim0": lambda m, x: x.sort(stable=True, dim=0),
    "argsort": lambda m, x: x.argsort(),
    "argsort_desc": lambda m, x: m.argsort(x, 0, descending=True),
    "cummax": lambda m, x: x.cummax(1),
    "cummin": lambda m, x: m.cummin(x, 0),
    "kthvalue_distinct": lambda m, x: m.kthvalue(x[:, :2] * 10 + m.arange(2), 1),
    "topk_distinct": lambda m, x: (x[:2] * 10 + m.arange(4)).topk(3),
    "topk_smallest_distinct": lambda m, x: (x[:2] * 10 + m.arange(4)).topk(2, largest=False),
}


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "int64", "uint8"])
@pytest.mark.parametrize("case", INDEX_CASES, ids=list(INDEX_CASES))
def test_values_and_indices_match_torch(torch, case, dtype):
    fn = INDEX_CASES[case]
    data = NANS if dtype.startswith("float") else INT
    ours = fn(autodiff, autodiff.tensor(data, dtype=getattr(autodiff, dtype)))
    theirs = fn(torch, torch.tensor(data, dtype=getattr(torch, dtype)))
    if isinstance(theirs, tuple):
        assert type(ours).__name__ == type(theirs).__name__ and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_close(a, b, rtol=0, atol=0)
    else:
        assert_close(ours, theirs, rtol=0, atol=0)


def _outcome(m, fn, x):
    """A result's dtypes and values (as text, so that NaNs compare equal), or the exception
    type and message."""
    try:
        r = fn(m, x)
    except Exception as e:           # noqa: BLE001  (comparing whatever both libraries raise)
        return type(e).__name__, str(e).split("\n")[0]
    rs = r if isinstance(r, tuple) else (r,)
    return tuple((str(t.dtype).split(".")[-1], repr(t.tolist())) for t in rs)


DTYPE_OPS = {
    "sum": lambda m, x: x.sum(), "sum_dim": lambda m, x: x.sum(1), "prod": lambda m, x: x.prod(),
    "prod_dim": lambda m, x: x.prod(0), "mean": lambda m, x: x.mean(),
    "nansum": lambda m, x: x.nansum(), "nanmean": lambda m, x: x.nanmean(),
    "std": lambda m, x: x.std(), "var": lambda m, x: x.var(1),
    "var_mean": lambda m, x: m.var_mean(x), "std_mean": lambda m, x: m.std_mean(x, 0),
    "max": lambda m, x: x.max(), "max_dim": lambda m, x: x.max(1), "amin": lambda m, x: x.amin(0),
    "aminmax": lambda m, x: m.aminmax(x), "argmax": lambda m, x: x.argmax(),
    "argmin_dim": lambda m, x: x.argmin(1), "median": lambda m, x: x.median(),
    "median_dim": lambda m, x: x.median(1), "nanmedian": lambda m, x: x.nanmedian(),
    "mode": lambda m, x: x.mode(), "kthvalue": lambda m, x: x.kthvalue(1, 0),
    "sort": lambda m, x: x.sort(0), "argsort": lambda m, x: x.argsort(),
    "topk": lambda m, x: x.topk(1), "cumsum": lambda m, x: x.cumsum(1),
    "cumprod": lambda m, x: x.cumprod(0), "cummax": lambda m, x: x.cummax(1),
    "logcumsumexp": lambda m, x: x.logcumsumexp(1), "logsumexp": lambda m, x: x.logsumexp(1),
    "softmax": lambda m, x: x.softmax(0), "log_softmax": lambda m, x: x.log_softmax(1),
    "norm": lambda m, x: x.norm(), "all": lambda m, x: x.all(), "any_dim": lambda m, x: x.any(1),
    "count_nonzero": lambda m, x: x.count_nonzero(0),
}


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool", "float16"])
@pytest.mark.parametrize("op", DTYPE_OPS, ids=list(DTYPE_OPS))
def test_result_dtypes_and_errors_match_torch(torch, op, dtype):
    data = np.array([[1, 3, 0], [2, 2, 1]])
    fn = DTYPE_OPS[op]
    ours = _outcome(autodiff, fn, autodiff.tensor(data).to(getattr(autodiff, dtype)))
    theirs = _outcome(torch, fn, torch.tensor(data).to(getattr(torch, dtype)))
    if dtype == "float16" and isinstance(ours[0], tuple):      # half precision: close values
        assert [d for d, _ in ours] == [d for d, _ in theirs]
        np.testing.assert_allclose(np.array(eval(ours[0][1]), float),
                                   np.array(eval(theirs[0][1]), float), rtol=2e-3, equal_nan=True)
    else:
        assert ours == theirs


DTYPE_ARG = {
    "sum": lambda m, x: x.sum(dtype=m.float64), "sum_int": lambda m, x: x.sum(1, dtype=m.int32),
    "mean": lambda m, x: x.mean(dtype=m.float64), "prod": lambda m, x: x.prod(0, dtype=m.float64),
    "nansum": lambda m, x: x.nansum(dtype=m.float64),
    "cumsum": lambda m, x: x.cumsum(1, dtype=m.float64),
    "cumsum_int": lambda m, x: x.cumsum(1, dtype=m.int64),
    "cumprod": lambda m, x: x.cumprod(0, dtype=m.float64),
    "softmax": lambda m, x: x.softmax(1, dtype=m.float64),
    "log_softmax": lambda m, x: m.log_softmax(x, 0, dtype=m.float64),
    "norm": lambda m, x: x.norm(dtype=m.float64),
    "mean_int": lambda m, x: x.mean(0, dtype=m.int64),
    "norm_int": lambda m, x: x.norm(dtype=m.int64),
    "norm_narrowing": lambda m, x: x.double().norm(dtype=m.float32),
    "softmax_int": lambda m, x: x.softmax(1, dtype=m.int64),
}


@pytest.mark.torch
@pytest.mark.parametrize("op", DTYPE_ARG, ids=list(DTYPE_ARG))
def test_dtype_argument_matches_torch(torch, op):
    data = np.array([[1.5, 3.0, 0.25], [2.0, -2.0, 1.0]], dtype=np.float32)
    fn = DTYPE_ARG[op]
    x, tx = autodiff.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    ours, theirs = _outcome(autodiff, fn, x), _outcome(torch, fn, tx)
    assert [r[0] for r in ours] == [r[0] for r in theirs]
    if isinstance(ours[0], tuple):
        np.testing.assert_allclose(np.array(eval(ours[0][1])), np.array(eval(theirs[0][1])),
                                   rtol=1e-6)
        assert grad_fn_name(fn(autodiff, x)) == grad_fn_name(fn(torch, tx))
    else:
        assert ours == theirs


# ---- errors -------------------------------------------------------------------------------------
ERROR_CASES = {
    "sum_dim": lambda m, x: x.sum(2),
    "sum_dims": lambda m, x: x.sum((0, -3)),
    "sum_repeated": lambda m, x: x.sum((0, 0)),
    "mean_dim": lambda m, x: x.mean(-3),
    "prod_dim": lambda m, x: x.prod(5),
    "var_dim": lambda m, x: x.var(2),
    "max_dim": lambda m, x: x.max(2),
    "amax_dim": lambda m, x: x.amax(-3),
    "argmax_dim": lambda m, x: x.argmax(3),
    "median_dim": lambda m, x: x.median(2),
    "mode_dim": lambda m, x: x.mode(2),
    "kthvalue_dim": lambda m, x: x.kthvalue(1, 2),
    "kthvalue_k": lambda m, x: x.kthvalue(4, 1),
    "kthvalue_k0": lambda m, x: x.kthvalue(0),
    "sort_dim": lambda m, x: x.sort(2),
    "argsort_dim": lambda m, x: x.argsort(-3),
    "topk_dim": lambda m, x: x.topk(1, 2),
    "topk_k": lambda m, x: x.topk(4),
    "topk_negative_k": lambda m, x: x.topk(-1),
    "cumsum_dim": lambda m, x: x.cumsum(2),
    "cummax_dim": lambda m, x: x.cummax(-3),
    "logcumsumexp_dim": lambda m, x: x.logcumsumexp(2),
    "logsumexp_dim": lambda m, x: x.logsumexp(2),
    "softmax_dim": lambda m, x: x.softmax(2),
    "log_softmax_dim": lambda m, x: x.log_softmax(-3),
    "norm_dim": lambda m, x: x.norm(dim=2),
    "norm_order": lambda m, x: x.norm("abc"),
    "norm_fro_3_dims": lambda m, x: x.reshape(1, 2, 3).norm("fro", (0, 1, 2)),
    "all_dim": lambda m, x: x.all(2),
    "count_nonzero_dim": lambda m, x: x.count_nonzero(2),
    "mean_int": lambda m, x: x.long().mean(),
    "mean_bool": lambda m, x: (x > 0).mean(0),
    "std_int": lambda m, x: x.int().std(),
    "var_mean_int": lambda m, x: m.var_mean(x.int()),
    "nanmean_int": lambda m, x: x.int().nanmean(),
    "norm_int": lambda m, x: x.long().norm(),
    "softmax_int": lambda m, x: x.int().softmax(0),
    "log_softmax_int": lambda m, x: x.int().log_softmax(1),
    "logcumsumexp_int": lambda m, x: x.byte().logcumsumexp(0),
    "argmax_bool": lambda m, x: (x > 0).argmax(),
    "median_bool": lambda m, x: (x > 0).median(),
    "kthvalue_bool": lambda m, x: (x > 0).kthvalue(1),
    "topk_bool": lambda m, x: (x > 0).topk(1),
    "max_empty": lambda m, x: x[:0].max(),
    "min_empty": lambda m, x: x[:0].min(),
    "amax_empty": lambda m, x: x[:0].amax(),
    "max_empty_dim": lambda m, x: x[:0].max(0),
    "amin_empty_dim": lambda m, x: x[:0].amin(0),
    "argmax_empty": lambda m, x: x[:0].argmax(),
    "argmin_empty_dim": lambda m, x: x[:0].argmin(0),
    "median_empty_dim": lambda m, x: x[:0].median(0),
    "mode_empty_dim": lambda m, x: x[:0].mode(0),
    "kthvalue_empty_dim": lambda m, x: x[:0].kthvalue(1, 0),
    "topk_empty": lambda m, x: x[:0].topk(1, 0),
    "aminmax_empty": lambda m, x: m.aminmax(x[:0]),
    "aminmax_empty_dim": lambda m, x: m.aminmax(x[:0], dim=0),
    "norm_inf_empty": lambda m, x: x[:0].norm(INF),
}


@pytest.mark.torch
@pytest.mark.parametrize("case", ERROR_CASES, ids=list(ERROR_CASES))
def test_errors_match_torch(torch, case):
    data = np.array([[1.0, -2.0, 3.0], [0.5, 2.0, -1.0]])
    fn = ERROR_CASES[case]
    ours = _outcome(autodiff, fn, autodiff.tensor(data))
    theirs = _outcome(torch, fn, torch.tensor(data))
    assert isinstance(theirs[0], str), "torch raised nothing: the case is wrong"
    assert ours == theirs


def test_errors_without_torch():
    x = autodiff.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-2, 1\], but got 2\)"):
        x.max(dim=2)
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype. Input "
                                           "dtype must be either a floating point or complex "
                                           "dtype. Got: Long"):
        autodiff.tensor([1, 2]).mean()
    for call in (lambda: x.softmax(), lambda: x.log_softmax(), lambda: x.cumsum(),
                 lambda: x.cummax(), lambda: x.logsumexp(), lambda: x.logcumsumexp(),
                 lambda: x.max(1.0), lambda: x.prod((0, 1)),
                 lambda: x.var(0, unbiased=False, correction=1)):
        with pytest.raises(TypeError):
            call()


def test_var_with_no_degrees_of_freedom_warns_and_gives_nan():
    with pytest.warns(UserWarning, match=r"var\(\): degrees of freedom is <= 0"):
        v = autodiff.ones(1).var()
    assert math.isnan(v.item())
    with pytest.warns(UserWarning, match=r"std_mean\(\): degrees of freedom is <= 0"):
        autodiff.std_mean(autodiff.ones(2, 1), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        autodiff.ones(2).var()                               # two elements: no warning


# ---- signatures, shapes and names ---------------------------------------------------------------
GRAD_FN_NAMES = [
    (lambda x: x.sum(), "SumBackward0"), (lambda x: x.sum(0), "SumBackward1"),
    (lambda x: x.mean(), "MeanBackward0"), (lambda x: x.mean((0, 1)), "MeanBackward1"),
    (lambda x: x.prod(), "ProdBackward0"), (lambda x: x.prod(1), "ProdBackward1"),
    (lambda x: x.nansum(), "NansumBackward0"), (lambda x: x.nanmean(), "DivBackward0"),
    (lambda x: x.var(), "VarBackward0"), (lambda x: x.std(1), "StdBackward0"),
    (lambda x: autodiff.var_mean(x)[1], "VarMeanBackward0"),
    (lambda x: autodiff.std_mean(x)[0], "StdMeanBackward0"),
    (lambda x: x.norm(), "LinalgVectorNormBackward0"),
    (lambda x: x.max(), "MaxBackward1"), (lambda x: x.max(0)[0], "MaxBackward0"),
    (lambda x: x.min(), "MinBackward1"), (lambda x: x.min(0)[0], "MinBackward0"),
    (lambda x: x.max(x * 2), "MaximumBackward0"), (lambda x: x.min(x * 2), "MinimumBackward0"),
    (lambda x: x.amax(), "AmaxBackward0"), (lambda x: x.amin(1), "AminBackward0"),
    (lambda x: x.aminmax().max, "AminmaxBackward0"),
    (lambda x: x.median(), "MedianBackward0"), (lambda x: x.median(0)[0], "MedianBackward1"),
    (lambda x: x.nanmedian(), "NanmedianBackward0"),
    (lambda x: x.nanmedian(1)[0], "NanmedianBackward1"),
    (lambda x: x.mode()[0], "ModeBackward0"), (lambda x: x.kthvalue(1)[0], "KthvalueBackward0"),
    (lambda x: x.sort()[0], "SortBackward0"), (lambda x: x.topk(1)[0], "TopkBackward0"),
    (lambda x: x.cumsum(0), "CumsumBackward0"), (lambda x: x.cumprod(1), "CumprodBackward0"),
    (lambda x: x.cummax(0)[0], "CummaxBackward0"), (lambda x: x.cummin(0)[0], "CumminBackward0"),
    (lambda x: x.logcumsumexp(0), "LogcumsumexpBackward0"),
    (lambda x: x.logsumexp(1), "LogsumexpBackward0"),
    (lambda x: x.softmax(1), "SoftmaxBackward0"),
    (lambda x: x.log_softmax(1), "LogSoftmaxBackward0"),
]


@pytest.mark.parametrize("fn,name", GRAD_FN_NAMES, ids=[n for _, n in GRAD_FN_NAMES])
def test_grad_fn_names(fn, name):
    x = autodiff.tensor([[1.0, 2.5, -1.0], [0.5, 3.0, 2.0]], requires_grad=True)
    assert fn(x).grad_fn.name() == name
    assert fn(x.detach()).grad_fn is None


def test_index_outputs_are_int64_without_grad():
    x = autodiff.tensor([[1.0, 2.5, -1.0]], requires_grad=True)
    for r in (x.max(1), x.sort(), x.topk(2), x.cummax(1), x.median(1), x.mode(1)):
        assert r.indices.dtype == autodiff.int64 and not r.indices.requires_grad
        assert r.values.requires_grad
    assert x.argmax().dtype == autodiff.int64 and not x.argmax().requires_grad
    assert x.all().dtype == autodiff.bool and x.count_nonzero().dtype == autodiff.int64


def test_return_types_unpack_and_index():
    x = autodiff.tensor([[1.0, 5.0, 3.0]])
    values, indices = x.max(dim=1)
    r = x.max(dim=1)
    assert r[0] is r.values and r[1] is r.indices and indices.tolist() == [1]
    assert isinstance(r, autodiff.return_types.max) and isinstance(r, tuple)
    mn, mx = autodiff.aminmax(x)
    assert (mn.item(), mx.item()) == (1.0, 5.0)


PRINTED = {
    "max": lambda m, x: x.max(dim=0),
    "min_keepdim": lambda m, x: x.min(1, keepdim=True),
    "max_grad": lambda m, x: x.requires_grad_().max(0),
    "sort": lambda m, x: x.sort(descending=True),
    "topk": lambda m, x: x.topk(2),
    "aminmax": lambda m, x: m.aminmax(x),
    "cummax": lambda m, x: x.cummax(1),
    "median": lambda m, x: x.median(0),
    "nanmedian": lambda m, x: x.nanmedian(1),
    "mode": lambda m, x: x.mode(),
    "kthvalue": lambda m, x: x.kthvalue(1, 0),
    "cummin_int": lambda m, x: x.long().cummin(0),
}


@pytest.mark.torch
@pytest.mark.parametrize("case", PRINTED, ids=list(PRINTED))
def test_printed_return_types_match_torch(torch, case):
    data = [[1.5, -2.0, 3.25], [0.5, 2.0, -1.0]]
    fn = PRINTED[case]
    ours = fn(autodiff, autodiff.tensor(data))
    theirs = fn(torch, torch.tensor(data))
    assert repr(ours) == repr(theirs).replace("torch.", "autodiff.")
    assert str(ours) == str(theirs).replace("torch.", "autodiff.")


def test_printed_max_without_torch():
    r = autodiff.tensor([[1.0, 2.0], [3.0, 0.0]]).max(dim=0)
    assert repr(r) == ("autodiff.return_types.max(\nvalues=tensor([3., 2.]),\n"
                       "indices=tensor([1, 0]))")


ZERO_DIM = {
    "sum": lambda m, x: x.sum(0), "mean": lambda m, x: x.mean(-1), "prod": lambda m, x: x.prod(0),
    "std": lambda m, x: x.std(0, unbiased=False), "max": lambda m, x: x.max(0),
    "amax": lambda m, x: x.amax(0), "argmax": lambda m, x: x.argmax(0),
    "median": lambda m, x: x.median(0), "mode": lambda m, x: x.mode(),
    "kthvalue": lambda m, x: x.kthvalue(1), "sort": lambda m, x: x.sort(),
    "argsort": lambda m, x: x.argsort(), "topk": lambda m, x: x.topk(1),
    "cumsum": lambda m, x: x.cumsum(0), "cumprod": lambda m, x: x.cumprod(-1),
    "cummax": lambda m, x: x.cummax(0), "logcumsumexp": lambda m, x: x.logcumsumexp(0),
    "logsumexp": lambda m, x: x.logsumexp(0), "softmax": lambda m, x: x.softmax(0),
    "log_softmax": lambda m, x: x.log_softmax(-1), "norm": lambda m, x: x.norm(dim=0),
    "all": lambda m, x: x.all(0), "count_nonzero": lambda m, x: x.count_nonzero(0),
    "nansum": lambda m, x: x.nansum(0),
}


@pytest.mark.torch
@pytest.mark.parametrize("op", ZERO_DIM, ids=list(ZERO_DIM))
def test_zero_dim_tensors_match_torch(torch, op):
    fn = ZERO_DIM[op]
    x, tx = autodiff.tensor(2.5, requires_grad=True), torch.tensor(2.5, requires_grad=True)
    ours, theirs = fn(autodiff, x), fn(torch, tx)
    assert _outcome(autodiff, fn, x) == _outcome(torch, fn, tx)
    out, tout = (ours[0], theirs[0]) if isinstance(ours, tuple) else (ours, theirs)
    if tout.requires_grad:
        out.backward()
        tout.backward()
        assert_close(x.grad, tx.grad)


def test_keepdim_axis_and_dim_none():
    x = autodiff.ones(2, 3, 4)
    assert x.sum(axis=(0, 2)).shape == (3,)
    assert x.sum(dim=None, keepdim=True).shape == (1, 1, 1)
    assert x.mean((0, 1), keepdim=True).shape == (1, 1, 4)
    assert x.amax(axis=1).shape == (2, 4)
    assert x.max(axis=2, keepdim=True).values.shape == (2, 3, 1)
    assert x.argmax(keepdim=True).shape == (1, 1, 1)
    assert x.std(axis=0).shape == (3, 4)
    assert x.logsumexp(axis=(1, 2)).shape == (2,)
    assert x.softmax(axis=0).shape == (2, 3, 4)
    assert x.sort(axis=0).values.shape == (2, 3, 4)
    assert x.topk(2, axis=1).values.shape == (2, 2, 4)
    assert x.cumsum(axis=1).shape == (2, 3, 4)
    assert x.all(axis=0).shape == (3, 4)
    assert x.norm(dim=(1, 2), keepdim=True).shape == (2, 1, 1)
    assert x.sum(()).shape == ()                   # an empty dim list reduces everything


@pytest.mark.torch
def test_var_argument_forms_match_torch(torch):
    data = np.array([[1.0, 2.0, 4.0], [3.0, -1.0, 0.5]])
    forms = [lambda m, x: x.var(False), lambda m, x: x.std(0, False),
             lambda m, x: x.var(0, True, True), lambda m, x: x.std(dim=1, correction=0),
             lambda m, x: x.var(correction=2), lambda m, x: m.var_mean(x, 1, False),
             lambda m, x: m.std_mean(x, dim=0, correction=0, keepdim=True)]
    for fn in forms:
        ours, theirs = fn(autodiff, autodiff.tensor(data)), fn(torch, torch.tensor(data))
        for a, b in zip(ours if isinstance(ours, tuple) else (ours,),
                        theirs if isinstance(theirs, tuple) else (theirs,)):
            assert_close(a, b, rtol=1e-12, atol=0)


@pytest.mark.torch
def test_logical_reductions_match_torch(torch):
    data = np.array([[1, 0, 2], [3, 4, 5]])
    cases = [lambda m, x: x.all(), lambda m, x: x.any(0), lambda m, x: x.all(1, keepdim=True),
             lambda m, x: m.any(x, (0, 1)), lambda m, x: x.all(()),
             lambda m, x: x.count_nonzero(), lambda m, x: x.count_nonzero((0, 1)),
             lambda m, x: m.count_nonzero(x, dim=1)]
    for dtype in ("int64", "uint8", "bool", "float32"):
        for fn in cases:
            ours = _outcome(autodiff, fn, autodiff.tensor(data).to(getattr(autodiff, dtype)))
            assert ours == _outcome(torch, fn, torch.tensor(data).to(getattr(torch, dtype)))


@pytest.mark.torch
def test_empty_inputs_match_torch(torch):
    cases = [lambda m, x: x.sum(), lambda m, x: x.prod(0), lambda m, x: x.mean(),
             lambda m, x: x.logsumexp(0), lambda m, x: x.softmax(0), lambda m, x: x.max(1),
             lambda m, x: x.amax(1), lambda m, x: x.cumsum(0), lambda m, x: x.sort(0),
             lambda m, x: x.cummax(0), lambda m, x: x.std(0), lambda m, x: x.median(),
             lambda m, x: x.norm()]
    for fn in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            assert (_outcome(autodiff, fn, autodiff.zeros(0, 3))
                    == _outcome(torch, fn, torch.zeros(0, 3)))


def test_methods_and_inplace_methods_are_bound():
    from autodiff.ops import reduction
    for name in reduction.__methods__:
        assert callable(getattr(autodiff.Tensor, name)), name
    for name in reduction.__all__:
        assert callable(getattr(autodiff, name)), name
    assert sorted(reduction.__inplace__) == ["cumprod", "cumsum"]


def test_inplace_cumsum_and_cumprod():
    x = autodiff.tensor([[1, 2, 3], [4, 5, 6]], dtype=autodiff.int32)
    assert x.cumsum_(1) is x and x.dtype == autodiff.int32
    assert x.tolist() == [[1, 3, 6], [4, 9, 15]]
    a = autodiff.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 1
    b.cumprod_(0)
    assert b.tolist() == [1.0, 2.0, 6.0] and b.grad_fn.name() == "CumprodBackward0"
    b.sum().backward()
    assert a.grad.tolist() == [9.0, 4.0, 2.0]


def test_max_of_two_tensors_is_elementwise():
    a = autodiff.tensor([1.0, 5.0, 2.0], requires_grad=True)
    b = autodiff.tensor([3.0, 0.0, 2.0], requires_grad=True)
    y = autodiff.max(a, b)
    assert y.tolist() == [3.0, 5.0, 2.0] and y.grad_fn.name() == "MaximumBackward0"
    y.sum().backward()
    assert a.grad.tolist() == [0.0, 1.0, 0.5] and b.grad.tolist() == [1.0, 0.0, 0.5]
    assert autodiff.min(a, b).tolist() == [1.0, 0.0, 2.0]
