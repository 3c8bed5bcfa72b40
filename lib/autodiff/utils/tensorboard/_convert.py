"""From what the user logs to what TensorBoard stores: NumPy arrays, RGB images, PNG bytes."""
from __future__ import annotations

import io

import numpy as np

from ...tensor import Tensor

__all__ = ["to_numpy", "to_scalar", "image_hwc", "images_hwc", "png", "figure_to_image"]


def to_numpy(value) -> np.ndarray:
    """A NumPy array from a tensor on any device, a CuPy or NumPy array, a list or a number."""
    if isinstance(value, Tensor):
        return value.detach().cpu().numpy()
    if type(value).__module__.split(".")[0] == "cupy":
        return value.get()
    return np.asarray(value)


def to_scalar(value) -> float:
    """A Python float from a number or a one-element tensor/array."""
    array = to_numpy(value)
    if array.size != 1:
        raise AssertionError("Tensor should contain one element (0 dimensions). Was given size: "
                             f"{array.size} and {array.ndim} dimensions.")
    return float(array.reshape(()))


def _check_format(array, dataformats, allowed):
    """``dataformats`` upper-cased, if it is a permutation of one of the ``allowed`` strings."""
    fmt = dataformats.upper()
    if len(set(fmt)) != len(fmt):
        raise AssertionError("You can not use the same dimension shorthand twice. "
                             f"input_format: {dataformats}")
    if not any(sorted(fmt) == sorted(a) for a in allowed):
        raise AssertionError(f"dataformats should be a permutation of one of {allowed}, "
                             f"got {dataformats!r}")
    if array.ndim != len(fmt):
        raise AssertionError("size of input tensor and input format are different. tensor "
                             f"shape: {array.shape}, input_format: {dataformats}")
    return fmt


def _to_uint8(array):
    """uint8 pixels are kept; anything else is read as floats in [0, 1] and scaled to 0..255."""
    if array.dtype == np.uint8:
        return array
    return (array.astype(np.float32) * 255).clip(0, 255).astype(np.uint8)


def _rgb(hwc):
    """Grey images (one channel) become RGB, as torch's writer does."""
    return np.repeat(hwc, 3, axis=2) if hwc.shape[2] == 1 else hwc


def image_hwc(img, dataformats="CHW") -> np.ndarray:
    """One image (``CHW``, ``HWC`` or ``HW``; float in [0, 1] or uint8) as HWC uint8."""
    array = to_numpy(img)
    fmt = _check_format(array, dataformats, ("HW", "CHW"))
    if len(fmt) == 2:
        array = array.transpose([fmt.index(c) for c in "HW"])[:, :, None]
    else:
        array = array.transpose([fmt.index(c) for c in "HWC"])
    return _rgb(_to_uint8(array))


def images_hwc(imgs, dataformats="NCHW", ncols=8) -> np.ndarray:
    """A batch of images (``NCHW``, ``NHWC``, ...) tiled into one HWC uint8 image, eight a row."""
    array = to_numpy(imgs)
    fmt = _check_format(array, dataformats, ("NHW", "NCHW"))
    if len(fmt) == 3:                      # NHW: grey images
        array = array.transpose([fmt.index(c) for c in "NHW"])[..., None]
    else:
        array = array.transpose([fmt.index(c) for c in "NHWC"])
    array = _to_uint8(array)
    n, h, w, c = array.shape
    ncols = max(min(n, ncols), 1)
    nrows = -(-n // ncols)
    canvas = np.zeros((nrows * h, ncols * w, c), dtype=np.uint8)
    for i in range(n):
        r, k = divmod(i, ncols)
        canvas[r * h:(r + 1) * h, k * w:(k + 1) * w] = array[i]
    return _rgb(canvas)


def png(hwc: np.ndarray) -> bytes:
    """PNG bytes of an HWC uint8 image (Pillow does the encoding)."""
    from PIL import Image
    buffer = io.BytesIO()
    Image.fromarray(hwc[:, :, 0] if hwc.shape[2] == 1 else hwc).save(buffer, format="PNG")
    return buffer.getvalue()


def figure_to_image(figures, close=True) -> np.ndarray:
    """Render a matplotlib figure (CHW uint8) or a list of figures (NCHW)."""
    if isinstance(figures, (list, tuple)):
        return np.stack([figure_to_image(f, close) for f in figures])
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(figures)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    if close:
        import matplotlib.pyplot as plt
        plt.close(figures)
    return rgba[:, :, :3].transpose(2, 0, 1).copy()
