"""Automatic differentiation: ``backward``, ``grad``, ``Function``, grad modes, gradcheck."""
from . import function, grad_mode
from .engine import backward, grad
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,
                        set_grad_enabled)

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "gradcheck", "gradgradcheck"]

from .gradcheck import gradcheck, gradgradcheck   # the functions shadow their module, as in torch
from . import functional  # noqa: E402  (autodiff.autograd.functional: jacobian, hessian, ...)
