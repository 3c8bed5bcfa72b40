"""Image functions behind the transforms (``torchvision.transforms.functional``'s names).

Each works on a PIL image (through Pillow, as torchvision does) and on a tensor image
``(..., C, H, W)`` (through NumPy); the result is of the same kind.
"""
from __future__ import annotations

import numbers

import numpy as np

from ... import _dtype as D
from ..._creation import as_tensor, from_numpy
from ...tensor import Tensor
from ._image import (InterpolationMode, as_tensor_like, channels_with_pil, check_image,
                     from_image_array, get_dimensions, get_image_size, image_array, is_pil, pil,
                     pil_filter, pil_to_array, tensor_array)
from ._color import (adjust_brightness, adjust_contrast, adjust_hue, adjust_saturation,
                     convert_image_dtype, rgb_to_grayscale, to_grayscale)

__all__ = ["InterpolationMode", "get_dimensions", "get_image_size", "to_tensor", "pil_to_tensor",
           "to_pil_image", "normalize", "resize", "crop", "center_crop", "resized_crop", "pad",
           "hflip", "vflip", "rotate", "adjust_brightness", "adjust_contrast",
           "adjust_saturation", "adjust_hue", "rgb_to_grayscale", "to_grayscale",
           "convert_image_dtype"]


# ---- conversions -------------------------------------------------------------------------------
def to_tensor(pic):
    """PIL image or ``(H, W, C)`` array -> ``(C, H, W)`` tensor; uint8 becomes float in [0, 1]."""
    if not (is_pil(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        arr = pil_to_array(pic)
        if pic.mode == "1":
            arr = arr.astype(np.uint8) * 255
    arr = np.ascontiguousarray(arr.transpose(2, 0, 1))
    if arr.dtype == np.uint8:
        float_np = D.get_default_dtype().np.type
        arr = arr.astype(float_np) / float_np(255)
    return from_numpy(arr)


def pil_to_tensor(pic):
    """PIL image -> ``(C, H, W)`` tensor of the same dtype, values unchanged."""
    if not is_pil(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    return from_numpy(np.ascontiguousarray(pil_to_array(pic).transpose(2, 0, 1)))


_MODE_OF_DTYPE = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16", np.dtype(np.int32): "I",
                  np.dtype(np.float32): "F"}
_MODE_OF_CHANNELS = {2: "LA", 3: "RGB", 4: "RGBA"}


def to_pil_image(pic, mode=None):
    """``(C, H, W)`` tensor or ``(H, W, C)`` array -> PIL image; floats are taken as [0, 1]."""
    if isinstance(pic, Tensor):
        if pic.dim() not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.dim()} dimensions.")
        arr = tensor_array(pic)
        arr = arr[None] if arr.ndim == 2 else arr
        if arr.shape[0] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {arr.shape[0]} channels.")
        if np.issubdtype(arr.dtype, np.floating) and mode != "F":
            arr = (arr * arr.dtype.type(255)).astype(np.uint8)      # truncates, as torch's byte()
        arr = arr.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
        if arr.shape[-1] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {arr.shape[-1]} channels.")
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if arr.shape[2] == 1:
        arr = arr[:, :, 0]
        expected = _MODE_OF_DTYPE.get(arr.dtype)
        if mode is not None and mode != expected:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {arr.dtype}. "
                             f"Should be {expected}")
        mode = expected
    elif mode is None and arr.dtype == np.uint8:
        mode = _MODE_OF_CHANNELS[arr.shape[2]]
    if mode is None:
        raise TypeError(f"Input type {arr.dtype} is not supported")
    return pil().fromarray(np.ascontiguousarray(arr), mode=mode)


def normalize(tensor, mean, std, inplace=False):
    """``(tensor - mean) / std`` per channel of a float tensor image ``(..., C, H, W)``."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.dim() < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}.")
    mean = as_tensor(mean, dtype=tensor.dtype, device=tensor.device)
    std = as_tensor(std, dtype=tensor.dtype, device=tensor.device)
    if (tensor_array(std) == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to "
                         "division by zero.")
    mean = mean.view(-1, 1, 1) if mean.dim() == 1 else mean
    std = std.view(-1, 1, 1) if std.dim() == 1 else std
    if inplace:
        return tensor.sub_(mean).div_(std)
    return (tensor - mean) / std


# ---- geometry ----------------------------------------------------------------------------------
def _resized_size(height, width, size, max_size):
    """torchvision's rule: one number sets the shorter side (aspect ratio kept)."""
    if len(size) == 2:
        return [size[0], size[1]]
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = size[0], int(size[0] * long / short)
    if max_size is not None:
        if max_size <= new_short:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the requested "
                             f"size for the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return [new_long, new_short] if width <= height else [new_short, new_long]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size`` = ``(h, w)``, or make the shorter side ``size`` if it is one number.
    Tensors are resampled by Pillow's (antialiased) filters, channel by channel."""
    check_image(img)
    if isinstance(size, (list, tuple)) and len(size) not in (1, 2):
        raise ValueError("Size must be an int or a 1 or 2 element tuple/list, not a "
                         f"{len(size)} element tuple/list")
    size = [size] if isinstance(size, int) else list(size)
    _, height, width = get_dimensions(img)
    out_h, out_w = _resized_size(height, width, size, max_size)
    if [out_h, out_w] == [height, width]:
        return img
    mode = InterpolationMode(interpolation)
    if is_pil(img):
        return img.resize((out_w, out_h), pil_filter(mode))
    arr = tensor_array(img)
    if mode in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT):
        offset = 0.5 if mode is InterpolationMode.NEAREST_EXACT else 0.0
        rows = np.minimum(((np.arange(out_h) + offset) * height / out_h).astype(int), height - 1)
        cols = np.minimum(((np.arange(out_w) + offset) * width / out_w).astype(int), width - 1)
        return as_tensor_like(arr[..., rows[:, None], cols], img)
    resample = pil_filter(mode)
    return as_tensor_like(channels_with_pil(arr, lambda p: p.resize((out_w, out_h), resample)),
                          img)


def crop(img, top, left, height, width):
    """The ``height x width`` window at ``(top, left)``; outside the image counts as 0."""
    check_image(img)
    if is_pil(img):
        return img.crop((left, top, left + width, top + height))
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        img = pad(img, [max(-left, 0), max(-top, 0), max(right - w, 0), max(bottom - h, 0)])
        top, left = max(top, 0), max(left, 0)
    return img[..., top:top + height, left:left + width]


def center_crop(img, output_size):
    """The central ``output_size`` window (zero-padded first if the image is smaller)."""
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, height, width = get_dimensions(img)
    crop_h, crop_w = output_size
    if crop_w > width or crop_h > height:
        img = pad(img, [max(crop_w - width, 0) // 2, max(crop_h - height, 0) // 2,
                        max(crop_w - width + 1, 0) // 2, max(crop_h - height + 1, 0) // 2])
        _, height, width = get_dimensions(img)
        if (crop_h, crop_w) == (height, width):
            return img
    top = int(round((height - crop_h) / 2.0))
    left = int(round((width - crop_w) / 2.0))
    return crop(img, top, left, crop_h, crop_w)


def resized_crop(img, top, left, height, width, size,
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
    """Crop ``img`` to the given box, then resize it to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def _padding_ltrb(padding):
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    padding = list(padding)
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return padding * 2
    if len(padding) == 4:
        return padding
    raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                     f"{len(padding)} element tuple")


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad the borders: ``padding`` is one number, ``(left/right, top/bottom)`` or
    ``(left, top, right, bottom)``; modes 'constant' (with ``fill``), 'edge', 'reflect',
    'symmetric'."""
    check_image(img)
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _padding_ltrb(padding)
    arr = image_array(img)
    widths = [(0, 0)] * (arr.ndim - 3) + [(top, bottom), (left, right), (0, 0)]
    if padding_mode == "constant":
        out = np.empty([n + a + b for n, (a, b) in zip(arr.shape, widths)], arr.dtype)
        out[...] = np.asarray(0 if fill is None else fill, dtype=arr.dtype)
        out[..., top:top + arr.shape[-3], left:left + arr.shape[-2], :] = arr
    else:
        out = np.pad(arr, widths, mode=padding_mode)
    return from_image_array(out, img)


def hflip(img):
    """Mirror left to right."""
    check_image(img)
    if is_pil(img):
        return img.transpose(pil().Transpose.FLIP_LEFT_RIGHT)
    return as_tensor_like(tensor_array(img)[..., ::-1], img)


def vflip(img):
    """Mirror top to bottom."""
    check_image(img)
    if is_pil(img):
        return img.transpose(pil().Transpose.FLIP_TOP_BOTTOM)
    return as_tensor_like(tensor_array(img)[..., ::-1, :], img)


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None,
           fill=None):
    """Rotate by ``angle`` degrees counter-clockwise about ``center`` (default: the middle);
    ``expand=True`` enlarges the output to hold the whole rotated image."""
    check_image(img)
    resample = pil_filter(interpolation)
    if is_pil(img):
        bands = len(img.getbands())
        if isinstance(fill, numbers.Number) and bands > 1:
            fill = tuple([fill] * bands)
        elif isinstance(fill, (list, tuple)):
            fill = tuple(fill) if len(fill) > 1 else fill[0]
        return img.rotate(angle, resample, expand, center, fillcolor=fill)
    arr = image_array(img)
    fills = np.broadcast_to(np.asarray(0 if fill is None else fill, np.float32), arr.shape[-1:])
    out = [channels_with_pil(arr[..., c], lambda p, f=float(f): p.rotate(
        angle, resample, expand, center, fillcolor=f)) for c, f in enumerate(fills)]
    return from_image_array(np.stack(out, axis=-1), img)
