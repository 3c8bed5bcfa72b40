"""The differentiable operations, one family per module.

Each module lists in ``__all__`` the functions exported as ``autodiff.<name>``, in
``__methods__`` those that are also ``Tensor`` methods, and in ``__inplace__`` those that get an
in-place ``Tensor.<name>_`` as well (see ``autodiff/_methods.py``).
"""
from . import (arithmetic, comparison, conversion, indexing, inplace, joining, linalg,
               reduction, selection, shape, unary)

MODULES = (arithmetic, unary, comparison, conversion, shape, indexing, reduction, selection,
           joining, linalg)

# nn ops that torch also has at top level (torch.dropout, torch.layer_norm, torch.selu, ...)
from . import activation, distance, dropout, normalization  # noqa: E402
MODULES += (activation, distance, dropout, normalization)
from . import avg_pooling, conv, fold, padding, pooling  # noqa: E402  (torch.conv2d, ...)
MODULES += (conv, pooling, avg_pooling, padding, fold)
from . import construction, pointwise, statistics  # noqa: E402  (addcmul, quantile, block_diag, ...)
MODULES += (pointwise, statistics, construction)
from . import misc_math  # noqa: E402  (float_power, gcd, frexp, renorm, slice_scatter, ...)
MODULES += (misc_math,)
