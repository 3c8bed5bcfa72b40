"""The binomial distribution: the number of successes in ``total_count`` Bernoulli trials."""
from __future__ import annotations

from .._creation import arange
from .._sampling import bernoulli
from .._size import Size
from ..autograd import no_grad
from . import constraints
from .bernoulli import _BinaryParams, _binary_params
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Binomial"]


class Binomial(_BinaryParams, Distribution):
    """``Binomial(total_count, probs=p)`` or ``(total_count, logits=...)``."""
    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        _binary_params(self, probs, logits)
        self.total_count, self._param = broadcast_all(total_count, self._param)
        self.total_count = self.total_count.type_as(self._param)
        setattr(self, "probs" if probs is not None else "logits", self._param)
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_params(Binomial, batch_shape, ("total_count", "probs", "logits"),
                                  _instance)
        new._param = new.probs if "probs" in self.__dict__ else new.logits
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)


    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        """The sum of ``total_count`` Bernoulli draws (trials past a row's count are masked)."""
        shape = tuple(self._extended_shape(sample_shape))
        n_max = int(self.total_count.detach().max()) if self.total_count.numel() else 0
        with no_grad():
            trials = arange(n_max, dtype=self.probs.dtype, device=self.probs.device)
            live = trials < self.total_count.expand(shape).unsqueeze(-1)
            draws = bernoulli(self.probs.expand(shape).unsqueeze(-1).expand(shape + (n_max,)))
            return (draws * live).sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_norm = (n * (logits.clamp(min=0) + logits - logits.clamp(max=0)) / 2
                    + n * (-logits.abs()).exp().log1p() - (n + 1).lgamma())
        return value * logits - (value + 1).lgamma() - (n - value + 1).lgamma() - log_norm

    def entropy(self):
        total_count = int(self.total_count.detach().max())
        if not self.total_count.detach().min() == total_count:
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total_count = int(self.total_count.detach().max())
        if not self.total_count.detach().min() == total_count:
            raise NotImplementedError(
                "Inhomogeneous total count not supported by `enumerate_support`.")
        values = arange(1 + total_count, dtype=self._param.dtype, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
