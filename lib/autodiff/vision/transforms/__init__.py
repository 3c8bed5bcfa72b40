"""Image transforms (``torchvision.transforms``): classes here, functions in ``functional``."""
from . import functional  # noqa: F401
from .transforms import *  # noqa: F401,F403
from .transforms import __all__  # noqa: F401
