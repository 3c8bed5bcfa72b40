"""Regression metrics: ``MeanAbsoluteError``, ``MeanSquaredError``,
``MeanAbsolutePercentageError``, each the mean of an elementwise error over every element of
every batch (sums and counts are accumulated in float64)."""
from __future__ import annotations

import numpy as np

from ._base import Metric

__all__ = ["MeanAbsoluteError", "MeanSquaredError", "MeanAbsolutePercentageError"]


class _MeanError(Metric):
    def _stats(self, preds, targets):
        if preds.shape != targets.shape:   # (N, 1) against (N,) would broadcast to (N, N)
            raise self._shape_error(preds, targets, "they must have the same shape (squeeze or "
                                    "reshape one of them)")
        errors = self._errors(preds.double(), targets.double())
        return {"sum": errors.sum(), "count": errors.numel()}

    def _value(self, stats):
        return (stats["sum"] / max(stats["count"], 1)).float()


class MeanAbsoluteError(_MeanError):
    """``mean(|preds - targets|)``."""

    def _errors(self, preds, targets):
        return (preds - targets).abs()


class MeanSquaredError(_MeanError):
    """``mean((preds - targets) ** 2)``."""

    def _errors(self, preds, targets):
        return (preds - targets) ** 2


class MeanAbsolutePercentageError(_MeanError):
    """``mean(|preds - targets| / max(|targets|, eps))`` as a fraction (0.05 means 5 %), with
    scikit-learn's ``eps``, float64's machine epsilon: huge where a target is 0."""

    eps = float(np.finfo(np.float64).eps)

    def _errors(self, preds, targets):
        return (preds - targets).abs() / targets.abs().clamp(min=self.eps)
