"""``autodiff.cuda``: the GPU, through CuPy. Every function works (and answers honestly) on a
machine without one: ``is_available()`` is False there and the others raise a clear error."""
from __future__ import annotations

from . import backend
from .backend import device as _device

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize",
           "manual_seed", "manual_seed_all", "memory_allocated", "max_memory_allocated",
           "memory_reserved", "empty_cache", "get_device_name", "device", "is_bf16_supported"]


def is_available() -> bool:
    """True when CuPy imports *and* at least one CUDA device answers."""
    return backend.cuda_available()


def _cupy():
    cp = backend.cupy_or_none()
    if cp is None:
        raise RuntimeError("Found no NVIDIA driver on your system, or CuPy is not installed. "
                           "autodiff.cuda needs a CUDA device and `pip install autodiff[cuda13]` "
                           "(or [cuda12]).")
    return cp


def device_count() -> int:
    """The number of CUDA devices CuPy sees (0 without CuPy)."""
    cp = backend.cupy_or_none()
    return 0 if cp is None else cp.cuda.runtime.getDeviceCount()


def current_device() -> int:
    """The index of the selected CUDA device."""
    return _cupy().cuda.runtime.getDevice()


def set_device(device) -> None:
    """Select the CUDA device that new GPU arrays go to."""
    idx = device if isinstance(device, int) else (_device(device).index or 0)
    _cupy().cuda.runtime.setDevice(idx)


class device:
    """Context manager that makes ``idx`` the current CUDA device."""

    def __init__(self, idx):
        self.idx = idx if isinstance(idx, int) else (_device(idx).index or 0)

    def __enter__(self):
        self._prev = current_device()
        set_device(self.idx)

    def __exit__(self, *exc):
        set_device(self._prev)


def synchronize(device=None) -> None:
    """Wait until all queued GPU work is done (needed for honest timings)."""
    _cupy().cuda.runtime.deviceSynchronize()


def manual_seed(seed) -> None:
    """Seed the random generators of the CUDA devices."""
    from . import _random
    _random._cuda_seed = seed
    _random._cuda_generators.clear()


manual_seed_all = manual_seed


def memory_allocated(device=None) -> int:
    """Bytes held by tensors on the GPU (CuPy's memory pool, used blocks)."""
    return _cupy().get_default_memory_pool().used_bytes()


max_memory_allocated = memory_allocated


def memory_reserved(device=None) -> int:
    """Bytes held by CuPy's memory pool (allocated or cached)."""
    return _cupy().get_default_memory_pool().total_bytes()


def empty_cache() -> None:
    """Give cached, unused GPU memory back to the driver."""
    cp = backend.cupy_or_none()
    if cp is not None:
        cp.get_default_memory_pool().free_all_blocks()
        cp.get_default_pinned_memory_pool().free_all_blocks()


def get_device_name(device=None) -> str:
    """The name of a CUDA device (the first by default)."""
    cp = _cupy()
    idx = 0 if device is None else (device if isinstance(device, int) else (_device(device).index or 0))
    name = cp.cuda.runtime.getDeviceProperties(idx)["name"]
    return name.decode() if isinstance(name, bytes) else name


def is_bf16_supported() -> bool:
    """Always False: autodiff has no bfloat16."""
    return False
