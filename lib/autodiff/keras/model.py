"""``KerasModel``: ``fit`` / ``evaluate`` / ``predict`` around any ``nn.Module``.

The training loop of every chapter, written once: per epoch a pass over the training batches
(forward, loss, backward, optimizer step), a pass over the validation batches under
``no_grad`` in eval mode, one row of history, a checkpoint of the best weights, early stopping;
at the very end -- never inside the epoch loop -- the best weights are restored.

A batch is a tuple or list whose last element is the targets and whose other elements are the
inputs of the net: ``(x, y)`` calls ``net(x)``, ``(x1, x2, y)`` calls ``net(x1, x2)``.
The loss and the metrics are called as ``fn(preds, targets)``, in this order.
"""
from __future__ import annotations

import copy
import math
import os
import warnings

import pandas as pd
from tqdm.auto import tqdm

from .. import optim
from ..autograd.grad_mode import no_grad
from ..backend import CPU, device as Device
from ..metrics import BatchMean
from ..nn import Module
from ..ops.joining import cat
from ..serialization import load, save
from ..tensor import Tensor
from ._plot import LivePlot

__all__ = ["KerasModel"]


def _to(obj, device):
    """Tensors (possibly inside tuples and lists) moved to ``device``."""
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, (tuple, list)):
        return type(obj)(_to(o, device) for o in obj)
    return obj


def _split(batch):
    """``(inputs, targets)`` of a batch ``(x, ..., y)``."""
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise TypeError("each batch must be a tuple (inputs..., targets), as a DataLoader over "
                        f"a TensorDataset(x, y) yields; got {type(batch).__name__}"
                        + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else ""))
    return tuple(batch[:-1]), batch[-1]


def _inputs(batch):
    """The inputs of a batch given to ``predict``: a tensor, ``(x,)`` or ``(x, ..., y)``."""
    if isinstance(batch, Tensor):
        return (batch,)
    return tuple(batch) if len(batch) == 1 else tuple(batch[:-1])


def _concat(outputs):
    if isinstance(outputs[0], Tensor):
        return cat(outputs)
    return type(outputs[0])(_concat(list(parts)) for parts in zip(*outputs))


def _check_loss(loss):
    if not isinstance(loss, Tensor):
        raise TypeError(f"loss_fn must return a Tensor, got {type(loss).__name__}")
    if loss.numel() != 1:
        raise ValueError(f"loss_fn must return a scalar, got a tensor of shape "
                         f"{list(loss.shape)}: reduce it (reduction='mean' or .mean())")


class KerasModel(Module):
    """Wraps ``net`` (``forward`` delegates to it) with its loss, metrics and optimizer.

    ``metrics_dict`` maps names to metrics (``autodiff.metrics`` objects, or plain functions
    ``fn(preds, targets)``, averaged over batches); ``optimizer`` defaults to
    ``Adam(net.parameters(), lr=1e-3)`` and is created once, here. ``lr_scheduler`` steps once
    per epoch (``lr_scheduler_step='epoch'``, ``ReduceLROnPlateau`` receiving the monitored
    value) or after every optimizer step (``'batch'``).

    After ``fit``: ``history`` (a dict of lists, one entry per epoch, in the columns' order),
    ``best_epoch`` and ``best_score`` (of the monitored column), ``ckpt_path``.
    """

    def __init__(self, net, loss_fn, metrics_dict=None, optimizer=None, lr_scheduler=None,
                 lr_scheduler_step="epoch"):
        super().__init__()
        if not isinstance(net, Module):
            raise TypeError(f"net must be an nn.Module, got {type(net).__name__}")
        if not callable(loss_fn):
            raise TypeError(f"loss_fn must be callable as loss_fn(preds, targets), got "
                            f"{type(loss_fn).__name__}")
        if optimizer is not None and not isinstance(optimizer, optim.Optimizer):
            raise TypeError(f"optimizer must be an Optimizer instance, got {optimizer!r}")
        if lr_scheduler_step not in ("epoch", "batch"):
            raise ValueError(f"lr_scheduler_step must be 'epoch' or 'batch', got "
                             f"{lr_scheduler_step!r}")
        if (lr_scheduler_step == "batch"
                and isinstance(lr_scheduler, optim.lr_scheduler.ReduceLROnPlateau)):
            raise ValueError("ReduceLROnPlateau needs the monitored value of each epoch: use "
                             "lr_scheduler_step='epoch'")
        self.net = net
        self.loss_fn = loss_fn
        self.metrics_dict = {}
        for name, metric in (metrics_dict or {}).items():
            if not isinstance(name, str) or name in ("loss", "lr", "epoch"):
                raise ValueError(f"invalid metric name {name!r} (a string other than 'loss', "
                                 "'lr' and 'epoch')")
            if isinstance(metric, type):
                raise TypeError(f"metric '{name}' must be an instance: write "
                                f"{metric.__name__}(...)")
            is_metric = hasattr(metric, "compute") and hasattr(metric, "reset")
            self.metrics_dict[name] = metric if is_metric else BatchMean(metric)
        self.optimizer = (optimizer if optimizer is not None
                          else optim.Adam(net.parameters(), lr=1e-3))
        self.lr_scheduler = lr_scheduler
        self.lr_scheduler_step = lr_scheduler_step
        self.history = {}
        self.ckpt_path = None
        self.best_epoch = self.best_score = None

    def forward(self, *args, **kwargs):
        return self.net(*args, **kwargs)

    def _device(self):
        """The device of the net's parameters (CPU for a net without any)."""
        param = next(self.net.parameters(), None)
        return param.device if param is not None else CPU

    # ---- one step, one epoch -----------------------------------------------------------------
    def _step(self, batch, train, metrics, device):
        """Run one batch; returns its values (loss and metrics) and its number of samples."""
        inputs, targets = _to(_split(batch), device)
        if train:
            self.optimizer.zero_grad()
        preds = self.net(*inputs)
        loss = self.loss_fn(preds, targets)
        _check_loss(loss)
        if train:
            loss.backward()
            self.optimizer.step()
            if self.lr_scheduler is not None and self.lr_scheduler_step == "batch":
                self.lr_scheduler.step()
        values = {"loss": float(loss.detach())}
        for name, metric in metrics.items():
            try:
                values[name] = float(metric(preds, targets))
            except (TypeError, ValueError) as err:       # say which metric failed
                if type(err) not in (TypeError, ValueError):
                    raise
                raise type(err)(f"metric '{name}': {err}") from err
        n = targets.shape[0] if isinstance(targets, Tensor) and targets.ndim else 1
        return values, n

    def _run_epoch(self, data, stage, metrics, desc, quiet):
        """One pass over ``data``; returns ``{stage_loss: ..., stage_<metric>: ...}`` with the
        loss averaged over samples and each metric computed over the whole pass."""
        train = stage == "train"
        for metric in metrics.values():
            metric.reset()
        total, count = 0.0, 0
        bar = tqdm(data, desc=desc, total=len(data) if hasattr(data, "__len__") else None,
                   disable=quiet, leave=False)
        device = self._device()
        try:
            for batch in bar:
                values, n = self._step(batch, train, metrics, device)
                total, count = total + values["loss"] * n, count + n
                bar.set_postfix(values, refresh=False)
        finally:
            bar.close()
        if count == 0:
            raise ValueError(f"the {stage} data yielded no batch")
        result = {f"{stage}_loss": total / count}
        result.update({f"{stage}_{name}": float(m.compute()) for name, m in metrics.items()})
        return result

    def _validate(self, data, metrics, desc, quiet):
        was_training = self.net.training
        self.net.eval()
        try:
            with no_grad():
                return self._run_epoch(data, "val", metrics, desc, quiet)
        finally:
            self.net.train(was_training)

    # ---- fit -----------------------------------------------------------------------------------
    def _columns(self, with_val):
        metrics = list(self.metrics_dict)
        columns = ["epoch", "train_loss"] + [f"train_{m}" for m in metrics] + ["lr"]
        if with_val:
            columns += ["val_loss"] + [f"val_{m}" for m in metrics]
        return columns

    def _check_fit(self, columns, epochs, patience, monitor, mode, callbacks, with_val):
        if not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
        if patience is not None and (not isinstance(patience, int) or patience < 1):
            raise ValueError(f"patience must be a positive integer or None, got {patience!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        allowed = [c for c in columns if c not in ("epoch", "lr")]
        if monitor not in allowed:
            hint = (" (val_ columns exist only with val_data)"
                    if str(monitor).startswith("val_") and not with_val else "")
            raise ValueError(f"monitor={monitor!r} is not a column of the history{hint}; "
                             f"choose one of {allowed}")
        for cb in callbacks:
            if isinstance(cb, type):
                raise TypeError(f"callbacks must be instances, got the class {cb.__name__}: "
                                f"write {cb.__name__}(...)")

    def _notify(self, callbacks, event):
        for cb in callbacks:
            hook = getattr(cb, event, None)
            if hook is not None:
                hook(self)

    def _improved(self, score):
        if math.isnan(score):
            return False
        if self.best_score is None:
            return True
        return score < self.best_score if self.mode == "min" else score > self.best_score

    def _save_best(self):
        if self.ckpt_path is None:
            self._best_state = {k: v.clone() for k, v in self.net.state_dict().items()}
            return
        folder = os.path.dirname(self.ckpt_path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        save(self.net.state_dict(), self.ckpt_path)

    def _restore_best(self):
        if self.ckpt_path is None:
            self.net.load_state_dict(self._best_state)
        else:
            self.load_ckpt(self.ckpt_path)

    def _epoch_line(self, epochs):
        row = {c: v[-1] for c, v in self.history.items()}
        parts = [f"epoch {row.pop('epoch')}/{epochs}"]
        parts += [f"{c}={v:.4g}" for c, v in row.items()]
        if self.best_epoch == len(self.history["epoch"]):
            parts.append(f"[best {self.monitor}]")
        return "  ".join(parts)

    def fit(self, train_data, val_data=None, epochs=10, ckpt_path="checkpoint", patience=5,
            monitor="val_loss", mode="min", callbacks=None, plot=True, quiet=False,
            device=None):
        """Train for up to ``epochs`` epochs and return the history as a DataFrame with the
        columns ``epoch, train_loss, train_<metric>..., lr, val_loss, val_<metric>...``.

        After each epoch, an improvement of ``monitor`` (lower for ``mode='min'``, higher for
        'max') saves the net's ``state_dict`` to ``ckpt_path`` (kept in memory when None);
        ``patience`` epochs without improvement stop the training (None: never). At the end the
        best weights are loaded back. ``lr`` is the first parameter group's learning rate
        during the epoch. ``plot`` draws the train/val curves of the monitored quantity, live in
        Jupyter, and saves them next to the checkpoint (``<ckpt>_history.png``, or
        ``model_history.png`` when ``ckpt_path`` is None). ``quiet``
        silences the progress bars and messages. ``device`` (default: where the parameters
        are) is where the model and the batches go. Callbacks are objects with any of the
        methods ``on_fit_start``, ``on_train_epoch_end``, ``on_validation_epoch_end``,
        ``on_fit_end``, each called with this model; setting ``model.stop_training = True``
        ends the training after the current epoch.
        """
        callbacks = list(callbacks or [])
        columns = self._columns(val_data is not None)
        self._check_fit(columns, epochs, patience, monitor, mode, callbacks,
                        val_data is not None)
        device = Device(device) if device is not None else self._device()
        self.to(device)
        if not quiet:
            print(f"Training on device: {device}")
        self.epochs, self.patience, self.monitor, self.mode = epochs, patience, monitor, mode
        self.ckpt_path, self.best_epoch, self.best_score = ckpt_path, None, None
        self.stop_training = False
        self.history = {c: [] for c in columns}
        if plot:
            stem = os.path.splitext(ckpt_path)[0] if ckpt_path is not None else "model"
            callbacks.insert(0, LivePlot(f"{stem}_history.png", quiet=quiet))
        train_metrics = {k: copy.deepcopy(m).to(device) for k, m in self.metrics_dict.items()}
        val_metrics = {k: copy.deepcopy(m).to(device) for k, m in self.metrics_dict.items()}
        plateau = isinstance(self.lr_scheduler, optim.lr_scheduler.ReduceLROnPlateau)
        stopped = False

        self._notify(callbacks, "on_fit_start")
        for epoch in range(1, epochs + 1):
            lr = float(self.optimizer.param_groups[0]["lr"])
            self.net.train()
            row = {"epoch": epoch}
            row.update(self._run_epoch(train_data, "train", train_metrics,
                                       f"Epoch {epoch}/{epochs} train", quiet))
            row["lr"] = lr
            for c in columns:            # val columns stay nan until validation fills them
                self.history[c].append(row.get(c, math.nan))
            self._notify(callbacks, "on_train_epoch_end")
            if val_data is not None:
                for c, v in self._validate(val_data, val_metrics, f"Epoch {epoch}/{epochs} val",
                                           quiet).items():
                    self.history[c][-1] = v
            score = self.history[monitor][-1]
            if self._improved(score):
                self.best_epoch, self.best_score = epoch, score
                self._save_best()
            self._notify(callbacks, "on_validation_epoch_end")
            if self.lr_scheduler is not None and self.lr_scheduler_step == "epoch":
                if plateau:
                    self.lr_scheduler.step(score)
                else:
                    self.lr_scheduler.step()
            if not quiet:
                print(self._epoch_line(epochs))
            waited = epoch - (self.best_epoch or 0)
            if patience is not None and waited >= patience and epoch < epochs:
                stopped = True
                break
            if self.stop_training:
                break

        message = (f"Early stopping at epoch {epoch}: {monitor} has not improved for "
                   f"{patience} epochs. " if stopped else "")
        if self.best_epoch is not None:
            self._restore_best()
            message += (f"Restored the best weights, from epoch {self.best_epoch} "
                        f"({monitor}={self.best_score:.4g}).")
        else:
            warnings.warn(f"{monitor} was nan at every epoch: no checkpoint was saved and the "
                          "weights of the last epoch are kept", RuntimeWarning, stacklevel=2)
        if not quiet and message:
            print(message)
        self._notify(callbacks, "on_fit_end")
        return pd.DataFrame(self.history)

    # ---- after training ------------------------------------------------------------------------
    def evaluate(self, val_data, quiet=False):
        """``{'val_loss': ..., 'val_<metric>': ...}`` over ``val_data`` (eval mode, no_grad)."""
        device = self._device()
        metrics = {k: copy.deepcopy(m).to(device) for k, m in self.metrics_dict.items()}
        return self._validate(val_data, metrics, "Evaluate", quiet)

    def predict(self, data):
        """The net's outputs over ``data`` (a tensor, or batches ``x``, ``(x,)`` or
        ``(x, ..., y)``), concatenated along the first dimension; eval mode, no_grad."""
        device = self._device()
        was_training = self.net.training
        self.net.eval()
        try:
            with no_grad():
                batches = [data] if isinstance(data, Tensor) else data
                outputs = [self.net(*_to(_inputs(b), device)) for b in batches]
        finally:
            self.net.train(was_training)
        if not outputs:
            raise ValueError("predict() got no batch")
        return _concat(outputs)

    def load_ckpt(self, ckpt_path=None):
        """Load the weights saved at ``ckpt_path`` (default: the last ``fit``'s) into the net."""
        path = ckpt_path if ckpt_path is not None else self.ckpt_path
        if path is None:
            raise ValueError("no checkpoint path: pass ckpt_path")
        self.net.load_state_dict(load(path, map_location=self._device()))
