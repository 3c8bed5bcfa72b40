"""Padding layers: constant (``ZeroPad``, ``ConstantPad``), ``ReflectionPad``,
``ReplicationPad`` and ``CircularPad`` in 1-D, 2-D and 3-D. ``padding`` is an int (every side)
or torch's tuple, last dim first: ``(left, right, top, bottom, front, back)``."""
from __future__ import annotations

from ...ops.padding import pad
from .module import Module
from .utils import _ntuple

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]


class _PadNd(Module):
    """``F.pad(input, self.padding, self._mode)``; the repr shows the padding tuple."""
    _nd = 0
    _mode = ""

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(padding, 2 * self._nd)     # an int pads every side

    def forward(self, input):
        return pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    _mode = "constant"

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``."""
    _nd = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with ``value``."""
    _nd = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with ``value``."""
    _nd = 3


class _Zeros:
    """Constant padding with 0.0 (the repr shows only the amounts)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_Zeros, ConstantPad1d):
    """Pad the last dim with zeros."""


class ZeroPad2d(_Zeros, ConstantPad2d):
    """Pad the last two dims with zeros."""


class ZeroPad3d(_Zeros, ConstantPad3d):
    """Pad the last three dims with zeros."""


class ReflectionPad1d(_PadNd):
    """Pad the last dim with its mirror image (the edge itself not repeated)."""
    _nd, _mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Pad the last two dims with their mirror image."""
    _nd, _mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Pad the last three dims with their mirror image."""
    _nd, _mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating its edge values."""
    _nd, _mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Pad the last two dims by repeating their edge values."""
    _nd, _mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Pad the last three dims by repeating their edge values."""
    _nd, _mode = 3, "replicate"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        if input.ndim not in (self._nd + 1, self._nd + 2):
            raise ValueError(f"expected {self._nd + 1}D or {self._nd + 2}D input (got "
                             f"{input.ndim}D input)")
        return pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """Pad the last dim by wrapping around (periodic boundary)."""
    _nd = 1


class CircularPad2d(_CircularPadNd):
    """Pad the last two dims by wrapping around."""
    _nd = 2


class CircularPad3d(_CircularPadNd):
    """Pad the last three dims by wrapping around."""
    _nd = 3
