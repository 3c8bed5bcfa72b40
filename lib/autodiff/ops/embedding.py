"""Embedding lookup and one-hot encoding of class indices.

``embedding(indices, weight)`` picks rows of ``weight``; its gradient adds each incoming row
gradient into the row it came from (rows used twice get both), except for ``padding_idx``.
"""
from __future__ import annotations

from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._util import xp_of

__all__ = []          # torch.embedding(weight, input) differs: nn.functional only


def _rows_grad(grad, indices, num_rows, padding_idx, scale_by_freq):
    """The (num_rows, dim) gradient of the weight: row gradients summed per index."""
    g = grad._data.reshape(-1, grad._data.shape[-1])
    idx = indices.reshape(-1)
    xp = xp_of(g)
    scale = 1.0
    if scale_by_freq:
        counts = xp.bincount(idx, minlength=num_rows)
        scale = (1.0 / counts[idx])[:, None].astype(g.dtype)
    out = xp.zeros((num_rows, g.shape[1]), dtype=g.dtype)
    if xp.__name__ == "numpy":
        xp.add.at(out, idx, g * scale)
    else:
        import cupyx
        cupyx.scatter_add(out, idx, g * scale)
    if padding_idx >= 0:
        out[padding_idx] = 0
    return out


class Embedding(Function):
    grad_name = "EmbeddingBackward0"
    _operands = (1,)            # the indices are not differentiable

    @staticmethod
    def forward(ctx, indices, weight, padding_idx, scale_by_freq):
        ctx.indices, ctx.num_rows = indices._data, weight._data.shape[0]
        ctx.padding_idx, ctx.scale_by_freq = padding_idx, scale_by_freq
        return weight._data[indices._data]

    @staticmethod
    def backward(ctx, grad):
        gw = EmbeddingDenseBackward.apply(grad, ctx.indices, ctx.num_rows, ctx.padding_idx,
                                          ctx.scale_by_freq)
        return None, gw, None, None


class EmbeddingDenseBackward(Function):
    """The weight gradient as a differentiable op (its own gradient is a lookup again)."""
    grad_name = "EmbeddingDenseBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, indices, num_rows, padding_idx, scale_by_freq):
        ctx.indices, ctx.padding_idx = indices, padding_idx
        ctx.grad_shape, ctx.scale_by_freq = grad._data.shape, scale_by_freq
        return _rows_grad(grad, indices, num_rows, padding_idx, scale_by_freq)

    @staticmethod
    def backward(ctx, gg):
        xp = xp_of(gg._data)
        keep = Tensor._make(xp.ones(gg._data.shape[0], dtype=gg._data.dtype))
        if ctx.padding_idx >= 0:
            keep._data[ctx.padding_idx] = 0
        if ctx.scale_by_freq:
            counts = xp.bincount(ctx.indices.reshape(-1), minlength=gg._data.shape[0])
            keep._data /= xp.maximum(counts, 1)
        rows = Embedding.apply(Tensor._make(ctx.indices), gg * keep.unsqueeze(1), -1, False)
        return rows.reshape(ctx.grad_shape), None, None, None, None


def _renorm_(weight, indices, max_norm, norm_type):
    """Rescale, in place, the rows used by ``indices`` whose norm exceeds ``max_norm``."""
    xp = xp_of(weight._data)
    rows = xp.unique(indices._data.reshape(-1))
    with no_grad():
        w = weight._data[rows]
        norms = (xp.abs(w) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
        scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
        weight._data[rows] = w * scale[:, None]
        weight._vc[0] += 1


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """The rows of ``weight`` picked by the integer tensor ``input``: shape ``(*input, dim)``.

    ``sparse=True`` is accepted but gives a dense gradient (autodiff has no sparse tensors).
    """
    if input._data.dtype.kind not in "iu" or input._data.dtype.itemsize < 4:
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {input.type()} instead "
                           "(while checking arguments for embedding)")
    if input.device != weight.device:       # numpy indices would look up a CuPy weight
        raise RuntimeError("Expected all tensors to be on the same device, but found at least two "
                           f"devices, {weight.device} and {input.device}!")
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % n
    else:
        padding_idx = -1
    idx = input._data
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_(weight, input, max_norm, norm_type)
    return Embedding.apply(input, weight, padding_idx, scale_grad_by_freq)


def one_hot(tensor, num_classes=-1):
    """``(*, num_classes)`` int64 tensor with a 1 at each index of the int64 ``tensor``."""
    x = tensor._data
    if x.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    xp = xp_of(x)
    if num_classes == -1:
        if x.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(x.max()) + 1
    if x.size and int(x.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    if x.size and int(x.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._make((x[..., None] == xp.arange(num_classes)).astype(xp.int64))


__methods__ = []
__inplace__ = []
