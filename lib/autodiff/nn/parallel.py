"""``nn.DataParallel``: torch's multi-GPU wrapper, kept so that course code using it runs.

autodiff computes on one device: the wrapper moves the module to the first of its
``device_ids`` and the inputs with it, and calls the module there (what torch does when it is
given a single GPU). On a machine without CUDA it simply calls the module, as torch does.
"""
from __future__ import annotations

from itertools import chain

from .. import cuda
from ..backend import device as Device
from ..tensor import Tensor
from .modules.module import Module

__all__ = ["DataParallel"]


def _device_index(d) -> int:
    """A CUDA device index from an int, a string or a device (no index: the current one)."""
    if isinstance(d, int) and not isinstance(d, bool):
        return d
    d = Device(d)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return cuda.current_device() if d.index is None else d.index


def _moved(obj, device):
    """``obj`` with every tensor inside (tuples, lists, dicts) moved to ``device``."""
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):          # a namedtuple
        return type(obj)(*(_moved(x, device) for x in obj))
    if isinstance(obj, (tuple, list)):
        return type(obj)(_moved(x, device) for x in obj)
    if isinstance(obj, dict):
        return {k: _moved(v, device) for k, v in obj.items()}
    return obj


class DataParallel(Module):
    """Runs ``module`` on ``device_ids[0]``; ``.module`` is the wrapped model, so its
    ``state_dict`` keys carry the prefix ``module.`` as in torch."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        if not cuda.is_available():
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = list(range(cuda.device_count()))
        self.dim = dim
        self.device_ids = [_device_index(d) for d in device_ids]
        self.output_device = _device_index(device_ids[0] if output_device is None
                                           else output_device)
        self.src_device_obj = Device("cuda", self.device_ids[0])
        self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        for t in chain(self.module.parameters(), self.module.buffers()):
            if t.device != self.src_device_obj:
                raise RuntimeError("module must have its parameters and buffers on device "
                                   f"{self.src_device_obj} (device_ids[0]) but found one of "
                                   f"them on device: {t.device}")
        out = self.module(*_moved(inputs, self.src_device_obj),
                          **_moved(kwargs, self.src_device_obj))
        if len(self.device_ids) == 1:
            return out
        return _moved(out, Device("cuda", self.output_device))
