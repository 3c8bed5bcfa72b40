"""Pooling (ops/pooling.py, ops/avg_pooling.py, nn/modules/pooling.py): gradcheck to second
order, parity with torch over grids of kernel/stride/padding/dilation/ceil_mode (values, indices,
gradients, grad_fn names), torch's errors, and the layers."""
import itertools

import numpy as np
import pytest

import autodiff
import autodiff.nn as nn
import autodiff.nn.functional as F
from _helpers import (OpSpec, assert_close, cpu_vs_simulated_cuda, run_gradcheck,
                      run_torch_parity, spec_params)
from _helpers import assert_raises, in_torch


def _f(m):
    return m.nn.functional


POOL = [
    OpSpec("max_pool2d", lambda m, x: _f(m).max_pool2d(x, 2), ((2, 2, 4, 6), "real")),
    OpSpec("max_pool2d_overlap", lambda m, x: _f(m).max_pool2d(x, 3, 2, 1, ceil_mode=True),
           ((1, 2, 6, 5), "real")),
    OpSpec("max_pool2d_dilated", lambda m, x: _f(m).max_pool2d(x, (2, 3), (1, 2), (1, 0), 2),
           ((1, 2, 5, 7), "real")),
    OpSpec("max_pool2d_unbatched", lambda m, x: _f(m).max_pool2d(x, 2, 1), ((2, 4, 3), "real")),
    OpSpec("max_pool1d", lambda m, x: _f(m).max_pool1d(x, 3, 2, 1), ((2, 3, 7), "real")),
    OpSpec("max_pool3d", lambda m, x: _f(m).max_pool3d(x, 2, 1, 1), ((1, 2, 3, 3, 2), "real")),
    OpSpec("avg_pool2d", lambda m, x: _f(m).avg_pool2d(x, 2), ((2, 2, 4, 6), "real")),
    OpSpec("avg_pool2d_pad_ceil", lambda m, x: _f(m).avg_pool2d(x, 3, 2, 1, True, False),
           ((1, 2, 6, 5), "real")),
    OpSpec("avg_pool2d_divisor", lambda m, x: _f(m).avg_pool2d(x, (2, 3), 1, (1, 0),
                                                               divisor_override=4),
           ((1, 2, 4, 5), "real")),
    OpSpec("avg_pool1d", lambda m, x: _f(m).avg_pool1d(x, 3, 2, 1, ceil_mode=True),
           ((2, 3, 8), "real")),
    OpSpec("avg_pool3d", lambda m, x: _f(m).avg_pool3d(x, 2, 1, 1), ((1, 2, 3, 3, 2), "real")),
    OpSpec("adaptive_avg_pool2d", lambda m, x: _f(m).adaptive_avg_pool2d(x, (3, 2)),
           ((2, 2, 7, 5), "real")),
    OpSpec("adaptive_avg_pool2d_global", lambda m, x: _f(m).adaptive_avg_pool2d(x, 1),
           ((2, 3, 4, 4), "real")),
    OpSpec("adaptive_avg_pool2d_up", lambda m, x: _f(m).adaptive_avg_pool2d(x, (5, None)),
           ((2, 3, 4), "real")),
    OpSpec("adaptive_avg_pool1d", lambda m, x: _f(m).adaptive_avg_pool1d(x, 4),
           ((2, 2, 7), "real")),
    OpSpec("adaptive_avg_pool3d", lambda m, x: _f(m).adaptive_avg_pool3d(x, (2, 3, 1)),
           ((1, 2, 3, 4, 3), "real")),
    OpSpec("adaptive_max_pool2d", lambda m, x: _f(m).adaptive_max_pool2d(x, (3, 2)),
           ((2, 2, 7, 5), "real")),
    OpSpec("adaptive_max_pool1d", lambda m, x: _f(m).adaptive_max_pool1d(x, 3),
           ((2, 2, 8), "real")),
    OpSpec("lp_pool2d", lambda m, x: _f(m).lp_pool2d(x, 2, 2), ((1, 2, 4, 4), "pos")),
    OpSpec("lp_pool1d", lambda m, x: _f(m).lp_pool1d(x, 3, 2), ((1, 2, 6), "pos")),
]


@pytest.mark.parametrize("spec", spec_params(POOL))
def test_gradcheck(spec):
    run_gradcheck(spec)


@pytest.mark.torch
@pytest.mark.parametrize("spec", spec_params(POOL))
def test_torch_parity(torch, spec):
    run_torch_parity(torch, spec)


def _parity(torch, name, x, **kwargs):
    """F.<name> in both libraries: values, indices, gradient and grad_fn name agree."""
    xa, xt = autodiff.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = getattr(F, name)(xa, **kwargs), getattr(torch.nn.functional, name)(xt, **kwargs)
    if kwargs.get("return_indices"):
        (out, idx), (tout, tidx) = out, tout
        assert idx.dtype == autodiff.int64
        np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    assert_close(out, tout, rtol=1e-12, atol=1e-12)
    assert out.grad_fn.name() == tout.grad_fn.name()
    g = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    out.backward(autodiff.tensor(g))
    tout.backward(torch.tensor(g))
    assert_close(xa.grad, xt.grad, rtol=1e-12, atol=1e-12)


MAX_GRID = [(k, s, p, d, c) for k, s, p, d, c in itertools.product(
    [2, 3], [1, 2, 3], [0, 1], [1, 2], [False, True]) if p <= ((k - 1) * d + 1) // 2]


@pytest.mark.torch
@pytest.mark.parametrize("kernel,stride,padding,dilation,ceil_mode", MAX_GRID)
def test_max_pool2d_grid(torch, kernel, stride, padding, dilation, ceil_mode):
    """Integer-valued inputs make ties: torch's first-maximum rule must hold as well."""
    x = np.random.default_rng(0).integers(-3, 4, (2, 2, 7, 6)).astype(np.float64)
    _parity(torch, "max_pool2d", x, kernel_size=kernel, stride=stride, padding=padding,
            dilation=dilation, ceil_mode=ceil_mode, return_indices=True)


@pytest.mark.torch
@pytest.mark.parametrize("kernel,stride,padding,ceil_mode,count_include_pad", [
    (k, s, p, c, i) for k, s, p, c, i in itertools.product([2, 3], [1, 2, 3], [0, 1],
                                                          [False, True], [False, True])
    if p <= k // 2])
def test_avg_pool2d_grid(torch, kernel, stride, padding, ceil_mode, count_include_pad):
    x = np.random.default_rng(0).standard_normal((2, 2, 7, 6))
    _parity(torch, "avg_pool2d", x, kernel_size=kernel, stride=stride, padding=padding,
            ceil_mode=ceil_mode, count_include_pad=count_include_pad)


@pytest.mark.torch
def test_1d_and_3d_grids(torch):
    rng = np.random.default_rng(0)
    for k, s, p, c in itertools.product([2, 3], [1, 2], [0, 1], [False, True]):
        x = rng.integers(-2, 3, (2, 3, 9)).astype(np.float64)
        _parity(torch, "max_pool1d", x, kernel_size=k, stride=s, padding=p, ceil_mode=c,
                return_indices=True)
        _parity(torch, "avg_pool1d", x, kernel_size=k, stride=s, padding=p, ceil_mode=c,
                count_include_pad=bool(s - 1))
    x = rng.integers(-2, 3, (1, 2, 5, 4, 5)).astype(np.float64)
    _parity(torch, "max_pool3d", x, kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=1,
            dilation=(2, 1, 1), ceil_mode=True, return_indices=True)
    _parity(torch, "avg_pool3d", x, kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=1,
            ceil_mode=True, count_include_pad=False)


@pytest.mark.torch
@pytest.mark.parametrize("size,out", [(7, 3), (5, 5), (4, 7), (6, 1), (9, 4)])
def test_adaptive_grid(torch, size, out):
    rng = np.random.default_rng(size * 10 + out)
    x = rng.integers(-3, 4, (2, 2, size, size + 1)).astype(np.float64)
    _parity(torch, "adaptive_max_pool2d", x, output_size=(out, out + 1), return_indices=True)
    _parity(torch, "adaptive_avg_pool2d", x, output_size=(out, out + 1))
    _parity(torch, "adaptive_max_pool1d", x[0], output_size=out, return_indices=True)
    _parity(torch, "adaptive_avg_pool1d", x[0], output_size=out)


@pytest.mark.torch
def test_max_pool_nan_and_inf_follow_torch(torch):
    x = np.array([[[[1.0, np.nan, 3.0, -np.inf], [2.0, 0.5, -np.inf, -np.inf]]]])
    for kwargs in (dict(kernel_size=2), dict(kernel_size=2, stride=1, padding=1)):
        ours, oi = F.max_pool2d(autodiff.tensor(x), return_indices=True, **kwargs)
        theirs, ti = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True,
                                                     **kwargs)
        assert_close(ours, theirs)
        np.testing.assert_array_equal(oi.numpy(), ti.numpy())


@pytest.mark.torch
def test_max_unpool(torch):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 6))
    out, idx = F.max_pool2d(autodiff.tensor(x), 2, return_indices=True)
    tout, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    y = out.detach().requires_grad_()
    up = F.max_unpool2d(y, idx, 2)
    tup = torch.nn.functional.max_unpool2d(tout, tidx, 2)
    assert_close(up, tup)
    assert up.grad_fn.name() == "MaxUnpool2DBackward0"
    assert F.max_unpool2d(y, idx, 2, output_size=(5, 7)).shape == (2, 3, 5, 7)
    assert autodiff.autograd.gradcheck(lambda t: F.max_unpool2d(t, idx, 2), [y])
    o1, i1 = F.max_pool1d(autodiff.tensor(x[0], requires_grad=True), 2, return_indices=True)
    t1, ti1 = torch.nn.functional.max_pool1d(torch.tensor(x[0], requires_grad=True), 2,
                                              return_indices=True)
    up1 = F.max_unpool1d(o1, i1, 2, output_size=[7])
    tup1 = torch.nn.functional.max_unpool1d(t1, ti1, 2, output_size=[7])
    assert_close(up1, tup1)
    assert up1.grad_fn.name() == tup1.grad_fn.name() == "SqueezeBackward1"
    with pytest.raises(ValueError, match='invalid output_size "\\[9\\]" \\(dim 0 must be '
                                         'between 4 and 8\\)'):
        F.max_unpool1d(o1, i1, 2, output_size=[9])
    with pytest.raises(RuntimeError, match="Found an invalid max index: 24"):
        F.max_unpool2d(y, idx * 0 + 24, 2)


def test_integer_input():
    x = autodiff.arange(16).reshape(1, 1, 4, 4)
    assert F.max_pool2d(x, 2).tolist() == [[[[5, 7], [13, 15]]]]
    assert F.avg_pool2d(x, 2).dtype == autodiff.int64


def test_float32_and_device(device):
    x = autodiff.randn(2, 3, 8, 8, device=device, requires_grad=True)
    for y in (F.max_pool2d(x, 2), F.avg_pool2d(x, 3, 1, 1), F.adaptive_avg_pool2d(x, 3),
              F.adaptive_max_pool2d(x, 3)):
        assert y.dtype == autodiff.float32 and y.device == x.device
        y.sum().backward()
    assert x.grad.dtype == autodiff.float32


ERRORS = [
    (lambda: F.max_pool2d(autodiff.randn(1, 3, 4, 4), 5), RuntimeError,
     "Given input size: (3x4x4). Calculated output size: (3x0x0). Output size is too small"),
    (lambda: F.max_pool2d(autodiff.randn(1, 3, 4, 4), 2, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and "
     "dilation=1"),
    (lambda: F.max_pool2d(autodiff.randn(3, 4), 2), RuntimeError,
     "non-empty 3D or 4D (batch mode) tensor expected for input"),
    (lambda: F.max_pool2d(autodiff.randn(1, 3, 4, 4), 2, stride=0), RuntimeError,
     "stride should not be zero"),
    (lambda: F.max_pool2d(autodiff.randn(1, 3, 4, 4), 2, stride=-1), RuntimeError,
     "stride should be greater than zero, but got dH: -1 dW: -1"),
    (lambda: F.max_pool2d(autodiff.randn(1, 3, 4, 4), 2, dilation=0), RuntimeError,
     "dilation should be greater than zero, but got dilationH: 0 dilationW: 0"),
    (lambda: F.max_pool2d(autodiff.randn(1, 3, 4, 4), 3, padding=-1), RuntimeError,
     "pad must be non-negative, but got pad: -1"),
    (lambda: F.max_pool2d(autodiff.randn(1, 3, 6, 6), (2, 2, 2)), RuntimeError,
     "max_pool2d: kernel_size must either be a single int, or a tuple of two ints"),
    (lambda: F.max_pool2d(autodiff.randn(1, 3, 6, 6), 2, stride=(1, 1, 1)), RuntimeError,
     "max_pool2d: stride must either be omitted, a single int, or a tuple of two ints"),
    (lambda: F.max_pool3d(autodiff.randn(4, 4), 2), RuntimeError,
     "non-empty 4D or 5D (batch mode) tensor expected for input"),
    (lambda: F.max_pool1d(autodiff.randn(4), 2), RuntimeError,
     "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
     "input, but got:[4]"),
    (lambda: F.avg_pool2d(autodiff.randn(1, 3, 4, 4), 5), RuntimeError,
     "Given input size: (3x4x4). Calculated output size: (3x0x0). Output size is too small"),
    (lambda: F.avg_pool2d(autodiff.randn(1, 3, 4, 4), 2, divisor_override=0), RuntimeError,
     "divisor must be not zero"),
    (lambda: F.avg_pool2d(autodiff.randn(3, 4), 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    (lambda: F.avg_pool1d(autodiff.randn(1, 3, 4), 5), RuntimeError,
     "Given input size: (3x1x4). Calculated output size: (3x1x0). Output size is too small"),
    (lambda: F.avg_pool1d(autodiff.randn(4), 2), RuntimeError,
     "Expected 2 to 3 dimensions, but got 1-dimensional tensor for argument #1 'self' (while "
     "checking arguments for avg_pool1d)"),
    (lambda: F.avg_pool1d(autodiff.randn(1, 3, 6), (2, 2)), RuntimeError,
     "avg_pool1d() argument 'kernel_size' should contain one int (got 2)"),
    (lambda: F.adaptive_avg_pool2d(autodiff.randn(4), 2), RuntimeError,
     "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [4]"),
    (lambda: F.adaptive_avg_pool2d(autodiff.randn(1, 3, 4, 4), (2,)), RuntimeError,
     "adaptive_avg_pool2d: output_size must be 2"),
    (lambda: F.adaptive_avg_pool2d(autodiff.randn(3, 5, 5), -1), RuntimeError,
     "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
     "received {-1, -1}"),
    (lambda: F.adaptive_max_pool2d(autodiff.randn(4), 2), RuntimeError,
     "adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: [4]"),
    (lambda: F.adaptive_max_pool2d(autodiff.randn(1, 3, 4, 4), (2, 2, 2)), RuntimeError,
     "adaptive_max_pool2d(): internal error: output_size.size() must be 2"),
    (lambda: F.adaptive_avg_pool1d(autodiff.randn(1, 3, 4, 4), 2), RuntimeError,
     "Expected 2 to 3 dimensions, but got 4-dimensional tensor for argument #1 'self' (while "
     "checking arguments for adaptive_avg_pool1d)"),
    (lambda: F.adaptive_max_pool1d(autodiff.randn(1, 3, 4), (2, 2)), RuntimeError,
     "adaptive_max_pool1d() argument 'output_size' should contain one int (got 2)"),
]


@pytest.mark.parametrize("fn,exc,message", ERRORS)
def test_errors(fn, exc, message):
    assert_raises(fn, exc, message)


@pytest.mark.torch
@pytest.mark.parametrize("fn,exc,message", ERRORS)
def test_errors_are_torchs(torch, fn, exc, message):
    """The same call in torch raises the same exception with the same message."""
    assert_raises(in_torch(fn, torch), exc, message)


# ---- layers ----------------------------------------------------------------------------------
LAYERS = [
    ("MaxPool1d", (3,), dict(stride=1, padding=1, dilation=2), (2, 3, 8)),
    ("MaxPool2d", (2,), dict(), (2, 3, 6, 6)),
    ("MaxPool2d", (3, 2, 1), dict(ceil_mode=True), (3, 7, 7)),
    ("MaxPool3d", (2,), dict(stride=1), (1, 2, 3, 3, 3)),
    ("AvgPool1d", (3, 2, 1), dict(), (2, 3, 8)),
    ("AvgPool2d", (3, 1, 1), dict(ceil_mode=True, count_include_pad=False, divisor_override=2),
     (2, 3, 5, 5)),
    ("AvgPool3d", (2,), dict(), (1, 2, 4, 4, 4)),
    ("AdaptiveMaxPool1d", (5,), dict(), (2, 3, 8)),
    ("AdaptiveMaxPool2d", ((3, 4),), dict(), (2, 3, 7, 9)),
    ("AdaptiveAvgPool1d", (5,), dict(), (2, 3, 8)),
    ("AdaptiveAvgPool2d", ((1, 1),), dict(), (2, 3, 5, 5)),
    ("AdaptiveAvgPool2d", ((None, 7),), dict(), (2, 3, 5, 9)),
    ("AdaptiveAvgPool3d", (2,), dict(), (1, 2, 3, 4, 5)),
    ("LPPool2d", (2, 3), dict(stride=1), (1, 2, 5, 5)),
    ("LPPool1d", (1.5, 2), dict(), (1, 2, 6)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name,args,kwargs,shape", LAYERS)
def test_layer_parity(torch, name, args, kwargs, shape):
    tmod, mod = getattr(torch.nn, name)(*args, **kwargs), getattr(nn, name)(*args, **kwargs)
    assert repr(mod) == repr(tmod)
    assert list(mod.state_dict()) == list(tmod.state_dict()) == []
    x = np.abs(np.random.default_rng(0).standard_normal(shape)) + 0.1
    xa, xt = autodiff.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = mod(xa), tmod(xt)
    assert_close(out, tout, rtol=1e-12, atol=1e-12)
    assert out.grad_fn.name() == tout.grad_fn.name()
    out.sum().backward()
    tout.sum().backward()
    assert_close(xa.grad, xt.grad, rtol=1e-12, atol=1e-12)


@pytest.mark.torch
def test_layer_reprs_and_indices(torch):
    pairs = [(nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
             (nn.MaxPool2d((2, 3), return_indices=True), torch.nn.MaxPool2d((2, 3),
                                                                            return_indices=True)),
             (nn.AvgPool1d(2), torch.nn.AvgPool1d(2)),
             (nn.AdaptiveMaxPool2d(3, True), torch.nn.AdaptiveMaxPool2d(3, True)),
             (nn.MaxUnpool2d(2), torch.nn.MaxUnpool2d(2)),
             (nn.MaxUnpool1d(3, 2, 1), torch.nn.MaxUnpool1d(3, 2, 1))]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
    assert repr(nn.MaxPool2d(2)) == ("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, "
                                     "ceil_mode=False)")
    out, idx = nn.MaxPool2d(2, return_indices=True)(autodiff.randn(1, 1, 4, 4))
    assert out.shape == idx.shape == (1, 1, 2, 2)
    assert nn.MaxUnpool2d(2)(out, idx).shape == (1, 1, 4, 4)



@pytest.mark.parametrize("fn,shape", [
    (lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), (2, 3, 7, 6)),
    (lambda x: F.max_pool3d(x, 2), (1, 2, 4, 4, 4)),
    (lambda x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2), (2, 3, 6, 6)),
    (lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 3, 7, 6)),
    (lambda x: F.adaptive_avg_pool2d(x, (3, 2)), (2, 3, 7, 6)),
    (lambda x: F.adaptive_max_pool2d(x, (3, 2)), (2, 3, 7, 6)),
    (lambda x: F.lp_pool2d(x.abs() + 0.1, 2, 2), (2, 3, 4, 4)),
])
def test_simulated_cuda(fn, shape):
    cpu_vs_simulated_cuda(fn, shape)
