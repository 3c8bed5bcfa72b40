"""Copies that change dtype or device, ``clone`` and ``contiguous`` (differentiable)."""
from __future__ import annotations

from .. import _dtype as D
from ..autograd.function import Function
from ..backend import to_device

__all__ = ["cast", "to_device_op", "clone", "contiguous"]


class ToCopy(Function):
    """A dtype and/or device change; the gradient goes back to the input's dtype and device."""
    grad_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, a, dtype=None, device=None):
        ctx.src_dtype, ctx.src_device = a.dtype, a.device
        x = a._data
        if device is not None:
            x = to_device(x, device)
        if dtype is not None:
            x = x.astype(dtype.np)
        return x

    @staticmethod
    def backward(ctx, grad):
        return grad.to(ctx.src_device).to(ctx.src_dtype), None, None


def cast(t, dtype: D.dtype):
    """``t.to(dtype)``: a new tensor (self when the dtype already matches)."""
    if t.dtype is dtype:
        return t
    return ToCopy.apply(t, dtype)


def to_device_op(t, device):
    """``t`` copied to ``device``; the gradient goes back to ``t``'s device."""
    return ToCopy.apply(t, None, device)


class Clone(Function):
    grad_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, a, memory_format=None):
        return a._data.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad, None


def clone(input, *, memory_format=None):
    """A copy with its own storage; the gradient flows back to ``input``."""
    return Clone.apply(input)


def contiguous(input, memory_format=None):
    """``input`` itself when already C-contiguous, else a contiguous copy."""
    if input._data.flags.c_contiguous:
        return input
    return Clone.apply(input)


__methods__ = ["clone", "contiguous"]
__inplace__ = []
