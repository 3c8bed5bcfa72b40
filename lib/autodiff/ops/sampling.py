"""``interpolate`` (upsampling and downsampling): nearest, linear, bilinear, bicubic, trilinear
and area modes, with torch's source-index formulas (``align_corners``, ``scale_factor``).

Each output position along an axis reads a few input positions with weights (one for nearest,
two for linear, four for cubic), computed in the input's floating type as torch does; the axes
are independent, so the op is a separable map (``separable.py``) and its gradient is the
transposed map.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .avg_pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d
from .conv import _type_name
from .separable import apply_separable, axis_map

__all__ = []          # nothing at torch top level: nn.functional imports these by name

_MODES = {"nearest": ("Nearest", 0), "nearest-exact": ("NearestExact", 0),
          "linear": ("Linear", 1), "bilinear": ("Bilinear", 2), "bicubic": ("Bicubic", 2),
          "trilinear": ("Trilinear", 3), "area": (None, 0)}
_CUBIC_A = -0.75


def _compute_scale(n_in, n_out, align_corners, scale, ft):
    """torch's ``area_pixel_compute_scale``: the input distance between output positions."""
    if align_corners:
        return ft(n_in - 1) / ft(n_out - 1) if n_out > 1 else ft(0)
    if scale is not None and scale > 0:
        return ft(1.0 / scale)
    return ft(n_in) / ft(n_out)


def _source(n_out, scale, align_corners, ft, clamp):
    """Real-valued input position of every output position (``clamp``: not below 0)."""
    i = np.arange(n_out).astype(ft)
    if align_corners:
        return scale * i
    src = scale * (i + ft(0.5)) - ft(0.5)
    return np.maximum(src, ft(0)) if clamp else src


def _nearest_map(n_in, n_out, scale, exact):
    """torch's nearest index (always computed in float32, like torch)."""
    s = _compute_scale(n_in, n_out, False, scale, np.float32)
    o = np.arange(n_out)
    if exact:
        idx = np.floor(((o + 0.5) * np.float64(s)).astype(np.float32))
    elif n_out == n_in:
        idx = o
    elif n_out == 2 * n_in:
        idx = o >> 1
    else:
        idx = np.floor(o.astype(np.float32) * s)
    idx = np.minimum(idx.astype(np.int64), n_in - 1)
    return axis_map(o, idx, None, n_out, n_in)


def _floor_and_lambda(real, n_in, ft):
    """torch's ``guard_index_and_lambda``: the input index left of ``real`` and the fraction."""
    i0 = np.minimum(np.floor(real).astype(np.int64), n_in - 1)
    return i0, np.clip(real - i0.astype(ft), ft(0), ft(1))


def _linear_map(n_in, n_out, align_corners, scale, ft):
    o = np.arange(n_out)
    if n_in == n_out:                         # torch copies (weights 1 and 0 on one index)
        i0, i1, l1 = o, o, np.zeros(n_out, dtype=ft)
    else:
        s = _compute_scale(n_in, n_out, align_corners, scale, ft)
        i0, l1 = _floor_and_lambda(_source(n_out, s, align_corners, ft, True), n_in, ft)
        i1 = i0 + (i0 < n_in - 1)
    l0 = ft(1) - l1
    return axis_map(np.r_[o, o], np.r_[i0, i1], np.r_[l0, l1].astype(np.float64), n_out, n_in)


def _cubic_weights(t, ft):
    """Keys' cubic convolution weights (A = -0.75) of the four taps around a fraction ``t``."""
    a = ft(_CUBIC_A)

    def near(x):                              # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):                               # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    t1 = ft(1) - t
    return [far(t + ft(1)), near(t), near(t1), far(t1 + ft(1))]


def _cubic_map(n_in, n_out, align_corners, scale, ft):
    s = _compute_scale(n_in, n_out, align_corners, scale, ft)
    i0, t = _floor_and_lambda(_source(n_out, s, align_corners, ft, False), n_in, ft)
    o = np.arange(n_out)
    cols = [np.clip(i0 - 1 + j, 0, n_in - 1) for j in range(4)]
    weights = np.concatenate(_cubic_weights(t, ft)).astype(np.float64)
    return axis_map(np.tile(o, 4), np.concatenate(cols), weights, n_out, n_in)


def _sizes(input, size, scale_factor, recompute_scale_factor, dim):
    """Output sizes and the scales torch's kernels receive (None: derived from the sizes)."""
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {spatial} and output size of {size}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output "
                    "size in (o1, o2, ...,oK) format.")
            out = [int(s) for s in size]
        else:
            out = [int(size)] * dim
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        return out, [None] * dim
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != dim:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {spatial} and scale_factor of shape "
                f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                "and scale_factor in (s1, s2, ...,sK) format.")
        scales = [float(s) for s in scale_factor]
    else:
        scales = [float(scale_factor)] * dim
    out = [math.floor(n * s) for n, s in zip(spatial, scales)]
    return out, ([None] * dim if recompute_scale_factor else scales)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of ``(N, C, *spatial)`` to ``size`` (or by ``scale_factor``)."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    align_corners = bool(align_corners)
    dim = input.ndim - 2
    if mode not in _MODES or dim not in (1, 2, 3):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the "
            "modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
            f"nearest-exact (got {mode})")
    name, need = _MODES[mode]
    if need and need != dim:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                  f"{need + 2}D input")
    if antialias:
        raise NotImplementedError("antialias=True is not supported by autodiff")
    out, scales = _sizes(input, size, scale_factor,
                         recompute_scale_factor or (mode == "area" and size is None), dim)
    spatial = tuple(input.shape[2:])
    if any(o <= 0 for o in out):
        axes = ("D", "H", "W")[3 - dim:]
        sin = ", ".join(f"{a}: {n}" for a, n in zip(axes, spatial))
        sout = ", ".join(f"{a}: {n}" for a, n in zip(axes, out))
        joint = " and" if dim == 1 else ""          # torch words the 1-D case differently
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({sin}){joint} output ({sout})")
    if mode == "area":
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[dim - 1](input, out)
    if mode.startswith("nearest"):                   # copies values: any dtype (uint8 images)
        maps = [_nearest_map(n, o, s, mode == "nearest-exact")
                for n, o, s in zip(spatial, out, scales)]
    else:
        if input._data.dtype.kind != "f":
            raise NotImplementedError(f'"upsample_{mode}{dim}d" not implemented for '
                                      f"'{_type_name(input)}'")
        ft = np.float64 if input._data.dtype == np.float64 else np.float32
        make = _cubic_map if mode == "bicubic" else _linear_map
        maps = [make(n, o, align_corners, s, ft) for n, o, s in zip(spatial, out, scales)]
    return apply_separable(input, f"Upsample{name}{dim}DBackward0", maps)


def _deprecated(name):
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=3)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of :func:`interpolate`."""
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='nearest')``."""
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


__methods__ = []
__inplace__ = []
