"""Helpers shared by the distributions: broadcasting parameters, probs <-> logits, lazily
computed attributes."""
from __future__ import annotations

import numbers

from .. import _dtype as D
from .._creation import empty, tensor
from ..autograd import enable_grad
from ..ops.broadcasting import broadcast_tensors
from ..tensor import Tensor

__all__ = ["broadcast_all", "logits_to_probs", "probs_to_logits", "clamp_probs",
           "lazy_property"]

euler_constant = 0.57721566490153286060


def broadcast_all(*values):
    """Broadcast tensors and numbers together; numbers become tensors of the first tensor's
    dtype and device (the default dtype when all are numbers)."""
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, "
                         "torch.Tensor or objects implementing __torch_function__.")
    first = next((v for v in values if isinstance(v, Tensor)), None)
    options = (dict(dtype=first.dtype, device=first.device) if first is not None
               else dict(dtype=D.get_default_dtype()))
    return broadcast_tensors(*[v if isinstance(v, Tensor) else tensor(v, **options)
                               for v in values])


def _standard_normal(shape, dtype, device):
    """Standard normal draws from autodiff's generator."""
    return empty(tuple(shape), dtype=dtype, device=device).normal_()


def _sum_rightmost(value, dim):
    """Sum out the ``dim`` rightmost dims of ``value``."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:value.dim() - dim]) + (-1,)).sum(-1)


def logits_to_probs(logits, is_binary=False):
    """Probabilities from log-odds (binary: sigmoid) or unnormalised log-probabilities (softmax)."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def clamp_probs(probs):
    """Probabilities clamped to ``[eps, 1 - eps]`` so that their logs stay finite."""
    eps = D.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """Log-odds (binary) or log-probabilities from probabilities."""
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


class lazy_property:
    """An attribute computed on first access (with grad recording on) and then stored on the
    instance, so that e.g. ``Bernoulli(logits=...)`` computes ``probs`` only if asked."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.__name__, value)
        return value
