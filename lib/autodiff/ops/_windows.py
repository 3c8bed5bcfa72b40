"""Sliding windows on raw arrays: the machinery shared by convolution, pooling and unfold/fold.

A window view is a strided *view* of a padded array with shape ``(N, C, *kernel, *out)``: element
``[n, c, k, o]`` is ``x[n, c, o * stride + k * dilation]`` (per spatial dim). No data is copied
until someone reshapes it (``im2col``); the inverse, ``col2im``, adds the columns back with one
slice assignment per kernel offset (``prod(kernel)`` iterations, never one per pixel).
"""
from __future__ import annotations

import itertools

import numpy as np

from ._util import xp_of

__all__ = ["out_size", "pad_array", "window_view", "im2col", "col2im", "offsets"]


def out_size(size, kernel, stride, pad, dilation, ceil_mode=False):
    """Number of window positions along one dim; ``pad`` is ``(before, after)``."""
    span = size + pad[0] + pad[1] - dilation * (kernel - 1) - 1
    n = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (n - 1) * stride >= size + pad[0]:
        n -= 1              # the last window must start inside the input or the left padding
    return n


def pad_array(x, pads, value=0):
    """``x`` with its trailing dims padded by ``pads = ((before, after), ...)`` (the same array
    when there is nothing to pad)."""
    if not any(p for pair in pads for p in pair):
        return x
    lead = x.ndim - len(pads)
    shape = x.shape[:lead] + tuple(s + a + b for s, (a, b) in zip(x.shape[lead:], pads))
    out = xp_of(x).full(shape, value, dtype=x.dtype)
    out[(Ellipsis,) + tuple(slice(a, a + s) for s, (a, _) in zip(x.shape[lead:], pads))] = x
    return out


def window_view(xp_, kernel, out, stride, dilation):
    """The read-only ``(N, C, *kernel, *out)`` window view of an already padded array."""
    st = xp_.strides
    shape = xp_.shape[:2] + tuple(kernel) + tuple(out)
    strides = (st[:2] + tuple(s * d for s, d in zip(st[2:], dilation))
               + tuple(s * t for s, t in zip(st[2:], stride)))
    if isinstance(xp_, np.ndarray):
        return np.lib.stride_tricks.as_strided(xp_, shape, strides, writeable=False)
    return xp_of(xp_).lib.stride_tricks.as_strided(xp_, shape, strides)


def im2col(x, kernel, out, stride, pads, dilation):
    """The contiguous ``(N, C, *kernel, *out)`` copy of the windows of ``x`` (zero padding)."""
    win = window_view(pad_array(x, pads), kernel, out, stride, dilation)
    return xp_of(x).ascontiguousarray(win)


def offsets(kernel, out, stride, pads, dilation, size):
    """For every kernel offset ``k``: the window positions whose element ``k`` lies inside the
    input (not in the padding), as slices of the output grid, and the input slices they read.

    Yields ``(k, out_slices, in_slices)``; a loop over these visits every (window, element)
    pair once with ``prod(kernel)`` vectorised steps.
    """
    for k in itertools.product(*map(range, kernel)):
        spans = [_landing(*a) for a in zip(k, dilation, stride, out, pads, size)]
        if all(src.start < src.stop for src, _ in spans):
            yield k, tuple(src for src, _ in spans), tuple(dst for _, dst in spans)


def _landing(k, d, s, out, pad, size):
    """Along one dim, for kernel offset ``k``: the window positions whose element lies inside
    the input, and the input positions they land on."""
    shift = k * d - pad[0]                      # input position of window 0's element k
    first = max(0, -(shift // s))               # smallest o with o * s + shift >= 0
    last = min(out - 1, (size - 1 - shift) // s)
    if last < first:
        return slice(0, 0), slice(0, 0)
    return slice(first, last + 1), slice(first * s + shift, last * s + shift + 1, s)


def col2im(cols, size, stride, pads, dilation):
    """Adjoint of :func:`im2col`: add every column entry back where it came from.

    ``cols`` has shape ``(N, C, *kernel, *out)``; the result has shape ``(N, C, *size)``.
    Entries that came from the padding are dropped.
    """
    nd = len(size)
    kernel, out = cols.shape[2:2 + nd], cols.shape[2 + nd:]
    res = xp_of(cols).zeros(cols.shape[:2] + tuple(size), dtype=cols.dtype)
    for k, src, dst in offsets(kernel, out, stride, pads, dilation, size):
        res[(Ellipsis,) + dst] += cols[(slice(None), slice(None)) + k + src]
    return res
