"""Sampling an image at arbitrary points: ``affine_grid``, ``grid_sample`` (the two halves of a
spatial transformer) and ``gumbel_softmax``.

``grid_sample`` reads the input at real-valued positions. Each output point is a weighted sum of
a few input pixels, its *taps* (1 for nearest, 2 per axis for bilinear, 4 per axis for bicubic):
which pixels are read is piecewise constant in the grid, and only the weights (polynomials of
the fractional position) vary smoothly with it. The forward pass works out the taps once (a
"plan"); the backward pass is written with tensor ops on the plan, so it is differentiable again.
"""
from __future__ import annotations

import functools
import itertools
import operator
import warnings
from typing import NamedTuple

import numpy as np

from .._redraw import exponential_
from ..autograd.function import Function
from ..tensor import Tensor
from ._linalg_util import TYPE_NAMES
from ._util import xp_of
from .joining import stack
from .rearranging import _zeros
from .scattering import Gather, ScatterAdd
from .softmax import softmax

__all__ = []          # nothing at torch top level: nn.functional imports these by name

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the old "
                  "behavior is desired. See the documentation of grid_sample for details.")
_CUBIC_A = -0.75


def _align(align_corners):
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=3)
        return False
    return bool(align_corners)


# ---- affine_grid ----------------------------------------------------------------------------------
def _linspace(n, align_corners, xp, dtype):
    """``n`` positions in [-1, 1] (pixel centres when not ``align_corners``); 0 when ``n == 1``."""
    if n <= 1:
        return xp.zeros(n, dtype=dtype)
    i = xp.arange(n, dtype=dtype)
    step = dtype.type(2) / dtype.type(n - 1)
    r = xp.where(i < n // 2, -1 + i * step, 1 - (n - 1 - i) * step).astype(dtype)
    return r if align_corners else r * dtype.type(n - 1) / dtype.type(n)


def _base_grid(spatial, align_corners, xp, dtype):
    """The ``(prod(spatial), k + 1)`` homogeneous coordinates ``(x, y[, z], 1)`` of every output
    point, x varying fastest (along the last spatial dim)."""
    axes = [_linspace(n, align_corners, xp, dtype) for n in spatial]
    mesh = xp.meshgrid(*axes, indexing="ij")                 # (D,) H, W order
    cols = [m.reshape(-1) for m in reversed(mesh)] + [xp.ones(mesh[0].size, dtype=dtype)]
    return xp.stack(cols, axis=1)


class AffineGridGenerator(Function):
    """``grid[n, p] = theta[n] @ (x_p, y_p[, z_p], 1)``: linear in ``theta``."""
    grad_name = "AffineGridGeneratorBackward0"

    @staticmethod
    def forward(ctx, theta, spatial, align_corners):
        a = theta._data
        base = _base_grid(spatial, align_corners, xp_of(a), a.dtype)
        ctx.base, ctx.n_points = Tensor._make(base), base.shape[0]
        out = xp_of(a).matmul(base, a.swapaxes(1, 2))       # (N, P, k)
        return out.reshape((a.shape[0], *spatial, a.shape[1]))

    @staticmethod
    def backward(ctx, grad):
        n, k = grad.shape[0], grad.shape[-1]
        return grad.reshape(n, ctx.n_points, k).transpose(1, 2) @ ctx.base, None, None


def affine_grid(theta, size, align_corners=None):
    """The sampling grid ``(N, H, W, 2)`` (or ``(N, D, H, W, 3)``) of the affine maps ``theta``
    (``N x 2 x 3`` or ``N x 3 x 4``) for an output of ``size``, to feed to :func:`grid_sample`."""
    align_corners = _align(align_corners)
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) not in (4, 5):
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    k = len(size) - 2
    if theta.dim() != 3 or tuple(theta.shape[1:]) != (k, k + 1):
        raise ValueError(f"Expected a batch of {k}D affine matrices of shape Nx{k}x{k + 1} for "
                         f"size {size}. Got {theta.shape}.")
    spatial = tuple(int(n) for n in size[2:])
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids "
                      "when align_corners=True. This is not an intended use case of affine_grid. "
                      "See the documentation of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{size[0]}, {k + 1}] but got: [{theta.shape[0]}, {k + 1}].")
    return AffineGridGenerator.apply(theta, spatial, align_corners)


# ---- grid_sample: where each output point reads ------------------------------------------------
class _Plan(NamedTuple):
    """The taps of every output point: ``index`` (N, 1, K*P) into the flattened spatial dims
    (0 where outside), ``mask`` (N, K, P: 1 inside, 0 outside), and per grid axis the fraction
    ``frac`` and the affine map ``frac = slope * grid + offset`` valid near the grid values."""
    index: object
    mask: object
    frac: list
    slope: list
    offset: list


def _reflect(x, lo, span, xp):
    """``x`` folded into ``[lo, lo + span]`` by mirroring at its ends, and ``d(out)/dx`` (+-1)."""
    if span <= 0:
        return xp.zeros_like(x), xp.zeros_like(x)
    d = x - lo
    sign = xp.where(d < 0, -1, 1).astype(x.dtype)
    d = xp.abs(d)
    flips = xp.floor(d / span)
    extra = xp.fmod(d, span)
    odd = flips % 2 == 1
    return xp.where(odd, lo + span - extra, lo + extra), xp.where(odd, -sign, sign)


def _pad_coordinate(x, n, padding_mode, align_corners, xp):
    """torch's ``compute_coordinates``: a pixel coordinate moved inside for border and
    reflection padding, and its derivative (0 where clipped)."""
    one = xp.ones_like(x)
    if padding_mode == "zeros":
        return x, one
    if padding_mode == "reflection":
        if align_corners:
            x, one = _reflect(x, 0.0, n - 1.0, xp)
        else:
            x, one = _reflect(x, -0.5, float(n), xp)
    inside = (x > 0) & (x < n - 1)
    return xp.clip(x, 0, n - 1), xp.where(inside, one, 0).astype(x.dtype)


def _axis_taps(g, n, mode, padding_mode, align_corners, xp):
    """Along one axis: the tap indices and validity, the fraction, slope and offset."""
    scale = (n - 1) / 2 if align_corners else n / 2
    x = (g + 1) * g.dtype.type(scale) - (0 if align_corners else g.dtype.type(0.5))
    if mode == "bicubic":                     # padding moves the taps, not the position
        x0 = xp.floor(x)
        slope = xp.full_like(x, scale)
        taps = [_pad_coordinate(x0 + o, n, padding_mode, align_corners, xp)[0]
                for o in (-1, 0, 1, 2)]
    else:
        x, d = _pad_coordinate(x, n, padding_mode, align_corners, xp)
        slope = d * g.dtype.type(scale)
        x0 = xp.rint(x) if mode == "nearest" else xp.floor(x)
        taps = [x0] if mode == "nearest" else [x0, x0 + 1]
    frac = x - x0
    idx = [t.astype(np.int64) for t in taps]
    valid = [(t >= 0) & (t < n) for t in taps]
    return idx, valid, frac, slope, frac - slope * g


def _plan(grid, spatial, mode, padding_mode, align_corners):
    xp = xp_of(grid)
    g = grid.reshape(grid.shape[0], int(np.prod(grid.shape[1:-1])), grid.shape[-1])
    sizes = spatial[::-1]                                    # grid axis d reads dim -1 - d
    axes = [_axis_taps(g[..., d], sizes[d], mode, padding_mode, align_corners, xp)
            for d in range(g.shape[-1])]
    strides = np.cumprod((1,) + sizes[:-1])
    index, mask = [], []
    for combo in itertools.product(*(range(len(a[0])) for a in axes)):
        ok = functools.reduce(operator.and_, (axes[d][1][c] for d, c in enumerate(combo)))
        flat = sum(axes[d][0][c] * int(strides[d]) for d, c in enumerate(combo))
        index.append(xp.where(ok, flat, 0))
        mask.append(ok.astype(grid.dtype))
    return _Plan(xp.concatenate(index, axis=1)[:, None, :], xp.stack(mask, axis=1),
                 [a[2] for a in axes], [a[3] for a in axes], [a[4] for a in axes])


# ---- grid_sample: the weights and the sums, in tensor ops ----------------------------------------
def _cubic_near(x, deriv):
    a = _CUBIC_A
    return (3 * (a + 2) * x - 2 * (a + 3)) * x if deriv else ((a + 2) * x - (a + 3)) * x * x + 1


def _cubic_far(x, deriv):
    a = _CUBIC_A
    return (3 * a * x - 10 * a) * x + 8 * a if deriv else ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def _axis_weights(mode, t, deriv=False):
    """The weights of one axis's taps at fraction ``t`` (or their derivatives in ``t``)."""
    if mode == "nearest":
        return [0.0 if deriv else 1.0]
    if mode == "bilinear":
        return [-1.0, 1.0] if deriv else [1 - t, t]
    sign = -1 if deriv else 1                                # d/dt of f(1 - t) is -f'(1 - t)
    return [_cubic_far(t + 1, deriv), _cubic_near(t, deriv),
            sign * _cubic_near(1 - t, deriv), sign * _cubic_far(2 - t, deriv)]


def _tap_weights(mode, frac, mask, deriv_axis=None):
    """``(N, K, P)``: each tap's weight, the product of its axes' weights (the derivative along
    ``deriv_axis`` instead, if given), zero for taps outside the input."""
    per_axis = [_axis_weights(mode, t, d == deriv_axis) for d, t in enumerate(frac)]
    taps = []
    for combo in itertools.product(*(range(len(w)) for w in per_axis)):
        w = mask[:, len(taps)]
        for d, c in enumerate(combo):
            w = w * per_axis[d][c]
        taps.append(w)
    return stack(taps, 1)


def _gathered(input, plan):
    """``(N, C, K, P)``: the input value at every tap (any value where the tap is outside)."""
    n, c = input.shape[:2]
    k, p = plan.mask.shape[1:]
    flat = input.reshape(n, c, int(np.prod(input.shape[2:])))
    index = xp_of(plan.index).broadcast_to(plan.index, (n, c, k * p))
    return Gather.apply(flat, 2, index).reshape(n, c, k, p)


def _sample_backward(grad, input, grid, plan, mode, needs):
    """Gradients for the input (the weights scattered back to the taps) and for the grid (the
    weights' derivatives against the tap values), in tensor ops."""
    n, c = input.shape[:2]
    g = grid.reshape(n, plan.mask.shape[-1], grid.shape[-1])
    frac = [g[..., d] * Tensor._make(s) + Tensor._make(o)
            for d, (s, o) in enumerate(zip(plan.slope, plan.offset))]
    mask = Tensor._make(plan.mask)
    gout = grad.reshape(n, c, 1, plan.mask.shape[-1])
    grad_input = grad_grid = None
    if needs[0]:
        src = (gout * _tap_weights(mode, frac, mask).unsqueeze(1)).flatten(2)
        index = xp_of(plan.index).broadcast_to(plan.index, src.shape)
        grad_input = ScatterAdd.apply(_zeros((n, c, int(np.prod(input.shape[2:]))), grad), 2,
                                      index, src).reshape(input.shape)
    if needs[1]:
        if mode == "nearest":                   # piecewise constant in the grid
            grad_grid = _zeros(grid.shape, grad)
        else:
            along = (gout * _gathered(input, plan)).sum(1)      # (N, K, P)
            parts = [(along * _tap_weights(mode, frac, mask, d)).sum(1) * Tensor._make(s)
                     for d, s in enumerate(plan.slope)]
            grad_grid = stack(parts, -1).reshape(grid.shape)
    return grad_input, grad_grid


class GridSampler2D(Function):
    """``out[n, c, p] = sum over taps of weight * input[n, c, tap]`` for every grid point."""
    grad_name = "GridSampler2DBackward0"

    @staticmethod
    def forward(ctx, input, grid, mode, padding_mode, align_corners):
        plan = _plan(grid._data, tuple(input.shape[2:]), mode, padding_mode, align_corners)
        ctx.plan, ctx.mode = plan, mode
        ctx.save_for_backward(input, grid)
        weights = _tap_weights(mode, [Tensor._make(f) for f in plan.frac],
                               Tensor._make(plan.mask))
        out = (_gathered(input, plan) * weights.unsqueeze(1)).sum(2)
        return out._data.reshape(tuple(input.shape[:2]) + tuple(grid.shape[1:-1]))

    @staticmethod
    def backward(ctx, grad):
        input, grid = ctx.saved_tensors
        gi, gg = _sample_backward(grad, input, grid, ctx.plan, ctx.mode, ctx.needs_input_grad)
        return gi, gg, None, None, None


class GridSampler3D(GridSampler2D):
    grad_name = "GridSampler3DBackward0"


def _type_name(t):
    return TYPE_NAMES[t.dtype.name]


def _check_sample(input, grid, mode):
    """torch's checks, in torch's order (shapes, then dtypes)."""
    sizes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got {sizes}")
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.dim() - 2} in "
                           f"last dimension, but got grid with sizes {list(grid.shape)}")
    for i in range(2, input.dim()):
        if input.shape[i] <= 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {i} being empty")
    nd = 4 if input.dim() == 4 else 5
    if input.dim() != nd or grid.dim() != nd:
        raise RuntimeError(f"grid_sampler(): expected {nd}D input and grid with same number of "
                           f"dimensions, but got {sizes}")
    if nd == 5 and mode == "bicubic":
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if not input.is_floating_point():
        kernel = "grid_sampler_2d_cpu_kernel_impl" if nd == 4 else "grid_sampler3d_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_type_name(input)}\'')
    if grid.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {_type_name(input)} but found "
                           f"{_type_name(grid)}")


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """``input`` (N, C, H, W) read at the positions ``grid`` (N, H_out, W_out, 2), x then y in
    [-1, 1] (or the 5-D analogue), interpolated by ``mode``; outside positions follow
    ``padding_mode``."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    align_corners = _align(align_corners)
    _check_sample(input, grid, mode)
    fn = GridSampler2D if input.dim() == 4 else GridSampler3D
    return fn.apply(input, grid, mode, padding_mode, align_corners)


# ---- gumbel_softmax ---------------------------------------------------------------------------------
def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """``softmax((logits + g) / tau)`` with Gumbel(0, 1) noise ``g`` from autodiff's generator;
    ``hard=True`` returns the one-hot argmax with the soft sample's gradient (straight through)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -exponential_(_zeros(tuple(logits.shape), logits)).log()
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = _zeros(tuple(logits.shape), logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
