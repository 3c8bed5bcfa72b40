"""Broadcasting several tensors to one shape: broadcast_shapes, broadcast_tensors, meshgrid.

Broadcast results are *views* made with ``expand`` (no data is copied), so their gradient is
``expand``'s: the incoming gradient summed back over the broadcast dims. Part of the joining
family: ``joining.py`` re-exports these names.
"""
from __future__ import annotations

import warnings

from ._util import check_same_device

__all__ = ["broadcast_shapes", "broadcast_tensors", "meshgrid"]


def broadcast_shape(*shapes):
    """The shape all ``shapes`` broadcast to (torch's error message when they do not)."""
    out = []
    for shape in shapes:
        a, b = out[::-1], list(shape)[::-1]
        res = []
        for i in range(max(len(a), len(b))):
            x, y = (a[i] if i < len(a) else 1), (b[i] if i < len(b) else 1)
            if x != y and x != 1 and y != 1:
                raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                                   f"({y}) at non-singleton dimension "
                                   f"{max(len(a), len(b)) - 1 - i}")
            res.append(y if x == 1 else x)
        out = res[::-1]
    return tuple(out)


def broadcast_shapes(*shapes):
    """The ``Size`` that tensors of these shapes broadcast to."""
    from .._size import Size
    out = ()
    for k, shape in enumerate(shapes):
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        pad = (1,) * (len(shape) - len(out)) + out
        for i in range(1, min(len(shape), len(pad)) + 1):
            if shape[-i] != pad[-i] and 1 not in (shape[-i], pad[-i]):
                raise RuntimeError(f"Attempting to broadcast a dimension of length {shape[-i]} at "
                                   f"{-i}! Mismatching argument at index {k} had {shape}; but "
                                   f"expected shape should be broadcastable to {list(pad)}")
        out = broadcast_shape(out, shape)
    return Size(out)


def broadcast_tensors(*tensors):
    """Expand all tensors to their common broadcast shape (views; unchanged ones as they are)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shape(*(t._data.shape for t in tensors))
    return tuple(t if t._data.shape == shape else t.expand(shape) for t in tensors)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids: output ``i`` repeats ``tensors[i]`` along every other dim (views).

    ``indexing='ij'`` (matrix, the default) or ``'xy'`` (Cartesian: the first two dims swap).
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError('torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f"{indexing}")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {list(t.shape)}")
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
        check_same_device(tensors[0]._data, t._data)
    swap = indexing == "xy" and len(tensors) >= 2
    ts = [tensors[1], tensors[0], *tensors[2:]] if swap else list(tensors)
    shape = tuple(t.numel() for t in ts)
    grids = []
    for i, t in enumerate(ts):
        line = [1] * len(ts)
        line[i] = -1
        grids.append(t.reshape(line).expand(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)
