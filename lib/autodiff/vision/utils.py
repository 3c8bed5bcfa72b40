"""``make_grid`` (a batch of images tiled into one image) and ``save_image``, laid out exactly as
torchvision's."""
from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from .transforms._image import as_tensor_like, pil, tensor_array

__all__ = ["make_grid", "save_image"]


def _as_batch(tensor):
    """A tensor or list of tensors as a ``(B, C, H, W)`` array; gray images get 3 channels."""
    if isinstance(tensor, list):
        for t in tensor:
            if not isinstance(t, Tensor):
                raise TypeError("tensor or list of tensors expected, got a list containing "
                                f"{type(t)}")
        arr = np.stack([tensor_array(t) for t in tensor])
    elif isinstance(tensor, Tensor):
        arr = tensor_array(tensor)
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        arr = arr[None]
    if arr.shape[1] == 1:
        arr = np.concatenate([arr] * 3, axis=1)
    return arr


def _normalized(arr, value_range, scale_each):
    """Values clipped to ``value_range`` (default: min..max) and mapped to [0, 1]."""
    if value_range is not None and not isinstance(value_range, tuple):
        raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are "
                        "numbers")

    def norm(img):
        low, high = value_range if value_range is not None else (float(img.min()),
                                                                 float(img.max()))
        img = np.clip(img, low, high)
        return ((img - img.dtype.type(low)) / img.dtype.type(max(high - low, 1e-5))
                ).astype(img.dtype)

    return np.stack([norm(img) for img in arr]) if scale_each else norm(arr)


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """Tile a ``(B, C, H, W)`` batch (or a list of images) into one ``(C, H', W')`` image with
    ``nrow`` images per row and ``padding`` pixels of ``pad_value`` around each image."""
    like = tensor[0] if isinstance(tensor, list) else tensor
    arr = _as_batch(tensor)
    if normalize:
        arr = _normalized(arr, value_range, scale_each)
    if arr.shape[0] == 1:
        return as_tensor_like(arr[0], like)
    nmaps, channels, height, width = arr.shape
    xmaps = min(nrow, nmaps)
    ymaps = math.ceil(nmaps / xmaps)
    cell_h, cell_w = height + padding, width + padding
    grid = np.full((channels, cell_h * ymaps + padding, cell_w * xmaps + padding), pad_value,
                   dtype=arr.dtype)
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        top, left = y * cell_h + padding, x * cell_w + padding
        grid[:, top:top + height, left:left + width] = arr[k]
    return as_tensor_like(grid, like)


def save_image(tensor, fp, format=None, **kwargs):
    """Save a tensor (or a batch, tiled by ``make_grid(**kwargs)``) with values in [0, 1] as an
    image file."""
    grid = tensor_array(make_grid(tensor, **kwargs))
    pixels = np.clip(grid * 255 + 0.5, 0, 255).transpose(1, 2, 0).astype(np.uint8)
    pil().fromarray(pixels).save(fp, format=format)
