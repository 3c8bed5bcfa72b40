"""Importing a data set's package only when its loader is called."""
from __future__ import annotations

import importlib


def require(module, package, loader):
    """``import module``, or an ImportError telling which package ``loader`` needs."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"autodiff.datasets.{loader}() needs the '{package}' package: "
                          f"pip install {package}") from None
