"""autodiff's own random number generators (``manual_seed``, ``Generator``).

Numbers come from NumPy's PCG64 on the CPU and CuPy's generator on a GPU, so the same seed
gives the same numbers on every run (but not torch's numbers: its generator is different).
"""
from __future__ import annotations

import numpy as np

from .backend import array_module, device as Device, cupy_or_none

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "default_generator"]

_DEFAULT_SEED = 67280421310721          # torch's default seed at start-up


class Generator:
    """A random number generator for one device: ``Generator(device='cpu').manual_seed(0)``."""

    def __init__(self, device="cpu"):
        self.device = Device(device)
        self._seed = _DEFAULT_SEED
        self._rng = None
        self.manual_seed(self._seed)

    def manual_seed(self, seed):
        """Seed the generator (any 64-bit signed or unsigned value); returns self."""
        seed = int(seed)
        if not -0x8000_0000_0000_0000 <= seed <= 0xFFFF_FFFF_FFFF_FFFF:
            raise RuntimeError(f"Overflow when unpacking long: seed {seed} is out of range")
        self._seed = seed & 0xFFFF_FFFF_FFFF_FFFF
        if self.device.type == "cpu":
            self._rng = np.random.Generator(np.random.PCG64(self._seed))
        else:
            cp = cupy_or_none()
            self._rng = cp.random.default_rng(self._seed) if cp is not None else None
        return self

    def seed(self):
        """Re-seed from the operating system's entropy; returns the new seed."""
        new = int(np.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(new)
        return new

    def initial_seed(self) -> int:
        """The seed last given to :meth:`manual_seed` (or drawn by :meth:`seed`)."""
        return self._seed

    def get_state(self):
        """The generator state as a uint8 tensor (to restore with :meth:`set_state`)."""
        from ._creation import tensor
        import pickle
        state = pickle.dumps(self._rng.bit_generator.state if self.device.type == "cpu"
                             else self._seed)
        return tensor(np.frombuffer(state, dtype=np.uint8).copy())

    def set_state(self, new_state):
        """Restore a state from :meth:`get_state`; returns self."""
        import pickle
        state = pickle.loads(bytes(new_state.numpy().tobytes()))
        if self.device.type == "cpu":
            self._rng.bit_generator.state = state
        else:
            self.manual_seed(state)
        return self

    # -- sampling used by the creation functions ----------------------------------------------
    def sample(self, kind, size, np_dtype, low=None, high=None):
        """A raw array of ``size``: ``kind`` "uniform" [0, 1), "normal" or "integers"."""
        rng = self._rng
        if kind == "uniform":
            if np_dtype in (np.float32, np.float64):
                return rng.random(size, dtype=np_dtype)
            return rng.random(size, dtype=np.float32).astype(np_dtype)
        if kind == "normal":
            if np_dtype in (np.float32, np.float64):
                return rng.standard_normal(size, dtype=np_dtype)
            return rng.standard_normal(size, dtype=np.float32).astype(np_dtype)
        if kind == "integers":
            return rng.integers(low, high, size=size).astype(np_dtype)
        raise ValueError(kind)

    def permutation(self, n):
        """A random permutation of ``range(n)`` as a raw array."""
        if self.device.type == "cpu":
            return self._rng.permutation(n)
        return self._rng.random(n).argsort()        # cupy's generator has no permutation

    def poisson(self, lam):
        """Raw Poisson samples with the rates in the array ``lam``."""
        return self._rng.poisson(lam)

    def standard_gamma(self, shape):
        """Raw Gamma(shape, 1) samples for the concentrations in the array ``shape``."""
        return self._rng.standard_gamma(shape)

    def choice(self, n, k, replace, p):
        """``k`` raw draws from ``range(n)`` with probabilities ``p``."""
        return self._rng.choice(n, k, replace=replace, p=p)

    def __repr__(self):
        return f"<autodiff._C.Generator object at {hex(id(self))}>"


default_generator = Generator("cpu")
_cuda_generators = {}


def _gen_for(generator, device):
    """The generator to draw from: an explicit one, else the default one of ``device``."""
    if generator is not None:
        return generator
    if device is None or device.type == "cpu":
        return default_generator
    idx = device.index or 0
    g = _cuda_generators.get(idx)
    if g is None:
        array_module(device)          # RuntimeError when CUDA is not usable
        g = _cuda_generators[idx] = Generator(f"cuda:{idx}").manual_seed(_cuda_seed)
    return g


def manual_seed(seed):
    """Seed every generator (CPU and CUDA): the same seed gives the same numbers."""
    default_generator.manual_seed(seed)
    for g in _cuda_generators.values():
        g.manual_seed(seed)
    _cuda_generators.clear()
    global _cuda_seed
    _cuda_seed = seed
    return default_generator


_cuda_seed = _DEFAULT_SEED


def seed():
    """Seed the default generator from a non-deterministic source; returns the seed."""
    s = default_generator.seed()
    _cuda_generators.clear()
    return s


def initial_seed() -> int:
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state (to restore with ``set_rng_state``)."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restore the default generator to a state from ``get_rng_state``."""
    default_generator.set_state(new_state)
