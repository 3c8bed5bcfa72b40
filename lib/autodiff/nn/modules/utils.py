"""Argument helpers shared by the layers."""
from __future__ import annotations


def _ntuple(value, n):
    """An int repeated ``n`` times (one value for every dim or side); a tuple or list as
    given."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
