"""Colour adjustments (brightness, contrast, saturation, hue, grayscale) and dtype conversion.

PIL images go through Pillow's ``ImageEnhance``, as in torchvision; tensor images use
torchvision's tensor formulas, written in NumPy.
"""
from __future__ import annotations

import numpy as np

from ... import _dtype as D
from ...tensor import Tensor
from ._image import as_tensor_like, check_image, is_pil, pil, tensor_array

_GRAY_WEIGHTS = (0.2989, 0.587, 0.114)


def _work_array(img):
    """The tensor's array, in float32 if it holds integers (torch computes those in float)."""
    arr = tensor_array(img)
    return arr, (arr if np.issubdtype(arr.dtype, np.floating) else arr.astype(np.float32))


def _blend(arr, other, ratio):
    """``ratio * arr + (1 - ratio) * other``, clipped to the image's value range."""
    bound = 1.0 if np.issubdtype(arr.dtype, np.floating) else 255.0
    work = arr if np.issubdtype(arr.dtype, np.floating) else arr.astype(np.float32)
    return np.clip(ratio * work + (1.0 - ratio) * other, 0, bound).astype(arr.dtype)


def _gray(work):
    """Luma of the RGB planes ``(..., 3, H, W)`` -> ``(..., 1, H, W)``."""
    r, g, b = (work[..., i, :, :] for i in range(3))
    return (_GRAY_WEIGHTS[0] * r + _GRAY_WEIGHTS[1] * g + _GRAY_WEIGHTS[2] * b)[..., None, :, :]


def _channels(img):
    return 1 if img.dim() == 2 else img.shape[-3]


def _check_channels(img, permitted):
    if _channels(img) not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but "
                        f"found {_channels(img)}")


def _check_factor(name, value):
    if value < 0:
        raise ValueError(f"{name} ({value}) is not non-negative.")


def _enhance(img, kind, factor):
    from PIL import ImageEnhance
    return getattr(ImageEnhance, kind)(img).enhance(factor)


def adjust_brightness(img, brightness_factor):
    """Multiply the pixel values by ``brightness_factor`` (0 gives black, 1 the original)."""
    check_image(img)
    _check_factor("brightness_factor", brightness_factor)
    if is_pil(img):
        return _enhance(img, "Brightness", brightness_factor)
    _check_channels(img, [1, 3])
    arr = tensor_array(img)
    return as_tensor_like(_blend(arr, 0.0, brightness_factor), img)


def adjust_contrast(img, contrast_factor):
    """Blend with the image's mean gray level (0 gives a flat gray image, 1 the original)."""
    check_image(img)
    _check_factor("contrast_factor", contrast_factor)
    if is_pil(img):
        return _enhance(img, "Contrast", contrast_factor)
    _check_channels(img, [1, 3])
    arr, work = _work_array(img)
    gray = _gray(work) if _channels(img) == 3 else work
    if not np.issubdtype(arr.dtype, np.floating):
        gray = gray.astype(arr.dtype).astype(np.float32)     # torch rounds the gray to uint8
    mean = gray.mean(axis=(-3, -2, -1), keepdims=True)
    return as_tensor_like(_blend(arr, mean, contrast_factor), img)


def adjust_saturation(img, saturation_factor):
    """Blend with the grayscale image (0 gives gray, 1 the original, 2 doubles saturation)."""
    check_image(img)
    _check_factor("saturation_factor", saturation_factor)
    if is_pil(img):
        return _enhance(img, "Color", saturation_factor)
    _check_channels(img, [1, 3])
    if _channels(img) == 1:
        return img
    arr, work = _work_array(img)
    gray = _gray(work).astype(arr.dtype)
    return as_tensor_like(_blend(arr, gray, saturation_factor), img)


def _rgb_to_hsv(rgb):
    r, g, b = (rgb[..., i, :, :] for i in range(3))
    maxc, minc = rgb.max(axis=-3), rgb.min(axis=-3)
    span = maxc - minc
    same = maxc == minc
    s = span / np.where(same, 1.0, maxc)
    span = np.where(same, 1.0, span)
    rc, gc, bc = (maxc - r) / span, (maxc - g) / span, (maxc - b) / span
    h = np.where(maxc == r, bc - gc, np.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = np.fmod(h / 6.0 + 1.0, 1.0)
    return h, s, maxc


def _hsv_to_rgb(h, s, v):
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int32) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    return np.stack([np.choose(i, [c[k] for c in choices]) for k in range(3)], axis=-3)


def adjust_hue(img, hue_factor):
    """Rotate the hue by ``hue_factor`` turns of the colour wheel (in [-0.5, 0.5])."""
    check_image(img)
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if is_pil(img):
        if img.mode in ("L", "1", "I", "F"):
            return img
        Image = pil()
        h, s, v = img.convert("HSV").split()
        shifted = np.array(h, dtype=np.uint8)
        with np.errstate(over="ignore"):
            shifted += np.int8(hue_factor * 255).astype(np.uint8)
        h = Image.fromarray(shifted, mode="L")
        return Image.merge("HSV", (h, s, v)).convert(img.mode)
    _check_channels(img, [1, 3])
    if _channels(img) == 1:
        return img
    is_float = img.is_floating_point()
    work = img if is_float else convert_image_dtype(img, D.float32)
    h, s, v = _rgb_to_hsv(tensor_array(work))
    rgb = as_tensor_like(_hsv_to_rgb((h + hue_factor) % 1.0, s, v)
                         .astype(tensor_array(work).dtype), img)
    return rgb if is_float else convert_image_dtype(rgb, img.dtype)


def rgb_to_grayscale(img, num_output_channels=1):
    """Luma ``0.2989 R + 0.587 G + 0.114 B``, repeated to ``num_output_channels`` (1 or 3)."""
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    check_image(img)
    if is_pil(img):
        gray = img.convert("L")
        return gray if num_output_channels == 1 else pil().merge("RGB", (gray, gray, gray))
    _check_channels(img, [1, 3])
    arr, work = _work_array(img)
    gray = (_gray(work) if _channels(img) == 3 else work).astype(arr.dtype)
    if num_output_channels == 3:
        gray = np.repeat(gray, 3, axis=-3)
    return as_tensor_like(gray, img)


to_grayscale = rgb_to_grayscale


def _max_value(np_dtype):
    return 1.0 if np_dtype == np.bool_ else float(np.iinfo(np_dtype).max)


def convert_image_dtype(image, dtype=D.float32):
    """Change the dtype and rescale: floats live in [0, 1], integers in [0, max of the type]."""
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    if image.dtype == dtype:
        return image
    arr, out_np = tensor_array(image), D.to_dtype(dtype).np.type
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype, dtype) in ((D.float32, D.int32), (D.float32, D.int64),
                                    (D.float64, D.int64)):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed "
                               "safely.")
        scaled = arr * arr.dtype.type(_max_value(out_np) + 1.0 - 1e-3)
        return as_tensor_like(scaled.astype(out_np), image)
    in_max = _max_value(arr.dtype)
    if dtype.is_floating_point:
        return as_tensor_like(arr.astype(out_np) / out_np(in_max), image)
    out_max = _max_value(out_np)
    if in_max > out_max:
        return as_tensor_like((arr // int((in_max + 1) // (out_max + 1))).astype(out_np), image)
    return as_tensor_like(arr.astype(out_np) * int((out_max + 1) // (in_max + 1)), image)
