"""Rprop (resilient backpropagation): each coordinate keeps its own step size, grown while its
gradient keeps its sign and shrunk when the sign flips; only the gradient's sign is used."""
from __future__ import annotations

from ..backend import xp_of
from ..tensor import Tensor
from .optimizer import Optimizer, _scalar, _step_tensor, zeros_like

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Step sizes start at ``lr``; where ``g * prev > 0`` they are multiplied by ``etas[1]``,
    where it is ``< 0`` by ``etas[0]`` (and that coordinate skips this step), then clamped to
    ``step_sizes``; the step is ``sign(g) * step_size`` (Riedmiller & Braun, 1993)."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= _scalar(lr):
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One Rprop step; ``closure`` re-evaluates the model and returns the loss."""
        return self._step_each(closure)

    def _update(self, param, grad, state, group):
        xp = xp_of(param)
        if len(state) == 0:
            state["step"] = _step_tensor()
            state["prev"] = zeros_like(param)
            state["step_size"] = Tensor._make(xp.full_like(param, _scalar(group["lr"])))
        etaminus, etaplus = group["etas"]
        smallest, largest = group["step_sizes"]
        state["step"]._data += 1
        prev, step_size = state["prev"]._data, state["step_size"]._data
        factor = xp.sign(grad * prev)                 # the factor, in the parameter's dtype
        factor[factor > 0] = etaplus
        factor[factor < 0] = etaminus
        factor[factor == 0] = 1
        step_size *= factor
        xp.clip(step_size, smallest, largest, out=step_size)
        grad = grad.copy()
        grad[factor == etaminus] = 0                  # a sign flip: no step, and no flip next time
        param += -1 * xp.sign(grad) * step_size
        prev[...] = grad
