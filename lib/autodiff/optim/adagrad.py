"""Adagrad: each coordinate's step shrinks with the sum of its past squared gradients."""
from __future__ import annotations

from ..backend import xp_of
from ..tensor import Tensor
from .optimizer import Optimizer, _scalar, _step_tensor, sqrt

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """``s += g²``, step ``clr * g / (sqrt(s) + eps)`` with ``clr = lr / (1 + (t - 1) *
    lr_decay)``; the sums start at ``initial_accumulator_value``."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        if not 0.0 <= _scalar(lr):
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:        # unlike the others, the state exists from the start
            for p in group["params"]:
                self._init_state(p._data, self.state[p])

    def _init_state(self, param, state):
        state["step"] = _step_tensor()
        value = self.defaults["initial_accumulator_value"]
        state["sum"] = Tensor._make(xp_of(param).full_like(param, value))

    def step(self, closure=None):
        """One Adagrad step; ``closure`` re-evaluates the model and returns the loss."""
        return self._step_each(closure)

    def _update(self, param, grad, state, group):
        if len(state) == 0:
            self._init_state(param, state)
        lr, wd, eps = _scalar(group["lr"]), group["weight_decay"], group["eps"]
        state["step"]._data += 1
        step = state["step"].item()
        if wd != 0:
            grad = grad + wd * param
        clr = lr / (1 + (step - 1) * group["lr_decay"])
        state_sum = state["sum"]._data
        state_sum += 1 * grad * grad
        std = sqrt(state_sum) + eps
        param += -clr * grad / std
