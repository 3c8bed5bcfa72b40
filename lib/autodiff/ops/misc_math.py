"""Odds and ends of torch's math: alias names, ``float_power``, number-theory and bit-level
functions (``gcd``, ``ldexp``, ``frexp``, ``nextafter``), ``diagflat``, ``renorm``, writing a
slice into a copy (``slice_scatter``), and in-place forms of the special functions.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from ..autograd.function import Function
from ..tensor import Tensor
from . import special_functions as S
from ._linalg_util import TYPE_NAMES
from ._reduce import quiet
from ._util import is_tensor, norm_dim, promote, xp_of
from .arithmetic import _out, arctan2, pow
from .inplace import inplace_method, run_inplace
from .joining import split
from .rearranging import diag_embed
from .selection import masked_fill
from .unary import acosh as arccosh, asinh as arcsinh, atanh as arctanh, exp2, polygamma

__all__ = ["arccosh", "arcsinh", "arctanh", "arctan2", "is_signed", "is_same_size",
           "float_power", "heaviside", "gcd", "lcm", "ldexp", "nextafter", "isneginf", "isposinf",
           "isreal", "frexp", "diagflat", "renorm", "split_with_sizes", "slice_scatter",
           "select_scatter"]
__methods__ = __all__ + ["float_power_", "fill_diagonal_", "i0_", "igamma_", "igammac_",
                         "mvlgamma_", "polygamma_"]
__inplace__ = ["arccosh", "arcsinh", "arctanh", "arctan2", "heaviside", "gcd", "lcm", "ldexp",
               "nextafter", "renorm"]


def _frexp_type():
    from .. import return_types
    return getattr(return_types, "frexp", None) or return_types._make("frexp",
                                                                       ("mantissa", "exponent"))


def _type(t):
    return TYPE_NAMES[t.dtype.name]


def _need_tensor(fn, what, x, position=2):
    if not is_tensor(x):
        raise TypeError(f"{fn}(): argument '{what}' (position {position}) must be Tensor, "
                        f"not {type(x).__name__}")


# ---- predicates ---------------------------------------------------------------------------------
def is_signed(input) -> bool:
    """Whether the dtype holds negative numbers (floats and signed integers; not uint8, bool)."""
    return input.dtype.is_signed or input.dtype.is_complex


def is_same_size(input, other) -> bool:
    """Whether two tensors have the same shape."""
    _need_tensor("is_same_size", "other", other)
    return tuple(input.shape) == tuple(other.shape)


def _real_check(name, input):
    if input.dtype.is_complex:
        raise RuntimeError(f"{name} does not support complex inputs.")


def isneginf(input, *, out=None):
    """True where ``input`` is minus infinity."""
    _real_check("isneginf", input)
    x = input._data
    return _out(Tensor._make(xp_of(x).isneginf(x) if x.dtype.kind == "f"
                             else xp_of(x).zeros(x.shape, dtype=bool)), out)


def isposinf(input, *, out=None):
    """True where ``input`` is plus infinity."""
    _real_check("isposinf", input)
    x = input._data
    return _out(Tensor._make(xp_of(x).isposinf(x) if x.dtype.kind == "f"
                             else xp_of(x).zeros(x.shape, dtype=bool)), out)


def isreal(input):
    """True where the imaginary part is zero (everywhere, for a real dtype)."""
    x = input._data
    xp = xp_of(x)
    return Tensor._make(x.imag == 0 if x.dtype.kind == "c" else xp.ones(x.shape, dtype=bool))


# ---- float_power, ldexp, frexp, nextafter -------------------------------------------------------
def _double(x):
    return x.to(D.float64) if is_tensor(x) else float(x)


def float_power(input, exponent, *, out=None):
    """``pow`` computed in double precision: the result is always float64 (a composite)."""
    return _out(pow(_double(input), _double(exponent)), out)


def float_power_(self, exponent):
    """In-place ``float_power``: ``self`` must already be float64."""
    if self.dtype is not D.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {_type(self)} but the "
                           "operation's result requires dtype Double")
    return run_inplace(float_power, self, exponent)


class Ldexp(Function):
    """``input * 2**other``."""
    grad_name = "LdexpBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(b)
        x, e = promote(a, b)
        if x.dtype.kind != "f":
            x = x.astype(D.get_default_dtype().np)
        return x * xp_of(x).exp2(e.astype(x.dtype))

    @staticmethod
    def backward(ctx, grad):
        other, = ctx.saved_tensors
        return grad * exp2(other), grad * ctx.output * math.log(2)


def ldexp(input, other, *, out=None):
    """``input * 2**other``, in floating point."""
    _need_tensor("ldexp", "other", other)
    return _out(Ldexp.apply(input, other), out)


class Frexp(Function):
    """``input = mantissa * 2**exponent`` with ``0.5 <= |mantissa| < 1``."""
    grad_name = "FrexpBackward0"

    @staticmethod
    def forward(ctx, a):
        mantissa, exponent = xp_of(a._data).frexp(a._data)
        ctx.scale = Tensor._make(xp_of(a._data).ldexp(a._data.dtype.type(1), -exponent))
        return mantissa, exponent.astype(np.int32)

    @staticmethod
    def backward(ctx, grad_mantissa, grad_exponent):
        return grad_mantissa * ctx.scale


def frexp(input, *, out=None):
    """The mantissa (a float tensor) and the exponent (int32) of each element."""
    if not input.is_floating_point():
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    mantissa, exponent = Frexp.apply(input)
    if out is not None:
        mantissa, exponent = _out(mantissa, out[0]), _out(exponent, out[1])
    return _frexp_type()(mantissa, exponent)


class Nextafter(Function):
    """The next float after ``input`` in the direction of ``other``; slope 1 in ``input``."""
    grad_name = "NextafterBackward0"

    @staticmethod
    def forward(ctx, a, b):
        x, y = promote(a, b)
        return xp_of(x).nextafter(x, y)

    @staticmethod
    def backward(ctx, grad):
        return grad, grad * 0


def nextafter(input, other, *, out=None):
    """The next representable float after ``input`` towards ``other``."""
    _need_tensor("nextafter", "other", other)
    rt = D.result_type(input, other)
    if not rt.is_floating_point:
        raise NotImplementedError(f'"nextafter_cpu" not implemented for \'{TYPE_NAMES[rt.name]}\'')
    return _out(Nextafter.apply(input, other), out)


# ---- heaviside, gcd, lcm ------------------------------------------------------------------------
class Heaviside(Function):
    """The step function; torch defines no derivative (backward raises)."""
    grad_name = "NotImplemented"

    @staticmethod
    def forward(ctx, a, v):
        x, values = a._data, v._data
        xp = xp_of(x)
        return xp.where(x == 0, values, (x > 0).astype(x.dtype))

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::heaviside is not implemented")


def heaviside(input, values, *, out=None):
    """0 where ``input < 0``, 1 where ``input > 0``, ``values`` where ``input == 0``."""
    _need_tensor("heaviside", "values", values)
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return _out(Heaviside.apply(input, values), out)


def _integer_op(name, input, other):
    _need_tensor(name, "other", other)
    rt = D.result_type(input, other)
    if rt.is_floating_point or rt.is_complex or rt is D.bool:
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{TYPE_NAMES[rt.name]}\'')
    x, y = promote(input, other)
    return Tensor._make(getattr(xp_of(x), name)(x, y))


def gcd(input, other, *, out=None):
    """The greatest common divisor (non-negative) of integer tensors; ``gcd(0, 0) = 0``."""
    return _out(_integer_op("gcd", input, other), out)


def lcm(input, other, *, out=None):
    """The least common multiple (non-negative) of integer tensors."""
    return _out(_integer_op("lcm", input, other), out)


# ---- diagflat, renorm ---------------------------------------------------------------------------
def diagflat(input, offset=0):
    """The flattened input on diagonal ``offset`` of a square matrix (a composite)."""
    return diag_embed(input.reshape(-1), offset)


class Renorm(Function):
    """Each slice along ``dim`` whose p-norm exceeds ``maxnorm`` is scaled down to it."""
    grad_name = "RenormBackward0"

    @staticmethod
    def forward(ctx, a, p, dim, maxnorm):
        ctx.save_for_backward(a)
        ctx.p, ctx.maxnorm = p, maxnorm
        ctx.dims = tuple(d for d in range(a._data.ndim) if d != dim)
        x = a._data
        norm = _norm(abs(x), p, ctx.dims)
        with quiet():
            return x * xp_of(x).where(norm > maxnorm, maxnorm / (norm + 1e-7), 1).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        p, dims, maxnorm = ctx.p, ctx.dims, ctx.maxnorm
        ax = x.abs()
        norm = ax.amax(dims, keepdim=True) if p == math.inf else \
            ax.pow(p).sum(dims, keepdim=True).pow(1 / p)
        active = (norm > maxnorm).detach()
        factor = masked_fill(maxnorm / (norm + 1e-7), ~active, 1)
        d_norm = masked_fill((grad * x).sum(dims, keepdim=True) * (-maxnorm) / (norm + 1e-7) ** 2,
                             ~active, 0)
        if p == math.inf:
            ties = (ax == norm).detach().to(x.dtype)
            d_x = x.sign() * ties / ties.sum(dims, keepdim=True)
        else:
            d_x = x.sign() * ax.pow(p - 1) / norm.pow(p - 1)
        return grad * factor + d_norm * d_x, None, None, None


def _norm(ax, p, dims):
    if p == math.inf:
        return ax.max(axis=dims, keepdims=True)
    return (ax ** p).sum(axis=dims, keepdims=True) ** (1 / p)


def renorm(input, p, dim, maxnorm, *, out=None):
    """Rescale the slices along ``dim`` whose ``p``-norm exceeds ``maxnorm``."""
    if not (input.is_floating_point() or input.dtype.is_complex):
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_type(input)}")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    if input.dim() < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.dim()} "
                           "dimensions")
    return _out(Renorm.apply(input, float(p), norm_dim(dim, input.dim()), float(maxnorm)), out)


# ---- split_with_sizes, fill_diagonal_ -----------------------------------------------------------
def split_with_sizes(input, split_sizes, dim=0):
    """Pieces of the listed sizes along ``dim`` (they must add up to its size)."""
    return split(input, list(split_sizes), dim)


def fill_diagonal_(self, fill_value, wrap=False):
    """Write ``fill_value`` on the main diagonal; ``wrap`` restarts it below a tall matrix."""
    shape = tuple(self.shape)
    if len(shape) < 2:
        raise RuntimeError("dimensions must larger than 1")
    if len(shape) > 2 and len(set(shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    numel = int(np.prod(shape))
    if len(shape) == 2:
        step = shape[1] + 1
        end = numel if wrap else min(shape) * shape[1]
    else:
        step, end = sum(shape[0] ** i for i in range(len(shape))), numel
    mask = np.zeros(numel, dtype=bool)
    mask[0:end:step] = True
    mask = Tensor._make(xp_of(self._data).asarray(mask.reshape(shape)))
    return run_inplace(masked_fill, self, mask, fill_value)


# ---- slice_scatter, select_scatter --------------------------------------------------------------
class _Embed(Function):
    """A copy of ``input`` whose part ``input[key]`` is replaced by ``src``."""

    @classmethod
    def forward(cls, ctx, a, src, key):
        ctx.key = key
        out = a._data.copy()
        out[key] = src._data.astype(out.dtype, copy=False)
        return out

    @classmethod
    def backward(cls, ctx, grad):
        part = grad[ctx.key]
        return cls.apply(grad, part * 0, ctx.key), part, None


class SliceScatter(_Embed):
    grad_name = "SliceScatterBackward0"


class SelectScatter(_Embed):
    grad_name = "SelectScatterBackward0"


def _check_src(input, src, key):
    want = list(np.empty(tuple(input.shape), dtype=bool)[key].shape)
    if list(src.shape) != want:
        raise RuntimeError("expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {want}")


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of ``input`` with ``src`` written into ``input[start:end:step]`` along ``dim``."""
    d = norm_dim(dim, input.dim())
    key = (slice(None),) * d + (slice(start, end, step),)
    _check_src(input, src, key)
    return SliceScatter.apply(input, src, key)


def select_scatter(input, src, dim, index):
    """A copy of ``input`` with ``src`` written into ``input.select(dim, index)``."""
    d = norm_dim(dim, input.dim())
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")
    key = (slice(None),) * d + (index % n,)
    _check_src(input, src, key)
    return SelectScatter.apply(input, src, key)


# ---- in-place special functions -----------------------------------------------------------------
i0_ = inplace_method(S.i0, "i0_")
igamma_ = inplace_method(S.gammainc, "igamma_")
igammac_ = inplace_method(S.gammaincc, "igammac_")
mvlgamma_ = inplace_method(S.multigammaln, "mvlgamma_")


def polygamma_(self, n):
    """In-place ``x.polygamma(n)``."""
    return run_inplace(lambda x: polygamma(n, x), self)
