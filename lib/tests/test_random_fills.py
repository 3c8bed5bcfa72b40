"""In-place random fills (autodiff/_redraw.py): x.uniform_(), normal_, random_, bernoulli_,
exponential_, log_normal_, cauchy_, geometric_ — their distributions, seeding, place in the graph
and errors compared with torch."""
import numpy as np
import pytest

import autodiff

# ---- in-place random fills: x.uniform_(), x.normal_(), ... -------------------------------------
FILLS = [  # (method, args, dtype, check of 20,000 samples)
    ("uniform_", (-2.0, 3.0), autodiff.float32,
     lambda v: v.min() >= -2 and v.max() < 3 and abs(v.mean() - 0.5) < 0.05),
    ("normal_", (1.0, 2.0), autodiff.float64,
     lambda v: abs(v.mean() - 1) < 0.05 and abs(v.std() - 2) < 0.05),
    ("random_", (3, 7), autodiff.int64, lambda v: set(np.unique(v)) == {3, 4, 5, 6}),
    ("random_", (5,), autodiff.float32, lambda v: set(np.unique(v)) == {0, 1, 2, 3, 4}),
    ("random_", (), autodiff.uint8, lambda v: v.min() == 0 and v.max() == 255),
    ("bernoulli_", (0.25,), autodiff.float32, lambda v: abs(v.mean() - 0.25) < 0.02
     and set(np.unique(v)) == {0, 1}),
    ("bernoulli_", (0.5,), autodiff.bool, lambda v: abs(v.mean() - 0.5) < 0.02),
    ("exponential_", (2.0,), autodiff.float64, lambda v: v.min() >= 0 and abs(v.mean() - 0.5) < 0.02),
    ("log_normal_", (0.0, 0.5), autodiff.float64,
     lambda v: abs(np.log(v).mean()) < 0.02 and abs(np.log(v).std() - 0.5) < 0.02),
    ("cauchy_", (1.0, 2.0), autodiff.float64, lambda v: abs(np.median(v) - 1) < 0.1),
    ("geometric_", (0.25,), autodiff.int64, lambda v: v.min() == 1 and abs(v.mean() - 4) < 0.15),
]


@pytest.mark.parametrize("name, args, dtype, check", FILLS, ids=[f"{f[0]}{f[1]}" for f in FILLS])
def test_inplace_fills_draw_from_their_distribution(name, args, dtype, check):
    x = autodiff.zeros(20_000, dtype=dtype)
    version = x._version
    autodiff.manual_seed(3)
    assert getattr(x, name)(*args) is x and x.dtype is dtype and x._version == version + 1
    assert check(x.numpy().astype(np.float64))
    again = autodiff.zeros(20_000, dtype=dtype)
    autodiff.manual_seed(3)
    assert getattr(again, name)(*args).tolist() == x.tolist()        # seeded


@pytest.mark.parametrize("name, args", [
    ("uniform_", ()), ("normal_", (1.0, 2.0)), ("random_", ()), ("random_", (5,)),
    ("random_", (2, 5)), ("bernoulli_", (0.25,)), ("exponential_", ()), ("log_normal_", ()),
    ("cauchy_", ()), ("geometric_", (0.25,))])
def test_inplace_fills_in_the_graph_as_torch(name, args, torch):
    results = []
    for m in (autodiff, torch):
        x = m.ones(4, requires_grad=True)
        y = x * 2
        getattr(y, name)(*args)
        (y * 3).sum().backward()
        results.append((y.grad_fn.name(), x.grad.tolist()))
    assert results[0] == results[1]


FILL_ERRORS = [
    lambda: autodiff.ones(2, requires_grad=True).uniform_(),
    lambda: autodiff.zeros(3, dtype=autodiff.int64).uniform_(),
    lambda: autodiff.zeros(3).uniform_(1, -1),
    lambda: autodiff.zeros(3).normal_(0, -1),
    lambda: autodiff.zeros(3, dtype=autodiff.int64).normal_(),
    lambda: autodiff.zeros(3).bernoulli_(1.5),
    lambda: autodiff.zeros(3).random_(5, 2),
    lambda: autodiff.zeros(3, dtype=autodiff.uint8).random_(0, 300),
    lambda: autodiff.zeros(3).exponential_(-1),
    lambda: autodiff.zeros(3, dtype=autodiff.int64).exponential_(),
    lambda: autodiff.zeros(3).log_normal_(0, -1),
    lambda: autodiff.zeros(3, dtype=autodiff.int64).cauchy_(),
    lambda: autodiff.zeros(3).geometric_(0),
    lambda: autodiff.zeros(3, dtype=autodiff.bool).geometric_(0.5),
    lambda: autodiff.nn.init.uniform_(autodiff.zeros(3), 1, -1),
    lambda: autodiff.nn.init.normal_(autodiff.zeros(3), 0, -1),
]


@pytest.mark.parametrize("fn", FILL_ERRORS)
def test_inplace_fill_errors_match_torch(fn, torch):
    from _helpers import in_torch
    with pytest.raises(Exception) as ours:
        fn()
    with pytest.raises(Exception) as theirs:
        in_torch(fn, torch)()
    assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)


def test_fills_of_tensor_probabilities_and_keywords():
    p = autodiff.tensor([0.0, 1.0, 1.0, 0.0])
    assert autodiff.zeros(4).bernoulli_(p).tolist() == [0.0, 1.0, 1.0, 0.0]
    x = autodiff.zeros(1000).uniform_(**{"from": 2.0, "to": 3.0})
    assert 2 <= x.min().item() and x.max().item() < 3
    with pytest.raises(TypeError, match="unexpected keyword argument 'upper'"):
        autodiff.zeros(2).uniform_(upper=3)
    with autodiff.no_grad():
        w = autodiff.nn.Parameter(autodiff.zeros(5))
        assert w.uniform_(-0.1, 0.1) is w and w.abs().max().item() <= 0.1


# ---- multinomial -----------------------------------------------------------------------------------
MULTINOMIAL_SAME = [
    lambda: autodiff.multinomial(autodiff.tensor([0.0, 1.0]), 2),      # zeros come last
    lambda: autodiff.multinomial(autodiff.tensor([0.0, 1.0, 0.0]), 3),
    lambda: autodiff.multinomial(autodiff.tensor([[0.0, 1.0], [1.0, 0.0]]), 1),
    lambda: autodiff.multinomial(autodiff.tensor([0.0, 0.0, 1.0]), 5, replacement=True),
    lambda: autodiff.multinomial(autodiff.tensor([0.0, 0.0]), 1),
    lambda: autodiff.multinomial(autodiff.ones(2, 2, 2), 1),
    lambda: autodiff.multinomial(autodiff.tensor(1.0), 1),
    lambda: autodiff.multinomial(autodiff.ones(3), 0),
    lambda: autodiff.multinomial(autodiff.ones(3), 4),
    lambda: autodiff.multinomial(autodiff.tensor([1.0, -1.0]), 1),
    lambda: autodiff.multinomial(autodiff.tensor([1, 2]), 1),
]


@pytest.mark.parametrize("fn", MULTINOMIAL_SAME)
def test_multinomial_results_and_errors_match_torch(fn, torch):
    from _helpers import in_torch

    def outcome(f):
        try:
            return f().tolist()
        except RuntimeError as e:
            return str(e)
    assert outcome(fn) == outcome(in_torch(fn, torch))


@pytest.mark.parametrize("replacement", [True, False])
def test_multinomial_draws_in_proportion(replacement):
    autodiff.manual_seed(1)
    p = autodiff.tensor([0.1, 0.2, 0.7], dtype=autodiff.float64)
    if replacement:
        draws = autodiff.multinomial(p.expand(4, 3), 5000, replacement=True).flatten()
    else:                                        # the first of two draws without replacement
        draws = autodiff.multinomial(p.expand(20_000, 3), 2)[:, 0]
    freq = np.bincount(draws.numpy(), minlength=3) / draws.numel()
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.7], atol=0.015)
    pairs = autodiff.multinomial(autodiff.ones(5000, 4), 4)
    assert (pairs.sort(1).values == autodiff.arange(4)).all()           # a permutation each
    assert autodiff.ones(3).multinomial(2).dtype is autodiff.int64
