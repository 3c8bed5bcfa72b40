"""The learning curves that ``KerasModel.fit(plot=True)`` draws: the monitored quantity on the
training and validation data, epoch after epoch, with the best epoch starred.

The figure is a bare ``matplotlib.figure.Figure`` (no pyplot, so no GUI window and no global
state) rendered to PNG: saved to a file after every epoch, and in Jupyter also shown in one
output that is updated in place.
"""
from __future__ import annotations

import io
import os

__all__ = ["LivePlot", "in_jupyter"]


def in_jupyter() -> bool:
    """True inside a Jupyter kernel (where a figure can be shown and updated live)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class LivePlot:
    """Callback drawing ``train_<m>`` and ``val_<m>`` for the monitored ``<m>`` into ``path``."""

    def __init__(self, path, quiet=False, figsize=(6, 4)):
        self.path, self.quiet, self.figsize = path, quiet, figsize
        self.jupyter = in_jupyter()
        self._handle = None

    def on_fit_start(self, model):
        self.metric = model.monitor.split("_", 1)[1]

    def on_validation_epoch_end(self, model):
        self._draw(model)

    def on_fit_end(self, model):
        self._draw(model)
        if not self.quiet and not self.jupyter:
            print(f"Learning curves saved to {os.path.abspath(self.path)}")

    def _draw(self, model):
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        history = model.history
        fig = Figure(figsize=self.figsize)
        ax = fig.add_subplot()
        for stage, style in (("train", "o--"), ("val", "o-")):
            column = f"{stage}_{self.metric}"
            if column in history:
                ax.plot(history["epoch"], history[column], style, label=column)
        if model.best_epoch is not None:
            ax.plot([model.best_epoch], [model.best_score], "r*", markersize=14,
                    label=f"best {model.monitor}")
            ax.set_title(f"best {model.monitor} = {model.best_score:.4g} "
                         f"(epoch {model.best_epoch})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(self.metric)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="best")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        png = buffer.getvalue()
        folder = os.path.dirname(self.path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(self.path, "wb") as f:
            f.write(png)
        if self.jupyter:
            from IPython.display import Image, display
            if self._handle is None:
                self._handle = display(Image(data=png), display_id=True)
            else:
                self._handle.update(Image(data=png))
