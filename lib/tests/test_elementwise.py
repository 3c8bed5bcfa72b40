"""Elementwise ops (ops/arithmetic.py, ops/unary.py, ops/conversion.py, ops/comparison.py):
a table of every differentiable op, each gradchecked to second order in float64 and compared
with torch (values, gradients, grad_fn name); plus forward-only checks of the rest."""
import math

import numpy as np
import pytest

import autodiff
from autodiff.ops import arithmetic, conversion, unary
from _helpers import OpSpec, assert_close, run_gradcheck, run_torch_parity, spec_params

M, V, S = (3, 4), (4,), ()        # a matrix, a vector broadcasting against it, a 0-dim tensor


def _tie_free_pair(rng, shape):
    return rng.uniform(-2, 2, shape)


def _divisor(rng, shape):
    """Divisors in [1.1, 1.9] (either sign); paired with _dividend, quotients avoid integers."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(1.1, 1.9, shape)


def _dividend(rng, shape):
    return rng.integers(-3, 3, shape) * 2.0 + rng.uniform(0.4, 0.6, shape)


def _uniform_shift(center):
    return lambda rng, shape: center + rng.uniform(-0.3, 0.3, shape)


def _tenths(rng, shape):
    """Values (k + 0.3) / 10: round(decimals=1) has no jump nearby."""
    return (rng.integers(-20, 20, shape) + 0.3) / 10


def _inside_clamp(rng, shape):
    """Values away from the clamp bounds -0.5 and 0.5."""
    return rng.choice([-1.2, -0.2, 0.1, 0.3, 1.4], shape) + rng.uniform(-0.05, 0.05, shape)


ARITHMETIC = [
    OpSpec("add", lambda m, a, b: a + b, (M, "real"), (M, "real")),
    OpSpec("add_broadcast_row", lambda m, a, b: a + b, (M, "real"), (V, "real")),
    OpSpec("add_broadcast_outer", lambda m, a, b: a + b, ((3, 1), "real"), ((1, 4), "real")),
    OpSpec("add_0dim", lambda m, a, b: a + b, (M, "real"), (S, "real")),
    OpSpec("add_scalar", lambda m, x: x + 2, (M, "real")),
    OpSpec("radd_scalar", lambda m, x: 2.5 + x, (M, "real")),
    OpSpec("add_alpha", lambda m, a, b: m.add(a, b, alpha=2), (M, "real"), (V, "real")),
    OpSpec("sub", lambda m, a, b: a - b, (M, "real"), (V, "real")),
    OpSpec("sub_scalar", lambda m, x: x - 2, (M, "real")),
    OpSpec("rsub_scalar", lambda m, x: 2 - x, (M, "real")),
    OpSpec("sub_alpha", lambda m, a, b: m.sub(a, b, alpha=0.5), (M, "real"), (M, "real")),
    OpSpec("rsub_fn", lambda m, a, b: m.rsub(a, b), (M, "real"), (V, "real"), name=False),
    OpSpec("rsub_fn_scalar", lambda m, x: m.rsub(x, 3), (M, "real")),
    OpSpec("mul", lambda m, a, b: a * b, (M, "real"), (V, "real")),
    OpSpec("mul_same", lambda m, x: x * x, (M, "real")),
    OpSpec("mul_scalar", lambda m, x: x * 3, (M, "real")),
    OpSpec("mul_fn", lambda m, a, b: m.mul(a, b), ((3, 1), "real"), (V, "real")),
    OpSpec("rmul_scalar", lambda m, x: 3 * x, (M, "real")),
    OpSpec("div", lambda m, a, b: a / b, (M, "real"), (V, "nonzero")),
    OpSpec("div_scalar", lambda m, x: x / 4, (M, "real")),
    OpSpec("rdiv_scalar", lambda m, x: 2 / x, (M, "nonzero")),
    OpSpec("true_divide", lambda m, a, b: m.true_divide(a, b), (M, "real"), (M, "nonzero")),
    OpSpec("div_floor", lambda m, a, b: m.div(a, b, rounding_mode="floor"),
           (M, _dividend), (M, _divisor)),
    OpSpec("div_trunc", lambda m, a, b: m.div(a, b, rounding_mode="trunc"),
           (M, _dividend), (M, _divisor)),
    # torch has no derivative for floor_divide (backward raises); ours is zero
    OpSpec("floordiv", lambda m, a, b: a // b, (M, _dividend), (M, _divisor), name=False,
           backward=False),
    OpSpec("floor_divide", lambda m, a, b: m.floor_divide(a, b), (M, _dividend), (V, _divisor),
           name=False, backward=False),
    OpSpec("pow_2", lambda m, x: x ** 2, (M, "real")),
    OpSpec("pow_3", lambda m, x: m.pow(x, 3), (M, "real")),
    OpSpec("pow_half", lambda m, x: x ** 0.5, (M, "pos")),
    OpSpec("pow_neg", lambda m, x: x ** -1.5, (M, "pos")),
    OpSpec("pow_0", lambda m, x: x ** 0, (M, "real")),
    OpSpec("rpow_scalar", lambda m, x: 2 ** x, (M, "real")),
    OpSpec("rpow_fn", lambda m, x: m.pow(1.5, x), (M, "real")),
    OpSpec("pow_tensor", lambda m, a, b: a ** b, (M, "pos"), (M, "real")),
    OpSpec("pow_tensor_broadcast", lambda m, a, b: m.pow(a, b), (M, "pos"), (V, "real")),
    OpSpec("square", lambda m, x: m.square(x), (M, "real")),
    OpSpec("maximum", lambda m, a, b: m.maximum(a, b), (M, _tie_free_pair), (V, _tie_free_pair)),
    OpSpec("minimum", lambda m, a, b: m.minimum(a, b), (M, _tie_free_pair), (V, _tie_free_pair)),
    OpSpec("fmax", lambda m, a, b: m.fmax(a, b), (M, "real"), (M, "real")),
    OpSpec("fmax_broadcast", lambda m, a, b: m.fmax(a, b), (M, "real"), (V, "real")),
    OpSpec("fmin", lambda m, a, b: m.fmin(a, b), (M, "real"), (M, "real")),
    OpSpec("fmod", lambda m, a, b: m.fmod(a, b), (M, _dividend), (M, _divisor)),
    OpSpec("fmod_scalar", lambda m, x: m.fmod(x, 1.5), (M, _dividend)),
    OpSpec("remainder", lambda m, a, b: m.remainder(a, b), (M, _dividend), (M, _divisor)),
    OpSpec("remainder_scalar", lambda m, x: x % 1.5, (M, _dividend)),
    OpSpec("atan2", lambda m, a, b: m.atan2(a, b), (M, "real"), (M, "nonzero")),
    OpSpec("lerp_scalar", lambda m, a, b: m.lerp(a, b, 0.3), (M, "real"), (M, "real")),
    OpSpec("lerp_scalar_large", lambda m, a, b: m.lerp(a, b, 0.8), (M, "real"), (V, "real")),
    OpSpec("lerp_tensor", lambda m, a, b, w: m.lerp(a, b, w), (M, "real"), (V, "real"),
           (M, "prob")),
    OpSpec("hypot", lambda m, a, b: m.hypot(a, b), (M, "nonzero"), (M, "nonzero")),
    OpSpec("hypot_broadcast", lambda m, a, b: a.hypot(b), (M, "nonzero"), (V, "nonzero")),
    OpSpec("copysign", lambda m, a, b: m.copysign(a, b), (M, "nonzero"), (V, "nonzero")),
    OpSpec("copysign_scalar", lambda m, x: x.copysign(-1.0), (M, "nonzero")),
    OpSpec("dist", lambda m, a, b: m.dist(a, b), (M, "real"), (V, "real")),
    OpSpec("dist_1", lambda m, a, b: a.dist(b, 1), (M, "real"), (M, "real")),
    OpSpec("dist_3", lambda m, a, b: m.dist(a, b, 3), (M, "real"), (M, "real")),
    OpSpec("dist_inf", lambda m, a, b: m.dist(a, b, math.inf), (M, "real"), (M, "real")),
]

UNARY = [
    OpSpec("neg", lambda m, x: -x, (M, "real")),
    OpSpec("neg_fn", lambda m, x: m.neg(x), (M, "real")),
    OpSpec("negative", lambda m, x: m.negative(x), (M, "real")),
    OpSpec("abs", lambda m, x: abs(x), (M, "nonzero")),
    OpSpec("exp", lambda m, x: m.exp(x), (M, "real")),
    OpSpec("exp_0dim", lambda m, x: x.exp(), (S, "real")),
    OpSpec("exp2", lambda m, x: m.exp2(x), (M, "real")),
    OpSpec("expm1", lambda m, x: m.expm1(x), (M, "real")),
    OpSpec("log", lambda m, x: m.log(x), (M, "pos")),
    OpSpec("log2", lambda m, x: m.log2(x), (M, "pos")),
    OpSpec("log10", lambda m, x: m.log10(x), (M, "pos")),
    OpSpec("log1p", lambda m, x: m.log1p(x), (M, "pos")),
    OpSpec("sqrt", lambda m, x: m.sqrt(x), (M, "pos")),
    OpSpec("rsqrt", lambda m, x: m.rsqrt(x), (M, "pos")),
    OpSpec("sin", lambda m, x: m.sin(x), (M, "real")),
    OpSpec("cos", lambda m, x: m.cos(x), (M, "real")),
    OpSpec("tan", lambda m, x: m.tan(x), (M, "unit")),
    OpSpec("asin", lambda m, x: m.asin(x), (M, "unit")),
    OpSpec("acos", lambda m, x: m.acos(x), (M, "unit")),
    OpSpec("atan", lambda m, x: m.atan(x), (M, "real")),
    OpSpec("arcsin", lambda m, x: m.arcsin(x), (M, "unit")),
    OpSpec("sinh", lambda m, x: m.sinh(x), (M, "real")),
    OpSpec("cosh", lambda m, x: m.cosh(x), (M, "real")),
    OpSpec("tanh", lambda m, x: m.tanh(x), (M, "real")),
    OpSpec("asinh", lambda m, x: m.asinh(x), (M, "real")),
    OpSpec("acosh", lambda m, x: m.acosh(x), (M, "gt1")),
    OpSpec("atanh", lambda m, x: m.atanh(x), (M, "unit")),
    OpSpec("sigmoid", lambda m, x: m.sigmoid(x), (M, "real")),
    OpSpec("relu", lambda m, x: m.relu(x), (M, "nonzero")),
    OpSpec("reciprocal", lambda m, x: m.reciprocal(x), (M, "nonzero")),
    OpSpec("erf", lambda m, x: m.erf(x), (M, "real")),
    OpSpec("erfc", lambda m, x: m.erfc(x), (M, "real")),
    OpSpec("erfinv", lambda m, x: m.erfinv(x), (M, "unit")),
    OpSpec("lgamma", lambda m, x: m.lgamma(x), (M, "real")),
    OpSpec("digamma", lambda m, x: m.digamma(x), (M, "pos")),
    OpSpec("polygamma_1", lambda m, x: m.polygamma(1, x), (M, "pos")),
    OpSpec("polygamma_method", lambda m, x: x.polygamma(2), (M, "pos")),
    OpSpec("sinc", lambda m, x: m.sinc(x), (M, "real")),
    OpSpec("sign", lambda m, x: m.sign(x), (M, "nonzero")),
    OpSpec("sgn", lambda m, x: x.sgn(), (M, "nonzero"), name=False),
    OpSpec("floor", lambda m, x: m.floor(x), (M, "frac")),
    OpSpec("ceil", lambda m, x: m.ceil(x), (M, "frac")),
    OpSpec("round", lambda m, x: m.round(x), (M, "frac")),
    OpSpec("round_decimals", lambda m, x: m.round(x, decimals=1), (M, _tenths)),
    OpSpec("trunc", lambda m, x: m.trunc(x), (M, "frac")),
    OpSpec("fix", lambda m, x: m.fix(x), (M, "frac")),
    OpSpec("frac", lambda m, x: m.frac(x), (M, "frac")),
    OpSpec("clamp", lambda m, x: m.clamp(x, -0.5, 0.5), (M, _inside_clamp)),
    OpSpec("clamp_min_kw", lambda m, x: x.clamp(min=-0.5), (M, _inside_clamp)),
    OpSpec("clamp_max_kw", lambda m, x: x.clamp(max=0.5), (M, _inside_clamp)),
    OpSpec("clamp_min", lambda m, x: m.clamp_min(x, -0.5), (M, _inside_clamp)),
    OpSpec("clamp_max", lambda m, x: x.clamp_max(0.5), (M, _inside_clamp)),
    OpSpec("clip", lambda m, x: m.clip(x, -0.5, 0.5), (M, _inside_clamp)),
    OpSpec("clamp_tensor", lambda m, x, lo, hi: m.clamp(x, lo, hi),
           (M, "real"), (M, _uniform_shift(-1.0)), (M, _uniform_shift(1.0))),
    OpSpec("logit", lambda m, x: m.logit(x), (M, "prob")),
    OpSpec("logit_eps", lambda m, x: m.logit(x, eps=0.05), (M, "prob")),
    OpSpec("logit_eps_clamped", lambda m, x: m.logit(x, eps=0.3), (M, "prob")),
    OpSpec("xlogy", lambda m, a, b: m.xlogy(a, b), (M, "real"), (M, "pos")),
    OpSpec("xlogy_broadcast", lambda m, a, b: a.xlogy(b), (M, "real"), (V, "pos")),
    OpSpec("xlogy_scalar_other", lambda m, x: m.xlogy(x, 2.5), (M, "real")),
    OpSpec("xlogy_scalar_self", lambda m, x: m.xlogy(2.5, x), (M, "pos")),
    OpSpec("deg2rad", lambda m, x: m.deg2rad(x), (M, "real")),
    OpSpec("rad2deg", lambda m, x: m.rad2deg(x), (M, "real")),
    OpSpec("nan_to_num", lambda m, x: m.nan_to_num(x), (M, "real")),
    OpSpec("nan_to_num_of_inf", lambda m, x: m.nan_to_num(x + (x > 0).double().log(),
                                                          neginf=-9.0), (M, "nonzero")),
    OpSpec("positive", lambda m, x: m.positive(x) * 1, (M, "real")),
    OpSpec("chain", lambda m, x: (x.sin() * x.exp() + x.tanh() ** 2).sigmoid(), (M, "real")),
]

CONVERSION = [
    OpSpec("to_float32", lambda m, x: x.to(m.float32), (M, "real"),
           gradcheck=dict(eps=1e-3, atol=1e-2, rtol=1e-2)),
    OpSpec("float_then_double", lambda m, x: x.float().double() * 2, (M, "real"),
           gradcheck=dict(eps=1e-3, atol=1e-2, rtol=1e-2)),
    OpSpec("double_is_identity", lambda m, x: x.double() * 2, (M, "real")),
    OpSpec("clone", lambda m, x: x.clone(), (M, "real")),
    OpSpec("contiguous_copy", lambda m, x: x.t().contiguous(), (M, "real")),
    OpSpec("to_cpu", lambda m, x: x.to("cpu") * 1, (M, "real")),
    OpSpec("type_double", lambda m, x: x.type(m.float64) * 1, (M, "real")),
]

ALL = ARITHMETIC + UNARY + CONVERSION


@pytest.mark.parametrize("spec", spec_params(ALL))
def test_gradcheck(spec):
    run_gradcheck(spec)


@pytest.mark.torch
@pytest.mark.parametrize("spec", spec_params(ALL))
def test_torch_parity(spec, torch):
    run_torch_parity(torch, spec)


@pytest.mark.parametrize("spec", spec_params([s for s in ALL if s.id in (
    "add_broadcast_row", "mul", "div", "exp", "pow_tensor", "rpow_scalar", "clamp_tensor")]))
def test_gradcheck_on_device(spec, device):
    run_gradcheck(spec, device)


# Ops of these modules that are not differentiable, or only aliases of tested ones.
NOT_IN_TABLE = {"isnan", "isinf", "isfinite", "signbit", "absolute", "arccos", "arctan",
                "arctan2", "divide", "multiply", "subtract", "to_device_op", "cast",
                "contiguous", "clone"}


def test_table_covers_every_op():
    """A new op in these modules must get a row in the table (or be listed as not needing one)."""
    names = set(arithmetic.__all__) | set(unary.__all__) | set(conversion.__all__)
    called = set().union(*(s.fn.__code__.co_names for s in ALL))
    missing = names - called - NOT_IN_TABLE
    assert not missing, f"ops without a gradcheck row: {sorted(missing)}"


# ---- values only: comparisons, logical and bitwise ops, predicates ------------------------------
_A = np.array([[1.0, -2.0, 3.0, np.nan], [0.0, 2.0, -1.0, 4.0]])
_B = np.array([1.0, 2.0, -3.0, 0.5])

COMPARE = {
    "eq": lambda m, a, b: a == b, "ne": lambda m, a, b: a != b, "lt": lambda m, a, b: a < b,
    "le": lambda m, a, b: a <= b, "gt": lambda m, a, b: a > b, "ge": lambda m, a, b: a >= b,
    "eq_scalar": lambda m, a, b: a == 2, "lt_scalar_left": lambda m, a, b: 1.5 < a,
    "ge_fn": lambda m, a, b: m.ge(a, b), "greater": lambda m, a, b: m.greater(a, b),
    "not_equal": lambda m, a, b: m.not_equal(a, 1.0),
    "isclose": lambda m, a, b: m.isclose(a, b + 1e-9),
    "logical_and": lambda m, a, b: m.logical_and(a > 0, b > 0),
    "logical_or": lambda m, a, b: (a > 0).logical_or(b > 0),
    "logical_xor": lambda m, a, b: m.logical_xor(a > 0, b > 0),
    "logical_not": lambda m, a, b: m.logical_not(a > 0),
    "and_op": lambda m, a, b: (a > 0) & (b > 0), "or_op": lambda m, a, b: (a > 0) | (b > 0),
    "xor_op": lambda m, a, b: (a > 0) ^ (b > 0), "invert_bool": lambda m, a, b: ~(a > 0),
    "bitwise_int": lambda m, a, b: a.long() & 6, "bitwise_or_int": lambda m, a, b: a.long() | 1,
    "invert_int": lambda m, a, b: ~a.long(), "isnan": lambda m, a, b: m.isnan(a),
    "isinf": lambda m, a, b: m.isinf(a / 0), "isfinite": lambda m, a, b: m.isfinite(a),
    "signbit": lambda m, a, b: m.signbit(a),
}


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore::RuntimeWarning")    # isinf(a / 0): see test_no_numpy_...
@pytest.mark.parametrize("name", list(COMPARE))
def test_comparison_parity(name, torch):
    a, b = np.nan_to_num(_A) if "long" in repr(COMPARE[name].__code__.co_names) else _A, _B
    ours = COMPARE[name](autodiff, autodiff.tensor(a, requires_grad=False), autodiff.tensor(b))
    theirs = COMPARE[name](torch, torch.tensor(a), torch.tensor(b))
    assert_close(ours, theirs)
    assert not ours.requires_grad and ours.grad_fn is None


def test_comparisons_of_tensors_requiring_grad_have_no_grad():
    x = autodiff.tensor([1.0, -1.0], requires_grad=True)
    for out in (x > 0, x == x, x.isnan(), autodiff.isclose(x, x)):
        assert out.dtype is autodiff.bool and not out.requires_grad


def test_equal_and_allclose():
    a = autodiff.tensor([1.0, 2.0])
    assert autodiff.equal(a, autodiff.tensor([1.0, 2.0]))
    assert not autodiff.equal(a, autodiff.tensor([1.0, 2.0, 3.0]))
    assert autodiff.allclose(a, a + 1e-9) and not autodiff.allclose(a, a + 1e-3)
    assert a.allclose(a + 1e-3, atol=1e-2)


def test_bitwise_on_floats_raises():
    with pytest.raises(RuntimeError, match="not implemented for 'Float'"):
        autodiff.tensor([1.0]) & autodiff.tensor([1.0])


def test_inplace_comparison_keeps_dtype():
    x = autodiff.tensor([1.0, 5.0])
    assert x.lt_(2).tolist() == [1.0, 0.0] and x.dtype is autodiff.float32


# ---- out= and a few literal values --------------------------------------------------------------
def test_out_argument():
    out = autodiff.empty(3)
    res = autodiff.add(autodiff.tensor([1.0, 2, 3]), 1, out=out)
    assert res is out and out.tolist() == [2.0, 3.0, 4.0]
    autodiff.exp(autodiff.zeros(2), out=out)            # resized to the result's shape
    assert out.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="functions with out=... arguments don't support "
                                           "automatic differentiation"):
        autodiff.mul(autodiff.ones(2, requires_grad=True), 2, out=autodiff.empty(2))


def test_literal_values():
    x = autodiff.tensor([-1.5, -0.5, 0.5, 2.5])
    assert autodiff.round(x).tolist() == [-2.0, -0.0, 0.0, 2.0]          # half to even
    assert (x % 2).tolist() == [0.5, 1.5, 0.5, 0.5]
    assert autodiff.fmod(x, 2).tolist() == [-1.5, -0.5, 0.5, 0.5]
    assert (x // 1).tolist() == [-2.0, -1.0, 0.0, 2.0]
    assert autodiff.div(x, 1, rounding_mode="trunc").tolist() == [-1.0, -0.0, 0.0, 2.0]
    assert autodiff.tensor([7, -7]).div(2, rounding_mode="floor").tolist() == [3, -4]
    assert autodiff.clamp(x, min=0).tolist() == [0.0, 0.0, 0.5, 2.5]
    assert autodiff.sigmoid(autodiff.tensor([-1000.0, 1000.0])).tolist() == [0.0, 1.0]
    assert autodiff.nan_to_num(autodiff.tensor([math.nan, math.inf]), posinf=9.0).tolist() == \
        [0.0, 9.0]


def test_gradient_conventions_at_kinks():
    """torch's choices where the derivative is undefined: abs'(0) = 0, relu'(0) = 0,
    max/min split ties evenly, clamp passes the gradient at the bounds, d(x^y)/dy = 0 at x=0."""
    x = autodiff.tensor([0.0, 1.0], requires_grad=True)
    abs(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0]
    x.grad = None
    autodiff.relu(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0]
    a = autodiff.tensor([1.0, 2.0], requires_grad=True)
    b = autodiff.tensor([1.0, 3.0], requires_grad=True)
    autodiff.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 0.0] and b.grad.tolist() == [0.5, 1.0]
    c = autodiff.tensor([0.0, 1.0, 2.0], requires_grad=True)
    c.clamp(0.0, 1.0).sum().backward()
    assert c.grad.tolist() == [1.0, 1.0, 0.0]
    base = autodiff.tensor([0.0, 2.0], requires_grad=True)
    e = autodiff.tensor([2.0, 2.0], requires_grad=True)
    (base ** e).sum().backward()
    assert e.grad[0].item() == 0.0 and base.grad.tolist() == [0.0, 4.0]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")    # see the test below
def test_division_by_zero_follows_ieee():
    x = autodiff.tensor([1.0, -1.0, 0.0]) / 0
    assert x[0].item() == math.inf and x[1].item() == -math.inf and math.isnan(x[2].item())
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        autodiff.tensor([1]) // 0


def test_no_numpy_floating_point_warnings():
    """torch computes 1/0, 0/0, log(0) silently; numpy warns about each. (Run in a fresh
    interpreter: pytest resets the warning filters that importing autodiff installs.)"""
    import subprocess
    import sys
    code = ("import autodiff; x = autodiff.tensor([1.0, -1.0, 0.0]); x / 0; "
            "autodiff.log(x); autodiff.sqrt(x); x.exp() ** 1000")
    done = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and "Warning" not in done.stderr, done.stderr


@pytest.mark.parametrize("op", ["relu", "tanh", "sigmoid"])
def test_double_backward_node_names_match_torch(op, torch):
    names = []
    for lib in (autodiff, torch):
        x = lib.tensor([-1.0, 0.5, 2.0], dtype=lib.float64, requires_grad=True)
        g, = lib.autograd.grad(getattr(x, op)().sum(), x, create_graph=True)
        names.append(g.grad_fn.name())
    assert names[0] == names[1]


# ---- forward-only ops whose printed result must equal torch's (dtype, signed zeros, errors) ----
SAME_TEXT = [
    lambda: autodiff.tensor([[1.5, -2.0, 3.0], [-0.0, 4.25, -1.0]]) % 2,      # fmod's -0.0 kept
    lambda: autodiff.tensor([1.5, -2.0, 3.0]) % -2,
    lambda: autodiff.remainder(autodiff.tensor([1.5, -2.0]), autodiff.tensor([0.5, -2.0])),
    lambda: autodiff.tensor([-3, 3]) % 2,
    lambda: autodiff.tensor([1, 2]) << 1,
    lambda: 1 << autodiff.tensor([1, 2]),
    lambda: autodiff.tensor([-8, 9]) >> 1,
    lambda: autodiff.tensor([1, 2], dtype=autodiff.uint8) << 7,
    lambda: autodiff.tensor([1, -1]) << 64,
    lambda: autodiff.tensor([1, -1]) >> 64,
    lambda: autodiff.tensor([5], dtype=autodiff.int8) << autodiff.tensor([3]),
    lambda: autodiff.bitwise_right_shift(autodiff.tensor([64], dtype=autodiff.int32), 3),
    lambda: autodiff.tensor([1.0, 2.0]) << 1,
    lambda: autodiff.tensor([1, 2], dtype=autodiff.int16) << 3.5,
    lambda: autodiff.tensor([1.0]) & 1,
    lambda: ~autodiff.tensor([1.0]),
    lambda: ~autodiff.tensor([1, 0]),
    lambda: autodiff.bincount(autodiff.tensor([0, 1, 1, 3])),
    lambda: autodiff.bincount(autodiff.tensor([0, 1, 1, 3]), weights=autodiff.tensor([0.5, 1.0, 1.0, 2.0])),
    lambda: autodiff.bincount(autodiff.tensor([0, 2]), weights=autodiff.tensor([1, 2])),
    lambda: autodiff.tensor([0, 1]).bincount(minlength=5),
    lambda: autodiff.bincount(autodiff.tensor([], dtype=autodiff.int64)),
    lambda: autodiff.bincount(autodiff.tensor([-1, 2])),
    lambda: autodiff.bincount(autodiff.tensor([1.0, 2.0])),
    lambda: autodiff.histc(autodiff.tensor([1.0, 2.0, 1.0, 7.0]), bins=4, min=0, max=3),
    lambda: autodiff.histc(autodiff.tensor([[1.5, -2.0, 3.0], [0.0, 4.25, -1.0]]), bins=4),
    lambda: autodiff.tensor([0.1, 0.2, 0.3, 0.7, 1.0], dtype=autodiff.float64).histc(10, 0, 1),
    lambda: autodiff.histc(autodiff.arange(10.0), bins=3),
    lambda: autodiff.histc(autodiff.tensor([2.0, 2.0]), bins=2),
    lambda: autodiff.histc(autodiff.tensor([1, 2]), bins=3),
    lambda: autodiff.diff(autodiff.tensor([True, False, False])),
    lambda: autodiff.diff(autodiff.tensor([1, 4, 9, 16]), n=2),
    lambda: autodiff.diff(autodiff.tensor(1.0)),
]


@pytest.mark.parametrize("fn", SAME_TEXT)
def test_prints_what_torch_prints(fn, torch):
    from _helpers import in_torch

    def text(f, name):
        try:
            return repr(f()).replace(name, "M")
        except Exception as e:                      # noqa: BLE001 (the error is the result)
            return f"{type(e).__name__}: {e}".replace(name, "M")
    assert text(fn, "autodiff") == text(in_torch(fn, torch), "torch")
