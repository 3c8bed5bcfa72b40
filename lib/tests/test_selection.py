"""Selection and scattering (ops/selection.py) and searching (ops/searching.py): a table of
every differentiable op, gradchecked to second order in float64 and compared with torch (values,
gradients, grad_fn names); in-place variants; index dtypes; torch's error messages."""
import warnings

import numpy as np
import pytest

import autodiff
from autodiff.ops import searching, selection
from _helpers import OpSpec, assert_close, run_gradcheck, run_torch_parity, spec_params

M = (3, 4)
IDX = [[0, 1], [1, 1], [3, 3]]          # gather/scatter_add index into M along dim 1 (repeats)
UNIQUE_IDX = [[0, 2], [3, 1], [2, 0]]   # scatter with src: no place written twice
MASK = [[True, False, True, False], [False, False, True, True], [True, True, False, False]]


def _c(m, x, data, dtype=None):
    """A constant tensor (index, mask) on ``x``'s device, for autodiff or torch alike."""
    return m.tensor(data, device=x.device, dtype=dtype)


def _positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def _spread(rng, shape):
    """Distinct values far apart: amax/amin have no ties and no jump nearby."""
    return rng.permutation(np.arange(int(np.prod(shape)), dtype=float)).reshape(shape) * 0.5 \
        + rng.uniform(-0.1, 0.1, shape)


SELECT = [
    OpSpec("index_select", lambda m, x: x.index_select(1, _c(m, x, [0, 2, 2])), (M, "real")),
    OpSpec("index_select_int32", lambda m, x: m.index_select(x, 0, _c(m, x, [2, 0], m.int32)),
           (M, "real")),
    OpSpec("index_select_0d_index", lambda m, x: x.index_select(0, _c(m, x, 1)), (M, "real")),
    OpSpec("gather", lambda m, x: x.gather(1, _c(m, x, IDX)), (M, "real")),
    OpSpec("gather_dim0_small", lambda m, x: m.gather(x, 0, _c(m, x, [[2, 0, 1]])), (M, "real")),
    OpSpec("gather_int32", lambda m, x: x.gather(-1, _c(m, x, IDX, m.int32)), (M, "real")),
    OpSpec("scatter_src", lambda m, x, s: x.scatter(1, _c(m, x, UNIQUE_IDX), s), (M, "real"),
           ((3, 2), "real")),
    OpSpec("scatter_src_larger", lambda m, x, s: m.scatter(x, 0, _c(m, x, [[2, 0]]), s),
           (M, "real"), ((2, 3), "real"), name=False),
    OpSpec("scatter_value", lambda m, x: x.scatter(1, _c(m, x, IDX), 2.5), (M, "real")),
    OpSpec("scatter_value_kw", lambda m, x: m.scatter(x, 0, _c(m, x, [[1, 2]]), value=-1.0),
           (M, "real")),
    OpSpec("scatter_add", lambda m, x, s: x.scatter_add(1, _c(m, x, IDX), s), (M, "real"),
           ((3, 2), "real")),
    OpSpec("scatter_add_larger_src", lambda m, x, s: m.scatter_add(x, 0, _c(m, x, [[0, 0, 2]]),
                                                                     s),
           (M, "real"), ((2, 4), "real"), name=False),
    OpSpec("take", lambda m, x: x.take(_c(m, x, [[0, 5], [11, -1]])), (M, "real")),
    OpSpec("take_repeats", lambda m, x: m.take(x, _c(m, x, [3, 3, -9])), (M, "real")),
    OpSpec("take_along_dim", lambda m, x: x.take_along_dim(_c(m, x, [[0], [3], [-1]]), 1),
           (M, "real")),
    OpSpec("take_along_dim_flat", lambda m, x: m.take_along_dim(x, _c(m, x, [0, 11, 5])),
           (M, "real")),
    OpSpec("take_along_dim_broadcast", lambda m, x: x.take_along_dim(_c(m, x, [[0, 1, 1]]), 0),
           ((3, 1), "real")),
    OpSpec("masked_select", lambda m, x: x.masked_select(_c(m, x, MASK)), (M, "real")),
    OpSpec("masked_select_broadcast", lambda m, x: m.masked_select(x, _c(m, x, MASK)),
           ((4,), "real")),
    OpSpec("masked_fill", lambda m, x: x.masked_fill(_c(m, x, MASK), 1.5), (M, "real")),
    OpSpec("masked_fill_broadcast_mask", lambda m, x: m.masked_fill(x, _c(m, x, MASK[0]), 0.0),
           (M, "real")),
    OpSpec("masked_fill_tensor", lambda m, x, v: x.masked_fill(_c(m, x, MASK), v), (M, "real"),
           ((), "real")),
    OpSpec("masked_scatter", lambda m, x, s: x.masked_scatter(_c(m, x, MASK), s), (M, "real"),
           ((2, 4), "real")),
    OpSpec("masked_scatter_broadcast", lambda m, x, s: m.masked_scatter(x, _c(m, x, MASK[1]), s),
           (M, "real"), ((7,), "real")),
    OpSpec("index_fill", lambda m, x: x.index_fill(1, _c(m, x, [0, -1]), 2.0), (M, "real")),
    OpSpec("index_fill_tensor", lambda m, x, v: m.index_fill(x, 0, _c(m, x, [2, 2, 0]), v),
           (M, "real"), ((), "real")),
    OpSpec("index_add", lambda m, x, s: x.index_add(1, _c(m, x, [0, 2, 0]), s), (M, "real"),
           ((3, 3), "real")),
    OpSpec("index_add_alpha", lambda m, x, s: m.index_add(x, 0, _c(m, x, [1], m.int32), s,
                                                          alpha=-2), (M, "real"),
           ((1, 4), "real")),
    OpSpec("index_copy", lambda m, x, s: x.index_copy(1, _c(m, x, [3, 0]), s), (M, "real"),
           ((3, 2), "real")),
]

REDUCE = [
    OpSpec(f"scatter_reduce_{r}_{'self' if inc else 'noself'}",
           lambda m, x, s, r=r, inc=inc: x.scatter_reduce(1, _c(m, x, IDX), s, r,
                                                          include_self=inc),
           (M, _spread), ((3, 2), _spread if r in ("amax", "amin") else _positive))
    for r in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)
] + [
    OpSpec("scatter_reduce_larger_src", lambda m, x, s: m.scatter_reduce(
        x, 0, _c(m, x, [[0, 0, 2, 1]]), s, "mean"), (M, "real"), ((2, 4), "real"), name=False),
]

ALL = SELECT + REDUCE


@pytest.mark.parametrize("spec", spec_params(ALL))
def test_gradcheck(spec):
    run_gradcheck(spec)


@pytest.mark.torch
@pytest.mark.parametrize("spec", spec_params([s for s in ALL if s.compare_name]))
def test_torch_parity(spec, torch):
    run_torch_parity(torch, spec)


@pytest.mark.parametrize("spec", spec_params([s for s in ALL if s.id in (
    "index_select", "gather", "scatter_add", "take", "masked_select", "masked_scatter",
    "index_add", "scatter_reduce_amax_self", "scatter_reduce_prod_noself", "index_fill_tensor")]))
def test_gradcheck_on_device(spec, device):
    run_gradcheck(spec, device)


def test_table_covers_every_op():
    used = {n for s in ALL for n in s.fn.__code__.co_names}
    missing = set(selection.__methods__) - set(searching.__all__) - used
    assert not missing, f"ops without a gradcheck row: {sorted(missing)}"


def test_larger_src_gradients():
    """torch rejects these gradients (src larger than index); ours pad them with zeros."""
    x = autodiff.randn(3, 4, requires_grad=True)
    s = autodiff.randn(2, 4, requires_grad=True)
    x.scatter(0, autodiff.tensor([[2, 0]]), s).sum().backward()
    np.testing.assert_array_equal(s.grad.numpy(), [[1, 1, 0, 0], [0, 0, 0, 0]])


# ---- in-place variants -------------------------------------------------------------------------
INPLACE = [
    ("scatter_", lambda m, x: (1, _c(m, x, UNIQUE_IDX), x[:, :2] * 3)),
    ("scatter_", lambda m, x: (1, _c(m, x, IDX), -1.0)),
    ("scatter_add_", lambda m, x: (1, _c(m, x, IDX), x[:, 1:3] * 2)),
    ("scatter_reduce_", lambda m, x: (1, _c(m, x, IDX), x[:, :2] + 1, "amax")),
    ("masked_fill_", lambda m, x: (_c(m, x, MASK), 0.5)),
    ("masked_scatter_", lambda m, x: (_c(m, x, MASK), x.flip(0) * 2)),
    ("index_fill_", lambda m, x: (1, _c(m, x, [2]), -3.0)),
    ("index_add_", lambda m, x: (0, _c(m, x, [2, 2]), x[:2] * 5)),
    ("index_copy_", lambda m, x: (0, _c(m, x, [1, 0]), x[1:] * 5)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name, args", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_matches_torch(name, args, torch):
    data = np.random.default_rng(3).standard_normal(M)
    x, tx = autodiff.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, ty = x * 1, tx * 1
    assert getattr(y, name)(*args(autodiff, x)) is y
    getattr(ty, name)(*args(torch, tx))
    assert_close(y, ty)
    assert y.grad_fn.name() == ty.grad_fn.name()
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    assert_close(x.grad, tx.grad)


def test_inplace_on_leaf_that_requires_grad_is_refused():
    x = autodiff.randn(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x.masked_fill_(x > 0, 0.0)


def test_masked_fill_inplace_cannot_grow():
    x = autodiff.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"output with shape \[3, 4\] doesn't match the "
                                           r"broadcast shape \[2, 3, 4\]"):
        x.masked_fill_(autodiff.ones(2, 3, 4, dtype=autodiff.bool), 1.0)


# ---- forward behaviour -------------------------------------------------------------------------
FORWARD = [
    lambda m: m.tensor([[1, 2, 3]]).scatter(1, m.tensor([[2, 2]]), 1.7),
    lambda m: m.tensor([1.0, 2, 3]).scatter(0, m.tensor([0, 0, 2]), m.tensor([2.0, 3, 4]),
                                           reduce="multiply"),
    lambda m: m.tensor([1.0, 2, 3]).scatter(0, m.tensor([0, 0]), 2.0, reduce="add"),
    lambda m: m.tensor([1, 2, 3, 4]).scatter_reduce(0, m.tensor([0, 0, 3]), m.tensor([5, 7, 2]),
                                                    "mean", include_self=False),
    lambda m: m.tensor([1, 2, 3, 4]).scatter_reduce(0, m.tensor([0, 0, 1]), m.tensor([5, 7, 2]),
                                                    "amin"),
    lambda m: m.tensor([1.0, 2]).masked_fill(m.tensor([True, False]), True),
    lambda m: m.tensor([1, 2, 3]).masked_fill(m.tensor([True, False, True]), 1.7),
    lambda m: m.zeros(3).masked_fill(m.ones(2, 3, dtype=m.bool), m.tensor(2)),
    lambda m: m.arange(6).reshape(2, 3).take(m.tensor([5, -6])),
    lambda m: m.tensor(5.0).index_select(0, m.tensor([0])),
    lambda m: m.tensor(5.0).index_add(0, m.tensor([0]), m.tensor(1.0)),
    lambda m: m.tensor(5.0).index_copy(-1, m.tensor(0), m.tensor(1.0)),
    lambda m: m.tensor(5.0).index_fill(0, m.tensor([0]), 2.0),
    lambda m: m.arange(6.0).reshape(2, 3).masked_select(m.zeros(2, 3, dtype=m.bool)),
    lambda m: m.nonzero(m.tensor([[0, 1], [2, 0]])),
    lambda m: m.nonzero(m.tensor([[0.0, 1.5], [2, 0]]), as_tuple=True),
    lambda m: m.nonzero(m.tensor(3), as_tuple=True),
    lambda m: m.nonzero(m.tensor(0), as_tuple=True),
    lambda m: m.nonzero(m.tensor(3)),
    lambda m: m.argwhere(m.tensor([[True, False], [True, True]])),
    lambda m: m.where(m.tensor([[0, 1], [2, 0]])),
    lambda m: m.unique(m.tensor([3, 1, 2, 3, 1])),
    lambda m: m.unique(m.tensor([3, 1, 2, 3, 1]), sorted=False, return_inverse=True,
                       return_counts=True),
    lambda m: m.tensor([[3, 1], [2, 3]]).unique(return_inverse=True),
    lambda m: m.unique(m.tensor([3.5, 1, 3.5]), return_counts=True),
    lambda m: m.unique(m.tensor([[1, 2], [0, 1], [1, 2]]), dim=0, return_inverse=True,
                       return_counts=True),
    lambda m: m.unique(m.tensor([[1, 2, 1], [0, 1, 0]]), dim=1, return_inverse=True),
    lambda m: m.unique(m.tensor([True, False, True])),
    lambda m: m.unique(m.tensor(3), return_inverse=True, return_counts=True),
    lambda m: m.unique(m.tensor([]), return_inverse=True, return_counts=True),
    lambda m: m.unique_consecutive(m.tensor([1, 1, 2, 2, 3, 1, 1]), return_inverse=True,
                                   return_counts=True),
    lambda m: m.unique_consecutive(m.tensor([[1, 1], [1, 1], [2, 3]]), dim=0,
                                   return_counts=True),
    lambda m: m.tensor([1, 1, 2]).unique_consecutive(),
    lambda m: m.searchsorted(m.tensor([1, 3, 5]), m.tensor([0, 3, 6])),
    lambda m: m.searchsorted(m.tensor([1, 3, 5]), m.tensor([0, 3, 6]), right=True),
    lambda m: m.searchsorted(m.tensor([1, 3, 5]), m.tensor([0, 3, 6]), side="right"),
    lambda m: m.searchsorted(m.tensor([1, 3, 5]), m.tensor([0, 3, 6]), out_int32=True),
    lambda m: m.searchsorted(m.tensor([[1, 3, 5], [2, 4, 6]]), m.tensor([[0, 3], [4, 7]])),
    lambda m: m.searchsorted(m.tensor([1, 3, 5]), 3),
    lambda m: m.searchsorted(m.tensor([5, 1, 3]), m.tensor([2, 4]), sorter=m.tensor([1, 2, 0])),
    lambda m: m.searchsorted(m.tensor([1.0, 3, 5]), m.tensor([2, 4])),
    lambda m: m.searchsorted(m.tensor([1.0, 3]), m.tensor([float("nan")])),
    lambda m: m.bucketize(m.tensor([0, 3, 6]), m.tensor([1, 3, 5])),
    lambda m: m.bucketize(m.tensor([[0, 3], [6, 1]]), m.tensor([1, 3, 5]), right=True),
    lambda m: m.bucketize(3, m.tensor([1, 3, 5])),
    lambda m: m.bucketize(m.tensor([1, 5]), m.tensor([1, 3]), out_int32=True),
    lambda m: m.isin(m.tensor([0, 3, 6]), m.tensor([1, 3, 5])),
    lambda m: m.isin(m.tensor([[0, 3], [6, 1]]), m.tensor([1, 3, 5]), invert=True),
    lambda m: m.isin(m.tensor([0, 3, 6]), 3),
    lambda m: m.isin(3, m.tensor([0, 3, 6])),
    lambda m: m.isin(m.tensor([1, 2]), m.tensor([1.0, 2.5])),
]


@pytest.mark.torch
@pytest.mark.parametrize("fn", FORWARD)
def test_forward_matches_torch(fn, torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ours, theirs = fn(autodiff), fn(torch)
    if isinstance(theirs, torch.Tensor):
        ours, theirs = (ours,), (theirs,)
    assert type(ours) is tuple and len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_close(a, b)


@pytest.mark.torch
@pytest.mark.parametrize("fn", [
    lambda m, x: x.gather(axis=1, index=_c(m, x, IDX)),
    lambda m, x: x.scatter(axis=1, index=_c(m, x, IDX), value=1.0),
    lambda m, x: x.scatter_add(axis=1, index=_c(m, x, IDX), src=x),
    lambda m, x: x.scatter_reduce(axis=1, index=_c(m, x, IDX), src=x, reduce="amin"),
    lambda m, x: x.index_select(axis=1, index=_c(m, x, [1])),
    lambda m, x: x.take_along_dim(_c(m, x, [[1]]), axis=1),
    lambda m, x: x.index_fill(axis=0, index=_c(m, x, [1]), value=2.0),
    lambda m, x: x.index_add(axis=0, index=_c(m, x, [1]), source=x[:1]),
    lambda m, x: x.index_copy(axis=0, index=_c(m, x, [1]), source=x[:1]),
])
def test_axis_is_an_alias_of_dim(fn, torch):
    x = np.arange(12.0).reshape(3, 4)
    assert_close(fn(autodiff, autodiff.tensor(x)), fn(torch, torch.tensor(x)))


def test_searching_results_have_no_grad_fn():
    x = autodiff.randn(3, 4, requires_grad=True)
    for r in (x.nonzero(), autodiff.argwhere(x), autodiff.isin(x, x[0]),
              autodiff.searchsorted(autodiff.tensor([0.0, 1.0]), x),
              autodiff.bucketize(x, autodiff.tensor([0.0, 1.0]))):
        assert r.grad_fn is None and not r.requires_grad


@pytest.mark.parametrize("fn, node, op", [
    (lambda x: autodiff.unique(x), "Unique2Backward0", "_unique2"),
    (lambda x: autodiff.unique(x, dim=0), "UniqueDimBackward0", "unique_dim"),
    (lambda x: x.unique_consecutive(), "UniqueConsecutiveBackward0", "unique_consecutive"),
])
def test_unique_has_torch_node_without_derivative(fn, node, op):
    x = autodiff.randn(3, 4, requires_grad=True)
    out = fn(x)
    assert out.grad_fn.name() == node
    with pytest.raises(NotImplementedError, match=f"the derivative for '{op}' is not "
                                                  "implemented."):
        out.sum().backward()


def test_scatter_reduce_argument_has_no_derivative():
    x = autodiff.randn(3, requires_grad=True)
    out = x.scatter(0, autodiff.tensor([0, 0]), 2.0, reduce="multiply")
    assert out.grad_fn.name() == "torch::autograd::NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
        out.sum().backward()
    with pytest.warns(UserWarning, match="reduce argument of torch.scatter with Tensor src"):
        x.detach().scatter(0, autodiff.tensor([0]), autodiff.ones(1), reduce="add")


def test_gather_of_0dim_tensor_is_a_clean_error():
    with pytest.raises(RuntimeError, match="0-dim tensor is not supported"):
        autodiff.tensor(5.0).gather(0, autodiff.tensor(0))


def test_index_put_accumulates_with_backend_scatter_add():
    x = autodiff.zeros(4)
    out = x.index_add(0, autodiff.tensor([1, 1, 3]), autodiff.ones(3))
    assert out.tolist() == [0.0, 2.0, 0.0, 1.0]


# ---- errors: torch's exception type and message --------------------------------------------------
def _x(m):
    return m.zeros(3, 4, dtype=m.float64)


def _s(m, *shape, dtype=None):
    return m.zeros(*shape, dtype=dtype or m.float64)


ERRORS = [
    lambda m: _x(m).index_select(1, m.tensor([0.0, 2])),
    lambda m: _x(m).index_select(1, m.tensor([True])),
    lambda m: _x(m).index_select(1, m.tensor([0, 5])),
    lambda m: _x(m).index_select(1, m.tensor([0, -1])),
    lambda m: _x(m).index_select(1, m.tensor([[0, 1]])),
    lambda m: m.tensor(5.0).index_select(0, m.tensor([0, 0])),
    lambda m: _x(m).gather(1, m.tensor([[0.0, 1]])),
    lambda m: _x(m).gather(1, m.tensor([[0, 1], [1, 1], [3, 4]])),
    lambda m: _x(m).gather(1, m.tensor([[0, 1], [1, 1], [3, -1]])),
    lambda m: _x(m).gather(1, m.tensor([0, 1])),
    lambda m: _x(m).gather(1, m.zeros(4, 2, dtype=m.long)),
    lambda m: _x(m).scatter(1, m.tensor([[0.0, 1]]), 2.0),
    lambda m: _x(m).scatter(1, m.tensor([[0, 1]]), 2.0, reduce="mean"),
    lambda m: _x(m).scatter(1, m.zeros(4, 2, dtype=m.long), 2.0),
    lambda m: _x(m).scatter(1, m.zeros(3, 2, dtype=m.long), _s(m, 2, 2)),
    lambda m: _x(m).scatter(1, m.zeros(3, dtype=m.long), 1.0),
    lambda m: _x(m).scatter(1, m.tensor([[0, 4]]), 1.0),
    lambda m: _x(m).scatter(1, m.tensor([[-1]]), 1.0),
    lambda m: _x(m).scatter(1, m.tensor([[0]]), _s(m, 1, 1, dtype=m.float32)),
    lambda m: _x(m).scatter(1, m.tensor([[0]]), m.tensor(1.5, dtype=m.float64)),
    lambda m: _x(m).scatter_add(1, m.tensor([[0.0]]), _s(m, 3, 2)),
    lambda m: _x(m).scatter_add(1, m.tensor([0]), _s(m, 3, 2)),
    lambda m: _x(m).scatter_add(1, m.zeros(3, 3, dtype=m.long), _s(m, 3, 2)),
    lambda m: _x(m).scatter_add(1, m.zeros(3, 2, dtype=m.long), _s(m, 3, 2, dtype=m.float32)),
    lambda m: _x(m).scatter_add(1, m.tensor([[-1]]), _x(m)),
    lambda m: _x(m).scatter_reduce(1, m.zeros(3, 2, dtype=m.long), _s(m, 3, 2), "foo"),
    lambda m: _x(m).scatter_reduce(1, m.full((3, 2), 4), _s(m, 3, 2), "sum"),
    lambda m: _x(m).scatter_reduce(1, m.zeros(3, 3, dtype=m.long), _s(m, 3, 2), "amax"),
    lambda m: _x(m).take(m.tensor([0, 12])),
    lambda m: _x(m).take(m.tensor([-13])),
    lambda m: _x(m).take(m.tensor([0], dtype=m.int32)),
    lambda m: _x(m).take(m.tensor([0.0])),
    lambda m: _x(m).take_along_dim(m.tensor([[0]], dtype=m.int32), 1),
    lambda m: _x(m).take_along_dim(m.tensor([0, 1]), 1),
    lambda m: _x(m).masked_select(m.tensor([1, 0, 1, 0], dtype=m.uint8)),
    lambda m: _x(m).masked_select(m.tensor([True, False, True])),
    lambda m: _x(m).masked_fill(m.tensor([1, 0, 1, 0]), 1.5),
    lambda m: _x(m).masked_fill(m.ones(3, 4, dtype=m.uint8), 1.5),
    lambda m: _x(m).masked_fill(m.ones(3, 4), 1.5),
    lambda m: _x(m).masked_fill(m.ones(3, 4, dtype=m.int32), 1.5),
    lambda m: _x(m).masked_fill(m.ones(3, 4, dtype=m.bool), m.tensor([1.5])),
    lambda m: _x(m).masked_fill(m.tensor([True, False, True]), 0.0),
    lambda m: _x(m).masked_scatter(m.ones(3, 4, dtype=m.bool), _s(m, 5)),
    lambda m: _x(m).masked_scatter(m.ones(3, 4, dtype=m.uint8), _s(m, 12)),
    lambda m: _x(m).masked_scatter(m.ones(3, 4, dtype=m.bool), _s(m, 12, dtype=m.float32)),
    lambda m: _x(m).index_fill(1, m.tensor([0, 5]), 1.0),
    lambda m: _x(m).index_fill(1, m.tensor([0, -5]), 1.0),
    lambda m: _x(m).index_fill(1, m.tensor([0], dtype=m.int32), 1.0),
    lambda m: _x(m).index_fill(1, m.tensor([0.0]), 1.0),
    lambda m: _x(m).index_fill(1, m.tensor([[0, 1]]), 1.0),
    lambda m: _x(m).index_fill(1, m.tensor([0]), m.tensor([2.0])),
    lambda m: _x(m).index_add(1, m.tensor([0, 2]), _s(m, 3, 3)),
    lambda m: _x(m).index_add(1, m.tensor([0, 5]), _s(m, 3, 2)),
    lambda m: _x(m).index_add(1, m.tensor([0, -1]), _s(m, 3, 2)),
    lambda m: _x(m).index_add(1, m.tensor([0, 1]), _s(m, 3, 2, dtype=m.float32)),
    lambda m: _x(m).index_add(1, m.tensor([0.0, 1]), _s(m, 3, 2)),
    lambda m: _x(m).index_add(1, m.tensor([[0, 1]]), _s(m, 3, 2)),
    lambda m: _x(m).index_add(1, m.tensor([0, 1]), _s(m, 2, 2)),
    lambda m: _x(m).index_add(1, m.tensor([0]), _s(m, 3)),
    lambda m: _x(m).index_add(2, m.tensor([0]), _s(m, 3, 2)),
    lambda m: _x(m).index_copy(1, m.tensor([0, 2]), _s(m, 3, 3)),
    lambda m: _x(m).index_copy(1, m.tensor([0, 5]), _s(m, 3, 2)),
    lambda m: _x(m).index_copy(1, m.tensor([0, -1]), _s(m, 3, 2)),
    lambda m: _x(m).index_copy(1, m.tensor([0, 2], dtype=m.int32), _s(m, 3, 2)),
    lambda m: _x(m).index_copy(1, m.tensor([0, 1]), _s(m, 3, 2, dtype=m.float32)),
    lambda m: _x(m).index_copy(1, m.tensor([0, 1]), _s(m, 2, 2)),
    lambda m: _x(m).index_copy(1, m.tensor([0]), _s(m, 3)),
    lambda m: _x(m).index_copy(1, m.tensor([[0, 1]]), _s(m, 3, 2)),
    lambda m: _x(m)[0, 0].take_along_dim(m.tensor(0), 0),
    lambda m: m.unique(m.tensor([1, 2]), dim=1),
    lambda m: m.unique(m.tensor(3), dim=0),
    lambda m: m.searchsorted(m.tensor([[1, 3, 5], [2, 4, 6]]), m.tensor([[0, 3]])),
    lambda m: m.searchsorted(m.tensor([[1, 3, 5]]), 3),
    lambda m: m.searchsorted(m.tensor([1, 3]), m.tensor([1]), side="foo"),
    lambda m: m.searchsorted(m.tensor([1, 3]), m.tensor([1]), side="left", right=True),
    lambda m: m.searchsorted(m.tensor([1, 3]), m.tensor([1]), sorter=m.tensor([0])),
    lambda m: m.bucketize(m.tensor([0, 3, 6]), m.tensor([[1, 3, 5]])),
]


@pytest.mark.torch
@pytest.mark.parametrize("fn", ERRORS)
def test_errors_match_torch(fn, torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(Exception) as theirs:
            fn(torch)
        with pytest.raises(type(theirs.value)) as ours:
            fn(autodiff)
    assert str(ours.value) == str(theirs.value)
