"""``unfold`` (im2col: every sliding block of an image as a column), its adjoint ``fold``
(col2im: columns summed back into an image), and ``pixel_shuffle`` / ``pixel_unshuffle``.

``unfold`` and ``fold`` are each other's gradient, so gradients of every order work.
"""
from __future__ import annotations

from ..autograd.function import Function
from ._util import xp_of
from ._windows import col2im, im2col, out_size

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle"]   # F.unfold/F.fold by name


class Im2Col(Function):
    """``(N, C, H, W) -> (N, C*kh*kw, L)``: the blocks, channel-major as torch orders them
    (without the N dim for an unbatched input)."""
    grad_name = "Im2ColBackward0"

    @staticmethod
    def forward(ctx, x, kernel, out, stride, pads, dilation):
        a = x._data
        ctx.args = (a.shape[-2:], kernel, out, stride, pads, dilation)
        cols = im2col(a.reshape((-1,) + a.shape[-3:]), kernel, out, stride, pads, dilation)
        return cols.reshape(a.shape[:-3] + (-1, out[0] * out[1]))

    @staticmethod
    def backward(ctx, grad):
        size, kernel, out, stride, pads, dilation = ctx.args
        return (Col2Im.apply(grad, size, kernel, out, stride, pads, dilation),
                None, None, None, None, None)


class Col2Im(Function):
    """``(N, C*kh*kw, L) -> (N, C, H, W)``: every column entry added where it came from
    (without the N dim for an unbatched input)."""
    grad_name = "Col2ImBackward0"

    @staticmethod
    def forward(ctx, cols, size, kernel, out, stride, pads, dilation):
        a = cols._data
        ctx.args = (kernel, out, stride, pads, dilation)
        n = a.shape[0] if a.ndim == 3 else 1
        img = col2im(a.reshape((n, -1) + tuple(kernel) + tuple(out)), size, stride, pads,
                     dilation)
        return img if a.ndim == 3 else img[0]

    @staticmethod
    def backward(ctx, grad):
        return (Im2Col.apply(grad, *ctx.args),) + (None,) * 6


def _pair(name, value):
    vals = (value, value) if isinstance(value, int) else tuple(value)
    if len(vals) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(vals)}")
    return tuple(int(v) for v in vals)


def _geometry(kernel_size, dilation, padding, stride):
    kernel, dilation = _pair("kernel_size", kernel_size), _pair("dilation", dilation)
    padding, stride = _pair("padding", padding), _pair("stride", stride)
    for name, vals, word in (("kernel size", kernel, "kernel"), ("stride", stride, "stride"),
                             ("dilation", dilation, "dilation")):
        if min(vals) <= 0:
            raise RuntimeError(f"{name} should be greater than zero, but got {word}_height: "
                               f"{vals[0]} {word}_width: {vals[1]}")
    if min(padding) < 0:
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {padding[0]} "
                           f"pad_width: {padding[1]}")
    return kernel, dilation, padding, stride


def _blocks(what, size, kernel, dilation, padding, stride, extra=""):
    out = tuple(out_size(n, k, s, (p, p), d)
                for n, k, s, p, d in zip(size, kernel, stride, padding, dilation))
    if min(out) < 1:
        raise RuntimeError(f"Given {what}{tuple(size)}, kernel_size={kernel}, dilation={dilation}, "
                           f"padding={padding}{extra}, calculated shape of the array of sliding "
                           f"blocks as {out}, but its components must be at least one.")
    return out


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding blocks: ``(N, C, H, W) -> (N, C*kh*kw, L)`` (L = number of blocks)."""
    if input.ndim not in (3, 4) or 0 in input.shape[input.ndim - 3:]:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and "
                           f"other non-zero dimensions for input, but got: {list(input.shape)}")
    kernel, dilation, padding, stride = _geometry(kernel_size, dilation, padding, stride)
    out = _blocks("input with spatial size ", input.shape[-2:], kernel, dilation, padding,
                  stride)
    return Im2Col.apply(input, kernel, out, stride, tuple((p, p) for p in padding), dilation)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding blocks back into an image: ``(N, C*kh*kw, L) -> (N, C, *output_size)``
    (overlapping entries add up)."""
    if input.ndim not in (2, 3) or 0 in input.shape[input.ndim - 2:]:
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           "batch size and non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    size = _pair("output_size", output_size)
    kernel, dilation, padding, stride = _geometry(kernel_size, dilation, padding, stride)
    c, blocks = input.shape[-2:]
    if c % (kernel[0] * kernel[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={c} and "
                           f"kernel_size={kernel}.")
    out = _blocks("output_size=", size, kernel, dilation, padding, stride,
                  f", stride={stride}")
    if blocks != out[0] * out[1]:
        raise RuntimeError(f"Given output_size={size}, kernel_size={kernel}, dilation={dilation}, "
                           f"padding={padding}, stride={stride}, expected size of input's "
                           f"dimension 2 to match the calculated number of sliding blocks "
                           f"{out[0]} * {out[1]} = {out[0] * out[1]}, but got "
                           f"input.size(2)={blocks}.")
    return Col2Im.apply(input, size, kernel, out, stride, tuple((p, p) for p in padding),
                        dilation)


# ---- pixel shuffle ---------------------------------------------------------------------------
def _shuffle(a, r):
    """``(*, C*r*r, H, W) -> (*, C, H*r, W*r)``."""
    *lead, c, h, w = a.shape
    b = a.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    n = len(lead)
    b = b.transpose(tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return b.reshape(tuple(lead) + (c // (r * r), h * r, w * r))


def _unshuffle(a, r):
    """``(*, C, H*r, W*r) -> (*, C*r*r, H, W)``."""
    *lead, c, h, w = a.shape
    b = a.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    n = len(lead)
    b = b.transpose(tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return b.reshape(tuple(lead) + (c * r * r, h // r, w // r))


class PixelShuffle(Function):
    grad_name = "PixelShuffleBackward0"

    @staticmethod
    def forward(ctx, x, r):
        ctx.r = r
        return _shuffle(x._data, r)

    @staticmethod
    def backward(ctx, grad):
        return PixelUnshuffle.apply(grad, ctx.r), None


class PixelUnshuffle(Function):
    grad_name = "PixelUnshuffleBackward0"

    @staticmethod
    def forward(ctx, x, r):
        ctx.r = r
        return _unshuffle(x._data, r)

    @staticmethod
    def backward(ctx, grad):
        return PixelShuffle.apply(grad, ctx.r), None


def pixel_shuffle(input, upscale_factor):
    """Rearrange ``(*, C*r^2, H, W)`` into ``(*, C, H*r, W*r)`` (sub-pixel convolution)."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    if input.shape[-3] % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible "
                           f"by the square of upscale_factor, but input.size(-3)="
                           f"{input.shape[-3]} is not divisible by {r * r}")
    return PixelShuffle.apply(input, r)


def pixel_unshuffle(input, downscale_factor):
    """Rearrange ``(*, C, H*r, W*r)`` into ``(*, C*r^2, H, W)`` (the inverse of pixel_shuffle)."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got "
                           f"input with {input.ndim} dimension(s)")
    for axis, name in ((-2, "height"), (-1, "width")):
        if input.shape[axis] % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by "
                               f"downscale_factor, but input.size({axis})={input.shape[axis]} is "
                               f"not divisible by {r}")
    return PixelUnshuffle.apply(input, r)


class ChannelShuffle(Function):
    """``(N, g*k, *) -> (N, k*g, *)``: channel ``i*k + j`` moves to ``j*g + i``."""
    grad_name = "ChannelShuffleBackward0"

    @staticmethod
    def forward(ctx, x, groups):
        a = x._data
        ctx.groups = groups
        n, c = a.shape[:2]
        grouped = a.reshape((n, groups, c // groups) + a.shape[2:])
        return xp_of(a).ascontiguousarray(grouped.swapaxes(1, 2)).reshape(a.shape)

    @staticmethod
    def backward(ctx, grad):                  # the inverse shuffle: c / groups groups
        return ChannelShuffle.apply(grad, grad.shape[1] // ctx.groups), None


def channel_shuffle(input, groups):
    """Interleave the channels of ``groups`` groups (ShuffleNet): ``(N, C, *)``."""
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    if input.shape[1] % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got "
                           f"{input.shape[1]} channels and {groups} groups.")
    return ChannelShuffle.apply(input, int(groups))


native_channel_shuffle = channel_shuffle


__methods__ = []
__inplace__ = []
