"""RMSprop: divide the gradient by a running root-mean-square of its recent values."""
from __future__ import annotations

from .optimizer import Optimizer, _scalar, _step_tensor, lerp_, sqrt, zeros_like

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """``v = alpha * v + (1 - alpha) * g²``, step ``lr * g / (sqrt(v) + eps)``; ``centered``
    subtracts the squared running mean of ``g`` (an estimate of its variance); ``momentum``
    keeps a running sum of the steps."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        if not 0.0 <= _scalar(lr):
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One RMSprop step; ``closure`` re-evaluates the model and returns the loss."""
        return self._step_each(closure)

    def _update(self, param, grad, state, group):
        lr, alpha, eps = _scalar(group["lr"]), group["alpha"], group["eps"]
        momentum, wd = group["momentum"], group["weight_decay"]
        if len(state) == 0:
            state["step"] = _step_tensor()
            state["square_avg"] = zeros_like(param)
            if momentum > 0:
                state["momentum_buffer"] = zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = zeros_like(param)
        state["step"]._data += 1
        if wd != 0:
            grad = grad + wd * param
        square_avg = state["square_avg"]._data
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]._data
            lerp_(grad_avg, grad, 1 - alpha)
            avg = sqrt(square_avg + -1 * grad_avg * grad_avg)
        else:
            avg = sqrt(square_avg)
        avg = avg + eps
        if momentum > 0:
            buf = state["momentum_buffer"]._data
            buf *= momentum
            buf += grad / avg
            param += -lr * buf
        else:
            param += -lr * grad / avg
