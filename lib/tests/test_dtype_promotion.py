"""dtype inference and type promotion: torch's rules (result_type), checked pair by pair."""
import itertools

import numpy as np
import pytest

import autodiff

DTYPES = [autodiff.bool, autodiff.uint8, autodiff.int8, autodiff.int16, autodiff.int32,
          autodiff.int64, autodiff.float16, autodiff.float32, autodiff.float64]
PAIRS = list(itertools.product(DTYPES, DTYPES))
SCALARS = [True, 2, 2.5, np.float64(2.5), np.int32(3)]


def _pair_id(p):
    return f"{p[0].name}-{p[1].name}"


def _t(dtype, dim=True):
    """A small tensor of ``dtype``, with dims or 0-dim."""
    return autodiff.ones(2, dtype=dtype) if dim else autodiff.ones((), dtype=dtype)


def _tt(torch, dtype, dim=True):
    td = getattr(torch, dtype.name)
    return torch.ones(2, dtype=td) if dim else torch.ones((), dtype=td)


# ---- literal expectations (no torch needed) -----------------------------------------------------
@pytest.mark.parametrize("a, b, expected", [
    (autodiff.int32, autodiff.float16, autodiff.float16),      # the category wins, not the size
    (autodiff.int64, autodiff.float16, autodiff.float16),
    (autodiff.uint8, autodiff.int8, autodiff.int16),
    (autodiff.bool, autodiff.uint8, autodiff.uint8),
    (autodiff.float16, autodiff.float64, autodiff.float64),
    (autodiff.int16, autodiff.int64, autodiff.int64),
])
def test_promote_types_literal(a, b, expected):
    assert autodiff.promote_types(a, b) is expected
    assert autodiff.promote_types(b, a) is expected


def test_integer_division_is_float32():
    out = autodiff.tensor([1, 2, 3]) / autodiff.tensor([2, 2, 2])
    assert out.dtype is autodiff.float32
    assert out.tolist() == [0.5, 1.0, 1.5]
    assert (autodiff.tensor([3], dtype=autodiff.int32) / 2).dtype is autodiff.float32
    assert (7 / autodiff.tensor([2])).dtype is autodiff.float32


def test_int_tensor_plus_float_scalar_is_float32():
    out = autodiff.tensor([1, 2], dtype=autodiff.int32) + 2.5
    assert out.dtype is autodiff.float32
    assert out.tolist() == [3.5, 4.5]
    assert (autodiff.tensor([1, 2]) * 0.5).dtype is autodiff.float32


def test_scalars_do_not_widen_a_tensor():
    assert (autodiff.ones(2, dtype=autodiff.float16) + 2.5).dtype is autodiff.float16
    assert (autodiff.ones(2, dtype=autodiff.int8) + 1000).dtype is autodiff.int8
    assert (autodiff.ones(2, dtype=autodiff.uint8) * True).dtype is autodiff.uint8
    assert (autodiff.ones(2, dtype=autodiff.bool) + 2).dtype is autodiff.int64


def test_zero_dim_tensor_only_lifts_the_category():
    f64_0d = autodiff.tensor(2.0, dtype=autodiff.float64)
    assert (autodiff.ones(2, dtype=autodiff.float32) + f64_0d).dtype is autodiff.float32
    assert (autodiff.ones(2, dtype=autodiff.int32) + f64_0d).dtype is autodiff.float64
    assert (autodiff.ones(2, dtype=autodiff.int8) + autodiff.tensor(5)).dtype is autodiff.int8


def test_default_dtype_governs_python_floats():
    autodiff.set_default_dtype(autodiff.float64)
    assert autodiff.tensor([1.5]).dtype is autodiff.float64
    assert (autodiff.tensor([1, 2]) + 2.5).dtype is autodiff.float64
    assert (autodiff.tensor([1]) / 2).dtype is autodiff.float64
    assert autodiff.zeros(2).dtype is autodiff.float64
    autodiff.set_default_dtype(autodiff.float32)
    assert autodiff.tensor([1.5]).dtype is autodiff.float32


def test_set_default_dtype_rejects_integers():
    with pytest.raises(TypeError, match="only floating-point types"):
        autodiff.set_default_dtype(autodiff.int64)


@pytest.mark.parametrize("data, expected", [
    ([1, 2], autodiff.int64), ([1.0, 2], autodiff.float32), ([True, False], autodiff.bool),
    ([True, 2], autodiff.int64), ([[1], [2.5]], autodiff.float32), (3, autodiff.int64),
    (3.0, autodiff.float32), (False, autodiff.bool), (np.array([1, 2], dtype=np.int16),
                                                      autodiff.int16),
    (np.array([1.0]), autodiff.float64), (np.float64(1.0), autodiff.float64),
])
def test_inference_from_data(data, expected):
    assert autodiff.tensor(data).dtype is expected


@pytest.mark.parametrize("fn", [autodiff.exp, autodiff.sqrt, autodiff.sin, autodiff.sigmoid,
                                autodiff.log])
def test_floating_unary_ops_on_integers_give_float32(fn):
    assert fn(autodiff.tensor([1, 4])).dtype is autodiff.float32
    assert fn(autodiff.tensor([True])).dtype is autodiff.float32


@pytest.mark.parametrize("fn", [abs, lambda x: -x, autodiff.floor, autodiff.round])
def test_integer_preserving_unary_ops(fn):
    assert fn(autodiff.tensor([1, -4], dtype=autodiff.int16)).dtype is autodiff.int16


def test_bool_subtraction_and_negation_raise():
    b = autodiff.tensor([True, False])
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with two bool "
                                           "tensors is not supported"):
        b - b
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor is "
                                           "not supported"):
        -b


def test_bool_addition_and_multiplication_stay_bool():
    b = autodiff.tensor([True, False])
    assert (b + b).dtype is autodiff.bool and (b + b).tolist() == [True, False]
    assert (b * b).dtype is autodiff.bool


def test_integer_to_negative_integer_power_raises():
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        autodiff.tensor([2]) ** -1


def test_comparisons_are_bool_after_promotion():
    out = autodiff.tensor([1, 2], dtype=autodiff.int8) < 1.5
    assert out.dtype is autodiff.bool and out.tolist() == [True, False]
    assert (autodiff.tensor([1.0]) == autodiff.tensor([1])).tolist() == [True]


# ---- parity with torch over every pair ----------------------------------------------------------
@pytest.mark.torch
@pytest.mark.parametrize("pair", PAIRS, ids=_pair_id)
def test_promote_types_parity(pair, torch):
    a, b = pair
    expected = torch.promote_types(getattr(torch, a.name), getattr(torch, b.name))
    assert autodiff.promote_types(a, b).name == str(expected).replace("torch.", "")


@pytest.mark.torch
@pytest.mark.parametrize("pair", PAIRS, ids=_pair_id)
@pytest.mark.parametrize("dims", [(True, True), (True, False), (False, True), (False, False)],
                         ids=["dim-dim", "dim-0d", "0d-dim", "0d-0d"])
def test_result_type_parity_tensors(pair, dims, torch):
    (a, b), (da, db) = pair, dims
    expected = torch.result_type(_tt(torch, a, da), _tt(torch, b, db))
    got = autodiff.result_type(_t(a, da), _t(b, db))
    assert got.name == str(expected).replace("torch.", "")


@pytest.mark.torch
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
@pytest.mark.parametrize("dim", [True, False], ids=["dim", "0d"])
def test_result_type_parity_scalars(dtype, scalar, dim, torch):
    expected = torch.result_type(_tt(torch, dtype, dim), scalar)
    assert autodiff.result_type(_t(dtype, dim), scalar).name == str(expected)[6:]
    # and the operators really produce that dtype, in both operand orders
    for op in (lambda x, y: x + y, lambda x, y: y * x):
        assert op(_t(dtype, dim), scalar).dtype.name == str(op(_tt(torch, dtype, dim),
                                                                 scalar).dtype)[6:]


_OPS = {
    "add": lambda x, y: x + y,
    "mul": lambda x, y: x * y,
    "sub": lambda x, y: x - y,
    "div": lambda x, y: x / y,
    "floordiv": lambda x, y: x // y,
    "maximum": lambda x, y: x.maximum(y),
    "eq": lambda x, y: x == y,
    "lt": lambda x, y: x < y,
}


@pytest.mark.torch
@pytest.mark.parametrize("pair", PAIRS, ids=_pair_id)
@pytest.mark.parametrize("op", list(_OPS), ids=str)
def test_binary_op_dtype_parity(pair, op, torch):
    """Result dtype (or the error type) of each op matches torch for every dtype pair."""
    a, b = pair
    fn = _OPS[op]
    try:
        expected = fn(_tt(torch, a), 2 * _tt(torch, b))
    except RuntimeError:
        with pytest.raises(RuntimeError):
            fn(_t(a), 2 * _t(b))
        return
    got = fn(_t(a), 2 * _t(b))
    assert got.dtype.name == str(expected.dtype)[6:]
    np.testing.assert_array_equal(got.numpy().astype(np.float64),
                                  expected.numpy().astype(np.float64))
