"""autodiff.testing: assert_close (verdicts and messages as torch.testing) and make_tensor."""
import math
import re

import numpy as np
import pytest

import autodiff
from autodiff.testing import assert_close, make_tensor


# ---- assert_close: the same verdict and message as torch for the same inputs -------------------
def _cases(m):
    """(args, kwargs) per case, built with ``m`` = autodiff or torch."""
    t, nan, inf = m.tensor, float("nan"), float("inf")
    return [
        ((t([1., 2., 3.]), t([1., 2.1, 3.])), {}),
        ((t([1., 2., 3.]), t([1., 2. + 5e-6, 3.])), {}),
        ((t([1., 2., 3.]), t([1., 2. + 2e-5, 3.])), {}),
        ((t([1, 2, 3]), t([1, 4, 3])), {}),
        ((t([True, False]), t([True, True])), {}),
        ((t(1.5), t(1.6)), {}),
        ((t([1., 2.]), t([1., 2.], dtype=m.float64)), {}),
        ((t([1., 2.]), t([1., 2.5], dtype=m.float64)), {"check_dtype": False}),
        ((t([1., 2.]), t([1., 2., 3.])), {}),
        ((np.array([1., 2.]), t([1., 2.])), {}),
        ((np.array([1., 2.]), np.array([1., 2.2])), {}),
        ((np.array([1., 2.]), np.array([1., 2.])), {}),
        ((1, 1.0), {}),
        ((1, 2), {}),
        ((1.0, 1.1), {}),
        ((1.0, 1.0 + 1e-8), {}),
        ((1, 1.0), {"check_dtype": False}),
        (([1., t(2.)], [1., t(2.5)]), {}),
        (({"a": m.ones(2), "b": [1, 2]}, {"a": m.ones(2), "b": [1, 3]}), {}),
        (({"a": m.ones(2), "b": (t([1.]), 2)}, {"a": m.ones(2), "b": (t([1.]), 2)}), {}),
        (({"a": 1}, {"b": 1}), {}),
        (([1, 2], [1, 2, 3]), {}),
        (((1, 2), [1, 2]), {}),
        ((m.ones(2), 1.0), {}),
        ((True, False), {}),
        ((np.bool_(True), True), {}),
        ((None, 1), {}),
        ((None, None), {}),
        ((t([nan]), t([nan])), {}),
        ((t([nan]), t([nan])), {"equal_nan": True}),
        ((t([1., 0.]), t([1., 0.1])), {}),
        ((t([1., 2.]), t([1., 2.1])), {"rtol": 0, "atol": 0}),
        ((t([1., 2.]), t([1., 2.1])), {"rtol": 0}),
        ((t([1., 2.]), t([1., 2.1])), {"atol": 0}),
        ((t([1., 2.]), t([1., 2.1])), {"rtol": 1e-3, "atol": 1e-3}),
        ((t([1., 2.]), t([1., 2.1])), {"rtol": 0.1, "atol": 0}),
        ((t([1., 2.]), t([1., 2.1])), {"msg": "custom"}),
        ((t([1., 2.]), t([1., 2.1])), {"msg": lambda s: "Header\n" + s}),
        (([t([1., 2.])], [t([1., 2.1])]), {"msg": lambda s: "Header\n" + s}),
        (([1, 2], [1, 2, 3]), {"msg": "ignored for structure errors"}),
        ((m.ones(2, 3), m.ones(3, 2).t()), {}),
        ((m.ones(2, 3), m.ones(3, 2).t()), {"check_stride": True}),
        ((m.ones(2, 2, 3), m.ones(2, 2, 3) + m.arange(12.).reshape(2, 2, 3) * 1e-3), {}),
        ((t([1, 2], dtype=m.uint8), t([1, 0], dtype=m.uint8)), {}),
        ((t([1., 2.], dtype=m.float16), t([1., 2.01], dtype=m.float16)), {}),
        ((t([1., 2.], dtype=m.float16), t([1., 2.001], dtype=m.float16)), {}),
        ((t([inf, -inf]), t([inf, -inf])), {}),
        ((t([inf]), t([1.])), {}),
        ((np.float64(1.0), 1.1), {}),
        ((np.float32(1.0), 1.0), {}),
        ((np.int64(1), 1), {}),
        (("a", "a"), {}),
        ((np.array(1.0), np.array(2.0)), {}),
        ((m.ones(2).requires_grad_(), m.ones(2)), {}),
        ((t([[1., 2.], [3., 4.]]), t([[1., 2.], [3., 4.5]])), {}),
        ((t([]), t([])), {}),
        ((t([1, 2]), t([1., 2.])), {}),
        ((t([1, 2]), t([1., 2.5])), {"check_dtype": False}),
        ((t([-5, 2]), t([5, 2])), {}),
        ((t([5, 2]), t([0, 2])), {}),
        ((t([1., 2., 3., 4.], dtype=m.float64), t([1.5, 2., 3.01, 8.], dtype=m.float64)), {}),
        ((t(3), t(4)), {}),
        ((t([1, 2]), t([1, 3])), {"rtol": 0, "atol": 1}),
        ((t([1., 2.]), t([1., 2.])), {"allow_subclasses": False}),
    ]


def _normalize(text):
    """torch's names of types and dtypes, spelled as autodiff's."""
    return (text.replace("torch.Tensor", "autodiff.tensor.Tensor")
            .replace("torch.", "autodiff."))


def _outcome(fn, args, kwargs):
    try:
        fn(*args, **kwargs)
    except Exception as error:
        return type(error).__name__, _normalize(str(error))
    return "OK", ""


@pytest.mark.parametrize("i", range(len(_cases(autodiff))))
def test_assert_close_matches_torch(torch, i):
    args_t, kwargs_t = _cases(torch)[i]
    args_a, kwargs_a = _cases(autodiff)[i]
    expected = _outcome(torch.testing.assert_close, args_t, kwargs_t)
    assert _outcome(assert_close, args_a, kwargs_a) == expected


def test_default_message_format():
    with pytest.raises(AssertionError) as err:
        assert_close(autodiff.tensor([1., 2., 3.]), autodiff.tensor([1., 2.1, 3.]))
    assert re.fullmatch(
        r"Tensor-likes are not close!\n\nMismatched elements: 1 / 3 \(33\.3%\)\n"
        r"Greatest absolute difference: 0\.0999\d+ at index \(1,\) \(up to 1e-05 allowed\)\n"
        r"Greatest relative difference: 0\.0476\d+ at index \(1,\) \(up to 1\.3e-06 allowed\)",
        str(err.value))


@pytest.mark.parametrize("dtype,rtol,atol", [("float16", 1e-3, 1e-5), ("float32", 1.3e-6, 1e-5),
                                             ("float64", 1e-7, 1e-7), ("int64", 0, 0),
                                             ("uint8", 0, 0)])
def test_default_tolerances(dtype, rtol, atol):
    """Just inside the default band passes, just outside fails."""
    dt = getattr(autodiff, dtype)
    base = 4.0 if dt.is_floating_point else 4
    expected = autodiff.tensor([base], dtype=dt)
    if not dt.is_floating_point:
        assert_close(autodiff.tensor([4], dtype=dt), expected)
        with pytest.raises(AssertionError, match="not equal"):
            assert_close(autodiff.tensor([5], dtype=dt), expected)
        return
    band = atol + rtol * base
    np_dt = dt.np
    inside = np_dt.type(base + 0.7 * band)
    outside = np_dt.type(base + 2.5 * band)
    assert_close(autodiff.tensor([float(inside)], dtype=dt), expected)
    with pytest.raises(AssertionError, match=f"up to {atol} allowed"):
        assert_close(autodiff.tensor([float(outside)], dtype=dt), expected)


def test_dtype_shape_device_messages():
    x = autodiff.ones(2)
    with pytest.raises(AssertionError, match=r"The values for attribute 'dtype' do not match: "
                                             r"autodiff\.float32 != autodiff\.float64\."):
        assert_close(x, x.double())
    with pytest.raises(AssertionError, match=r"The values for attribute 'shape' do not match: "
                                             r"autodiff\.Size\(\[2\]\) != "
                                             r"autodiff\.Size\(\[1, 2\]\)\."):
        assert_close(x, x[None])
    assert_close(x, x.double(), check_dtype=False)


def test_nested_failure_location():
    with pytest.raises(AssertionError, match=r"The failure occurred for item \['w'\]\[1\]$"):
        assert_close({"w": [autodiff.ones(1), autodiff.ones(2)]},
                     {"w": [autodiff.ones(1), autodiff.tensor([1., 1.5])]})


def test_numpy_arrays_and_numbers():
    assert_close(np.arange(3.0), np.arange(3.0) + 1e-9)
    assert_close([1, 2.0, np.float64(3.0)], (1, 2.0, 3.0))
    with pytest.raises(TypeError, match="No comparison pair"):
        assert_close(np.ones(2), autodiff.ones(2))


# ---- make_tensor --------------------------------------------------------------------------------
DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


@pytest.mark.parametrize("name", DTYPES)
def test_make_tensor_default_ranges(name):
    dt = getattr(autodiff, name)
    t = make_tensor(50, 40, dtype=dt, device="cpu")
    assert t.shape == (50, 40) and t.dtype is dt and t.device.type == "cpu"
    values = t.numpy()
    low, high = {"bool": (0, 1), "uint8": (0, 9)}.get(name, (-9, 9))
    assert values.min() >= low and values.max() <= high
    if dt.is_floating_point:
        assert values.max() < 9 and values.min() < -7 and values.max() > 7
    else:
        assert values.min() == low and values.max() == high      # 2000 draws hit both ends
    assert not t.requires_grad


def test_make_tensor_shapes_and_options():
    assert make_tensor((2, 3), dtype=autodiff.float32, device="cpu").shape == (2, 3)
    assert make_tensor([4], dtype=autodiff.float32, device="cpu").shape == (4,)
    assert make_tensor(dtype=autodiff.float32, device="cpu").shape == ()
    t = make_tensor(3, 4, dtype=autodiff.float64, device="cpu", noncontiguous=True,
                    requires_grad=True)
    assert t.shape == (3, 4) and not t.is_contiguous() and t.requires_grad and t.is_leaf
    assert make_tensor(1, dtype=autodiff.float32, device="cpu", noncontiguous=True).is_contiguous()
    t = make_tensor(200, dtype=autodiff.int8, device="cpu", low=-1, high=1, exclude_zero=True)
    assert set(t.tolist()) == {-1, 1}
    t = make_tensor(200, dtype=autodiff.float32, device="cpu", low=0.25, high=0.5)
    assert 0.25 <= t.min().item() and t.max().item() < 0.5
    t = make_tensor(100, dtype=autodiff.float64, device="cpu", low=-1e308, high=1e308)
    assert np.isfinite(t.numpy()).all() and abs(t).max().item() > 1e306
    t = make_tensor(100, dtype=autodiff.uint8, device="cpu", low=-100, high=1000)
    assert t.min().item() >= 0 and t.max().item() > 200
    t = make_tensor(100, dtype=autodiff.int32, device="cpu", low=0.5, high=2.5)
    assert set(t.tolist()) == {1, 2}


def test_make_tensor_low_equals_high_warns_for_floats():
    with pytest.warns(FutureWarning, match="low==high"):
        t = make_tensor(3, dtype=autodiff.float32, device="cpu", low=2.0, high=2.0)
    assert t.tolist() == [2.0, 2.0, 2.0]


def _make_errors(m):
    return [dict(dtype=m.int64, requires_grad=True), dict(dtype=m.bool, requires_grad=True),
            dict(dtype=m.int8, low=3, high=3), dict(dtype=m.float32, low=5, high=1),
            dict(dtype=m.uint8, low=-5, high=-1), dict(dtype=m.float32, low=math.nan),
            dict(dtype=m.int16, high=-40000)]


@pytest.mark.parametrize("i", range(len(_make_errors(autodiff))))
def test_make_tensor_errors_match_torch(torch, i):
    expected = _outcome(torch.testing.make_tensor, (3,),
                        dict(device="cpu", **_make_errors(torch)[i]))
    assert expected[0] != "OK"
    assert _outcome(make_tensor, (3,), dict(device="cpu", **_make_errors(autodiff)[i])) == expected
