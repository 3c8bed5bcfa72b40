"""Joining, splitting and rearranging (ops/joining.py, ops/rearranging.py): a table of every
differentiable op, gradchecked to second order in float64 and compared with torch (values,
gradients, grad_fn names); views that share storage; dtype promotion; torch's error messages."""
import warnings

import numpy as np
import pytest

import autodiff
from autodiff.ops import joining, rearranging
from _helpers import OpSpec, assert_close, run_gradcheck, run_torch_parity, spec_params

M, V = (2, 3), (3,)


def _c(m, x, data):
    """A constant (index) tensor on ``x``'s device, for autodiff or torch alike."""
    return m.tensor(data, device=x.device)


JOIN = [
    OpSpec("cat_dim0", lambda m, a, b: m.cat([a, b]), (M, "real"), ((4, 3), "real")),
    OpSpec("cat_dim_neg", lambda m, a, b: m.cat((a, b, a), -1), (M, "real"), ((2, 1), "real")),
    OpSpec("cat_axis_kw", lambda m, a, b: m.cat([a, b], axis=1), (M, "real"), (M, "real")),
    OpSpec("concat", lambda m, a, b: m.concat([a, b]), (V, "real"), ((2,), "real")),
    OpSpec("concatenate", lambda m, a, b: m.concatenate([a, b], 0), (V, "real"), (V, "real")),
    OpSpec("cat_same_tensor", lambda m, a: m.cat([a, a * 2]), (M, "real")),
    OpSpec("stack", lambda m, a, b: m.stack([a, b]), (M, "real"), (M, "real")),
    OpSpec("stack_last", lambda m, a, b: m.stack([a, b], -1), (M, "real"), (M, "real")),
    OpSpec("stack_mid", lambda m, a, b: m.stack((a, b, a), 1), (M, "real"), (M, "real")),
    OpSpec("hstack_1d", lambda m, a, b: m.hstack([a, b]), (V, "real"), ((2,), "real")),
    OpSpec("hstack_2d", lambda m, a, b: m.hstack([a, b]), (M, "real"), ((2, 1), "real")),
    OpSpec("vstack", lambda m, a, b: m.vstack([a, b]), (V, "real"), (M, "real")),
    OpSpec("row_stack", lambda m, a, b: m.row_stack([a, b]), (V, "real"), (V, "real")),
    OpSpec("dstack", lambda m, a, b: m.dstack([a, b]), (M, "real"), (M, "real")),
    OpSpec("column_stack", lambda m, a, b: m.column_stack([a, b]), ((2,), "real"), (M, "real")),
    OpSpec("split_int", lambda m, x: x.split(2, 1)[0], (M, "real")),
    OpSpec("split_int_last", lambda m, x: m.split(x, 2, 1)[1], (M, "real")),
    OpSpec("split_sizes", lambda m, x: x.split([1, 2], 1)[1], (M, "real")),
    OpSpec("split_all_pieces", lambda m, x: m.cat([p * (i + 1) for i, p in
                                                    enumerate(x.split([1, 0, 2], 1))], 1),
           (M, "real")),
    OpSpec("chunk", lambda m, x: x.chunk(2, -1)[0], (M, "real")),
    OpSpec("chunk_fn", lambda m, x: m.chunk(x, 3)[1], ((5, 2), "real")),
    OpSpec("unbind", lambda m, x: x.unbind(1)[2], (M, "real")),
    OpSpec("unbind_all", lambda m, x: m.stack([p * (i + 1) for i, p in enumerate(m.unbind(x))]),
           (M, "real")),
    OpSpec("tensor_split_sections", lambda m, x: x.tensor_split(2, 1)[0], (M, "real")),
    OpSpec("tensor_split_indices", lambda m, x: m.tensor_split(x, [1, 2], 1)[1], (M, "real")),
    OpSpec("tensor_split_tensor", lambda m, x: x.tensor_split(_c(m, x, [1, 3]))[1],
           ((4, 2), "real")),
    OpSpec("hsplit", lambda m, x: x.hsplit(3)[2], (M, "real")),
    OpSpec("vsplit", lambda m, x: m.vsplit(x, [1])[1], (M, "real")),
    OpSpec("dsplit", lambda m, x: x.dsplit([1])[0], ((2, 2, 3), "real")),
    OpSpec("narrow", lambda m, x: x.narrow(1, 1, 2), (M, "real")),
    OpSpec("narrow_neg_start", lambda m, x: m.narrow(x, -1, -2, 2), (M, "real")),
    OpSpec("broadcast_tensors", lambda m, a, b: m.broadcast_tensors(a, b)[1], (M, "real"),
           (V, "real")),
    OpSpec("meshgrid_ij", lambda m, a, b: m.meshgrid(a, b, indexing="ij")[0] *
           m.meshgrid(a, b, indexing="ij")[1], ((2,), "real"), (V, "real"), name=False),
    OpSpec("meshgrid_xy", lambda m, a, b: m.meshgrid([a, b], indexing="xy")[1], ((2,), "real"),
           (V, "real")),
    OpSpec("cartesian_prod", lambda m, a, b: m.cartesian_prod(a, b), ((2,), "real"),
           (V, "real")),
    OpSpec("atleast_1d", lambda m, x: m.atleast_1d(x), ((), "real")),
    OpSpec("atleast_2d", lambda m, x: m.atleast_2d(x), (V, "real")),
    OpSpec("atleast_3d", lambda m, x: m.atleast_3d(x), (M, "real")),
    OpSpec("atleast_3d_1d", lambda m, x: m.atleast_3d([x])[0], (V, "real")),
]

REARRANGE = [
    OpSpec("repeat", lambda m, x: x.repeat(2, 1, 3), (M, "real")),
    OpSpec("repeat_same_rank", lambda m, x: x.repeat(3, 2), (M, "real")),
    OpSpec("tile", lambda m, x: m.tile(x, (2,)), (M, "real")),
    OpSpec("tile_more", lambda m, x: x.tile((2, 1, 2)), (V, "real")),
    OpSpec("repeat_interleave_int", lambda m, x: x.repeat_interleave(2, dim=1), (M, "real")),
    OpSpec("repeat_interleave_flat", lambda m, x: m.repeat_interleave(x, 3), (M, "real")),
    OpSpec("repeat_interleave_tensor", lambda m, x: x.repeat_interleave(_c(m, x, [1, 0, 2]),
                                                                        dim=1), (M, "real")),
    OpSpec("flip", lambda m, x: x.flip(0), (M, "real")),
    OpSpec("flip_dims", lambda m, x: m.flip(x, (0, -1)), ((2, 3, 2), "real")),
    OpSpec("fliplr", lambda m, x: x.fliplr(), (M, "real")),
    OpSpec("flipud", lambda m, x: m.flipud(x), (V, "real")),
    OpSpec("roll_flat", lambda m, x: x.roll(2), (M, "real")),
    OpSpec("roll_dim", lambda m, x: m.roll(x, -1, 1), (M, "real")),
    OpSpec("roll_dims", lambda m, x: x.roll((1, 2), (0, 1)), (M, "real")),
    OpSpec("diff", lambda m, x: m.diff(x, n=2, dim=0), ((4, 3), "real")),
    OpSpec("diff_prepend", lambda m, a, b: a.diff(prepend=b), (M, "real"), ((M[0], 1), "real")),
    OpSpec("rot90", lambda m, x: x.rot90(), (M, "real")),
    OpSpec("rot90_k2", lambda m, x: m.rot90(x, 2), (M, "real")),
    OpSpec("rot90_neg_dims", lambda m, x: x.rot90(-1, [2, 0]), ((2, 3, 2), "real")),
    OpSpec("tril", lambda m, x: x.tril(), ((3, 4), "real")),
    OpSpec("tril_k", lambda m, x: m.tril(x, -1), ((2, 3, 3), "real")),
    OpSpec("triu", lambda m, x: x.triu(1), ((4, 3), "real")),
    OpSpec("diag_vector", lambda m, x: m.diag(x), (V, "real")),
    OpSpec("diag_vector_k", lambda m, x: x.diag(-2), (V, "real")),
    OpSpec("diag_matrix", lambda m, x: x.diag(), ((3, 4), "real")),
    OpSpec("diag_matrix_k", lambda m, x: m.diag(x, 1), ((3, 4), "real")),
    OpSpec("diagonal", lambda m, x: x.diagonal(), ((3, 4), "real")),
    OpSpec("diagonal_offset_dims", lambda m, x: m.diagonal(x, -1, 2, 0), ((3, 2, 4), "real")),
    OpSpec("diag_embed", lambda m, x: x.diag_embed(), (M, "real")),
    OpSpec("diag_embed_dims", lambda m, x: m.diag_embed(x, 1, 0, 2), (M, "real")),
    OpSpec("diagonal_scatter", lambda m, a, s: m.diagonal_scatter(a, s, 1), ((3, 4), "real"),
           (V, "real")),
    OpSpec("unfold", lambda m, x: x.unfold(1, 2, 1), ((2, 4), "real")),
    OpSpec("unfold_step", lambda m, x: x.unfold(0, 2, 3), ((7, 2), "real")),
]

ALL = JOIN + REARRANGE


@pytest.mark.parametrize("spec", spec_params(ALL))
def test_gradcheck(spec):
    run_gradcheck(spec)


@pytest.mark.torch
@pytest.mark.parametrize("spec", spec_params(ALL))
def test_torch_parity(spec, torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        run_torch_parity(torch, spec)


@pytest.mark.parametrize("spec", spec_params([s for s in ALL if s.id in (
    "cat_dim0", "stack", "split_all_pieces", "repeat", "roll_dims", "diagonal", "unfold",
    "repeat_interleave_tensor", "tensor_split_tensor")]))
def test_gradcheck_on_device(spec, device):
    run_gradcheck(spec, device)


NOT_IN_TABLE = {"broadcast_shapes"}


def test_table_covers_every_op():
    names = set(joining.__all__) | set(rearranging.__methods__)
    used = {n for s in ALL for n in s.fn.__code__.co_names}
    missing = names - used - NOT_IN_TABLE
    assert not missing, f"ops without a gradcheck row: {sorted(missing)}"


# ---- forward behaviour --------------------------------------------------------------------------
@pytest.mark.torch
@pytest.mark.parametrize("fn", [
    lambda m: m.cat([m.tensor([1, 2]), m.tensor([1.5])]),
    lambda m: m.cat([m.tensor([True]), m.tensor([2], dtype=m.int8)]),
    lambda m: m.cat([m.tensor([[1, 2]]), m.tensor([], dtype=m.float64)]),
    lambda m: m.cat([m.tensor([[1, 2]]), m.zeros(0, 2, dtype=m.int16)]),
    lambda m: m.cat([m.tensor([]), m.tensor([])]),
    lambda m: m.stack([m.tensor([1, 2]), m.tensor([1.5, 2])]),
    lambda m: m.hstack([m.tensor(1.), m.tensor(2.)]),
    lambda m: m.column_stack([m.tensor(1.), m.tensor(2.)]),
    lambda m: m.dstack([m.tensor([1., 2]), m.tensor([3., 4])]),
    lambda m: m.vstack([m.tensor(1), m.tensor(2)]),
    lambda m: m.repeat_interleave(m.tensor([1, 0, 3])),
    lambda m: m.tensor([[1, 2], [3, 4]]).repeat_interleave(m.tensor([2]), dim=0),
    lambda m: m.arange(6).reshape(2, 3).repeat(0, 2),
    lambda m: m.roll(m.arange(5), 7),
    lambda m: m.tensor([1, 2, 3]).diag(1),
    lambda m: m.arange(6).reshape(2, 3).diag(5),
    lambda m: m.arange(24).reshape(2, 3, 4).diagonal(1, -1, 0),
    lambda m: m.arange(5).unfold(0, 2, 2),
    lambda m: m.tensor(3.).unfold(0, 1, 1),
    lambda m: m.tensor(3.).flip(0),
    lambda m: m.stack([m.tensor(3.), m.tensor(4.)]),
    lambda m: m.cartesian_prod(m.tensor([1, 2])),
    lambda m: m.broadcast_shapes((2, 1), (3,), 1),
    lambda m: m.meshgrid(m.tensor(1), m.tensor([3, 4]), indexing="ij")[0],
    lambda m: m.tril(m.ones(2, 3, dtype=m.int32), 5),
])
def test_forward_matches_torch(fn, torch):
    ours, theirs = fn(autodiff), fn(torch)
    if isinstance(theirs, torch.Size):
        assert tuple(ours) == tuple(theirs)
        return
    assert_close(ours, theirs)


@pytest.mark.torch
@pytest.mark.parametrize("op, ids", [("split", (3, 1)), ("split", ([2, 2],)), ("chunk", (3,)),
                                     ("chunk", (5,)), ("tensor_split", (3,)),
                                     ("tensor_split", ([1, 5, 2],)), ("unbind", ())])
def test_pieces_match_torch(op, ids, torch):
    x = np.arange(4.0 * 2).reshape(4, 2)
    ours = getattr(autodiff.tensor(x), op)(*ids)
    theirs = getattr(torch.tensor(x), op)(*ids)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_close(a, b)


@pytest.mark.torch
@pytest.mark.parametrize("fn", [
    lambda m, x: m.stack([x, x], axis=1), lambda m, x: x.chunk(2, axis=1)[0],
    lambda m, x: x.unbind(axis=1)[1], lambda m, x: x.tensor_split(2, axis=1)[1],
    lambda m, x: x.narrow(axis=1, start=1, length=2), lambda m, x: m.cat([x, x], axis=1),
    lambda m, x: x.repeat_interleave(2, axis=1),
])
def test_axis_is_an_alias_of_dim(fn, torch):
    x = np.arange(6.0).reshape(2, 3)
    assert_close(fn(autodiff, autodiff.tensor(x)), fn(torch, torch.tensor(x)))


def test_split_names_and_views():
    x = autodiff.arange(6.0).reshape(2, 3).requires_grad_()
    assert [p.grad_fn.name() for p in x.split(2, 1)] == ["SplitBackward0"] * 2
    assert x.split([2, 1], 1)[0].grad_fn.name() == "SplitWithSizesBackward0"
    assert x.unbind()[0].grad_fn.name() == "UnbindBackward0"
    assert x.chunk(2, 1)[1].grad_fn.name() == "SplitBackward0"


@pytest.mark.parametrize("make_view", [
    lambda x: x.split(2, 1)[1], lambda x: x.split([1, 2], 1)[0], lambda x: x.chunk(2)[1],
    lambda x: x.unbind(1)[2], lambda x: x.narrow(1, 1, 2), lambda x: x.diagonal(),
    lambda x: x.tensor_split(3, 1)[1], lambda x: x.unfold(1, 2, 1), lambda x: x.hsplit([1])[1],
    lambda x: autodiff.atleast_3d(x), lambda x: autodiff.meshgrid(x[0], x[1], indexing="ij")[0],
    lambda x: autodiff.broadcast_tensors(x, autodiff.zeros(2, 2, 3))[0],
])
def test_views_share_storage(make_view):
    x = autodiff.arange(6.0).reshape(2, 3)
    v = make_view(x)
    assert v._base is x or v._base is x._base
    if v._data.flags.writeable:            # expanded views are read-only, as in torch
        v.fill_(100.0)
        assert (x == 100).sum().item() >= 1


def test_writes_through_views_reach_the_base():
    x = autodiff.zeros(3, 3)
    x.diagonal().fill_(1)
    x.narrow(0, 2, 1).add_(5)
    top, _ = x.split([1, 2])
    top[0, 2] = 7
    a, b, c = x.unbind(1)
    b.mul_(2)
    expected = np.array([[1, 0, 7], [0, 2, 0], [5, 10, 6]], dtype=np.float32)
    np.testing.assert_array_equal(x.numpy(), expected)
    windows = x.unfold(1, 2, 1)
    windows[0, 0, 1] = -3
    assert x[0, 1].item() == -3


@pytest.mark.torch
def test_inplace_through_diagonal_and_narrow_gradients(torch):
    def f(m, x):
        y = x * 1
        y.diagonal().mul_(3)
        y.narrow(1, 0, 1).add_(x[:, 2:3] ** 2)
        return y
    xs = np.random.default_rng(0).standard_normal((3, 3))
    x, tx = autodiff.tensor(xs, requires_grad=True), torch.tensor(xs, requires_grad=True)
    out, tout = f(autodiff, x), f(torch, tx)
    assert_close(out, tout)
    out.sum().backward()
    tout.sum().backward()
    assert_close(x.grad, tx.grad)


@pytest.mark.parametrize("op, name", [(lambda y: y.split(2, 1), "Split"),
                                      (lambda y: y.split([1, 2], 1), "SplitWithSizes"),
                                      (lambda y: y.chunk(3, 1), "Split"),
                                      (lambda y: y.unbind(1), "Unbind")])
def test_multi_output_views_refuse_inplace_under_autograd(op, name):
    x = autodiff.randn(2, 3, requires_grad=True)
    piece = op(x * 1)[1]
    with pytest.raises(RuntimeError, match=f"Output 1 of {name} is a view and is being modified "
                                           "inplace. This view is the output of a function that "
                                           "returns multiple views."):
        piece.mul_(2)
    with autodiff.no_grad():
        op(x * 1)[1].mul_(2)                  # without autograd the write is fine


def test_inplace_tril_triu():
    x = autodiff.arange(9.0).reshape(3, 3)
    assert x.tril_(-1) is x
    np.testing.assert_array_equal(x.numpy(), np.tril(np.arange(9.0).reshape(3, 3), -1))
    y = autodiff.randn(3, 3, requires_grad=True)
    z = y * 2
    z.triu_(1)
    z.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), np.triu(np.full((3, 3), 2.0), 1))


def test_results_are_copies_where_torch_copies():
    x = autodiff.arange(6.0).reshape(2, 3)
    for y in (x.flip(0), x.roll(1), x.rot90(), x.repeat(1, 1), x.diag(), x.tril(),
              autodiff.cat([x]), autodiff.stack([x]), x.repeat_interleave(1, dim=0)):
        assert y._base is None or y._base is not x
        y.fill_(-1)
    assert (x >= 0).all().item()


def test_same_object_returned_like_torch():
    x = autodiff.randn(2, 3)
    assert autodiff.atleast_1d(x) is x
    assert autodiff.broadcast_tensors(x, x)[0] is x
    row = x[0]
    assert autodiff.cartesian_prod(row) is row


def test_out_argument():
    out = autodiff.empty(0)
    r = autodiff.cat([autodiff.ones(2), autodiff.zeros(1)], out=out)
    assert r is out and out.tolist() == [1.0, 1.0, 0.0]
    autodiff.stack([autodiff.ones(2)], out=out)
    assert out.shape == (1, 2)


def test_meshgrid_warns_without_indexing():
    with pytest.warns(UserWarning, match="indexing argument"):
        a, b = autodiff.meshgrid(autodiff.tensor([1, 2]), autodiff.tensor([3, 4, 5]))
    assert a.shape == (2, 3) and b[1].tolist() == [3, 4, 5]


def test_double_backward_of_cat_flows_through_grad_output():
    x = autodiff.randn(2, 2, dtype=autodiff.float64, requires_grad=True)
    v = autodiff.randn(4, 2, dtype=autodiff.float64, requires_grad=True)
    g, = autodiff.autograd.grad(autodiff.cat([x, x * x]), x, v, create_graph=True)
    gv, = autodiff.autograd.grad(g.sum(), v)
    np.testing.assert_allclose(gv.numpy(), np.concatenate([np.ones((2, 2)),
                                                           2 * x.detach().numpy()]))


# ---- errors: torch's exception type and message --------------------------------------------------
ERRORS = [
    lambda m: m.tensor(1.).split(1),
    lambda m: m.tensor(1.).chunk(1),
    lambda m: m.tensor(1.).tensor_split(1),
    lambda m: m.tensor(1.).unbind(),
    lambda m: m.tensor(1.).roll(1, 0),
    lambda m: m.tensor(1.).repeat_interleave(2, dim=0),
    lambda m: m.cat([]),
    lambda m: m.cat([m.ones(2, 3), m.ones(3, 3)], 1),
    lambda m: m.cat([m.ones(2, 3), m.ones(3)], 1),
    lambda m: m.cat([m.tensor(1.), m.tensor(2.)]),
    lambda m: m.cat([m.ones(2, 3)], 2),
    lambda m: m.cat([m.ones(2), [1, 2]]),
    lambda m: m.cat(m.ones(2)),
    lambda m: m.stack([]),
    lambda m: m.stack([m.ones(2, 3), m.ones(3, 2)]),
    lambda m: m.stack([m.ones(2, 3)], 3),
    lambda m: m.ones(2, 3).split([1, 1], 1),
    lambda m: m.ones(2, 3).split([4, -1], 1),
    lambda m: m.ones(2, 3).split(0, 1),
    lambda m: m.ones(2, 3).split(-1, 1),
    lambda m: m.ones(2, 3).chunk(0),
    lambda m: m.ones(2, 3).tensor_split(0, 1),
    lambda m: m.ones(2, 3).tensor_split(m.tensor([[1]]), 1),
    lambda m: m.ones(2, 3).hsplit(2),
    lambda m: m.ones(2, 3).dsplit(1),
    lambda m: m.ones(2, 3).repeat(2),
    lambda m: m.ones(2, 3).repeat(-1, 1),
    lambda m: m.ones(2, 3).repeat_interleave(-1),
    lambda m: m.ones(2, 3).repeat_interleave(m.tensor([1, 2, 3]), dim=0),
    lambda m: m.ones(2, 3).repeat_interleave(m.tensor([1, -2]), dim=0),
    lambda m: m.repeat_interleave(m.tensor([[1, 2]])),
    lambda m: m.ones(2, 3).flip(0, 0),
    lambda m: m.ones(2, 3).flip((0, -2)),
    lambda m: m.ones(3).fliplr(),
    lambda m: m.tensor(1.).flipud(),
    lambda m: m.ones(2, 3).roll((1, 2), 0),
    lambda m: m.ones(2, 3).roll((1, 2)),
    lambda m: m.ones(2, 3).rot90(1, [0, 1, 2]),
    lambda m: m.ones(3).rot90(),
    lambda m: m.ones(2, 3).rot90(1, [0, 0]),
    lambda m: m.ones(2, 3).rot90(1, [0, 3]),
    lambda m: m.ones(3).tril(),
    lambda m: m.ones(3).triu(),
    lambda m: m.ones(2, 2, 2).diag(),
    lambda m: m.ones(2, 3).diagonal(0, 0, 0),
    lambda m: m.ones(3).diagonal(),
    lambda m: m.ones(2, 3).diag_embed(0, 0, 0),
    lambda m: m.diagonal_scatter(m.ones(3, 3), m.ones(2)),
    lambda m: m.ones(2, 3).narrow(1, 2, 2),
    lambda m: m.ones(2, 3).narrow(1, 4, 0),
    lambda m: m.ones(2, 3).narrow(1, 0, -1),
    lambda m: m.tensor(1.).narrow(0, 0, 1),
    lambda m: m.broadcast_tensors(m.ones(2, 3), m.ones(2)),
    lambda m: m.broadcast_shapes((2, 3), (4,), (3,)),
    lambda m: m.broadcast_shapes((2, 3), 3, (2, 1, 4)),
    lambda m: m.meshgrid(m.ones(2), m.ones(3), indexing="foo"),
    lambda m: m.meshgrid(m.ones(2), m.ones(3, dtype=m.int64), indexing="ij"),
    lambda m: m.ones(2, 3).unfold(1, 4, 1),
    lambda m: m.ones(2, 3).unfold(1, 2, 0),
    lambda m: m.cartesian_prod(m.ones(1, 2)),
]


@pytest.mark.torch
@pytest.mark.parametrize("fn", ERRORS)
def test_errors_match_torch(fn, torch):
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value)) as ours:
        fn(autodiff)
    assert str(ours.value) == str(theirs.value).replace("torch.cat", "autodiff.cat")


def test_meshgrid_rejects_matrices():
    with pytest.raises(RuntimeError, match="Expected 0D or 1D tensor in the tensor list"):
        autodiff.meshgrid(autodiff.ones(2, 2), autodiff.ones(2), indexing="ij")
