"""The gamma distribution, and the differentiable standard-gamma sampler that Beta and
Dirichlet share.

Gamma draws come from the generator's own gamma sampler (NumPy/CuPy ``standard_gamma`` on
autodiff's generator). Their gradient is the *implicit reparameterisation* one: a draw ``z``
satisfies ``F(z; alpha) = u`` for the CDF ``F``, so ``dz/dalpha = -(dF/dalpha) / f(z; alpha)``.
``dF/dalpha`` is taken by a central difference of the regularised incomplete gamma function
(SciPy's ``gammainc``, as autodiff's ``lgamma`` already uses SciPy). torch uses a series
approximation instead; the two agree to about 1e-8."""
from __future__ import annotations

import numbers

from .. import _dtype as D
from .._random import _gen_for
from .._size import Size
from ..autograd.function import Function
from ..ops._util import xp_of
from ..ops.unary import _special
from ..tensor import Tensor
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Gamma"]


class StandardGamma(Function):
    """Draws ``z ~ Gamma(alpha, 1)``, differentiable in ``alpha`` (implicit reparameterisation)."""
    grad_name = "StandardGammaBackward0"

    @staticmethod
    def forward(ctx, alpha):
        a = alpha._data
        z = _gen_for(None, alpha.device).standard_gamma(a).astype(a.dtype, copy=False)
        z = xp_of(a).maximum(z, D.finfo(alpha.dtype).tiny)    # keep log(z) finite
        ctx.alpha, ctx.z = a, z
        return z

    @staticmethod
    def backward(ctx, grad):
        a, z = ctx.alpha, ctx.z
        xp = xp_of(a)
        gammainc, gammaln = _special(xp, "gammainc"), _special(xp, "gammaln")
        h = 1e-5 * xp.maximum(a, 1.0)
        dcdf = (gammainc(a + h, z) - gammainc(a - h, z)) / (2 * h)
        pdf = xp.exp((a - 1) * xp.log(z) - z - gammaln(a))
        return grad * Tensor._make((-dcdf / pdf).astype(a.dtype, copy=False))


def _standard_gamma(alpha):
    """Differentiable ``Gamma(alpha, 1)`` draws of ``alpha``'s shape."""
    return StandardGamma.apply(alpha)


class Gamma(Distribution):
    """``Gamma(concentration, rate)``: density ``rate^a x^(a-1) exp(-rate x) / Gamma(a)``."""
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        scalar = isinstance(concentration, numbers.Number) and isinstance(rate, numbers.Number)
        super().__init__(Size() if scalar else self.concentration.size(),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Gamma, batch_shape, ("concentration", "rate"), _instance)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=Size()):
        """``StandardGamma(concentration) / rate``."""
        shape = tuple(self._extended_shape(sample_shape))
        draw = _standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        return draw.clamp(min=D.finfo(draw.dtype).tiny)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration, self.rate
        return a.xlogy(b) + (a - 1).xlogy(value) - b * value - a.lgamma()

    def entropy(self):
        a = self.concentration
        return a - self.rate.log() + a.lgamma() + (1.0 - a) * a.digamma()
