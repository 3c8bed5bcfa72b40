"""``autodiff.Size``: a tuple of dimensions that prints like ``torch.Size``."""


class Size(tuple):
    """The shape of a tensor: ``autodiff.Size([2, 3])``."""

    def __repr__(self):
        return f"autodiff.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        """The number of elements of a tensor of this shape."""
        n = 1
        for d in self:
            n *= d
        return n

    def __getitem__(self, item):
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __reduce__(self):
        return (Size, (tuple(self),))
