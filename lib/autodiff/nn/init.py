"""Weight initialisation (``autodiff.nn.init``): fill a tensor in place, without recording a
graph, from autodiff's random generator (``autodiff.manual_seed`` makes it reproducible).

The Xavier (Glorot) and Kaiming (He) schemes scale the spread of the weights by the number of
inputs and/or outputs of a unit (``fan_in``, ``fan_out``) so that activations and gradients
keep roughly the same variance from layer to layer.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .._random import _gen_for
from ..backend import to_numpy
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_", "sparse_"]


def _fill(tensor: Tensor, values) -> Tensor:
    """Write ``values`` (an array or a number) into ``tensor`` in place, outside autograd."""
    with no_grad():
        tensor.copy_(Tensor._make(values) if not isinstance(values, (int, float)) else
                     Tensor._make(np.asarray(values, dtype=tensor._data.dtype)))
    return tensor


def _sample(tensor, kind, generator):
    """Standard uniform [0, 1) or normal samples with the tensor's shape (float64)."""
    g = _gen_for(generator, tensor.device)
    return g.sample(kind, tuple(tensor.shape), np.float64)


def calculate_gain(nonlinearity, param=None) -> float:
    """The recommended scale of the weights for a nonlinearity (1 for linear layers,
    sqrt(2) for relu, 5/3 for tanh, ...)."""
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """Inputs and outputs of one unit: ``size(1)`` and ``size(0)`` times the kernel size."""
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with values drawn uniformly from ``[a, b)``."""
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} "
                           f"> to={b}")
    return _fill(tensor, a + (b - a) * _sample(tensor, "uniform", generator))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with values drawn from N(mean, std**2)."""
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return _fill(tensor, mean + std * _sample(tensor, "normal", generator))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill from N(mean, std**2) restricted to ``[a, b]`` (values outside are redrawn)."""
    g = _gen_for(generator, tensor.device)
    out = mean + std * g.sample("normal", tuple(tensor.shape), np.float64)
    bad = (out < a) | (out > b)
    while bad.any():
        n = int(bad.sum())
        out[bad] = mean + std * g.sample("normal", (n,), np.float64)
        bad = (out < a) | (out > b)
    return _fill(tensor, out)


def constant_(tensor, val):
    """Fill ``tensor`` with ``val`` in place (without recording a gradient)."""
    return _fill(tensor, float(val) if tensor.is_floating_point() else val)


def ones_(tensor):
    """Fill ``tensor`` with ones in place."""
    return constant_(tensor, 1)


def zeros_(tensor):
    """Fill ``tensor`` with zeros in place."""
    return constant_(tensor, 0)


def eye_(tensor):
    """The identity matrix (a 2-D tensor only), preserving the identity of linear layers."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """The Dirac delta for 3-5-D convolution weights: the layer passes its input through."""
    dims = tensor.dim()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_per_group = sizes[0] // groups
    n = min(out_per_group, sizes[1])
    values = np.zeros(tuple(sizes))
    centre = tuple(s // 2 for s in sizes[2:])
    for g in range(groups):
        for d in range(n):
            values[(g * out_per_group + d, d) + centre] = 1
    return _fill(tensor, values)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std**2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    return calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))


def _empty_noop(tensor) -> bool:
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op")
        return True
    return False


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-b, b) with ``b = gain * sqrt(3 / fan)`` (He et al., 2015); ``a`` is the negative slope
    of a leaky relu."""
    if _empty_noop(tensor):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std**2) with ``std = gain / sqrt(fan)`` (He et al., 2015)."""
    if _empty_noop(tensor):
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor, gain=1, generator=None):
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one (Saxe et al.)."""
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    g = _gen_for(generator, tensor.device)
    flat = to_numpy(g.sample("normal", (rows, cols), np.float64))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tuple(tensor.shape)))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """A 2-D matrix from N(0, std**2) with a fraction ``sparsity`` of each column set to 0."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    g = _gen_for(generator, tensor.device)
    values = std * to_numpy(g.sample("normal", (rows, cols), np.float64))
    n_zeros = int(math.ceil(sparsity * rows))
    for c in range(cols):
        values[to_numpy(g.permutation(rows))[:n_zeros], c] = 0
    return _fill(tensor, values)
