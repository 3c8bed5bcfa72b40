"""Normalisation layers' maths: batch, layer, group, instance and RMS normalisation.

Each standardises the input over some dims -- ``(x - mean) / sqrt(var + eps)`` with the biased
variance -- then applies a learned scale (weight) and shift (bias):

* batch norm: over the batch and spatial dims, per channel (dim 1); in evaluation it uses the
  running statistics instead, which training updates with ``momentum``;
* layer norm: over the trailing ``normalized_shape`` dims of each sample;
* group norm: over groups of channels (and the spatial dims) of each sample;
* instance norm: over the spatial dims of each sample and channel.

The backward of a standardisation, with ``g`` the gradient times the weight and ``x^`` the
standardised input, is ``(g - mean(g) - x^ mean(g x^)) / std``. It is written with tensor ops
that recompute the statistics, so second derivatives are exact.
"""
from __future__ import annotations

import math

from .. import _dtype as D
from ..autograd.function import Function
from ..tensor import Tensor
from ._util import xp_of
from .avg_pooling import avg_pool2d, avg_pool3d
from .losses import not_implemented, type_name
from .padding import pad

# torch.batch_norm and torch.instance_norm take their arguments in another order: only the
# functions whose top-level signature is the same are exported as ``autodiff.<name>``
__all__ = ["layer_norm", "group_norm", "rms_norm"]


def _standardize_grad(grad, x, dims, eps):
    """d(standardise(x))/dx applied to ``grad``, and the standardised ``x``; ``dims`` are the
    dims the statistics run over."""
    xc = x - x.mean(dims, keepdim=True)
    invstd = ((xc * xc).mean(dims, keepdim=True) + eps).rsqrt()
    xhat = xc * invstd
    gx = invstd * (grad - grad.mean(dims, keepdim=True)
                   - xhat * (grad * xhat).mean(dims, keepdim=True))
    return gx, xhat


def _check_kernel(kernel, input):
    if not input.is_floating_point():
        raise not_implemented(kernel, input.dtype)


def _check_params(input, *params):
    """torch's (CPU) dtype rule for the parameters (weight, bias, running statistics): the
    input's dtype -- or float32 for a float16 input."""
    params = [p for p in params if p is not None]
    if params and params[0].dtype is not input.dtype:
        if any(p.dtype is not D.float32 for p in params):
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
        if input.dtype is not D.float16:
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
        return
    for p in params:
        if p.dtype is not input.dtype:
            raise RuntimeError(f"expected scalar type {type_name(input.dtype)} but found "
                               f"{type_name(p.dtype)}")


def _moments(x, dims):
    mean = x.mean(axis=dims, keepdims=True)
    return mean, ((x - mean) ** 2).mean(axis=dims, keepdims=True)


# ---- batch norm --------------------------------------------------------------------------------
class NativeBatchNorm(Function):
    grad_name = "NativeBatchNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        xd = x._data
        c = xd.shape[1]
        dims = (0,) + tuple(range(2, xd.ndim))
        shape = (1, c) + (1,) * (xd.ndim - 2)
        if training:
            mean, var = _moments(xd, dims)
            n = xd.size // c
            for buf, stat in ((running_mean, mean), (running_var, var * n / max(n - 1, 1))):
                if buf is not None:
                    buf._data[...] = (1 - momentum) * buf._data + momentum * stat.reshape(c)
                    buf._vc[0] += 1
        else:
            mean = running_mean._data.reshape(shape).astype(xd.dtype)
            var = running_var._data.reshape(shape).astype(xd.dtype)
        invstd = 1 / xp_of(xd).sqrt(var + eps)
        y = (xd - mean) * invstd
        if weight is not None:
            y = y * weight._data.reshape(shape)
        if bias is not None:
            y = y + bias._data.reshape(shape)
        ctx.save_for_backward(x, weight)
        ctx.dims, ctx.shape, ctx.training, ctx.eps = dims, shape, training, eps
        if not training:
            ctx.mean, ctx.invstd = Tensor._make(mean), Tensor._make(invstd)
        return y.astype(xd.dtype, copy=False)      # float32 parameters of a float16 input

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        dims, shape = ctx.dims, ctx.shape
        w = weight.reshape(shape) if weight is not None else None
        if ctx.training:
            gx, xhat = _standardize_grad(grad if w is None else grad * w, x, dims, ctx.eps)
        else:
            xhat = (x - ctx.mean) * ctx.invstd
            gx = grad * (ctx.invstd if w is None else ctx.invstd * w)
        gw = (grad * xhat).sum(dims) if ctx.needs_input_grad[1] else None
        gb = grad.sum(dims) if ctx.needs_input_grad[2] else None
        return gx, gw, gb, None, None, None, None, None


def _verify_batch_size(size):
    if math.prod(size[:1] + size[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{size}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Standardise each channel (dim 1) with the batch's statistics (``training``, which also
    updates the running ones in place) or with the running statistics."""
    if training:
        _verify_batch_size(input.shape)
    c = input.shape[1] if input.dim() > 1 else 0
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    _check_kernel("batch_norm", input)
    _check_params(input, weight, bias, running_mean, running_var)
    if not training and (running_mean is None or running_var is None):
        training = True                # no running statistics: always the batch's
    return NativeBatchNorm.apply(input, weight, bias, running_mean, running_var, training,
                                 momentum, eps)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Standardise each channel of each sample over its spatial dims: batch norm of the input
    seen as one sample with ``N * C`` channels, as torch computes it."""
    if use_input_stats and math.prod(input.shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{input.shape}")
    n, c = input.shape[:2]
    repeat = lambda t: None if t is None else t.unsqueeze(0).expand(n, c).reshape(n * c)
    rm, rv = (None if t is None else Tensor._make(xp_of(t._data).tile(t._data, n).astype(
        input._data.dtype, copy=False)) for t in (running_mean, running_var))
    out = batch_norm(input.reshape((1, n * c) + tuple(input.shape[2:])), rm, rv,
                     repeat(weight), repeat(bias), use_input_stats, momentum, eps)
    for buf, rep in ((running_mean, rm), (running_var, rv)):
        if buf is not None:
            buf._data[...] = rep._data.reshape(n, c).mean(axis=0)
            buf._vc[0] += 1
    return out.view(input.shape)


# ---- layer norm and group norm -----------------------------------------------------------------
class NativeLayerNorm(Function):
    grad_name = "NativeLayerNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, k, eps):
        xd = x._data
        dims = tuple(range(xd.ndim - k, xd.ndim))
        mean, var = _moments(xd, dims)
        y = (xd - mean) / xp_of(xd).sqrt(var + eps)
        if weight is not None:
            y = y * weight._data
        if bias is not None:
            y = y + bias._data
        ctx.save_for_backward(x, weight)
        ctx.dims, ctx.eps = dims, eps
        return y.astype(xd.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        gx, xhat = _standardize_grad(grad if weight is None else grad * weight, x, ctx.dims,
                                     ctx.eps)
        gw = grad * xhat if ctx.needs_input_grad[1] else None   # summed down by the engine
        gb = grad if ctx.needs_input_grad[2] else None
        return gx, gw, gb, None, None


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Standardise each sample over its trailing ``normalized_shape`` dims."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    _check_params(input, weight, bias)
    k = len(shape)
    if input.dim() < k or tuple(input.shape[input.dim() - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got "
                               f"{name} of shape {list(t.shape)} and normalized_shape = "
                               f"{list(shape)}")
    _check_kernel("LayerNormKernelImpl", input)
    return NativeLayerNorm.apply(input, weight, bias, k, eps)


class NativeGroupNorm(Function):
    grad_name = "NativeGroupNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, groups, eps):
        xd = x._data
        n, c = xd.shape[:2]
        shape = (1, c) + (1,) * (xd.ndim - 2)
        grouped = xd.reshape(n, groups, -1)
        mean, var = _moments(grouped, (2,))
        y = ((grouped - mean) / xp_of(xd).sqrt(var + eps)).reshape(xd.shape)
        if weight is not None:
            y = y * weight._data.reshape(shape)
        if bias is not None:
            y = y + bias._data.reshape(shape)
        ctx.save_for_backward(x, weight)
        ctx.groups, ctx.shape, ctx.eps = groups, shape, eps
        return y.astype(xd.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        n = x.shape[0]
        g = grad if weight is None else grad * weight.reshape(ctx.shape)
        grouped = (n, ctx.groups, -1)
        gx, xhat = _standardize_grad(g.reshape(grouped), x.reshape(grouped), (2,), ctx.eps)
        dims = (0,) + tuple(range(2, x.dim()))
        gw = (grad * xhat.reshape(x.shape)).sum(dims) if ctx.needs_input_grad[1] else None
        gb = grad.sum(dims) if ctx.needs_input_grad[2] else None
        return gx.reshape(x.shape), gw, gb, None, None


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Standardise each sample over groups of ``C / num_groups`` channels (and space)."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    c = input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    _verify_batch_size((input.shape[0] * c // num_groups, num_groups) + tuple(input.shape[2:]))
    _check_params(input, weight, bias)
    _check_kernel("GroupNormKernelImpl", input)
    return NativeGroupNorm.apply(input, weight, bias, num_groups, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``x / sqrt(mean(x**2) + eps)`` over the trailing ``normalized_shape`` dims, times weight
    (``eps`` defaults to the dtype's machine epsilon)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.dim() - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    _check_kernel("rms_norm", input)
    if eps is None:
        import numpy as np
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.dim() - len(shape), input.dim()))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out if weight is None else (out * weight).to(input.dtype)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Local response normalisation: ``x / (k + alpha * m) ** beta`` with ``m`` the mean of
    ``x**2`` over ``size`` neighbouring channels (dim 1), an average pooling of the squares."""
    dim = input.dim()
    if dim < 3:
        raise ValueError("Expected 3D or higher dimensionality                          input "
                         f"(got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = (input * input).unsqueeze(1)                     # channels become a pooled dim
    if dim == 3:
        div = pad(div, (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        n, c = input.shape[:2]
        div = pad(div.view(n, 1, c, input.shape[2], -1), (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1).view(input.shape)
    return input / (div * alpha + k) ** beta


__methods__ = []
__inplace__ = []
