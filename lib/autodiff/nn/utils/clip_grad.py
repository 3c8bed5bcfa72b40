"""Gradient clipping: rescale (``clip_grad_norm_``) or clamp (``clip_grad_value_``) the
gradients of parameters in place, typically between ``backward()`` and ``optimizer.step()``."""
from __future__ import annotations

import math

from ... import _dtype as D
from ..._creation import tensor as _tensor
from ...autograd.grad_mode import no_grad
from ...backend import xp_of
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _grads(parameters):
    return [p.grad for p in _as_list(parameters) if p.grad is not None]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of all the tensors together, as if concatenated into one vector."""
    tensors = [t for t in _as_list(tensors) if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return _tensor(0.0)
    with no_grad():
        parts = []
        for t in tensors:
            a = abs(t._data.astype("float64"))
            xp = xp_of(a)
            if norm_type == math.inf:
                parts.append(float(a.max()) if a.size else 0.0)
            elif norm_type == -math.inf:
                parts.append(float(a.min()) if a.size else math.inf)
            else:
                parts.append(float((a ** norm_type).sum()) ** (1 / norm_type) if norm_type else
                             float(xp.count_nonzero(a)))
        if norm_type == math.inf:
            total = max(parts)
        elif norm_type == -math.inf:
            total = min(parts)
        elif norm_type == 0:
            total = sum(parts)
        else:
            total = sum(p ** norm_type for p in parts) ** (1 / norm_type)
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = D.promote_types(dtype, t.dtype)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           "is non-finite, so it cannot be clipped. To disable this error and "
                           "scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    return _tensor(total, dtype=dtype, device=tensors[0].device)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients by ``max_norm / total_norm`` when that is below 1."""
    coef = min(float(max_norm) / (float(total_norm) + 1e-6), 1.0)
    with no_grad():
        for g in _grads(parameters):
            g._data *= coef
            g._vc[0] += 1


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Rescale the gradients so their total norm is at most ``max_norm``; returns the total norm
    before clipping (a 0-d tensor)."""
    parameters = _as_list(parameters)
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if grads:
        clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to ``[-clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            xp_of(g._data).clip(g._data, -clip_value, clip_value, out=g._data)
            g._vc[0] += 1
