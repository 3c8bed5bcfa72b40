"""Helpers shared by the test files: gradient checks and comparisons with torch and numpy."""
import numpy as np

import autodiff
from autodiff.autograd import gradcheck, gradgradcheck


def check_grads(fn, *inputs, second_order=True, **kwargs):
    """gradcheck (and gradgradcheck) of ``fn`` at ``inputs``; raises on a mismatch."""
    assert gradcheck(fn, inputs, **kwargs)
    if second_order:
        assert gradgradcheck(fn, inputs, **kwargs)


def torch_dtype(torch, dtype):
    """The torch dtype of the same name as an autodiff dtype."""
    return getattr(torch, dtype.name)


def to_torch(torch, t, requires_grad=None):
    """A torch copy of an autodiff tensor (same values and dtype), a new torch leaf."""
    out = torch.from_numpy(np.array(t.detach().cpu().numpy(), copy=True))
    rg = t.requires_grad if requires_grad is None else requires_grad
    return out.requires_grad_(rg) if rg else out


def to_numpy(x):
    """An autodiff tensor, a torch tensor, an array or a number as a numpy array."""
    if isinstance(x, autodiff.Tensor):
        return x.detach().cpu().numpy()
    if hasattr(x, "detach") and hasattr(x, "numpy"):          # a torch tensor
        return x.detach().cpu().numpy(force=True)                # force: torch's ZeroTensors
    return np.asarray(x)


def assert_close(actual, expected, rtol=1e-6, atol=1e-6, check_dtype=True):
    """Values (NaNs equal), shape and, by default, dtype name of two tensors/arrays agree."""
    a, e = to_numpy(actual), to_numpy(expected)
    assert a.shape == e.shape, f"shape {a.shape} != {e.shape}"
    if check_dtype:
        assert a.dtype == e.dtype, f"dtype {a.dtype} != {e.dtype}"
    np.testing.assert_allclose(a.astype(np.float64) if a.dtype != bool else a,
                               e.astype(np.float64) if e.dtype != bool else e,
                               rtol=rtol, atol=atol, equal_nan=True)


# ---- table-driven op tests ----------------------------------------------------------------------
def _uniform(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, shape)


def _away_from_zero(rng, shape):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 2.0, shape)


def _away_from_integers(rng, shape):
    """Values k + f with 0.2 < f < 0.8: floor, round, fmod... have no jump nearby."""
    return rng.integers(-3, 3, shape) + rng.uniform(0.2, 0.8, shape)


DOMAINS = {
    "real": _uniform(-2.0, 2.0),
    "pos": _uniform(0.5, 2.0),
    "unit": _uniform(-0.9, 0.9),        # asin, acos, atanh
    "gt1": _uniform(1.2, 3.0),          # acosh
    "prob": _uniform(0.1, 0.9),         # logit
    "nonzero": _away_from_zero,         # abs, sign, relu, division
    "frac": _away_from_integers,        # floor, ceil, round, trunc
}


class OpSpec:
    """One row of an op table: ``fn(m, *tensors)`` runs with ``m`` = autodiff or torch.

    ``args`` lists ``(shape, domain)`` per differentiable tensor argument (domain: a key of
    DOMAINS or ``fn(rng, shape) -> array``); ``gradcheck`` holds extra gradcheck keywords.
    """

    def __init__(self, id, fn, *args, gradgrad=True, gradcheck=None, name=True, backward=True):
        self.id, self.fn, self.args = id, fn, args
        self.backward = backward       # False: torch has no derivative (compare values only)
        self.gradgrad = gradgrad
        self.gradcheck = gradcheck or {}
        self.compare_name = name       # False: a composite op whose grad_fn differs from torch's

    def arrays(self):
        """The float64 input arrays (the same for every call: the seed is the spec's id)."""
        import zlib
        rng = np.random.default_rng(zlib.crc32(self.id.encode()))
        out = []
        for shape, domain in self.args:
            make = DOMAINS[domain] if isinstance(domain, str) else domain
            out.append(np.asarray(make(rng, shape), dtype=np.float64))
        return out

    def __repr__(self):
        return self.id


def spec_params(specs):
    import pytest
    return [pytest.param(s, id=s.id) for s in specs]


def run_gradcheck(spec, device="cpu"):
    """gradcheck and gradgradcheck of a spec in float64."""
    import warnings
    inputs = [autodiff.tensor(a, dtype=autodiff.float64, device=device, requires_grad=True)
              for a in spec.arrays()]
    fn = lambda *xs: spec.fn(autodiff, *xs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)     # float32 intermediates are intended
        assert gradcheck(fn, inputs, **spec.gradcheck)
        if spec.gradgrad:
            assert gradgradcheck(fn, inputs, **spec.gradcheck)


def grad_fn_name(t):
    return None if t.grad_fn is None else t.grad_fn.name()


def run_torch_parity(torch, spec):
    """Values, dtype, grad_fn name and gradients agree with torch's for the same inputs."""
    arrays = spec.arrays()
    ours = [autodiff.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = spec.fn(autodiff, *ours), spec.fn(torch, *theirs)
    assert_close(out, tout, rtol=1e-7, atol=1e-9)
    if spec.compare_name:
        assert grad_fn_name(out) == grad_fn_name(tout)
    if not spec.backward:
        return
    g = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    out.backward(autodiff.tensor(g, dtype=out.dtype))
    tout.backward(torch.tensor(g, dtype=tout.dtype))
    for x, tx in zip(ours, theirs):
        if tx.grad is None:
            assert x.grad is None or not np.any(to_numpy(x.grad))
        else:
            assert_close(x.grad, tx.grad, rtol=1e-7, atol=1e-9)


def cpu_vs_simulated_cuda(fn, *shapes):
    """fn on the CPU and on the CUDA code path (simulated by _fake_cupy, a strict stand-in that
    fails on any hard-coded numpy call): same values and gradients, results on the device."""
    import _fake_cupy
    arrays = [np.random.default_rng(0).standard_normal(s) for s in shapes]
    with _fake_cupy.simulated():
        results = []
        for dev in ("cpu", "cuda"):
            ts = [autodiff.tensor(a, device=dev, requires_grad=True) for a in arrays]
            y = fn(*ts)
            assert y.device == ts[0].device
            y.backward(autodiff.tensor(np.ones(tuple(y.shape)), device=dev))
            results.append([y.detach().cpu().numpy()] + [t.grad.cpu().numpy() for t in ts])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def assert_raises(fn, exc, message):
    """``fn()`` raises ``exc`` whose text contains ``message``."""
    import pytest
    with pytest.raises(exc) as info:
        fn()
    assert message in str(info.value)


def in_torch(fn, torch):
    """The same lambda with ``autodiff`` and ``F`` bound to torch and torch.nn.functional."""
    return type(fn)(fn.__code__, {**fn.__globals__, "F": torch.nn.functional, "autodiff": torch})
