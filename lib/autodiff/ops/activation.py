"""Activation functions of ``nn.functional`` (relu, sigmoid and tanh live in ``unary.py``).

Each is an elementwise ``f(x)`` whose backward multiplies the incoming gradient by ``f'(x)``.
For piecewise-linear functions ``f'`` is a constant mask; for smooth ones it is written with
tensor ops of the saved input, so that second derivatives work too.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor
from ._util import norm_dim, xp_of

# exported as ``autodiff.<name>`` where torch has them at top level too (the rest are only in
# ``nn.functional``)
__all__ = ["threshold", "celu", "selu", "hardshrink", "prelu", "rrelu"]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _const(array, like):
    """A constant (no-grad) tensor from a raw array, in the dtype of ``like``."""
    return Tensor._make(array.astype(like._data.dtype, copy=False))


def _check_float(a, kernel):
    if a._data.dtype.kind != "f":
        from .inplace import _type_name
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_type_name(a.dtype)}\'')


class _Activation(Function):
    """``f(x, *params)`` elementwise; subclasses give ``f`` (on arrays) and ``df`` (on tensors)."""

    kernel = None          # name in torch's "not implemented for 'Long'" error; None: any dtype

    @classmethod
    def forward(cls, ctx, a, *params):
        if cls.kernel:
            _check_float(a, cls.kernel)
        ctx.save_for_backward(a)
        ctx.params = params
        return cls.f(xp_of(a._data), a._data, *params)

    @classmethod
    def backward(cls, ctx, grad):
        a, = ctx.saved_tensors
        return (grad * cls.df(a, *ctx.params),) + (None,) * len(ctx.params)


class Threshold(_Activation):
    grad_name = "ThresholdBackward0"
    f = staticmethod(lambda xp, x, th, value: xp.where(x > th, x, value).astype(x.dtype))
    df = staticmethod(lambda a, th, value: _const(a._data > th, a))


class LeakyRelu(_Activation):
    grad_name, kernel = "LeakyReluBackward0", "leaky_relu_cpu"
    f = staticmethod(lambda xp, x, slope: xp.where(x > 0, x, x * slope))
    df = staticmethod(lambda a, slope: _const(xp_of(a._data).where(a._data > 0, 1.0, slope), a))


class Elu(_Activation):
    """``scale * x`` for x > 0, else ``alpha * scale * (exp(input_scale * x) - 1)``: ELU, SELU
    and CELU are all this function with different constants, as in torch."""
    grad_name, kernel = "EluBackward0", "elu_cpu"

    @staticmethod
    def f(xp, x, alpha, scale, input_scale):
        neg = alpha * scale * xp.expm1(xp.minimum(x, 0) * input_scale)
        return xp.where(x > 0, x * scale, neg).astype(x.dtype)

    @staticmethod
    def df(a, alpha, scale, input_scale):
        pos = _const(a._data > 0, a)
        return pos * scale + (1 - pos) * (alpha * scale * input_scale) * \
            (a.clamp(max=0) * input_scale).exp()


class Celu(Elu):
    grad_name = "CeluBackward0"


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


class Gelu(_Activation):
    """``x * Phi(x)`` (Phi: the standard normal CDF), or its tanh approximation."""
    grad_name, kernel = "GeluBackward0", "GeluKernelImpl"

    @staticmethod
    def f(xp, x, approximate):
        if approximate == "tanh":
            return 0.5 * x * (1 + xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)))
        from .unary import _erf
        return (0.5 * x * (1 + _erf(xp, x / math.sqrt(2.0)))).astype(x.dtype)

    @staticmethod
    def df(a, approximate):
        if approximate == "tanh":
            t = (_SQRT_2_OVER_PI * (a + 0.044715 * a ** 3)).tanh()
            return 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * _SQRT_2_OVER_PI * \
                (1 + 3 * 0.044715 * a * a)
        cdf = 0.5 * (1 + (a / math.sqrt(2.0)).erf())
        return cdf + a * (a * a * -0.5).exp() / math.sqrt(2 * math.pi)


class Silu(_Activation):
    grad_name, kernel = "SiluBackward0", "silu_cpu"
    f = staticmethod(lambda xp, x: x / (1 + xp.exp(-x)))

    @staticmethod
    def df(a):
        s = a.sigmoid()
        return s * (1 + a * (1 - s))


def _softplus_raw(xp, x):
    """log(1 + exp(x)) without overflow."""
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


class Mish(_Activation):
    grad_name, kernel = "MishBackward0", "mish_cpu"
    f = staticmethod(lambda xp, x: x * xp.tanh(_softplus_raw(xp, x)))

    @staticmethod
    def df(a):
        t = softplus(a).tanh()
        return t + a * a.sigmoid() * (1 - t * t)


class Softplus(_Activation):
    """``log(1 + exp(beta x)) / beta``, and x itself where ``beta x > threshold``."""
    grad_name, kernel = "SoftplusBackward0", "softplus_cpu"

    @staticmethod
    def f(xp, x, beta, th):
        return xp.where(x * beta > th, x, _softplus_raw(xp, x * beta) / beta).astype(x.dtype)

    @staticmethod
    def df(a, beta, th):
        linear = _const(a._data * beta > th, a)
        return linear + (1 - linear) * (a * beta).sigmoid()


class Hardtanh(_Activation):
    grad_name = "HardtanhBackward0"
    f = staticmethod(lambda xp, x, lo, hi: xp.clip(x, lo, hi).astype(x.dtype))
    df = staticmethod(lambda a, lo, hi: _const((a._data > lo) & (a._data < hi), a))


_ONE_SIXTH = float(np.float32(1.0 / 6.0))   # torch's backward kernel rounds 1/6 to float32


class Hardsigmoid(_Activation):
    grad_name, kernel = "HardsigmoidBackward0", "hardsigmoid_cpu"
    f = staticmethod(lambda xp, x: xp.clip(x + 3, 0, 6) / 6)
    df = staticmethod(lambda a: _const((a._data > -3) & (a._data < 3), a) * _ONE_SIXTH)


class Hardswish(_Activation):
    grad_name, kernel = "HardswishBackward0", "hardswish_cpu"
    f = staticmethod(lambda xp, x: x * xp.clip(x + 3, 0, 6) / 6)

    @staticmethod
    def df(a):
        mid = _const((a._data > -3) & (a._data < 3), a)
        return mid * (a / 3 + 0.5) + _const(a._data >= 3, a)


class LogSigmoid(_Activation):
    grad_name, kernel = "LogSigmoidBackward0", "log_sigmoid_cpu"
    f = staticmethod(lambda xp, x: -_softplus_raw(xp, -x))
    df = staticmethod(lambda a: (-a).sigmoid())


class Hardshrink(_Activation):
    grad_name = "HardshrinkBackward0"
    f = staticmethod(lambda xp, x, lambd: xp.where(xp.abs(x) > lambd, x, 0).astype(x.dtype))
    df = staticmethod(lambda a, lambd: _const(abs(a._data) > lambd, a))


class Softshrink(_Activation):
    grad_name = "SoftshrinkBackward0"

    @staticmethod
    def f(xp, x, lambd):
        return xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, 0)).astype(x.dtype)

    df = staticmethod(lambda a, lambd: _const(abs(a._data) > lambd, a))


class Glu(Function):
    """``a * sigmoid(b)`` where ``a`` and ``b`` are the two halves of the input along ``dim``."""
    grad_name = "GluBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        n = x._data.shape[dim]
        if n % 2:
            raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {n}")
        ctx.save_for_backward(x)
        ctx.dim = dim
        xp = xp_of(x._data)
        a, b = xp.split(x._data, 2, axis=dim)
        return a / (1 + xp.exp(-b))

    @staticmethod
    def backward(ctx, grad):
        from .joining import cat
        x, = ctx.saved_tensors
        h = x.shape[ctx.dim] // 2
        before = (slice(None),) * ctx.dim
        a, b = x[before + (slice(0, h),)], x[before + (slice(h, None),)]
        s = b.sigmoid()
        return cat([grad * s, grad * a * s * (1 - s)], ctx.dim), None


class Prelu(Function):
    """Leaky relu with a learned slope: one per channel (dim 1) or one shared."""
    grad_name = "PreluKernelBackward0"

    @staticmethod
    def forward(ctx, x, weight):
        ctx.save_for_backward(x, weight)
        return xp_of(x._data).where(x._data > 0, x._data, x._data * _channel_view(weight, x)._data)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        pos = _const(x._data > 0, x)
        w = _channel_view(weight, x)
        gx = grad * (pos + (1 - pos) * w)
        gw = grad * x * (1 - pos)
        if weight.numel() == 1:
            gw = gw.sum().reshape(weight.shape)
        else:
            gw = gw.sum([d for d in range(x.dim()) if d != 1])
        return gx, gw


def _channel_view(weight, x):
    """The weight shaped to broadcast along dim 1 of ``x``."""
    if weight.numel() == 1 or x.dim() < 2:
        return weight.reshape(())
    return weight.reshape((-1,) + (1,) * (x.dim() - 2))


# ---- functional wrappers ---------------------------------------------------------------------
def _run(cls, input, inplace, *params):
    """``cls.apply(input, *params)``, written into ``input`` when ``inplace`` (the op then works
    on a copy, so the input it saved for backward is not the one overwritten)."""
    if not inplace:
        return cls.apply(input, *params)
    from .inplace import apply_inplace
    src = input.clone() if is_grad_enabled() and input.requires_grad else input
    return apply_inplace(input, _inplace_node(cls).apply(src, *params))


_INPLACE_NODES = {}


def _inplace_node(cls):
    """torch names the in-place forms of elu, celu, selu, leaky_relu, threshold and rrelu
    ``...Backward1`` (their ``Backward0`` is the out-of-place op)."""
    if not cls.grad_name.endswith("Backward0") or cls.__name__ not in _BACKWARD1:
        return cls
    if cls not in _INPLACE_NODES:
        _INPLACE_NODES[cls] = type(cls.__name__ + "_", (cls,),
                                   {"grad_name": cls.grad_name[:-1] + "1"})
    return _INPLACE_NODES[cls]


_BACKWARD1 = {"Elu", "Celu", "LeakyRelu", "Threshold", "RreluWithNoise"}


def threshold(input, threshold, value, inplace=False):
    """``x`` where ``x > threshold``, else ``value``."""
    return _run(Threshold, input, inplace, threshold, value)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """``x`` for x > 0, else ``negative_slope * x``."""
    return _run(LeakyRelu, input, inplace, negative_slope)


def elu(input, alpha=1.0, inplace=False):
    """``x`` for x > 0, else ``alpha * (exp(x) - 1)``."""
    return _run(Elu, input, inplace, alpha, 1.0, 1.0)


def celu(input, alpha=1.0, inplace=False):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    return _run(Celu, input, inplace, alpha, 1.0, 1.0 / alpha)


def selu(input, inplace=False):
    """Scaled ELU with the self-normalising constants of Klambauer et al. (2017)."""
    return _run(Elu, input, inplace, SELU_ALPHA, SELU_SCALE, 1.0)


def gelu(input, approximate="none"):
    """``x * Phi(x)``; ``approximate='tanh'`` uses the tanh formula of Hendrycks & Gimpel."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return Gelu.apply(input, approximate)


def silu(input, inplace=False):
    """``x * sigmoid(x)`` (also called swish)."""
    return _run(Silu, input, inplace)


def mish(input, inplace=False):
    """``x * tanh(softplus(x))``."""
    return _run(Mish, input, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    """A smooth relu: ``log(1 + exp(beta * x)) / beta``."""
    return Softplus.apply(input, beta, threshold)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """``x`` clamped to ``[min_val, max_val]``."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _run(Hardtanh, input, inplace, min_val, max_val)


def relu6(input, inplace=False):
    """``min(max(0, x), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input, inplace=False):
    """``relu6(x + 3) / 6``: a piecewise-linear sigmoid."""
    return _run(Hardsigmoid, input, inplace)


def hardswish(input, inplace=False):
    """``x * relu6(x + 3) / 6`` (Howard et al., 2019)."""
    return _run(Hardswish, input, inplace)


def logsigmoid(input):
    """``log(sigmoid(x))``, computed without overflow."""
    return LogSigmoid.apply(input)


def softsign(input):
    """``x / (1 + |x|)``."""
    return input / (input.abs() + 1)


def tanhshrink(input):
    """``x - tanh(x)``."""
    return input - input.tanh()


def hardshrink(input, lambd=0.5):
    """``x`` where ``|x| > lambd``, else 0."""
    return Hardshrink.apply(input, lambd)


def softshrink(input, lambd=0.5):
    """``x`` moved towards 0 by ``lambd`` (0 inside ``[-lambd, lambd]``)."""
    return Softshrink.apply(input, lambd)


def glu(input, dim=-1):
    """Gated linear unit: ``a * sigmoid(b)`` for the two halves ``a, b`` of ``input``."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    return Glu.apply(input, norm_dim(dim, input.dim()))


def prelu(input, weight):
    """Leaky relu whose negative slope ``weight`` is learned (one value, or one per channel)."""
    channels = input.shape[1] if input.dim() >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError("Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {weight.numel()} and channel size = "
                           f"{channels}.")
    return Prelu.apply(input, weight)


class RreluWithNoise(Function):
    """Leaky relu with a random negative slope per element (training) or the mean slope."""
    grad_name = "RreluWithNoiseBackward0"

    @staticmethod
    def forward(ctx, x, slope):
        ctx.slope = _const(xp_of(x._data).where(x._data > 0, 1.0, slope), x)
        return x._data * ctx.slope._data

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.slope, None


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky relu: slopes drawn from U(lower, upper) in training, their mean else."""
    if training:
        from .._random import _gen_for
        u = _gen_for(None, input.device).sample("uniform", tuple(input.shape), input._data.dtype)
        slope = lower + (upper - lower) * u
    else:
        slope = (lower + upper) / 2
    return _run(RreluWithNoise, input, inplace, slope)


__methods__ = ["hardshrink", "prelu"]
__inplace__ = []
