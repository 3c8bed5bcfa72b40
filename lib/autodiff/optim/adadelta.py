"""Adadelta: steps scaled by the ratio of running RMS values of past steps and of gradients."""
from __future__ import annotations

from .optimizer import Optimizer, _scalar, init_buffers, sqrt

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """``v = rho * v + (1 - rho) * g²``, ``delta = sqrt(u + eps) / sqrt(v + eps) * g``,
    ``u = rho * u + (1 - rho) * delta²``, ``p -= lr * delta`` (Zeiler, 2012)."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        if not 0.0 <= _scalar(lr):
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One Adadelta step; ``closure`` re-evaluates the model and returns the loss."""
        return self._step_each(closure)

    def _update(self, param, grad, state, group):
        init_buffers(param, state, "square_avg", "acc_delta")
        lr, rho, eps, wd = _scalar(group["lr"]), group["rho"], group["eps"], group["weight_decay"]
        state["step"]._data += 1
        if wd != 0:
            grad = grad + wd * param
        square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        std = sqrt(square_avg + eps)
        delta = sqrt(acc_delta + eps) / std * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param += -lr * delta
