"""Classification metrics from counts: ``Accuracy``, ``Precision``, ``Recall``, ``F1Score``.

Binary tasks (``num_classes=None``): ``preds`` has the shape of ``targets`` (0/1 labels).
By default ``preds`` are *logits* -- what a model trained with ``BCEWithLogitsLoss`` outputs --
and a prediction is positive when ``sigmoid(logit) > threshold``, that is when the logit is
above ``log(threshold / (1 - threshold))``: above **0**, not 0.5, for the default threshold.
Pass ``from_logits=False`` when the model ends with a ``Sigmoid`` (probabilities, positive when
above ``threshold``). Integer or boolean ``preds`` are taken as labels already.

Multiclass tasks (``num_classes=C``): ``preds`` of shape ``(N, C, ...)`` (logits or
probabilities: the predicted class is the argmax either way) and integer ``targets`` of shape
``(N, ...)`` with values in ``[0, C)``.
"""
from __future__ import annotations

import math

from .._creation import arange
from ._base import Metric

__all__ = ["Accuracy", "Precision", "Recall", "F1Score"]


def _ratio(num, den):
    """``num / den`` in float64, 0 where ``den`` is 0 (``num <= den`` always holds here)."""
    return num.double() / den.double().clamp(min=1)


class _Classification(Metric):
    """Checks shapes and turns predictions into flat label tensors ``(pred, true)``."""

    def __init__(self, num_classes=None, threshold=0.5, from_logits=True):
        if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 2):
            raise ValueError(f"num_classes must be an integer >= 2 (or None for a binary task), "
                             f"got {num_classes!r}")
        if not 0 < threshold < 1:
            raise ValueError(f"threshold must lie strictly between 0 and 1, got {threshold}")
        self.num_classes = num_classes
        self.threshold = threshold
        self.from_logits = from_logits
        self._cut = math.log(threshold / (1 - threshold)) if from_logits else threshold
        super().__init__()

    def _labels(self, preds, targets):
        if self.num_classes is None:
            return self._binary_labels(preds, targets)
        c = self.num_classes
        if (preds.ndim != targets.ndim + 1 or preds.shape[1] != c
                or tuple(preds.shape[:1] + preds.shape[2:]) != tuple(targets.shape)):
            raise self._shape_error(preds, targets, f"with num_classes={c} preds must have "
                                    f"shape (N, {c}, ...) and targets the shape (N, ...)")
        if targets.is_floating_point() or targets.dtype.is_complex:
            raise ValueError(f"{type(self).__name__}: targets must be class indices (an integer "
                             f"tensor), got dtype {targets.dtype}")
        if bool(((targets < 0) | (targets >= c)).any()):
            raise ValueError(f"{type(self).__name__}: targets must lie in [0, {c})")
        return preds.argmax(1).flatten(), targets.flatten().long()

    def _binary_labels(self, preds, targets):
        if preds.shape != targets.shape:
            hint = ("; for multiclass predictions pass num_classes="
                    f"{preds.shape[1]}" if preds.ndim == targets.ndim + 1 else "")
            raise self._shape_error(preds, targets, "a binary task needs preds of the targets' "
                                    "shape" + hint)
        if bool(((targets != 0) & (targets != 1)).any()):
            raise ValueError(f"{type(self).__name__}: binary targets must be 0 or 1 (for more "
                             "classes pass num_classes)")
        pred = preds > self._cut if preds.is_floating_point() else preds != 0
        return pred.long().flatten(), targets.long().flatten()

    def extra_repr(self) -> str:
        if self.num_classes is not None:
            return f"num_classes={self.num_classes}"
        return f"threshold={self.threshold}, from_logits={self.from_logits}"


class Accuracy(_Classification):
    """The fraction of correct predictions (binary or multiclass; see the module docstring)."""

    def _stats(self, preds, targets):
        pred, true = self._labels(preds, targets)
        return {"correct": (pred == true).sum(), "total": true.numel()}

    def _value(self, stats):
        return (stats["correct"].double() / max(stats["total"], 1)).float()


class _PrecisionRecall(_Classification):
    """Counts true positives, false positives and false negatives, per class when multiclass.

    ``average`` combines the classes of a multiclass task: 'macro' (the mean over the classes
    that occur in targets or predictions, as scikit-learn does), 'micro' (from the summed
    counts) or 'weighted' (by the number of true instances of each class). A ratio whose
    denominator is 0 counts as 0 (scikit-learn's ``zero_division=0``)."""

    def __init__(self, num_classes=None, threshold=0.5, from_logits=True, average="macro"):
        if average not in ("macro", "micro", "weighted"):
            raise ValueError(f"average must be 'macro', 'micro' or 'weighted', got {average!r}")
        self.average = average
        super().__init__(num_classes, threshold, from_logits)

    def _stats(self, preds, targets):
        pred, true = self._labels(preds, targets)
        if self.num_classes is None:
            p, t = pred.bool(), true.bool()
        else:                                    # one-hot columns: one binary problem per class
            classes = arange(self.num_classes, device=pred.device)
            p, t = pred[:, None] == classes, true[:, None] == classes
        return {"tp": (p & t).sum(0), "fp": (p & ~t).sum(0), "fn": (~p & t).sum(0)}

    def _value(self, stats):
        tp, fp, fn = stats["tp"], stats["fp"], stats["fn"]
        num, den = self._fraction(tp, fp, fn)
        if self.num_classes is None:
            value = _ratio(num, den)
        elif self.average == "micro":
            value = _ratio(num.sum(), den.sum())
        elif self.average == "macro":
            value = _ratio(num, den)[(tp + fp + fn) > 0].mean()
        else:
            support = tp + fn
            value = (_ratio(num, den) * support).sum() / support.sum().clamp(min=1)
        return value.float()

    def extra_repr(self) -> str:
        extra = super().extra_repr()
        return extra + f", average='{self.average}'" if self.num_classes is not None else extra


class Precision(_PrecisionRecall):
    """Of the predicted positives, the fraction that are positive: ``tp / (tp + fp)``."""

    def _fraction(self, tp, fp, fn):
        return tp, tp + fp


class Recall(_PrecisionRecall):
    """Of the actual positives, the fraction predicted positive: ``tp / (tp + fn)``."""

    def _fraction(self, tp, fp, fn):
        return tp, tp + fn


class F1Score(_PrecisionRecall):
    """The harmonic mean of precision and recall: ``2 tp / (2 tp + fp + fn)`` (per class, then
    averaged, for 'macro' and 'weighted')."""

    def _fraction(self, tp, fp, fn):
        return 2 * tp, 2 * tp + fp + fn
