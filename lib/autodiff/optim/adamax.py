"""Adamax: Adam with the infinity norm in place of the running mean of squared gradients."""
from __future__ import annotations

from ..backend import xp_of
from .adam import _check_adam_options
from .optimizer import Optimizer, _scalar, init_buffers, lerp_

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """``u = max(beta2 * u, |g| + eps)``, step ``lr / (1 - beta1^t) * m / u`` (Kingma & Ba)."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_adam_options(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One Adamax step; ``closure`` re-evaluates the model and returns the loss."""
        return self._step_each(closure)

    def _update(self, param, grad, state, group):
        init_buffers(param, state, "exp_avg", "exp_inf")
        lr, eps, wd = _scalar(group["lr"]), group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        state["step"]._data += 1
        if wd != 0:
            grad = grad + wd * param
        exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
        lerp_(exp_avg, grad, 1 - beta1)
        exp_inf *= beta2
        xp_of(exp_inf).maximum(exp_inf, abs(grad) + eps, out=exp_inf)
        clr = lr / (1 - beta1 ** state["step"].item())
        param += -clr * exp_avg / exp_inf
