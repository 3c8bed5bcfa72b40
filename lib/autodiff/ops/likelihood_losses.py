"""Negative log-likelihood losses of ``nn.functional`` for regression targets: Poisson counts
and Gaussian values with a predicted variance. Compositions of differentiable ops, as in torch.
"""
from __future__ import annotations

import math

from .._creation import ones_like
from ..autograd.grad_mode import no_grad
from .losses import apply_reduction, check_reduction, legacy_reduction

__all__ = []


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """``exp(x) - t x`` (``log_input``: ``x`` is the log of the rate) or ``x - t log(x + eps)``;
    ``full`` adds Stirling's approximation of ``log(t!)`` where ``t > 1``."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return apply_reduction(loss, reduction)


def _var_like_input(var, input):
    """``var`` shaped to broadcast against ``input``: the same shape, one dim short (one
    variance per sample), or one dim of size 1 where the input's differs."""
    if var.shape == input.shape:
        return var
    if tuple(input.shape[:-1]) == tuple(var.shape):
        return var.unsqueeze(-1)
    if input.dim() == var.dim() and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1:
        return var
    raise ValueError("var is of incorrect size")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """``(log(var) + (input - target)**2 / var) / 2`` (``full``: plus ``log(2 pi) / 2``), the
    variance clamped at ``eps`` -- without blocking its gradient."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = _var_like_input(var, input)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return apply_reduction(loss, reduction)


__methods__ = []
__inplace__ = []
