"""The affine map of ``nn.Linear`` (``F.linear``).

``linear`` is one matrix product ``x @ W.T + b``; for a batch of matrices (2-D input) it is a
single ``addmm``, as in torch (so the graph shows ``AddmmBackward0``); inputs with more
dimensions are flattened to 2-D around the product.
"""
from __future__ import annotations

from . import linalg
from ._linalg_util import C_NAMES, TYPE_NAMES

__all__ = []


def _check_linear(input, weight, bias=None):
    """torch's RuntimeErrors for an input whose last dim or dtype does not fit ``weight``."""
    in_features = weight.shape[-1] if weight.dim() else 1
    got = input.shape[-1] if input.dim() else 1
    if weight.dim() == 1:
        if got != weight.shape[0]:
            raise RuntimeError(f"size mismatch, got input ({input.shape[0] if input.dim() else 1}"
                               f"), mat ({input.shape[0]}x{got}), vec ({weight.shape[0]})")
        return
    if got != in_features:
        rows = input.numel() // got if got else 0
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{got} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    if input.dtype != weight.dtype:
        if bias is not None:             # torch's addmm words it this way
            raise RuntimeError("mat1 and mat2 must have the same dtype, but got "
                               f"{TYPE_NAMES[input.dtype.name]} and "
                               f"{TYPE_NAMES[weight.dtype.name]}")
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{C_NAMES[input.dtype.name]} != {C_NAMES[weight.dtype.name]}")


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``: input ``(*, in_features)``, weight ``(out, in)``."""
    _check_linear(input, weight, bias)
    wt = weight.t()
    if input.dim() == 2 and weight.dim() == 2:
        return linalg.mm(input, wt) if bias is None else linalg.addmm(bias, input, wt)
    if bias is None or weight.dim() != 2 or input.dim() == 0:
        out = linalg.matmul(input, wt)
        return out if bias is None else out + bias
    out_shape = tuple(input.shape[:-1]) + (weight.shape[0],)
    return linalg.addmm(bias, input.reshape(-1, input.shape[-1]), wt).view(out_shape)

__methods__ = []
__inplace__ = []
