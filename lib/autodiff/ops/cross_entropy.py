"""Classification losses over class scores: ``nll_loss`` and ``cross_entropy``.

The input holds one score per class along dim 1 (shape ``(N, C)``, ``(N, C, d1, ...)`` or
``(C,)``); the target holds class indices, or, for cross-entropy, class probabilities of the
input's shape. ``cross_entropy`` is ``nll_loss(log_softmax(input))``, as in torch.
"""
from __future__ import annotations

from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor
from ._util import xp_of
from .arithmetic import DivScalar
from .losses import apply_reduction, check_reduction, legacy_reduction, not_implemented, type_name

__all__ = []


class NllLoss(Function):
    """``-w[t] * input[t]`` per sample, reduced (the mean is weighted by ``w[t]``)."""
    grad_name = "NllLossBackward0"
    _operands = (0,)            # targets and class weights are not differentiable

    @staticmethod
    def forward(ctx, input, target, weight, reduction, ignore_index):
        x, t = input._data, target._data
        single = x.ndim == 1                    # one sample: (C,) scores and a 0-d target
        if single:
            x, t = x[None], t[None]
        xp = xp_of(x)
        t = t.astype(xp.int64, copy=False)
        valid = t != ignore_index
        bad = valid & ((t < 0) | (t >= x.shape[1]))
        if bad.any():
            raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
        t = xp.where(valid, t, 0)
        picked = xp.take_along_axis(x, t[:, None], axis=1)[:, 0]
        w = valid.astype(x.dtype)
        if weight is not None:
            w = w * weight._data[t]
        coef = -w                                       # d loss / d input[t], per sample
        if reduction == "mean":
            total = w.sum()
            coef = coef / total if total else coef * float("nan")   # all ignored: nan, as torch
        ctx.reduction, ctx.single = reduction, single
        classes = xp.arange(x.shape[1]).reshape((1, -1) + (1,) * (x.ndim - 2))
        coef_full = ((classes == t[:, None]) * coef[:, None]).astype(x.dtype)
        ctx.coef = Tensor._make(coef_full[0] if single else coef_full)
        loss = coef * picked
        if reduction != "mean":     # ignored targets: +0, not -0 (all ignored: mean is nan)
            loss = xp.where(valid, loss, 0)
        if reduction != "none":
            return loss.sum()
        return loss[0] if single else loss

    @staticmethod
    def backward(ctx, grad):
        if ctx.reduction == "none" and not ctx.single:
            grad = grad.unsqueeze(1)
        return grad * ctx.coef, None, None, None, None


class NllLoss2d(NllLoss):
    grad_name = "NllLoss2DBackward0"


def _check_nll(input, target, weight):
    dim = input.dim()
    if dim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {dim})")
    if dim != 1 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    if dim <= 2 and target.dim() > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if dim == 4 and target.dim() != 3:
        raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                           f"targets of dimension: {target.dim()}")
    if dim == 4 and input.shape[2:] != target.shape[1:]:
        raise RuntimeError(f"size mismatch (got input: {list(input.shape)} , target: "
                           f"{list(target.shape)}")
    if dim > 2 and dim != 4 and (input.shape[:1] + input.shape[2:]) != target.shape:
        raise RuntimeError(f"Expected target size {list(input.shape[:1] + input.shape[2:])}, "
                           f"got {list(target.shape)}")
    if target.dtype.name not in ("int64", "uint8"):
        from .inplace import _type_name
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{_type_name(target.dtype)}")
    classes = input.shape[0 if dim == 1 else 1]
    if weight is not None and weight.numel() != classes:
        raise RuntimeError(f"weight tensor should be defined either for all {classes} classes "
                           f"or no classes but got weight tensor of shape: {list(weight.shape)}")
    if not input.is_floating_point():
        raise not_implemented("nll_loss_out_frame" if dim <= 2 else
                              "nll_loss2d_forward_out_frame", input.dtype)
    if weight is not None and weight.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {type_name(input.dtype)} but found "
                           f"{type_name(weight.dtype)}")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of the target classes, given log-probabilities ``input``."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    if weight is not None and weight.requires_grad and is_grad_enabled():
        name = "nll_loss_forward" if input.dim() <= 2 else "nll_loss2d_forward"
        raise RuntimeError(f"The function '{name}' is not differentiable with respect to "
                           "argument 'weight'. This input cannot have requires_grad True.")
    _check_nll(input, target, weight)
    dim = input.dim()
    if dim <= 2:
        return NllLoss.apply(input, target, weight, reduction, ignore_index)
    if dim == 4:
        return NllLoss2d.apply(input, target, weight, reduction, ignore_index)
    n, c = input.shape[:2]              # other ranks go through the 4-d form, as in torch
    out = NllLoss2d.apply(input.reshape(n, c, 1, -1), target.reshape(n, 1, -1), weight,
                          reduction, ignore_index)
    return out.view(target.shape) if reduction == "none" else out


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """``nll_loss(log_softmax(input, 1), target)``: the loss of a classifier's raw scores
    (logits). ``target`` holds class indices, or class probabilities of ``input``'s shape."""
    from .reduction import log_softmax
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.dim() == 1 else 1
    logp = log_softmax(input, class_dim)
    n_classes = input.shape[class_dim]
    if target.is_floating_point() and target.shape == input.shape:
        return _soft_target_loss(logp, target, weight, reduction, label_smoothing, ignore_index,
                                 class_dim)
    loss = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0:
        return loss
    smooth = _smoothing_loss(logp, target, weight, reduction, ignore_index, class_dim)
    return (1 - label_smoothing) * loss + smooth * (label_smoothing / n_classes)


def _class_weight(weight, logp, class_dim):
    """The class weights shaped to broadcast along ``class_dim``."""
    return weight.reshape((-1,) + (1,) * (logp.dim() - class_dim - 1))


def _soft_target_loss(logp, target, weight, reduction, label_smoothing, ignore_index, class_dim):
    if ignore_index != -100:
        raise RuntimeError("ignore_index is not supported for floating point target")
    n_classes = logp.shape[class_dim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if weight is not None:
        prod = prod * _class_weight(weight, logp, class_dim)
    if reduction == "none":
        return -prod.sum(class_dim)
    if reduction == "sum":
        return -prod.sum()
    return DivScalar.apply(-prod.sum(), logp.numel() // n_classes)    # torch's DivBackward1


def _smoothing_loss(logp, target, weight, reduction, ignore_index, class_dim):
    """The uniform-target part of label smoothing: ``-sum_c w_c logp_c`` per sample."""
    if weight is not None:
        per_sample = -(logp * _class_weight(weight, logp, class_dim)).sum(class_dim)
    else:
        per_sample = -logp.sum(class_dim)
    keep = Tensor._make((target._data != ignore_index).astype(logp._data.dtype))
    per_sample = per_sample * keep
    if reduction != "mean":
        return apply_reduction(per_sample, reduction)
    if weight is None:
        return per_sample.sum() / keep.sum()
    t = xp_of(target._data).where(target._data != ignore_index, target._data, 0)
    return per_sample.sum() / (Tensor._make(weight._data[t]) * keep).sum()
