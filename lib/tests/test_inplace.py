"""In-place ops (``x.op_()``, ``x += y``, ``copy_``, ``fill_``, ``x[i] = v``): values, storage,
version counters, dtype/shape rules, and gradients through them compared with torch."""
import numpy as np
import pytest

import autodiff
from autodiff.ops import arithmetic, comparison, unary
from _helpers import assert_close

_POS = np.array([[0.3, 0.7, 0.5], [0.2, 0.9, 0.4]])      # a domain every unary op accepts
_OTHER = np.array([[1.5, -1.2, 2.0], [1.1, -1.7, 1.3]])

# extra arguments of the in-place methods that need some
ARGS = {"clamp": (0.4, 0.8), "clip": (0.4, 0.8), "clamp_min": (0.5,), "clamp_max": (0.5,),
        "pow": (2,), "lerp": ("other", 0.3), "fmod": (0.25,), "remainder": ("other",),
        "xlogy": (2.5,)}


def _args(m, name, other):
    default = ("other",) if name in arithmetic.__inplace__ else ()
    return tuple(other if a == "other" else a for a in ARGS.get(name, default))


UNARY_INPLACE = list(unary.__inplace__)
BINARY_INPLACE = list(arithmetic.__inplace__)


@pytest.mark.parametrize("name", UNARY_INPLACE)
def test_unary_inplace_equals_out_of_place(name):
    x = autodiff.tensor(_POS + 1 if name == "acosh" else _POS)
    expected = getattr(autodiff, name)(x, *ARGS.get(name, ()))
    data = x.numpy()
    version = x._vc[0]
    out = getattr(x, name + "_")(*ARGS.get(name, ()))
    assert out is x and np.shares_memory(x.numpy(), data)
    assert x._vc[0] == version + 1
    assert_close(x, expected)


@pytest.mark.parametrize("name", BINARY_INPLACE)
def test_binary_inplace_equals_out_of_place(name):
    x, other = autodiff.tensor(_POS), autodiff.tensor(_OTHER)
    args = _args(autodiff, name, other)
    expected = getattr(autodiff, name)(x, *args)
    out = getattr(x, name + "_")(*args)
    assert out is x
    assert_close(x, expected)


@pytest.mark.torch
@pytest.mark.parametrize("name", UNARY_INPLACE + BINARY_INPLACE)
def test_inplace_gradients_match_torch(name, torch):
    """y = x * 1; y.op_(...); gradients flow to x (and to a tensor argument) as in torch."""
    if not hasattr(torch.Tensor, name + "_"):
        pytest.skip(f"torch has no Tensor.{name}_")
    if name in ("floor_divide", "asinh", "acosh", "atanh"):
        pytest.skip(f"torch has no derivative for {name}_")
    results = []
    for m in (autodiff, torch):
        x = m.tensor(_POS, requires_grad=True)
        other = m.tensor(_OTHER, requires_grad=True)
        y = x * 1
        getattr(y, name + "_")(*_args(m, name, other))
        (y * m.tensor(_OTHER)).sum().backward()
        results.append((y, x.grad, other.grad, y.grad_fn.name()))
    (y, gx, go, nm), (ty, tgx, tgo, tnm) = results
    assert_close(y, ty)
    assert_close(gx, tgx)
    assert (go is None) == (tgo is None)
    if go is not None:
        assert_close(go, tgo)


@pytest.mark.torch
@pytest.mark.parametrize("name", list(comparison.__inplace__))
def test_comparison_inplace_keeps_dtype(name, torch):
    if not hasattr(torch.Tensor, name + "_"):
        pytest.skip(f"torch has no Tensor.{name}_")
    data = np.array([0, 1, 2, 3])
    ours, theirs = autodiff.tensor(data), torch.tensor(data)
    arg = () if name in ("logical_not", "bitwise_not") else (2,)
    if name.startswith("logical_") and arg:
        arg = (data[::-1].copy(),)
    getattr(ours, name + "_")(*[autodiff.tensor(a) if isinstance(a, np.ndarray) else a
                                for a in arg])
    getattr(theirs, name + "_")(*[torch.tensor(a) if isinstance(a, np.ndarray) else a
                                  for a in arg])
    assert_close(ours, theirs)


# ---- operators ----------------------------------------------------------------------------------
@pytest.mark.parametrize("op, expected", [
    ("+=", [3.0, 4.0]), ("-=", [-1.0, 0.0]), ("*=", [2.0, 4.0]), ("/=", [0.5, 1.0]),
    ("//=", [0.0, 1.0]), ("%=", [1.0, 0.0]), ("**=", [1.0, 4.0]),
])
def test_augmented_assignment_is_in_place(op, expected):
    x = autodiff.tensor([1.0, 2.0])
    data, ident = x.numpy(), id(x)
    scope = {"x": x}
    exec(f"x {op} 2", scope)
    assert id(scope["x"]) == ident and np.shares_memory(scope["x"].numpy(), data)
    assert scope["x"].tolist() == expected


def test_bitwise_augmented_assignment():
    x = autodiff.tensor([True, False])
    x &= autodiff.tensor([True, True])
    assert x.tolist() == [True, False]
    y = autodiff.tensor([6, 3])
    y |= 1
    y ^= 2
    assert y.tolist() == [5, 1]


def test_inplace_result_must_fit_the_dtype():
    x = autodiff.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        x += 2.5
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        x.div_(2)
    b = autodiff.tensor([True])
    with pytest.raises(RuntimeError, match="result type Long can't be cast to the desired "
                                           "output type Bool"):
        b.add_(1)
    f = autodiff.tensor([1.0, 2.0])
    f += autodiff.tensor([1, 1])              # int into float: fine
    assert f.dtype is autodiff.float32 and f.tolist() == [2.0, 3.0]
    h = autodiff.ones(2, dtype=autodiff.float16)
    h.mul_(autodiff.ones(2, dtype=autodiff.float64))    # same category: cast down, as torch
    assert h.dtype is autodiff.float16


def test_inplace_result_must_fit_the_shape():
    x = autodiff.zeros(3)
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the "
                                           r"broadcast shape \[2, 3\]"):
        x.add_(autodiff.ones(2, 3))
    y = autodiff.zeros(2, 3)
    y.add_(autodiff.tensor([1.0, 2.0, 3.0]))           # broadcasting the other way is fine
    assert y.tolist() == [[1.0, 2.0, 3.0]] * 2


# ---- copy_, fill_, zero_ ------------------------------------------------------------------------
def test_copy_broadcasts_and_casts():
    x = autodiff.zeros(2, 3, dtype=autodiff.int32)
    data = x.numpy()
    assert x.copy_(autodiff.tensor([1.7, 2.2, -3.9])) is x
    assert x.tolist() == [[1, 2, -3]] * 2 and x.dtype is autodiff.int32
    assert np.shares_memory(x.numpy(), data)
    with pytest.raises(RuntimeError):
        x.copy_(autodiff.ones(4))


def test_copy_is_differentiable():
    src = autodiff.tensor([1.0, 2.0], requires_grad=True)
    dst_leaf = autodiff.tensor([5.0, 5.0], requires_grad=True)
    dst = dst_leaf * 1
    dst.copy_(src)
    (dst * autodiff.tensor([3.0, 4.0])).sum().backward()
    assert src.grad.tolist() == [3.0, 4.0]
    assert dst_leaf.grad.tolist() == [0.0, 0.0]


def test_fill_and_zero():
    x = autodiff.ones(2, 2)
    assert x.fill_(3.5) is x and x.tolist() == [[3.5, 3.5]] * 2
    x.fill_(autodiff.tensor(2.0))
    assert x.tolist() == [[2.0, 2.0]] * 2
    assert x.zero_().tolist() == [[0.0, 0.0]] * 2
    with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor"):
        x.fill_(autodiff.ones(2))


def test_fill_on_a_non_leaf_blocks_the_gradient():
    x = autodiff.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.fill_(7.0)
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


# ---- writing through views of graph tensors (CopySlices) ----------------------------------------
def _through_view(m, x, w):
    y = x * 1
    y[0].mul_(w[0])                   # in place through a view: the base's history changes
    col = y[:, 0]
    col += w[1]
    y[:, 1:].exp_()
    return (y ** 2).sum()


def test_inplace_through_views_matches_torch(torch):
    xs, ws = np.array([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]]), np.array([2.0, -0.5])
    x, w = autodiff.tensor(xs, requires_grad=True), autodiff.tensor(ws, requires_grad=True)
    tx, tw = torch.tensor(xs, requires_grad=True), torch.tensor(ws, requires_grad=True)
    out, tout = _through_view(autodiff, x, w), _through_view(torch, tx, tw)
    assert_close(out, tout, rtol=1e-12)
    out.backward()
    tout.backward()
    assert_close(x.grad, tx.grad, rtol=1e-12)
    assert_close(w.grad, tw.grad, rtol=1e-12)


def test_inplace_through_views_gradcheck():
    x = autodiff.tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]]), requires_grad=True)
    w = autodiff.tensor(np.array([2.0, -0.5]), requires_grad=True)
    assert autodiff.autograd.gradcheck(lambda a, b: _through_view(autodiff, a, b), (x, w))
    assert autodiff.autograd.gradgradcheck(lambda a, b: _through_view(autodiff, a, b), (x, w))


def test_base_history_becomes_copyslices():
    x = autodiff.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    v = y[1:]
    v.mul_(10)
    assert y.grad_fn.name() == "CopySlices"
    assert y.tolist() == [1.0, 20.0, 30.0]
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 10.0, 10.0]


def test_inplace_on_a_detached_alias_is_allowed_and_visible():
    x = autodiff.tensor([1.0, 2.0], requires_grad=True)
    x.detach().mul_(2)
    assert x.tolist() == [2.0, 4.0] and x.requires_grad and x.is_leaf


def test_index_put_inplace():
    x = autodiff.zeros(4)
    idx = (autodiff.tensor([0, 2, 0]),)
    assert x.index_put_(idx, autodiff.tensor([1.0, 2.0, 3.0]), accumulate=True) is x
    assert x.tolist() == [4.0, 0.0, 2.0, 0.0]
    x.index_put_(idx, autodiff.tensor(9.0))
    assert x.tolist() == [9.0, 0.0, 9.0, 0.0]
