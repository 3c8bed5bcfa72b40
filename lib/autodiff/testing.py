"""Test helpers, as ``torch.testing``: :func:`assert_close` and :func:`make_tensor`.

``assert_close`` walks nested sequences and mappings in step and compares the leaves pairwise:
``None`` with ``None``, booleans, Python/numpy numbers, and tensor-likes (tensors, numpy arrays)
of directly related types, with tolerances that depend on the dtype.
"""
import cmath
import collections.abc
import math
import warnings

import numpy as np

from . import _dtype as D
from ._creation import as_tensor, empty
from ._sampling import randint
from .backend import xp_of
from .tensor import Tensor

__all__ = ["assert_close", "make_tensor"]

# (rtol, atol) by dtype; integers and bool compare exactly.
_PRECISIONS = {D.float16: (1e-3, 1e-5), D.float32: (1.3e-6, 1e-5), D.float64: (1e-7, 1e-7)}
_NUMBER_PRECISIONS = {int: (0.0, 0.0), float: (1e-7, 1e-7), complex: (1e-7, 1e-7)}


class _Failure(Exception):
    """A mismatch found while comparing: the exception type to raise, its message, and where."""

    def __init__(self, type, msg, id=()):
        super().__init__(msg)
        self.type, self.msg, self.id = type, msg, id

    def error(self, msg=None):
        if isinstance(msg, str):
            return self.type(msg)
        text = self.msg
        if self.id:
            text += "\n\nThe failure occurred for item " + "".join(str([k]) for k in self.id)
        return self.type(msg(text) if callable(msg) else text)


class _Unsupported(Exception):
    """This kind of pair cannot handle these inputs: try the next kind."""


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise an AssertionError unless ``actual`` and ``expected`` are close:
    ``|actual - expected| <= atol + rtol * |expected|`` elementwise, with equal shapes (and
    dtypes, devices, layouts, strides as the ``check_*`` flags ask). ``msg`` (a string, or a
    function of the generated message) replaces the message of a mismatch."""
    __tracebackhide__ = True
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                   check_device=check_device, check_dtype=check_dtype,
                   check_layout=check_layout, check_stride=check_stride)
    try:
        checks = _pairs(actual, expected, (), options)
    except _Failure as failure:
        raise failure.error() from None          # malformed inputs: msg does not apply
    for check in checks:
        try:
            check()
        except _Failure as failure:
            raise failure.error(msg) from None


def _is_sequence(x):
    return isinstance(x, collections.abc.Sequence) and not isinstance(x, str)


def _pairs(actual, expected, id, options):
    """One comparison (a callable) per pair of leaves; structural mismatches raise at once."""
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Failure(AssertionError, "The length of the sequences mismatch: "
                                           f"{len(actual)} != {len(expected)}", id)
        return [c for i, (a, e) in enumerate(zip(actual, expected))
                for c in _pairs(a, e, (*id, i), options)]
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected,
                                                                  collections.abc.Mapping):
        keys, other = set(actual.keys()), set(expected.keys())
        if keys != other:
            raise _Failure(AssertionError,
                           "The keys of the mappings do not match:\n"
                           f"Missing keys in the actual mapping: {sorted(other - keys)}\n"
                           f"Additional keys in the actual mapping: {sorted(keys - other)}", id)
        try:
            keys = sorted(keys)
        except TypeError:
            pass
        return [c for k in keys for c in _pairs(actual[k], expected[k], (*id, k), options)]
    for make in (_none_pair, _bool_pair, _number_pair, _tensor_pair):
        try:
            return [make(actual, expected, id, **options)]
        except _Unsupported:
            continue
    raise _Failure(TypeError, "No comparison pair was able to handle inputs of type "
                              f"{type(actual)} and {type(expected)}.", id)


def _none_pair(actual, expected, id, **_):
    if actual is not None and expected is not None:
        raise _Unsupported

    def check():
        if not (actual is None and expected is None):
            raise _Failure(AssertionError, f"None mismatch: {actual} is not {expected}", id)
    return check


def _bool_pair(actual, expected, id, **_):
    if not all(isinstance(x, (bool, np.bool_)) for x in (actual, expected)):
        raise _Unsupported
    a, e = bool(actual), bool(expected)

    def check():
        if a is not e:
            raise _Failure(AssertionError, f"Booleans mismatch: {a} is not {e}", id)
    return check


def _tolerances(precisions, rtol, atol, id):
    """The given tolerances (both or neither), else the loosest defaults of the inputs."""
    if (rtol is None) != (atol is None):
        raise _Failure(ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, "
                                   f"but got no {'rtol' if rtol is None else 'atol'}.", id)
    if rtol is not None:
        return rtol, atol
    return max(p[0] for p in precisions), max(p[1] for p in precisions)


def _number_pair(actual, expected, id, *, rtol, atol, equal_nan, check_dtype, **_):
    numbers = (int, float, complex, np.number)
    if not all(isinstance(x, numbers) for x in (actual, expected)):
        raise _Unsupported
    a, e = (x.item() if isinstance(x, np.number) else x for x in (actual, expected))
    rtol, atol = _tolerances([_NUMBER_PRECISIONS[complex if isinstance(x, complex) else
                                                  float if isinstance(x, float) else int]
                              for x in (a, e)], rtol, atol, id)

    def check():
        if check_dtype and type(a) is not type(e):
            raise _Failure(AssertionError,
                           f"The (d)types do not match: {type(a)} != {type(e)}.", id)
        if a == e or (equal_nan and cmath.isnan(a) and cmath.isnan(e)):
            return
        diff = abs(a - e)
        if cmath.isfinite(diff) and diff <= atol + rtol * abs(e):
            return
        raise _Failure(AssertionError, _scalar_message(a, e, rtol, atol), id)
    return check


def _tensor_pair(actual, expected, id, *, allow_subclasses, rtol, atol, equal_nan,
                 check_device, check_dtype, check_layout, check_stride):
    if not (isinstance(actual, type(expected)) or isinstance(expected, type(actual))):
        raise _Unsupported
    if not allow_subclasses and type(actual) is not type(expected):
        raise _Unsupported
    a, e = _to_tensor(actual), _to_tensor(expected)
    rtol, atol = _tolerances([_PRECISIONS.get(t.dtype, (0.0, 0.0)) for t in (a, e)],
                             rtol, atol, id)

    def fail(attribute, x, y):
        raise _Failure(AssertionError, f"The values for attribute '{attribute}' do not match: "
                                       f"{x} != {y}.", id)

    def check():
        nonlocal a, e
        if a.shape != e.shape:
            fail("shape", a.shape, e.shape)
        if a.layout != e.layout:
            if check_layout:
                fail("layout", a.layout, e.layout)
        elif check_stride and a.stride() != e.stride():
            fail("stride()", a.stride(), e.stride())
        if check_device and a.device != e.device:
            fail("device", a.device, e.device)
        if check_dtype and a.dtype != e.dtype:
            fail("dtype", a.dtype, e.dtype)
        if a.device != e.device:
            a, e = a.cpu(), e.cpu()
        if a.dtype != e.dtype:
            common = D.promote_types(a.dtype, e.dtype)
            a, e = a.to(common), e.to(common)
        _compare_values(a, e, rtol, atol, equal_nan, id)
    return check


def _to_tensor(x):
    if isinstance(x, Tensor):
        return x.detach()
    try:
        return as_tensor(x)
    except Exception:
        raise _Unsupported from None


def _isclose(a, e, rtol, atol, equal_nan):
    """torch.isclose on two arrays of one dtype (integers differ in int64, without wrapping)."""
    xp = xp_of(a)
    close = a == e
    if a.dtype.kind == "f":
        if equal_nan:
            close |= xp.isnan(a) & xp.isnan(e)
    elif a.dtype.kind != "b":
        a, e = a.astype(np.int64), e.astype(np.int64)
    if (rtol or atol) and a.dtype.kind != "b":
        diff = xp.abs(a - e)
        close |= xp.isfinite(diff) & (diff <= atol + rtol * xp.abs(e))
    return close


def _compare_values(a, e, rtol, atol, equal_nan, id):
    x, y = a._data, e._data
    with np.errstate(all="ignore"):
        matches = _isclose(x, y, rtol, atol, equal_nan)
        if bool(matches.all()):
            return
        if x.ndim == 0:
            msg = _scalar_message(x.item(), y.item(), rtol, atol)
        else:
            msg = _tensor_message(x, y, matches, rtol, atol)
    raise _Failure(AssertionError, msg, id)


def _scalar_message(actual, expected, rtol, atol):
    diff = abs(actual - expected)
    rel = float("inf") if expected == 0 else diff / abs(expected)
    return _message("Scalars", f"Expected {expected} but got {actual}.", rtol, atol,
                    ("Absolute difference", diff), ("Relative difference", rel))


def _tensor_message(x, y, matches, rtol, atol):
    """Counts of mismatches and the greatest differences among them, computed as torch does:
    in the tensors' dtype (integers and bool in int64, their ratio in the default dtype)."""
    xp, shape = xp_of(x), x.shape
    total, bad = matches.size, matches.size - int(matches.sum())
    x, y, matches = x.reshape(-1), y.reshape(-1), matches.reshape(-1)
    if x.dtype.kind != "f":
        x, y = x.astype(np.int64), y.astype(np.int64)
    diff = xp.abs(x - y)
    diff[matches] = 0
    if diff.dtype.kind == "f":
        rel = diff / xp.abs(y)
    else:
        ratio = D.get_default_dtype().np
        rel = diff.astype(ratio) / xp.abs(y).astype(ratio)
    rel[matches] = 0
    i, j = int(xp.argmax(diff)), int(xp.argmax(rel))

    def index(k):
        return tuple(int(n) for n in np.unravel_index(k, shape))
    return _message("Tensor-likes", f"Mismatched elements: {bad} / {total} ({bad / total:.1%})",
                    rtol, atol, ("Greatest absolute difference", diff[i].item(), index(i)),
                    ("Greatest relative difference", rel[j].item(), index(j)))


def _message(what, extra, rtol, atol, *diffs):
    equal = rtol == 0 and atol == 0
    lines = [f"{what} are not {'equal' if equal else 'close'}!", "", extra]
    for (label, value, *index), tol in zip(diffs, (atol, rtol)):
        line = f"{label}: {value}" + (f" at index {index[0]}" if index else "")
        lines.append(line if equal else f"{line} (up to {tol} allowed)")
    return "\n".join(lines)


# ---- make_tensor --------------------------------------------------------------------------------
_INTEGRAL = (D.uint8, D.int8, D.int16, D.int32, D.int64)


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False):
    """A tensor of random values drawn uniformly from ``[low, high)``: by default [-9, 9) for
    floats, [-9, 10) for signed integers (clamped to the dtype's range), {False, True} for bool.

    ``noncontiguous`` returns every other element of a tensor twice as wide; ``exclude_zero``
    replaces zeros by 1 (integers, bool) or the dtype's smallest normal number (floats).
    """
    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(shape)
    if dtype not in _INTEGRAL + (D.bool,) + tuple(_PRECISIONS):
        raise TypeError(f"The requested dtype '{dtype}' is not supported by "
                        "torch.testing.make_tensor(). To request support, file an issue at: "
                        "https://github.com/pytorch/pytorch/issues")
    if requires_grad and not dtype.is_floating_point:
        raise ValueError("`requires_grad=True` is not supported for boolean and integral dtypes, "
                         f"but got dtype={dtype}")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:
        shape = (*shape[:-1], 2 * shape[-1])    # twice as wide, so the kept values differ
    if dtype.is_floating_point:
        info = D.finfo(dtype)
        low, high = _bounds(low, high, dtype, info.min, info.max, -9, 9)
        result = empty(shape, dtype=dtype, device=device)
        if high - low >= info.max:              # the width itself would overflow: halve it
            result.uniform_(low / 2, high / 2).mul_(2)
        else:
            result.uniform_(low, high)
    else:
        if dtype is D.bool:
            lowest, highest = 0, 2
        else:                                   # (randint cannot reach int64's maximum)
            info = D.iinfo(dtype)
            lowest, highest = info.min, info.max + (dtype is not D.int64)
        low, high = _bounds(low, high, dtype, lowest, highest, *((0, 2) if dtype is D.bool
                                                                 else (-9, 10)))
        result = randint(low, high, shape, dtype=dtype, device=device)
    if noncontiguous:
        result = result[..., 1::2]              # offset by one to catch offset bugs too
    if exclude_zero:
        result[result == 0] = D.finfo(dtype).tiny if dtype.is_floating_point else 1
    if dtype.is_floating_point:
        result.requires_grad_(requires_grad)
    return result


def _bounds(low, high, dtype, lowest, highest, default_low, default_high):
    """``low`` and ``high`` checked and clamped to ``[lowest, highest)``; integers rounded up."""
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low == high and dtype.is_floating_point:
        warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or "
                      "complex types is deprecated since 2.1 and will be removed in 2.3. Use "
                      "`torch.full(...)` instead.", FutureWarning, stacklevel=3)
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest:
        raise ValueError(f"The value interval specified by `low` and `high` is [{low}, {high}), "
                         f"but {dtype} only supports [{lowest}, {highest})")
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    if dtype.is_floating_point:
        return low, high
    return math.ceil(low), math.ceil(high)
