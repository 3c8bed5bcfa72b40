"""Average pooling: plain, adaptive and power-average (lp) pooling in 1-D, 2-D and 3-D.

Window sums loop over the kernel offsets (one strided slice each, as in max pooling), then
divide by torch's divisor of every window. Average pooling is linear, so its gradient is its
adjoint, spreading each output gradient evenly back over the window, and the adjoint's gradient
is the pooling again. Adaptive average pooling is a separable linear map (``separable.py``).
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ._util import xp_of
from .pooling import (_check_rank, _check_rank_1d, _make_pool, _one, _output_size, _planes,
                      _tuple)
from .separable import adaptive_avg_map, apply_separable

# Exported at top level as torch has them; nn.functional imports the rest by name.
__all__ = ["avg_pool1d", "adaptive_avg_pool1d"]


class _AvgPool(Function):
    """Window sums divided by ``div`` (an array over the output grid, or a number)."""

    @staticmethod
    def forward(ctx, x, pool, div):
        ctx.pool, ctx.div = pool, div
        a = x._data
        planes = _planes(a, len(pool.out))
        acc = xp_of(a).zeros((planes.shape[0],) + pool.out, dtype=a.dtype)
        for _, src, dst in pool.offsets():
            acc[(slice(None),) + src] += planes[(slice(None),) + dst]
        return _divide(acc, div).reshape(a.shape[:a.ndim - len(pool.out)] + pool.out)

    @staticmethod
    def backward(ctx, grad):
        return AvgPoolAdjoint.apply(grad, ctx.pool, ctx.div), None, None


class AvgPool2D(_AvgPool):
    grad_name = "AvgPool2DBackward0"


class AvgPool3D(_AvgPool):
    grad_name = "AvgPool3DBackward0"


class AvgPoolAdjoint(Function):
    """Spread ``g / div`` back over every window (the gradient of average pooling)."""
    grad_name = "AvgPoolBackwardBackward0"

    @staticmethod
    def forward(ctx, g, pool, div):
        ctx.pool, ctx.div = pool, div
        a = g._data
        planes = _planes(a, len(pool.out)) / div
        res = xp_of(a).zeros((planes.shape[0],) + pool.size, dtype=a.dtype)
        for _, src, dst in pool.offsets():
            res[(slice(None),) + dst] += planes[(slice(None),) + src]
        return res.reshape(a.shape[:a.ndim - len(pool.size)] + pool.size)

    @staticmethod
    def backward(ctx, grad):
        return _AvgPool.apply(grad, ctx.pool, ctx.div), None, None


def _divide(acc, div):
    if acc.dtype.kind == "f":
        return acc / div
    xp = xp_of(acc)
    return (xp.sign(acc) * (xp.abs(acc) // div)).astype(acc.dtype)    # integers truncate


# ---- average pooling -------------------------------------------------------------------------
def _divisor(pool, count_include_pad, divisor_override):
    """torch's divisor of every window: its size clipped to the padded (or the real) input."""
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        return divisor_override
    div = np.ones(pool.out)
    for d, (o, k, s, (p, _), n) in enumerate(zip(pool.out, pool.kernel, pool.stride, pool.pads,
                                                 pool.size)):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        shape = [1] * len(pool.out)
        shape[d] = -1
        div = div * np.maximum(end - start, 1).reshape(shape)
    return div


def _avg_poolnd(nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override):
    fn = f"avg_pool{nd}d"
    if input.ndim < nd + 1:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.ndim}, "
                         f"{input.ndim - 1}], but got {-nd - 1})")
    _check_rank(fn, input, nd)
    kernel = _tuple(fn, nd, kernel_size, "kernel_size")
    pool = _make_pool(input, kernel, _tuple(fn, nd, stride, "stride", kernel),
                      _tuple(fn, nd, padding, "padding"), (1,) * nd, ceil_mode)
    div = _divisor(pool, count_include_pad, divisor_override)
    if not np.isscalar(div):
        div = xp_of(input._data).asarray(div, dtype=input._data.dtype
                                         if input.is_floating_point() else np.int64)
    return (AvgPool2D if nd == 2 else AvgPool3D).apply(input, pool, div)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over ``kernel_size`` windows of ``(N, C, H, W)`` or ``(C, H, W)``; the zero padding
    counts in the mean unless ``count_include_pad=False``."""
    return _avg_poolnd(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over ``kernel_size`` windows of ``(N, C, D, H, W)`` or ``(C, D, H, W)``."""
    return _avg_poolnd(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean over windows of ``(N, C, L)`` or ``(C, L)`` (a 2-D pool of height 1)."""
    _check_rank_1d("avg_pool1d", input)
    k = _one("avg_pool1d", kernel_size, "kernel_size")
    s = k if stride is None or (not isinstance(stride, int) and not stride) else \
        _one("avg_pool1d", stride, "stride")
    out = avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, _one("avg_pool1d", padding,
                     "padding")), ceil_mode, count_include_pad)
    return out.squeeze(-2)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm of every window: ``(sum x^p)^(1/p)``, as torch computes it."""
    kh, kw = _tuple("lp_pool2d", 2, kernel_size, "kernel_size")
    out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kh * kw).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm of every window of ``(N, C, L)``."""
    out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kernel_size).pow(1.0 / norm_type)


# ---- adaptive average pooling ------------------------------------------------------------
def _adaptive_avg_poolnd(nd, input, output_size):
    fn = f"adaptive_avg_pool{nd}d"
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{fn}(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
                           f"{list(input.shape)}")
    out = _output_size(fn, input, nd, output_size)
    if all(o == 1 for o in out):
        return input.mean(dim=tuple(range(-nd, 0)), keepdim=True)
    size = input.shape[input.ndim - nd:]
    maps = [adaptive_avg_map(n, o) for n, o in zip(size, out)]
    return apply_separable(input, f"AdaptiveAvgPool{nd}DBackward0", maps)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed ``output_size``: window ``i`` along a dim of length ``L``
    covers ``[floor(i*L/n), ceil((i+1)*L/n))``."""
    return _adaptive_avg_poolnd(2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """Adaptive average pooling of ``(N, C, D, H, W)`` or ``(C, D, H, W)``."""
    return _adaptive_avg_poolnd(3, input, output_size)


def adaptive_avg_pool1d(input, output_size):
    """Adaptive average pooling of ``(N, C, L)`` or ``(C, L)``."""
    _check_rank_1d("adaptive_avg_pool1d", input)
    o = _one("adaptive_avg_pool1d", output_size, "output_size")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, o)).squeeze(-2)

__methods__ = []
__inplace__ = []
