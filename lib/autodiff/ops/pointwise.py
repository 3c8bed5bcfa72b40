"""Fused pointwise ops: ``addcmul``, ``addcdiv`` (the optimizers' update steps) and the
overflow-free ``logaddexp``/``logaddexp2``.

Each is one Function (one node, as in torch) whose backward is written with tensor ops.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from ..autograd.function import Function
from ._linalg_util import TYPE_NAMES
from ._util import check_broadcastable, check_same_device, is_tensor, promote, xp_of
from .arithmetic import _out

__all__ = ["addcmul", "addcdiv", "logaddexp", "logaddexp2"]


def _three_operands(name, input, tensor1, tensor2, value):
    """The raw arrays of ``input``, ``tensor1``, ``tensor2`` in their common dtype, and
    ``value`` as a number of that dtype (torch truncates a float value for integer tensors)."""
    for pos, (arg, t) in enumerate((("input", input), ("tensor1", tensor1),
                                    ("tensor2", tensor2)), 1):
        if not is_tensor(t):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                            f"{type(t).__name__}")
    shape = input._data.shape
    for t in (tensor1, tensor2):
        check_same_device(input._data, t._data)
        check_broadcastable(shape, t._data.shape)
        shape = np.broadcast_shapes(shape, t._data.shape)
    rt = D.result_type(input, tensor1, tensor2)
    if rt is D.bool:
        raise NotImplementedError(f'"{name}_cpu_out" not implemented for \'Bool\'')
    if rt.is_floating_point:
        value = float(value)            # a Python float: numpy keeps the tensors' precision
    else:
        value, info = int(value), D.iinfo(rt)
        if not info.min <= value <= info.max:
            raise RuntimeError(f"value cannot be converted to type {rt.name}_t without overflow")
    arrays = (t._data.astype(rt.np, copy=False) for t in (input, tensor1, tensor2))
    return (*arrays, value)


class Addcmul(Function):
    """``input + value * tensor1 * tensor2``."""
    grad_name = "AddcmulBackward0"

    @staticmethod
    def forward(ctx, input, tensor1, tensor2, value):
        x, y, z, v = _three_operands("addcmul", input, tensor1, tensor2, value)
        ctx.save_for_backward(tensor1, tensor2)
        ctx.value = value
        return x + v * y * z

    @staticmethod
    def backward(ctx, grad):
        t1, t2 = ctx.saved_tensors
        scaled = grad * ctx.value if ctx.value != 1 else grad
        return (grad,
                scaled * t2 if ctx.needs_input_grad[1] else None,
                scaled * t1 if ctx.needs_input_grad[2] else None, None)


_INTEGER_ADDCDIV = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will "
    "perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
    "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer "
    "inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv "
    "behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all "
    "dtypes.")


class Addcdiv(Function):
    """``input + value * tensor1 / tensor2``."""
    grad_name = "AddcdivBackward0"

    @staticmethod
    def forward(ctx, input, tensor1, tensor2, value):
        if all(is_tensor(t) and not t.is_floating_point() for t in (tensor1, tensor2)):
            raise RuntimeError(_INTEGER_ADDCDIV)
        x, y, z, v = _three_operands("addcdiv", input, tensor1, tensor2, value)
        ctx.save_for_backward(tensor1, tensor2)
        ctx.value = value
        return x + v * y / z

    @staticmethod
    def backward(ctx, grad):
        t1, t2 = ctx.saved_tensors
        scaled = grad * ctx.value if ctx.value != 1 else grad
        return (grad,
                scaled / t2 if ctx.needs_input_grad[1] else None,
                -scaled * t1 / (t2 * t2) if ctx.needs_input_grad[2] else None, None)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 * tensor2`` in one op, with broadcasting."""
    return _out(Addcmul.apply(input, tensor1, tensor2, value), out)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """``input + value * tensor1 / tensor2`` in one op (true division; integer operands are
    refused, as in torch)."""
    return _out(Addcdiv.apply(input, tensor1, tensor2, value), out)


def _float_operands(name, a, b):
    for pos, (arg, t) in enumerate((("input", a), ("other", b)), 1):
        if not is_tensor(t):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                            f"{type(t).__name__}")
    x, y = promote(a, b)
    if x.dtype.kind != "f":
        kernel = f"{name}_{a.device.type}"
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{TYPE_NAMES[D.from_numpy_dtype(x.dtype).name]}'")
    return x, y


class Logaddexp(Function):
    """``log(exp(a) + exp(b))``; ``a`` gets the softmax weight ``1 / (1 + e^(b-a))``."""
    grad_name = "LogaddexpBackward0"

    @staticmethod
    def forward(ctx, a, b):
        x, y = _float_operands("logaddexp", a, b)
        ctx.save_for_backward(a, b)
        return xp_of(x).logaddexp(x, y)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (grad / (1 + (b - a).exp()) if ctx.needs_input_grad[0] else None,
                grad / (1 + (a - b).exp()) if ctx.needs_input_grad[1] else None)


class Logaddexp2(Function):
    """``log2(2^a + 2^b)``; the gradient to ``a`` is ``1 / (1 + 2^(b-a))``."""
    grad_name = "Logaddexp2Backward0"

    @staticmethod
    def forward(ctx, a, b):
        x, y = _float_operands("logaddexp2", a, b)
        ctx.save_for_backward(a, b)
        return xp_of(x).logaddexp2(x, y)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (grad / (1 + 2 ** (b - a)) if ctx.needs_input_grad[0] else None,
                grad / (1 + 2 ** (a - b)) if ctx.needs_input_grad[1] else None)


def logaddexp(input, other, *, out=None):
    """``log(exp(input) + exp(other))`` without overflow (log-space addition)."""
    return _out(Logaddexp.apply(input, other), out)


def logaddexp2(input, other, *, out=None):
    """``log2(2**input + 2**other)`` without overflow."""
    return _out(Logaddexp2.apply(input, other), out)


__methods__ = ["addcmul", "addcdiv", "logaddexp", "logaddexp2"]
__inplace__ = ["addcmul", "addcdiv"]
