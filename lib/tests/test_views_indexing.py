"""Views (ops/shape.py), indexing and assignment (ops/indexing.py): gradients, torch parity,
and the storage sharing that makes them views."""
import numpy as np
import pytest

import autodiff
from autodiff.ops import indexing, shape
from _helpers import (OpSpec, assert_close, grad_fn_name, run_gradcheck, run_torch_parity,
                      spec_params)

M, C = (3, 4), (2, 3, 4)


def _setitem(index, value_is_tensor=True):
    """``y = x * 1; y[index] = v; return y``: assignment into a non-leaf, differentiable."""
    def fn(m, x, v=None):
        y = x * 1
        y[index(m) if callable(index) else index] = v if value_is_tensor else 2.5
        return y
    return fn


def _write_through_view(m, x, v):
    """A write into a view of a non-leaf rewrites the base's history (CopySlices)."""
    y = x * 2
    row = y[1]
    row[1:3] = v
    return y * y


def _inplace_on_view_then_use_view(m, x, v):
    y = x.sin()                  # sin saves its input, which stays untouched
    col = y[:, 2]
    col.mul_(v)
    return col + y.sum()


SHAPE = [
    OpSpec("view", lambda m, x: x.view(12), (M, "real")),
    OpSpec("view_infer", lambda m, x: x.view(-1, 6), (M, "real")),
    OpSpec("view_as", lambda m, x: x.view_as(m.ones(4, 3)), (M, "real")),
    OpSpec("reshape_view", lambda m, x: x.reshape(2, 6), (M, "real")),
    OpSpec("reshape_copy", lambda m, x: x.t().reshape(12), (M, "real")),
    OpSpec("reshape_as", lambda m, x: m.reshape(x, (6, 2)).reshape_as(m.ones(4, 3)),
           (M, "real")),
    OpSpec("expand", lambda m, x: x.expand(3, 4), ((1, 4), "real")),
    OpSpec("expand_new_dims", lambda m, x: x.expand(2, -1, 4), ((3, 1), "real")),
    OpSpec("expand_as", lambda m, x: x.expand_as(m.ones(3, 4)), ((3, 1), "real")),
    OpSpec("broadcast_to", lambda m, x: m.broadcast_to(x, (2, 3, 4)), ((4,), "real")),
    OpSpec("transpose", lambda m, x: x.transpose(0, 1), (M, "real")),
    OpSpec("transpose_neg", lambda m, x: m.transpose(x, -1, 0), (C, "real")),
    OpSpec("swapaxes", lambda m, x: x.swapaxes(0, 2), (C, "real")),
    OpSpec("swapdims", lambda m, x: m.swapdims(x, 1, 2), (C, "real")),
    OpSpec("t", lambda m, x: x.t(), (M, "real")),
    OpSpec("t_1d", lambda m, x: m.t(x), ((4,), "real")),
    OpSpec("T", lambda m, x: x.T, (M, "real")),
    OpSpec("mT", lambda m, x: x.mT, (C, "real")),
    OpSpec("adjoint", lambda m, x: x.adjoint(), (C, "real")),
    OpSpec("permute", lambda m, x: x.permute(2, 0, 1), (C, "real")),
    OpSpec("permute_tuple", lambda m, x: m.permute(x, (1, -1, 0)), (C, "real")),
    OpSpec("movedim", lambda m, x: m.movedim(x, 0, 2), (C, "real")),
    OpSpec("moveaxis", lambda m, x: x.moveaxis((0, 1), (2, 0)), (C, "real")),
    OpSpec("squeeze", lambda m, x: x.squeeze(), ((3, 1, 4, 1), "real")),
    OpSpec("squeeze_dim", lambda m, x: x.squeeze(1), ((3, 1, 4), "real")),
    OpSpec("squeeze_dims", lambda m, x: m.squeeze(x, (1, 3)), ((3, 1, 4, 1), "real")),
    OpSpec("squeeze_noop", lambda m, x: x.squeeze(0) * 1, (M, "real")),
    OpSpec("unsqueeze", lambda m, x: x.unsqueeze(0), (M, "real")),
    OpSpec("unsqueeze_end", lambda m, x: m.unsqueeze(x, -1), (M, "real")),
    OpSpec("flatten", lambda m, x: x.flatten(), (C, "real")),
    OpSpec("flatten_from_1", lambda m, x: m.flatten(x, 1), (C, "real")),
    OpSpec("flatten_copy", lambda m, x: x.transpose(0, 2).flatten(), (C, "real")),
    OpSpec("ravel", lambda m, x: x.ravel(), (M, "real")),
    OpSpec("unflatten", lambda m, x: x.unflatten(1, (2, 2)), (M, "real")),
    OpSpec("sum_to_size", lambda m, x: x.sum_to_size(1, 4), (M, "real")),
    OpSpec("chained_views", lambda m, x: x.t().unsqueeze(0).expand(2, 4, 3).permute(2, 1, 0),
           (M, "real")),
]


def _mask(m):
    return m.tensor([[True, False, True, False], [False, False, True, True],
                     [True, True, False, False]])


INDEXING = [
    OpSpec("int", lambda m, x: x[1], (M, "real")),
    OpSpec("negative_int", lambda m, x: x[-1, -2], (M, "real")),
    OpSpec("slice", lambda m, x: x[1:], (M, "real")),
    OpSpec("slice_step", lambda m, x: x[::2, 1::2], (M, "real")),
    OpSpec("column", lambda m, x: x[:, 1], (M, "real")),
    OpSpec("ellipsis", lambda m, x: x[..., 2], (C, "real")),
    OpSpec("none", lambda m, x: x[None], (M, "real")),
    OpSpec("none_middle", lambda m, x: x[:, None, 1:3], (M, "real")),
    OpSpec("full_slice", lambda m, x: x[:] * 1, (M, "real")),
    OpSpec("int_list", lambda m, x: x[[0, 2]], (M, "real")),
    OpSpec("repeated_list", lambda m, x: x[[0, 0, 2]], (M, "real")),
    OpSpec("int_tensor", lambda m, x: x[m.tensor([2, 0])], (M, "real")),
    OpSpec("int_tensor_2d", lambda m, x: x[m.tensor([[0, 1], [2, 2]])], (M, "real")),
    OpSpec("zero_dim_tensor", lambda m, x: x[m.tensor(1)], (M, "real")),
    OpSpec("two_lists", lambda m, x: x[[0, 1, 2], [3, 1, 3]], (M, "real")),
    OpSpec("list_and_slice", lambda m, x: x[1:, [0, 3]], (M, "real")),
    OpSpec("bool_mask", lambda m, x: x[_mask(m)], (M, "real")),
    OpSpec("row_mask", lambda m, x: x[m.tensor([True, False, True])], (M, "real")),
    OpSpec("data_dependent_mask", lambda m, x: x[x > 0], (M, "nonzero")),
    OpSpec("chained", lambda m, x: x[1][2:][0], (M, "real")),
    OpSpec("chained_advanced", lambda m, x: x[[2, 0]][:, 1:][[1]], (M, "real")),
    OpSpec("where", lambda m, a, b: m.where(a > 0, a, b), (M, "nonzero"), ((4,), "real")),
    OpSpec("where_scalar", lambda m, a: m.where(a > 0, a, 0.0), (M, "nonzero")),
    OpSpec("select", lambda m, a: m.select(a, 1, -1) * 2, (M, "real")),
    OpSpec("select_method_is_nonzero", lambda m, a: a.select(0, 1) * m.is_nonzero(a[0, 0] > -9),
           (M, "real")),
    OpSpec("where_method", lambda m, a, b: a.where(a > 0, b), (M, "nonzero"), (M, "real")),
    OpSpec("index_put", lambda m, x, v: x.index_put((m.tensor([0, 2]),), v), (M, "real"),
           ((4,), "real")),
    OpSpec("index_put_accumulate", lambda m, x, v: m.index_put(
        x, (m.tensor([0, 2, 0]), m.tensor([1, 1, 1])), v, accumulate=True), (M, "real"),
        ((3,), "real")),
    # torch's node is named 'torch::autograd::CopySlices' (ours 'CopySlices')
    OpSpec("setitem_int", _setitem(1), (M, "real"), ((4,), "real"), name=False),
    OpSpec("setitem_slice", _setitem((slice(None), slice(1, 3))), (M, "real"), ((3, 2), "real"),
           name=False),
    OpSpec("setitem_broadcast", _setitem((Ellipsis, 0)), (M, "real"), ((), "real"),
           name=False),
    OpSpec("setitem_scalar", _setitem(0, value_is_tensor=False), (M, "real"), name=False),
    OpSpec("setitem_list", _setitem([0, 2]), (M, "real"), ((2, 4), "real")),
    OpSpec("setitem_tensor", _setitem(lambda m: m.tensor([2, 1])), (M, "real"), ((4,), "real")),
    OpSpec("setitem_mask", _setitem(_mask), (M, "real"), ((6,), "real")),
    OpSpec("setitem_view_of_nonleaf", _write_through_view, (M, "real"), ((2,), "real")),
    OpSpec("inplace_on_view", _inplace_on_view_then_use_view, (M, "real"), ((3,), "real")),
]

ALL = SHAPE + INDEXING


@pytest.mark.parametrize("spec", spec_params(ALL))
def test_gradcheck(spec):
    run_gradcheck(spec)


@pytest.mark.torch
@pytest.mark.parametrize("spec", spec_params(ALL))
def test_torch_parity(spec, torch):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)     # torch deprecates x.T on 3-D
        run_torch_parity(torch, spec)


def test_table_covers_every_op():
    names = (set(shape.__all__) | set(indexing.__all__)) - {"getitem", "setitem", "index_put_"}
    used = set().union(*(s.fn.__code__.co_names for s in ALL))
    assert not names - used, f"ops without a gradcheck row: {sorted(names - used)}"


# ---- views share storage ------------------------------------------------------------------------
VIEWS = {
    "view": lambda x: x.view(12), "reshape": lambda x: x.reshape(2, 6),
    "transpose": lambda x: x.transpose(0, 1), "t": lambda x: x.t(), "T": lambda x: x.T,
    "permute": lambda x: x.permute(1, 0), "expand": lambda x: x[:1].expand(5, 4),
    "squeeze": lambda x: x[None].squeeze(0), "unsqueeze": lambda x: x.unsqueeze(1),
    "flatten": lambda x: x.flatten(), "unflatten": lambda x: x.unflatten(1, (2, 2)),
    "int": lambda x: x[1], "slice": lambda x: x[:, 1:3], "step": lambda x: x[::2, ::3],
    "ellipsis_none": lambda x: x[..., None], "detach": lambda x: x.detach(),
    "movedim": lambda x: x.movedim(0, 1), "view_as": lambda x: x.view_as(autodiff.ones(4, 3)),
    "diagonal_chain": lambda x: x.t()[1:][:, ::2],
}


@pytest.mark.parametrize("name", list(VIEWS))
def test_views_share_storage(name):
    base = autodiff.arange(12.0).view(3, 4)
    v = VIEWS[name](base)
    assert v._base is base or v._base is base._base
    v_np = v.numpy()
    assert np.shares_memory(v_np, base.numpy())
    before = base.numpy().copy()
    if name != "expand":        # an expanded tensor repeats memory: no writing through it
        v.fill_(-1.0)
        assert (base.numpy() == -1).sum() == v.numel()
        assert (base.numpy() != before).sum() == v.numel()


def test_write_through_a_view_and_back():
    base = autodiff.zeros(3, 4)
    row = base[1]
    row[2] = 5.0
    assert base[1, 2].item() == 5.0
    base[1, 3] = 7.0
    assert row[3].item() == 7.0
    base.numpy()[0, 0] = 9.0            # numpy() is the same memory
    assert base[0, 0].item() == 9.0


def test_advanced_indexing_copies():
    base = autodiff.zeros(3, 4)
    c = base[[0, 1]]
    c[0, 0] = 1.0
    assert base[0, 0].item() == 0.0
    m = base[base == 0]
    m[0] = 1.0
    assert base.sum().item() == 0.0


def test_reshape_copies_only_when_needed():
    x = autodiff.arange(6.0).view(2, 3)
    assert np.shares_memory(x.reshape(3, 2).numpy(), x.numpy())
    y = x.t().reshape(6)
    assert not np.shares_memory(y.numpy(), x.numpy())
    assert y.tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]


def test_view_of_a_transposed_tensor_raises():
    x = autodiff.arange(6.0).view(2, 3).t()
    with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's "
                                           "size and stride"):
        x.view(6)
    assert x.contiguous().view(6).tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]


@pytest.mark.parametrize("make", [
    lambda m: m.zeros(2, 3, 4), lambda m: m.zeros(2, 3, 4).transpose(0, 2),
    lambda m: m.zeros(2, 3, 4)[:, ::2], lambda m: m.zeros(2, 3, 4).permute(1, 2, 0),
    lambda m: m.zeros(3, 1).expand(3, 5), lambda m: m.zeros(4, 5)[1:, 2],
    lambda m: m.zeros(2, 3, 4)[None, ..., 1], lambda m: m.zeros(4, 6)[::2, 1::3],
    lambda m: m.zeros(3, 4).t().contiguous(), lambda m: m.zeros(5)[2], lambda m: m.zeros(()),
    lambda m: m.zeros(2, 3).unsqueeze(1),
])
def test_stride_and_contiguity_match_torch(make, torch):
    ours, theirs = make(autodiff), make(torch)
    assert ours.shape == tuple(theirs.shape)
    assert ours.stride() == theirs.stride()
    assert ours.is_contiguous() == theirs.is_contiguous()
    if ours.dim():
        assert ours.stride(0) == theirs.stride(0) and ours.stride(-1) == theirs.stride(-1)


def test_version_counter_is_shared_with_views():
    x = autodiff.zeros(3)
    v = x[1:]
    v.add_(1)
    assert x._vc is v._vc and x._vc[0] >= 1


# ---- indexing parity with torch -----------------------------------------------------------------
INDICES = [
    1, -1, slice(1, 3), slice(None, None, 2), (1, 2), (slice(None), 1), (Ellipsis, 1), None,
    (None, 1), (1, None), (slice(None), None, 0), (Ellipsis,), (), [0, 2], [[0, 1], [1, 2]],
    ([0, 1], [1, 2]), (slice(1, None), [0, 3]), ([2, 0], slice(1, None, 2)), "mask", "rowmask", "tensor", "tensor0d", (1, slice(2, None)),
    (slice(None), slice(None)), (slice(0, 3),), (slice(5, 10),), (slice(-2, None), -1),
]


def _index(m, idx):
    if idx == "mask":
        return _mask(m)
    if idx == "rowmask":
        return m.tensor([False, True, True])
    if idx == "tensor":
        return m.tensor([[2], [0]])
    if idx == "tensor0d":
        return m.tensor(2)
    return idx


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")
@pytest.mark.parametrize("idx", INDICES, ids=repr)
def test_getitem_parity(idx, torch):
    data = np.arange(12.0).reshape(3, 4)
    x = autodiff.tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    out, tout = x[_index(autodiff, idx)], tx[_index(torch, idx)]
    assert_close(out, tout)
    assert grad_fn_name(out) == grad_fn_name(tout)
    g = np.random.default_rng(0).standard_normal(tuple(tout.shape))
    out.backward(autodiff.tensor(g))
    tout.backward(torch.tensor(g))
    assert_close(x.grad, tx.grad)


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using a non-tuple sequence")
@pytest.mark.parametrize("idx", INDICES, ids=repr)
@pytest.mark.parametrize("value", ["scalar", "tensor"])
def test_setitem_parity(idx, value, torch):
    data = np.arange(12.0).reshape(3, 4)
    x, tx = autodiff.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    y, ty = x * 1, tx * 1
    shape = tuple(ty[_index(torch, idx)].shape)
    if value == "scalar":
        v, tv = -5.0, -5.0
    else:
        vals = np.random.default_rng(1).standard_normal(shape[1:] if shape else shape)
        v = autodiff.tensor(vals, requires_grad=True)
        tv = torch.tensor(vals, requires_grad=True)
    y[_index(autodiff, idx)] = v
    ty[_index(torch, idx)] = tv
    assert_close(y, ty)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    assert_close(x.grad, tx.grad)
    if value == "tensor":
        assert_close(v.grad, tv.grad)


def test_setitem_on_a_plain_tensor_is_in_place():
    x = autodiff.zeros(2, 3, dtype=autodiff.int64)
    data = x.numpy()
    x[0] = 5
    x[1, [0, 2]] = autodiff.tensor([7, 8])
    x[x == 0] = -1
    assert x.tolist() == [[5, 5, 5], [7, -1, 8]]
    assert np.shares_memory(x.numpy(), data)
    x[:, 0] = 2.9                        # cast into the tensor's dtype
    assert x[:, 0].tolist() == [2, 2]


def test_setitem_on_a_leaf_requiring_grad_raises():
    x = autodiff.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used "
                                           "in an in-place operation"):
        x[0] = 1.0
    with autodiff.no_grad():
        x[0] = 1.0                       # fine outside of autograd
    assert x.tolist() == [1.0, 0.0, 0.0]


def test_setitem_grad_fn_is_copyslices_or_indexput():
    x = autodiff.ones(3, requires_grad=True)
    y = x * 2
    y[0] = 0.0
    assert y.grad_fn.name() == "CopySlices"
    z = x * 2
    z[[0, 1]] = 0.0
    assert z.grad_fn.name() == "IndexPutBackward0"
    view = y[1:]
    assert view.grad_fn.name() in ("SliceBackward0", "AsStridedBackward0")


def test_setitem_value_gradient_collects_repeated_reads():
    x = autodiff.zeros(4, requires_grad=True)
    v = autodiff.tensor(3.0, requires_grad=True)
    y = x * 1
    y[1:3] = v                           # broadcast: v lands in two places
    (y * autodiff.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert v.grad.item() == 5.0
    assert x.grad.tolist() == [1.0, 0.0, 0.0, 4.0]


def test_list_of_lists_is_read_as_a_tuple_with_a_warning():
    x = autodiff.arange(12).view(3, 4)
    with pytest.warns(UserWarning, match="non-tuple sequence for multidimensional indexing"):
        assert x[[[0, 1], [1, 2]]].tolist() == [1, 6]
    assert x[[0, 1]].shape == (2, 4)                   # a flat list is an index tensor


def test_index_errors():
    x = autodiff.zeros(3, 4)
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x[3]
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or "
                                         "bool tensors"):
        x[autodiff.tensor([0.0])]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        x[0, 0, 0]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    with pytest.raises(IndexError):
        x[[0, 5]]


def test_setitem_shape_mismatch_raises():
    x = autodiff.zeros(3, 4)
    with pytest.raises(RuntimeError):
        x[0] = autodiff.ones(3)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        x[[0, 1]] = autodiff.ones(3)
