"""ASGD: stochastic gradient descent with a decaying step and a running average of the iterates
(Polyak-Ruppert averaging), as in ``torch.optim.ASGD``."""
from __future__ import annotations

from itertools import chain

import numpy as np

from .._dtype import float64, get_default_dtype
from ..backend import xp_of
from ..tensor import Tensor
from .optimizer import Optimizer, _scalar, zeros_like

__all__ = ["ASGD"]


def _scalar_tensor(param, value) -> Tensor:
    """A scalar kept in the state, on the parameter's device: float32 unless the default dtype
    is float64 (torch's ``step``, ``eta`` and ``mu``)."""
    dtype = np.float64 if get_default_dtype() is float64 else np.float32
    return Tensor._make(xp_of(param).array(value, dtype=dtype))


class ASGD(Optimizer):
    """``p *= 1 - lambd * eta``, ``p -= eta * g``; the step size decays as
    ``eta = lr / (1 + lambd * lr * t) ** alpha`` and, from step ``t0`` on, ``ax`` averages the
    iterates with weight ``mu = 1 / (t - t0)`` (Polyak & Juditsky, 1992)."""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= _scalar(lr):
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One ASGD step; ``closure`` re-evaluates the model and returns the loss."""
        return self._step_each(closure)

    def _update(self, param, grad, state, group):
        lr, lambd, wd = _scalar(group["lr"]), group["lambd"], group["weight_decay"]
        if len(state) == 0:
            state["step"] = _scalar_tensor(param, 0.0)
            state["eta"] = _scalar_tensor(param, lr)
            state["mu"] = _scalar_tensor(param, 1.0)
            state["ax"] = zeros_like(param)
        state["step"]._data += 1
        if wd != 0:
            grad = grad + wd * param
        eta = state["eta"].item()                     # rounded to the scalar dtype, as in torch
        param *= 1 - lambd * eta
        param += -eta * grad
        mu, ax = state["mu"].item(), state["ax"]._data
        if mu != 1:
            ax += (param - ax) * mu
        else:
            ax[...] = param
        step = state["step"].item()
        state["eta"]._data[...] = lr / ((1 + lambd * lr * step) ** group["alpha"])
        state["mu"]._data[...] = 1 / max(1, step - group["t0"])

    def load_state_dict(self, state_dict):
        """As :meth:`Optimizer.load_state_dict`, but ``eta`` and ``mu`` keep their scalar dtype
        (torch casts them to the parameter's, so its resumed run drifts from an uninterrupted
        one; here it resumes exactly)."""
        super().load_state_dict(state_dict)
        saved_ids = chain.from_iterable(g["params"] for g in state_dict["param_groups"])
        params = chain.from_iterable(g["params"] for g in self.param_groups)
        for index, param in zip(saved_ids, params):
            saved = state_dict["state"].get(index, {})
            for key in ("eta", "mu"):
                if key in saved:
                    self.state[param][key] = _scalar_tensor(param._data, float(saved[key]))

    def __setstate__(self, state):
        """Also turns ``eta`` and ``mu`` saved as numbers into the tensors ``step`` expects."""
        super().__setstate__(state)
        for param, s in self.state.items():
            for key in ("eta", "mu"):
                if isinstance(param, Tensor) and key in s and not isinstance(s[key], Tensor):
                    s[key] = _scalar_tensor(param._data, float(s[key]))
