"""The one place that decides between NumPy (CPU) and CuPy (CUDA).

Every op gets its array module from the arrays it works on (:func:`xp_of`) or from a device
(:func:`array_module`), so no op hard-codes ``numpy`` and the GPU path needs no op rewritten.
CUDA counts as *available* only when CuPy imports **and** a device answers.
"""
from __future__ import annotations

import functools

import numpy as np

__all__ = ["device", "array_module", "xp_of", "to_numpy", "cuda_available", "device_of",
           "cupy_or_none", "scatter_add"]


class device:
    """A device, as ``torch.device``: ``device('cpu')``, ``device('cuda:0')``, ``device('cuda', 1)``."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        elif not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type!r})")
        if ":" in type:
            type, _, idx = type.partition(":")
            if index is not None:
                raise RuntimeError("type (string) must not include an index because index was passed explicitly")
            try:
                index = int(idx)
            except ValueError:
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'") from None
        if type not in ("cpu", "cuda"):
            raise RuntimeError(
                "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, "
                "maia, xla, lazy, vulkan, mps, meta, hpu, mtia, privateuseone device type at "
                "start of device string: " + type)
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type = type
        self.index = index

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))


CPU = device("cpu")


@functools.lru_cache(maxsize=None)
def cupy_or_none():
    """The cupy module if it imports and sees at least one CUDA device, else None."""
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() > 0:
            return cupy
    except Exception:  # ImportError, CUDARuntimeError (no driver), ...
        pass
    return None


def cuda_available() -> bool:
    """True when CuPy imports and a working CUDA device answers."""
    return cupy_or_none() is not None


def _require_cuda(dev: device):
    cp = cupy_or_none()
    if cp is None:
        raise RuntimeError(
            f"Cannot use device '{dev}': CUDA is not available (CuPy is not installed or no "
            "CUDA device answers). Install autodiff[cuda12] or autodiff[cuda13] on a machine "
            "with an NVIDIA GPU, or use device='cpu'.")
    n = cp.cuda.runtime.getDeviceCount()
    if (dev.index or 0) >= n:
        raise RuntimeError(f"CUDA error: invalid device ordinal (asked for {dev}, "
                           f"{n} device(s) present)")
    return cp


def array_module(dev):
    """numpy for the CPU, cupy for a CUDA device (RuntimeError when CUDA is not usable)."""
    if dev is None or dev is CPU:
        return np
    dev = dev if isinstance(dev, device) else device(dev)
    if dev.type == "cpu":
        return np
    return _require_cuda(dev)


def xp_of(arr):
    """The array module an array belongs to."""
    if type(arr) is np.ndarray or isinstance(arr, (np.ndarray, np.generic)):
        return np
    cp = cupy_or_none()
    return cp if cp is not None else np


def device_of(arr) -> device:
    """The device a raw NumPy or CuPy array lives on."""
    if isinstance(arr, np.ndarray):
        return CPU
    return device("cuda", arr.device.id)


def to_numpy(arr) -> np.ndarray:
    """A numpy view (CPU) or copy (GPU) of an array."""
    if isinstance(arr, np.ndarray):
        return arr
    return arr.get()


def to_device(arr, dev: device):
    """The array on ``dev`` (the same object when it is already there)."""
    if dev.type == "cpu":
        return to_numpy(arr)
    cp = _require_cuda(dev)
    index = dev.index or 0
    if not isinstance(arr, (np.ndarray, np.generic)) and arr.device.id == index:
        return arr
    with cp.cuda.Device(index):
        if isinstance(arr, (np.ndarray, np.generic)):
            return cp.asarray(arr)
        return arr.copy()       # from another GPU (cupy.asarray would return it unmoved)


def scatter_add(target, index, values):
    """``target[index] += values`` with repeated indices accumulated (np.add.at / cupyx).

    CuPy's atomic add knows only some dtypes: int64 adds as uint64 (the same bits in two's
    complement), the small integer types and bool through an int32 copy.
    """
    xp = xp_of(target)
    if xp is np:
        np.add.at(target, index, values)
        return target
    import cupyx
    dtype = target.dtype
    if dtype.name in ("int32", "uint32", "uint64", "float16", "float32", "float64"):
        cupyx.scatter_add(target, index, values)
    elif dtype == np.int64:
        cupyx.scatter_add(target.view(np.uint64), index,
                          xp.asarray(values, dtype=np.int64).view(np.uint64))
    else:
        work = target.astype(np.int32)
        cupyx.scatter_add(work, index, xp.asarray(values).astype(np.int32))
        target[...] = work.astype(dtype)
    return target
