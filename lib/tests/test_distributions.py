"""autodiff.distributions against torch.distributions: values, gradients, shapes, reprs,
validation errors, sampling statistics and KL divergences."""
import math

import numpy as np
import pytest

import autodiff
import autodiff.distributions as AD
from autodiff.distributions import constraints

F64 = autodiff.float64
RNG = np.random.default_rng(1234)


def _pos(*shape):
    return RNG.uniform(0.5, 2.0, shape)


def _spd(n, batch=()):
    a = RNG.normal(size=batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _probs(*shape):
    p = RNG.uniform(0.1, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


_LOW = RNG.normal(size=(2, 3))

# name -> (constructor(lib_distributions, params), params, value to score, methods to compare)
CASES = {
    "Normal": (lambda D, p: D.Normal(p[0], p[1]), [RNG.normal(size=(2, 3)), _pos(2, 3)],
               RNG.normal(size=(4, 2, 3)), ("cdf", "icdf")),
    "Uniform": (lambda D, p: D.Uniform(p[0], p[1]), [_LOW, _LOW + _pos(2, 3)],
                _LOW + 0.3, ("cdf", "icdf")),
    "Laplace": (lambda D, p: D.Laplace(p[0], p[1]), [RNG.normal(size=(3,)), _pos(3)],
                RNG.normal(size=(5, 3)), ("cdf", "icdf")),
    "Exponential": (lambda D, p: D.Exponential(p[0]), [_pos(4)], _pos(2, 4), ("cdf", "icdf")),
    "LogNormal": (lambda D, p: D.LogNormal(p[0], p[1]), [RNG.normal(size=(3,)), _pos(3)],
                  _pos(2, 3), ("cdf", "icdf")),
    "Gamma": (lambda D, p: D.Gamma(p[0], p[1]), [_pos(2, 3) + 1, _pos(2, 3)], _pos(2, 3), ()),
    "Beta": (lambda D, p: D.Beta(p[0], p[1]), [_pos(3) + 1, _pos(3) + 1],
             RNG.uniform(0.1, 0.9, (2, 3)), ()),
    "Dirichlet": (lambda D, p: D.Dirichlet(p[0]), [_pos(2, 4) + 1], _probs(3, 2, 4), ()),
    "Bernoulli_probs": (lambda D, p: D.Bernoulli(probs=p[0]), [RNG.uniform(0.1, 0.9, (3,))],
                        np.array([[0., 1., 1.], [1., 0., 0.]]), ()),
    "Bernoulli_logits": (lambda D, p: D.Bernoulli(logits=p[0]), [RNG.normal(size=(3,))],
                         np.array([0., 1., 1.]), ()),
    "Categorical_probs": (lambda D, p: D.Categorical(probs=p[0]), [_pos(2, 4)],
                          np.array([[0., 3.], [2., 1.], [1., 1.]]), ()),
    "Categorical_logits": (lambda D, p: D.Categorical(logits=p[0]), [RNG.normal(size=(4,))],
                           np.array([0., 3., 2.]), ()),
    "OneHotCategorical": (lambda D, p: D.OneHotCategorical(logits=p[0]),
                          [RNG.normal(size=(2, 3))], np.eye(3)[[[0, 2], [1, 1]]], ()),
    "Binomial": (lambda D, p: D.Binomial(5, probs=p[0]), [RNG.uniform(0.1, 0.9, (3,))],
                 np.array([[0., 2., 5.], [1., 4., 3.]]), ()),
    "Binomial_logits": (lambda D, p: D.Binomial(p[0], logits=p[1]),
                        [np.array([3., 6., 6.]), RNG.normal(size=(3,))],
                        np.array([0., 2., 5.]), ()),
    "Poisson": (lambda D, p: D.Poisson(p[0]), [_pos(3) * 3], np.array([[0., 2., 5.]]), ()),
    "MVN_cov": (lambda D, p: D.MultivariateNormal(p[0], covariance_matrix=p[1]),
                [RNG.normal(size=(2, 3)), _spd(3)], RNG.normal(size=(4, 2, 3)), ()),
    "MVN_tril": (lambda D, p: D.MultivariateNormal(p[0], scale_tril=p[1]),
                 [RNG.normal(size=(3,)), np.linalg.cholesky(_spd(3, (2,)))],
                 RNG.normal(size=(5, 2, 3)), ()),
    "MVN_prec": (lambda D, p: D.MultivariateNormal(p[0], precision_matrix=p[1]),
                 [RNG.normal(size=(3,)), _spd(3)], RNG.normal(size=(2, 3)), ()),
    "Independent": (lambda D, p: D.Independent(D.Normal(p[0], p[1]), 1),
                    [RNG.normal(size=(2, 3)), _pos(2, 3)], RNG.normal(size=(2, 3)), ()),
}


def _build(lib, case):
    ctor, params, _, _ = CASES[case]
    ts = [lib.tensor(p, dtype=lib.float64, requires_grad=True) for p in params]
    return ctor(lib.distributions, ts), ts


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _same(a, b, rtol=1e-7, atol=1e-9):
    np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=atol, equal_nan=True)


def _both(fn, dists):
    """``fn`` on (autodiff, torch) distributions; (None, None) when torch raises
    NotImplementedError, which autodiff must then raise too."""
    ours, theirs = dists
    try:
        expected = fn(theirs)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            fn(ours)
        return None, None
    return fn(ours), expected


@pytest.mark.parametrize("case", list(CASES))
def test_values_and_gradients_match_torch(torch, case):
    import torch.distributions  # noqa: F401
    (ours, ours_p), (theirs, theirs_p) = _build(autodiff, case), _build(torch, case)
    assert ours.batch_shape == tuple(theirs.batch_shape)
    assert ours.event_shape == tuple(theirs.event_shape)
    assert type(ours.batch_shape) is autodiff.Size
    assert repr(ours) == repr(theirs).replace("torch.", "autodiff.")
    assert ours.has_rsample == theirs.has_rsample
    value = CASES[case][2]
    for prop in ("mean", "mode", "variance", "stddev"):
        a, b = _both(lambda d: getattr(d, prop), (ours, theirs))
        if b is not None:
            _same(a, b)
    a, b = _both(lambda d: d.log_prob((autodiff if d is ours else torch).tensor(value, dtype=F64
                                      if d is ours else torch.float64)), (ours, theirs))
    _same(a, b)
    weights = RNG.normal(size=tuple(b.shape))
    a_e, b_e = _both(lambda d: d.entropy(), (ours, theirs))
    loss_a = (a * autodiff.tensor(weights)).sum() + (a_e.sum() if a_e is not None else 0)
    loss_b = (b * torch.tensor(weights)).sum() + (b_e.sum() if b_e is not None else 0)
    if b_e is not None:
        _same(a_e, b_e)
    loss_a.backward()
    loss_b.backward()
    for pa, pb in zip(ours_p, theirs_p):
        _same(pa.grad if pa.grad is not None else np.zeros(pa.shape),
              pb.grad if pb.grad is not None else np.zeros(tuple(pb.shape)), rtol=1e-6)
    for method in CASES[case][3]:
        arg = np.clip(np.abs(value) % 1, 0.05, 0.95) if method == "icdf" else value
        a = getattr(ours, method)(autodiff.tensor(arg, dtype=F64))
        b = getattr(theirs, method)(torch.tensor(arg, dtype=torch.float64))
        _same(a, b)


@pytest.mark.parametrize("case", ["Normal", "Bernoulli_probs", "Categorical_logits", "MVN_cov",
                                  "Dirichlet", "Independent", "Beta", "LogNormal", "Binomial"])
def test_expand_and_sample_shapes(torch, case):
    ours, _ = _build(autodiff, case)
    theirs, _ = _build(torch, case)
    new_batch = (5,) + tuple(theirs.batch_shape)
    e_ours, e_theirs = ours.expand(new_batch), theirs.expand(new_batch)
    assert type(e_ours) is type(ours)
    assert e_ours.batch_shape == tuple(e_theirs.batch_shape)
    assert e_ours.event_shape == tuple(e_theirs.event_shape)
    assert repr(e_ours) == repr(e_theirs).replace("torch.", "autodiff.")
    s = e_ours.sample((2,))
    assert s.shape == tuple(e_theirs.sample((2,)).shape)
    assert s.dtype == (autodiff.int64 if "Categorical" in case else F64)
    _same(e_ours.log_prob(s), e_theirs.log_prob(torch.tensor(s.numpy())))
    assert ours.sample().shape == tuple(theirs.sample().shape)


# -- sampling statistics ------------------------------------------------------------------------
STATS = {
    "Normal": lambda: AD.Normal(autodiff.tensor([0.5, -1.0]), autodiff.tensor([1.0, 2.0])),
    "Uniform": lambda: AD.Uniform(autodiff.tensor([0.0, -1.0]), autodiff.tensor([1.0, 3.0])),
    "Laplace": lambda: AD.Laplace(autodiff.tensor([0.5]), autodiff.tensor([1.5])),
    "Exponential": lambda: AD.Exponential(autodiff.tensor([0.5, 2.0])),
    "LogNormal": lambda: AD.LogNormal(autodiff.tensor([0.1]), autodiff.tensor([0.4])),
    "Gamma": lambda: AD.Gamma(autodiff.tensor([0.5, 3.0]), autodiff.tensor([1.0, 2.0])),
    "Beta": lambda: AD.Beta(autodiff.tensor([0.5, 3.0]), autodiff.tensor([2.0, 1.5])),
    "Dirichlet": lambda: AD.Dirichlet(autodiff.tensor([0.5, 1.0, 3.0])),
    "Bernoulli": lambda: AD.Bernoulli(logits=autodiff.tensor([-1.0, 0.5])),
    "Categorical": lambda: AD.Categorical(probs=autodiff.tensor([0.2, 0.3, 0.5])),
    "OneHotCategorical": lambda: AD.OneHotCategorical(probs=autodiff.tensor([0.2, 0.3, 0.5])),
    "Binomial": lambda: AD.Binomial(autodiff.tensor([4.0, 10.0]), autodiff.tensor([0.3, 0.6])),
    "Poisson": lambda: AD.Poisson(autodiff.tensor([0.7, 4.0])),
    "MVN": lambda: AD.MultivariateNormal(autodiff.tensor([1.0, -1.0]),
                                         autodiff.tensor([[2.0, 0.6], [0.6, 1.0]])),
}


@pytest.mark.parametrize("name", list(STATS))
def test_sample_moments(name):
    d = STATS[name]()
    x = d.sample((20000,)).double()
    if name == "Categorical":      # mean is nan: compare the frequencies instead
        freq = np.bincount(x.long().numpy(), minlength=3) / 20000
        np.testing.assert_allclose(freq, d.probs.numpy(), atol=0.015)
        return
    mean, var = d.mean.double(), d.variance.double()
    se = (var / 20000).sqrt()
    assert ((x.mean(0) - mean).abs() <= 5 * se + 1e-6).all(), (x.mean(0), mean)
    np.testing.assert_allclose(x.var(0).numpy(), var.numpy(), rtol=0.1)
    assert bool(d.support.check(x.to(d.mean.dtype)).all())
    if name == "MVN":
        cov = np.cov(x.numpy().T)
        np.testing.assert_allclose(cov, d.covariance_matrix.numpy(), atol=0.08)


@pytest.mark.parametrize("name", list(STATS))
def test_seeded_sampling_is_reproducible(name):
    autodiff.manual_seed(7)
    a = STATS[name]().sample((3,))
    autodiff.manual_seed(7)
    b = STATS[name]().sample((3,))
    autodiff.manual_seed(8)
    c = STATS[name]().sample((3,))
    assert a.equal(b)
    assert c.shape == a.shape
    assert not a.requires_grad


def _fd_rsample_grad(make, params, seed=5, eps=1e-6):
    """Finite differences of ``rsample().sum()`` with the noise fixed by the seed."""
    grads = []
    for i, p in enumerate(params):
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            vals = []
            for sign in (1, -1):
                q = [x.copy() for x in params]
                q[i][idx] += sign * eps
                autodiff.manual_seed(seed)
                vals.append(float(make(*[autodiff.tensor(x, dtype=F64) for x in q]).rsample((3,)).sum()))
            g[idx] = (vals[0] - vals[1]) / (2 * eps)
        grads.append(g)
    return grads


@pytest.mark.parametrize("name,make,params", [
    ("Normal", AD.Normal, [RNG.normal(size=2), _pos(2)]),
    ("Uniform", AD.Uniform, [np.array([0.0, -1.0]), np.array([1.0, 2.5])]),
    ("Laplace", AD.Laplace, [RNG.normal(size=2), _pos(2)]),
    ("Exponential", AD.Exponential, [_pos(2)]),
    ("LogNormal", AD.LogNormal, [RNG.normal(size=2), _pos(2) / 3]),
    ("MVN", lambda m, L: AD.MultivariateNormal(m, scale_tril=L, validate_args=False),
     [RNG.normal(size=2), np.array([[1.2, 0.0], [0.4, 0.8]])]),
])
def test_rsample_gradients_match_finite_differences(name, make, params):
    ts = [autodiff.tensor(p, dtype=F64, requires_grad=True) for p in params]
    autodiff.manual_seed(5)
    make(*ts).rsample((3,)).sum().backward()
    expected = _fd_rsample_grad(make, params)
    for t, g in zip(ts, expected):
        np.testing.assert_allclose(t.grad.numpy(), g, rtol=1e-5, atol=1e-7)


def test_gamma_rsample_gradient_is_torchs_implicit_gradient(torch):
    # torch approximates dz/dalpha to ~3e-5; ours differentiates SciPy's gammainc (~1e-9)
    alpha = autodiff.tensor([0.3, 1.0, 2.5, 7.0], dtype=F64, requires_grad=True)
    z = AD.Gamma(alpha, 1.0).rsample((50,))
    z.sum().backward()
    z_t = torch.tensor(z.detach().numpy())
    a_t = torch.tensor(alpha.detach().numpy()).expand(50, 4)
    expected = torch._standard_gamma_grad(a_t, z_t).sum(0)
    np.testing.assert_allclose(alpha.grad.numpy(), expected.numpy(), rtol=1e-4)


def test_gamma_family_rsample_gradients_are_unbiased():
    # d/dalpha E[z] = 1 / rate for Gamma; d/dc1 E[x] = c0 / (c1 + c0)^2 for Beta.
    a = autodiff.tensor([0.7, 3.0], dtype=F64, requires_grad=True)
    AD.Gamma(a, 2.0).rsample((20000,)).mean(0).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [0.5, 0.5], rtol=0.05)
    c1 = autodiff.tensor(2.0, dtype=F64, requires_grad=True)
    AD.Beta(c1, 3.0).rsample((20000,)).mean().backward()
    assert abs(float(c1.grad) - 3.0 / 25) < 0.01
    c = autodiff.tensor([1.0, 2.0, 3.0], dtype=F64, requires_grad=True)
    x = AD.Dirichlet(c).rsample((20000,))
    np.testing.assert_allclose(x.sum(-1).detach().numpy(), 1.0, rtol=1e-12)
    x[:, 0].mean().backward()                        # E[x0] = c0 / sum(c)
    np.testing.assert_allclose(c.grad.numpy(), [5 / 36, -1 / 36, -1 / 36], atol=0.01)


# -- validation -----------------------------------------------------------------------------
ERRORS = [
    lambda D, T: D.Normal(T([0.0]), T([-1.0])),
    lambda D, T: D.Normal(T([0.0] * 3), T([1.0] * 3)).log_prob(T([[1.0, 2.0]])),
    lambda D, T: D.Bernoulli(T([0.3]), T([0.1])),
    lambda D, T: D.Bernoulli(),
    lambda D, T: D.Bernoulli(probs=T([0.3])).log_prob(T([0.5])),
    lambda D, T: D.Bernoulli(probs=T([1.3])),
    lambda D, T: D.Uniform(T([1.0]), T([0.0])),
    lambda D, T: D.Uniform(0.0, 1.0).log_prob(T([0.5, 2.0])),
    lambda D, T: D.Categorical(probs=T(0.5)),
    lambda D, T: D.Categorical(logits=T(0.5)),
    lambda D, T: D.Categorical(probs=T([0.5, -0.1, 0.6])),
    lambda D, T: D.Categorical(logits=T([0.5, 0.1])).log_prob(T([2.0])),
    lambda D, T: D.Dirichlet(T(1.0)),
    lambda D, T: D.Dirichlet(T([1.0, 2.0])).log_prob(T([0.5, 0.6])),
    lambda D, T: D.Dirichlet(T([1.0, 2.0])).log_prob(T([0.2, 0.3, 0.5])),
    lambda D, T: D.Gamma(T([1.0]), T([0.0])),
    lambda D, T: D.Exponential(T([1.0])).log_prob(T([-1.0])),
    lambda D, T: D.Poisson(T([1.0])).log_prob(T([1.5])),
    lambda D, T: D.Binomial(T([3.0]), probs=T([0.5])).log_prob(T([4.0])),
    lambda D, T: D.Binomial(T([2.5]), probs=T([0.5])),
    lambda D, T: D.MultivariateNormal(T(0.0), T([[1.0]])),
    lambda D, T: D.MultivariateNormal(T([0.0])),
    lambda D, T: D.MultivariateNormal(T([0.0]), T([[1.0]]), scale_tril=T([[1.0]])),
    lambda D, T: D.MultivariateNormal(T([0.0]), covariance_matrix=T([1.0])),
    lambda D, T: D.MultivariateNormal(T([0.0]), precision_matrix=T([1.0])),
    lambda D, T: D.MultivariateNormal(T([0.0]), scale_tril=T([1.0])),
    lambda D, T: D.MultivariateNormal(T([0.0, 0.0]), T([[1.0, 2.0], [2.0, 1.0]])),
    lambda D, T: D.MultivariateNormal(T([0.0, 0.0]), scale_tril=T([[1.0, 1.0], [0.0, 1.0]])),
    lambda D, T: D.Independent(D.Normal(T([0.0]), T([1.0])), 2),
    lambda D, T: D.Normal(T([0.0]), T([1.0])).log_prob(0.5),
    lambda D, T: D.Distribution.set_default_validate_args(2),
    lambda D, T: D.Binomial(T([2.0, 3.0]), probs=T([0.5, 0.5])).entropy(),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_validation_errors_match_torch(torch, i):
    import torch.distributions  # noqa: F401
    with pytest.raises(Exception) as expected:
        ERRORS[i](torch.distributions, lambda x: torch.tensor(x, dtype=torch.float64))
    with pytest.raises(type(expected.value)) as got:
        ERRORS[i](AD, lambda x: autodiff.tensor(x, dtype=F64))
    assert str(got.value) == str(expected.value).replace("torch.", "autodiff.")


def test_set_default_validate_args():
    try:
        AD.Distribution.set_default_validate_args(False)
        d = AD.Normal(autodiff.tensor([0.0]), autodiff.tensor([-1.0]))   # not checked now
        assert math.isnan(float(d.log_prob(autodiff.tensor([0.0]))))
        AD.Normal(0.0, 1.0, validate_args=True)
        with pytest.raises(ValueError, match="to satisfy the constraint GreaterThan"):
            AD.Normal(0.0, -1.0, validate_args=True)
    finally:
        AD.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="to satisfy the constraint"):
        AD.Normal(0.0, -1.0)
    AD.Normal(0.0, -1.0, validate_args=False)


def test_constraints_reprs_and_checks(torch):
    from torch.distributions import constraints as tc
    names = ["real", "positive", "nonnegative", "unit_interval", "simplex", "boolean",
             "nonnegative_integer", "positive_integer", "lower_cholesky", "lower_triangular",
             "real_vector", "one_hot", "positive_definite", "symmetric", "square"]
    for n in names:
        assert repr(getattr(constraints, n)) == repr(getattr(tc, n))
        assert getattr(constraints, n).event_dim == getattr(tc, n).event_dim
        assert getattr(constraints, n).is_discrete == getattr(tc, n).is_discrete
    for ours, theirs in [(constraints.interval(0, 2.5), tc.interval(0, 2.5)),
                         (constraints.integer_interval(0, 3), tc.integer_interval(0, 3)),
                         (constraints.greater_than(2.0), tc.greater_than(2.0)),
                         (constraints.less_than(-1), tc.less_than(-1)),
                         (constraints.half_open_interval(0, 1), tc.half_open_interval(0, 1)),
                         (constraints.independent(constraints.positive, 2),
                          tc.independent(tc.positive, 2))]:
        assert repr(ours) == repr(theirs)
        x = RNG.normal(size=(3, 2, 2)) * 2
        x[0] = np.round(x[0])
        np.testing.assert_array_equal(ours.check(autodiff.tensor(x)).numpy(),
                                      theirs.check(torch.tensor(x)).numpy())
    mats = np.stack([np.eye(2), [[1.0, 0.0], [0.5, -1.0]], [[1.0, 0.3], [0.0, 1.0]], _spd(2)])
    for n in ["lower_cholesky", "lower_triangular", "positive_definite", "symmetric", "simplex",
              "one_hot", "real", "boolean"]:
        np.testing.assert_array_equal(getattr(constraints, n).check(autodiff.tensor(mats)).numpy(),
                                      getattr(tc, n).check(torch.tensor(mats)).numpy())
    assert constraints.is_dependent(AD.Uniform.support)
    assert constraints.is_dependent(constraints.dependent)
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        constraints.dependent.check(autodiff.zeros(1))


def test_scalar_params_reprs_and_shapes(torch):
    import torch.distributions as TD
    for make in [lambda D: D.Normal(0.0, 1.0), lambda D: D.Uniform(-1.0, 2.0),
                 lambda D: D.Poisson(2.0), lambda D: D.Gamma(2.0, 3.0),
                 lambda D: D.Bernoulli(0.25), lambda D: D.Beta(2.0, 3.0),
                 lambda D: D.LogNormal(0.0, 1.0), lambda D: D.Binomial(10, 0.5),
                 lambda D: D.OneHotCategorical(probs=torch.ones(3) if D is TD else autodiff.ones(3))]:
        ours, theirs = make(AD), make(TD)
        assert repr(ours) == repr(theirs).replace("torch.", "autodiff.")
        assert ours.batch_shape == theirs.batch_shape
        assert ours.sample((2,)).shape == tuple(theirs.sample((2,)).shape)
        assert ours.sample((2,)).dtype == autodiff.float32


# -- KL divergences -------------------------------------------------------------------------
KL_CASES = {
    "Normal": ("Normal", "Normal"), "Uniform": ("Uniform", "Uniform"),
    "Exponential": ("Exponential", "Exponential"), "Beta": ("Beta", "Beta"),
    "Dirichlet": ("Dirichlet", "Dirichlet"), "Bernoulli": ("Bernoulli_probs", "Bernoulli_probs"),
    "Bernoulli_logits": ("Bernoulli_logits", "Bernoulli_probs"),
    "Categorical": ("Categorical_probs", "Categorical_logits"),
    "MVN": ("MVN_cov", "MVN_tril"), "MVN_prec": ("MVN_prec", "MVN_cov"),
    "Independent": ("Independent", "Independent"),
}


def _shifted(lib, case, k):
    """The distribution of CASES[case] with every parameter perturbed by the k-th offset."""
    ctor, params, _, _ = CASES[case]
    rng = np.random.default_rng(k)
    new = []
    for p in params:
        if p.ndim >= 2 and p.shape[-1] == p.shape[-2] and "MVN" in case:
            q = p + 0.2 * np.tril(rng.uniform(size=p.shape)) * (np.tril(p) == p)
            q = q if "tril" in case else q @ np.swapaxes(q, -1, -2)
        elif "Bernoulli_probs" == case:
            q = np.clip(p + rng.uniform(-0.05, 0.05, p.shape), 0.01, 0.99)
        else:
            q = p * rng.uniform(0.8, 1.2, p.shape) if "Uniform" != case else p
        new.append(lib.tensor(q, dtype=lib.float64, requires_grad=True))
    if case == "Uniform":      # q must cover p for a finite KL
        new = [lib.tensor(params[0] - 0.3, dtype=lib.float64, requires_grad=True),
               lib.tensor(params[1] + 0.4, dtype=lib.float64, requires_grad=True)]
    return ctor(lib.distributions, new), new


@pytest.mark.parametrize("name", list(KL_CASES))
def test_kl_divergence_matches_torch(torch, name):
    import torch.distributions  # noqa: F401
    cp, cq = KL_CASES[name]
    (p_a, pa), (p_b, pb) = _build(autodiff, cp), _build(torch, cp)
    (q_a, qa), (q_b, qb) = _shifted(autodiff, cq, 1), _shifted(torch, cq, 1)
    kl_a = AD.kl_divergence(p_a, q_a)
    kl_b = torch.distributions.kl_divergence(p_b, q_b)
    _same(kl_a, kl_b)
    assert kl_a.shape == tuple(kl_b.shape)
    w = RNG.normal(size=tuple(kl_b.shape))
    (kl_a * autodiff.tensor(w)).sum().backward()
    (kl_b * torch.tensor(w)).sum().backward()
    for x, y in zip(pa + qa, pb + qb):
        _same(x.grad if x.grad is not None else np.zeros(x.shape),
              y.grad if y.grad is not None else np.zeros(tuple(y.shape)), rtol=1e-6)


def test_kl_edge_cases_and_registry(torch):
    import torch.distributions as TD
    for D, T in [(AD, autodiff.tensor), (TD, torch.tensor)]:
        u = D.kl_divergence(D.Uniform(T([0.0, 0.0]), T([1.0, 1.0])),
                            D.Uniform(T([0.5, -1.0]), T([2.0, 2.0])))
        assert math.isinf(float(u[0])) and float(u[1]) == pytest.approx(math.log(3))
        b = D.kl_divergence(D.Bernoulli(T([0.0, 0.5, 1.0])), D.Bernoulli(T([0.5, 0.0, 0.5])))
        np.testing.assert_allclose(np.asarray(b.tolist()), [math.log(2), math.inf, math.log(2)],
                                   rtol=1e-6)
        c = D.kl_divergence(D.Categorical(T([0.5, 0.5, 0.0])), D.Categorical(T([0.5, 0.0, 0.5])))
        assert math.isinf(float(c))
        assert float(D.kl_divergence(D.Normal(0.0, 1.0), D.Normal(0.0, 1.0))) == 0.0
    with pytest.raises(NotImplementedError,
                       match="No KL\\(p \\|\\| q\\) is implemented for p type Normal and q type Laplace"):
        AD.kl_divergence(AD.Normal(0.0, 1.0), AD.Laplace(0.0, 1.0))
    with pytest.raises(ValueError, match="different event shapes"):
        AD.kl_divergence(AD.MultivariateNormal(autodiff.zeros(2), autodiff.eye(2)),
                         AD.MultivariateNormal(autodiff.zeros(3), autodiff.eye(3)))

    class MyNormal(AD.Normal):
        pass

    assert float(AD.kl_divergence(MyNormal(0.0, 1.0), AD.Normal(1.0, 1.0))) == pytest.approx(0.5)

    @AD.register_kl(MyNormal, AD.Normal)
    def _kl_mine(p, q):
        return autodiff.tensor(42.0)

    assert float(AD.kl_divergence(MyNormal(0.0, 1.0), AD.Normal(1.0, 1.0))) == 42.0
    assert float(AD.kl_divergence(AD.Normal(0.0, 1.0), AD.Normal(1.0, 1.0))) == pytest.approx(0.5)
    with pytest.raises(TypeError):
        AD.register_kl(int, AD.Normal)


def test_lazy_params_and_enumerate_support(torch):
    import torch.distributions as TD
    b = AD.Bernoulli(logits=autodiff.tensor([0.0, 1.0]))
    assert "probs" not in b.__dict__ and repr(b) == "Bernoulli(logits: autodiff.Size([2]))"
    b.probs
    assert repr(b) == "Bernoulli(probs: autodiff.Size([2]), logits: autodiff.Size([2]))"
    for make in [lambda D, T: D.Bernoulli(T([0.2, 0.7])),
                 lambda D, T: D.Categorical(T([[0.2, 0.8], [0.5, 0.5]])),
                 lambda D, T: D.Binomial(3, T([0.2, 0.7])),
                 lambda D, T: D.OneHotCategorical(T([0.2, 0.3, 0.5]))]:
        ours, theirs = make(AD, autodiff.tensor), make(TD, torch.tensor)
        for expand in (True, False):
            a, e = ours.enumerate_support(expand), theirs.enumerate_support(expand)
            assert a.shape == tuple(e.shape) and a.dtype.is_floating_point == e.dtype.is_floating_point
            np.testing.assert_array_equal(a.numpy(), e.numpy())
        _same(ours.log_prob(ours.enumerate_support()).exp().sum(0),
              theirs.log_prob(theirs.enumerate_support()).exp().sum(0), rtol=1e-6)
