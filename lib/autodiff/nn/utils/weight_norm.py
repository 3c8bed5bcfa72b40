"""Weight normalization ``w = g * v / ||v||`` (Salimans & Kingma, 2016): its kernel and the legacy
hook version ``weight_norm`` / ``remove_weight_norm`` (``torch.nn.utils.weight_norm``).

The legacy version replaces the parameter ``weight`` by two parameters ``weight_g`` (the norms)
and ``weight_v`` (the directions) and recomputes the plain attribute ``weight`` in a forward
pre-hook. The newer :func:`autodiff.nn.utils.parametrizations.weight_norm` does the same with a
parametrization.
"""
from __future__ import annotations

import warnings

from ...autograd.function import Function
from ...ops._util import xp_of
from ..parameter import Parameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm", "norm_except_dim"]


def _other_axes(ndim: int, dim: int) -> tuple:
    return tuple(d for d in range(ndim) if d != dim)


def norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm of ``v`` over every dimension but ``dim`` (kept, as size 1); ``dim=-1``
    means the norm of the whole tensor (a 0-d result)."""
    if dim == -1:
        return v.norm(pow)
    dim = dim + v.dim() if dim < 0 else dim
    axes = _other_axes(v.dim(), dim)
    return v.norm(pow, dim=axes, keepdim=True) if axes else v.abs()


class WeightNormInterface(Function):
    """``v * g / ||v||`` with the norm over every dimension but ``dim`` (0 or the last)."""
    grad_name = "WeightNormInterfaceBackward0"

    @staticmethod
    def forward(ctx, v, g, dim):
        ctx.save_for_backward(v, g)
        ctx.axes = _other_axes(v.dim(), dim)
        x = v._data
        norm = xp_of(x).sqrt((x * x).sum(axis=ctx.axes, keepdims=True))
        return x * (g._data / norm)

    @staticmethod
    def backward(ctx, grad):
        v, g = ctx.saved_tensors
        if ctx.axes:
            norm = (v * v).sum(ctx.axes, keepdim=True).sqrt()
            grad_g = (grad * v).sum(ctx.axes, keepdim=True) / norm
        else:
            norm = v.abs()
            grad_g = grad * v / norm
        return (g / norm) * (grad - v * (grad_g / norm)), grad_g, None


def _weight_norm(v, g, dim=0):
    """``torch._weight_norm``: ``v * (g / norm_except_dim(v, 2, dim))``."""
    if dim in (0, v.dim() - 1):
        return WeightNormInterface.apply(v, g, dim)
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name: str, dim: int) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"),
                            self.dim)

    @staticmethod
    def apply(module, name: str, dim: int) -> "WeightNorm":
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                      stacklevel=2)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError("Cannot register two weight_norm hooks on the same parameter "
                                   f"{name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name: str = "weight", dim: int = 0):
    """Deprecated hook version of weight normalization: ``name`` becomes ``name_g * name_v /
    ||name_v||``, recomputed before every forward (``dim=None`` normalizes the whole tensor)."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name: str = "weight"):
    """Undo :func:`weight_norm`: ``name`` is a plain parameter again, with its current value."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
