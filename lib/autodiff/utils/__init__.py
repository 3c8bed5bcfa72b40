"""Utilities beside the tensor library proper: ``autodiff.utils.data`` (datasets and loaders),
``autodiff.utils.tensorboard`` (``SummaryWriter``, imported on first use) and
``draw_graph`` (a computation graph as an SVG drawing for notebooks)."""
import importlib

from . import data  # noqa: F401
from .graph_drawing import draw_graph  # noqa: F401


def __getattr__(name):
    """``autodiff.utils.tensorboard`` is imported when first used: tensorboard and protobuf
    are not loaded by ``import autodiff``."""
    if name == "tensorboard":
        return importlib.import_module(".tensorboard", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
