"""``Linear`` (``y = x W^T + b``), ``Bilinear`` (``y = x1^T W x2 + b``) and ``Identity``."""
from __future__ import annotations

import math

from ... import _creation
from .. import functional as F, init
from ..parameter import Parameter
from .module import Module

__all__ = ["Identity", "Linear", "Bilinear"]


def _weight_and_bias(module, weight_shape, out_features, bias, device, dtype):
    """Register an uninitialised ``weight`` of ``weight_shape`` and a ``bias`` of
    ``out_features`` (None without ``bias``); ``reset_parameters`` fills them."""
    module.weight = Parameter(_creation.empty(weight_shape, device=device, dtype=dtype))
    if bias:
        module.bias = Parameter(_creation.empty(out_features, device=device, dtype=dtype))
    else:
        module.register_parameter("bias", None)


def _kaiming_reset(weight, bias):
    """torch's default init of linear and convolution layers: Kaiming uniform with
    ``a = sqrt(5)`` for ``weight``, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for ``bias``."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)


class Identity(Module):
    """Returns its input; takes and ignores any arguments (a placeholder layer)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """``y = x W^T + b`` with ``W`` of shape ``(out_features, in_features)``, initialised as
    torch does: U(-1/sqrt(in), 1/sqrt(in)) for both (Kaiming uniform with ``a = sqrt(5)``)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        _weight_and_bias(self, (out_features, in_features), out_features, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _kaiming_reset(self.weight, self.bias)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """``y_k = x1^T W_k x2 + b_k`` with ``W`` of shape ``(out, in1, in2)``, all initialised
    from U(-1/sqrt(in1), 1/sqrt(in1))."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        _weight_and_bias(self, (out_features, in1_features, in2_features), out_features, bias,
                         device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
