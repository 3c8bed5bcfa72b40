"""``autodiff.backends``: the switches torch code sets for its native backends.

autodiff computes with NumPy (CPU) and CuPy (GPU): there is no cuDNN or MPS behind it, so
``cudnn.is_available()`` and ``mps.is_available()`` are False and the cuDNN flags, which
course code sets (``torch.backends.cudnn.benchmark = True``), are kept but change nothing.
"""
from __future__ import annotations

import types

__all__ = ["cudnn", "cuda", "mps"]


def _cudnn_version():
    return None


cudnn = types.SimpleNamespace(
    enabled=True, benchmark=False, deterministic=False, allow_tf32=True,
    is_available=lambda: False, version=_cudnn_version,
    __doc__="cuDNN's switches: kept for torch code, without effect (there is no cuDNN here).")


def _cuda_is_built():
    """True when CuPy, autodiff's GPU backend, can be imported."""
    import importlib.util
    return importlib.util.find_spec("cupy") is not None


cuda = types.SimpleNamespace(
    is_built=_cuda_is_built, matmul=types.SimpleNamespace(allow_tf32=False),
    __doc__="CUDA's switches; ``is_built()`` says whether CuPy is installed.")

mps = types.SimpleNamespace(
    is_available=lambda: False, is_built=lambda: False,
    __doc__="Apple's Metal backend: not available to autodiff.")
