"""Adam (adaptive moment estimation) and AdamW (Adam with decoupled weight decay)."""
from __future__ import annotations

from ..backend import xp_of
from ..tensor import Tensor
from .optimizer import Optimizer, _scalar, init_buffers, lerp_, sqrt

__all__ = ["Adam", "AdamW"]


def _check_adam_options(lr, betas, eps, weight_decay):
    """torch's ValueErrors for the options the Adam family shares."""
    if not 0.0 <= _scalar(lr):
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= _scalar(betas[0]) < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= _scalar(betas[1]) < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _decay_weight(param, grad, lr, wd, decoupled):
    """Weight decay: ``wd * param`` added to the gradient (returned), or, ``decoupled`` (AdamW),
    the parameter itself shrunk by ``1 - lr * wd`` in place."""
    if wd != 0:
        if decoupled:
            param *= 1 - lr * wd
        else:
            grad = grad + wd * param
    return grad


def _update_moments(state, grad, beta1, beta2):
    """The running averages of the gradient and of its square, updated in place; returns both
    arrays."""
    exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
    lerp_(exp_avg, grad, 1 - beta1)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * grad * grad
    return exp_avg, exp_avg_sq


class Adam(Optimizer):
    """Running averages of the gradient (``exp_avg``) and of its square (``exp_avg_sq``),
    bias-corrected; the step is ``lr * m̂ / (sqrt(v̂) + eps)``. ``amsgrad`` uses the largest
    ``v`` seen so far; ``decoupled_weight_decay`` makes it AdamW."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_adam_options(lr, betas, eps, weight_decay)
        if isinstance(betas[0], Tensor) != isinstance(betas[1], Tensor):
            raise ValueError("betas must be either both floats or both Tensors")
        defaults = dict(lr=lr, betas=tuple(_scalar(b) for b in betas), eps=eps,
                        weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable,
                        fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One Adam step; ``closure`` re-evaluates the model and returns the loss."""
        return self._step_each(closure)

    def _update(self, param, grad, state, group):
        amsgrad = group["amsgrad"]
        init_buffers(param, state, "exp_avg", "exp_avg_sq", *(["max_exp_avg_sq"] * amsgrad))
        lr, wd, eps = _scalar(group["lr"]), group["weight_decay"], group["eps"]
        beta1, beta2 = (_scalar(b) for b in group["betas"])
        state["step"]._data += 1
        step = state["step"].item()
        grad = _decay_weight(param, grad, lr, wd, group["decoupled_weight_decay"])
        exp_avg, exp_avg_sq = _update_moments(state, grad, beta1, beta2)
        step_size = lr / (1 - beta1 ** step)
        bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
        if amsgrad:
            largest = state["max_exp_avg_sq"]._data
            xp_of(largest).maximum(largest, exp_avg_sq, out=largest)
            exp_avg_sq = largest
        denom = sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
        param += -step_size * exp_avg / denom


class AdamW(Adam):
    """Adam whose weight decay shrinks the parameters directly (``p *= 1 - lr * wd``) instead
    of being added to the gradient (Loshchilov & Hutter, 2019)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)
