"""Loss functions of ``nn.functional`` that compare an input with a target elementwise.

The fused ones (mse, smooth l1, huber, binary cross-entropy, soft margin) are one graph node
each, as in torch (``MseLossBackward0``...): a pointwise loss, reduced by ``reduction``
('none' | 'mean' | 'sum'). Their gradients are written with tensor ops, so they can be
differentiated again. The others are compositions of differentiable ops, as in torch.
Class-index losses (nll, cross-entropy) are in ``nll.py``.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype as D
from ..autograd.function import Function
from ..tensor import Tensor
from ._util import promote, xp_of
from .activation import softplus

__all__ = []          # torch's top-level losses take enum reductions: nn.functional only


# ---- reduction -------------------------------------------------------------------------------
def legacy_reduction(size_average, reduce, reduction):
    """The ``reduction`` string, or the one meant by the deprecated ``size_average``/``reduce``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  f"reduction='{ret}' instead.", stacklevel=3)
    return ret


def check_reduction(reduction, allowed=("none", "mean", "sum")):
    """torch's ValueError for a ``reduction`` not in ``allowed``."""
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def apply_reduction(loss, reduction):
    """Apply ``reduction`` to a tensor of per-element losses."""
    check_reduction(reduction)
    return loss if reduction == "none" else loss.mean() if reduction == "mean" else loss.sum()


def warn_size(input, target):
    """torch's warning when a target's shape differs from the input's (it would broadcast)."""
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)


def _const(array, like):
    return Tensor._make(array.astype(like._data.dtype, copy=False))


# ---- torch's dtype rules -----------------------------------------------------------------------
def type_name(dtype):
    """torch's scalar type name of a dtype ('Float', 'Double', 'Long', ...)."""
    from ._linalg_util import TYPE_NAMES
    return TYPE_NAMES[dtype.name]


def not_implemented(kernel, dtype):
    """torch's error for a kernel that has no version for ``dtype``."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{type_name(dtype)}\'')


def check_cast(result, out):
    """torch's error when a result of dtype ``result`` is written into a tensor of dtype ``out``
    of a lower category (float into an integer tensor)."""
    if not D.can_cast(result, out):
        raise RuntimeError(f"result type {type_name(result)} can't be cast to the desired output "
                           f"type {type_name(out)}")


# ---- fused pointwise losses --------------------------------------------------------------------
class _PointwiseLoss(Function):
    """``reduce(f(x, t))`` in one node. Subclasses give ``f`` on arrays and the elementwise
    derivatives ``dx`` (and ``dt``, by default ``-dx``) as tensors; ``result_dtype`` applies
    torch's dtype rules for the pair (by default: the promoted type, which must be floating)."""
    _operands = (0, 1)          # input and target; weights are not differentiable

    kernel = "loss"

    @classmethod
    def result_dtype(cls, x, t):
        dtype = D.result_type(x, t)
        if not dtype.is_floating_point:
            raise not_implemented(cls.kernel, dtype)
        return dtype

    @classmethod
    def forward(cls, ctx, x, t, reduction, *params):
        out = cls.result_dtype(x, t)
        xd, td = promote(x, t)
        ctx.save_for_backward(x, t)
        ctx.reduction, ctx.params = reduction, params
        loss = cls.f(xp_of(xd), xd, td, *(p._data if isinstance(p, Tensor) else p
                                          for p in params)).astype(out.np, copy=False)
        ctx.n = loss.size
        if reduction == "none":
            return loss
        return loss.mean() if reduction == "mean" else loss.sum()

    @classmethod
    def backward(cls, ctx, grad):
        x, t = ctx.saved_tensors
        if ctx.reduction == "mean":
            grad = grad / ctx.n
        gx = grad * cls.dx(x, t, *ctx.params) if ctx.needs_input_grad[0] else None
        gt = grad * cls.dt(x, t, *ctx.params) if ctx.needs_input_grad[1] else None
        return (gx, gt, None) + (None,) * len(ctx.params)

    @classmethod
    def dt(cls, x, t, *params):
        """For a loss of ``x - t``, d/dt = -d/dx."""
        return -cls.dx(x, t, *params)


class MseLoss(_PointwiseLoss):
    grad_name, kernel = "MseLossBackward0", "mse_cpu"
    f = staticmethod(lambda xp, x, t: (x - t) ** 2)

    dx = staticmethod(lambda x, t: 2 * (x - t))


class SmoothL1Loss(_PointwiseLoss):
    """0.5 d**2 / beta where |d| < beta, else |d| - beta / 2."""
    grad_name, kernel = "SmoothL1LossBackward0", "smooth_l1_cpu"

    @staticmethod
    def f(xp, x, t, beta):
        d = xp.abs(x - t)
        return xp.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta).astype(d.dtype)

    dx = staticmethod(lambda x, t, beta: ((x - t) / beta).clamp(-1, 1))


class HuberLoss(_PointwiseLoss):
    """0.5 d**2 where |d| < delta, else delta (|d| - delta / 2)."""
    grad_name, kernel = "HuberLossBackward0", "huber_cpu"

    @classmethod
    def result_dtype(cls, x, t):
        check_cast(super().result_dtype(x, t), x.dtype)     # written into a tensor like x
        return x.dtype

    @staticmethod
    def f(xp, x, t, delta):
        d = xp.abs(x - t)
        return xp.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)).astype(d.dtype)

    dx = staticmethod(lambda x, t, delta: (x - t).clamp(-delta, delta))


class SoftMarginLoss(_PointwiseLoss):
    """``log(1 + exp(-t x))`` for labels t = +-1."""
    grad_name, kernel = "SoftMarginLossBackward0", "soft_margin_cpu"

    @staticmethod
    def result_dtype(x, t):
        """torch computes ``log1p(exp(-x * t))`` (floating even for integers) into a tensor
        like ``x``."""
        if x.dtype is D.bool:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                               "you are trying to invert a mask, use the `~` or `logical_not()` "
                               "operator instead.")
        dtype = D.result_type(x, t)
        check_cast(dtype if dtype.is_floating_point else D.get_default_dtype(), x.dtype)
        return x.dtype

    @staticmethod
    def f(xp, x, t):
        z = -t * x
        return xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))

    dx = staticmethod(lambda x, t: -t * (-t * x).sigmoid())
    dt = staticmethod(lambda x, t: -x * (-t * x).sigmoid())


def _clamped_log(xp, x, complement=False):
    """``max(log(x), -100)``, or ``max(log1p(-x), -100)``: torch's clamped logs of BCE (no
    divide-by-zero warning at 0)."""
    ok = x < 1 if complement else x > 0
    safe = xp.where(ok, x, 0.5)
    value = xp.log1p(-safe) if complement else xp.log(safe)
    return xp.where(ok, xp.maximum(value, -100), -100)


class BinaryCrossEntropy(_PointwiseLoss):
    """``-w (t log x + (1 - t) log(1 - x))`` with the logs clamped at -100, as in torch."""
    grad_name, kernel = "BinaryCrossEntropyBackward0", "binary_cross_entropy"

    @classmethod
    def result_dtype(cls, x, t):
        if t.dtype is not x.dtype:
            raise RuntimeError(f"Found dtype {type_name(t.dtype)} but expected "
                               f"{type_name(x.dtype)}")
        if not x.dtype.is_floating_point:
            raise not_implemented(cls.kernel, x.dtype)
        return x.dtype

    @staticmethod
    def f(xp, x, t, weight):
        if ((x < 0) | (x > 1)).any():
            raise RuntimeError("all elements of input should be between 0 and 1")
        loss = -(t * _clamped_log(xp, x) + (1 - t) * _clamped_log(xp, x, complement=True))
        return loss if weight is None else loss * weight

    @staticmethod
    def dx(x, t, weight):
        d = (x - t) / ((1 - x) * x).clamp(min=1e-12)
        return d if weight is None else d * weight

    @staticmethod
    def dt(x, t, weight):
        d = (1 - x).log().clamp(min=-100) - x.log().clamp(min=-100)
        return d if weight is None else d * weight


class BinaryCrossEntropyWithLogits(_PointwiseLoss):
    """``w ((1 - t) x + (1 + (pw - 1) t) log(1 + exp(-x)))``: BCE of ``sigmoid(x)`` without
    its overflow (``pw`` weighs the positive class)."""
    grad_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def result_dtype(x, t):
        """torch works in place on ``1 - t``: the loss has the target's dtype."""
        if not x.dtype.is_floating_point:
            raise not_implemented("log_sigmoid_cpu", x.dtype)
        if t.dtype is D.bool:
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                               "supported. Use the `^` or `logical_xor()` operator instead.")
        check_cast(D.result_type(x, t), t.dtype)
        return t.dtype

    @staticmethod
    def f(xp, x, t, weight, pos_weight):
        softplus_neg = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))
        lw = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
        loss = (1 - t) * x + lw * softplus_neg
        return loss if weight is None else loss * weight

    @staticmethod
    def dx(x, t, weight, pos_weight):
        pw = 1 if pos_weight is None else pos_weight
        d = (1 + (pw - 1) * t) * x.sigmoid() - pw * t
        return d if weight is None else d * weight

    @staticmethod
    def dt(x, t, weight, pos_weight):
        pw = 1 if pos_weight is None else pos_weight
        d = -x + (pw - 1) * softplus(-x)
        return d if weight is None else d * weight


def _pointwise(cls, input, target, reduction, *params):
    check_reduction(reduction)
    return cls.apply(input, target, reduction, *params)


def _weighted(loss, weight, reduction, input):
    """torch's manual path for the ``weight`` argument of mse/l1/huber."""
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                     "'sum'.")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error ``(input - target)**2``, reduced."""
    warn_size(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    if weight is not None:
        return _weighted(MseLoss.apply(input, target, "none"), weight, reduction, input)
    return _pointwise(MseLoss, input, target, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error ``|input - target|``, reduced."""
    warn_size(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    loss = (input - target).abs()
    if weight is not None:
        return _weighted(loss, weight, reduction, input)
    return apply_reduction(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Squared error for small differences (below ``beta``), absolute error beyond."""
    warn_size(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    return _pointwise(SmoothL1Loss, input, target, reduction, beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Squared error for differences below ``delta``, linear beyond (robust to outliers)."""
    warn_size(input, target)
    if weight is not None:
        if weight.shape != input.shape:
            raise ValueError("Weights and input must have the same size.")
        return apply_reduction(HuberLoss.apply(input, target, "none", delta) * weight, reduction)
    return _pointwise(HuberLoss, input, target, reduction, delta)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Logistic loss ``log(1 + exp(-target * input))`` for labels +-1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _pointwise(SoftMarginLoss, input, target, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """Cross-entropy between probabilities ``input`` and targets in [0, 1]."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    return _pointwise(BinaryCrossEntropy, input, target, reduction, weight)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Binary cross-entropy of ``sigmoid(input)``, computed stably from the logits."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    return _pointwise(BinaryCrossEntropyWithLogits, input, target, reduction, weight, pos_weight)


# ---- composite losses --------------------------------------------------------------------------
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence of ``target`` from the distribution whose log-probabilities are ``input``;
    ``'batchmean'`` divides the sum by the batch size (the mathematical definition)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, ("none", "mean", "sum", "batchmean"))
    if not (input.is_floating_point() and target.is_floating_point()):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = target.xlogy(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() else loss.sum()
    return apply_reduction(loss, reduction)


def _check_target_dims(target, input1, input2):
    if target.dim() > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = target.dim() + 1
    if input1.dim() != want or input2.dim() != want:
        raise RuntimeError(f"{target.dim()}D target tensor expects {want}D input tensors, but "
                           f"found inputs with sizes {list(input1.shape)} and "
                           f"{list(input2.shape)}.")


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """``1 - cos(x1, x2)`` for pairs labelled 1, ``max(0, cos - margin)`` for pairs labelled -1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_target_dims(target, input1, input2)
    dim = target.dim()
    eps = 1e-12
    prod = (input1 * input2).sum(dim)
    mag = ((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps)
    cos = prod / mag.sqrt()
    t = target._data
    loss = (1 - cos) * _const(t == 1, cos) + (cos - margin).clamp_min(0) * _const(t == -1, cos)
    return apply_reduction(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """``max(0, -target * (x1 - x2) + margin)``: x1 should rank above x2 when target is 1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if not input1.dim() == input2.dim() == target.dim():
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.shape}, input2: {input2.shape}, "
                           f"target: {target.shape} ")
    return apply_reduction((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """``max(0, d(a, p) - d(a, n) + margin)``: the anchor nearer the positive than the negative."""
    from .distance import pairwise_distance
    reduction = legacy_reduction(size_average, reduce, reduction)
    a, po, n = anchor.dim(), positive.dim(), negative.dim()
    if not a == po == n:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {po}D, "
                           f"and negative {n}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        from .arithmetic import minimum
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return apply_reduction((margin + d_pos - d_neg).clamp_min(0), reduction)


# ---- metric learning: pairwise distances of a set, triplets with any distance --------------
class Pdist(Function):
    """The p-norm distance of every pair of rows ``i < j`` of a matrix (row-major order)."""
    grad_name = "PdistBackward0"

    @staticmethod
    def forward(ctx, x, p):
        a, xp = x._data, xp_of(x._data)
        i, j = np.triu_indices(a.shape[0], 1)
        ctx.pairs, ctx.p = (i, j), p
        ctx.save_for_backward(x)
        diff = xp.abs(a[i] - a[j])
        if diff.shape[1] == 0:
            return xp.zeros(len(i), dtype=a.dtype)
        if p == 0:
            return (diff != 0).sum(1).astype(a.dtype)
        if p == float("inf"):
            return diff.max(1)
        return (diff ** p).sum(1) ** (1.0 / p)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        i, j = (Tensor._make(np.asarray(k, dtype=np.int64)) for k in ctx.pairs)
        diff, p = x[i] - x[j], ctx.p
        if p == 0 or diff.shape[0] == 0:
            return x.new_zeros(x.shape), None
        dist = diff.abs().amax(1, keepdim=True) if p == float("inf") \
            else diff.norm(p, 1, keepdim=True)
        if p == float("inf"):        # every coordinate that attains the max gets the gradient
            w = diff.sign() * (diff.abs() == dist)
        else:                        # d||d||_p / dd = sign(d) (|d| / ||d||_p)^(p-1), 0 at d = 0
            ratio = diff.abs() / dist.masked_fill(dist == 0, 1)
            w = diff.sign() * ratio.masked_fill(diff == 0, 1) ** (p - 1)
        w = grad.unsqueeze(1) * w
        return x.new_zeros(x.shape).index_add(0, i, w).index_add(0, j, -w), None


def pdist(input, p=2):
    """``||x_i - x_j||_p`` for every pair of rows ``i < j`` of an ``(N, M)`` matrix: the
    ``N * (N - 1) / 2`` entries above the diagonal of the distance matrix."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if not input.is_floating_point():
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    return Pdist.apply(input, float(p))


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """:func:`triplet_margin_loss` with any ``distance_function(x1, x2)`` (by default the
    pairwise 2-norm distance)."""
    from .arithmetic import minimum
    from .distance import pairwise_distance
    check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, po, n = anchor.dim(), positive.dim(), negative.dim()
    if not a == po == n:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {po}D, "
                           f"and negative {n}D inputs")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, dist(positive, negative))
    return apply_reduction((margin + d_pos - d_neg).clamp_min(0), reduction)


__methods__ = []
__inplace__ = []
