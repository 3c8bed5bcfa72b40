"""Random tensors: ``rand``, ``randn``, ``randint``, ``randperm``, ``normal``, their ``*_like``
forms, ``bernoulli``, ``poisson`` and ``multinomial``, drawn from autodiff's generators (see
``manual_seed``) or from the ``generator`` given."""
from __future__ import annotations

import numpy as np

from . import _dtype as D
from ._creation import _device, _on, _size, with_out
from ._random import _gen_for
from .backend import to_numpy
from .ops._util import xp_of
from .tensor import Tensor

__all__ = ["rand", "randn", "randint", "randperm", "normal", "rand_like", "randn_like",
           "randint_like", "bernoulli", "multinomial", "poisson"]


def _random(kind, size, generator, dtype, device, requires_grad, **kw):
    device = _device(device)
    dt = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
    if not dt.is_floating_point:
        raise RuntimeError(f'"{kind}" not implemented for \'{dt.name}\'')
    g = _gen_for(generator, device)
    arr = g.sample(kind, size, dt.np, **kw)
    return Tensor._make(arr)._set_rg(requires_grad)


@with_out
def rand(*size, generator=None, dtype=None, layout=None, device=None,
         requires_grad=False):
    """Uniform samples from [0, 1) drawn from autodiff's generator (see ``manual_seed``)."""
    return _random("uniform", _size(size), generator, dtype, device, requires_grad)


@with_out
def randn(*size, generator=None, dtype=None, layout=None, device=None,
          requires_grad=False):
    """Standard normal samples drawn from autodiff's generator (see ``manual_seed``)."""
    return _random("normal", _size(size), generator, dtype, device, requires_grad)


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None):
    """Uniform samples from [0, 1) with the shape (and, by default, dtype and device) of
    ``input``."""
    return rand(*input.shape, generator=generator, dtype=dtype or input.dtype,
                device=device or input.device, requires_grad=requires_grad)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,
               requires_grad=False, memory_format=None):
    """Standard normal samples with the shape (and, by default, dtype and device) of
    ``input``."""
    return randn(*input.shape, generator=generator, dtype=dtype or input.dtype,
                 device=device or input.device, requires_grad=requires_grad)


@with_out
def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):
    """Integers in ``[low, high)``; ``randint(high, size)`` and ``randint(low, high, size)``."""
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing required argument 'size'")
    if high is None:
        raise TypeError("randint() missing required argument 'high'")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    device = _device(device)
    dt = D.to_dtype(dtype) if dtype is not None else D.int64
    arr = _gen_for(generator, device).sample("integers", _size(tuple(size)), dt.np, low=low, high=high)
    return Tensor._make(arr)._set_rg(requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None,
                 device=None, requires_grad=False, memory_format=None):
    """Integers in ``[low, high)`` (``randint_like(input, high)``: ``[0, high)``) with the shape
    (and, by default, dtype and device) of ``input``."""
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), generator=generator,
                   dtype=dtype or input.dtype, device=device or input.device,
                   requires_grad=requires_grad)


@with_out
def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of ``0, ..., n - 1`` (int64 by default)."""
    device = _device(device)
    dt = D.to_dtype(dtype) if dtype is not None else D.int64
    arr = _gen_for(generator, device).permutation(n).astype(dt.np)
    return Tensor._make(arr)._set_rg(requires_grad)


@with_out
def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False):
    """Normal samples; ``mean`` and ``std`` may be tensors (elementwise) or numbers."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        shape = np.broadcast_shapes(tuple(getattr(mean, "shape", ())), tuple(getattr(std, "shape", ())))
        z = randn(*shape, generator=generator, dtype=ref.dtype, device=ref.device)
        return (z * std + mean).detach()
    if size is None:
        raise TypeError("normal() missing required argument 'size'")
    z = randn(*_size(tuple(size)), generator=generator, dtype=dtype, device=device)
    z._data *= std
    z._data += mean
    return z._set_rg(requires_grad)


def bernoulli(input, p=None, *, generator=None):
    """1 with probability ``input`` (or ``p``), else 0, with ``input``'s dtype."""
    prob = input._data if p is None else p
    u = _gen_for(generator, input.device).sample("uniform", tuple(input.shape), input._data.dtype)
    return Tensor._make((u < prob).astype(input._data.dtype))


def poisson(input, generator=None):
    """Samples from Poisson distributions with the rates in ``input``."""
    g = _gen_for(generator, input.device)
    return Tensor._make(g.poisson(input._data).astype(input._data.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Indices drawn with probabilities proportional to the rows of ``input`` (1-D or 2-D).

    With replacement: inverse-CDF sampling. Without: each index gets the key ``p / E`` with
    ``E ~ Exp(1)`` and the ``num_samples`` largest keys win, which draws without replacement
    in proportion to ``p`` (zero-probability indices come last, as in torch)."""
    p = input._data
    if p.dtype.kind != "f":
        from .ops.inplace import _type_name
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_type_name(input.dtype)}")
    if p.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > p.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    xp = xp_of(p)
    rows = p.reshape(-1, p.shape[-1]).astype(np.float64)
    if bool((rows < 0).any()) or not bool(xp.isfinite(rows).all()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    total = rows.sum(axis=1, keepdims=True)
    if bool((total <= 0).any()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    g = _gen_for(generator, input.device)
    if replacement:
        cdf = xp.cumsum(rows / total, axis=1)
        u = g.sample("uniform", (rows.shape[0], num_samples), np.float64)
        out = xp.stack([xp.searchsorted(c, v, side="right") for c, v in zip(cdf, u)])
        out = xp.minimum(out, rows.shape[1] - 1)          # u just below 1 after rounding
    else:
        e = -xp.log1p(-g.sample("uniform", rows.shape, np.float64))
        out = xp.argsort(-(rows / e), axis=1, kind="stable")[:, :num_samples]
    return Tensor._make(out.reshape(p.shape[:-1] + (num_samples,)).astype(np.int64))
