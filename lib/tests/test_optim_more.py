"""autodiff.optim.Rprop, ASGD and LBFGS: trajectories and state equal to torch.optim's, reprs,
state dicts that resume identically, torch's errors."""
import copy

import numpy as np
import pytest

import autodiff
import autodiff.optim as optim

# ---- Rprop and ASGD: gradients fed from numpy, as in test_optim.py -------------------------------
_RNG = np.random.default_rng(2024)
A = _RNG.normal(size=(5, 3))
B = _RNG.normal(size=(5, 2))
W0 = _RNG.normal(size=(3, 2))
V0 = _RNG.normal(size=(4,))


def grad_of(w):
    """Gradient of |A w - B|^2 / 2 + 0.1 sum(w^4) (a matrix) or of sum(x^2/2 - cos(3x)/3)."""
    if w.ndim == 2:
        return A.T @ (A @ w - B) + 0.4 * w ** 3
    return w + np.sin(3 * w)


CASES = [
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("Rprop", dict(lr=0.02, etas=(0.6, 1.1), maximize=True, foreach=False)),
    ("Rprop", dict(lr=0.02, capturable=True, foreach=True)),
    ("ASGD", dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=5)),
    ("ASGD", dict(lr=0.03, lambd=0.1, alpha=0.9, t0=3, weight_decay=0.1)),
    ("ASGD", dict(lr=0.05, t0=10, maximize=True, foreach=False)),
]


def _ids(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


def _feed(params, lib, sign):
    for p in params:
        value = p.detach().numpy()
        p.grad = lib.tensor((sign * grad_of(value)).astype(value.dtype))


def _pair(torch, name, kw, dtype=np.float64):
    t = [torch.tensor(W0.astype(dtype), requires_grad=True),
         torch.tensor(V0.astype(dtype), requires_grad=True)]
    a = [autodiff.tensor(W0.astype(dtype), requires_grad=True),
         autodiff.tensor(V0.astype(dtype), requires_grad=True)]
    tkw = {k: v for k, v in kw.items() if k != "capturable"}   # torch: CUDA only
    return t, a, getattr(torch.optim, name)(t, **tkw), getattr(optim, name)(a, **kw)


def _assert_same(tvalue, avalue, torch, rtol=1e-11, atol=1e-13):
    """A state value of autodiff equal to torch's: same kind, dtype and (nearly) same value."""
    if isinstance(tvalue, torch.Tensor):
        assert isinstance(avalue, autodiff.Tensor)
        assert avalue.dtype.name == str(tvalue.dtype).split(".")[1]
        assert tuple(avalue.shape) == tuple(tvalue.shape)
        np.testing.assert_allclose(avalue.numpy(), tvalue.numpy(), rtol=rtol, atol=atol)
    elif isinstance(tvalue, list):
        assert type(avalue) is list and len(avalue) == len(tvalue)
        for t, a in zip(tvalue, avalue):
            _assert_same(t, a, torch, rtol, atol)
    elif tvalue is None:
        assert avalue is None
    else:
        assert type(avalue) is type(tvalue)
        assert avalue == pytest.approx(tvalue, rel=rtol, abs=atol)


def _assert_same_states(topt, aopt, torch, **tol):
    tstate, astate = topt.state_dict()["state"], aopt.state_dict()["state"]
    assert list(tstate) == list(astate)
    for i in tstate:
        assert list(tstate[i]) == list(astate[i])
        for key in tstate[i]:
            _assert_same(tstate[i][key], astate[i][key], torch, **tol)


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_trajectory_matches_torch_float64(torch, case):
    name, kw = case
    sign = -1.0 if kw.get("maximize") else 1.0
    t, a, topt, aopt = _pair(torch, name, kw)
    for _ in range(25):
        _feed(t, torch, sign)
        _feed(a, autodiff, sign)
        topt.step()
        aopt.step()
        for tp, ap in zip(t, a):
            np.testing.assert_allclose(ap.detach().numpy(), tp.detach().numpy(),
                                       rtol=1e-11, atol=1e-13)
    start = np.concatenate([W0.ravel(), V0])
    assert not np.allclose(np.concatenate([p.detach().numpy().ravel() for p in a]), start)
    _assert_same_states(topt, aopt, torch)


@pytest.mark.torch
@pytest.mark.parametrize("case", [CASES[2], CASES[7]], ids=["Rprop", "ASGD"])
def test_trajectory_matches_torch_float32(torch, case):
    name, kw = case
    t, a, topt, aopt = _pair(torch, name, kw, np.float32)
    for _ in range(20):
        _feed(t, torch, 1.0)
        _feed(a, autodiff, 1.0)
        topt.step()
        aopt.step()
    for tp, ap in zip(t, a):
        assert ap.dtype == autodiff.float32
        np.testing.assert_allclose(ap.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6)
    _assert_same_states(topt, aopt, torch, rtol=1e-5, atol=1e-6)


def test_rprop_steps_by_hand():
    p = autodiff.tensor([1.0, 1.0, 1.0], dtype=autodiff.float64, requires_grad=True)
    opt = optim.Rprop([p], lr=0.1, etas=(0.5, 2.0), step_sizes=(0.01, 0.3))
    for grad in ([1.0, -1.0, 0.0], [2.0, 1.0, 5.0], [3.0, 1.0, 1.0], [1.0, 1.0, 1.0]):
        p.grad = autodiff.tensor(grad, dtype=autodiff.float64)
        opt.step()
    # sizes [.1,.1,.1] -> [.2,.05 (a flip: no step),.1] -> [.3 (clamped),.05,.2] -> [.3,.1,.3];
    # a zero gradient (or one after a flip) keeps the size and makes no step
    np.testing.assert_allclose(p.detach().numpy(), [1 - .1 - .2 - .3 - .3, 1 + .1 - .05 - .1,
                                                    1 - .1 - .2 - .3])
    assert opt.state[p]["step"].item() == 4.0
    np.testing.assert_allclose(opt.state[p]["step_size"].numpy(), [0.3, 0.1, 0.3])


def test_asgd_averages_from_t0():
    p = autodiff.tensor([2.0], requires_grad=True)
    opt = optim.ASGD([p], lr=0.5, lambd=0.0, t0=2)
    seen = []
    for _ in range(5):
        p.grad = autodiff.tensor([1.0])
        opt.step()
        seen.append(p.item())
    assert seen == pytest.approx([1.5, 1.0, 0.5, 0.0, -0.5])
    # ax copies p until mu = 1 / (step - t0) drops below 1 (after step 3), then averages
    assert opt.state[p]["ax"].item() == pytest.approx(0.5 + (0.0 - 0.5) + 0.5 * (-0.5 - 0.0))
    assert opt.state[p]["mu"].item() == pytest.approx(1 / 3)
    assert opt.state[p]["eta"].dtype == autodiff.float32


@pytest.mark.torch
def test_asgd_scalars_follow_the_default_dtype_as_in_torch(torch):
    torch_default = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        autodiff.set_default_dtype(autodiff.float64)
        t, a, topt, aopt = _pair(torch, "ASGD", dict(lr=0.05, t0=2))
        for _ in range(4):
            _feed(t, torch, 1.0)
            _feed(a, autodiff, 1.0)
            topt.step()
            aopt.step()
        _assert_same_states(topt, aopt, torch)
        assert aopt.state[a[0]]["eta"].dtype == autodiff.float64
    finally:
        torch.set_default_dtype(torch_default)


# ---- LBFGS: closures on a Rosenbrock function and on a least-squares problem -------------------
_X0 = np.array([-1.2, 1.0, -0.5, 0.8])
_M = _RNG.normal(size=(8, 3))
_Y = _RNG.normal(size=(8, 2))
_B0 = _RNG.normal(size=(2,))


def _rosenbrock(lib, params):
    (x,) = params
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def _least_squares(lib, params):
    w, b = params
    return ((lib.tensor(_M, dtype=w.dtype) @ w + b - lib.tensor(_Y, dtype=w.dtype)) ** 2).sum() / 2


PROBLEMS = {"rosenbrock": (_rosenbrock, [_X0]), "least_squares": (_least_squares, [W0, _B0])}

LBFGS_CASES = [
    dict(max_iter=2),
    dict(line_search_fn="strong_wolfe", max_iter=2),
    dict(lr=0.5, max_iter=3, history_size=2),
    dict(line_search_fn="strong_wolfe", max_iter=5, max_eval=6, history_size=3),
    dict(lr=0.2, max_iter=4, tolerance_grad=0.5, tolerance_change=1e-3),
    dict(max_iter=3, tolerance_change=1e-2),
    dict(lr=0.3, line_search_fn="strong_wolfe", tolerance_change=1e-6, history_size=4),
    dict(lr=10, line_search_fn="strong_wolfe", max_iter=4),    # long zooms, slow progress
    dict(lr=0.01, line_search_fn="strong_wolfe", max_iter=3),  # extrapolation, out of evals
]


def _lbfgs_run(lib, opt_class, problem, kw, steps=20, dtype=np.float64):
    fn, starts = PROBLEMS[problem]
    params = [lib.tensor(s.astype(dtype), requires_grad=True) for s in starts]
    opt = opt_class(params, **kw)

    def closure():
        opt.zero_grad()
        loss = fn(lib, params)
        loss.backward()
        return loss

    trajectory, losses = [], []
    for _ in range(steps):
        losses.append(opt.step(closure).item())
        trajectory.append(np.concatenate([p.detach().numpy().ravel() for p in params]))
    return np.array(trajectory), losses, opt


@pytest.mark.torch
@pytest.mark.parametrize("problem", sorted(PROBLEMS))
@pytest.mark.parametrize("kw", LBFGS_CASES, ids=[_ids(("LBFGS", kw)) for kw in LBFGS_CASES])
def test_lbfgs_matches_torch_float64(torch, problem, kw):
    ttraj, tlosses, topt = _lbfgs_run(torch, torch.optim.LBFGS, problem, kw)
    atraj, alosses, aopt = _lbfgs_run(autodiff, optim.LBFGS, problem, kw)
    np.testing.assert_allclose(atraj, ttraj, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(alosses, tlosses, rtol=1e-9, atol=1e-12)
    assert not np.allclose(atraj[0], atraj[-1])
    _assert_same_states(topt, aopt, torch, rtol=1e-7, atol=1e-9)


@pytest.mark.torch
@pytest.mark.parametrize("problem, line_search_fn", [
    ("least_squares", None), ("least_squares", "strong_wolfe"), ("rosenbrock", "strong_wolfe")])
def test_lbfgs_defaults_converge_as_torch(torch, problem, line_search_fn):
    """With the defaults (20 iterations a step) both reach the optimum in the first steps; there
    the steps are made of rounding noise (torch's kernels use fused multiply-adds, numpy does
    not), so the points agree to 1e-6 only -- but the iteration counts exactly. (Rosenbrock
    with 20 fixed unit steps a step does not converge: it amplifies those roundings.)"""
    kw = dict(line_search_fn=line_search_fn)
    ttraj, tlosses, topt = _lbfgs_run(torch, torch.optim.LBFGS, problem, kw, 4)
    atraj, alosses, aopt = _lbfgs_run(autodiff, optim.LBFGS, problem, kw, 4)
    np.testing.assert_allclose(atraj, ttraj, rtol=0, atol=1e-6)
    np.testing.assert_allclose(alosses, tlosses, rtol=1e-9, atol=1e-9)
    tstate, astate = topt.state_dict()["state"][0], aopt.state_dict()["state"][0]
    assert list(astate) == list(tstate)
    assert (astate["n_iter"], astate["func_evals"]) == (tstate["n_iter"], tstate["func_evals"])
    if problem == "rosenbrock":
        np.testing.assert_allclose(atraj[-1], np.ones(4), atol=1e-4)


@pytest.mark.torch
@pytest.mark.parametrize("kw", [LBFGS_CASES[0], LBFGS_CASES[1]], ids=["fixed", "strong_wolfe"])
def test_lbfgs_matches_torch_float32(torch, kw):
    ttraj, _, topt = _lbfgs_run(torch, torch.optim.LBFGS, "least_squares", kw, 6, np.float32)
    atraj, _, aopt = _lbfgs_run(autodiff, optim.LBFGS, "least_squares", kw, 6, np.float32)
    np.testing.assert_allclose(atraj, ttraj, rtol=1e-4, atol=1e-5)
    state = aopt.state[aopt.param_groups[0]["params"][0]]
    assert state["d"].dtype == autodiff.float32 and state["ro"][0].dtype == autodiff.float32
    assert state["H_diag"].dtype == autodiff.float32
    assert state["n_iter"] == topt.state[topt.param_groups[0]["params"][0]]["n_iter"]


@pytest.mark.torch
def test_lbfgs_parameter_without_grad_counts_as_zero(torch):
    results = []
    for lib, cls in ((torch, torch.optim.LBFGS), (autodiff, optim.LBFGS)):
        x = lib.tensor(_X0.copy(), requires_grad=True)
        unused = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
        opt = cls([x, unused], line_search_fn="strong_wolfe", max_iter=3)

        def closure():
            opt.zero_grad()
            loss = _rosenbrock(lib, [x])
            loss.backward()
            return loss

        for _ in range(5):
            opt.step(closure)
        results.append((x.detach().numpy().copy(), unused.detach().numpy().copy()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-9)
    assert results[1][1].tolist() == results[0][1].tolist() == [3.0, 4.0]


def test_lbfgs_closure_runs_with_grad_and_loss_is_the_first():
    x = autodiff.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.LBFGS([x], max_iter=3)
    modes, losses = [], []

    def closure():
        modes.append(autodiff.is_grad_enabled())
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        losses.append(loss.item())
        return loss

    with autodiff.no_grad():
        loss = opt.step(closure)
    assert modes == [True] * 3 and loss.item() == 5.0 == losses[0] != losses[1]
    # a quadratic: the second iteration is a Newton step (H_diag = ys / yy is exact)
    assert opt.state[x]["func_evals"] == 3 and opt.state[x]["n_iter"] == 2
    np.testing.assert_allclose(x.detach().numpy(), [0.0, 0.0], atol=1e-6)
    assert x._vc[0] > 0


def test_lbfgs_stops_at_an_optimum():
    x = autodiff.tensor([0.0, 0.0], requires_grad=True)
    opt = optim.LBFGS([x])

    def closure():
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    opt.step(closure)
    assert opt.state[x] == {"func_evals": 1, "n_iter": 0}
    assert x.tolist() == [0.0, 0.0]


# ---- reprs, state dicts -----------------------------------------------------------------------
@pytest.mark.torch
@pytest.mark.parametrize("name, kw", [
    ("Rprop", dict(lr=0.1)), ("Rprop", dict(etas=(0.4, 1.3), step_sizes=(1e-4, 1), foreach=True)),
    ("ASGD", dict(lr=0.1)), ("ASGD", dict(lambd=0.1, alpha=0.5, t0=10, weight_decay=0.01,
                                          maximize=True)),
])
def test_repr_matches_torch(torch, name, kw):
    t = [torch.ones(1, requires_grad=True), torch.ones(1, requires_grad=True)]
    a = [autodiff.ones(1, requires_grad=True), autodiff.ones(1, requires_grad=True)]
    topt = getattr(torch.optim, name)([{"params": [t[0]]}, {"params": [t[1]], "lr": 0.5}], **kw)
    aopt = getattr(optim, name)([{"params": [a[0]]}, {"params": [a[1]], "lr": 0.5}], **kw)
    assert repr(aopt) == repr(topt)


@pytest.mark.torch
@pytest.mark.parametrize("kw", [dict(), dict(lr=0.5, max_iter=7, line_search_fn="strong_wolfe",
                                             history_size=5, tolerance_change=1e-5)])
def test_lbfgs_repr_matches_torch(torch, kw):
    topt = torch.optim.LBFGS([torch.ones(1, requires_grad=True)], **kw)
    aopt = optim.LBFGS([autodiff.ones(1, requires_grad=True)], **kw)
    assert repr(aopt) == repr(topt)
    assert topt.state_dict() == aopt.state_dict()


def test_lbfgs_repr_text():
    assert repr(optim.LBFGS([autodiff.ones(1, requires_grad=True)])) == (
        "LBFGS (\nParameter Group 0\n    history_size: 100\n    line_search_fn: None\n"
        "    lr: 1\n    max_eval: 25\n    max_iter: 20\n    tolerance_change: 1e-09\n"
        "    tolerance_grad: 1e-07\n)")


@pytest.mark.torch
@pytest.mark.parametrize("name", ["Rprop", "ASGD"])
def test_state_dict_structure_matches_torch(torch, name):
    t, a, topt, aopt = _pair(torch, name, {"lr": 0.05})
    for _ in range(2):
        _feed(t, torch, 1.0)
        _feed(a, autodiff, 1.0)
        topt.step()
        aopt.step()
    tsd, asd = topt.state_dict(), aopt.state_dict()
    assert tsd["param_groups"] == asd["param_groups"]
    _assert_same_states(topt, aopt, torch)


@pytest.mark.parametrize("case", [CASES[2], CASES[3], CASES[6], CASES[7]],
                         ids=[_ids(c) for c in (CASES[2], CASES[3], CASES[6], CASES[7])])
def test_state_dict_round_trip_resumes_identically(case):
    name, kw = case
    sign = -1.0 if kw.get("maximize") else 1.0

    def run(opt, params, steps):
        for _ in range(steps):
            _feed(params, autodiff, sign)
            opt.step()

    params = [autodiff.tensor(W0, requires_grad=True), autodiff.tensor(V0, requires_grad=True)]
    opt = getattr(optim, name)([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.01}],
                               **kw)
    run(opt, params, 8)
    saved = copy.deepcopy(opt.state_dict())
    clones = [autodiff.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
    resumed = getattr(optim, name)([{"params": [clones[0]]}, {"params": [clones[1]]}], **kw)
    resumed.load_state_dict(saved)
    assert resumed.param_groups[1]["lr"] == 0.01
    run(opt, params, 8)
    run(resumed, clones, 8)
    for p, c in zip(params, clones):
        assert np.array_equal(p.detach().numpy(), c.detach().numpy())
    if name == "ASGD":                      # kept in the scalar dtype (torch casts them)
        assert resumed.state[clones[0]]["eta"].dtype == autodiff.float32


@pytest.mark.parametrize("kw", [LBFGS_CASES[2], LBFGS_CASES[3]], ids=["fixed", "strong_wolfe"])
def test_lbfgs_state_dict_round_trip_resumes_identically(kw):
    def make(values):
        params = [autodiff.tensor(v.copy(), requires_grad=True) for v in values]
        opt = optim.LBFGS(params, **kw)

        def closure():
            opt.zero_grad()
            loss = _least_squares(autodiff, params) + (params[0] ** 4).sum() / 10
            loss.backward()
            return loss
        return params, opt, closure

    params, opt, closure = make([W0, _B0])
    for _ in range(3):
        opt.step(closure)
    saved = copy.deepcopy(opt.state_dict())
    clones, resumed, clone_closure = make([p.detach().numpy() for p in params])
    resumed.load_state_dict(saved)
    copied = resumed.state[clones[0]]["old_dirs"][0]
    assert copied._data is not saved["state"][0]["old_dirs"][0]._data
    for _ in range(3):
        opt.step(closure)
        resumed.step(clone_closure)
    for p, c in zip(params, clones):
        assert np.array_equal(p.detach().numpy(), c.detach().numpy())
    assert resumed.state[clones[0]]["n_iter"] == opt.state[params[0]]["n_iter"]


@pytest.mark.torch
def test_lbfgs_state_dict_keys_match_torch(torch):
    _, _, topt = _lbfgs_run(torch, torch.optim.LBFGS, "least_squares", LBFGS_CASES[3], 2)
    _, _, aopt = _lbfgs_run(autodiff, optim.LBFGS, "least_squares", LBFGS_CASES[3], 2)
    tsd, asd = topt.state_dict(), aopt.state_dict()
    assert tsd["param_groups"] == asd["param_groups"]
    assert list(tsd["state"]) == list(asd["state"]) == [0]
    assert list(tsd["state"][0]) == list(asd["state"][0])


# ---- errors --------------------------------------------------------------------------------------
_BAD = [
    ("Rprop", dict(lr=-0.1)), ("Rprop", dict(etas=(1.5, 2.0))), ("Rprop", dict(etas=(0.5, 0.9))),
    ("Rprop", dict(etas=(0.0, 1.2))), ("ASGD", dict(lr=-1)), ("ASGD", dict(weight_decay=-0.5)),
    ("LBFGS", dict(lr=-1)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name, kw", _BAD, ids=[_ids(c) for c in _BAD])
def test_bad_options_raise_as_torch(torch, name, kw):
    with pytest.raises(Exception) as texc:
        getattr(torch.optim, name)([torch.ones(1, requires_grad=True)], **kw)
    with pytest.raises(type(texc.value)) as aexc:
        getattr(optim, name)([autodiff.ones(1, requires_grad=True)], **kw)
    assert str(aexc.value) == str(texc.value)


@pytest.mark.torch
@pytest.mark.parametrize("name", ["Rprop", "ASGD", "LBFGS"])
def test_tensor_lr_must_have_one_element(torch, name):
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        getattr(torch.optim, name)([torch.ones(1, requires_grad=True)], lr=torch.ones(2))
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        getattr(optim, name)([autodiff.ones(1, requires_grad=True)], lr=autodiff.ones(2))


@pytest.mark.torch
def test_lbfgs_errors_match_torch(torch):
    def errors(lib, cls):
        out = []
        p = lib.ones(2, requires_grad=True)

        def closure():
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss
        for attempt in (
            lambda: cls([{"params": [p]}, {"params": [lib.ones(1, requires_grad=True)]}]),
            lambda: cls([p]).step(),
            lambda: cls([p], line_search_fn="wolfe").step(closure),
        ):
            opt = cls([p], line_search_fn="wolfe")
            with pytest.raises(Exception) as exc:
                attempt()
            out.append((type(exc.value), str(exc.value)))
        opt = cls([p])
        opt.add_param_group({"params": [lib.ones(1, requires_grad=True)]})
        with pytest.raises(Exception) as exc:
            opt.step(closure)
        out.append((type(exc.value), str(exc.value)))
        return out

    expected = errors(torch, torch.optim.LBFGS)
    assert errors(autodiff, optim.LBFGS) == expected
    assert [e[0] for e in expected] == [ValueError, TypeError, RuntimeError, AssertionError]


def test_differentiable_is_refused_and_capturable_accepted():
    p = autodiff.ones(2, requires_grad=True)
    for cls in (optim.Rprop, optim.ASGD):
        with pytest.raises(NotImplementedError, match="differentiable"):
            cls([p], differentiable=True)
        opt = cls([p], capturable=True, foreach=True)
        assert opt.param_groups[0]["capturable"] is True
