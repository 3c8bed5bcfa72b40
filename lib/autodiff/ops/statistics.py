"""Statistics of samples: quantiles, covariance and correlation, trapezoidal integration.

All are composites of differentiable ops, as torch's are, so they differentiate to any order.
A quantile is a sort, then a gather of the two order statistics around the requested rank and a
``lerp`` between them: its gradient goes to those two elements only.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype as D
from ..tensor import Tensor
from . import shape as S
from .arithmetic import DivScalar, MulScalar, _out
from .matmul import mm
from ._linalg_util import TYPE_NAMES
from ._util import is_tensor, norm_dim, xp_of

__all__ = ["quantile", "nanquantile", "cov", "corrcoef", "trapezoid", "trapz",
           "cumulative_trapezoid"]


class _SqueezeLast(S.Squeeze):
    """The squeeze that drops the quantiles' working dim (torch's node name)."""
    grad_name = "SqueezeBackward4"


# ---- quantiles ----------------------------------------------------------------------------------
_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile_checks(input, q, interpolation):
    """torch's checks, in torch's order; returns ``q`` as a tensor of ``input``'s dtype."""
    if not is_tensor(q) and not 0 <= q <= 1:
        raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}")
    if interpolation not in _MODES:
        raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if is_tensor(q) and q.ndim > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if input.dtype not in (D.float32, D.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if not is_tensor(q):
        return Tensor._make(xp_of(input._data).asarray(q, dtype=input._data.dtype))
    if q.dtype != input.dtype:
        raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    if not bool(((q._data >= 0) & (q._data <= 1)).all()):
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    return q


def _ranks(sorted_, q, ignore_nan, interpolation):
    """The fractional rank of each quantile in each sorted row, shape ``(..., len(q))``.

    NaNs sort last: ``quantile`` returns NaN for a row holding one (rank of the last element),
    ``nanquantile`` ranks among the non-NaN values only.
    """
    s, qs = sorted_._data, q._data.reshape(-1)
    xp = xp_of(s)
    n = s.shape[-1]
    if ignore_nan:
        count = (~xp.isnan(s)).sum(-1, keepdims=True).astype(qs.dtype)
        ranks = xp.maximum(qs * (count - 1), 0)
    else:
        ranks = xp.where(xp.isnan(s).any(-1, keepdims=True), n - 1, qs * (n - 1))
    ranks = xp.broadcast_to(ranks, s.shape[:-1] + qs.shape).astype(qs.dtype)
    rounding = {"lower": xp.floor, "higher": xp.ceil, "nearest": xp.round}.get(interpolation)
    return rounding(ranks) if rounding else ranks


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
    q = _quantile_checks(input, q, interpolation)
    shape = tuple(input.shape)
    if dim is None:
        rows, out_shape = input.reshape(-1), (1,) * len(shape) if keepdim else ()
    else:
        d = norm_dim(dim, len(shape))
        rows = input.reshape(1) if not shape else input.movedim(d, -1)
        out_shape = () if not shape else (shape[:d] + (1,) * keepdim + shape[d + 1:])
    sorted_ = rows.sort(-1).values.reshape(out_shape + (rows.shape[-1],))
    ranks = _ranks(sorted_, q, ignore_nan, interpolation)
    below = sorted_.gather(-1, Tensor._make(ranks.astype(np.int64)))
    if interpolation in ("linear", "midpoint"):
        xp = xp_of(ranks)
        weights = ranks - xp.floor(ranks) if interpolation == "linear" else xp.full_like(ranks, .5)
        above = sorted_.gather(-1, Tensor._make(xp.ceil(ranks).astype(np.int64)))
        below = below.lerp(above, Tensor._make(weights))
    if q.ndim == 1:                          # the quantiles' dim goes first
        below = below.unsqueeze(0).transpose(0, -1)
    return _SqueezeLast.apply(below, (below.ndim - 1,))


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None,
             axis=None):
    """The ``q``-quantiles (a number or a 1-D tensor in [0, 1]) of ``input`` along ``dim`` (of
    all elements when None); NaN where the values hold a NaN."""
    dim = dim if axis is None else axis
    return _out(_quantile(input, q, dim, keepdim, interpolation, False), out)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None,
                axis=None):
    """Like :func:`quantile`, ignoring NaNs (NaN only where a row holds nothing else)."""
    dim = dim if axis is None else axis
    return _out(_quantile(input, q, dim, keepdim, interpolation, True), out)


# ---- covariance and correlation -----------------------------------------------------------------
def _check_weights(w, kind, n):
    if w.ndim > 1:
        raise RuntimeError(f"cov(): expected {kind} to have one or fewer dimensions but got "
                           f"{kind} with {w.ndim} dimensions")
    is_float = w.is_floating_point()
    if kind == "fweights" and (is_float or w.dtype is D.bool):
        raise RuntimeError("cov(): expected fweights to have integral dtype but got fweights "
                           f"with {TYPE_NAMES[w.dtype.name]} dtype")
    if kind == "aweights" and not is_float:
        raise RuntimeError("cov(): expected aweights to have floating point dtype but got "
                           f"aweights with {TYPE_NAMES[w.dtype.name]} dtype")
    if w.numel() != n:
        raise RuntimeError(f"cov(): expected {kind} to have the same numel as there are "
                           f"observations in the input but got {w.numel()} != {n}")
    if n and bool((w._data < 0).any()):
        raise RuntimeError(f"cov(): {kind} cannot be negative")


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance matrix of the variables in the rows of ``input`` (observations in columns),
    optionally weighted by observation counts ``fweights`` and importances ``aweights``."""
    if input.ndim > 2:
        raise RuntimeError("cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.ndim} dimensions")
    if input.dtype is D.bool:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.view(1, -1) if input.ndim < 2 else input
    n = x.shape[1]
    w = None
    for kind, weights in (("fweights", fweights), ("aweights", aweights)):
        if weights is not None:
            _check_weights(weights, kind, n)
            w = weights if w is None else w * weights
    if w is None:
        from .._creation import tensor
        w_sum = tensor(n, device=input.device)
        avg = x.sum(1) / w_sum
    else:
        w_sum = w.sum()
        if not bool(w_sum._data != 0):
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
        avg = (x * w).sum(1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm = w_sum - correction
    if bool(norm._data <= 0):
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", UserWarning, stacklevel=2)
        norm = norm * 0
    centered = x - avg.unsqueeze(1)
    products = mm(centered, (centered if w is None else centered * w).t())
    return (products / norm).squeeze()


def corrcoef(input):
    """Pearson correlation coefficients of the variables in the rows of ``input``."""
    if input.ndim > 2:
        raise RuntimeError("corrcoef(): expected input to have two or fewer dimensions but got "
                           f"an input with {input.ndim} dimensions")
    c = cov(input)
    if c.ndim == 0:                      # one variable: 1 (or NaN), as c / c
        return c / c
    std = c.diagonal().sqrt()
    return (c / std.view(-1, 1) / std.view(1, -1)).clamp(-1, 1)


# ---- trapezoidal rule ---------------------------------------------------------------------------
def _signature_error(name, x, dx):
    """torch's TypeError for ``x`` and ``dx`` together, or a number given as ``x``."""
    got = ["Tensor", "Tensor" if is_tensor(x) else type(x).__name__]
    if dx is not None:
        got.append(f"dx={type(dx).__name__}")
    with_x = "(Tensor y, Tensor x, *, int dim = -1)"
    with_dx = f"(Tensor y, *, {'float' if name == 'trapz' else 'Number'} dx = 1, int dim = -1)"
    forms = (with_dx, with_x) if name == "trapz" else (with_x, with_dx)
    return TypeError(f"{name}() received an invalid combination of arguments - got "
                     f"({', '.join(got)}), but expected one of:\n * {forms[0]}\n * {forms[1]}\n")


def _trapezoid_args(name, y, x, dx, dim):
    """Checks shared by the trapezoid rules; returns the dim, made non-negative."""
    if (x is not None and (dx is not None or not is_tensor(x))):
        raise _signature_error(name, x, dx)
    if y.dtype is D.bool or (x is not None and x.dtype is D.bool):
        what = "`y`" if x is None else "`x` or `y`"
        raise RuntimeError(f"{name.replace('trapz', 'trapezoid')}: received a bool input for "
                           f"{what}, but bool is not supported")
    if y.ndim == 0:
        if name == "cumulative_trapezoid":
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return norm_dim(dim, y.ndim)


def _spacings(name, y, x, d):
    """``x[i+1] - x[i]`` along ``d``, shaped to broadcast against ``y``'s intervals."""
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        x = x.view([-1 if i == d else 1 for i in range(y.ndim)])
    elif x.ndim < y.ndim:
        x = x.view((1,) * (y.ndim - x.ndim) + tuple(x.shape))
    return x[_along(d, slice(1, None))] - x[_along(d, slice(None, -1))]


def _pair_sums(y, d):
    """``y[i+1] + y[i]`` along ``d``: twice the mean height of each trapezoid."""
    return y[_along(d, slice(1, None))] + y[_along(d, slice(None, -1))]


def _along(d, index):
    return (slice(None),) * d + (index,)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The integral of ``y`` along ``dim`` by the trapezoidal rule, with sample points ``x``
    (a tensor) or a constant spacing ``dx`` (1 by default)."""
    return _trapezoid("trapezoid", y, x, dx, dim)


def trapz(y, x=None, *, dx=None, dim=-1):
    """Alias of :func:`trapezoid`."""
    return _trapezoid("trapz", y, x, dx, dim)


def _trapezoid(name, y, x, dx, dim):
    d = _trapezoid_args(name, y, x, dx, dim)
    if y.shape[d] == 0:
        from .._creation import zeros
        return zeros(y.shape[:d] + y.shape[d + 1:], dtype=y.dtype, device=y.device)
    if x is None:                # sum of all heights, the two ends counted half
        ends = MulScalar.apply(y[_along(d, 0)] + y[_along(d, -1)], 0.5)
        return MulScalar.apply(y.sum(d) - ends, 1 if dx is None else dx)
    return DivScalar.apply((_pair_sums(y, d) * _spacings("trapezoid", y, x, d)).sum(d), 2.0)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running integral of ``y`` along ``dim`` by the trapezoidal rule (one value fewer
    than ``y`` has samples)."""
    d = _trapezoid_args("cumulative_trapezoid", y, x, dx, dim)
    if x is None:
        return MulScalar.apply(_pair_sums(y, d), (1 if dx is None else dx) / 2).cumsum(d)
    spacings = _spacings("cumulative_trapezoid", y, x, d)
    return DivScalar.apply((_pair_sums(y, d) * spacings).cumsum(d), 2.0)


__methods__ = ["quantile", "nanquantile", "cov", "corrcoef"]
__inplace__ = []
