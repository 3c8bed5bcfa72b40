"""Max pooling (plain and adaptive, 1-D to 3-D) and max unpooling, plus the window geometry and
argument checks that average pooling (``avg_pooling.py``) shares.

Pooling loops over the *kernel offsets*, not the pixels: for offset ``k`` every window reads one
strided slice of the input (``_windows.offsets``), so a 3x3 pool is nine vectorised steps. Max
pooling folds the slices into a running maximum, then finds which element of every window holds
it, as a flat index within the plane (the ``indices`` torch returns); its gradient scatters the
output gradient back to those indices.
1-D pooling is 2-D pooling of a height-1 image, as in torch.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..autograd.function import Function
from ..backend import scatter_add
from ._util import xp_of
from ._windows import offsets, out_size
from .separable import adaptive_ranges

# Exported at top level as torch has them (torch.max_pool2d, ...); nn.functional imports the rest
# (adaptive_max_pool1d/2d, max_unpool1d/2d) by name.
__all__ = ["max_pool1d", "max_pool2d", "max_pool3d"]

_WORDS = {1: "one", 2: "two", 3: "three"}


class Pool(NamedTuple):
    """Where the windows of a pooling op lie along each spatial dim."""
    kernel: tuple
    stride: tuple
    pads: tuple            # ((before, after), ...)
    dilation: tuple
    size: tuple            # input spatial size
    out: tuple             # output spatial size

    def offsets(self):
        return offsets(self.kernel, self.out, self.stride, self.pads, self.dilation, self.size)


def _planes(x, nd):
    """``x`` as a stack of planes ``(B, *spatial)`` (a view when contiguous)."""
    return x.reshape((-1,) + x.shape[x.ndim - nd:])


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _scan_max(best, steps):
    """Fold ``steps = [(k, sel, values), ...]`` (window element ``k`` of the windows ``sel``)
    into the running maximum ``best``, in place, and return the ``k`` torch's scan keeps for
    every window: the first maximum (a later equal value does not win), or the last NaN."""
    xp = xp_of(best)
    for _, sel, v in steps:
        xp.maximum(best[sel], v, out=best[sel])       # NaN propagates, as in torch
    small = max((k for k, _, _ in steps), default=0) < 128
    which = xp.zeros(best.shape, dtype=np.int8 if small else np.int64)
    for k, sel, v in reversed(steps):
        w = which[sel]
        w[...] = xp.where(v == best[sel], k, w)
    if best.dtype.kind == "f" and bool(xp.isnan(best).any()):
        for k, sel, v in steps:
            w = which[sel]
            w[...] = xp.where(xp.isnan(v), k, w)
    return which


def _grid(d, n, values):
    """A 1-D array along output dim ``d`` of ``n`` dims, shaped to broadcast over (B, *out)."""
    shape = [1] * (n + 1)
    shape[d + 1] = -1
    return values.reshape(shape)


def _max_windows(x, pool):
    """Max and argmax (flat index within the plane) of every window of the planes ``x``."""
    xp, nd = xp_of(x), len(pool.out)
    best = xp.full((x.shape[0],) + pool.out, _lowest(x.dtype), dtype=x.dtype)
    steps, shifts = [], np.zeros(int(np.prod(pool.kernel)), dtype=np.int64)
    plane = [int(np.prod(pool.size[d + 1:])) for d in range(nd)]   # element strides
    for k, src, dst in pool.offsets():
        i = int(np.ravel_multi_index(k, pool.kernel))
        shifts[i] = sum(kd * dil * ps for kd, dil, ps in zip(k, pool.dilation, plane))
        steps.append((i, (slice(None),) + src, x[(slice(None),) + dst]))
    flat = xp.take(xp.asarray(shifts), _scan_max(best, steps))   # where in its window ...
    for d, (o, s, (p, _)) in enumerate(zip(pool.out, pool.stride, pool.pads)):
        flat += _grid(d, nd, (xp.arange(o, dtype=np.int64) * s - p) * plane[d])   # + window
    return best, flat


def _adaptive_max_windows(x, out):
    """Max and argmax over torch's adaptive windows ``[floor(i*L/n), ceil((i+1)*L/n))``."""
    xp, nd, size = xp_of(x), len(out), x.shape[1:]
    ranges = [adaptive_ranges(n, o) for n, o in zip(size, out)]
    widest = tuple(int((b - a).max(initial=1)) for a, b in ranges)
    best = xp.full((x.shape[0],) + tuple(out), _lowest(x.dtype), dtype=x.dtype)
    steps = []
    for k in np.ndindex(*widest):       # element k of every window (clipped to its last one)
        pos = [xp.asarray(np.minimum(a + j, b - 1)) for j, (a, b) in zip(k, ranges)]
        steps.append((int(np.ravel_multi_index(k, widest)), (Ellipsis,),
                      x[(slice(None),) + xp.ix_(*pos)]))
    ks = xp.unravel_index(_scan_max(best, steps), widest)
    flat = 0
    for d, ((a, b), n) in enumerate(zip(ranges, size)):
        pos = xp.minimum(_grid(d, nd, xp.asarray(a)) + ks[d], _grid(d, nd, xp.asarray(b - 1)))
        flat = flat * n + pos
    return best, flat


# ---- Functions -------------------------------------------------------------------------------
class _MaxPool(Function):
    """Max over windows; returns (values, indices). ``find(planes)`` locates the maxima."""

    @staticmethod
    def forward(ctx, x, find, nd):
        a = x._data
        best, idx = find(_planes(a, nd))
        lead = a.shape[:a.ndim - nd]
        ctx.idx, ctx.shape = idx, a.shape
        return best.reshape(lead + best.shape[1:]), idx.reshape(lead + idx.shape[1:])

    @staticmethod
    def backward(ctx, grad, _):
        return PlaneScatter.apply(grad, ctx.idx, ctx.shape), None, None


class MaxPool2D(_MaxPool):
    grad_name = "MaxPool2DWithIndicesBackward0"


class MaxPool3D(_MaxPool):
    grad_name = "MaxPool3DWithIndicesBackward0"


class AdaptiveMaxPool2D(_MaxPool):
    grad_name = "AdaptiveMaxPool2DBackward0"


class AdaptiveMaxPool3D(_MaxPool):
    grad_name = "AdaptiveMaxPool3DBackward0"


class PlaneScatter(Function):
    """``out[b, idx[b, p]] += g[b, p]`` in every plane ``b``: the gradient of max pooling.
    ``idx`` has shape ``(B, *out)``; ``shape`` is the full shape of the result."""
    grad_name = "MaxPoolBackwardBackward0"

    @staticmethod
    def forward(ctx, g, idx, shape):
        ctx.idx = idx
        a, xp = g._data, xp_of(g._data)
        nb = idx.shape[0]
        res = xp.zeros((nb, _prod(shape) // max(nb, 1)), dtype=a.dtype)
        flat = idx.reshape(nb, -1) + xp.arange(nb)[:, None] * res.shape[1]
        scatter_add(res.reshape(-1), flat.reshape(-1), a.reshape(-1))
        return res.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return PlaneGather.apply(grad, ctx.idx), None, None


class PlaneGather(Function):
    """``out[b, p] = x[b, idx[b, p]]`` in every plane (the adjoint of :class:`PlaneScatter`)."""
    grad_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, idx):
        a = x._data
        ctx.idx, ctx.shape = idx, a.shape
        nb = idx.shape[0]
        out = xp_of(a).take_along_axis(a.reshape(nb, -1), idx.reshape(nb, -1), axis=1)
        return out.reshape(a.shape[:a.ndim + 1 - idx.ndim] + idx.shape[1:])

    @staticmethod
    def backward(ctx, grad):
        return PlaneScatter.apply(grad, ctx.idx, ctx.shape), None


def _prod(shape):
    return int(np.prod(shape, dtype=np.int64))


class MaxUnpool(Function):
    """Put every value at its index in a zero plane (the inverse of max pooling).
    ``idx`` has shape ``(B, *in)``; ``shape`` is the full shape of the result."""
    grad_name = "MaxUnpool2DBackward0"

    @staticmethod
    def forward(ctx, x, idx, shape):
        ctx.idx = idx
        a, xp = x._data, xp_of(x._data)
        nb = idx.shape[0]
        res = xp.zeros((nb, _prod(shape) // max(nb, 1)), dtype=a.dtype)
        res[xp.arange(nb)[:, None], idx.reshape(nb, -1)] = a.reshape(nb, -1)
        return res.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return PlaneGather.apply(grad, ctx.idx), None, None


class MaxUnpool3D(MaxUnpool):
    grad_name = "MaxUnpool3DBackward0"


# ---- argument checking -----------------------------------------------------------------------
def _tuple(fn, nd, value, name, default=None):
    """An int or an nd-sequence as an nd-tuple; ``default`` when None or empty (stride)."""
    if default is not None and (value is None or (not isinstance(value, int) and not value)):
        return default
    vals = (value,) * nd if isinstance(value, int) else tuple(value)
    if len(vals) == 1:
        vals *= nd
    if len(vals) != nd:
        opt = "either be omitted, a single int," if name == "stride" else "either be a single int,"
        raise RuntimeError(f"{fn}: {name} must {opt} or a tuple of {_WORDS[nd]} ints")
    return tuple(int(v) for v in vals)


def _check_rank(fn, x, nd):
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for "
                           "input")
    if any(s == 0 for s in x.shape[x.ndim - nd - 1:]):
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional "
                           f"0 dim batch size for input, but got:{list(x.shape)}")


def _make_pool(x, kernel, stride, padding, dilation, ceil_mode):
    """The window geometry, with torch's checks and messages."""
    nd = len(kernel)
    size = tuple(x.shape[x.ndim - nd:])
    out = []
    for n, k, s, p, d in zip(size, kernel, stride, padding, dilation):
        if s == 0:
            raise RuntimeError("stride should not be zero")
        if p < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
        if p > ((k - 1) * d + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")
        out.append(out_size(n, k, s, (p, p), d, ceil_mode))
    axes = "THW"[3 - nd:]
    for what, vals, prefix in (("kernel size", kernel, "k"), ("stride", stride, "d"),
                               ("dilation", dilation, "dilation")):
        if any(v <= 0 for v in vals):
            shown = " ".join(f"{prefix}{a}: {v}" for a, v in zip(axes, vals))
            raise RuntimeError(f"{what} should be greater than zero, but got {shown}")
    if any(o < 1 for o in out):
        c = x.shape[x.ndim - nd - 1]
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, (c,) + size))}). Calculated "
                           f"output size: ({'x'.join(map(str, (c,) + tuple(out)))}). Output size "
                           "is too small")
    return Pool(kernel, stride, tuple((p, p) for p in padding), dilation, size, tuple(out))


# ---- max pooling -----------------------------------------------------------------------------
def _max_poolnd(nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    fn = f"max_pool{nd}d"
    _check_rank(fn, input, nd)
    kernel = _tuple(fn, nd, kernel_size, "kernel_size")
    stride = _tuple(fn, nd, stride, "stride", kernel)
    pool = _make_pool(input, kernel, stride, _tuple(fn, nd, padding, "padding"),
                      _tuple(fn, nd, dilation, "dilation"), ceil_mode)
    cls = MaxPool2D if nd == 2 else MaxPool3D
    out, idx = cls.apply(input, lambda planes: _max_windows(planes, pool), nd)
    return (out, idx) if return_indices else out


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Maximum over ``kernel_size`` windows of ``(N, C, H, W)`` or ``(C, H, W)``; with
    ``return_indices`` also where each maximum was (flat index within its H*W plane)."""
    return _max_poolnd(2, input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Maximum over ``kernel_size`` windows of ``(N, C, D, H, W)`` or ``(C, D, H, W)``."""
    return _max_poolnd(3, input, kernel_size, stride, padding, dilation, ceil_mode,
                       return_indices)


def _one(fn, value, name):
    """A 1-D pooling argument (an int or a 1-sequence) as an int."""
    if isinstance(value, int):
        return value
    if len(value) != 1:
        raise RuntimeError(f"{fn}() argument '{name}' should contain one int (got {len(value)})")
    return int(value[0])


def _check_rank_1d(fn, x):
    if x.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {x.ndim}-dimensional tensor "
                           f"for argument #1 'self' (while checking arguments for {fn})")


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Maximum over windows of ``(N, C, L)`` or ``(C, L)`` (a 2-D pool of height 1)."""
    if input.ndim not in (2, 3):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{list(input.shape)}")
    k = _one("max_pool1d", kernel_size, "kernel_size")
    s = k if stride is None or (not isinstance(stride, int) and not stride) else \
        _one("max_pool1d", stride, "stride")
    res = max_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, _one("max_pool1d", padding,
                     "padding")), (1, _one("max_pool1d", dilation, "dilation")), ceil_mode, True)
    out, idx = res[0].squeeze(-2), res[1].squeeze(-2)
    return (out, idx) if return_indices else out


# ---- adaptive pooling ------------------------------------------------------------------------
def _output_size(fn, x, nd, output_size):
    """``output_size`` as an nd-tuple; None entries keep the input's size."""
    sizes = (output_size,) * nd if isinstance(output_size, int) or output_size is None \
        else tuple(output_size)
    if len(sizes) != nd:
        raise RuntimeError(f"{fn}: output_size must be {nd}")
    sizes = tuple(x.shape[x.ndim - nd + i] if s is None else int(s) for i, s in enumerate(sizes))
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"{fn}: elements of output_size must be greater than or equal to 0 "
                           f"but received {{{', '.join(map(str, sizes))}}}")
    return sizes


def _adaptive_max_poolnd(nd, input, output_size, return_indices):
    fn = f"adaptive_max_pool{nd}d"
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{fn}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"{list(input.shape)}")
    if not isinstance(output_size, int) and len(output_size) != nd:
        raise RuntimeError(f"{fn}(): internal error: output_size.size() must be {nd}")
    out = _output_size(fn, input, nd, output_size)
    cls = AdaptiveMaxPool2D if nd == 2 else AdaptiveMaxPool3D
    res, idx = cls.apply(input, lambda planes: _adaptive_max_windows(planes, out), nd)
    return (res, idx) if return_indices else res


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed ``output_size`` (torch's adaptive windows)."""
    return _adaptive_max_poolnd(2, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Adaptive max pooling of ``(N, C, D, H, W)`` or ``(C, D, H, W)``."""
    return _adaptive_max_poolnd(3, input, output_size, return_indices)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Adaptive max pooling of ``(N, C, L)`` or ``(C, L)``."""
    _check_rank_1d("adaptive_max_pool1d", input)
    o = _one("adaptive_max_pool1d", output_size, "output_size")
    res, idx = adaptive_max_pool2d(input.unsqueeze(-2), (1, o), True)
    res, idx = res.squeeze(-2), idx.squeeze(-2)
    return (res, idx) if return_indices else res


# ---- unpooling -------------------------------------------------------------------------------
def _unpool_size(input, kernel, stride, padding, output_size):
    """The output's spatial size: by default what the matching max pool started from."""
    nd = len(kernel)
    default = [(n - 1) * s + k - 2 * p
               for n, k, s, p in zip(input.shape[input.ndim - nd:], kernel, stride, padding)]
    if output_size is None:
        return default
    if len(output_size) == nd + 2:
        output_size = output_size[2:]
    if len(output_size) != nd:
        raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} "
                         f"elements, but it has a length of '{len(output_size)}'")
    for d, (o, n, s) in enumerate(zip(output_size, default, stride)):
        if not n - s < o < n + s:
            raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between '
                             f"{n - s} and {n + s})")
    return list(output_size)


def _max_unpoolnd(nd, input, indices, kernel_size, stride, padding, output_size):
    fn = f"max_unpool{nd}d"
    kernel = _tuple(fn, nd, kernel_size, "kernel_size")
    stride = _tuple(fn, nd, stride, "stride", kernel)
    padding = _tuple(fn, nd, padding, "padding")
    out = tuple(_unpool_size(input, kernel, stride, padding, output_size))
    if input.shape != indices.shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    idx = _planes(indices._data, nd)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= _prod(out)):
        bad = int(idx.max()) if int(idx.max()) >= _prod(out) else int(idx.min())
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           f"{'x'.join(map(str, out))}{')' if nd == 3 else ''}")
    cls = MaxUnpool if nd == 2 else MaxUnpool3D
    return cls.apply(input, idx, tuple(input.shape[:input.ndim - nd]) + out)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool2d: each value goes back where ``indices`` says, zeros
    elsewhere."""
    return _max_unpoolnd(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool3d, for ``(N, C, D, H, W)`` or ``(C, D, H, W)``."""
    if input.ndim not in (4, 5):
        raise RuntimeError(f"Input to max_unpooling3d should be a 4d or 5d Tensor, but got a "
                           f"tensor with {input.ndim} dimensions.")
    if not isinstance(kernel_size, int) and len(kernel_size) != 3:
        raise RuntimeError(f"There should be exactly three elements (depth, height, width) in "
                           f"output_size, but got {len(kernel_size)} elements.")
    return _max_unpoolnd(3, input, indices, kernel_size, stride, padding, output_size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool1d (a 2-D unpool of width 1, as in torch)."""
    k = _one("max_unpool1d", kernel_size, "kernel_size")
    s = k if stride is None else _one("max_unpool1d", stride, "stride")
    p = _one("max_unpool1d", padding, "padding")
    out = _unpool_size(input, (k,), (s,), (p,), output_size) + [1]
    return max_unpool2d(input.unsqueeze(-1), indices.unsqueeze(-1), (k, 1), (s, 1), (p, 0),
                        out).squeeze(-1)


__methods__ = []
__inplace__ = []
