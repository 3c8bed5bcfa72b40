"""Embedding lookup and one-hot encoding of class indices.

``embedding(indices, weight)`` picks rows of ``weight``; its gradient adds each incoming row
gradient into the row it came from (rows used twice get both), except for ``padding_idx``.
"""
from __future__ import annotations

from .. import _dtype as D
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._util import xp_of
from .scattering import ScatterAdd

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


# ---- embedding_bag: the sum, mean or max of the embeddings of each bag of indices -----------
class _Bags:
    """The layout of a flat index array cut into bags: bag ``b`` holds ``idx[starts[b]:
    starts[b + 1]]``. ``bag`` gives each position's bag, ``valid`` marks positions that are not
    ``padding_idx`` (-1: none) and ``count`` the valid positions of each bag."""

    def __init__(self, idx, starts, padding_idx):
        xp = xp_of(idx)
        self.idx, self.starts, self.n_bags, self.padding_idx = idx, starts, len(starts), padding_idx
        self.bag = xp.searchsorted(starts, xp.arange(len(idx)), side="right") - 1
        self.valid = idx != padding_idx
        self.count = xp.bincount(self.bag[self.valid], minlength=self.n_bags)

    def scale(self, mode, dtype):
        """Each position's factor in its bag's sum: 0 for padding, 1/count in mean mode."""
        if mode != "mean":
            return self.valid.astype(dtype)
        return (self.valid / xp_of(self.idx).maximum(self.count, 1)[self.bag]).astype(dtype)

    def max_slots(self, rows):
        """Each bag's largest value per feature and the index (row of the weight) it comes
        from, the first among ties; found in a (bags, longest bag, dim) array padded with -inf.
        Empty bags give -inf and a dummy index 0."""
        xp = xp_of(rows)
        lengths = xp.diff(xp.append(self.starts, len(self.idx)))
        longest = max(int(lengths.max()) if self.n_bags else 0, 1)
        dense = xp.full((self.n_bags, longest, rows.shape[1]), -xp.inf, dtype=rows.dtype)
        v = self.valid
        dense[self.bag[v], (xp.arange(len(self.idx)) - self.starts[self.bag])[v]] = rows[v]
        slot = dense.argmax(axis=1)
        best = xp.take_along_axis(dense, slot[:, None], axis=1)[:, 0]
        return best, xp.append(self.idx, 0)[self.starts[:, None] + slot]


class EmbeddingBag(Function):
    grad_name = "EmbeddingBagBackward0"
    _operands = (0, 1)         # torch lists weight and per_sample_weights

    @staticmethod
    def forward(ctx, weight, psw, bags, mode, scale_grad_by_freq):
        w, xp = weight._data, xp_of(weight._data)
        ctx.bags, ctx.mode, ctx.scale_by_freq = bags, mode, scale_grad_by_freq
        ctx.save_for_backward(weight, psw)
        rows = w[bags.idx]
        if mode == "max":
            best, ctx.winner = bags.max_slots(rows)
            ctx.filled = (bags.count > 0)[:, None]
            return xp.where(ctx.filled, best, 0).astype(w.dtype)
        coef = bags.scale(mode, w.dtype) * (1 if psw is None else psw._data)
        return _rows_grad(Tensor._make(rows * coef[:, None]), bags.bag, bags.n_bags, -1, False)

    @staticmethod
    def backward(ctx, grad):
        weight, psw = ctx.saved_tensors
        bags, xp = ctx.bags, xp_of(grad._data)
        if ctx.mode == "max":       # each output entry came from one row: send its gradient there
            zeros = Tensor._make(xp.zeros(weight._data.shape, dtype=grad._data.dtype))
            masked = grad * Tensor._make(ctx.filled.astype(grad._data.dtype))
            return ScatterAdd.apply(zeros, 0, ctx.winner, masked), None, None, None, None
        per_pos = Embedding.apply(Tensor._make(bags.bag), grad, -1, False)   # grad of its bag
        scale = Tensor._make(bags.scale(ctx.mode, grad._data.dtype))
        gw = gpsw = None
        if ctx.needs_input_grad[0]:
            coef = scale if psw is None else scale * psw
            gw = EmbeddingDenseBackward.apply(per_pos * coef.unsqueeze(1), bags.idx,
                                              weight.shape[0], bags.padding_idx,
                                              ctx.scale_by_freq)
        if psw is not None and ctx.needs_input_grad[1]:
            rows = Embedding.apply(Tensor._make(bags.idx), weight, -1, False)
            gpsw = (per_pos * rows).sum(-1) * scale
        return gw, gpsw, None, None, None


def _check_bag_args(input, weight, offsets, psw, mode, scale_grad_by_freq, sparse):
    """torch's checks of the shapes and options of embedding_bag (its Python-level ones)."""
    if psw is not None and tuple(input.shape) != tuple(psw.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({psw.shape}) is not None, then "
                         f"it must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    if input.dim() == 2 and offsets is not None:
        raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a "
                         "mini-batch of fixed length sequences. However, found offsets of type "
                         f"{type(offsets)}")
    if input.dim() == 1 and offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if input.dim() == 1 and offsets.dim() != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    if input.dim() not in (1, 2):
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if psw is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. "
                                  "per_sample_weights is only supported for mode='sum' "
                                  f"(got mode='{mode}'). Please open a feature request on GitHub.")


def _check_index_dtype(input, offsets):
    """torch's check of the index dtype: that of input and offsets promoted together must be
    int32 or int64."""
    kind = input if offsets is None else input.to(D.promote_types(input.dtype, offsets.dtype))
    if kind.dtype not in (D.int32, D.int64):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {kind.type()} instead "
                           "(while checking arguments for embedding_bag)")


def _check_index_range(idx, n, fast_kernel):
    """torch's error for an index outside [0, n): worded by the kernel torch would pick."""
    bad = (idx < 0) | (idx >= n)
    if bool(bad.any()):
        j = int(bad.argmax())
        if fast_kernel:
            raise RuntimeError(f"Index {j} of input takes value {int(idx[j])} which is not in "
                               f"the valid range [0, {n})")
        raise RuntimeError("embedding_bag: Expected idx >= 0 && idx < num_embeddings but found "
                           f"idx to be {int(idx[j])}")


def _bag_starts(input, offsets, include_last_offset):
    """The flat indices and the start of each bag, checked as torch checks them."""
    xp = xp_of(input._data)
    if input.dim() == 2:
        if input.shape[1] == 0 and input.shape[0] > 0:
            raise RuntimeError("step must be nonzero")      # (torch's arange of the offsets)
        return input._data.reshape(-1), xp.arange(0, input.numel(), max(input.shape[1], 1))
    idx, off = input._data, offsets._data.astype(xp.int64)
    if include_last_offset and len(off) < 1:
        raise RuntimeError("include_last_offset: number of offset should be at least 1")
    if len(off) and int(off[0]) != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {int(off[0])}")
    if len(off) and int(off[-1]) > len(idx):
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {len(idx)} but "
                           f"got offsets[-1] of {int(off[-1])}")
    if len(off) > 1 and bool((xp.diff(off) < 0).any()):
        raise RuntimeError(f"offsets have to be non-decreasing, but got {off.tolist()}")
    if include_last_offset:             # the last offset ends the last bag
        return idx[:int(off[-1])], off[:-1]
    return (idx if len(off) else idx[:0]), off


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """The sum, mean or max of the embeddings of each bag of indices: each row of a 2-D
    ``input``, or the runs ``input[offsets[b]:offsets[b + 1]]`` of a 1-D one. ``padding_idx``
    entries are left out of their bag and an empty bag gives zeros. ``per_sample_weights``
    (mode 'sum' only) weighs each index.

    ``sparse=True`` is accepted but gives a dense gradient (autodiff has no sparse tensors).
    """
    psw = per_sample_weights
    _check_bag_args(input, weight, offsets, psw, mode, scale_grad_by_freq, sparse)
    _check_index_dtype(input, None if input.dim() == 2 else offsets)
    if not weight.is_floating_point():
        raise RuntimeError("Expected tensor for argument #1 'weight' to have one of the following "
                           "scalar types: Half, BFloat16, Float, Double; but got "
                           f"{weight.type()} instead (while checking arguments for embedding_bag)")
    if psw is not None and psw.dtype != weight.dtype:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as "
                           "tensor for argument #1 'per_sample_weights'; but type "
                           f"{weight.type()} does not equal {psw.type()} (while checking "
                           "arguments for embedding_bag)")
    n = weight.shape[0]
    if padding_idx is not None and not -n <= padding_idx < n:
        raise RuntimeError(f"padding_idx must be within the number of embeddings, -{n} through "
                           f"{n - 1}, but got {padding_idx}")
    idx, starts = _bag_starts(input, offsets, include_last_offset)
    _check_index_range(idx, n, mode != "max" and padding_idx is None and
                       weight.dtype in (D.float32, D.float16))
    if max_norm is not None:
        _renorm_(weight, Tensor._make(idx), max_norm, norm_type)
    if psw is not None:
        psw = psw.reshape(-1) if psw.dim() == 2 else psw
        psw = psw[:len(idx)] if psw.shape[0] > len(idx) else psw
    padding_idx = -1 if padding_idx is None else padding_idx % n
    bags = _Bags(idx.astype(xp_of(idx).int64), starts, padding_idx)
    return EmbeddingBag.apply(weight, psw, bags, mode, scale_grad_by_freq)


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
