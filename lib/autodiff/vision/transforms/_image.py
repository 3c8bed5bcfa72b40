"""The two kinds of images the transforms accept, and moving between them and NumPy.

A *PIL image* (``PIL.Image.Image``) is what ``ImageFolder`` loads; a *tensor image* is an
``autodiff.Tensor`` of shape ``(..., C, H, W)``. Pillow is imported only when an image needs it.
"""
from __future__ import annotations

import enum
import sys

import numpy as np

from ...backend import to_numpy
from ..._creation import from_numpy
from ...tensor import Tensor


class InterpolationMode(enum.Enum):
    """How pixel values are computed when an image is resized or rotated."""
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_FILTERS = {"nearest": 0, "nearest-exact": 0, "lanczos": 1, "bilinear": 2, "bicubic": 3,
                "box": 4, "hamming": 5}


def pil_filter(mode):
    """Pillow's resampling constant for an ``InterpolationMode``."""
    return _PIL_FILTERS[InterpolationMode(mode).value]


def pil():
    """The ``PIL.Image`` module, or an ImportError that says what to install."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("autodiff.vision needs Pillow for images: pip install pillow") from None
    return Image


def is_pil(img):
    """True if ``img`` is a PIL image (without importing PIL)."""
    image_module = sys.modules.get("PIL.Image")   # not imported yet: cannot be a PIL image
    return image_module is not None and isinstance(img, image_module.Image)


def check_image(img):
    """TypeError unless ``img`` is a PIL image or a tensor."""
    if not (is_pil(img) or isinstance(img, Tensor)):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")


def tensor_array(img):
    """The NumPy array of a tensor image (a copy for GPU tensors)."""
    return to_numpy(img.detach()._data)


def as_tensor_like(array, like):
    """``array`` as a tensor on the device of tensor ``like``."""
    out = from_numpy(np.ascontiguousarray(array))
    return out if like.device.type == "cpu" else out.to(like.device)


def get_dimensions(img):
    """``[channels, height, width]`` of a PIL or tensor image."""
    check_image(img)
    if isinstance(img, Tensor):
        if img.dim() < 2:
            raise TypeError(f"Tensor is not a torch image, got {img.dim()} dimensions.")
        channels = 1 if img.dim() == 2 else img.shape[-3]
        return [channels, img.shape[-2], img.shape[-1]]
    width, height = img.size
    return [len(img.getbands()), height, width]


def get_image_size(img):
    """``[width, height]`` (PIL's order)."""
    _, height, width = get_dimensions(img)
    return [width, height]


def pil_to_array(img):
    """A PIL image as a ``(H, W, C)`` array of its own dtype."""
    arr = np.array(img, copy=True)
    return arr.reshape(img.size[1], img.size[0], len(img.getbands()))


def array_to_pil(arr, like):
    """An ``(H, W, C)`` array back into a PIL image of ``like``'s mode."""
    Image = pil()
    if arr.shape[-1] == 1:
        arr = arr[..., 0]
    return Image.fromarray(np.ascontiguousarray(arr).astype(np.array(like).dtype), mode=like.mode)


def channels_with_pil(arr, fn):
    """Apply ``fn`` (PIL image -> PIL image) to every ``(H, W)`` plane of a ``(..., H, W)``
    array, as float32 ('F' mode) images; integer results are rounded back."""
    Image = pil()
    planes = arr.reshape(-1, *arr.shape[-2:]).astype(np.float32)
    out = np.stack([np.asarray(fn(Image.fromarray(p, mode="F"))) for p in planes])
    out = out.reshape(*arr.shape[:-2], *out.shape[-2:])
    if np.issubdtype(arr.dtype, np.integer):
        info = np.iinfo(arr.dtype)
        out = np.clip(np.round(out), info.min, info.max)
    return out.astype(arr.dtype)


def image_array(img):
    """Any image as a channels-last array ``(..., H, W, C)``."""
    if is_pil(img):
        return pil_to_array(img)
    arr = tensor_array(img)
    return arr[..., None] if arr.ndim == 2 else np.moveaxis(arr, -3, -1)


def from_image_array(arr, like):
    """A channels-last array back into an image of the kind (and layout) of ``like``."""
    if is_pil(like):
        return array_to_pil(arr, like)
    return as_tensor_like(arr[..., 0] if like.dim() == 2 else np.moveaxis(arr, -1, -3), like)
