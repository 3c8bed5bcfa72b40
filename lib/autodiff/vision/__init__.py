"""What torchvision gives the course: ``datasets.ImageFolder``, ``transforms`` and
``utils.make_grid`` / ``save_image``. Images are read and written with Pillow."""
from . import datasets, transforms, utils  # noqa: F401
