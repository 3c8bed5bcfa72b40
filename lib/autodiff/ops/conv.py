"""Convolutions (1-D, 2-D, 3-D) and transposed convolutions, via im2col and one matrix product.

A convolution gathers every receptive field of the input into a matrix (``im2col``: a strided
view, copied once) and multiplies it by the flattened filters; ``groups`` become a batch
dimension of that product. Three bilinear maps share one trilinear form
``<conv(x, w), g> = <x, conv_t(g, w)> = <w, conv_w(x, g)>``, so each is the gradient of the
others: the backward of every one is written with the other two, and gradients of any order
come for free.
"""
from __future__ import annotations

import warnings
from typing import NamedTuple

from ..autograd.function import Function
from ._linalg_util import C_NAMES, TYPE_NAMES
from ._windows import col2im, im2col, out_size

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]


class Geometry(NamedTuple):
    """How a filter slides: per spatial dim stride, (before, after) padding and dilation."""
    stride: tuple
    pads: tuple
    dilation: tuple
    groups: int

    def out(self, size, kernel):
        return tuple(out_size(n, k, s, p, d)
                     for n, k, s, p, d in zip(size, kernel, self.stride, self.pads, self.dilation))


# ---- the three raw bilinear maps -------------------------------------------------------------
# Shapes: x (N, C, *size), w (O, C/G, *kernel), y (N, O, *out); G groups, K = prod(kernel),
# P = prod(out). Grouping splits channels: (N, G, C/G * K, P) columns times (G, O/G, C/G * K)
# filters, one batched matrix product.
def _conv(x, w, geo, out):
    """``y[n, o, p] = sum_{c, k} w[o, c, k] * xpad[n, c, p * stride + k * dilation]`` for the
    first ``out`` positions along each dim."""
    (n, c), (o, g), kernel, out = x.shape[:2], (w.shape[0], geo.groups), w.shape[2:], tuple(out)
    cols = im2col(x, kernel, out, geo.stride, geo.pads, geo.dilation)
    cols = cols.reshape(n, g, c // g * _prod(kernel), _prod(out))
    y = w.reshape(g, o // g, -1) @ cols                           # (N, G, O/G, P)
    return y.reshape((n, o) + out)


def _conv_t(y, w, size, geo):
    """The adjoint of :func:`_conv` in ``x``: spread every output back over its window."""
    (n, o), g, kernel, out = y.shape[:2], geo.groups, w.shape[2:], y.shape[2:]
    wt = w.reshape(g, o // g, -1).swapaxes(1, 2)                  # (G, C/G*K, O/G)
    cols = wt @ y.reshape(n, g, o // g, _prod(out))               # (N, G, C/G*K, P)
    cols = cols.reshape((n, w.shape[1] * g) + kernel + out)
    return col2im(cols, size, geo.stride, geo.pads, geo.dilation)


def _conv_w(x, y, kernel, geo):
    """The adjoint of :func:`_conv` in ``w``: correlate the input with the output gradient."""
    (n, c), (o, g), out = x.shape[:2], (y.shape[1], geo.groups), y.shape[2:]
    cols = im2col(x, kernel, out, geo.stride, geo.pads, geo.dilation)
    cols = cols.reshape(n, g, c // g * _prod(kernel), _prod(out))
    yg = y.reshape(n, g, o // g, _prod(out))
    dw = (yg @ cols.swapaxes(2, 3)).sum(axis=0)                   # (G, O/G, C/G*K)
    return dw.reshape((o, c // g) + tuple(kernel))


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _bias_shape(b, nd):
    return b._data.reshape((-1,) + (1,) * nd)


def _sum_but_channels(g):
    return g.sum(dim=(0,) + tuple(range(2, g.ndim)))


# ---- Functions -------------------------------------------------------------------------------
class Convolution(Function):
    """``conv(x, w) + b`` at the first ``out`` window positions (fewer than fit only for the
    adjoint of a transposed convolution whose ``output_padding`` reaches past the last window)."""
    grad_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geo, out):
        ctx.geo = geo
        ctx.save_for_backward(x, w)
        y = _conv(x._data, w._data, geo, out)
        if b is not None:
            y += _bias_shape(b, y.ndim - 2)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = _InputGradT.apply(grad, w, None, ctx.geo, x.shape[2:]) if need[0] else None
        gw = ConvolutionWeight.apply(x, grad, ctx.geo, w.shape[2:]) if need[1] else None
        gb = _sum_but_channels(grad) if need[2] else None
        return gx, gw, gb, None, None


class ConvolutionTranspose(Function):
    """``conv_t(x, w) + b``: the adjoint of :class:`Convolution` whose input has size ``size``."""
    grad_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geo, size):
        ctx.geo = geo
        ctx.save_for_backward(x, w)
        y = _conv_t(x._data, w._data, tuple(size), geo)
        if b is not None:
            y += _bias_shape(b, y.ndim - 2)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = _InputGrad.apply(grad, w, None, ctx.geo, x.shape[2:]) if need[0] else None
        gw = ConvolutionWeight.apply(grad, x, ctx.geo, w.shape[2:]) if need[1] else None
        gb = _sum_but_channels(grad) if need[2] else None
        return gx, gw, gb, None, None


class ConvolutionWeight(Function):
    """``conv_w(x, g)``: the gradient of a convolution with respect to its filters."""
    grad_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, x, g, geo, kernel):
        ctx.geo = geo
        ctx.save_for_backward(x, g)
        return _conv_w(x._data, g._data, tuple(kernel), geo)

    @staticmethod
    def backward(ctx, grad):
        x, g = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = ConvolutionTranspose.apply(g, grad, None, ctx.geo, x.shape[2:]) if need[0] else None
        gg = Convolution.apply(x, grad, None, ctx.geo, g.shape[2:]) if need[1] else None
        return gx, gg, None, None


class _InputGrad(Convolution):
    """A convolution computing the input gradient of a transposed one (torch's node name)."""
    grad_name = "ConvolutionBackwardBackward0"


class _InputGradT(ConvolutionTranspose):
    """A transposed convolution computing the input gradient of a convolution."""
    grad_name = "ConvolutionBackwardBackward0"


# ---- argument checking -----------------------------------------------------------------------
def _expand(value, nd, name):
    """An int or a 1- or nd-long sequence as an nd-tuple (torch's message otherwise)."""
    vals = (value,) * nd if isinstance(value, int) else tuple(value)
    if len(vals) == 1:
        vals = vals * nd
    if len(vals) != nd:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {nd} "
                           f"values to match the convolution dimensions, but got "
                           f"{name}={list(vals)}")
    return tuple(int(v) for v in vals)


def _x(sizes):
    return " x ".join(str(s) for s in sizes)


def _check(fn, input, weight, bias, nd, transposed):
    """Validate ranks, channels and bias as torch does; returns (input, unbatched)."""
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{fn}, but got input of size: {list(input.shape)}")
    unbatched = input.ndim == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    if weight.ndim != input.ndim:
        raise RuntimeError(f"Expected {weight.ndim}-dimensional input for {weight.ndim}-"
                           f"dimensional weight {list(weight.shape)}, but got {input.ndim}-"
                           f"dimensional input of size {list(input.shape)} instead")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"expected scalar type {_type_name(input)} but found "
                           f"{_type_name(weight)}")
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_c_name(input)}) and bias type ({_c_name(bias)}) "
                           "should be the same")
    return input, unbatched


def _c_name(t):
    """torch's C type name of a tensor's dtype ('float', 'double', 'long int', ...)."""
    return C_NAMES[t.dtype.name]


def _type_name(t):
    """torch's scalar type name of a tensor's dtype ('Float', 'Double', 'Long', ...)."""
    return TYPE_NAMES[t.dtype.name]


def _check_shapes(input, weight, bias, groups, transposed):
    ws, xs = list(weight.shape), list(input.shape)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if ws[0] < 1:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least 1 at "
                           f"dimension 0, but got weight of size {ws} instead")
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{ws}] instead")
    tr = "transposed=1" if transposed else f"groups={groups}"
    need = ws[0] if transposed else ws[1] * groups
    if xs[1] != need:
        raise RuntimeError(f"Given {tr}, weight of size {ws}, expected input{xs} to have "
                           f"{need} channels, but got {xs[1]} channels instead")
    n_out = ws[1] * groups if transposed else ws[0]
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != n_out):
        raise RuntimeError(f"Given {'transposed=1, ' if transposed else ''}weight of size {ws}, "
                           f"expected bias to be 1-dimensional with {n_out} elements, but got "
                           f"bias of size {list(bias.shape)} instead")


def _check_positive(stride, dilation):
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")


def _same_pads(kernel, dilation, stride):
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    global _warned_uneven_same
    if any(t % 2 for t in total) and not _warned_uneven_same:
        _warned_uneven_same = True                    # torch says it once per process
        warnings.warn("Using padding='same' with even kernel lengths and odd dilation may "
                      "require a zero-padded copy of the input be created", UserWarning,
                      stacklevel=4)
    return tuple((t // 2, t - t // 2) for t in total)


_warned_uneven_same = False


# ---- public functions ------------------------------------------------------------------------
def _convnd(nd, input, weight, bias, stride, padding, dilation, groups):
    fn = f"conv{nd}d"
    input, unbatched = _check(fn, input, weight, bias, nd, False)
    kernel = tuple(weight.shape[2:])
    stride, dilation = _expand(stride, nd, "stride"), _expand(dilation, nd, "dilation")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        pads = _same_pads(kernel, dilation, stride) if padding == "same" else ((0, 0),) * nd
    else:
        pads = tuple((p, p) for p in _expand(padding, nd, "padding"))
        if any(p < 0 for p, _ in pads):
            raise RuntimeError("negative padding is not supported")
    _check_positive(stride, dilation)
    _check_shapes(input, weight, bias, groups, False)
    padded = [s + a + b for s, (a, b) in zip(input.shape[2:], pads)]
    reach = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if any(r > p for r, p in zip(reach, padded)):
        raise RuntimeError(f"Calculated padded input size per channel: ({_x(padded)}). Kernel "
                           f"size: ({_x(reach)}). Kernel size can't be greater than actual "
                           "input size")
    geo = Geometry(stride, pads, dilation, groups)
    out = Convolution.apply(input, weight, bias, geo, geo.out(input.shape[2:], kernel))
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation) of ``(N, C, L)`` by ``(O, C/groups, k)`` filters."""
    return _convnd(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution of ``(N, C, H, W)`` by ``(O, C/groups, kh, kw)`` filters;
    ``padding`` may be an int, a tuple, ``'valid'`` or ``'same'``."""
    return _convnd(2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution of ``(N, C, D, H, W)`` by ``(O, C/groups, kd, kh, kw)`` filters."""
    return _convnd(3, input, weight, bias, stride, padding, dilation, groups)


_AXES = {1: ("width",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _conv_transposend(nd, input, weight, bias, stride, padding, output_padding, groups,
                      dilation):
    fn = f"conv_transpose{nd}d"
    if isinstance(padding, str):
        raise TypeError(f"{fn}(): argument 'padding' must be tuple of ints, not str")
    input, unbatched = _check(fn, input, weight, bias, nd, True)
    kernel = tuple(weight.shape[2:])
    stride, dilation = _expand(stride, nd, "stride"), _expand(dilation, nd, "dilation")
    padding = _expand(padding, nd, "padding")
    output_padding = _expand(output_padding, nd, "output_padding")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    _check_positive(stride, dilation)
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        axes = ("height",) * (nd == 1) + _AXES[nd]        # torch words 1-D as 2-D
        lead = ((0, 1, 1),) * (nd == 1)
        vals = lead + tuple(zip(output_padding, stride, dilation))
        msg = " ".join(f"{what}_{a}: {v[i]}" for i, what in enumerate(
            ("output_padding", "stride", "dilation")) for a, v in zip(axes, vals))
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, "
                           f"but got {msg}")
    _check_shapes(input, weight, bias, groups, True)
    size = tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, s, p, d, k, op in
                 zip(input.shape[2:], stride, padding, dilation, kernel, output_padding))
    if any(s <= 0 for s in size):
        shown = (1,) * (nd == 1)
        raise RuntimeError(f"Given input size per channel: ({_x(shown + tuple(input.shape[2:]))})"
                           f". Calculated output size per channel: ({_x(shown + size)}). Output "
                           "size is too small")
    geo = Geometry(stride, tuple((p, p) for p in padding), dilation, groups)
    out = ConvolutionTranspose.apply(input, weight, bias, geo, size)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """1-D transposed convolution (the gradient of conv1d w.r.t. its input), filters
    ``(C, O/groups, k)``."""
    return _conv_transposend(1, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-D transposed convolution ("deconvolution"), filters ``(C, O/groups, kh, kw)``."""
    return _conv_transposend(2, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """3-D transposed convolution, filters ``(C, O/groups, kd, kh, kw)``."""
    return _conv_transposend(3, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


__methods__ = []
__inplace__ = []
