"""Convolution layers: ``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d``, with torch's arguments,
parameter shapes, initialisation (Kaiming uniform with ``a = sqrt(5)``) and reprs."""
from __future__ import annotations

from ...ops import conv as C
from ...ops.padding import pad
from .linear import _kaiming_reset, _weight_and_bias
from .module import Module
from .utils import _ntuple

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What every convolution layer shares: checks, parameters, init and repr."""

    _nd = 0

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode, device=None,
                 dtype=None):
        super().__init__()
        nd = self._nd
        kernel_size, stride = _ntuple(kernel_size, nd), _ntuple(stride, nd)
        dilation = _ntuple(dilation, nd)
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _ntuple(padding, nd)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {{'zeros', 'reflect', 'replicate', "
                             f"'circular'}}, but got padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.transposed = dilation, transposed
        self.output_padding, self.groups = output_padding, groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = self._pad_amounts()
        shape = ((in_channels, out_channels // groups) if transposed
                 else (out_channels, in_channels // groups)) + kernel_size
        _weight_and_bias(self, shape, out_channels, bias, device, dtype)
        self.reset_parameters()

    def _pad_amounts(self):
        """The padding as ``F.pad`` takes it (last dim first), for non-zero padding modes."""
        if not isinstance(self.padding, str):
            return [p for p in reversed(self.padding) for _ in range(2)]
        amounts = [0, 0] * self._nd
        if self.padding == "same":
            for i, (d, k) in enumerate(zip(reversed(self.dilation), reversed(self.kernel_size))):
                total = d * (k - 1)
                amounts[2 * i], amounts[2 * i + 1] = total // 2, total - total // 2
        return amounts

    def reset_parameters(self):
        _kaiming_reset(self.weight, self.bias)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, (0,) * self._nd, groups, bias, padding_mode, device, dtype)

    def _conv_forward(self, input, weight, bias):
        fn = (C.conv1d, C.conv2d, C.conv3d)[self._nd - 1]
        if self.padding_mode != "zeros":
            input = pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return fn(input, weight, bias, self.stride, 0, self.dilation, self.groups)
        return fn(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-D convolution over ``(N, C_in, L)``: weight ``(C_out, C_in/groups, k)``."""
    _nd = 1


class Conv2d(_Conv):
    """2-D convolution over ``(N, C_in, H, W)``: weight ``(C_out, C_in/groups, kh, kw)``."""
    _nd = 2


class Conv3d(_Conv):
    """3-D convolution over ``(N, C_in, D, H, W)``: weight ``(C_out, C_in/groups, kd, kh, kw)``."""
    _nd = 3


class _ConvTranspose(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         True, _ntuple(output_padding, self._nd), groups, bias, padding_mode,
                         device, dtype)

    def _output_padding(self, input, output_size):
        """The output_padding that makes the output ``output_size`` (torch's rule)."""
        if output_size is None:
            return self.output_padding
        nd = self._nd
        output_size = list(output_size)
        lead = 2 if input.ndim == nd + 2 else 1
        if len(output_size) == nd + lead:
            output_size = output_size[lead:]
        if len(output_size) != nd:
            raise ValueError(f"ConvTranspose{nd}D: for {input.ndim}D input, output_size must "
                             f"have {nd} or {nd + lead} elements (got {len(output_size)})")
        smallest = [(input.shape[lead + d] - 1) * self.stride[d] - 2 * self.padding[d]
                    + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(nd)]
        largest = [s + self.stride[d] - 1 for d, s in enumerate(smallest)]
        if any(not lo <= o <= hi for o, lo, hi in zip(output_size, smallest, largest)):
            raise ValueError(f"requested an output size of {output_size}, but valid sizes range "
                             f"from {smallest} to {largest} (for an input of "
                             f"{input.shape[lead:]})")
        return tuple(o - lo for o, lo in zip(output_size, smallest))

    def forward(self, input, output_size=None):
        fn = (C.conv_transpose1d, C.conv_transpose2d, C.conv_transpose3d)[self._nd - 1]
        return fn(input, self.weight, self.bias, self.stride, self.padding,
                  self._output_padding(input, output_size), self.groups, self.dilation)


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution: weight ``(C_in, C_out/groups, k)``."""
    _nd = 1


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution ("deconvolution"): weight ``(C_in, C_out/groups, kh, kw)``."""
    _nd = 2


class ConvTranspose3d(_ConvTranspose):
    """3-D transposed convolution: weight ``(C_in, C_out/groups, kd, kh, kw)``."""
    _nd = 3
