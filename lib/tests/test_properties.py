"""Property-based tests (hypothesis): random shapes, broadcastable pairs, slices and
permutations. Forward results equal numpy's; gradients of broadcasting ops come back with the
inputs' shapes and equal the numpy closed form (and torch's, where torch is installed)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import autodiff

SETTINGS = settings(deadline=None, max_examples=25, derandomize=True, database=None)

pair_shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)
shapes = hnp.array_shapes(min_dims=0, max_dims=4, max_side=4)


def _values(data, shape, lo=-3.0, hi=3.0):
    return data.draw(hnp.arrays(np.float64, shape, elements=st.floats(lo, hi, width=64)))


def _unbroadcast(grad, shape):
    """Sum a broadcast gradient back to ``shape`` (the closed form of what the engine does)."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


# each entry: autodiff op, numpy forward, numpy d/da, numpy d/db, domain of b
BINARY = {
    "add": (lambda a, b: a + b, np.add, lambda a, b: np.ones_like(a * b),
            lambda a, b: np.ones_like(a * b), (-3, 3)),
    "sub": (lambda a, b: a - b, np.subtract, lambda a, b: np.ones_like(a * b),
            lambda a, b: -np.ones_like(a * b), (-3, 3)),
    "mul": (lambda a, b: a * b, np.multiply, lambda a, b: b * np.ones_like(a),
            lambda a, b: a * np.ones_like(b), (-3, 3)),
    "div": (lambda a, b: a / b, np.divide, lambda a, b: 1 / b * np.ones_like(a),
            lambda a, b: -a / b ** 2, (0.5, 3)),
    "pow": (lambda a, b: b ** a, lambda a, b: b ** a, lambda a, b: b ** a * np.log(b),
            lambda a, b: a * b ** (a - 1), (0.5, 3)),
    "atan2": (lambda a, b: autodiff.atan2(a, b), np.arctan2,
              lambda a, b: b / (a * a + b * b), lambda a, b: -a / (a * a + b * b), (0.5, 3)),
}


@pytest.mark.parametrize("name", list(BINARY))
@SETTINGS
@given(data=st.data(), shapes=pair_shapes)
def test_broadcasting_binary_ops(name, data, shapes):
    op, np_op, da, db, (lo, hi) = BINARY[name]
    sa, sb = shapes.input_shapes
    a_np, b_np = _values(data, sa), _values(data, sb, lo, hi)
    a = autodiff.tensor(a_np, requires_grad=True)
    b = autodiff.tensor(b_np, requires_grad=True)
    out = op(a, b)
    expected = np_op(a_np, b_np)
    assert out.shape == expected.shape == shapes.result_shape
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    g = _values(data, shapes.result_shape)
    out.backward(autodiff.tensor(g))
    assert a.grad.shape == sa and b.grad.shape == sb
    np.testing.assert_allclose(a.grad.numpy(), _unbroadcast(g * da(a_np, b_np), sa),
                               rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(b.grad.numpy(), _unbroadcast(g * db(a_np, b_np), sb),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.torch
@SETTINGS
@given(data=st.data(), shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3,
                                                                  max_side=3))
def test_broadcast_expression_matches_torch(data, shapes):
    torch = pytest.importorskip("torch")
    arrays = [_values(data, s) for s in shapes.input_shapes]

    def f(m, a, b, c):
        return ((a * b - c).tanh() + m.maximum(a, c) * 0.5 + (b - 1) ** 2).sigmoid()

    ours = [autodiff.tensor(x, requires_grad=True) for x in arrays]
    theirs = [torch.tensor(x, requires_grad=True) for x in arrays]
    out, tout = f(autodiff, *ours), f(torch, *theirs)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    g = _values(data, shapes.result_shape)
    out.backward(autodiff.tensor(g))
    tout.backward(torch.tensor(g))
    for x, tx in zip(ours, theirs):
        assert x.grad.shape == tuple(tx.grad.shape)
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


UNARY = {
    "exp": (autodiff.exp, np.exp), "tanh": (autodiff.tanh, np.tanh),
    "sin": (autodiff.sin, np.sin), "abs": (abs, np.abs), "neg": (lambda x: -x, np.negative),
    "sigmoid": (autodiff.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    "square": (autodiff.square, np.square), "floor": (autodiff.floor, np.floor),
    "relu": (autodiff.relu, lambda x: np.maximum(x, 0)),
    "clamp": (lambda x: x.clamp(-1, 1), lambda x: np.clip(x, -1, 1)),
}


@pytest.mark.parametrize("name", list(UNARY))
@SETTINGS
@given(data=st.data(), shape=shapes)
def test_unary_ops_equal_numpy(name, data, shape):
    op, np_op = UNARY[name]
    x_np = _values(data, shape)
    x = autodiff.tensor(x_np, requires_grad=True)
    out = op(x)
    assert out.shape == shape and out.dtype is autodiff.float64
    np.testing.assert_allclose(out.detach().numpy(), np_op(x_np), rtol=1e-12, atol=1e-300)
    out.sum().backward()
    assert x.grad.shape == shape


@SETTINGS
@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=4))
def test_permute_and_reshape_match_numpy(data, shape):
    x_np = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    x = autodiff.tensor(x_np)
    perm = data.draw(st.permutations(range(len(shape))))
    p = x.permute(*perm)
    np.testing.assert_array_equal(p.numpy(), x_np.transpose(perm))
    assert np.shares_memory(p.numpy(), x.numpy())
    assert p.stride() == tuple(s // 8 for s in x_np.transpose(perm).strides) or \
        any(d == 1 for d in p.shape)
    flat = p.reshape(-1)
    np.testing.assert_array_equal(flat.numpy(), x_np.transpose(perm).reshape(-1))
    assert p.is_contiguous() == x_np.transpose(perm).flags.c_contiguous


@pytest.mark.torch
@SETTINGS
@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=4))
def test_strides_of_views_match_torch(data, shape):
    torch = pytest.importorskip("torch")
    perm = data.draw(st.permutations(range(len(shape))))
    dim = data.draw(st.integers(0, len(shape)))
    ours = autodiff.zeros(shape).permute(*perm).unsqueeze(dim)
    theirs = torch.zeros(shape).permute(*perm).unsqueeze(dim)
    # the stride of a size-1 dim is arbitrary (torch's depends on the ops' history): skip those
    sized = [d for d, n in enumerate(theirs.shape) if n > 1]
    assert [ours.stride(d) for d in sized] == [theirs.stride(d) for d in sized]
    assert ours.is_contiguous() == theirs.is_contiguous()


def _slices(shape):
    def one(n):
        return st.one_of(
            st.integers(-n, n - 1) if n else st.nothing(),
            st.builds(slice, st.none() | st.integers(-n - 1, n + 1),
                      st.none() | st.integers(-n - 1, n + 1), st.none() | st.integers(1, 3)))
    return st.tuples(*[one(n) for n in shape])


@SETTINGS
@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
def test_basic_indexing_matches_numpy_and_routes_gradients(data, shape):
    x_np = _values(data, shape)
    index = data.draw(_slices(shape))
    x = autodiff.tensor(x_np, requires_grad=True)
    out = x[index]
    np.testing.assert_array_equal(out.detach().numpy(), x_np[index])
    assert np.shares_memory(out.detach().numpy(), x.detach().numpy()) or out.numel() == 0
    out.sum().backward()
    picked = np.zeros(shape)
    picked[index] = 1
    np.testing.assert_array_equal(x.grad.numpy(), picked)


@SETTINGS
@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
def test_advanced_indexing_accumulates_repeated_gradients(data, shape):
    x = autodiff.tensor(_values(data, shape), requires_grad=True)
    idx = data.draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=6))
    out = x[idx]
    np.testing.assert_array_equal(out.detach().numpy(), x.detach().numpy()[idx])
    out.sum().backward()
    counts = np.bincount(idx, minlength=shape[0]).astype(np.float64)
    expected = np.broadcast_to(counts.reshape((-1,) + (1,) * (len(shape) - 1)), shape)
    np.testing.assert_array_equal(x.grad.numpy(), expected)


@SETTINGS
@given(data=st.data(), shapes=pair_shapes)
def test_expand_and_sum_to_size_are_adjoint(data, shapes):
    """<expand(a), g> == <a, sum_to_size(g)>: the gradient of expand is sum_to_size."""
    sa, _ = shapes.input_shapes
    target = shapes.result_shape
    a_np, g_np = _values(data, sa), _values(data, target)
    a = autodiff.tensor(a_np)
    g = autodiff.tensor(g_np)
    left = float((a.expand(*target) * g).numpy().sum()) if target else float(
        (a.expand(*target) * g).item())
    right = float((a * g.sum_to_size(*sa)).numpy().sum()) if sa else float(
        (a * g.sum_to_size(*sa)).item())
    assert np.isclose(left, right, rtol=1e-10, atol=1e-10)


@SETTINGS
@given(data=st.data(), shapes=pair_shapes, dtypes=st.tuples(
    st.sampled_from(["bool", "uint8", "int8", "int32", "int64", "float16", "float32",
                     "float64"]),
    st.sampled_from(["bool", "uint8", "int16", "int64", "float32", "float64"])))
def test_promotion_is_symmetric_and_matches_result_type(data, shapes, dtypes):
    sa, sb = shapes.input_shapes
    da, db = (getattr(autodiff, d) for d in dtypes)
    a, b = autodiff.ones(sa, dtype=da), autodiff.ones(sb, dtype=db)
    expected = autodiff.result_type(a, b)
    assert (a * b).dtype is expected and (b * a).dtype is expected
    assert (a + b).shape == shapes.result_shape
