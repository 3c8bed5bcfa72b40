"""Convolutions (ops/conv.py, nn/modules/conv.py): gradcheck to second order in float64, parity
with torch (values, gradients, grad_fn names) over grids of stride/padding/dilation/groups,
torch's error messages, and the layers (parameters, init, state_dict, repr, outputs)."""
import itertools
import math

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


CONV = [
    OpSpec("conv1d", lambda m, x, w, b: _f(m).conv1d(x, w, b), ((2, 3, 6), "real"),
           ((4, 3, 3), "real"), ((4,), "real")),
    OpSpec("conv1d_stride_pad_dil", lambda m, x, w: _f(m).conv1d(x, w, None, 2, 2, 2),
           ((1, 2, 9), "real"), ((3, 2, 3), "real")),
    OpSpec("conv1d_same_even", lambda m, x, w: _f(m).conv1d(x, w, padding="same"),
           ((1, 2, 6), "real"), ((3, 2, 4), "real")),
    OpSpec("conv1d_unbatched", lambda m, x, w: _f(m).conv1d(x, w), ((2, 6), "real"),
           ((3, 2, 3), "real")),
    OpSpec("conv2d", lambda m, x, w, b: _f(m).conv2d(x, w, b, padding=1), ((2, 2, 5, 4), "real"),
           ((3, 2, 3, 3), "real"), ((3,), "real")),
    OpSpec("conv2d_stride_dil_groups",
           lambda m, x, w, b: _f(m).conv2d(x, w, b, (2, 1), (1, 2), (1, 2), 2),
           ((1, 4, 6, 5), "real"), ((4, 2, 3, 2), "real"), ((4,), "real")),
    OpSpec("conv2d_depthwise", lambda m, x, w: _f(m).conv2d(x, w, groups=3),
           ((1, 3, 4, 4), "real"), ((6, 1, 2, 2), "real")),
    OpSpec("conv2d_same_dilated", lambda m, x, w: _f(m).conv2d(x, w, padding="same",
                                                                dilation=2),
           ((1, 2, 5, 5), "real"), ((2, 2, 2, 3), "real")),
    OpSpec("conv2d_valid", lambda m, x, w: _f(m).conv2d(x, w, padding="valid"),
           ((1, 2, 5, 4), "real"), ((2, 2, 3, 2), "real")),
    OpSpec("conv2d_unbatched", lambda m, x, w: _f(m).conv2d(x, w, stride=2),
           ((2, 5, 5), "real"), ((3, 2, 2, 2), "real")),
    OpSpec("conv3d", lambda m, x, w, b: _f(m).conv3d(x, w, b, (1, 2, 1), 1),
           ((1, 2, 3, 4, 3), "real"), ((2, 2, 2, 2, 2), "real"), ((2,), "real")),
    OpSpec("conv_transpose1d", lambda m, x, w, b: _f(m).conv_transpose1d(x, w, b, 2, 1, 1),
           ((2, 3, 4), "real"), ((3, 2, 3), "real"), ((2,), "real")),
    OpSpec("conv_transpose1d_dil_outpad",
           lambda m, x, w: _f(m).conv_transpose1d(x, w, None, 1, 1, 1, 1, 2),
           ((1, 2, 4), "real"), ((2, 3, 3), "real")),
    OpSpec("conv_transpose2d", lambda m, x, w, b: _f(m).conv_transpose2d(x, w, b, 2, 1, 1),
           ((1, 2, 3, 3), "real"), ((2, 3, 3, 3), "real"), ((3,), "real")),
    OpSpec("conv_transpose2d_groups",
           lambda m, x, w: _f(m).conv_transpose2d(x, w, None, (2, 1), 0, (1, 0), 2, (1, 2)),
           ((1, 4, 3, 2), "real"), ((4, 1, 2, 2), "real")),
    OpSpec("conv_transpose2d_unbatched", lambda m, x, w: _f(m).conv_transpose2d(x, w),
           ((2, 3, 3), "real"), ((2, 2, 2, 2), "real")),
    OpSpec("conv_transpose3d", lambda m, x, w: _f(m).conv_transpose3d(x, w, None, 2, 1),
           ((1, 2, 2, 2, 2), "real"), ((2, 1, 3, 2, 2), "real")),
    OpSpec("conv_chain", lambda m, x, w, v: _f(m).conv2d(_f(m).conv2d(x, w, padding=1).tanh(), v),
           ((1, 2, 4, 4), "real"), ((2, 2, 3, 3), "real"), ((1, 2, 2, 2), "real")),
]


@pytest.mark.parametrize("spec", spec_params(CONV))
def test_gradcheck(spec):
    run_gradcheck(spec)


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")      # torch's note on even kernels
@pytest.mark.parametrize("spec", spec_params(CONV))
def test_torch_parity(torch, spec):
    run_torch_parity(torch, spec)


def _parity(torch, fn, arrays, grad_seed=1):
    """fn(module, *tensors) in autodiff and torch: values and every gradient agree."""
    ours = [autodiff.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = fn(autodiff, *ours), fn(torch, *theirs)
    assert_close(out, tout, rtol=1e-10, atol=1e-10)
    assert out.grad_fn.name() == tout.grad_fn.name()
    g = np.random.default_rng(grad_seed).standard_normal(tuple(tout.shape))
    out.backward(autodiff.tensor(g))
    tout.backward(torch.tensor(g))
    for x, tx in zip(ours, theirs):
        assert_close(x.grad, tx.grad, rtol=1e-10, atol=1e-10)


GRID = [(s, p, d, g, b) for s, p, d, g, b in itertools.product([1, 2], [0, 1, "same"], [1, 2],
                                                               [1, 2], [True, False])
        if not (p == "same" and s != 1)]         # torch rejects 'same' with strides


@pytest.mark.torch
@pytest.mark.parametrize("stride,padding,dilation,groups,bias", GRID)
def test_conv2d_grid(torch, stride, padding, dilation, groups, bias):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((2, 4, 7, 6)), rng.standard_normal((6, 4 // groups, 3, 2))]
    if bias:
        arrays.append(rng.standard_normal(6))
    fn = lambda m, x, w, *b: _f(m).conv2d(x, w, b[0] if b else None, stride, padding, dilation,
                                          groups)
    _parity(torch, fn, arrays)


@pytest.mark.torch
@pytest.mark.parametrize("stride,padding,output_padding,dilation,groups",
                         [(s, p, op, d, g) for s, p, op, d, g in itertools.product(
                             [1, 3], [0, 1], [0, 2], [1, 2], [1, 2])
                          if op < max(s, d)])
def test_conv_transpose2d_grid(torch, stride, padding, output_padding, dilation, groups):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((2, 4, 4, 3)), rng.standard_normal((4, 6 // groups, 3, 2)),
              rng.standard_normal(6)]
    fn = lambda m, x, w, b: _f(m).conv_transpose2d(x, w, b, stride, padding, output_padding,
                                                   groups, dilation)
    _parity(torch, fn, arrays)


@pytest.mark.torch
def test_conv1d_and_3d_grid(torch):
    rng = np.random.default_rng(0)
    for stride, padding, dilation in itertools.product([1, 3], [0, 2], [1, 2]):
        arrays = [rng.standard_normal((2, 2, 11)), rng.standard_normal((3, 2, 3))]
        _parity(torch, lambda m, x, w: _f(m).conv1d(x, w, None, stride, padding, dilation),
                arrays)
    arrays = [rng.standard_normal((1, 4, 5, 4, 6)), rng.standard_normal((4, 2, 2, 3, 2))]
    _parity(torch, lambda m, x, w: _f(m).conv3d(x, w, None, (1, 2, 2), (1, 0, 2), (2, 1, 1), 2),
            arrays)


def test_double_backward_graph_names():
    x = autodiff.randn(1, 2, 4, 4, dtype=autodiff.float64, requires_grad=True)
    w = autodiff.randn(3, 2, 3, 3, dtype=autodiff.float64, requires_grad=True)
    y = F.conv2d(x, w)
    assert y.grad_fn.name() == "ConvolutionBackward0"
    gx, gw = autodiff.autograd.grad(y.sum(), (x, w), create_graph=True)
    assert gx.grad_fn.name() == gw.grad_fn.name() == "ConvolutionBackwardBackward0"
    gw.sum().backward()                          # a third-order path: runs, gradient of x exists
    assert x.grad is not None and x.grad.shape == x.shape


def test_conv_matches_direct_sum():
    """The im2col result equals the textbook definition, computed with explicit loops."""
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((1, 2, 5, 6)), rng.standard_normal((3, 2, 2, 3))
    out = F.conv2d(autodiff.tensor(x), autodiff.tensor(w), stride=(2, 1), dilation=(1, 2))
    ref = np.zeros((1, 3, 2, 2))
    for o, i, j in itertools.product(range(3), range(2), range(2)):
        ref[0, o, i, j] = sum(w[o, c, a, b] * x[0, c, 2 * i + a, j + 2 * b]
                              for c in range(2) for a in range(2) for b in range(3))
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12)


def test_float32_stays_float32(device):
    x = autodiff.randn(2, 3, 8, 8, device=device, requires_grad=True)
    conv = nn.Conv2d(3, 4, 3, padding=1).to(device)
    y = conv(x)
    assert y.dtype == autodiff.float32 and y.device == x.device
    y.sum().backward()
    assert x.grad.dtype == autodiff.float32 and conv.weight.grad.dtype == autodiff.float32
    assert x.grad.is_contiguous()


ERRORS = [
    (lambda: F.conv2d(autodiff.randn(2, 3), autodiff.randn(32, 3, 3, 3)), RuntimeError,
     "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [2, 3]"),
    (lambda: F.conv2d(autodiff.randn(1, 4, 32, 32), autodiff.randn(32, 3, 3, 3)), RuntimeError,
     "Given groups=1, weight of size [32, 3, 3, 3], expected input[1, 4, 32, 32] to have 3 "
     "channels, but got 4 channels instead"),
    (lambda: F.conv2d(autodiff.randn(1, 3, 2, 2), autodiff.randn(32, 3, 3, 3)), RuntimeError,
     "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel size "
     "can't be greater than actual input size"),
    (lambda: F.conv1d(autodiff.randn(1, 3, 4), autodiff.randn(2, 3, 3), dilation=2),
     RuntimeError, "Calculated padded input size per channel: (4). Kernel size: (5)."),
    (lambda: F.conv2d(autodiff.randn(1, 3, 5, 5), autodiff.randn(2, 3, 3, 3), stride=0),
     RuntimeError, "non-positive stride is not supported"),
    (lambda: F.conv2d(autodiff.randn(1, 3, 5, 5), autodiff.randn(2, 3, 3, 3), padding=-1),
     RuntimeError, "negative padding is not supported"),
    (lambda: F.conv2d(autodiff.randn(1, 3, 5, 5), autodiff.randn(2, 3, 3, 3), dilation=(1, 0)),
     RuntimeError, "dilation should be greater than zero, but got [1, 0]"),
    (lambda: F.conv2d(autodiff.randn(1, 3, 5, 5), autodiff.randn(32, 3, 3, 3), groups=2),
     RuntimeError, "Given groups=2, weight of size [32, 3, 3, 3], expected input[1, 3, 5, 5] to "
     "have 6 channels, but got 3 channels instead"),
    (lambda: F.conv2d(autodiff.randn(1, 4, 5, 5), autodiff.randn(30, 2, 3, 3), groups=4),
     RuntimeError, "expected weight to be divisible by 4 at dimension 0"),
    (lambda: F.conv2d(autodiff.randn(1, 3, 5, 5), autodiff.randn(2, 3, 3, 3), padding="same",
                      stride=2), RuntimeError,
     "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(autodiff.randn(1, 3, 5, 5), autodiff.randn(2, 3, 3, 3), padding="foo"),
     RuntimeError, "Invalid padding string: 'foo'"),
    (lambda: F.conv2d(autodiff.randn(1, 3, 5, 5), autodiff.randn(32, 3, 3, 3),
                      autodiff.randn(3)), RuntimeError,
     "Given weight of size [32, 3, 3, 3], expected bias to be 1-dimensional with 32 elements, "
     "but got bias of size [3] instead"),
    (lambda: F.conv2d(autodiff.randn(1, 3, 5, 5), autodiff.randn(2, 3, 3, 3).double()),
     RuntimeError, "expected scalar type Float but found Double"),
    (lambda: F.conv2d(autodiff.randn(1, 3, 5, 5), autodiff.randn(2, 3, 3, 3),
                      autodiff.randn(2).double()), RuntimeError,
     "Input type (float) and bias type (double) should be the same"),
    (lambda: F.conv2d(autodiff.randn(1, 3, 5, 5), autodiff.randn(2, 3, 3, 3), stride=(1, 1, 1)),
     RuntimeError, "expected stride to be a single integer value or a list of 2 values to match "
     "the convolution dimensions, but got stride=[1, 1, 1]"),
    (lambda: F.conv_transpose2d(autodiff.randn(1, 3, 5, 5), autodiff.randn(32, 3, 3, 3)),
     RuntimeError, "Given transposed=1, weight of size [32, 3, 3, 3], expected input[1, 3, 5, 5] "
     "to have 32 channels, but got 3 channels instead"),
    (lambda: F.conv_transpose2d(autodiff.randn(1, 2, 5, 5), autodiff.randn(2, 3, 3, 3), stride=2,
                                output_padding=2), RuntimeError,
     "output padding must be smaller than either stride or dilation, but got "
     "output_padding_height: 2 output_padding_width: 2 stride_height: 2 stride_width: 2 "
     "dilation_height: 1 dilation_width: 1"),
    (lambda: F.conv_transpose2d(autodiff.randn(1, 2, 5, 5), autodiff.randn(2, 3, 3, 3),
                                padding=5), RuntimeError,
     "Given input size per channel: (5 x 5). Calculated output size per channel: (-3 x -3). "
     "Output size is too small"),
    (lambda: F.conv_transpose2d(autodiff.randn(1, 2, 5, 5), autodiff.randn(2, 3, 3, 3),
                                padding="same"), TypeError,
     "conv_transpose2d(): argument 'padding' must be tuple of ints, not str"),
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
    ("Conv1d", (3, 4, 3), dict(stride=2, padding=1), (2, 3, 9)),
    ("Conv1d", (2, 4, 4), dict(padding="same", padding_mode="circular"), (2, 2, 7)),
    ("Conv2d", (3, 8, 3), dict(), (2, 3, 6, 6)),
    ("Conv2d", (4, 6, (3, 2)), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2,
                                    bias=False), (2, 4, 7, 7)),
    ("Conv2d", (2, 3, 3), dict(padding=2, padding_mode="reflect"), (1, 2, 5, 5)),
    ("Conv2d", (2, 3, 3), dict(padding=1, padding_mode="replicate"), (2, 5, 5)),
    ("Conv3d", (2, 3, 2), dict(padding=1), (1, 2, 3, 4, 3)),
    ("ConvTranspose1d", (3, 2, 3), dict(stride=2, output_padding=1), (2, 3, 4)),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1, output_padding=1, groups=2),
     (2, 4, 3, 3)),
    ("ConvTranspose3d", (2, 2, 2), dict(stride=2, bias=False), (1, 2, 2, 2, 2)),
]


def _copy_weights(module, tmodule):
    for name, p in tmodule.named_parameters():
        getattr(module, name).data = autodiff.tensor(p.detach().numpy().copy())


@pytest.mark.torch
@pytest.mark.parametrize("name,args,kwargs,shape", LAYERS)
def test_layer_parity(torch, name, args, kwargs, shape):
    tmod = getattr(torch.nn, name)(*args, **kwargs).double()
    mod = getattr(nn, name)(*args, **kwargs).double()
    assert repr(mod) == repr(tmod)
    assert list(mod.state_dict()) == list(tmod.state_dict())
    assert [tuple(v.shape) for v in mod.state_dict().values()] == \
        [tuple(v.shape) for v in tmod.state_dict().values()]
    _copy_weights(mod, tmod)
    x = np.random.default_rng(0).standard_normal(shape)
    xa, xt = autodiff.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = mod(xa), tmod(xt)
    assert_close(out, tout, rtol=1e-10, atol=1e-10)
    g = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    out.backward(autodiff.tensor(g))
    tout.backward(torch.tensor(g))
    assert_close(xa.grad, xt.grad, rtol=1e-10, atol=1e-10)
    for (n, p), (tn, tp) in zip(mod.named_parameters(), tmod.named_parameters()):
        assert n == tn
        assert_close(p.grad, tp.grad, rtol=1e-10, atol=1e-10)


@pytest.mark.torch
def test_state_dict_from_torch_loads(torch):
    tmod = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(),
                               torch.nn.ConvTranspose2d(4, 2, 2, stride=2))
    mod = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.ConvTranspose2d(4, 2, 2, stride=2))
    state = {k: autodiff.tensor(v.numpy()) for k, v in tmod.state_dict().items()}
    assert str(mod.load_state_dict(state)) == "<All keys matched successfully>"
    x = np.random.default_rng(0).standard_normal((2, 1, 6, 6)).astype(np.float32)
    assert_close(mod(autodiff.tensor(x)), tmod(torch.tensor(x)), rtol=1e-5, atol=1e-5)


def test_init_bounds():
    """Kaiming uniform with a=sqrt(5): weight and bias in U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    conv = nn.Conv2d(8, 16, 3)
    bound = 1 / math.sqrt(8 * 9)
    w, b = conv.weight.detach().numpy(), conv.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound and w.std() > 0.5 * bound / math.sqrt(3)
    t = nn.ConvTranspose2d(8, 4, 3)              # fan_in from weight.size(1) = out/groups
    assert np.abs(t.weight.detach().numpy()).max() <= 1 / math.sqrt(4 * 9)


def test_layer_arguments():
    conv = nn.Conv2d(3, 6, 3, padding="same", dilation=2)
    assert conv._reversed_padding_repeated_twice == [2, 2, 2, 2]
    assert conv.kernel_size == (3, 3) and conv.stride == (1, 1) and conv.padding == "same"
    assert conv(autodiff.randn(1, 3, 5, 5)).shape == (1, 6, 5, 5)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 6, 3, groups=4)
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        nn.Conv2d(4, 6, 3, groups=0)
    with pytest.raises(ValueError, match="padding='same' is not supported"):
        nn.Conv2d(4, 6, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(4, 6, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported'):
        nn.ConvTranspose2d(4, 6, 3, padding_mode="reflect")


@pytest.mark.torch
def test_conv_transpose_output_size(torch):
    tmod = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1).double()
    mod = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1).double()
    _copy_weights(mod, tmod)
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4))
    out = mod(autodiff.tensor(x), output_size=[1, 3, 8, 8])
    assert out.shape == (1, 3, 8, 8)
    assert_close(out, tmod(torch.tensor(x), output_size=[1, 3, 8, 8]), rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="requested an output size of \\[9, 9\\], but valid "
                                         "sizes range from \\[7, 7\\] to \\[8, 8\\]"):
        mod(autodiff.tensor(x), output_size=(9, 9))


def test_trains_a_tiny_cnn():
    """A conv net fits a fixed batch: the loss goes down under SGD."""
    autodiff.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 1, 3, padding=1))
    x = autodiff.randn(8, 1, 6, 6)
    y = 0.5 * x
    first = None
    for _ in range(40):
        loss = ((model(x) - y) ** 2).mean()
        first = loss.item() if first is None else first
        model.zero_grad()
        loss.backward()
        with autodiff.no_grad():
            for p in model.parameters():
                p -= 0.1 * p.grad
    assert loss.item() < 0.3 * first



@pytest.mark.parametrize("fn,shapes", [
    (lambda x, w, b: F.conv2d(x, w, b, 1, "same", 2, 2), [(2, 4, 6, 5), (6, 2, 3, 2), (6,)]),
    (lambda x, w: F.conv_transpose2d(x, w, None, 2, 1, 1), [(2, 4, 3, 3), (4, 3, 3, 3)]),
    (lambda x, w: F.conv3d(x, w, padding=1), [(1, 2, 3, 4, 3), (2, 2, 2, 2, 2)]),
])
def test_simulated_cuda(fn, shapes):
    cpu_vs_simulated_cuda(fn, *shapes)
