"""Callbacks for ``KerasModel.fit``: objects with any of the methods ``on_fit_start``,
``on_train_epoch_end``, ``on_validation_epoch_end`` and ``on_fit_end``, each called with the
model (whose ``history`` holds one entry per epoch so far; validation columns are nan until
``on_validation_epoch_end``). Early stopping and checkpointing are built into ``fit``.
"""
from __future__ import annotations

import datetime
import os

import pandas as pd

__all__ = ["Callback", "TensorBoardCallback"]


class Callback:
    """An empty callback to subclass (any object with some of these methods works too)."""

    def on_fit_start(self, model):
        pass

    def on_train_epoch_end(self, model):
        pass

    def on_validation_epoch_end(self, model):
        pass

    def on_fit_end(self, model):
        pass


class TensorBoardCallback(Callback):
    """Log the history to TensorBoard under ``save_dir/model_name/<date_time>``: per epoch one
    chart per quantity with its train and val curves (``add_scalars``, e.g. ``loss`` holding
    ``train_loss`` and ``val_loss``) and the learning rate; with ``log_weight``, histograms of
    every parameter at the start (step 0) and every ``log_weight_freq`` epochs, and of the
    restored best weights at the end (tags ``best/<name>``, step: the best epoch). The history
    is also written as ``dfhistory.csv`` next to the event files."""

    def __init__(self, save_dir="runs", model_name="model", log_weight=False, log_weight_freq=5):
        self.save_dir, self.model_name = save_dir, model_name
        self.log_weight, self.log_weight_freq = log_weight, log_weight_freq
        stamp = datetime.datetime.now().strftime("%Y%m%d_%H%M%S")
        self.log_path = os.path.join(save_dir, model_name, stamp)
        self.writer = None

    def _log_weights(self, model, step, prefix=""):
        for name, param in model.net.named_parameters():
            self.writer.add_histogram(prefix + name, param.detach().cpu().numpy(), step)

    def on_fit_start(self, model):
        from ..utils.tensorboard import SummaryWriter
        self.writer = SummaryWriter(self.log_path)
        if self.log_weight:
            self._log_weights(model, 0)

    def on_train_epoch_end(self, model):
        epoch = model.history["epoch"][-1]
        if self.log_weight and epoch % self.log_weight_freq == 0:
            self._log_weights(model, epoch)

    def on_validation_epoch_end(self, model):
        row = {column: values[-1] for column, values in model.history.items()}
        epoch = row.pop("epoch")
        self.writer.add_scalar("lr", row.pop("lr"), epoch)
        groups = {}
        for column, value in row.items():
            groups.setdefault(column.split("_", 1)[1], {})[column] = value
        for quantity, curves in groups.items():
            self.writer.add_scalars(quantity, curves, epoch)
        self.writer.flush()

    def on_fit_end(self, model):
        if self.log_weight and model.best_epoch is not None:
            self._log_weights(model, model.best_epoch, prefix="best/")
        self.writer.close()
        pd.DataFrame(model.history).to_csv(os.path.join(self.log_path, "dfhistory.csv"),
                                           index=False)
