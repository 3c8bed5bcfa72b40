"""Margin losses of ``nn.functional`` over class scores: the score of the right class (or
labels) should beat the others by a margin.

``multi_margin_loss`` and ``multilabel_margin_loss`` are one graph node each, as in torch
(``MultiMarginLossBackward0``, ``MultilabelMarginLossBackward0``); ``hinge_embedding_loss`` and
``multilabel_soft_margin_loss`` are compositions of differentiable ops, as in torch.
"""
from __future__ import annotations

from .. import _dtype as D
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor
from ._util import xp_of
from .losses import apply_reduction, check_reduction, legacy_reduction, not_implemented, type_name

__all__ = []


def _check_scores(input):
    """A vector of class scores, or a matrix of one row per sample (0-d: one class)."""
    if not (input.dim() <= 1 and input.numel() > 0 or input.dim() == 2 and input.shape[1]):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(input.shape)}")


def _check_long(target):
    if target.dtype is not D.int64:
        raise RuntimeError(f"expected scalar type Long but found {type_name(target.dtype)}")


def _reduce(loss, reduction, shape):
    """``loss`` (one value per sample, an array) reduced, or reshaped to ``shape``."""
    if reduction == "none":
        return loss.reshape(shape)
    return loss.mean() if reduction == "mean" else loss.sum()


# ---- multi-class margin ------------------------------------------------------------------------
class MultiMarginLoss(Function):
    """``sum_{j != y} w[y] max(0, margin - x[y] + x[j])**p / C`` per sample."""
    grad_name = "MultiMarginLossBackward0"
    _operands = (0,)            # targets and class weights are not differentiable

    @staticmethod
    def forward(ctx, input, target, p, margin, weight, reduction):
        x = input._data.reshape(-1, max(input.shape[-1:] or (1,)))     # (N, C)
        xp = xp_of(x)
        n, c = x.shape
        t = target._data.reshape(n)
        if ((t < 0) | (t >= c)).any():
            raise RuntimeError("target out of range")
        others = xp.arange(c) != t[:, None]                          # the classes j != y
        scale = others / c if weight is None else others * (weight._data[t][:, None] / c)
        ctx.scale = Tensor._make(scale.astype(x.dtype))
        ctx.onehot = Tensor._make((~others).astype(x.dtype))
        ctx.target = Tensor._make(t[:, None])
        ctx.p, ctx.margin, ctx.reduction, ctx.shape = p, margin, reduction, tuple(input.shape)
        ctx.save_for_backward(input)
        z = xp.maximum(margin - xp.take_along_axis(x, t[:, None], 1) + x, 0)
        loss = ((z if p == 1 else z * z) * scale).sum(1).astype(x.dtype)
        return _reduce(loss, reduction, target.shape)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        x = x.reshape(ctx.onehot.shape)
        z = ctx.margin - x.gather(1, ctx.target) + x
        if ctx.p == 1:
            d = ctx.scale * Tensor._make((z._data > 0).astype(z._data.dtype))
        else:
            d = 2 * ctx.scale * z.clamp(min=0)
        d = d - ctx.onehot * d.sum(1, keepdim=True)        # x[y] enters every term with a minus
        if ctx.reduction == "mean":
            grad = grad / x.shape[0]
        g = grad.reshape(-1, 1) if ctx.reduction == "none" else grad
        return (g * d).reshape(ctx.shape), None, None, None, None, None


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss: each wrong class's score should stay ``margin`` below the target
    class's (``p`` = 1 or 2 powers the violations; ``weight`` weighs the target classes)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None:
        if weight.dim() != 1:
            raise ValueError("weight must be one-dimensional")
        if weight.requires_grad and is_grad_enabled():
            raise RuntimeError("The function 'multi_margin_loss' is not differentiable with "
                               "respect to argument 'weight'. This input cannot have "
                               "requires_grad True.")
    _check_scores(input)
    n = input.shape[0] if input.dim() == 2 else 1
    if target.dim() > 1 or target.numel() != n:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to the "
                           f"number of input samples (batch size). Expected target size [{n}], "
                           f"but got {list(target.shape)}. Input has shape "
                           f"{list(input.shape)}.")
    _check_long(target)
    if not input.is_floating_point():
        raise not_implemented("multi_margin_loss_cpu_kernel", input.dtype)
    if weight is not None:
        c = max(input.shape[-1:] or (1,))
        if weight.numel() != c:
            raise RuntimeError(f"inconsistent weight size, expected {c} but got "
                               f"{list(weight.shape)}")
        if weight.dtype is not input.dtype:
            raise RuntimeError(f"expected scalar type {type_name(input.dtype)} but found "
                               f"{type_name(weight.dtype)}")
    return MultiMarginLoss.apply(input, target, p, margin, weight, reduction)


# ---- multi-label margin ------------------------------------------------------------------------
class MultilabelMarginLoss(Function):
    """``sum_{j in labels} sum_{i not in labels} max(0, 1 - (x[j] - x[i])) / C`` per sample; a
    sample's labels are its target entries up to the first -1."""
    grad_name = "MultilabelMarginLossBackward0"
    _operands = (0,)

    @staticmethod
    def forward(ctx, input, target, reduction):
        c = max(input.shape[-1:] or (1,))
        x, t = input._data.reshape(-1, c), target._data.reshape(-1, c)
        xp = xp_of(x)
        if ((t < -1) | (t >= c)).any():
            raise RuntimeError("argument #2 'target' is out of range")
        listed = xp.cumsum(t == -1, axis=1) == 0                   # (N, K): before the first -1
        label = (t[:, :, None] == xp.arange(c)) & listed[:, :, None]     # (N, K, C) one-hot
        others = ~label.any(1)                                      # (N, C): i not a label
        scores = (label * x[:, None, :]).sum(2)                     # (N, K): x[y_k]
        z = 1 - scores[:, :, None] + x[:, None, :]                  # (N, K, C)
        active = (z > 0) & listed[:, :, None] & others[:, None, :]
        loss = (z * active).sum((1, 2)) / c
        # d/dx[i] sums the active terms over the labels k, d/dx[y_k] minus those over i
        active = active.astype(x.dtype) / c
        coef = active.sum(1) - (active.sum(2)[:, :, None] * label).sum(1)
        ctx.coef = Tensor._make(coef.reshape(input.shape))
        ctx.reduction, ctx.n = reduction, x.shape[0]
        return _reduce(loss, reduction, input.shape[:-1])

    @staticmethod
    def backward(ctx, grad):
        if ctx.reduction == "none":
            grad = grad.unsqueeze(-1) if grad.dim() else grad
        elif ctx.reduction == "mean":
            grad = grad / ctx.n
        return grad * ctx.coef, None, None


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss: every labelled class's score should beat every other class's
    by 1. ``target`` lists each sample's class indices, ended by -1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    _check_scores(input)
    if target.shape != input.shape:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    _check_long(target)
    if not input.is_floating_point():
        raise not_implemented("multilabel_margin_loss_forward_out_frame", input.dtype)
    return MultilabelMarginLoss.apply(input, target, reduction)


# ---- compositions ------------------------------------------------------------------------------
def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """``x`` where the target is 1 and ``max(0, margin - x)`` where it is -1: ``x`` is a
    distance, small for similar pairs and beyond ``margin`` for dissimilar ones."""
    from .indexing import where
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction)
    zero = Tensor._make(xp_of(input._data).zeros((), input._data.dtype))
    margin_part = where(target != 1, (margin - input).clamp(min=0), zero)
    self_part = where(target != -1, input, zero)
    return apply_reduction(margin_part + self_part, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Binary logistic loss of every class (labels 0/1), averaged over the classes."""
    from .activation import logsigmoid
    reduction = legacy_reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(input.dim() - 1) / input.shape[-1]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not valid")
    return apply_reduction(loss, reduction)


__methods__ = []
__inplace__ = []
