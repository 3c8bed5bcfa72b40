"""Utilities beside the tensor library proper: ``autodiff.utils.data`` (datasets and loaders)."""
from . import data  # noqa: F401
