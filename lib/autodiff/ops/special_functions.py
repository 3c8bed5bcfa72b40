"""The functions that only ``torch.special`` has: entropy, the normal distribution's cdf and its
inverse, scaled error functions, modified Bessel functions, Hurwitz zeta, incomplete gamma.

The values come from ``scipy.special`` (``cupyx.scipy.special`` on the GPU); the gradients are
written with tensor ops, so they can be differentiated again. These names are not exported as
``autodiff.<name>``: ``autodiff.special`` collects them.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from ..autograd.function import Function
from ..tensor import Tensor
from ._linalg_util import TYPE_NAMES
from ._reduce import quiet
from ._util import is_tensor, promote, xp_of
from .arithmetic import AddScalar, MulScalar, _out
from .indexing import where
from .unary import _Unary, _float, _special, digamma, erf, lgamma

__all__ = ["entr", "erfcx", "ndtr", "ndtri", "log_ndtr", "i0", "i0e", "i1", "i1e", "xlog1py",
           "zeta", "gammainc", "gammaincc", "multigammaln", "bessel_j0", "bessel_j1",
           "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
           "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
           "scaled_modified_bessel_k1", "spherical_bessel_j0"]


class _Scipy(_Unary):
    """``scipy.special.<scipy_name>`` elementwise, in the input's float dtype."""
    scipy_name = ""

    @classmethod
    def fn(cls, xp, x):
        with quiet():
            return _special(xp, cls.scipy_name)(x).astype(x.dtype, copy=False)


class Entr(_Scipy):
    """``-x log x`` (0 at 0, -inf for x < 0)."""
    grad_name = "SpecialEntrBackward0"
    scipy_name = "entr"

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * -(1 + a.log())


class Erfcx(_Scipy):
    """``exp(x^2) erfc(x)``, which does not underflow for large x."""
    grad_name = "SpecialErfcxBackward0"
    scipy_name = "erfcx"
    save_output = True

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * (2 * a * ctx.output - 2 / math.sqrt(math.pi))


class Ndtri(_Scipy):
    """The inverse of the standard normal cdf; its slope is 1 / pdf(ndtri(p))."""
    grad_name = "SpecialNdtriBackward0"
    scipy_name = "ndtri"
    save_input, save_output = False, True

    @staticmethod
    def backward(ctx, grad):
        y = ctx.output
        return grad * math.sqrt(2 * math.pi) * (y * y / 2).exp()


class LogNdtr(_Scipy):
    """``log`` of the standard normal cdf, accurate far in the left tail."""
    grad_name = "SpecialLogNdtrBackward0"
    scipy_name = "log_ndtr"
    save_output = True

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad / math.sqrt(2 * math.pi) * (-(ctx.output + a * a / 2)).exp()


class I0(_Scipy):
    """The modified Bessel function of the first kind of order 0; I0' = I1."""
    grad_name = "I0Backward0"
    scipy_name = "i0"

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * i1(a)


class I0e(_Scipy):
    """``exp(-|x|) I0(x)``."""
    grad_name = "SpecialI0EBackward0"
    scipy_name = "i0e"
    save_output = True

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * (i1e(a) - a.sgn() * ctx.output)


def _away_from_zero(a):
    """``(tiny, safe)``: where |a| <= eps, and a with those entries replaced by eps, so that
    1 / safe stays finite in the gradient's unused branch (which would turn a 0 into nan)."""
    eps = float(np.finfo(a._data.dtype).eps)
    tiny = a.abs() <= eps
    return tiny, where(tiny, eps, a)


class I1(_Scipy):
    """The modified Bessel function of order 1; I1' = I0 - I1 / x (1/2 at 0)."""
    grad_name = "SpecialI1Backward0"
    scipy_name = "i1"
    save_output = True

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        tiny, safe = _away_from_zero(a)
        return grad * where(tiny, 0.5, i0(safe) - ctx.output / safe)


class I1e(_Scipy):
    """``exp(-|x|) I1(x)``."""
    grad_name = "SpecialI1EBackward0"
    scipy_name = "i1e"
    save_output = True

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        tiny, safe = _away_from_zero(a)
        return grad * where(tiny, 0.5, i0e(safe) - ctx.output * (safe.sgn() + 1 / safe))


# ---- functions of two arguments -----------------------------------------------------------------
def _float_operands(a, b):
    """Both operands as arrays of their float result type (ints promote to the default)."""
    rt = D.result_type(a, b)
    rt = (rt if rt.is_floating_point else D.get_default_dtype()).np
    x, y = promote(a, b)                     # (checks shapes and devices)
    xp = xp_of(a._data if is_tensor(a) else b._data)
    return xp, xp.asarray(x).astype(rt, copy=False), xp.asarray(y).astype(rt, copy=False)


class _Binary(Function):
    """``f(a, b)`` where either may be a number; backward sees numbers as they were given."""

    @classmethod
    def forward(cls, ctx, a, b):
        xp, x, y = _float_operands(a, b)
        ctx.save_for_backward(*(t if is_tensor(t) else None for t in (a, b)))
        ctx.scalars = tuple(None if is_tensor(t) else t for t in (a, b))
        with quiet():
            return cls.fn(xp, x, y)

    @staticmethod
    def operands(ctx):
        return tuple(s if t is None else t for t, s in zip(ctx.saved_tensors, ctx.scalars))


class Xlog1py(_Binary):
    """``x * log1p(y)``, 0 where x == 0 (unless y is nan)."""
    grad_name = "SpecialXlog1PyBackward0"

    @staticmethod
    def fn(xp, x, y):
        out = x * xp.log1p(y)
        return xp.where((x == 0) & ~xp.isnan(y), 0, out).astype(out.dtype, copy=False)

    @classmethod
    def backward(cls, ctx, grad):
        a, b = cls.operands(ctx)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = xlog1py(grad, b).masked_fill((a == 0) & (b <= -1), 0.0)
        if ctx.needs_input_grad[1]:
            gb = grad * a / (b + 1)
        return ga, gb


class Xlog1pyScalarSelf(Xlog1py):
    grad_name = "SpecialXlog1PyBackward1"


class Xlog1pyScalarOther(Xlog1py):
    grad_name = "SpecialXlog1PyBackward2"


class Zeta(_Binary):
    """The Hurwitz zeta function ``sum_k (k + q)^-x``; torch has no derivative in x."""
    grad_name = "SpecialZetaBackward0"

    @staticmethod
    def fn(xp, x, q):
        out = _special(xp, "zeta")(x, q).astype(x.dtype, copy=False)
        return xp.where((q == math.inf) & (x > 1), math.nan, out)     # torch: nan (scipy: 0)

    @classmethod
    def backward(cls, ctx, grad):
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        x, q = cls.operands(ctx)
        return None, grad * -x * zeta(x + 1, q)


class ZetaScalarSelf(Zeta):
    grad_name = "SpecialZetaBackward1"


class ZetaScalarOther(Zeta):
    grad_name = "SpecialZetaBackward2"


class Gammainc(_Binary):
    """The regularized lower incomplete gamma function P(a, x); torch has no derivative in a."""
    grad_name = "IgammaBackward0"
    kernel, sign = "igamma", 1
    fn = staticmethod(lambda xp, a, x: _special(xp, "gammainc")(a, x).astype(a.dtype, copy=False))

    @classmethod
    def backward(cls, ctx, grad):
        if ctx.needs_input_grad[0]:
            raise NotImplementedError(f"the derivative for '{cls.kernel}: input' is not "
                                      "implemented.")
        a, x = ctx.saved_tensors
        return None, grad * cls.sign * ((a - 1) * x.log() - x - lgamma(a)).exp()


class Gammaincc(Gammainc):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    grad_name = "IgammacBackward0"
    kernel, sign = "igammac", -1
    fn = staticmethod(lambda xp, a, x: _special(xp, "gammaincc")(a, x).astype(a.dtype, copy=False))


class Mvlgamma(Function):
    """The log of the multivariate gamma function of dimension p: a sum of p lgammas."""
    grad_name = "MvlgammaBackward0"

    @staticmethod
    def forward(ctx, a, p):
        ctx.save_for_backward(a)
        ctx.p = p
        x = _float(a._data)
        gammaln = _special(xp_of(x), "gammaln")
        with quiet():
            out = sum(gammaln(x - j / 2) for j in range(p)) + p * (p - 1) / 4 * math.log(math.pi)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        return grad * sum(digamma(a - j / 2) for j in range(ctx.p)), None


# ---- public functions ---------------------------------------------------------------------------
def _check_half(input, name):
    """torch's CPU kernels of the newer special functions have no float16 version."""
    if input.dtype is D.float16:
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'Half\'')


def _unary(cls, name, half=True):
    def f(input, *, out=None):
        if not half:
            _check_half(input, name)
        return _out(cls.apply(input), out)
    f.__name__ = name
    f.__doc__ = f"{cls.__doc__.splitlines()[0]} (gradient node ``{cls.grad_name}``)."
    return f


entr = _unary(Entr, "entr")
erfcx = _unary(Erfcx, "erfcx", half=False)
ndtri = _unary(Ndtri, "ndtri", half=False)
log_ndtr = _unary(LogNdtr, "log_ndtr", half=False)
i0 = _unary(I0, "i0")
i0e = _unary(I0e, "i0e")
i1 = _unary(I1, "i1")
i1e = _unary(I1e, "i1e")


def ndtr(input, *, out=None):
    """The standard normal cdf, ``(1 + erf(x / sqrt(2))) / 2``: a composite, as in torch."""
    scaled = erf(MulScalar.apply(input, math.sqrt(0.5)))
    return _out(MulScalar.apply(AddScalar.apply(scaled, 1), 0.5), out)


def _scalar_or_tensor(name, cls, input, other, out):
    """Dispatch ``f(tensor, tensor)``, ``f(number, tensor)``, ``f(tensor, number)``."""
    if not is_tensor(input) and not is_tensor(other):
        raise TypeError(f"special_{name}() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(other).__name__}), but expected one "
                        "of:\n * (Tensor input, Tensor other, *, Tensor out = None)\n"
                        " * (Number self, Tensor other, *, Tensor out = None)\n"
                        " * (Tensor input, Number other, *, Tensor out = None)\n")
    if not is_tensor(input):
        cls = cls.ScalarSelf
    elif not is_tensor(other):
        cls = cls.ScalarOther
    return _out(cls.apply(input, other), out)


Xlog1py.ScalarSelf, Xlog1py.ScalarOther = Xlog1pyScalarSelf, Xlog1pyScalarOther
Zeta.ScalarSelf, Zeta.ScalarOther = ZetaScalarSelf, ZetaScalarOther


def xlog1py(input, other, *, out=None):
    """``input * log1p(other)``, defined as 0 where input == 0 (unless other is nan)."""
    return _scalar_or_tensor("xlog1py", Xlog1py, input, other, out)


def zeta(input, other, *, out=None):
    """The Hurwitz zeta function of ``input`` (x) and ``other`` (q)."""
    return _scalar_or_tensor("zeta", Zeta, input, other, out)


def _incomplete_gamma(cls, name, input, other, out):
    for pos, (arg, v) in enumerate((("input", input), ("other", other)), 1):
        if not is_tensor(v):
            raise TypeError(f"special_{name}(): argument '{arg}' (position {pos}) must be "
                            f"Tensor, not {type(v).__name__}")
    rt = D.result_type(input, other)
    if not rt.is_floating_point:
        raise NotImplementedError(f'"{cls.kernel}_cpu" not implemented for '
                                  f"'{TYPE_NAMES[rt.name]}'")
    return _out(cls.apply(input, other), out)


def gammainc(input, other, *, out=None):
    """The regularized lower incomplete gamma function P(input, other)."""
    return _incomplete_gamma(Gammainc, "gammainc", input, other, out)


def gammaincc(input, other, *, out=None):
    """The regularized upper incomplete gamma function Q(input, other) = 1 - P."""
    return _incomplete_gamma(Gammaincc, "gammaincc", input, other, out)


def multigammaln(input, p, *, out=None):
    """``log Gamma_p(x) = p(p-1)/4 log(pi) + sum_{j<p} lgamma(x - j/2)``."""
    if not isinstance(p, (int, np.integer)) or isinstance(p, bool):
        raise TypeError("special_multigammaln(): argument 'p' (position 2) must be int, not "
                        f"{type(p).__name__}")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    return _out(Mvlgamma.apply(input, int(p)), out)


# ---- Bessel functions: values only (torch gives them no gradient) -------------------------------
def _spherical_j0(xp, x):
    """``sin(x) / x``: 1 at 0, 0 at +-inf."""
    return xp.where(xp.isinf(x), 0, xp.sinc(x / math.pi))


def _no_grad(name, scipy_name):
    def f(input, *, out=None):
        _check_half(input, name)
        x = _float(input._data)
        xp = xp_of(x)
        with quiet():
            y = _special(xp, scipy_name)(x) if scipy_name else _spherical_j0(xp, x)
        return _out(Tensor._make(y.astype(x.dtype, copy=False)), out)
    f.__name__ = name
    f.__doc__ = f"``{name}`` elementwise, without a gradient (as in torch)."
    return f


bessel_j0 = _no_grad("bessel_j0", "j0")
bessel_j1 = _no_grad("bessel_j1", "j1")
bessel_y0 = _no_grad("bessel_y0", "y0")
bessel_y1 = _no_grad("bessel_y1", "y1")
modified_bessel_i0 = _no_grad("modified_bessel_i0", "i0")
modified_bessel_i1 = _no_grad("modified_bessel_i1", "i1")
modified_bessel_k0 = _no_grad("modified_bessel_k0", "k0")
modified_bessel_k1 = _no_grad("modified_bessel_k1", "k1")
scaled_modified_bessel_k0 = _no_grad("scaled_modified_bessel_k0", "k0e")
scaled_modified_bessel_k1 = _no_grad("scaled_modified_bessel_k1", "k1e")
spherical_bessel_j0 = _no_grad("spherical_bessel_j0", None)        # sin(x) / x
