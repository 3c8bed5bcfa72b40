"""Elementwise functions of one tensor: exp, log, trigonometry, activations, rounding, clamp.

Integer inputs to floating functions (``exp``, ``sqrt``, ...) are computed in the default
float dtype, as torch does.
"""
from __future__ import annotations

import math

from .. import _dtype as D
from ..autograd.function import Function
from ._reduce import quiet
from ._util import is_tensor, promote, xp_of
from .arithmetic import _out

__all__ = ["neg", "abs", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
           "rsqrt", "square", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh",
           "tanh", "asinh", "acosh", "atanh", "sigmoid", "relu", "reciprocal", "sign", "floor",
           "ceil", "round", "trunc", "frac", "clamp", "clip", "clamp_min", "clamp_max", "erf",
           "erfc", "erfinv", "lgamma", "digamma", "polygamma", "sinc", "logit",
           "nan_to_num", "isnan", "isinf", "isfinite", "signbit", "positive", "sgn", "absolute",
           "negative", "arcsin", "arccos", "arctan", "fix", "deg2rad", "rad2deg", "xlogy"]


def _float(x):
    """Integer and bool arrays become the default float dtype; floats stay as they are."""
    return x if x.dtype.kind == "f" else x.astype(D.get_default_dtype().np)


class _Unary(Function):
    """Base for f(x) with f' expressed through x (``save_for_backward``) or f(x) (``output``)."""

    @classmethod
    def fn(cls, xp, x):
        raise NotImplementedError

    @classmethod
    def forward(cls, ctx, a):
        if cls.save_input:
            ctx.save_for_backward(a)
        x = a._data
        if cls.to_float and x.dtype.kind != "f":
            x = _float(x)
        return cls.fn(xp_of(x), x)

    save_input = True
    to_float = True


class Neg(_Unary):
    grad_name = "NegBackward0"
    save_input = to_float = False

    @classmethod
    def fn(cls, xp, x):
        if x.dtype == bool:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        return -x

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Abs(_Unary):
    grad_name = "AbsBackward0"
    to_float = False
    fn = classmethod(lambda cls, xp, x: xp.abs(x))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * a.sign()


class Exp(_Unary):
    grad_name = "ExpBackward0"
    save_input, save_output = False, True
    fn = classmethod(lambda cls, xp, x: xp.exp(x))

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.output


class Exp2(_Unary):
    grad_name = "Exp2Backward0"
    save_input, save_output = False, True
    fn = classmethod(lambda cls, xp, x: xp.exp2(x))

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.output * math.log(2.0)


class Expm1(_Unary):
    grad_name = "Expm1Backward0"
    save_input, save_output = False, True
    fn = classmethod(lambda cls, xp, x: xp.expm1(x))

    @staticmethod
    def backward(ctx, grad):
        return grad * (ctx.output + 1)


class Log(_Unary):
    grad_name = "LogBackward0"
    fn = classmethod(lambda cls, xp, x: xp.log(x))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad / a


class Log2(_Unary):
    grad_name = "Log2Backward0"
    fn = classmethod(lambda cls, xp, x: xp.log2(x))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad / (a * math.log(2.0))


class Log10(_Unary):
    grad_name = "Log10Backward0"
    fn = classmethod(lambda cls, xp, x: xp.log10(x))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad / (a * math.log(10.0))


class Log1p(_Unary):
    grad_name = "Log1PBackward0"
    fn = classmethod(lambda cls, xp, x: xp.log1p(x))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad / (a + 1)


class Sqrt(_Unary):
    grad_name = "SqrtBackward0"
    save_input, save_output = False, True
    fn = classmethod(lambda cls, xp, x: xp.sqrt(x))

    @staticmethod
    def backward(ctx, grad):
        return grad / (2 * ctx.output)


class Rsqrt(_Unary):
    grad_name = "RsqrtBackward0"
    save_input, save_output = False, True
    fn = classmethod(lambda cls, xp, x: 1 / xp.sqrt(x))

    @staticmethod
    def backward(ctx, grad):
        return grad * -0.5 * ctx.output ** 3


class _TimesDerivative(Function):
    """``grad * f'(a)`` in one node (torch's MulBackward0 of ``grad * a.cos()``, computed
    without a node for ``a.cos()``): the backward of sin and cos. ``op`` gives ``f'`` on
    arrays (``derivative``) and ``f''`` on tensors (``second``), for double backward."""
    grad_name = "MulBackward0"

    @staticmethod
    def forward(ctx, grad, a, op):
        ctx.save_for_backward(grad, a)
        ctx.op = op
        x, g = a._data, grad._data
        return g * op.derivative(xp_of(x), x).astype(g.dtype, copy=False)

    @staticmethod
    def backward(ctx, gg):
        grad, a = ctx.saved_tensors
        d_grad = _TimesDerivative.apply(gg, a, ctx.op) if ctx.needs_input_grad[0] else None
        d_a = gg * grad * ctx.op.second(a) if ctx.needs_input_grad[1] else None
        return d_grad, d_a, None


class Sin(_Unary):
    grad_name = "SinBackward0"
    fn = classmethod(lambda cls, xp, x: xp.sin(x))
    derivative = staticmethod(lambda xp, x: xp.cos(x))
    second = staticmethod(lambda a: -a.sin())

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return _TimesDerivative.apply(grad, a, Sin)


class Cos(_Unary):
    grad_name = "CosBackward0"
    fn = classmethod(lambda cls, xp, x: xp.cos(x))
    derivative = staticmethod(lambda xp, x: -xp.sin(x))
    second = staticmethod(lambda a: -a.cos())

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return _TimesDerivative.apply(grad, a, Cos)


class Tan(_Unary):
    grad_name = "TanBackward0"
    save_input, save_output = False, True
    fn = classmethod(lambda cls, xp, x: xp.tan(x))

    @staticmethod
    def backward(ctx, grad):
        y = ctx.output
        return grad * (1 + y * y)


class Asin(_Unary):
    grad_name = "AsinBackward0"
    fn = classmethod(lambda cls, xp, x: xp.arcsin(x))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * (1 - a * a).rsqrt()


class Acos(_Unary):
    grad_name = "AcosBackward0"
    fn = classmethod(lambda cls, xp, x: xp.arccos(x))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return -grad * (1 - a * a).rsqrt()


class Atan(_Unary):
    grad_name = "AtanBackward0"
    fn = classmethod(lambda cls, xp, x: xp.arctan(x))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad / (1 + a * a)


class Sinh(_Unary):
    grad_name = "SinhBackward0"
    fn = classmethod(lambda cls, xp, x: xp.sinh(x))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * a.cosh()


class Cosh(_Unary):
    grad_name = "CoshBackward0"
    fn = classmethod(lambda cls, xp, x: xp.cosh(x))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * a.sinh()


class Tanh(_Unary):
    grad_name = "TanhBackward0"
    save_input, save_output = False, True
    fn = classmethod(lambda cls, xp, x: xp.tanh(x))

    @staticmethod
    def backward(ctx, grad):
        return TanhBackward.apply(grad, ctx.output)


class TanhBackward(Function):
    """``grad * (1 - y * y)``, tanh's gradient from its output ``y``, as one op (torch's
    ``tanh_backward``: its node names a double backward as torch does, and it saves two ops)."""
    grad_name = "TanhBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, y):
        ctx.save_for_backward(grad, y)
        g, t = promote(grad, y)
        return g * (1 - t * t)

    @staticmethod
    def backward(ctx, gg):
        grad, y = ctx.saved_tensors
        return (gg * (1 - y * y) if ctx.needs_input_grad[0] else None,
                -2 * gg * grad * y if ctx.needs_input_grad[1] else None)


class Asinh(_Unary):
    grad_name = "AsinhBackward0"
    fn = classmethod(lambda cls, xp, x: xp.arcsinh(x))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * (a * a + 1).rsqrt()


class Acosh(_Unary):
    grad_name = "AcoshBackward0"
    fn = classmethod(lambda cls, xp, x: xp.arccosh(x))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * (a * a - 1).rsqrt()


class Atanh(_Unary):
    grad_name = "AtanhBackward0"
    fn = classmethod(lambda cls, xp, x: xp.arctanh(x))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad / (1 - a * a)


class Sigmoid(_Unary):
    grad_name = "SigmoidBackward0"
    save_input, save_output = False, True

    @classmethod
    def fn(cls, xp, x):
        # 1 / (1 + exp(-x)) overflows for very negative x; this form never does
        e = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return SigmoidBackward.apply(grad, ctx.output)


class SigmoidBackward(Function):
    """``grad * y * (1 - y)``, sigmoid's gradient from its output ``y``, as one op (torch's
    ``sigmoid_backward``, as for tanh above)."""
    grad_name = "SigmoidBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, y):
        ctx.save_for_backward(grad, y)
        g, s = promote(grad, y)
        return g * s * (1 - s)

    @staticmethod
    def backward(ctx, gg):
        grad, y = ctx.saved_tensors
        return (gg * y * (1 - y) if ctx.needs_input_grad[0] else None,
                gg * grad * (1 - 2 * y) if ctx.needs_input_grad[1] else None)


class Relu(_Unary):
    grad_name = "ReluBackward0"
    save_input, save_output, to_float = False, True, False

    @classmethod
    def fn(cls, xp, x):
        if x.dtype == bool:
            raise RuntimeError('"clamp_min_scalar_cpu" not implemented for \'Bool\'')
        return xp.maximum(x, 0)

    @staticmethod
    def backward(ctx, grad):
        return ReluGrad.apply(grad, ctx.output)


class ReluGrad(Function):
    """``grad`` where the output ``y`` was positive, else 0, as one op (torch's
    ``threshold_backward``); its own gradient passes ``gg`` through the same mask."""
    grad_name = "ThresholdBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, y):
        ctx.save_for_backward(y)
        g = grad._data
        return g * (y._data > 0).astype(g.dtype, copy=False)

    @staticmethod
    def backward(ctx, gg):
        y, = ctx.saved_tensors
        return ReluGrad.apply(gg, y), None


class Reciprocal(_Unary):
    grad_name = "ReciprocalBackward0"
    save_input, save_output = False, True
    fn = classmethod(lambda cls, xp, x: 1 / x)

    @staticmethod
    def backward(ctx, grad):
        y = ctx.output
        return -grad * y * y


class Erf(_Unary):
    grad_name = "ErfBackward0"
    fn = classmethod(lambda cls, xp, x: _erf(xp, x))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * (2 / math.sqrt(math.pi)) * (-(a * a)).exp()


def _erf(xp, x):
    """erf to float64 precision (NumPy has none): scipy/cupyx when present, else a series."""
    try:
        if xp.__name__ == "numpy":
            from scipy.special import erf
        else:
            from cupyx.scipy.special import erf
        return erf(x).astype(x.dtype, copy=False)
    except ImportError:
        vec = xp.vectorize(math.erf) if hasattr(xp, "vectorize") else None
        return vec(x).astype(x.dtype)


def _special(xp, name):
    """``scipy.special.<name>`` (``cupyx.scipy.special.<name>`` for CuPy arrays)."""
    try:
        if xp.__name__ == "numpy":
            import scipy.special as special
        else:
            import cupyx.scipy.special as special
    except ImportError:
        raise ModuleNotFoundError(f"autodiff's {name} needs SciPy: pip install scipy") from None
    return getattr(special, name)


class Erfc(_Unary):
    grad_name = "ErfcBackward0"
    fn = classmethod(lambda cls, xp, x: _special(xp, "erfc")(x).astype(x.dtype, copy=False))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * (-2 / math.sqrt(math.pi)) * (-(a * a)).exp()


class Erfinv(_Unary):
    grad_name = "ErfinvBackward0"
    save_input, save_output = False, True
    fn = classmethod(lambda cls, xp, x: _special(xp, "erfinv")(x).astype(x.dtype, copy=False))

    @staticmethod
    def backward(ctx, grad):
        return grad * (math.sqrt(math.pi) / 2) * (ctx.output * ctx.output).exp()


class Lgamma(_Unary):
    """``log |Gamma(x)|``; its derivative is digamma."""
    grad_name = "LgammaBackward0"
    fn = classmethod(lambda cls, xp, x: _special(xp, "gammaln")(x).astype(x.dtype, copy=False))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * digamma(a)


class Digamma(_Unary):
    """``d/dx log Gamma(x)``; its derivative is polygamma(1, x)."""
    grad_name = "DigammaBackward0"

    @classmethod
    def fn(cls, xp, x):
        with quiet():
            out = _special(xp, "digamma")(x).astype(x.dtype, copy=False)
        return xp.where(x == 0, -math.inf, out)          # torch: -inf at 0 (scipy: nan)

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * polygamma(1, a)


class Polygamma(Function):
    """The n-th derivative of digamma; its derivative is polygamma(n + 1, x)."""
    grad_name = "PolygammaBackward0"

    @staticmethod
    def forward(ctx, a, n):
        ctx.save_for_backward(a)
        ctx.n = n
        x = _float(a._data)
        xp = xp_of(x)
        if n == 0:
            return Digamma.fn(xp, x)
        return _special(xp, "polygamma")(n, x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * polygamma(ctx.n + 1, a), None


class Sinc(_Unary):
    """``sin(pi x) / (pi x)``, 1 at 0."""
    grad_name = "SincBackward0"
    fn = classmethod(lambda cls, xp, x: xp.sinc(x))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        pix = a * math.pi
        slope = (pix * pix.cos() - pix.sin()) / (pix * a)
        return grad * slope.masked_fill(a == 0, 0.0)


class Logit(Function):
    """``log(x / (1 - x))``, with x clamped to ``[eps, 1 - eps]`` when ``eps`` is given (the
    gradient is then 0 outside that range; without eps it is nan outside [0, 1])."""
    grad_name = "LogitBackward0"

    @staticmethod
    def forward(ctx, a, eps):
        ctx.save_for_backward(a)
        ctx.eps = eps
        x = _float(a._data)
        xp = xp_of(x)
        if eps is not None:
            x = xp.clip(x, eps, 1 - eps)
        with quiet():
            return xp.log(x / (1 - x))

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        g = grad / (a * (1 - a))
        if ctx.eps is None:
            return g.masked_fill((a < 0) | (a > 1), math.nan), None
        return g.masked_fill((a < ctx.eps) | (a > 1 - ctx.eps), 0.0), None


class Xlogy(Function):
    """``x * log(y)``, 0 where x == 0 (unless y is nan)."""
    grad_name = "XlogyBackward0"

    @staticmethod
    def forward(ctx, a, b):
        rt = D.result_type(a, b)
        rt = (rt if rt.is_floating_point else D.get_default_dtype()).np
        x, y = promote(a, b)                     # (checks shapes and devices)
        xp = xp_of(a._data if is_tensor(a) else b._data)
        x, y = xp.asarray(x).astype(rt, copy=False), xp.asarray(y).astype(rt, copy=False)
        ctx.save_for_backward(*(t if is_tensor(t) else None for t in (a, b)))
        ctx.scalars = tuple(None if is_tensor(t) else t for t in (a, b))
        with quiet():
            out = x * xp.log(y)
        return xp.where((x == 0) & ~xp.isnan(y), 0, out).astype(out.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        a = ctx.scalars[0] if a is None else a
        b = ctx.scalars[1] if b is None else b
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = grad * xlogy((a != 0).to(grad.dtype), b)
        if ctx.needs_input_grad[1]:
            gb = grad * a / b
        return ga, gb


class XlogyScalarSelf(Xlogy):
    grad_name = "XlogyBackward1"


class XlogyScalarOther(Xlogy):
    grad_name = "XlogyBackward2"


class _Scale(_Unary):
    """Multiplication by a constant (deg2rad, rad2deg), as its own node."""
    save_input = False
    factor = 1.0

    @classmethod
    def fn(cls, xp, x):
        return x * x.dtype.type(cls.factor)

    @classmethod
    def backward(cls, ctx, grad):
        return grad * cls.factor


class Deg2rad(_Scale):
    grad_name = "Deg2RadBackward0"
    factor = math.pi / 180


class Rad2deg(_Scale):
    grad_name = "Rad2DegBackward0"
    factor = 180 / math.pi


class NanToNum(Function):
    """nan, +inf and -inf replaced by numbers; the gradient passes where x was finite."""
    grad_name = "NanToNumBackward0"

    @staticmethod
    def forward(ctx, a, nan, posinf, neginf):
        ctx.save_for_backward(a)
        x = a._data
        if x.dtype.kind != "f":
            return x.copy()
        return xp_of(x).nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * a.isfinite().to(grad.dtype), None, None, None


class _ZeroGrad(_Unary):
    """Piecewise-constant functions: the gradient is zero everywhere it exists."""
    save_input, to_float = False, False

    @staticmethod
    def backward(ctx, grad):
        return grad * 0


def _keep_int(f):
    return classmethod(lambda cls, xp, x: x.copy() if x.dtype.kind in "iub" else f(xp, x))


class Sign(_ZeroGrad):
    grad_name = "SignBackward0"
    fn = classmethod(lambda cls, xp, x: xp.sign(x) if x.dtype != bool else x.copy())


class Floor(_ZeroGrad):
    grad_name = "FloorBackward0"
    fn = _keep_int(lambda xp, x: xp.floor(x))


class Ceil(_ZeroGrad):
    grad_name = "CeilBackward0"
    fn = _keep_int(lambda xp, x: xp.ceil(x))


class Round(_ZeroGrad):
    grad_name = "RoundBackward0"
    fn = _keep_int(lambda xp, x: xp.round(x))      # half to even, as torch


class RoundDecimals(_ZeroGrad):
    grad_name = "RoundBackward1"

    @staticmethod
    def forward(ctx, a, decimals):
        x = a._data
        return xp_of(x).round(x, decimals)

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, None


class Trunc(_ZeroGrad):
    grad_name = "TruncBackward0"
    fn = _keep_int(lambda xp, x: xp.trunc(x))


class Frac(_Unary):
    grad_name = "FracBackward0"
    save_input, to_float = False, False
    fn = classmethod(lambda cls, xp, x: x - xp.trunc(x))

    @staticmethod
    def backward(ctx, grad):
        return grad


class Clamp(Function):
    """clamp with scalar bounds: the gradient passes where min <= x <= max."""
    grad_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, a, lo, hi):
        x = a._data
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        if x.dtype.kind != "f" and (isinstance(lo, float) or isinstance(hi, float)):
            x = _float(x)
        xp = xp_of(x)
        out = x
        if lo is not None:
            out = xp.maximum(out, lo)
        if hi is not None:
            out = xp.minimum(out, hi)
        return out.astype(x.dtype, copy=False) if out is not x else out.copy()

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        mask = None
        if ctx.lo is not None:
            mask = a >= ctx.lo
        if ctx.hi is not None:
            m = a <= ctx.hi
            mask = m if mask is None else mask & m
        return grad * mask.to(grad.dtype), None, None


class ClampMin(Clamp):
    grad_name = "ClampMinBackward0"


class ClampMax(Clamp):
    grad_name = "ClampMaxBackward0"


class ClampTensor(Function):
    grad_name = "ClampBackward0"
    _operands = (0, 1, 2)       # a missing bound is listed as (None, 0), as in torch

    @staticmethod
    def forward(ctx, a, lo, hi):
        x = a._data
        xp = xp_of(x)
        out = x
        if lo is not None:
            out = xp.maximum(out, lo._data)
        if hi is not None:
            out = xp.minimum(out, hi._data)
        ctx.save_for_backward(a, lo, hi)
        return out.astype(x.dtype, copy=False) if out is not x else out.copy()

    @staticmethod
    def backward(ctx, grad):
        a, lo, hi = ctx.saved_tensors
        keep = None
        glo = ghi = None
        if lo is not None:
            below = a < lo
            keep = ~below
            glo = grad * below.to(grad.dtype)
        if hi is not None:
            above = a > hi
            if lo is not None:
                above = above & ~(a < lo)
            keep = ~above if keep is None else keep & ~above
            ghi = grad * above.to(grad.dtype)
        return grad * keep.to(grad.dtype), glo, ghi


# ---- public functions ---------------------------------------------------------------------------
def _unary(cls):
    def f(input, *, out=None):
        result = cls.apply(input)
        return result if out is None else _out(result, out)
    f.__name__ = cls.__name__.lower()
    f.__doc__ = f"Elementwise ``{f.__name__}`` (gradient node ``{cls.grad_name}``)."
    return f


neg = negative = _unary(Neg)
abs = absolute = _unary(Abs)
exp = _unary(Exp)
exp2 = _unary(Exp2)
expm1 = _unary(Expm1)
log = _unary(Log)
log2 = _unary(Log2)
log10 = _unary(Log10)
log1p = _unary(Log1p)
sqrt = _unary(Sqrt)
rsqrt = _unary(Rsqrt)
sin = _unary(Sin)
cos = _unary(Cos)
tan = _unary(Tan)
asin = arcsin = _unary(Asin)
acos = arccos = _unary(Acos)
atan = arctan = _unary(Atan)
sinh = _unary(Sinh)
cosh = _unary(Cosh)
tanh = _unary(Tanh)
asinh = _unary(Asinh)
acosh = _unary(Acosh)
atanh = _unary(Atanh)
sigmoid = _unary(Sigmoid)
relu = _unary(Relu)
reciprocal = _unary(Reciprocal)
sign = sgn = _unary(Sign)
floor = _unary(Floor)
ceil = _unary(Ceil)
trunc = fix = _unary(Trunc)
frac = _unary(Frac)
erf = _unary(Erf)


erfc = _unary(Erfc)
erfinv = _unary(Erfinv)
lgamma = _unary(Lgamma)
digamma = _unary(Digamma)
sinc = _unary(Sinc)
deg2rad = _unary(Deg2rad)
rad2deg = _unary(Rad2deg)


def polygamma(n, input, *, out=None):
    """The ``n``-th derivative of digamma (``polygamma(0, x)`` is digamma)."""
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return _out(Polygamma.apply(input, int(n)), out)


def _polygamma_method(self, n):
    """``x.polygamma(n)``: the tensor method takes ``n`` second, as torch's does."""
    return polygamma(n, self)


def round(input, *, decimals=0, out=None):
    """Round half to even; ``decimals`` rounds to that many decimal places."""
    from .arithmetic import _out
    if decimals:
        return _out(RoundDecimals.apply(input, decimals), out)
    return _out(Round.apply(input), out)


def square(input, *, out=None):
    from .arithmetic import pow
    return pow(input, 2, out=out)


def positive(input):
    return input


def clamp(input, min=None, max=None, *, out=None):
    """Limit values to ``[min, max]``; bounds may be scalars or tensors."""
    from .arithmetic import _out
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if is_tensor(min) or is_tensor(max):
        from ._util import as_tensor_like
        lo = as_tensor_like(min, input) if min is not None else None
        hi = as_tensor_like(max, input) if max is not None else None
        return _out(ClampTensor.apply(input, lo, hi), out)
    return _out(Clamp.apply(input, min, max), out)


clip = clamp


def clamp_min(input, min):
    """``max(input, min)`` elementwise (gradient node ``ClampMinBackward0``)."""
    if is_tensor(min):
        return clamp(input, min=min)
    return ClampMin.apply(input, min, None)


def clamp_max(input, max):
    """``min(input, max)`` elementwise (gradient node ``ClampMaxBackward0``)."""
    if is_tensor(max):
        return clamp(input, max=max)
    return ClampMax.apply(input, None, max)


def logit(input, eps=None, *, out=None):
    """``log(p / (1 - p))``; with ``eps``, p is clamped to ``[eps, 1 - eps]`` first."""
    return _out(Logit.apply(input, eps), out)


def xlogy(input, other, *, out=None):
    """``input * log(other)``, defined as 0 where input == 0 (unless other is nan)."""
    if not is_tensor(input):
        if not is_tensor(other):
            raise TypeError(f"xlogy(): argument 'input' must be Tensor, not {type(input).__name__}")
        return _out(XlogyScalarSelf.apply(input, other), out)
    return _out((Xlogy if is_tensor(other) else XlogyScalarOther).apply(input, other), out)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    """nan -> ``nan``, +inf -> ``posinf`` (the dtype's max by default), -inf -> ``neginf``
    (its min)."""
    if input._data.dtype.kind == "f":
        info = _finfo(input)
        posinf = info.max if posinf is None else posinf
        neginf = info.min if neginf is None else neginf
    return _out(NanToNum.apply(input, nan, posinf, neginf), out)


def _finfo(t):
    import numpy as np
    return np.finfo(t._data.dtype)


# ---- predicates (no gradient) -------------------------------------------------------------------
def _predicate(name):
    def f(input):
        from ..tensor import Tensor
        x = input._data
        xp = xp_of(x)
        if x.dtype.kind != "f":
            val = {"isnan": False, "isinf": False, "isfinite": True, "signbit": None}[name]
            if val is None:
                return Tensor._make(x < 0)
            return Tensor._make(xp.full(x.shape, val, dtype=bool))
        return Tensor._make(getattr(xp, name)(x))
    f.__name__ = name
    return f


isnan = _predicate("isnan")
isinf = _predicate("isinf")
isfinite = _predicate("isfinite")
signbit = _predicate("signbit")


__methods__ = [n for n in __all__ if n != "polygamma"]
__inplace__ = [n for n in __all__ if n not in ("isnan", "isinf", "isfinite", "signbit", "positive", "polygamma")]
