"""NAdam: Adam with Nesterov momentum (Dozat, 2016)."""
from __future__ import annotations

from .adam import _check_adam_options, _decay_weight, _update_moments
from .optimizer import Optimizer, _scalar, _step_tensor, sqrt, zeros_like

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """Adam whose first moment looks one step ahead, with a momentum that warms up as
    ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))``."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_adam_options(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One NAdam step; ``closure`` re-evaluates the model and returns the loss."""
        return self._step_each(closure)

    def _update(self, param, grad, state, group):
        if len(state) == 0:
            state["step"] = _step_tensor()
            state["mu_product"] = _step_tensor(1.0)
            state["exp_avg"] = zeros_like(param)
            state["exp_avg_sq"] = zeros_like(param)
        lr, eps, wd = _scalar(group["lr"]), group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        state["step"]._data += 1
        step = state["step"].item()
        bias_correction2 = 1 - beta2 ** step
        grad = _decay_weight(param, grad, lr, wd, group["decoupled_weight_decay"])
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * group["momentum_decay"])))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * group["momentum_decay"])))
        state["mu_product"]._data *= mu           # in the counters' dtype, as torch
        mu_product = state["mu_product"].item()
        exp_avg, exp_avg_sq = _update_moments(state, grad, beta1, beta2)
        denom = sqrt(exp_avg_sq / bias_correction2) + eps
        param += (-lr * (1.0 - mu) / (1.0 - mu_product)) * grad / denom
        param += ((-lr * mu_next) / (1.0 - mu_product * mu_next)) * exp_avg / denom
