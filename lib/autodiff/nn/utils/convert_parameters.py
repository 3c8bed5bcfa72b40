"""Flatten parameters into one vector and back (for methods that work on a single vector)."""
from __future__ import annotations

from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_device(param, device):
    if device is None:
        return param.device
    if param.device != device:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        "supported.")
    return device


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-D tensor (differentiable)."""
    from ...ops.joining import cat
    device, parts = None, []
    for p in parameters:
        device = _check_device(p, device)
        parts.append(p.view(-1))
    return cat(parts)


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of ``vec`` into the parameters (which then share its storage)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    device, pointer = None, 0
    for p in parameters:
        device = _check_device(p, device)
        n = p.numel()
        p.data = vec[pointer:pointer + n].view_as(p).data
        pointer += n
