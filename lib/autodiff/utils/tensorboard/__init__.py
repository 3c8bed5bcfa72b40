"""``autodiff.utils.tensorboard``: ``SummaryWriter`` logs scalars, histograms, images, figures,
text, hyperparameters and a model's computation graph for TensorBoard, as
``torch.utils.tensorboard`` does. It needs the ``tensorboard`` package only: neither
TensorFlow nor PyTorch is imported.
"""
import sys
import types

try:
    import tensorboard  # noqa: F401
except ImportError as error:            # pragma: no cover - tensorboard is a dependency
    raise ImportError("TensorBoard logging requires the tensorboard package "
                      "(pip install tensorboard).") from error

# tensorboard reaches the file system through TensorFlow when TensorFlow is installed (a
# multi-second import); this marker module makes it use its own small stub instead.
if "tensorflow" not in sys.modules:
    sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))

from .writer import SummaryWriter  # noqa: E402

__all__ = ["SummaryWriter"]
