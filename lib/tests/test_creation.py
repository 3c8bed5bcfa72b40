"""Creation functions: tensor/as_tensor/from_numpy, typed constructors, filled tensors, ranges,
random numbers (manual_seed reproducibility)."""
import numpy as np
import pytest

import autodiff

# ---- from data ----------------------------------------------------------------------------------


def test_tensor_copies_its_data():
    a = np.array([1.0, 2.0])
    t = autodiff.tensor(a)
    a[0] = 99
    assert t.tolist() == [1.0, 2.0]
    assert t.dtype is autodiff.float64            # numpy arrays keep their dtype


def test_tensor_keywords(device):
    t = autodiff.tensor([[1, 2], [3, 4]], dtype=autodiff.float64, device=device,
                        requires_grad=True)
    assert t.shape == (2, 2) and t.dtype is autodiff.float64
    assert t.device.type == device and t.requires_grad and t.is_leaf
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_tensor_of_tensors_and_scalars():
    t = autodiff.tensor([autodiff.tensor(1.5), autodiff.tensor(2.5)])
    assert t.tolist() == [1.5, 2.5]
    assert autodiff.tensor(3).shape == () and autodiff.tensor(3).item() == 3
    assert autodiff.tensor([]).shape == (0,) and autodiff.tensor([]).dtype is autodiff.float32


def test_tensor_from_tensor_warns_and_copies():
    src = autodiff.tensor([1.0, 2.0])
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):
        t = autodiff.tensor(src)
    t[0] = 5
    assert src.tolist() == [1.0, 2.0]


def test_ragged_data_raises():
    with pytest.raises(ValueError, match="expected sequence of length 2 at dim 1 .got 1."):
        autodiff.tensor([[1, 2], [3]])


def test_as_tensor_shares_memory_with_numpy():
    a = np.array([1.0, 2.0, 3.0])
    t = autodiff.as_tensor(a)
    a[0] = 10
    assert t[0].item() == 10
    t[1] = 20
    assert a[1] == 20
    # a dtype change must copy
    c = autodiff.as_tensor(a, dtype=autodiff.float32)
    a[2] = 30
    assert c[2].item() == 3.0 and c.dtype is autodiff.float32
    # a tensor passes through unchanged
    assert autodiff.as_tensor(t) is t
    assert autodiff.asarray(t) is t


def test_from_numpy_shares_memory_both_ways():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    t = autodiff.from_numpy(a)
    assert t.dtype is autodiff.int32 and t.shape == (2, 3)
    t[0, 0] = 100
    assert a[0, 0] == 100
    a[1, 2] = -1
    assert t[1, 2].item() == -1
    assert np.shares_memory(t.numpy(), a)


def test_from_numpy_rejects_unsupported():
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.complex128"):
        autodiff.from_numpy(np.zeros(2, dtype=np.complex128))
    with pytest.raises(TypeError, match="expected np.ndarray"):
        autodiff.from_numpy([1, 2])


# ---- typed (legacy) constructors ----------------------------------------------------------------
def test_int_tensor_of_a_size():
    t = autodiff.IntTensor(1)
    assert t.dtype is autodiff.int32 and t.shape == (1,)
    assert t.tolist() == [0]
    assert repr(t) == "tensor([0], dtype=autodiff.int32)"


def test_tensor_of_a_0dim_array():
    t = autodiff.Tensor(np.array(2.0))
    assert t.dtype is autodiff.float32 and t.shape == ()
    assert repr(t) == "tensor(2.)"


def test_bool_tensor_of_an_array():
    t = autodiff.BoolTensor(np.array([1, 0, 2, 0]))
    assert t.dtype is autodiff.bool
    assert repr(t) == "tensor([ True, False,  True, False])"


@pytest.mark.parametrize("cls, dtype", [
    (autodiff.FloatTensor, autodiff.float32), (autodiff.DoubleTensor, autodiff.float64),
    (autodiff.LongTensor, autodiff.int64), (autodiff.ByteTensor, autodiff.uint8),
    (autodiff.ShortTensor, autodiff.int16), (autodiff.CharTensor, autodiff.int8),
    (autodiff.HalfTensor, autodiff.float16)])
def test_typed_constructors(cls, dtype):
    sized = cls(2, 3)
    assert sized.shape == (2, 3) and sized.dtype is dtype
    data = cls([1, 2])
    assert data.tolist() == [1, 2] and data.dtype is dtype
    assert cls().shape == (0,) and cls([]).shape == (0,)
    assert isinstance(data, cls) and isinstance(data, autodiff.Tensor)
    assert not isinstance(autodiff.zeros(1, dtype=autodiff.bool), cls)


def test_legacy_tensor_constructor():
    assert autodiff.Tensor(2, 3).shape == (2, 3)
    assert autodiff.Tensor([1, 2]).dtype is autodiff.float32
    assert autodiff.Tensor().shape == (0,)


# ---- filled tensors -----------------------------------------------------------------------------
@pytest.mark.parametrize("fn, value", [(autodiff.zeros, 0), (autodiff.ones, 1),
                                       (autodiff.empty, None)])
def test_filled(fn, value, device):
    for t in (fn(2, 3, device=device), fn((2, 3), device=device), fn([2, 3], device=device)):
        assert t.shape == (2, 3) and t.dtype is autodiff.float32
        assert t.device.type == device
        if value is not None:
            assert (t == value).all().item()
    assert fn(2, dtype=autodiff.int64).dtype is autodiff.int64
    assert fn(2, requires_grad=True).requires_grad
    assert fn(()).shape == () and fn(0).shape == (0,)


def test_negative_size_raises():
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        autodiff.zeros(2, -1)


def test_full_infers_dtype_from_the_value():
    assert autodiff.full((2,), 3).dtype is autodiff.int64
    assert autodiff.full((2,), 2.5).dtype is autodiff.float32
    assert autodiff.full((2,), True).dtype is autodiff.bool
    assert autodiff.full((2, 2), 7.0).tolist() == [[7.0, 7.0], [7.0, 7.0]]
    assert autodiff.full((2,), 1, dtype=autodiff.float64).dtype is autodiff.float64


def test_like_functions_keep_dtype_and_shape():
    x = autodiff.ones(2, 3, dtype=autodiff.float64)
    for fn in (autodiff.zeros_like, autodiff.ones_like, autodiff.empty_like, autodiff.rand_like,
               autodiff.randn_like):
        y = fn(x)
        assert y.shape == (2, 3) and y.dtype is autodiff.float64 and not y.requires_grad
    assert autodiff.full_like(x, 4).tolist() == [[4.0] * 3] * 2
    assert autodiff.zeros_like(x, dtype=autodiff.int32).dtype is autodiff.int32
    assert autodiff.ones_like(x, requires_grad=True).requires_grad


# ---- ranges -------------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [(5,), (2, 7), (0, 10, 3), (5, 0, -1), (0.0, 1.0, 0.1),
                                  (1, 2.5, 0.5), (-3, 3, 1.5), (0, 1, 0.3)])
def test_arange_parity(args, torch):
    expected = torch.arange(*args)
    got = autodiff.arange(*args)
    assert got.dtype.name == str(expected.dtype)[6:]
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)


def test_arange_literal():
    assert autodiff.arange(4).tolist() == [0, 1, 2, 3]
    assert autodiff.arange(4).dtype is autodiff.int64
    assert autodiff.arange(1.0, 2.0, 0.5).tolist() == [1.0, 1.5]
    assert autodiff.arange(3, dtype=autodiff.float64).dtype is autodiff.float64
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        autodiff.arange(0, 3, 0)
    with pytest.raises(RuntimeError, match="upper bound and larger bound inconsistent"):
        autodiff.arange(0, 3, -1)


@pytest.mark.parametrize("args", [(0, 1, 5), (-2, 2, 1), (3, -3, 7), (0, 1, 2)])
def test_linspace_parity(args, torch):
    expected = torch.linspace(*args)
    got = autodiff.linspace(*args)
    assert got.dtype is autodiff.float32
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6, atol=1e-7)


def test_logspace_and_eye(torch):
    np.testing.assert_allclose(autodiff.logspace(0, 2, 3).numpy(), [1, 10, 100], rtol=1e-6)
    assert autodiff.eye(3).tolist() == torch.eye(3).tolist()
    assert autodiff.eye(2, 3).tolist() == torch.eye(2, 3).tolist()
    assert autodiff.eye(2, dtype=autodiff.int64).dtype is autodiff.int64


# ---- out= ----------------------------------------------------------------------------------------
OUT_CASES = [
    ("zeros", lambda out: autodiff.zeros(2, 3, out=out)),
    ("ones", lambda out: autodiff.ones((4,), out=out)),
    ("full", lambda out: autodiff.full((2,), 7, out=out)),
    ("arange", lambda out: autodiff.arange(1, 7, 2, out=out)),
    ("linspace", lambda out: autodiff.linspace(0, 1, 5, out=out)),
    ("eye", lambda out: autodiff.eye(3, out=out)),
]


@pytest.mark.parametrize("out_dtype", ["int64", "float64"])
@pytest.mark.parametrize("name, make", OUT_CASES, ids=[c[0] for c in OUT_CASES])
def test_factories_write_into_out_like_torch(name, make, out_dtype, torch):
    from _helpers import in_torch
    out = autodiff.empty(0, dtype=getattr(autodiff, out_dtype))
    version = out._version
    got = make(out)
    t_out = torch.empty(0, dtype=getattr(torch, out_dtype))
    expected = in_torch(make, torch)(t_out)
    assert got is out and out._version > version
    assert got.dtype.name == out_dtype and got.tolist() == expected.tolist()


@pytest.mark.parametrize("make, dtype", [
    (lambda out, **kw: autodiff.rand(3, out=out, **kw), autodiff.float64),
    (lambda out, **kw: autodiff.randn(2, 2, out=out, **kw), autodiff.float64),
    (lambda out, **kw: autodiff.normal(0.0, 1.0, (3,), out=out, **kw), autodiff.float64),
    (lambda out, **kw: autodiff.randint(0, 5, (4,), out=out, **kw), autodiff.int32),
    (lambda out, **kw: autodiff.randperm(5, out=out, **kw), autodiff.int32),
])
def test_random_factories_write_into_out(make, dtype):
    out = autodiff.zeros(0, dtype=dtype)
    autodiff.manual_seed(0)
    got = make(out)
    autodiff.manual_seed(0)
    fresh = make(None, dtype=dtype)
    assert got is out and got.dtype is dtype and got.shape == fresh.shape
    assert got.tolist() == fresh.tolist()


def test_out_errors_match_torch(torch):
    from _helpers import assert_raises, in_torch
    cases = [
        (lambda: autodiff.zeros(2, out=autodiff.empty(0, dtype=autodiff.float64),
                                dtype=autodiff.float32),
         RuntimeError, "dtype Float does not match dtype of out parameter (Double)"),
        (lambda: autodiff.ones(2, out=autodiff.empty(0, requires_grad=True)),
         RuntimeError, "functions with out=... arguments don't support automatic differentiation"),
        (lambda: autodiff.zeros(2, out=[0.0, 0.0]), TypeError, "argument 'out' must be Tensor"),
    ]
    for fn, exc, message in cases:
        assert_raises(fn, exc, message)
        assert_raises(in_torch(fn, torch), exc, message)


# ---- random numbers -----------------------------------------------------------------------------
def _draw_all():
    return [autodiff.rand(3, 2), autodiff.randn(4), autodiff.randint(0, 10, (5,)),
            autodiff.randperm(6), autodiff.normal(2.0, 3.0, (3,)),
            autodiff.rand(2, dtype=autodiff.float64)]


def test_manual_seed_reproducibility():
    autodiff.manual_seed(123)
    first = _draw_all()
    autodiff.manual_seed(123)
    second = _draw_all()
    for a, b in zip(first, second):
        assert a.dtype is b.dtype and a.tolist() == b.tolist()
    autodiff.manual_seed(124)
    assert autodiff.rand(3, 2).tolist() != first[0].tolist()


def test_consecutive_draws_differ():
    assert autodiff.rand(5).tolist() != autodiff.rand(5).tolist()


def test_generator_argument_is_independent_of_the_global_seed():
    g1 = autodiff.Generator().manual_seed(7)
    a = autodiff.rand(4, generator=g1)
    autodiff.rand(10)
    g2 = autodiff.Generator().manual_seed(7)
    assert autodiff.rand(4, generator=g2).tolist() == a.tolist()


def test_rng_state_round_trip():
    state = autodiff.get_rng_state()
    a = autodiff.randn(5)
    autodiff.set_rng_state(state)
    assert autodiff.randn(5).tolist() == a.tolist()


def test_random_shapes_dtypes_and_ranges():
    u = autodiff.rand(1000)
    assert u.dtype is autodiff.float32 and 0 <= u.min().item() and u.max().item() < 1
    n = autodiff.randn(2000, dtype=autodiff.float64)
    assert n.dtype is autodiff.float64 and abs(n.mean().item()) < 0.1
    assert 0.9 < n.std().item() < 1.1
    r = autodiff.randint(3, 10, (500,))
    assert r.dtype is autodiff.int64 and r.min().item() >= 3 and r.max().item() <= 9
    assert autodiff.randint(4, (2, 3)).shape == (2, 3)
    assert autodiff.randint(0, 5, (3,), dtype=autodiff.int32).dtype is autodiff.int32
    p = autodiff.randperm(10)
    assert p.dtype is autodiff.int64 and sorted(p.tolist()) == list(range(10))
    assert autodiff.rand(2, 3, requires_grad=True).requires_grad


def test_normal_forms():
    x = autodiff.normal(5.0, 0.01, (1000,))
    assert x.shape == (1000,) and abs(x.mean().item() - 5) < 0.01
    mean = autodiff.tensor([0.0, 100.0])
    y = autodiff.normal(mean, autodiff.tensor([0.001, 0.001]))
    assert y.shape == (2,) and abs(y[1].item() - 100) < 0.1
    assert autodiff.normal(mean, 1.0).shape == (2,)


def test_random_integer_dtype_errors():
    with pytest.raises(RuntimeError):
        autodiff.rand(2, dtype=autodiff.int64)
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to'"):
        autodiff.randint(5, 5, (2,))


def test_random_on_device_is_seeded(device):
    autodiff.manual_seed(3)
    a = autodiff.rand(4, device=device)
    autodiff.manual_seed(3)
    b = autodiff.rand(4, device=device)
    assert a.device.type == device and a.tolist() == b.tolist()


def test_cuda_device_without_gpu_raises():
    if autodiff.backend.cuda_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        autodiff.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        autodiff.tensor([1.0]).to("cuda")


def test_new_methods_keep_dtype_and_device():
    x = autodiff.tensor([1, 2], dtype=autodiff.int32)
    z = x.new_zeros(2, 3)
    assert z.dtype is autodiff.int32 and z.shape == (2, 3) and z.sum().item() == 0
    assert x.new_ones((2,)).tolist() == [1, 1]
    assert x.new_full((2,), 7).tolist() == [7, 7]
    t = x.new_tensor([1.5])
    assert t.dtype is autodiff.int32 and t.tolist() == [1]
    f = autodiff.zeros(2).new_empty(4, dtype=autodiff.float64, requires_grad=True)
    assert f.dtype is autodiff.float64 and f.requires_grad and f.shape == (4,)
    assert x.pin_memory() is x and not x.is_pinned()
