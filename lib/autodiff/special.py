"""``autodiff.special``, as ``torch.special``: the special functions of real arguments.

Most names are the library's own ops under SciPy's names (``expit`` is ``sigmoid``, ``gammaln``
is ``lgamma``, ``psi`` is ``digamma``); the functions only torch.special has live in
``ops/special_functions.py``. torch.special's orthogonal polynomials and ``airy_ai`` are not
provided (see ``MISSING``).
"""
from .ops.arithmetic import _out
from .ops.softmax import log_softmax, logsumexp, softmax
from .ops.special_functions import (
    bessel_j0, bessel_j1, bessel_y0, bessel_y1, entr, erfcx, gammainc, gammaincc, i0, i0e, i1,
    i1e, log_ndtr, modified_bessel_i0, modified_bessel_i1, modified_bessel_k0, modified_bessel_k1,
    multigammaln, ndtr, ndtri, scaled_modified_bessel_k0, scaled_modified_bessel_k1,
    spherical_bessel_j0, xlog1py, zeta)
from .ops._linalg_util import TYPE_NAMES
from .ops.unary import RoundDecimals
from .ops.unary import (digamma, erf, erfc, erfinv, exp2, expm1, log1p, logit, polygamma, sinc,
                        xlogy)
from .ops.unary import digamma as psi
from .ops.unary import lgamma as gammaln
from .ops.unary import sigmoid as expit

__all__ = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "digamma", "entr", "erf", "erfc",
           "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc", "gammaincc", "gammaln", "i0",
           "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp",
           "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
           "modified_bessel_k1", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round",
           "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "sinc", "softmax",
           "spherical_bessel_j0", "xlog1py", "xlogy", "zeta"]

#: torch.special's functions that autodiff.special does not have (yet)
MISSING = ["airy_ai", "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
           "chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
           "laguerre_polynomial_l", "legendre_polynomial_p", "shifted_chebyshev_polynomial_t",
           "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w"]


def round(input, *, decimals=0, out=None):
    """Round half to even, to ``decimals`` places; unlike ``autodiff.round`` it always records
    ``RoundBackward1`` and refuses integer tensors, as torch.special.round does."""
    if not input.is_floating_point():
        raise NotImplementedError(f'"round_vml_cpu" not implemented for '
                                  f"'{TYPE_NAMES[input.dtype.name]}'")
    return _out(RoundDecimals.apply(input, decimals), out)
