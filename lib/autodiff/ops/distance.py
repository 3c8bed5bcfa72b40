"""Norms and distances between vectors: ``normalize``, ``cosine_similarity``,
``pairwise_distance`` (compositions of differentiable ops, as in torch), and ``cdist`` (one
node, see ``norms.py``)."""
from __future__ import annotations

__all__ = ["cosine_similarity", "pairwise_distance", "cdist"]


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p, eps)`` along ``dim``: unit vectors."""
    denom = input.norm(p, dim, keepdim=True).clamp(min=eps).expand_as(input)
    result = input / denom
    if out is not None:
        from .inplace import copy_into_out
        return copy_into_out(out, result)
    return result


def cosine_similarity(x1, x2, dim=1, eps=1e-8, *, axis=None):
    """``x1 . x2 / (||x1|| ||x2||)`` along ``dim`` (each norm at least ``eps``)."""
    dim = dim if axis is None else axis
    from .joining import broadcast_tensors
    x1, x2 = broadcast_tensors(x1, x2)
    if not x1.is_floating_point():
        x1, x2 = x1.float(), x2.float()
    n1 = x1.norm(2, dim, keepdim=True).clamp(min=eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` along the last dimension."""
    from ._reduce import reduce_dims
    from .norms import NormDim
    last = max(x1.dim(), x2.dim()) - 1
    diff = x1 - x2 + eps
    return NormDim.apply(diff, float(p), reduce_dims(last, diff.ndim), keepdim)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between each pair of rows of ``x1`` (.., P, M) and ``x2`` (.., R, M)."""
    from .norms import cdist
    return cdist(x1, x2, p, compute_mode)


__methods__ = []
__inplace__ = []
