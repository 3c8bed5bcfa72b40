"""Dropout: while training, zero each element (or each whole channel) with probability ``p``
and scale the survivors by ``1 / (1 - p)``, so the expected value is unchanged; at evaluation
the input passes through untouched.

The random mask comes from autodiff's generator (``autodiff.manual_seed``); the result is
``input * mask``, so the graph shows torch's ``MulBackward0``.
"""
from __future__ import annotations

import math
import warnings

from .. import _dtype as D
from .._random import _gen_for
from ..backend import xp_of
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor

__all__ = ["dropout", "alpha_dropout", "feature_alpha_dropout", "dropout_", "alpha_dropout_"]

_SELU_ALPHA = 1.7580993408473766          # -scale * alpha of SELU: its saturation value


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(input, p, per_channel):
    """1 with probability ``1 - p``, else 0; one draw per channel ``(N, C, 1, ...)`` when
    ``per_channel``."""
    if per_channel:
        if input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    else:
        shape = tuple(input.shape)
    u = _gen_for(None, input.device).sample("uniform", shape, input._data.dtype)
    return Tensor._make((u < 1 - p).astype(input._data.dtype))


def _source(input, inplace):
    """What to compute from: a copy for an in-place op that autograd records (the multiply
    saves its operand for backward, and the input itself is about to be overwritten)."""
    return input.clone() if inplace and is_grad_enabled() and input.requires_grad else input


def _apply(input, result, inplace):
    if not inplace:
        return result
    from .inplace import apply_inplace
    return apply_inplace(input, result)


def _dropout(input, p, training, inplace, per_channel=False, alpha=False):
    _check_p(p)
    if p == 0 or not training or input.numel() == 0:
        return input
    x = _source(input, inplace)
    if p == 1:
        return _apply(input, x * Tensor._make(xp_of(input._data).zeros((), input._data.dtype)),
                      inplace)
    if not input.is_floating_point():       # torch's error: a float mask times an integer input
        from .losses import check_cast
        check_cast(D.get_default_dtype(), D.int64 if alpha and input.dtype is D.bool
                   else input.dtype)
    mask = _keep_mask(input, p, per_channel)
    if not alpha:
        return _apply(input, x * (mask / (1 - p)), inplace)
    # alpha dropout: dropped units take SELU's saturation value, then an affine map restores
    # the mean and variance of the input (Klambauer et al., 2017)
    a = 1.0 / math.sqrt((_SELU_ALPHA ** 2 * p + 1) * (1 - p))
    b = (mask - 1) * (_SELU_ALPHA * a) + _SELU_ALPHA * a * p
    return _apply(input, x * (mask * a) + b, inplace)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero elements with probability ``p`` (in training) and scale the rest by 1/(1-p)."""
    return _dropout(input, p, training, inplace)


def _channel_dropout(name, input, p, training, inplace, batched_dims, spatial):
    """dropout1d/2d/3d: whole channels are dropped; an unbatched input gets a batch dim."""
    _check_p(p)
    dim = input.dim()
    if dim not in batched_dims:
        lo, hi = batched_dims
        if name == "dropout1d":
            raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {dim}D input. "
                               "Note that dropout1d exists to provide channel-wise dropout on "
                               "inputs with 1 spatial dimension, a channel dimension, and an "
                               "optional batch dimension (i.e. 2D or 3D inputs).")
        warnings.warn(f"{name}: Received a {dim}-D input to {name}, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and "
                      "silence this warning, please use dropout instead. Note that "
                      f"{name} exists to provide channel-wise dropout on inputs with {spatial} "
                      "spatial dimensions, a channel dimension, and an optional batch dimension "
                      f"(i.e. {lo}D or {hi}D inputs).", stacklevel=3)
    if p == 0 or not training or input.numel() == 0:
        return input
    unbatched = dim == batched_dims[0] and name != "dropout2d"
    x = _source(input, inplace)
    x = x.unsqueeze(0) if unbatched else x
    out = _dropout(x, p, training, False, per_channel=True)
    out = out.squeeze(0) if unbatched else out
    return _apply(input, out, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Drop whole channels of ``(N, C, L)`` or ``(C, L)`` inputs."""
    return _channel_dropout("dropout1d", input, p, training, inplace, (2, 3), 1)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Drop whole channels (feature maps) of ``(N, C, H, W)`` inputs."""
    if input.dim() == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape "
                      "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch "
                      "to using dropout1d instead.", stacklevel=2)
    return _channel_dropout("dropout2d", input, p, training, inplace, (3, 4), 2)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Drop whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` inputs."""
    return _channel_dropout("dropout3d", input, p, training, inplace, (4, 5), 3)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: keeps the input's mean and variance."""
    return _dropout(input, p, training, inplace, alpha=True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels."""
    return _dropout(input, p, training, inplace, per_channel=True, alpha=True)


__methods__ = []
__inplace__ = []


def dropout_(input, p=0.5, train=True):
    """``autodiff.dropout_``: dropout written into ``input``."""
    return dropout(input, p, train, inplace=True)


def alpha_dropout_(input, p=0.5, train=True):
    """``autodiff.alpha_dropout_``: alpha dropout written into ``input``."""
    return alpha_dropout(input, p, train, inplace=True)
