"""Images: a photo for augmentation demos, and the digits written as image files."""
from __future__ import annotations

import os
import pathlib

import numpy as np

from ._require import require

__all__ = ["sample_image", "write_digits_image_folder"]


def sample_image():
    """Grace Hopper's portrait, an RGB PIL image 512 wide and 600 high, shipped with matplotlib.

    Source: ``matplotlib.cbook.get_sample_data('grace_hopper.jpg')`` (U.S. Navy photograph).
    Licence: public domain.
    """
    cbook = require("matplotlib.cbook", "matplotlib", "sample_image")
    Image = require("PIL.Image", "pillow", "sample_image")
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        return Image.open(f).convert("RGB")


def write_digits_image_folder(root, classes=(0, 1), val_fraction=0.2, seed=0):
    """Write the handwritten digits of ``classes`` as 8x8 grayscale PNG files, in the layout
    ``ImageFolder`` reads: ``root/train/<digit>/<n>.png`` and ``root/val/<digit>/<n>.png``.

    Each class is split at random (fixed by ``seed``) with ``val_fraction`` of its images in
    val; ``<n>`` is the image's index in ``sklearn.datasets.load_digits``. Returns ``root`` as a
    ``pathlib.Path``. Data source and licence: see ``load_digits``.
    """
    datasets = require("sklearn.datasets", "scikit-learn", "write_digits_image_folder")
    Image = require("PIL.Image", "pillow", "write_digits_image_folder")
    digits = datasets.load_digits()
    pixels = np.round(digits.images * (255 / 16)).astype(np.uint8)
    rng = np.random.default_rng(seed)
    root = pathlib.Path(root)
    for digit in classes:
        indices = np.flatnonzero(digits.target == digit)
        if len(indices) == 0:
            raise ValueError(f"there is no digit {digit!r}; classes must be among 0 .. 9")
        indices = indices[rng.permutation(len(indices))]
        n_val = int(round(len(indices) * val_fraction))
        for split, part in (("val", indices[:n_val]), ("train", indices[n_val:])):
            folder = root / split / str(digit)
            os.makedirs(folder, exist_ok=True)
            for i in part:
                Image.fromarray(pixels[i], mode="L").save(folder / f"{i:04d}.png")
    return root
