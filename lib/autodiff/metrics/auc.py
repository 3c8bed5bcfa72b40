"""``AUC``: the exact area under the ROC curve of a binary classifier."""
from __future__ import annotations

import math

from .._creation import tensor
from ..ops.joining import cat
from ._base import Metric

__all__ = ["AUC"]


def roc_auc(scores, labels):
    """The probability that a random positive scores above a random negative, ties counting
    one half: exactly the trapezoidal area under the ROC curve (scikit-learn's
    ``roc_auc_score``). nan when only one class is present."""
    n_pos = labels.sum()
    n_neg = labels.numel() - n_pos
    if n_pos == 0 or n_neg == 0:
        return tensor(math.nan)
    scores, order = scores.sort()
    labels = labels[order]
    # the last position of each group of equal scores; cumulative counts there
    last = cat([scores[1:] != scores[:-1], tensor([True], device=scores.device)])
    pos_upto = labels.cumsum(0)[last]
    neg_upto = (1 - labels).cumsum(0)[last]
    pos = pos_upto - cat([tensor([0.0], dtype=pos_upto.dtype, device=scores.device),
                          pos_upto[:-1]])
    neg = neg_upto - cat([tensor([0.0], dtype=neg_upto.dtype, device=scores.device),
                          neg_upto[:-1]])
    # each positive beats the negatives of lower groups and ties half of its own group's
    wins = (pos * (neg_upto - neg + 0.5 * neg)).sum()
    return (wins / (n_pos * n_neg)).float()


class AUC(Metric):
    """Area under the ROC curve over all the predictions accumulated since ``reset()``.

    ``preds`` are scores of the targets' shape -- logits or probabilities, the area is the same
    since it depends only on their order -- and ``targets`` are 0/1 labels. The value is nan
    while only one class has been seen (the curve is not defined)."""

    def _stats(self, preds, targets):
        if preds.shape != targets.shape:
            raise self._shape_error(preds, targets, "AUC needs one score per target")
        if bool(((targets != 0) & (targets != 1)).any()):
            raise ValueError("AUC: targets must be 0 or 1 (a binary task)")
        return {"scores": [preds.flatten().double()], "labels": [targets.flatten().double()]}

    def _value(self, stats):
        return roc_auc(cat(stats["scores"]), cat(stats["labels"]))
