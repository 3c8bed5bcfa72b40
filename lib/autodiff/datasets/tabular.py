"""Tables: Palmer penguins, handwritten digits, iris."""
from __future__ import annotations

import numpy as np

from ._require import require

__all__ = ["load_penguins", "load_digits", "load_iris"]


def load_penguins():
    """The Palmer penguins: 344 rows, columns species, island, bill_length_mm, bill_depth_mm,
    flipper_length_mm, body_mass_g, sex, year (some values missing).

    Source: the ``palmerpenguins`` package (Horst, Hill & Gorman 2020, data collected by
    Dr. Kristen Gorman at Palmer Station, Antarctica LTER). Licence: CC0 1.0.
    """
    return require("palmerpenguins", "palmerpenguins", "load_penguins").load_penguins()


def _as_dataset(features, target):
    from .._creation import tensor
    from ..utils.data import TensorDataset
    return TensorDataset(tensor(np.asarray(features, np.float32)),
                         tensor(np.asarray(target, np.int64)))


def load_digits(as_frame=True, n_class=10):
    """1797 handwritten digits, 8x8 pixels with values 0..16 (``n_class`` < 10 keeps the digits
    0 .. n_class-1).

    ``as_frame=True``: a DataFrame with columns pixel_0_0 .. pixel_7_7 and target.
    ``as_frame=False``: a TensorDataset of ``(image, label)``, images float32 ``(1, 8, 8)``
    scaled to [0, 1], labels int64.

    Source: ``sklearn.datasets.load_digits`` (UCI ML hand-written digits, Alpaydin & Kaynak
    1998). Licence: CC BY 4.0.
    """
    datasets = require("sklearn.datasets", "scikit-learn", "load_digits")
    bunch = datasets.load_digits(n_class=n_class, as_frame=as_frame)
    if as_frame:
        return bunch.frame
    return _as_dataset(bunch.images[:, None] / 16.0, bunch.target)


def load_iris(as_frame=True):
    """Fisher's 150 iris flowers: four measurements in cm and the species.

    ``as_frame=True``: a DataFrame with columns 'sepal length (cm)', 'sepal width (cm)',
    'petal length (cm)', 'petal width (cm)', target (0, 1, 2) and species (its name).
    ``as_frame=False``: a TensorDataset of ``(features float32 (4,), label int64)``.

    Source: ``sklearn.datasets.load_iris`` (Fisher 1936, UCI ML repository).
    Licence: CC BY 4.0.
    """
    datasets = require("sklearn.datasets", "scikit-learn", "load_iris")
    bunch = datasets.load_iris(as_frame=as_frame)
    if not as_frame:
        return _as_dataset(bunch.data, bunch.target)
    frame = bunch.frame
    frame["species"] = np.asarray(bunch.target_names)[frame["target"].to_numpy()]
    return frame
