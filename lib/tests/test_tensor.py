"""The Tensor object itself: metadata, conversions, casting, detach/data, pickling."""
import copy
import pickle

import numpy as np
import pytest

import autodiff


def test_metadata():
    x = autodiff.zeros(2, 3, 4, dtype=autodiff.float64)
    assert x.shape == (2, 3, 4) and isinstance(x.shape, autodiff.Size)
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.dim() == x.ndim == x.ndimension() == 3
    assert x.numel() == x.nelement() == 24 and autodiff.numel(x) == 24
    assert x.element_size() == x.itemsize == 8 and x.nbytes == 192
    assert x.is_floating_point() and not x.is_complex()
    assert x.device == autodiff.device("cpu") and x.is_cpu and not x.is_cuda
    assert x.get_device() == -1
    assert repr(x.shape) == "autodiff.Size([2, 3, 4])"


def test_size_dim_out_of_range():
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range "
                                         r"of \[-2, 1\], but got 2\)"):
        autodiff.zeros(2, 3).size(2)


def test_item_and_python_numbers():
    assert autodiff.tensor([[2.5]]).item() == 2.5
    assert float(autodiff.tensor(3)) == 3.0 and int(autodiff.tensor(3.7)) == 3
    assert bool(autodiff.tensor([1])) is True and bool(autodiff.tensor(0.0)) is False
    assert [10, 20, 30][autodiff.tensor(1)] == 20                  # __index__
    assert isinstance(autodiff.tensor(2).item(), int)
    assert isinstance(autodiff.tensor(True).item(), bool)


def test_bool_of_several_values_is_ambiguous():
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value "
                                           "is ambiguous"):
        bool(autodiff.tensor([1, 2]))


def test_float_tensor_is_not_an_index():
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        [1, 2][autodiff.tensor(1.0)]


def test_tolist_len_iter():
    x = autodiff.tensor([[1, 2], [3, 4]])
    assert x.tolist() == [[1, 2], [3, 4]]
    assert len(x) == 2
    rows = list(x)
    assert [r.tolist() for r in rows] == [[1, 2], [3, 4]]
    assert autodiff.tensor(5).tolist() == 5
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(autodiff.tensor(5))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(autodiff.tensor(5))


def test_numpy_shares_memory_and_array_protocol():
    x = autodiff.tensor([1.0, 2.0])
    a = x.numpy()
    a[0] = 7
    assert x[0].item() == 7
    assert np.asarray(x).tolist() == [7.0, 2.0]
    assert np.asarray(x, dtype=np.int64).dtype == np.int64
    y = autodiff.tensor([1.0], requires_grad=True)
    assert y.numpy(force=True).tolist() == [1.0]
    assert y.detach().numpy().tolist() == [1.0]


def test_numpy_array_on_the_left_of_an_operator():
    x = autodiff.tensor([1.0, 2.0])
    out = np.array([1.0, 1.0]) + x
    assert isinstance(out, autodiff.Tensor) and out.tolist() == [2.0, 3.0]
    assert (np.float64(2.0) * x).tolist() == [2.0, 4.0]


def test_casts():
    x = autodiff.tensor([1.7, -2.2])
    assert x.int().dtype is autodiff.int32 and x.int().tolist() == [1, -2]
    assert x.long().dtype is autodiff.int64
    assert x.double().dtype is autodiff.float64
    assert x.half().dtype is autodiff.float16
    assert x.bool().tolist() == [True, True]
    assert x.short().dtype is autodiff.int16 and x.char().dtype is autodiff.int8
    assert x.byte().dtype is autodiff.uint8 and x.float() is x
    assert x.to(autodiff.float64).dtype is autodiff.float64
    assert x.to(autodiff.float32) is x                     # nothing to do: self
    assert x.to(autodiff.zeros(1, dtype=autodiff.int64)).dtype is autodiff.int64
    assert x.to("cpu", autodiff.float64).dtype is autodiff.float64
    assert x.to(dtype=autodiff.float16, copy=True).dtype is autodiff.float16
    c = x.to(autodiff.float32, copy=True)
    assert c is not x and c.tolist() == x.tolist()
    assert x.type() == "autodiff.FloatTensor"
    assert x.type(autodiff.int64).dtype is autodiff.int64
    assert x.type("autodiff.DoubleTensor").dtype is autodiff.float64
    assert x.type_as(autodiff.zeros(1, dtype=autodiff.int16)).dtype is autodiff.int16
    assert x.to(int).dtype is autodiff.int64 and x.to(float).dtype is autodiff.float32


def test_cpu_and_device_roundtrip(device):
    x = autodiff.tensor([1.0, 2.0], device=device)
    assert x.device.type == device
    assert x.cpu().device == autodiff.device("cpu")
    assert x.cpu().tolist() == [1.0, 2.0]
    if device == "cuda":
        assert x.is_cuda and str(x.device) == "cuda:0"
        with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
            x.numpy()


def test_device_objects():
    d = autodiff.device("cuda:1")
    assert d.type == "cuda" and d.index == 1 and str(d) == "cuda:1"
    assert repr(autodiff.device("cpu")) == "device(type='cpu')"
    assert autodiff.device("cpu") == "cpu"
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda, .* device type"):
        autodiff.device("tpu")


def test_detach_shares_storage_and_leaves_the_graph():
    x = autodiff.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d[0] = 100
    assert y[0].item() == 100             # same storage
    e = x.detach()
    e.add_(1)
    assert x.tolist() == [2.0, 3.0]


def test_detach_inplace():
    x = autodiff.tensor([1.0], requires_grad=True)
    y = x * 2
    y.detach_()
    assert y.grad_fn is None and not y.requires_grad


def test_data_is_outside_autograd():
    x = autodiff.tensor([1.0, 2.0], requires_grad=True)
    x.data.mul_(3)                     # no error although x is a leaf requiring grad
    assert x.tolist() == [3.0, 6.0] and x.requires_grad
    x.data = autodiff.tensor([0.5, 0.5])
    assert x.tolist() == [0.5, 0.5] and x.requires_grad and not x.data.requires_grad


def test_requires_grad_rules():
    x = autodiff.tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad
    y = x * 2
    y.requires_grad = True                       # no-op on a non-leaf that requires grad
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf "
                                           "variables"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require "
                                           "gradients"):
        autodiff.tensor([1]).requires_grad_()


def test_grad_setter_checks():
    x = autodiff.zeros(2, requires_grad=True)
    x.grad = autodiff.ones(2)
    assert x.grad.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="assigned grad has data of a different size"):
        x.grad = autodiff.ones(3)
    with pytest.raises(RuntimeError, match="assigned grad has data of a different type"):
        x.grad = autodiff.ones(2, dtype=autodiff.float64)
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None"):
        x.grad = [1.0, 1.0]
    x.grad = None
    assert x.grad is None


def test_pickle_and_deepcopy():
    x = autodiff.tensor([[1.0, 2.0]], requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    assert y.tolist() == x.tolist() and y.requires_grad and y.dtype is x.dtype
    x.grad = autodiff.ones(1, 2)
    z = copy.deepcopy(x)
    assert z is not x and z.tolist() == x.tolist() and z.grad.tolist() == [[1.0, 1.0]]
    z.data.add_(1)
    assert x.tolist() == [[1.0, 2.0]]
    with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
        copy.deepcopy(x * 2)


def test_hash_is_identity_and_eq_is_elementwise():
    a, b = autodiff.tensor([1.0]), autodiff.tensor([1.0])
    assert hash(a) != hash(b) and len({a, b}) == 2
    assert (a == b).tolist() == [True]


def test_repr_with_grad_fn():
    x = autodiff.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert repr(autodiff.tensor([1, 2], dtype=autodiff.int32)) == \
        "tensor([1, 2], dtype=autodiff.int32)"


def test_format():
    assert f"{autodiff.tensor(2.5):.2f}" == "2.50"
    assert f"{autodiff.tensor([1]):}" == "tensor([1])"


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_matches_torch(name, torch):
    ours, theirs = autodiff.finfo(getattr(autodiff, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(ours, field) == pytest.approx(getattr(theirs, field)), field
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_torch(name, torch):
    ours, theirs = autodiff.iinfo(getattr(autodiff, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.min, ours.max) == (theirs.bits, theirs.min, theirs.max)
    assert repr(ours) == repr(theirs)


def test_finfo_and_iinfo_refuse_the_other_kind():
    with pytest.raises(TypeError):
        autodiff.finfo(autodiff.int32)
    with pytest.raises(TypeError):
        autodiff.iinfo(autodiff.float32)
    assert autodiff.finfo().dtype == "float32"


def test_storage_offset_of_views():
    base = autodiff.arange(10.0)
    assert base.storage_offset() == 0
    assert base[2:].view(2, 4)[1].storage_offset() == 6
    assert autodiff.arange(6.0).view(2, 3).t()[1].storage_offset() == 1
