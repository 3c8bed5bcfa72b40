"""Named tuples returned by ops such as ``max(dim=...)``: ``autodiff.return_types.max``."""
from __future__ import annotations

from collections import namedtuple

__all__ = []


def _make(name, fields=("values", "indices")):
    base = namedtuple(name, fields)

    def __repr__(self):
        from ._printing import return_types_repr
        return return_types_repr(name, dict(zip(self._fields, self)))

    cls = type(name, (base,), {"__repr__": __repr__, "__slots__": (),
                               "__module__": "autodiff.return_types"})
    globals()[name] = cls
    __all__.append(name)
    return cls


for _n in ("max", "min", "median", "nanmedian", "mode", "kthvalue", "sort", "topk", "cummax",
           "cummin", "aminmax"):
    _make(_n, ("min", "max") if _n == "aminmax" else ("values", "indices"))
_make("qr", ("Q", "R"))
_make("svd", ("U", "S", "V"))
_make("linalg_svd", ("U", "S", "Vh"))
_make("linalg_eig", ("eigenvalues", "eigenvectors"))
_make("linalg_eigh", ("eigenvalues", "eigenvectors"))
_make("linalg_qr", ("Q", "R"))
_make("linalg_slogdet", ("sign", "logabsdet"))
_make("slogdet", ("sign", "logabsdet"))
_make("geqrf", ("a", "tau"))
