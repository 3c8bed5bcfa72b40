"""``pad``: constant, reflect, replicate and circular padding (negative amounts crop).

Constant padding copies the input into a filled array; its gradient is the opposite padding
(cropping what was added, zero-filling what was cropped). The other modes only *repeat* input
elements: along each padded dim the output reads input position ``idx[i]``, a separable
index map (``separable.py``) whose gradient adds up the repeated reads.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ._util import xp_of
from .separable import apply_separable, axis_map

__all__ = ["constant_pad_nd"]         # torch.constant_pad_nd; F.pad is imported by name

_NON_CONSTANT = {"reflect": "ReflectionPad{}DBackward0", "replicate": "ReplicationPad{}DBackward0",
                 "circular": "CopySlices"}


class ConstantPadNd(Function):
    """``pads = ((before, after), ...)`` for the trailing dims, filled with ``value``."""
    grad_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, pads, value):
        ctx.pads = pads
        a = x._data
        lead = a.ndim - len(pads)
        shape = a.shape[:lead] + tuple(n + b + e for n, (b, e) in zip(a.shape[lead:], pads))
        out = xp_of(a).full(shape, value, dtype=a.dtype)
        dst, src = [], []
        for n, (b, e) in zip(a.shape[lead:], pads):     # negative amounts crop the input
            dst.append(slice(max(b, 0), max(b, 0) + n + min(b, 0) + min(e, 0)))
            src.append(slice(-min(b, 0), n + min(e, 0)))
        out[(Ellipsis,) + tuple(dst)] = a[(Ellipsis,) + tuple(src)]
        return out

    @staticmethod
    def backward(ctx, grad):
        return ConstantPadNd.apply(grad, tuple((-b, -e) for b, e in ctx.pads), 0), None, None


def _pairs(pad):
    """torch's flat pad tuple (last dim first) as ((before, after), ...) in dim order."""
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    return tuple((pad[i], pad[i + 1]) for i in range(len(pad) - 2, -1, -2))


def constant_pad_nd(input, pad, value=0):
    """Pad the trailing dims with ``value`` (``pad`` as in :func:`pad`)."""
    pads = _pairs(pad)
    if len(pads) > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {2 * len(pads)} and input of "
                           f"dimension {input.ndim}")
    lead = input.ndim - len(pads)
    if any(n + b + e < 0 for n, (b, e) in zip(input.shape[lead:], pads)):
        raise RuntimeError("narrow(): length must be non-negative.")
    if input._data.dtype.kind != "f" and isinstance(value, float):
        value = int(value)
    return ConstantPadNd.apply(input, pads, value)


def _source_index(mode, n, before, after):
    """Input position read by every output position along one dim."""
    p = np.arange(-before, n + after)
    if mode == "replicate":
        return np.clip(p, 0, n - 1)
    if mode == "reflect":
        return np.where(p < 0, -p, np.where(p >= n, 2 * (n - 1) - p, p))
    kept = n + min(before, 0) + min(after, 0)         # circular: wrap what is left after cropping
    return -min(before, 0) + (p + min(before, 0)) % max(kept, 1)


def _check_non_constant(mode, x, pads):
    nd = len(pads)
    if nd not in (1, 2, 3) or x.ndim not in (nd + 1, nd + 2):
        raise NotImplementedError(
            f"Padding size {2 * nd} is not supported for {x.ndim}D input tensor.\nSupported "
            "combinations for non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads "
            "last dimension)\n  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n  "
            "- 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    for d, (n, (b, e)) in reversed(list(enumerate(zip(x.shape[x.ndim - nd:], pads)))):
        if mode == "reflect" and (b >= n or e >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({b}, {e}) at dimension "
                               f"{x.ndim - nd + d} of input {list(x.shape)}")
        if mode == "circular" and (b > n or e > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if n + b + e < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")


def pad(input, pad, mode="constant", value=None):
    """Pad ``input``: ``pad = (left, right)`` for the last dim, then ``(top, bottom)`` for the
    one before, and so on; ``mode`` is 'constant' (with ``value``), 'reflect', 'replicate' or
    'circular'. Negative amounts crop."""
    if mode == "constant":
        return constant_pad_nd(input, pad, 0 if value is None else value)
    if mode not in _NON_CONSTANT:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    pads = _pairs(pad)
    _check_non_constant(mode, input, pads)
    sizes = input.shape[input.ndim - len(pads):]
    maps = []
    for n, (b, e) in zip(sizes, pads):
        idx = _source_index(mode, n, b, e)
        maps.append(axis_map(np.arange(idx.size), idx, None, idx.size, n))
    return apply_separable(input, _NON_CONSTANT[mode].format(len(pads)), maps)


__methods__ = []
__inplace__ = []
