"""Automatic differentiation: ``backward``, ``grad``, ``Function``, grad modes, gradcheck."""
from . import anomaly_mode, function, grad_mode
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .engine import backward, grad
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,
                        set_grad_enabled)

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "gradcheck", "gradgradcheck", "detect_anomaly", "set_detect_anomaly"]

from .gradcheck import gradcheck, gradgradcheck   # the functions shadow their module, as in torch
from . import functional  # noqa: E402  (autodiff.autograd.functional: jacobian, hessian, ...)
