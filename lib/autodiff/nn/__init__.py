"""``autodiff.nn``: modules (layers and models), parameters, losses, initialisation and the
functional API, with PyTorch's names: ``import autodiff.nn as nn``."""
from .parameter import Buffer, Parameter
from . import functional, init, utils
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all
from . import parallel
from .parallel import DataParallel

__all__ = ["Parameter", "Buffer", "functional", "init", "utils", "parallel",
           "DataParallel"] + list(_modules_all)
