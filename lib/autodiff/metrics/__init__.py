"""Metrics for training loops (``autodiff.metrics``): call one on a batch of
``(preds, targets)`` to get the batch's value, ``compute()`` for the value over every batch
since ``reset()``. ``KerasModel`` takes them in its ``metrics_dict``."""
from ._base import BatchMean, Metric
from .auc import AUC
from .classification import Accuracy, F1Score, Precision, Recall
from .regression import MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredError

__all__ = ["Metric", "BatchMean", "Accuracy", "Precision", "Recall", "F1Score", "AUC",
           "MeanAbsoluteError", "MeanSquaredError", "MeanAbsolutePercentageError"]
