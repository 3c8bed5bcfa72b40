"""``Metric``: the common machinery of every metric.

A metric turns a batch into *sufficient statistics* (counts, sums, or the predictions themselves)
and statistics into its value. Calling it on a batch returns the batch's value and adds the
batch's statistics to the running ones, so that ``compute()`` gives the exact value over every
batch seen since ``reset()`` -- not an average of batch values, which would be wrong for
precision, AUC or batches of unequal size.
"""
from __future__ import annotations

import math

from ..autograd.grad_mode import no_grad
from .._creation import tensor
from ..tensor import Tensor

__all__ = ["Metric"]


def _move(value, device):
    """A statistic (a tensor, a list of tensors or a Python number) on ``device``."""
    if isinstance(value, Tensor):
        return value.to(device)
    if isinstance(value, list):
        return [_move(v, device) for v in value]
    return value


class Metric:
    """Base class. Subclasses define ``_stats(preds, targets) -> dict`` (tensors or Python
    numbers, which are summed across batches, or lists, which are concatenated) and
    ``_value(stats) -> Tensor``. Arguments are always ``(preds, targets)``, in that order."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        """Forget every batch seen (call it at the start of each epoch)."""
        self._state = None

    def __call__(self, preds, targets) -> Tensor:
        """The metric on this batch; the batch also counts towards :meth:`compute`."""
        for name, value in (("preds", preds), ("targets", targets)):
            if not isinstance(value, Tensor):
                raise TypeError(f"{type(self).__name__}: {name} must be a Tensor, got "
                                f"{type(value).__name__}")
        with no_grad():
            stats = self._stats(preds.detach(), targets.detach())
            self._state = stats if self._state is None else {
                key: self._state[key] + value for key, value in stats.items()}
            return self._value(stats)

    def update(self, preds, targets) -> None:
        """Accumulate a batch without returning its value."""
        self(preds, targets)

    def compute(self) -> Tensor:
        """The metric over every batch since the last :meth:`reset` (nan before any batch)."""
        if self._state is None:
            return tensor(math.nan)
        with no_grad():
            return self._value(self._state)

    def to(self, device) -> "Metric":
        """Move the accumulated statistics to ``device``; returns self (as ``Module.to``)."""
        if self._state is not None:
            self._state = {key: _move(value, device) for key, value in self._state.items()}
        return self

    def cpu(self) -> "Metric":
        return self.to("cpu")

    def cuda(self) -> "Metric":
        return self.to("cuda")

    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"

    def _shape_error(self, preds, targets, expected: str):
        return ValueError(f"{type(self).__name__}: preds of shape {list(preds.shape)} and targets "
                          f"of shape {list(targets.shape)} do not match: {expected}")


class BatchMean(Metric):
    """Turns a plain function ``fn(preds, targets) -> number`` into a metric whose epoch value
    is the mean of the batch values weighted by batch size (what KerasModel does with a
    function given in ``metrics_dict``)."""

    def __init__(self, fn):
        if not callable(fn):
            raise TypeError(f"a metric must be a Metric or a function, got {type(fn).__name__}")
        self.fn = fn
        super().__init__()

    def _stats(self, preds, targets):
        value = self.fn(preds, targets)
        value = float(value.detach()) if isinstance(value, Tensor) else float(value)
        n = targets.shape[0] if targets.ndim else 1
        return {"sum": value * n, "count": n}

    def _value(self, stats):
        return tensor(stats["sum"] / stats["count"])

    def extra_repr(self) -> str:
        return getattr(self.fn, "__name__", repr(self.fn))
