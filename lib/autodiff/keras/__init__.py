"""``autodiff.keras``: the high-level API of the course -- ``KerasModel`` (fit / evaluate /
predict with progress bars, checkpoints, early stopping, learning curves), ``summary`` (the
layer table of a model) and training callbacks such as ``TensorBoardCallback``."""
from .callbacks import Callback, TensorBoardCallback
from .model import KerasModel
from .summary import ModelSummary, summary

__all__ = ["KerasModel", "summary", "ModelSummary", "Callback", "TensorBoardCallback"]
