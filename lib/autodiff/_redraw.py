"""In-place random fills: ``x.uniform_()``, ``normal_``, ``random_``, ``bernoulli_``,
``exponential_``, ``log_normal_``, ``cauchy_``, ``geometric_``.

Each overwrites ``x`` with fresh samples from autodiff's generator of ``x``'s device (or the
``generator`` given). The new values do not depend on the old ones, so the gradient flowing
back through such a fill is zero (torch records ``UniformBackward0``, ... nodes that say so).
"""
from __future__ import annotations

import math

import numpy as np

from ._random import _gen_for
from .autograd.function import Function
from .autograd.grad_mode import STATE
from .ops._linalg_util import C_NAMES, TYPE_NAMES
from .ops._util import xp_of
from .tensor import Tensor

__all__ = ["uniform_", "normal_", "random_", "bernoulli_", "exponential_", "log_normal_",
           "cauchy_", "geometric_"]


class _Redraw(Function):
    """New values in place of the old: no gradient reaches what the tensor held before."""

    @staticmethod
    def forward(ctx, a, values):
        return values

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, None


_NODES = {}


def _node(grad_name):
    """The node class named ``grad_name`` (``UniformBackward0``, ...), made once."""
    if grad_name not in _NODES:
        _NODES[grad_name] = type(grad_name[:-len("Backward0")], (_Redraw,),
                                 {"grad_name": grad_name})
    return _NODES[grad_name]


def _write(self: Tensor, node: str, values) -> Tensor:
    """Store the raw array ``values`` (cast to ``self``'s dtype) in ``self``, as an in-place op
    recorded as the node ``node``."""
    from .ops.inplace import _check_leaf, apply_inplace
    values = values.astype(self._data.dtype, copy=False)
    if STATE.enabled and self._requires_grad:
        return apply_inplace(self, _node(node).apply(self, values), cast=True)
    _check_leaf(self)
    self._data[...] = values
    self._vc[0] += 1
    return self


def _from(kwargs, default, name):
    """``from`` is a Python keyword: torch's ``from=`` argument arrives in ``**kwargs``."""
    value = kwargs.pop("from", default)
    if kwargs:
        raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return value


def _uniform(self, generator, dtype=None):
    """Standard uniform samples of ``self``'s shape (float64 unless ``dtype``)."""
    g = _gen_for(generator, self.device)
    return g.sample("uniform", tuple(self.shape), dtype or np.float64)


def _floating(self, kernel=None, continuous=None):
    """torch's error for a floating-point-only fill on an integer or bool tensor."""
    if self._data.dtype.kind == "f":
        return
    if continuous:
        raise RuntimeError(f"{continuous} distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified "
                           f"{(C_NAMES if continuous == 'Cauchy' else TYPE_NAMES)[self.dtype.name]}")
    raise NotImplementedError(f'"{kernel}" not implemented for \'{TYPE_NAMES[self.dtype.name]}\'')


def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kwargs):
    """Fill with samples from the uniform distribution on ``[from, to)``."""
    from_ = _from(kwargs, from_, "uniform_")
    _floating(self, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={from_} > to={to}")
    return _write(self, "UniformBackward0", from_ + (to - from_) * _uniform(self, generator))


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with samples from N(mean, std**2)."""
    _floating(self, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    z = _gen_for(generator, self.device).sample("normal", tuple(self.shape), np.float64)
    return _write(self, "NormalBackward0", mean + std * z)


def random_(self, from_=None, to=None, *, generator=None, **kwargs):
    """Fill with integers drawn uniformly from ``[from, to)``; ``random_(to)`` means
    ``[0, to)``; ``random_()`` covers every integer the dtype holds exactly."""
    from_ = _from(kwargs, from_, "random_")
    dt = self._data.dtype
    if from_ is None:                     # torch's three overloads, three node names
        node, from_ = "RandomBackward2", 0
        if dt.kind == "f":
            to = 2 ** (np.finfo(dt).nmant + 1) + 1          # every integer a float holds exactly
        else:
            to = 2 if dt == bool else int(np.iinfo(dt).max) + 1
    elif to is None:
        node, from_, to = "RandomBackward1", 0, from_
    else:
        node = "RandomBackward0"
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} "
                           f">= to={to}")
    if dt.kind in "iu" and not (np.iinfo(dt).min <= from_ and to - 1 <= np.iinfo(dt).max):
        bound = "from" if from_ < np.iinfo(dt).min else "to - 1"
        raise RuntimeError(f"{bound} is out of bounds for {C_NAMES[self.dtype.name]}")
    g = _gen_for(generator, self.device)
    return _write(self, node, g.sample("integers", tuple(self.shape), np.int64, from_, to))


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 1 with probability ``p`` (a number or a tensor of probabilities), else 0."""
    prob = p._data if isinstance(p, Tensor) else p
    if not isinstance(p, Tensor) and not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    node = "BernoulliBackward1" if isinstance(p, Tensor) else "BernoulliBackward2"
    return _write(self, node, _uniform(self, generator) < prob)


def exponential_(self, lambd=1.0, *, generator=None):
    """Fill with samples from the exponential distribution of rate ``lambd``."""
    _floating(self, continuous="Exponential")
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    xp = xp_of(self._data)
    return _write(self, "ExponentialBackward0", -xp.log1p(-_uniform(self, generator)) / lambd)


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Fill with ``exp(N(mean, std**2))`` samples."""
    _floating(self, "log_normal_cpu")
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    g = _gen_for(generator, self.device)
    z = g.sample("normal", tuple(self.shape), np.float64)
    return _write(self, "LogNormalBackward0", xp_of(z).exp(mean + std * z))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Fill with samples from the Cauchy distribution."""
    _floating(self, continuous="Cauchy")
    if sigma <= 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    u = _uniform(self, generator)
    return _write(self, "CauchyBackward0", median + sigma * xp_of(u).tan(math.pi * (u - 0.5)))


def geometric_(self, p, *, generator=None):
    """Fill with the number of Bernoulli(p) trials up to and including the first success."""
    if self._data.dtype == bool:
        raise NotImplementedError("\"geometric_cpu\" not implemented for 'Bool'")
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    u = _uniform(self, generator)
    xp = xp_of(u)
    return _write(self, "GeometricBackward0", xp.ceil(xp.log1p(-u) / math.log1p(-p)))
