"""Binary arithmetic: add, sub, mul, div, pow, maximum/minimum, fmod, remainder.

Each op is a Function whose forward works on raw arrays (after torch's type promotion, see
``_util.promote``) and whose backward is written with tensor ops. Broadcasting is undone by the
engine, so ``backward`` may return gradients of the broadcast shape.
"""
from __future__ import annotations

from .. import _dtype as D
from ..autograd.function import Function
from ..tensor import Tensor
from ._linalg_util import C_NAMES, TYPE_NAMES
from ._util import is_tensor, promote, xp_of

__all__ = ["add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide",
           "floor_divide", "pow", "maximum", "minimum", "fmod", "remainder", "fmax", "fmin",
           "atan2", "arctan2", "lerp", "hypot", "copysign"]



class Add(Function):
    grad_name = "AddBackward0"
    _operands = (0, 1)          # a Python-number operand is listed as (None, 0), as in torch

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        x, y = promote(a, b)
        ctx.alpha = alpha
        return x + y if alpha == 1 else x + alpha * y

    @staticmethod
    def backward(ctx, grad):
        return grad, (grad if ctx.alpha == 1 else grad * ctx.alpha), None


class Sub(Function):
    grad_name = "SubBackward0"
    _operands = (0, 1)          # a Python-number operand is listed as (None, 0), as in torch

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        _no_bool_subtraction(a, b)
        x, y = promote(a, b)
        ctx.alpha = alpha
        return x - y if alpha == 1 else x - alpha * y

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.alpha == 1 else grad * -ctx.alpha), None


class Rsub(Function):
    """``scalar - tensor`` (torch names its node RsubBackward1)."""
    grad_name = "RsubBackward1"

    @staticmethod
    def forward(ctx, a, scalar):
        _no_bool_subtraction(a, scalar)
        y, x = promote(a, scalar)
        return x - y

    @staticmethod
    def backward(ctx, grad):
        return -grad, None


class RsubTensor(Function):
    """``b - alpha * a`` for two tensors: ``torch.rsub(a, b)``."""
    grad_name = "RsubBackward0"
    _operands = (0, 1)

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        _no_bool_subtraction(b, a)
        x, y = promote(a, b)
        ctx.alpha = alpha
        return y - x if alpha == 1 else y - alpha * x

    @staticmethod
    def backward(ctx, grad):
        return (-grad if ctx.alpha == 1 else grad * -ctx.alpha), grad, None


def _no_bool_subtraction(a, b):
    """torch refuses ``-`` with a bool operand: ``^`` or ``~`` is what was meant."""
    a_bool = a._data.dtype == bool if is_tensor(a) else isinstance(a, bool)
    b_bool = b._data.dtype == bool if is_tensor(b) else isinstance(b, bool)
    if a_bool and b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if a_bool or b_bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


class Mul(Function):
    grad_name = "MulBackward0"
    _operands = (0, 1)          # a Python-number operand is listed as (None, 0), as in torch

    @staticmethod
    def forward(ctx, a, b):
        x, y = promote(a, b)
        ctx.save_for_backward(a, b if isinstance(b, Tensor) else None)
        ctx.b = b
        return x * y

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        if b is None:
            return grad * ctx.b, None
        return (grad * b if ctx.needs_input_grad[0] else None,
                grad * a if ctx.needs_input_grad[1] else None)


class Div(Function):
    grad_name = "DivBackward0"
    _operands = (0, 1)          # a Python-number operand is listed as (None, 0), as in torch

    @staticmethod
    def forward(ctx, a, b):
        x, y = promote(a, b)
        if x.dtype.kind != "f":        # integer / integer is true division into the default dtype
            x = x.astype(D.get_default_dtype().np)
            y = y.astype(x.dtype) if hasattr(y, "astype") else y
        ctx.save_for_backward(a, b if isinstance(b, Tensor) else None)
        ctx.b = b
        return x / y

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        if b is None:
            return grad / ctx.b, None
        ga = grad / b if ctx.needs_input_grad[0] else None
        gb = -grad * a / (b * b) if ctx.needs_input_grad[1] else None
        return ga, gb


class RoundingDiv(Function):
    """``div(..., rounding_mode='floor'|'trunc')``: piecewise constant, zero gradient."""
    grad_name = "DivBackward2"
    _operands = (0, 1)          # a Python-number operand is listed as (None, 0), as in torch

    @staticmethod
    def forward(ctx, a, b, mode):
        x, y = promote(a, b)
        xp = xp_of(x)
        if x.dtype.kind in "iub" and bool((xp.asarray(y) == 0).any()):
            raise RuntimeError("ZeroDivisionError")
        if mode == "floor":
            return xp.floor_divide(x, y)
        q = x / y
        out = xp.trunc(q)
        return out.astype(x.dtype) if x.dtype.kind != "f" else out

    @staticmethod
    def backward(ctx, grad):
        zero = grad * 0
        return zero, (zero if ctx.needs_input_grad[1] else None), None


class PowScalar(Function):
    grad_name = "PowBackward0"

    @staticmethod
    def forward(ctx, a, exponent):
        x, e = promote(a, exponent)
        if x.dtype.kind in "iu" and isinstance(e, int) and e < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        return x ** e

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        e = ctx.exponent
        if e == 0:
            return grad * 0, None
        return grad * e * a ** (e - 1), None


class PowTensor(Function):
    grad_name = "PowBackward1"

    @staticmethod
    def forward(ctx, a, b):
        x, y = promote(a, b)
        out = x ** y
        ctx.save_for_backward(a, b)
        return out

    save_output = True

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = grad * (b * a ** (b - 1)).masked_fill(b == 0, 0.0)    # 0 for 0 ** 0, as torch
        if ctx.needs_input_grad[1]:
            out = ctx.output
            # d(a^b)/db = a^b log a, taken as 0 where a == 0 (torch's convention)
            gb = grad * out * a.where(a != 0, 1).log()
        return ga, gb


class RPow(Function):
    """``scalar ** tensor``."""
    grad_name = "PowBackward2"
    save_output = True

    @staticmethod
    def forward(ctx, base, b):
        y, x = promote(b, base)
        ctx.base = base
        return x ** y

    @staticmethod
    def backward(ctx, grad):
        import math
        logb = math.log(ctx.base) if ctx.base > 0 else float("nan") if ctx.base < 0 else float("-inf")
        if ctx.base == 0:
            return None, grad * 0
        return None, grad * ctx.output * logb


class Maximum(Function):
    grad_name = "MaximumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        x, y = promote(a, b)
        ctx.save_for_backward(a, b)
        return xp_of(x).maximum(x, y)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _split_ties(grad, a > b, a == b)


class Minimum(Function):
    grad_name = "MinimumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        x, y = promote(a, b)
        ctx.save_for_backward(a, b)
        return xp_of(x).minimum(x, y)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _split_ties(grad, a < b, a == b)


def _split_ties(grad, first_wins, tie):
    """Gradient routing of max/min: all to the winner, half to each on a tie (torch's rule)."""
    w = first_wins.to(grad.dtype) + tie.to(grad.dtype) * 0.5
    return grad * w, grad * (1 - w)


class Fmod(Function):
    grad_name = "FmodBackward0"

    @staticmethod
    def forward(ctx, a, b):
        x, y = promote(a, b)
        ctx.save_for_backward(a, b if is_tensor(b) else None)
        return xp_of(x).fmod(x, y)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        gb = None
        if b is not None and ctx.needs_input_grad[1]:
            gb = -grad * (a / b).trunc()
        return grad, gb


class Remainder(Function):
    grad_name = "RemainderBackward0"

    @staticmethod
    def forward(ctx, a, b):
        x, y = promote(a, b)
        ctx.save_for_backward(a, b if is_tensor(b) else None)
        xp = xp_of(x)
        if x.dtype.kind != "f":
            return xp.remainder(x, y)
        r = xp.fmod(x, y)                        # torch's way, which keeps fmod's -0.0
        return xp.where((r != 0) & ((r < 0) != (y < 0)), r + y, r)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        gb = None
        if b is not None and ctx.needs_input_grad[1]:
            gb = -grad * (a / b).floor()
        return grad, gb


class FmodTensor(Fmod):
    """fmod by a tensor (torch names this node FmodBackward1, the scalar one FmodBackward0)."""
    grad_name = "FmodBackward1"


class RemainderTensor(Remainder):
    grad_name = "RemainderBackward1"


class Atan2(Function):
    grad_name = "Atan2Backward0"

    @staticmethod
    def forward(ctx, a, b):
        x, y = promote(a, b)
        ctx.save_for_backward(a, b)
        return xp_of(x).arctan2(x, y)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        denom = a * a + b * b
        return grad * b / denom, -grad * a / denom


class Fmax(Function):
    """maximum where a NaN loses to a number; the gradient goes to the one taken (``a`` on a
    tie, as in torch)."""
    grad_name = "FmaxBackward0"
    pick = staticmethod(lambda xp: xp.fmax)
    first = staticmethod(lambda a, b: a >= b)

    @classmethod
    def forward(cls, ctx, a, b):
        x, y = promote(a, b)
        ctx.save_for_backward(a, b)
        return cls.pick(xp_of(x))(x, y)

    @classmethod
    def backward(cls, ctx, grad):
        a, b = ctx.saved_tensors
        took_a = (cls.first(a, b) | b.isnan()).to(grad.dtype)
        return grad * took_a, grad * (1 - took_a)


class Fmin(Fmax):
    grad_name = "FminBackward0"
    pick = staticmethod(lambda xp: xp.fmin)
    first = staticmethod(lambda a, b: a <= b)


class Hypot(Function):
    grad_name = "HypotBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, a, b):
        x, y = promote(a, b)
        ctx.save_for_backward(a, b)
        return xp_of(x).hypot(x, y)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        scale = grad / ctx.output
        return a * scale, b * scale


def _lerp(xp, x, y, w):
    """torch's formula: from ``x`` for small weights, from ``y`` for large ones (exact ends)."""
    return xp.where(xp.abs(w) < 0.5, x + w * (y - x), y - (y - x) * (1 - w))


class Lerp(Function):
    """``a + w (b - a)`` with a number ``w``."""
    grad_name = "LerpBackward0"

    @staticmethod
    def forward(ctx, a, b, w):
        x, y = a._data, b._data
        ctx.w = w
        return _lerp(xp_of(x), x, y, w).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return grad * (1 - ctx.w), grad * ctx.w, None


class LerpTensor(Function):
    """``a + w (b - a)`` with a tensor ``w``: the weight gets the gradient ``b - a``."""
    grad_name = "LerpBackward1"

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.save_for_backward(a, b, w)
        x, y = a._data, b._data
        return _lerp(xp_of(x), x, y, w._data).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        a, b, w = ctx.saved_tensors
        return grad * (1 - w), grad * w, grad * (b - a)


class Copysign(Function):
    """``|a|`` with the sign of ``b``: the gradient is ``grad * sign agreement``, 0 at a == 0;
    none flows to ``b``."""
    grad_name = "CopysignBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, a, b):
        x, y = promote(a, b)
        if x.dtype.kind != "f":
            x = x.astype(D.get_default_dtype().np)
        ctx.save_for_backward(a)
        return xp_of(x).copysign(x, y).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        ratio = (ctx.output / a).masked_fill(a == 0, 0.0)
        return grad * ratio, (grad * 0 if ctx.needs_input_grad[1] else None)


class CopysignScalar(Copysign):
    grad_name = "CopysignBackward1"


# torch's composite functions (ndtr, trapezoid, soft-target cross-entropy, ...) call the
# ``Tensor op Scalar`` overloads, whose nodes have other names than the operators' ones
class MulScalar(Mul):
    """``tensor * number``, recorded as torch's ``mul(Tensor, Scalar)`` node."""
    grad_name = "MulBackward1"
    _operands = None

    @staticmethod
    def backward(ctx, grad):
        return MulScalar.apply(grad, ctx.b), None


class DivScalar(Div):
    """``tensor / number``, recorded as torch's ``div(Tensor, Scalar)`` node."""
    grad_name = "DivBackward1"
    _operands = None

    @staticmethod
    def backward(ctx, grad):
        return DivScalar.apply(grad, ctx.b), None


class AddScalar(Add):
    """``tensor + number``, recorded as torch's ``add(Tensor, Scalar)`` node."""
    grad_name = "AddBackward1"
    _operands = None


# ---- the functions users call -------------------------------------------------------------------
def _tensor_first(a, b, name):
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(a).__name__}")


def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other`` with broadcasting and torch's dtype promotion."""
    _tensor_first(input, other, "add")
    if not is_tensor(input):
        input, other = other, input
        if alpha != 1:
            raise TypeError("add(): alpha with a scalar input is not supported")
    return _out(Add.apply(input, other, alpha), out)


def sub(input, other, *, alpha=1, out=None):
    _tensor_first(input, other, "sub")
    if not is_tensor(input):
        return _out(Rsub.apply(other * alpha if alpha != 1 else other, input), out)
    return _out(Sub.apply(input, other, alpha), out)


subtract = sub


def rsub(input, other, *, alpha=1):
    """``other - alpha * input``."""
    if is_tensor(other):
        return RsubTensor.apply(input, other, alpha)
    return Rsub.apply(input * alpha if alpha != 1 else input, other)


def mul(input, other, *, out=None):
    _tensor_first(input, other, "mul")
    if not is_tensor(input):
        input, other = other, input
    return _out(Mul.apply(input, other), out)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """True division, or floor/trunc division with ``rounding_mode``."""
    _tensor_first(input, other, "div")
    if rounding_mode is not None:
        if rounding_mode not in ("floor", "trunc"):
            raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                             f"but found '{rounding_mode}'")
        if not is_tensor(input):
            from .._creation import tensor
            input = tensor(input, device=other.device)
        return _out(RoundingDiv.apply(input, other, rounding_mode), out)
    if not is_tensor(input):             # scalar / tensor == scalar * reciprocal(tensor)
        return _out(mul(other.reciprocal(), input), out)
    return _out(Div.apply(input, other), out)


divide = true_divide = div


def floor_divide(input, other, *, out=None):
    return div(input, other, rounding_mode="floor", out=out)


def pow(input, exponent, *, out=None):
    """``input ** exponent`` for tensor/scalar in either position."""
    if is_tensor(input):
        if is_tensor(exponent):
            return _out(PowTensor.apply(input, exponent), out)
        return _out(PowScalar.apply(input, exponent), out)
    if not is_tensor(exponent):
        raise TypeError("pow(): at least one argument must be a Tensor")
    return _out(RPow.apply(input, exponent), out)


def maximum(input, other, *, out=None):
    return _out(Maximum.apply(input, other), out)


def minimum(input, other, *, out=None):
    return _out(Minimum.apply(input, other), out)


def _two_tensors(name, input, other):
    if not is_tensor(other):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")


def fmax(input, other, *, out=None):
    """Like maximum, but a NaN loses against a number."""
    _two_tensors("fmax", input, other)
    return _out(Fmax.apply(input, other), out)


def fmin(input, other, *, out=None):
    """Like minimum, but a NaN loses against a number."""
    _two_tensors("fmin", input, other)
    return _out(Fmin.apply(input, other), out)


def fmod(input, other, *, out=None):
    """C-style remainder: the sign follows the dividend (``fmod(-3, 2) == -1``)."""
    return _out((FmodTensor if is_tensor(other) else Fmod).apply(input, other), out)


def remainder(input, other, *, out=None):
    """Python-style remainder: the sign follows the divisor (``remainder(-3, 2) == 1``)."""
    if not is_tensor(input):
        from .._creation import tensor
        input = tensor(input, device=other.device)
    return _out((RemainderTensor if is_tensor(other) else Remainder).apply(input, other), out)


def atan2(input, other, *, out=None):
    return _out(Atan2.apply(input, other), out)


arctan2 = atan2


def hypot(input, other, *, out=None):
    """``sqrt(input**2 + other**2)`` without overflow in the squares."""
    _two_tensors("hypot", input, other)
    if D.result_type(input, other).is_floating_point is False:
        raise NotImplementedError(f'"hypot_cpu" not implemented for '
                                  f"'{TYPE_NAMES[D.result_type(input, other).name]}'")
    return _out(Hypot.apply(input, other), out)


def lerp(input, end, weight, *, out=None):
    """``input + weight * (end - input)``; ``weight`` a number or a tensor."""
    tensors = [("end", end)] + ([("weight", weight)] if is_tensor(weight) else [])
    for what, t in tensors:
        if t.dtype != input.dtype:
            raise RuntimeError(f"expected dtype {C_NAMES[input.dtype.name]} for `{what}` but got "
                               f"dtype {C_NAMES[t.dtype.name]}")
    if not input.is_floating_point():
        kernel = "lerp_kernel_tensor" if is_tensor(weight) else "lerp_kernel_scalar"
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{TYPE_NAMES[input.dtype.name]}'")
    if is_tensor(weight):
        return _out(LerpTensor.apply(input, end, weight), out)
    return _out(Lerp.apply(input, end, weight), out)


def copysign(input, other, *, out=None):
    """The magnitude of ``input`` with the sign of ``other`` (a tensor or a number)."""
    return _out((Copysign if is_tensor(other) else CopysignScalar).apply(input, other), out)


def _out(result: Tensor, out):
    """Support torch's ``out=`` argument: copy the result into ``out`` and return it."""
    if out is None:
        return result
    from .inplace import copy_into_out
    return copy_into_out(out, result)


__methods__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide", "pow", "maximum", "minimum", "fmod", "remainder", "fmax", "fmin", "atan2", "arctan2", "lerp", "hypot", "rsub", "copysign"]
__inplace__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide", "pow", "fmod", "remainder", "atan2", "lerp", "hypot", "copysign"]
