"""ops/misc_math.py: aliases, float_power, ldexp/frexp/nextafter, gcd/lcm, heaviside, diagflat,
renorm, split_with_sizes, fill_diagonal_, slice/select_scatter and in-place special functions.
Differentiable ops: gradcheck to second order in float64 and parity with torch; the rest print
(values or errors) exactly what torch prints."""
import math

import numpy as np
import pytest

import autodiff
from autodiff.ops import misc_math
from _helpers import OpSpec, assert_close, in_torch, run_gradcheck, run_torch_parity, spec_params

M, V = (3, 4), (4,)


def _mantissa_safe(rng, shape):
    """Values m * 2**k with 0.55 < |m| < 0.95: no power of two (where frexp jumps) nearby."""
    return (rng.choice([-1.0, 1.0], shape) * rng.uniform(0.55, 0.95, shape)
            * 2.0 ** rng.integers(-3, 4, shape))


def _rows(rng, shape):
    """Rows of norms far apart (about 0.5, 1, 3, ...): renorm(maxnorm=1.5) scales some only."""
    scale = np.array([0.3, 2.0, 0.6, 3.0, 1.0])[:shape[0]].reshape(-1, *([1] * (len(shape) - 1)))
    return scale * rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 1.0, shape)


def _inplace(name, *args):
    return lambda m, x: getattr(x * 1, name)(*args)


SPECS = [
    OpSpec("arccosh", lambda m, x: m.arccosh(x), (M, "gt1")),
    OpSpec("arcsinh", lambda m, x: m.arcsinh(x), (M, "real")),
    OpSpec("arctanh", lambda m, x: x.arctanh(), (M, "unit")),
    # torch names the in-place nodes ...Backward1 and has no derivative for them (backward
    # raises); ours are the out-of-place nodes, differentiable
    OpSpec("arccosh_", _inplace("arccosh_"), (M, "gt1"), name=False, backward=False),
    OpSpec("arcsinh_", _inplace("arcsinh_"), (M, "real"), name=False, backward=False),
    OpSpec("arctanh_", _inplace("arctanh_"), (M, "unit"), name=False, backward=False),
    OpSpec("arctan2_", lambda m, a, b: (a * 1).arctan2_(b), (M, "real"), (M, "nonzero"),
           name=False),
    OpSpec("float_power", lambda m, a, b: m.float_power(a, b), (M, "pos"), (V, "real")),
    OpSpec("float_power_scalar", lambda m, x: m.float_power(x, 3), (M, "real")),
    OpSpec("float_power_rscalar", lambda m, x: m.float_power(2, x), (M, "real")),
    OpSpec("float_power_method", lambda m, x: x.float_power(0.5), (M, "pos")),
    OpSpec("float_power_", _inplace("float_power_", 2), (M, "real"), name=False),
    OpSpec("ldexp", lambda m, a, b: m.ldexp(a, b), (M, "real"), (V, "real")),
    # non-negative integer exponents: torch's gradient of ldexp(x, negative int) is 0 (its
    # backward computes 2**other in integers); ours is 2**other
    OpSpec("ldexp_int", lambda m, x: x.ldexp(m.tensor([1, 2, 0, 3])), (M, "real")),
    OpSpec("ldexp_", lambda m, a, b: (a * 1).ldexp_(b), (M, "real"), (M, "real"), name=False),
    OpSpec("nextafter", lambda m, a, b: m.nextafter(a, b), (M, "real"), (M, "real")),
    OpSpec("frexp", lambda m, x: m.frexp(x).mantissa, (M, _mantissa_safe), gradcheck={}),
    OpSpec("frexp_method", lambda m, x: x.frexp()[0] * 3, (M, _mantissa_safe)),
    OpSpec("diagflat", lambda m, x: m.diagflat(x), ((2, 3), "real")),
    OpSpec("diagflat_offset", lambda m, x: x.diagflat(-2), (V, "real")),
    OpSpec("renorm_2", lambda m, x: m.renorm(x, 2, 0, 1.5), ((5, 3), _rows)),
    OpSpec("renorm_1_dim1", lambda m, x: m.renorm(x.t(), 1, 1, 1.5), ((5, 3), _rows)),
    OpSpec("renorm_3_3d", lambda m, x: x.renorm(3, 0, 1.5), ((4, 2, 3), _rows)),
    OpSpec("renorm_inf", lambda m, x: m.renorm(x, math.inf, 0, 1.5), ((5, 3), _rows)),
    OpSpec("renorm_", lambda m, x: (x * 1).renorm_(2, 0, 1.5), ((5, 3), _rows), name=False),
    OpSpec("split_with_sizes", lambda m, x: x.split_with_sizes([1, 3], dim=1)[1], (M, "real")),
    OpSpec("split_with_sizes_fn", lambda m, x: m.split_with_sizes(x, [2, 1])[0], (M, "real")),
    # torch writes through a diagonal view (CopySlices); ours is a masked_fill
    OpSpec("fill_diagonal_", _inplace("fill_diagonal_", 2.0), (M, "real"), name=False),
    OpSpec("fill_diagonal_wrap", _inplace("fill_diagonal_", -1.0, True), ((7, 3), "real"),
           name=False),
    OpSpec("slice_scatter", lambda m, a, b: m.slice_scatter(a, b, 0, 1, 3), (M, "real"),
           ((2, 4), "real")),
    OpSpec("slice_scatter_step", lambda m, a, b: a.slice_scatter(b, dim=1, start=-3, step=2),
           (M, "real"), ((3, 2), "real")),
    OpSpec("select_scatter", lambda m, a, b: m.select_scatter(a, b, 1, -1), (M, "real"),
           ((3,), "real")),
    OpSpec("select_scatter_0", lambda m, a, b: a.select_scatter(b, 0, 2) ** 2, (M, "real"),
           (V, "real")),
    OpSpec("i0_", _inplace("i0_"), (M, "real"), name=False),
    OpSpec("igamma_", lambda m, x: m.full((3, 4), 1.5, dtype=m.float64).igamma_(x),
           (M, "pos"), name=False),
    OpSpec("igammac_", lambda m, x: m.full((3, 4), 2.5, dtype=m.float64).igammac_(x),
           (M, "pos"), name=False),
    OpSpec("mvlgamma_", _inplace("mvlgamma_", 2), (M, "gt1"), name=False),
    OpSpec("polygamma_", _inplace("polygamma_", 1), (M, "pos"), name=False),
]


@pytest.mark.parametrize("spec", spec_params(SPECS))
def test_gradcheck(spec):
    run_gradcheck(spec)


@pytest.mark.torch
@pytest.mark.parametrize("spec", spec_params(SPECS))
def test_torch_parity(spec, torch):
    run_torch_parity(torch, spec)


def test_module_lists():
    """Every export is a top-level function and a method; the in-place forms exist."""
    for name in misc_math.__all__:
        assert getattr(autodiff, name) is getattr(misc_math, name)
    for name in misc_math.__methods__:
        assert hasattr(autodiff.Tensor, name), name
    for name in misc_math.__inplace__:
        assert hasattr(autodiff.Tensor, name + "_"), name


def test_float_power_is_float64_and_names_match(torch):
    """float32 inputs: a ToCopy node, then pow in double, as torch builds it."""
    x = autodiff.tensor([1.5, 2.0], requires_grad=True)
    y = autodiff.float_power(x, autodiff.tensor([2, 3]))
    tx = torch.tensor([1.5, 2.0], requires_grad=True)
    ty = torch.float_power(tx, torch.tensor([2, 3]))
    assert_close(y, ty)
    assert y.grad_fn.name() == ty.grad_fn.name()
    assert [f.name() for f, _ in y.grad_fn.next_functions if f is not None] == \
           [f.name() for f, _ in ty.grad_fn.next_functions if f is not None]
    y.sum().backward()
    ty.sum().backward()
    assert_close(x.grad, tx.grad)


def test_predicates():
    assert autodiff.tensor([1.0]).is_signed() and autodiff.is_signed(autodiff.tensor([-1]))
    assert not autodiff.tensor([1], dtype=autodiff.uint8).is_signed()
    assert not autodiff.tensor([True]).is_signed()
    assert autodiff.is_same_size(autodiff.zeros(2, 3), autodiff.ones(2, 3))
    assert not autodiff.zeros(2, 3).is_same_size(autodiff.zeros(3, 2))


def test_heaviside_has_no_derivative():
    x = autodiff.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    y = autodiff.heaviside(x, autodiff.tensor([0.5]))
    with pytest.raises(RuntimeError, match="derivative for aten::heaviside is not implemented"):
        y.sum().backward()


@pytest.mark.parametrize("fn, shapes", [
    (lambda x: autodiff.renorm(x, 2, 1, 0.5), [(3, 4)]),
    (lambda x, e: autodiff.ldexp(x, e), [(3, 4), (4,)]),
    (lambda x: autodiff.frexp(x).mantissa * autodiff.frexp(x).exponent, [(3, 4)]),
    (lambda a, b: autodiff.slice_scatter(a, b, 1, 0, 4, 2), [(3, 4), (3, 2)]),
    (lambda a, b: autodiff.select_scatter(a, b, 0, 1), [(3, 4), (4,)]),
    (lambda x: (x * 1).fill_diagonal_(3.0, wrap=True), [(7, 2)]),
    (lambda x: autodiff.float_power(x.abs(), 1.5) + autodiff.nextafter(x, x * 0), [(3,)]),
])
def test_simulated_cuda_matches_cpu(fn, shapes):
    from _helpers import cpu_vs_simulated_cuda
    cpu_vs_simulated_cuda(fn, *shapes)


def test_frexp_of_integers_raises():
    with pytest.raises(RuntimeError, match=r"torch.frexp\(\) only supports floating-point dtypes"):
        autodiff.frexp(autodiff.tensor([8]))


def test_ldexp_with_negative_integer_exponent_has_the_true_gradient():
    x = autodiff.tensor([3.0, 5.0], requires_grad=True)
    autodiff.ldexp(x, autodiff.tensor([-2, 1])).sum().backward()
    assert_close(x.grad, autodiff.tensor([0.25, 2.0]))


def test_inplace_special_functions_write_into_self():
    x = autodiff.tensor([0.5, 1.5, 2.5], dtype=autodiff.float64)
    for name, args, expected in (("i0_", (), autodiff.i0), ("polygamma_", (2,),
                                 lambda t: autodiff.polygamma(2, t)),
                                 ("mvlgamma_", (3,), lambda t: autodiff.mvlgamma(t, 3))):
        a = x + 2
        version = a._version
        assert getattr(a, name)(*args) is a and a._version > version
        assert_close(a, expected(x + 2), rtol=1e-12)


_INF = math.inf

SAME_TEXT = [
    lambda: autodiff.arccosh(autodiff.tensor([1.0, 2.0, 0.5])),
    lambda: autodiff.tensor([1.0, 2.0]).arctan2_(autodiff.tensor([1.0, -1.0])),
    lambda: autodiff.tensor([0.5, -0.2]).arctanh_(),
    lambda: autodiff.tensor([1, 2]).arcsinh_(),
    lambda: autodiff.float_power(autodiff.tensor([2, 3]), 2),
    lambda: autodiff.float_power(autodiff.tensor([2, 3]), autodiff.tensor([2, 3])),
    lambda: autodiff.float_power(2, autodiff.tensor([0.5, 3])),
    lambda: autodiff.tensor([1.0, 2.0]).float_power(2),
    lambda: autodiff.tensor([1.0, 2.0]).float_power_(2),
    lambda: autodiff.tensor([1.0, 2.0], dtype=autodiff.float64).float_power_(3),
    lambda: autodiff.heaviside(autodiff.tensor([-1.0, 0.0, 2.0, _INF, math.nan]),
                               autodiff.tensor([0.5])),
    lambda: autodiff.heaviside(autodiff.tensor([1, 0, -3]), autodiff.tensor([5, 6, 7])),
    lambda: autodiff.tensor([-1.0, 0.0]).heaviside_(autodiff.tensor([2.0, 3.0])),
    lambda: autodiff.heaviside(autodiff.tensor([1.0]), autodiff.tensor([1])),
    lambda: autodiff.heaviside(autodiff.tensor([1.0]), 0.5),
    lambda: autodiff.gcd(autodiff.tensor([12, -18, 0, 7]), autodiff.tensor([8, 4, 0, -21])),
    lambda: autodiff.lcm(autodiff.tensor([4, -6, 0, 5]), autodiff.tensor([6, 4, 3, 7])),
    lambda: autodiff.gcd(autodiff.tensor([12], dtype=autodiff.int32), autodiff.tensor([8])),
    lambda: autodiff.tensor([12, 9], dtype=autodiff.int16).gcd_(autodiff.tensor([8, 6],
                                                                dtype=autodiff.int16)),
    lambda: autodiff.tensor([4, 6]).lcm_(autodiff.tensor([6, 4])),
    lambda: autodiff.gcd(autodiff.tensor([1.0]), autodiff.tensor([2.0])),
    lambda: autodiff.lcm(autodiff.tensor([True]), autodiff.tensor([True])),
    lambda: autodiff.gcd(autodiff.tensor([12]), 3),
    lambda: autodiff.ldexp(autodiff.tensor([1, 2]), autodiff.tensor([1, 2])),
    lambda: autodiff.ldexp(autodiff.tensor([1.0, 2.0]), autodiff.tensor([1.0, -2.0],
                                                                       dtype=autodiff.float64)),
    lambda: autodiff.ldexp(autodiff.tensor([1.0, 2.0]), 2),
    lambda: autodiff.tensor([3.0, 1.0]).ldexp_(autodiff.tensor([-1, 4])),
    lambda: autodiff.nextafter(autodiff.tensor([1.0, 2.0]),
                               autodiff.tensor([2.0, 1.0])).double() - 1,
    lambda: autodiff.nextafter(autodiff.tensor([1.0, 0.0]), autodiff.tensor([2.0, -1.0],
                                                                          dtype=autodiff.float64)),
    lambda: autodiff.nextafter(autodiff.tensor([1, 2]), autodiff.tensor([2, 1])),
    lambda: autodiff.nextafter(autodiff.tensor([1.0]), 2.0),
    lambda: autodiff.isneginf(autodiff.tensor([-_INF, _INF, 1.0, math.nan])),
    lambda: autodiff.isposinf(autodiff.tensor([-_INF, _INF, 1.0, math.nan])),
    lambda: autodiff.isneginf(autodiff.tensor([1, 2])),
    lambda: autodiff.tensor([1, -3]).isposinf(),
    lambda: autodiff.isreal(autodiff.tensor([-_INF, math.nan, 1.0])),
    lambda: autodiff.tensor([1, 2]).isreal(),
    lambda: autodiff.frexp(autodiff.tensor([8.0, -0.3, 0.0, _INF, -_INF, 1e-40])),
    lambda: autodiff.frexp(autodiff.tensor([8.0, 3.0], dtype=autodiff.float16)),
    lambda: autodiff.tensor([5.0, 0.1], dtype=autodiff.float64).frexp(),
    lambda: autodiff.frexp(autodiff.tensor([8.0], requires_grad=True)),
    lambda: autodiff.diagflat(autodiff.tensor([[1, 2], [3, 4]])),
    lambda: autodiff.diagflat(autodiff.tensor([1, 2]), offset=1),
    lambda: autodiff.diagflat(autodiff.tensor(3.0)),
    lambda: autodiff.renorm(autodiff.tensor([[1.0, 2.0], [3.0, 4.0]]), 2, 0, 3.0),
    lambda: autodiff.renorm(autodiff.tensor([[1.0, 2.0], [3.0, 4.0]]), 1, 1, 2.0),
    lambda: autodiff.renorm(autodiff.tensor([[1.0, 2.0], [3.0, 4.0]]), _INF, -2, 3.0),
    lambda: autodiff.tensor([[1.0, 2.0], [3.0, 4.0]]).renorm_(2, 0, 0.0),
    lambda: autodiff.renorm(autodiff.tensor([[1.0, 2.0]]), -1, 0, 1.0),
    lambda: autodiff.renorm(autodiff.tensor([[1.0, 2.0]]), 2, 0, -1.0),
    lambda: autodiff.renorm(autodiff.tensor([1.0, 2.0]), 2, 0, 1.0),
    lambda: autodiff.renorm(autodiff.tensor([[1, 2]]), 2, 0, 1.0),
    lambda: autodiff.renorm(autodiff.tensor([[1.0, 2.0]]), 2, 2, 1.0),
    lambda: autodiff.arange(6).reshape(2, 3).split_with_sizes([1, 2], dim=1),
    lambda: autodiff.arange(6).split_with_sizes([1, 2]),
    lambda: autodiff.arange(6).split_with_sizes([7, -1]),
    lambda: autodiff.zeros(3, 5).fill_diagonal_(2.0),
    lambda: autodiff.zeros(7, 3).fill_diagonal_(1),
    lambda: autodiff.zeros(7, 3).fill_diagonal_(1, wrap=True),
    lambda: autodiff.zeros(3, 7, dtype=autodiff.int64).fill_diagonal_(5, wrap=True),
    lambda: autodiff.zeros(2, 2, 2).fill_diagonal_(1),
    lambda: autodiff.zeros(2, 3, 4).fill_diagonal_(1),
    lambda: autodiff.zeros(3).fill_diagonal_(1),
    lambda: autodiff.slice_scatter(autodiff.zeros(4, 4), autodiff.ones(4, 2), dim=1, step=2),
    lambda: autodiff.slice_scatter(autodiff.zeros(4, 4), autodiff.ones(4, 2), 1, -2),
    lambda: autodiff.slice_scatter(autodiff.zeros(4, 3),
                                   autodiff.ones(2, 3, dtype=autodiff.float64), 0, 0, 2),
    lambda: autodiff.slice_scatter(autodiff.zeros(4, 3), autodiff.ones(2, 3), 0),
    lambda: autodiff.slice_scatter(autodiff.zeros(4, 3), autodiff.ones(4, 3), 2),
    lambda: autodiff.select_scatter(autodiff.zeros(2, 3), autodiff.ones(2), 1, -1),
    lambda: autodiff.zeros(2, 3, dtype=autodiff.int64).select_scatter(autodiff.ones(3), 0, 1),
    lambda: autodiff.select_scatter(autodiff.zeros(2, 3), autodiff.ones(3), 1, 0),
    lambda: autodiff.select_scatter(autodiff.zeros(2, 3), autodiff.ones(2), 1, 5),
    lambda: autodiff.select_scatter(autodiff.zeros(2, 3), autodiff.ones(2), 1, -4),
    lambda: autodiff.is_same_size(autodiff.zeros(2), [2]),
    lambda: autodiff.tensor([0.5, 1.5]).i0_(),
    lambda: autodiff.tensor([1.0, 2.0]).igamma_(autodiff.tensor([0.5, 3.0])),
    lambda: autodiff.tensor([1.0, 2.0]).igammac_(autodiff.tensor([0.5, 3.0])),
    lambda: autodiff.tensor([2.0, 3.0]).mvlgamma_(2),
    lambda: autodiff.tensor([2.0, 3.0]).polygamma_(1),
    lambda: autodiff.tensor([1, 2]).i0_(),
]


@pytest.mark.torch
@pytest.mark.parametrize("fn", SAME_TEXT)
def test_prints_what_torch_prints(fn, torch):
    def text(f, name):
        try:
            return repr(f()).replace(name, "M")
        except Exception as e:                      # noqa: BLE001 (the error is the result)
            return f"{type(e).__name__}: {e}".replace(name, "M")
    assert text(fn, "autodiff") == text(in_torch(fn, torch), "torch")
