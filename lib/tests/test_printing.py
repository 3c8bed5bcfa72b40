"""Tensor printing: literal expectations, plus character-for-character parity with torch."""
import math

import numpy as np
import pytest

from autodiff import _dtype
from autodiff._printing import (get_printoptions, parameter_repr, printoptions,
                                return_types_repr, set_printoptions, tensor_repr, tensor_str)


class FakeDevice:
    def __init__(self, name="cpu"):
        self.type, self.name = name.split(":")[0], name

    def __str__(self):
        return self.name


class FakeGradFn:
    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name


class FakeTensor:
    """Just the attributes the printer reads, so printing is testable without the Tensor class."""

    def __init__(self, data, dtype=None, device="cpu", requires_grad=False, grad_fn=None):
        data = np.asarray(data)
        self.dtype = dtype or (_dtype.get_default_dtype() if data.dtype.kind == "f"
                               else _dtype.from_numpy_dtype(data.dtype))
        self._data = data.astype(self.dtype.np)
        self.device = FakeDevice(device)
        self.requires_grad = requires_grad or grad_fn is not None
        self.grad_fn = None if grad_fn is None else FakeGradFn(grad_fn)
        self.is_leaf = grad_fn is None

    def __repr__(self):
        return tensor_repr(self)


class FakeCupyArray:
    """Looks like a cupy array: not an ndarray, copied to the host with ``.get()``."""

    def __init__(self, array):
        self._array = array

    def get(self):
        return self._array


@pytest.fixture(autouse=True)
def _reset_options():
    yield
    set_printoptions(profile="default")
    _dtype.set_default_dtype(_dtype.float32)


nan, inf = math.nan, math.inf
LITERALS = [
    (FakeTensor(2.0), "tensor(2.)"),
    (FakeTensor(1), "tensor(1)"),
    (FakeTensor(True), "tensor(True)"),
    (FakeTensor([True, False, True, False]), "tensor([ True, False,  True, False])"),
    (FakeTensor([0.0, 0.0, 0.0], _dtype.float64), "tensor([0., 0., 0.], dtype=autodiff.float64)"),
    (FakeTensor(1, _dtype.int32), "tensor(1, dtype=autodiff.int32)"),
    (FakeTensor([1.5, -2.25]), "tensor([ 1.5000, -2.2500])"),
    (FakeTensor([1.0, 1e9]), "tensor([1.0000e+00, 1.0000e+09])"),
    (FakeTensor([nan, -inf, 1.0]), "tensor([nan, -inf, 1.])"),
    (FakeTensor([-0.0, 0.5]), "tensor([-0.0000, 0.5000])"),
    (FakeTensor([[1, 20], [300, 4]]), "tensor([[  1,  20],\n        [300,   4]])"),
    (FakeTensor(np.zeros((2, 1, 2))), "tensor([[[0., 0.]],\n\n        [[0., 0.]]])"),
    (FakeTensor(np.arange(2000)), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
    (FakeTensor([]), "tensor([])"),
    (FakeTensor(np.zeros((0, 3))), "tensor([], size=(0, 3))"),
    (FakeTensor(np.zeros(0, np.int64)), "tensor([], dtype=autodiff.int64)"),
    (FakeTensor([1.0, 2.0], requires_grad=True), "tensor([1., 2.], requires_grad=True)"),
    (FakeTensor(3.0, grad_fn="AddBackward0"), "tensor(3., grad_fn=<AddBackward0>)"),
    (FakeTensor([1.0], _dtype.float16, device="cuda:0", grad_fn="MulBackward0"),
     "tensor([1.], device='cuda:0', dtype=autodiff.float16, grad_fn=<MulBackward0>)"),
]


@pytest.mark.parametrize("t, expected", LITERALS, ids=[e for _, e in LITERALS])
def test_literal(t, expected):
    assert tensor_repr(t) == expected
    assert tensor_str(t) == expected


def test_cupy_like_data_is_fetched():
    t = FakeTensor([1, 2], device="cuda:0")
    t._data = FakeCupyArray(t._data)
    assert tensor_repr(t) == "tensor([1, 2], device='cuda:0')"


def test_parameter_and_return_types():
    p = FakeTensor(np.ones(2), requires_grad=True)
    assert parameter_repr(p) == "Parameter containing:\ntensor([1., 1.], requires_grad=True)"
    fields = {"values": FakeTensor([3, 4]), "indices": FakeTensor([1, 1])}
    assert return_types_repr("max", fields) == (
        "autodiff.return_types.max(\nvalues=tensor([3, 4]),\nindices=tensor([1, 1]))")


def test_printoptions():
    assert get_printoptions() == dict(precision=4, threshold=1000, edgeitems=3, linewidth=80,
                                      sci_mode=None)
    set_printoptions(precision=2)
    assert tensor_repr(FakeTensor([1.12345])) == "tensor([1.12])"
    with printoptions(threshold=5, edgeitems=1):
        assert tensor_repr(FakeTensor(np.arange(10))) == "tensor([0,  ..., 9])"
    assert get_printoptions()["threshold"] == 1000
    set_printoptions(profile="full")
    assert get_printoptions()["threshold"] == math.inf and get_printoptions()["precision"] == 4


# ---------------------------------------------------------------- parity with torch
rng = np.random.default_rng(0)
FLOATS = ["float16", "float32", "float64"]
INTS = ["int8", "int16", "int32", "int64", "uint8"]


def _case(name, data, dtype, opts=None, grad=None):
    return pytest.param(np.asarray(data), dtype, opts or {}, grad, id=name)


def _generate_cases():
    cases = []
    shapes = [(), (1,), (5,), (2, 3), (2, 3, 4), (2, 2, 2, 3), (1, 1, 1, 1), (3, 1, 2)]
    for dt in FLOATS:
        for shape in shapes:
            for mag in [1e-6, 1e-3, 1.0, 1e3, 1e4] + ([] if dt == "float16" else [1e5, 1e9]):
                data = rng.standard_normal(shape) * mag
                cases.append(_case(f"{dt}-{shape}-{mag:g}", data, dt))
            cases.append(_case(f"{dt}-{shape}-intvalued", rng.integers(-50, 50, shape), dt))
        cases.append(_case(f"{dt}-special", [nan, inf, -inf, -0.0, 0.0, 2.5], dt))
        cases.append(_case(f"{dt}-special-int", [[nan, inf], [-0.0, 3.0]], dt))
        cases.append(_case(f"{dt}-allzero", np.zeros((2, 2)), dt))
        cases.append(_case(f"{dt}-nan-only", [nan, inf], dt))
        cases.append(_case(f"{dt}-ratio", [1.0, 1000.0, 1001.0], dt))
        cases.append(_case(f"{dt}-tiny", [1e-4, 0.5], dt))
        cases.append(_case(f"{dt}-round-up", [9.99996, -0.00004], dt))
    for dt in INTS:
        lo, hi = np.iinfo(dt).min, np.iinfo(dt).max
        for shape in shapes:
            cases.append(_case(f"{dt}-{shape}", rng.integers(lo, hi, shape, endpoint=True), dt))
        cases.append(_case(f"{dt}-extremes", [lo, 0, hi], dt))
    for shape in shapes:
        cases.append(_case(f"bool-{shape}", rng.integers(0, 2, shape).astype(bool), "bool"))
    cases.append(_case("bool-all-true", [True, True], "bool"))
    for dt in FLOATS + INTS + ["bool"]:
        for shape in [(0,), (0, 3), (3, 0, 2)]:
            cases.append(_case(f"empty-{dt}-{shape}", np.zeros(shape), dt))
    # summarisation: threshold 1000, three items at each edge of every dimension
    for shape in [(1001,), (2000,), (40, 40), (10, 10, 20), (3, 500), (2, 2, 300), (7, 2, 3, 40)]:
        cases.append(_case(f"summary-float-{shape}", rng.standard_normal(shape), "float32"))
        cases.append(_case(f"summary-int-{shape}", rng.integers(-999, 99999, shape), "int64"))
    cases.append(_case("summary-bool", rng.integers(0, 2, (50, 50)).astype(bool), "bool"))
    cases.append(_case("summary-sci", rng.standard_normal((30, 40)) * 1e10, "float64"))
    cases.append(_case("summary-outlier-hidden", np.r_[1.0, np.full(2000, 2.0), 1e12, 3.0,
                                                       4.0, 5.0], "float32"))
    # line wrapping of long rows, also when indented inside a matrix
    for n in [20, 30, 77, 100]:
        cases.append(_case(f"wrap-float-{n}", rng.standard_normal(n), "float32"))
        cases.append(_case(f"wrap-int-{n}", np.arange(n) * 37, "int64"))
        cases.append(_case(f"wrap-matrix-{n}", rng.standard_normal((3, n)) * 100, "float64"))
    # print options
    x = rng.standard_normal((4, 6)) * 10
    option_sets = [dict(precision=2), dict(precision=8), dict(sci_mode=True), dict(sci_mode=False),
                   dict(linewidth=40), dict(linewidth=120), dict(threshold=5),
                   dict(threshold=5, edgeitems=1), dict(threshold=5, edgeitems=0),
                   dict(profile="short"), dict(profile="full"), dict(precision=0)]
    for opts in option_sets:
        name = "-".join(f"{k}={v}" for k, v in opts.items())
        cases.append(_case(f"opts-{name}", x, "float32", opts))
        cases.append(_case(f"opts-{name}-int", np.arange(30).reshape(5, 6), "int64", opts))
        cases.append(_case(f"opts-{name}-1d", rng.standard_normal(12), "float64", opts))
        cases.append(_case(f"opts-{name}-intvalued", [1.0, 1e9], "float32", opts))
    cases.append(_case("opts-full-big", np.arange(1500), "int64", dict(profile="full")))
    cases.append(_case("opts-edge0-scalar", 3.0, "float32", dict(edgeitems=0)))
    # autograd suffixes, including the wrap of a suffix past linewidth
    for dt in FLOATS:
        for shape in [(), (3,), (2, 2), (12,), (9,)]:
            data = rng.standard_normal(shape)
            cases.append(_case(f"grad-leaf-{dt}-{shape}", data, dt, grad="leaf"))
            cases.append(_case(f"grad-fn-{dt}-{shape}", data, dt, grad="MulBackward0"))
    cases += _fuzz_cases(100)
    return cases


def _fuzz_cases(n):
    """Random shapes, dtypes and magnitudes, sprinkled with zeros, nan and inf."""
    cases = []
    for i in range(n):
        dt = str(rng.choice(FLOATS + INTS + ["bool"]))
        shape = tuple(rng.integers(1, 6, rng.integers(0, 5)))
        if dt in FLOATS:
            scale = 10.0 ** rng.integers(-6, 5 if dt == "float16" else 12)
            data = rng.standard_normal(shape) * scale
            if rng.random() < 0.5:
                data = np.round(data)
            mask = rng.random(shape)
            data = np.where(mask < 0.1, rng.choice([0.0, -0.0, nan, inf, -inf]), data)
        elif dt == "bool":
            data = rng.random(shape) < 0.5
        else:
            info = np.iinfo(dt)
            data = rng.integers(max(info.min, -(10 ** 6)), min(info.max, 10 ** 6), shape)
        cases.append(_case(f"fuzz{i}-{dt}-{shape}", data, dt))
    return cases


def _torch_tensor(torch, data, dtype, grad):
    t = torch.from_numpy(data.astype(dtype))
    if grad == "leaf":
        return t.requires_grad_()
    if grad == "MulBackward0":
        return t.requires_grad_() * 1          # values unchanged, grad_fn MulBackward0
    return t


@pytest.mark.torch
@pytest.mark.parametrize("data, dtype, opts, grad", _generate_cases())
def test_parity_with_torch(data, dtype, opts, grad):
    torch = pytest.importorskip("torch")
    fake = FakeTensor(data, getattr(_dtype, dtype), requires_grad=grad == "leaf",
                      grad_fn=None if grad in (None, "leaf") else grad)
    expected_tensor = _torch_tensor(torch, data, dtype, grad)
    set_printoptions(**opts)
    torch.set_printoptions(**opts)
    try:
        expected = repr(expected_tensor).replace("torch.", "autodiff.")
    finally:
        torch.set_printoptions(profile="default")
    assert tensor_repr(fake) == expected


@pytest.mark.torch
@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("dtype", FLOATS + ["int64"])
def test_parity_default_dtype(default, dtype):
    torch = pytest.importorskip("torch")
    _dtype.set_default_dtype(getattr(_dtype, default))
    old = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, default))
    try:
        for data in [np.array([[1.5, 2.0], [3.0, -4.0]]), np.zeros((0, 2)), np.zeros(0)]:
            expected = repr(torch.from_numpy(data.astype(dtype))).replace("torch.", "autodiff.")
            assert tensor_repr(FakeTensor(data, getattr(_dtype, dtype))) == expected
    finally:
        torch.set_default_dtype(old)


@pytest.mark.torch
def test_parity_parameter_and_return_types():
    torch = pytest.importorskip("torch")
    for dtype, grad in [("float32", True), ("float64", True), ("float64", False)]:
        data = np.arange(6.0).reshape(2, 3)
        param = torch.nn.Parameter(torch.from_numpy(data.astype(dtype)), requires_grad=grad)
        fake = FakeTensor(data, getattr(_dtype, dtype), requires_grad=grad)
        assert parameter_repr(fake) == repr(param).replace("torch.", "autodiff.")
    x = rng.standard_normal((3, 4))
    values, indices = torch.sort(torch.from_numpy(x), dim=1)
    fields = {"values": FakeTensor(values.numpy(), _dtype.float64),
              "indices": FakeTensor(indices.numpy())}
    expected = repr(torch.sort(torch.from_numpy(x), dim=1)).replace("torch.", "autodiff.")
    assert return_types_repr("sort", fields) == expected
