"""Resampling and rearranging (ops/sampling.py, ops/padding.py, ops/fold.py and their layers):
interpolate in every mode against torch over grids of sizes, scale factors and align_corners;
pad in every mode (negative amounts crop); unfold/fold; pixel_shuffle; gradcheck to second order;
torch's errors; the layers' reprs and outputs."""
import itertools
import warnings

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


OPS = [
    OpSpec("nearest", lambda m, x: _f(m).interpolate(x, scale_factor=2), ((1, 2, 3, 2), "real")),
    OpSpec("nearest_size", lambda m, x: _f(m).interpolate(x, size=(5, 3)),
           ((1, 2, 3, 4), "real")),
    OpSpec("nearest_exact", lambda m, x: _f(m).interpolate(x, scale_factor=1.7,
                                                           mode="nearest-exact"),
           ((1, 2, 3, 4), "real")),
    OpSpec("nearest1d", lambda m, x: _f(m).interpolate(x, size=7), ((2, 2, 4), "real")),
    OpSpec("nearest3d", lambda m, x: _f(m).interpolate(x, scale_factor=(1, 2, 1.5)),
           ((1, 1, 2, 2, 3), "real")),
    OpSpec("linear", lambda m, x: _f(m).interpolate(x, size=7, mode="linear"),
           ((2, 2, 4), "real")),
    OpSpec("bilinear", lambda m, x: _f(m).interpolate(x, scale_factor=2, mode="bilinear"),
           ((1, 2, 3, 3), "real")),
    OpSpec("bilinear_align", lambda m, x: _f(m).interpolate(x, size=(5, 2), mode="bilinear",
                                                            align_corners=True),
           ((1, 2, 3, 4), "real")),
    OpSpec("bilinear_down", lambda m, x: _f(m).interpolate(x, scale_factor=0.6, mode="bilinear"),
           ((1, 2, 5, 6), "real")),
    OpSpec("bicubic", lambda m, x: _f(m).interpolate(x, scale_factor=1.5, mode="bicubic"),
           ((1, 1, 4, 3), "real")),
    OpSpec("bicubic_align", lambda m, x: _f(m).interpolate(x, size=(3, 5), mode="bicubic",
                                                           align_corners=True),
           ((1, 2, 4, 3), "real")),
    OpSpec("trilinear", lambda m, x: _f(m).interpolate(x, size=(3, 2, 4), mode="trilinear"),
           ((1, 1, 2, 3, 2), "real")),
    OpSpec("area", lambda m, x: _f(m).interpolate(x, size=(2, 3), mode="area"),
           ((1, 2, 5, 7), "real")),
    OpSpec("pad_constant", lambda m, x: _f(m).pad(x, (1, 2, 0, 1), value=1.5),
           ((2, 3, 4), "real")),
    OpSpec("pad_crop", lambda m, x: _f(m).pad(x, (-1, 2, 1, -2)), ((2, 3, 5, 4), "real")),
    OpSpec("pad_reflect", lambda m, x: _f(m).pad(x, (2, 1, 1, 3), mode="reflect"),
           ((1, 2, 4, 5), "real")),
    OpSpec("pad_reflect1d", lambda m, x: _f(m).pad(x, (3, 1), mode="reflect"),
           ((2, 5), "real")),
    OpSpec("pad_replicate", lambda m, x: _f(m).pad(x, (2, 0, 1, 3), mode="replicate"),
           ((1, 2, 3, 3), "real")),
    OpSpec("pad_replicate3d", lambda m, x: _f(m).pad(x, (1, 1, 0, 2, 1, 0),
                                                     mode="replicate"),
           ((1, 1, 2, 3, 2), "real")),
    OpSpec("pad_circular", lambda m, x: _f(m).pad(x, (3, 1, 2, -1), mode="circular"),
           ((1, 2, 3, 4), "real"), name=False),      # torch's node: torch::autograd::CopySlices
    OpSpec("unfold", lambda m, x: _f(m).unfold(x, (2, 3), dilation=(1, 2), padding=1,
                                               stride=(2, 1)),
           ((2, 2, 5, 6), "real")),
    OpSpec("fold", lambda m, x: _f(m).fold(x, (4, 5), 2, padding=1, stride=(2, 1)),
           ((2, 8, 18), "real")),
    OpSpec("pixel_shuffle", lambda m, x: _f(m).pixel_shuffle(x, 2), ((1, 8, 2, 3), "real")),
    OpSpec("pixel_unshuffle", lambda m, x: _f(m).pixel_unshuffle(x, 2), ((2, 1, 4, 2), "real")),
]


@pytest.mark.parametrize("spec", spec_params(OPS))
def test_gradcheck(spec):
    run_gradcheck(spec)


@pytest.mark.torch
@pytest.mark.parametrize("spec", spec_params(OPS))
def test_torch_parity(torch, spec):
    run_torch_parity(torch, spec)


def _parity(torch, fn, x, tol):
    """fn(module, tensor) in both libraries: same values, gradient, grad_fn name (or the same
    exception with the same message)."""
    xa = autodiff.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    try:
        tout = fn(torch, xt)
    except Exception as exc:                      # noqa: BLE001  (compare with ours below)
        with pytest.raises(type(exc)) as info:
            fn(autodiff, xa)
        assert str(info.value) == str(exc)
        return
    out = fn(autodiff, xa)
    assert_close(out, tout, rtol=tol, atol=tol)
    assert out.grad_fn.name() == tout.grad_fn.name()
    g = np.random.default_rng(1).standard_normal(tuple(tout.shape)).astype(x.dtype)
    out.backward(autodiff.tensor(g))
    tout.backward(torch.tensor(g))
    assert_close(xa.grad, xt.grad, rtol=10 * tol, atol=10 * tol)


INTERP = [(mode, shape, size, scale, corners, recompute)
          for mode, shape in [("nearest", (2, 2, 5)), ("nearest", (1, 2, 5, 4)),
                              ("nearest", (1, 1, 3, 5, 4)), ("nearest-exact", (1, 2, 5, 4)),
                              ("linear", (2, 2, 5)), ("bilinear", (1, 2, 5, 4)),
                              ("bicubic", (1, 2, 5, 4)), ("trilinear", (1, 1, 3, 5, 4)),
                              ("area", (1, 2, 7, 6))]
          for size, scale in [(3, None), (7, None), (10, None), (None, 2), (None, 0.5),
                              (None, 1.7), (None, 3), (None, 0.3)]
          for corners in ([None] if mode in ("nearest", "nearest-exact", "area")
                          else [False, True])
          for recompute in ([None] if size else [None, True])]


@pytest.mark.torch
@pytest.mark.parametrize("mode,shape,size,scale,corners,recompute", INTERP)
def test_interpolate_grid(torch, mode, shape, size, scale, corners, recompute):
    fn = lambda m, x: _f(m).interpolate(x, size, scale, mode, corners, recompute)
    x = np.random.default_rng(0).standard_normal(shape)
    _parity(torch, fn, x, 1e-12)
    _parity(torch, fn, x.astype(np.float32), 2e-6)        # float32 source indices, like torch


PADS = [(mode, shape, pad) for mode in ("constant", "reflect", "replicate", "circular")
        for shape, pad in [((2, 3, 5), (1, 2)), ((3, 5), (2, -1)), ((2, 3, 5, 4), (1, 2, 0, 3)),
                           ((3, 5, 4), (-1, 2, 3, -2)), ((1, 2, 3, 5, 4), (1, 2, 0, 1, 2, 1)),
                           ((2, 3, 4), (2, 2, 1, 1, 1, 1)), ((3, 4), (-1, -2))]
        if mode == "constant" or len(shape) - len(pad) // 2 in (1, 2)]


@pytest.mark.torch
@pytest.mark.parametrize("mode,shape,pad", PADS)
def test_pad_grid(torch, mode, shape, pad):
    x = np.random.default_rng(0).standard_normal(shape)
    xa, xt = autodiff.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = F.pad(xa, pad, mode), torch.nn.functional.pad(xt, pad, mode)
    assert_close(out, tout)
    g = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    out.backward(autodiff.tensor(g))
    tout.backward(torch.tensor(g))
    assert_close(xa.grad, xt.grad, rtol=1e-12, atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("kernel,dilation,padding,stride", list(itertools.product(
    [2, (3, 2)], [1, (2, 1)], [0, 1], [1, (2, 3)])))
def test_unfold_fold_grid(torch, kernel, dilation, padding, stride):
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 7))
    _parity(torch, lambda m, t: _f(m).unfold(t, kernel, dilation, padding, stride), x, 1e-12)
    cols = _f(torch).unfold(torch.tensor(x), kernel, dilation, padding, stride).numpy()
    _parity(torch, lambda m, t: _f(m).fold(t, (6, 7), kernel, dilation, padding, stride), cols,
            1e-12)


def test_fold_is_the_adjoint_of_unfold():
    rng = np.random.default_rng(0)
    x = autodiff.tensor(rng.standard_normal((1, 2, 5, 5)))
    c = autodiff.tensor(rng.standard_normal((1, 2 * 4, 9)))
    lhs = (F.unfold(x, 2, padding=1, stride=2) * c).sum()
    rhs = (x * F.fold(c, (5, 5), 2, padding=1, stride=2)).sum()
    assert abs(lhs.item() - rhs.item()) < 1e-12


def test_interpolate_values_by_hand():
    x = autodiff.tensor([[[1.0, 2.0, 4.0]]])
    assert F.interpolate(x, size=5, mode="linear", align_corners=True).tolist() == \
        [[[1.0, 1.5, 2.0, 3.0, 4.0]]]
    assert F.interpolate(x, scale_factor=2).tolist() == [[[1.0, 1.0, 2.0, 2.0, 4.0, 4.0]]]
    assert F.pad(x, (2, 1), mode="reflect").tolist() == [[[4.0, 2.0, 1.0, 2.0, 4.0, 2.0]]]
    assert F.pad(x, (2, 1), mode="circular").tolist() == [[[2.0, 4.0, 1.0, 2.0, 4.0, 1.0]]]


def test_device_and_dtype(device):
    x = autodiff.randn(1, 2, 4, 4, device=device, requires_grad=True)
    for y in (F.interpolate(x, scale_factor=2, mode="bilinear"), F.pad(x, (1, 1, 1, 1), "reflect"),
              F.unfold(x, 2), F.pixel_shuffle(x.repeat(1, 2, 1, 1), 2) if hasattr(x, "repeat")
              else F.pixel_unshuffle(x, 2)):
        assert y.dtype == autodiff.float32 and y.device == x.device
        y.sum().backward()
    assert x.grad.dtype == autodiff.float32


ERRORS = [
    (lambda: F.interpolate(autodiff.randn(1, 3, 4, 4), scale_factor=2, mode="linear"),
     NotImplementedError, "Got 4D input, but linear mode needs 3D input"),
    (lambda: F.interpolate(autodiff.randn(1, 3, 4, 4), scale_factor=2, mode="foo"),
     NotImplementedError, "Input Error: Only 3D, 4D and 5D input Tensors supported (got 4D)"),
    (lambda: F.interpolate(autodiff.randn(1, 3, 4, 4), scale_factor=2, align_corners=True),
     ValueError, "align_corners option can only be set with the interpolating modes: linear | "
     "bilinear | bicubic | trilinear"),
    (lambda: F.interpolate(autodiff.randn(1, 3, 4, 4)), ValueError,
     "either size or scale_factor should be defined"),
    (lambda: F.interpolate(autodiff.randn(1, 3, 4, 4), size=3, scale_factor=2), ValueError,
     "only one of size or scale_factor should be defined"),
    (lambda: F.interpolate(autodiff.randn(1, 3, 4, 4), size=(3, 3, 3)), ValueError,
     "Input and output must have the same number of spatial dimensions, but got input with "
     "spatial dimensions of [4, 4] and output size of (3, 3, 3)."),
    (lambda: F.interpolate(autodiff.randn(1, 1, 4), size=3, recompute_scale_factor=True),
     ValueError, "recompute_scale_factor is not meaningful with an explicit size."),
    (lambda: F.interpolate(autodiff.randn(1, 1, 4), scale_factor=0.1), RuntimeError,
     "Input and output sizes should be greater than 0, but got input (W: 4) and output (W: 0)"),
    (lambda: F.pad(autodiff.randn(1, 3, 4, 4), (1, 1, 1)), RuntimeError,
     "Padding length must be divisible by 2"),
    (lambda: F.pad(autodiff.randn(1, 3, 4, 4), (5, 5), mode="reflect"), NotImplementedError,
     "Padding size 2 is not supported for 4D input tensor."),
    (lambda: F.pad(autodiff.randn(1, 3, 4, 4), (4, 4, 4, 4), mode="reflect"), RuntimeError,
     "Argument #4: Padding size should be less than the corresponding input dimension, but got: "
     "padding (4, 4) at dimension 3 of input [1, 3, 4, 4]"),
    (lambda: F.pad(autodiff.randn(1, 3, 4, 4), (5, 5, 1, 1), mode="circular"), RuntimeError,
     "Padding value causes wrapping around more than once."),
    (lambda: F.pad(autodiff.randn(1, 3, 4, 4), (1, 1), mode="reflect", value=2.0), RuntimeError,
     'Padding mode "reflect" doesn\'t take in value argument'),
    (lambda: F.pad(autodiff.randn(1, 3, 4, 4), (1, 1, 1, 1), mode="foo"), NotImplementedError,
     "Unrecognised padding mode foo"),
    (lambda: F.pad(autodiff.randn(1, 3, 4, 4), (1,) * 10), RuntimeError,
     "Padding length should be less than or equal to two times the input dimension but got "
     "padding length 10 and input of dimension 4"),
    (lambda: F.unfold(autodiff.randn(1, 3, 4, 4), 5), RuntimeError,
     "Given input with spatial size (4, 4), kernel_size=(5, 5), dilation=(1, 1), padding=(0, 0), "
     "calculated shape of the array of sliding blocks as (0, 0), but its components must be at "
     "least one."),
    (lambda: F.unfold(autodiff.randn(1, 3, 4, 4), (2, 2, 2)), RuntimeError,
     "It is expected kernel_size equals to 2, but got size 3"),
    (lambda: F.unfold(autodiff.randn(1, 3, 4, 4), 2, stride=0), RuntimeError,
     "stride should be greater than zero, but got stride_height: 0 stride_width: 0"),
    (lambda: F.fold(autodiff.randn(1, 13, 9), (4, 4), 2), RuntimeError,
     "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
     "got input.size(1)=13 and kernel_size=(2, 2)."),
    (lambda: F.fold(autodiff.randn(1, 12, 8), (4, 4), 2), RuntimeError,
     "Given output_size=(4, 4), kernel_size=(2, 2), dilation=(1, 1), padding=(0, 0), "
     "stride=(1, 1), expected size of input's dimension 2 to match the calculated number of "
     "sliding blocks 3 * 3 = 9, but got input.size(2)=8."),
    (lambda: F.fold(autodiff.randn(12), (4, 4), 2), RuntimeError,
     "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
     "dimensions for input, but got: [12]"),
    (lambda: F.pixel_shuffle(autodiff.randn(5, 4, 4), 2), RuntimeError,
     "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
     "upscale_factor, but input.size(-3)=5 is not divisible by 4"),
    (lambda: F.pixel_unshuffle(autodiff.randn(5, 4, 5), 2), RuntimeError,
     "pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)=5 is "
     "not divisible by 2"),
]


@pytest.mark.parametrize("fn,exc,message", ERRORS)
def test_errors(fn, exc, message):
    assert_raises(fn, exc, message)


@pytest.mark.torch
@pytest.mark.parametrize("fn,exc,message", ERRORS)
def test_errors_are_torchs(torch, fn, exc, message):
    """The same call in torch raises the same exception with the same message."""
    assert_raises(in_torch(fn, torch), exc, message)


def test_deprecated_upsample_warns():
    with pytest.warns(UserWarning, match="`nn.functional.upsample_bilinear` is deprecated"):
        y = F.upsample_bilinear(autodiff.randn(1, 1, 2, 2), scale_factor=2)
    assert y.shape == (1, 1, 4, 4)


# ---- layers ----------------------------------------------------------------------------------
LAYERS = [
    ("Upsample", dict(scale_factor=2), (1, 2, 3, 3)),
    ("Upsample", dict(size=(4, 5), mode="bilinear", align_corners=True), (1, 2, 3, 3)),
    ("Upsample", dict(scale_factor=(2, 3)), (1, 2, 3, 3)),
    ("Upsample", dict(scale_factor=1.5, mode="bicubic"), (1, 2, 4, 4)),
    ("Upsample", dict(size=5, mode="linear"), (2, 2, 3)),
    ("UpsamplingNearest2d", dict(scale_factor=2), (1, 2, 3, 3)),
    ("UpsamplingBilinear2d", dict(size=(3, 4)), (1, 2, 5, 5)),
    ("ZeroPad1d", dict(padding=2), (2, 3, 4)),
    ("ZeroPad2d", dict(padding=(1, 2, 3, 4)), (1, 2, 3, 3)),
    ("ZeroPad3d", dict(padding=1), (1, 2, 2, 2, 2)),
    ("ConstantPad1d", dict(padding=2, value=3.5), (2, 3, 4)),
    ("ConstantPad2d", dict(padding=(1, 0, 2, 1), value=-1.0), (2, 3, 3)),
    ("ConstantPad3d", dict(padding=(1, 1, 0, 0, 2, 0), value=0.5), (1, 1, 2, 2, 2)),
    ("ReflectionPad1d", dict(padding=(1, 2)), (2, 3, 4)),
    ("ReflectionPad2d", dict(padding=1), (1, 2, 3, 3)),
    ("ReflectionPad3d", dict(padding=1), (1, 1, 2, 3, 2)),
    ("ReplicationPad1d", dict(padding=2), (2, 3, 4)),
    ("ReplicationPad2d", dict(padding=(1, 1, 2, 2)), (2, 3, 3)),
    ("ReplicationPad3d", dict(padding=1), (1, 1, 2, 2, 2)),
    ("CircularPad1d", dict(padding=1), (2, 3, 4)),
    ("CircularPad2d", dict(padding=(1, 2, 0, 1)), (1, 2, 3, 3)),
    ("CircularPad3d", dict(padding=1), (1, 1, 2, 2, 2)),
    ("Unfold", dict(kernel_size=(2, 3), dilation=2, padding=1, stride=(1, 2)), (2, 2, 5, 6)),
    ("Fold", dict(output_size=(4, 5), kernel_size=2), (2, 8, 12)),
    ("PixelShuffle", dict(upscale_factor=2), (1, 8, 2, 3)),
    ("PixelUnshuffle", dict(downscale_factor=2), (1, 2, 4, 6)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name,kwargs,shape", LAYERS)
def test_layer_parity(torch, name, kwargs, shape):
    tmod, mod = getattr(torch.nn, name)(**kwargs), getattr(nn, name)(**kwargs)
    assert repr(mod) == repr(tmod)
    assert list(mod.state_dict()) == []
    x = np.random.default_rng(0).standard_normal(shape)
    xa, xt = autodiff.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, tout = mod(xa), tmod(xt)
    assert_close(out, tout, rtol=1e-12, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    out.backward(autodiff.tensor(g))
    tout.backward(torch.tensor(g))
    assert_close(xa.grad, xt.grad, rtol=1e-12, atol=1e-12)


def test_layer_reprs():
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.ZeroPad2d(2)) == "ZeroPad2d((2, 2, 2, 2))"
    assert repr(nn.ConstantPad1d(2, 3.5)) == "ConstantPad1d(padding=(2, 2), value=3.5)"
    assert repr(nn.Fold((4, 5), 2)) == ("Fold(output_size=(4, 5), kernel_size=2, dilation=1, "
                                        "padding=0, stride=1)")
    with pytest.raises(ValueError, match="expected 3D or 4D input \\(got 2D input\\)"):
        nn.CircularPad2d(1)(autodiff.randn(3, 3))



@pytest.mark.parametrize("fn,shape", [
    (lambda x: F.interpolate(x, scale_factor=2), (2, 3, 4, 4)),
    (lambda x: F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=True), (2, 3, 4, 4)),
    (lambda x: F.interpolate(x, scale_factor=1.5, mode="bicubic"), (2, 3, 4, 4)),
    (lambda x: F.pad(x, (1, -1, 2, 0), value=2.0), (2, 3, 4, 4)),
    (lambda x: F.pad(x, (1, 2, 2, 1), mode="reflect"), (2, 3, 4, 4)),
    (lambda x: F.pad(x, (1, 2, 2, 1), mode="circular"), (2, 3, 4, 4)),
    (lambda x: F.unfold(x, 2, padding=1), (2, 3, 4, 4)),
    (lambda x: F.fold(x, (4, 4), 2), (2, 12, 9)),
    (lambda x: F.pixel_shuffle(x, 2), (2, 8, 3, 3)),
])
def test_simulated_cuda(fn, shape):
    cpu_vs_simulated_cuda(fn, shape)
