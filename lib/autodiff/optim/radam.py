"""RAdam: Adam whose adaptive step is switched on gradually, once the variance of the
adaptive learning rate is tractable (Liu et al., 2020)."""
from __future__ import annotations

from .adam import _check_adam_options, _decay_weight, _update_moments
from .optimizer import Optimizer, _scalar, init_buffers, sqrt

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """Adam with a rectification term ``r_t``; while the approximated SMA length ``rho_t`` is
    at most 5 the step is plain momentum SGD on the bias-corrected first moment."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_adam_options(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One RAdam step; ``closure`` re-evaluates the model and returns the loss."""
        return self._step_each(closure)

    def _update(self, param, grad, state, group):
        init_buffers(param, state, "exp_avg", "exp_avg_sq")
        lr, eps, wd = _scalar(group["lr"]), group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        state["step"]._data += 1
        step = state["step"].item()
        grad = _decay_weight(param, grad, lr, wd, group["decoupled_weight_decay"])
        exp_avg, exp_avg_sq = _update_moments(state, grad, beta1, beta2)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        corrected_avg = exp_avg / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive_lr = bias_correction2 ** 0.5 / (sqrt(exp_avg_sq) + eps)
            param += -1.0 * (corrected_avg * lr * adaptive_lr * rect)
        else:
            param += -1.0 * (corrected_avg * lr)
