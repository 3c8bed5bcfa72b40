"""log-sum-exp and the softmax family: logsumexp, softmax, log_softmax.

All three subtract the maximum before exponentiating: ``exp`` of a large logit overflows, and
``log(sum(exp(x - m))) + m`` is the same number without the overflow.
"""
from __future__ import annotations

from .. import _dtype as D
from ..autograd.function import Function
from ._reduce import quiet, reduce_dims, type_name, unreduce
from ._util import norm_dim, xp_of

__all__ = ["logsumexp", "softmax", "log_softmax"]


class Logsumexp(Function):
    grad_name = "LogsumexpBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        x = a._data
        xp = xp_of(x)
        x = x if x.dtype.kind == "f" else x.astype(D.get_default_dtype().np)
        ctx.save_for_backward(a)
        ctx.dims, ctx.keepdim = dims, keepdim
        with quiet():
            if x.size == 0:       # the sum of no exponentials is 0: its log is -inf
                return xp.log(xp.exp(x).sum(axis=dims, keepdims=keepdim))
            m = x.max(axis=dims, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)     # all -inf (or an inf): nothing to subtract
            out = xp.log(xp.exp(x - m).sum(axis=dims, keepdims=True)) + m
        return out if keepdim else out.squeeze(axis=dims)

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        out = unreduce(ctx.output, a.shape, ctx.dims, ctx.keepdim)
        return unreduce(grad, a.shape, ctx.dims, ctx.keepdim) * (a - out).exp(), None, None


class Softmax(Function):
    grad_name = "SoftmaxBackward0"
    save_output = True
    kernel = "softmax"

    @classmethod
    def forward(cls, ctx, a, dim):
        x = a._data
        if x.dtype.kind != "f":
            last = "_lastdim" if dim == max(x.ndim - 1, 0) else ""
            raise NotImplementedError(
                f"\"{cls.kernel}{last}_kernel_impl\" not implemented for '{type_name(a.dtype)}'")
        ctx.dim = dim
        x1 = x.reshape(x.shape or (1,))
        if x1.size == 0:
            return x.copy()
        with quiet():
            return cls.normalize(xp_of(x), x1 - x1.max(axis=dim, keepdims=True), dim).reshape(
                x.shape)

    @staticmethod
    def normalize(xp, shifted, dim):
        e = xp.exp(shifted)
        return e / e.sum(axis=dim, keepdims=True)

    @staticmethod
    def backward(ctx, grad):
        y = ctx.output
        return y * (grad - (grad * y).sum(ctx.dim, keepdim=True)), None


class LogSoftmax(Softmax):
    grad_name = "LogSoftmaxBackward0"
    kernel = "log_softmax"

    @staticmethod
    def normalize(xp, shifted, dim):
        return shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))

    @staticmethod
    def backward(ctx, grad):
        return grad - ctx.output.exp() * grad.sum(ctx.dim, keepdim=True), None


def logsumexp(input, dim=None, keepdim=False, *, axis=None):
    """``log(sum(exp(input)))`` over ``dim``, computed without overflow."""
    dim = dim if axis is None else axis
    if dim is None:
        raise TypeError("logsumexp() missing 1 required positional arguments: \"dim\"")
    return Logsumexp.apply(input, reduce_dims(dim, input.ndim), keepdim)


def _softmax(cls, name, input, dim, dtype, axis):
    dim = dim if axis is None else axis
    if dim is None:
        raise TypeError(f"{name}() missing 1 required positional arguments: \"dim\"")
    if dtype is not None:
        input = input.to(dtype)
    return cls.apply(input, norm_dim(dim, input.ndim))


def softmax(input, dim=None, dtype=None, *, axis=None):
    """``exp(x) / sum(exp(x))`` along ``dim``: non-negative values that sum to 1."""
    return _softmax(Softmax, "softmax", input, dim, dtype, axis)


def log_softmax(input, dim=None, dtype=None, *, axis=None):
    """``log(softmax(x))``, computed directly (more accurate than taking the log)."""
    return _softmax(LogSoftmax, "log_softmax", input, dim, dtype, axis)


__methods__ = list(__all__)
__inplace__ = []
