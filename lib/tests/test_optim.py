"""autodiff.optim: trajectories equal to torch.optim's, parameter groups, state dicts, errors."""
import copy
import warnings

import numpy as np
import pytest

import autodiff
import autodiff.optim as optim

# ---- a small fixed problem: two parameters, gradients computed in numpy -----------------------
_RNG = np.random.default_rng(1234)
A = _RNG.normal(size=(5, 3))
B = _RNG.normal(size=(5, 2))
W0 = _RNG.normal(size=(3, 2))
V0 = _RNG.normal(size=(4,))


def grad_of(w: np.ndarray) -> np.ndarray:
    """Gradient of |A w - B|^2 / 2 + 0.1 sum(w^4) (a matrix) or of sum(x^2/2 - cos(3x)/3)."""
    if w.ndim == 2:
        return A.T @ (A @ w - B) + 0.4 * w ** 3
    return w + np.sin(3 * w)


CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.5, 0.8), eps=1e-6)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, maximize=True, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.2, amsgrad=True)),
    ("AdamW", dict(lr=0.05, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.5, eps=1e-6, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-6, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, eps=1e-4, weight_decay=0.1)),
    ("Adadelta", dict(lr=0.5, maximize=True)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, betas=(0.5, 0.9), weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
]


def _ids(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


def _feed(params, lib, sign):
    """Set each parameter's gradient from its current value."""
    for p in params:
        value = p.detach().numpy()
        p.grad = lib.tensor((sign * grad_of(value)).astype(value.dtype))


def _pair(torch, name, kw, dtype=np.float64):
    t = [torch.tensor(W0.astype(dtype), requires_grad=True),
         torch.tensor(V0.astype(dtype), requires_grad=True)]
    a = [autodiff.tensor(W0.astype(dtype), requires_grad=True),
         autodiff.tensor(V0.astype(dtype), requires_grad=True)]
    return t, a, getattr(torch.optim, name)(t, **kw), getattr(optim, name)(a, **kw)


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_trajectory_matches_torch_float64(torch, case):
    name, kw = case
    sign = -1.0 if kw.get("maximize") else 1.0        # maximize the negated function: it converges
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
    tstate, astate = topt.state_dict()["state"], aopt.state_dict()["state"]
    assert tstate.keys() == astate.keys()
    for i in tstate:
        assert tstate[i].keys() == astate[i].keys()
        for key, value in tstate[i].items():
            np.testing.assert_allclose(astate[i][key].numpy(), value.numpy(),
                                       rtol=1e-11, atol=1e-13)
            assert astate[i][key].dtype.name == str(value.dtype).split(".")[1]


@pytest.mark.torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
                                  "Adamax", "NAdam", "RAdam"])
def test_trajectory_matches_torch_float32(torch, name):
    kw = {"lr": 0.02, "momentum": 0.9} if name == "SGD" else {"lr": 0.02}
    t, a, topt, aopt = _pair(torch, name, kw, np.float32)
    for _ in range(20):
        _feed(t, torch, 1.0)
        _feed(a, autodiff, 1.0)
        topt.step()
        aopt.step()
    for tp, ap in zip(t, a):
        assert ap.dtype == autodiff.float32
        np.testing.assert_allclose(ap.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_seed_example_minimises_a_quadratic(capsys):
    x = autodiff.tensor(0.0, requires_grad=True)
    a, b, c = autodiff.tensor(1.0), autodiff.tensor(-2.0), autodiff.tensor(1.0)
    optimizer = optim.SGD(params=[x], lr=0.01)

    def f(x):
        return a * autodiff.pow(x, 2) + b * x + c

    for _ in range(500):
        optimizer.zero_grad()
        y = f(x)
        y.backward()
        optimizer.step()
    print("y=", f(x).data, ";", "x=", x.data)
    assert capsys.readouterr().out == "y= tensor(0.) ; x= tensor(1.0000)\n"


def test_step_uses_autograd_gradients_and_closure():
    x = autodiff.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([x], lr=0.1)
    calls = []

    def closure():
        calls.append(autodiff.is_grad_enabled())
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    with autodiff.no_grad():                         # the closure still records its graph
        loss = opt.step(closure)
    assert calls == [True]
    assert loss.item() == 5.0
    np.testing.assert_allclose(x.detach().numpy(), [0.8, -1.6])
    assert opt.step() is None


def test_step_updates_in_place():
    p = autodiff.tensor([1.0, 2.0, 3.0], requires_grad=True)
    shared = p.detach().numpy()                      # a numpy array sharing p's memory
    before = p._data
    opt = optim.Adam([p], lr=0.5)
    p.grad = autodiff.ones(3)
    version = p._vc[0]
    opt.step()
    assert p._data is before
    np.testing.assert_allclose(shared, [0.5, 1.5, 2.5], rtol=1e-6)
    assert p._vc[0] == version + 1                   # autograd sees the in-place change


def test_parameters_without_grad_are_skipped():
    p, q = autodiff.ones(2, requires_grad=True), autodiff.ones(2, requires_grad=True)
    opt = optim.Adam([p, q], lr=0.1)
    p.grad = autodiff.ones(2)
    opt.step()
    assert q.tolist() == [1.0, 1.0] and p.tolist() != [1.0, 1.0]
    assert q not in opt.state and len(opt.state[p]) == 3


def test_zero_grad():
    p = autodiff.ones(2, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = autodiff.tensor([1.0, 2.0])
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None
    opt.zero_grad()                                   # no gradient: nothing to do


def test_accepts_lists_generators_named_params_and_groups():
    p, q = autodiff.ones(2, requires_grad=True), autodiff.ones(3, requires_grad=True)
    assert optim.SGD([p], lr=0.01).param_groups[0]["params"][0] is p
    assert len(optim.SGD((t for t in [p, q]), lr=0.01).param_groups[0]["params"]) == 2
    named = optim.SGD([("w", p), ("b", q)], lr=0.01)
    assert named.param_groups[0]["param_names"] == ["w", "b"]
    opt = optim.SGD([{"params": [p]}, {"params": q, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0, 0.9]
    assert opt.param_groups[1]["params"] == [q]
    assert opt.defaults["lr"] == 0.1


def test_add_param_group():
    p, q = autodiff.ones(2, requires_grad=True), autodiff.ones(3, requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    opt.add_param_group({"params": [q], "lr": 0.01})
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [p]})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([p])
    with pytest.raises(TypeError, match="ordered collections"):
        opt.add_param_group({"params": {autodiff.ones(1, requires_grad=True)}})
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([p, p], lr=0.1)


def test_bad_parameters():
    p = autodiff.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts, but got "
                                        "autodiff.FloatTensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the "
                                        "params is int"):
        optim.SGD([1], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(NotImplementedError, match="differentiable"):
        optim.SGD([p], lr=0.1, differentiable=True)


@pytest.mark.parametrize("make, message", [
    (lambda p: optim.SGD([p], lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda p: optim.SGD([p], momentum=-1), "Invalid momentum value: -1"),
    (lambda p: optim.SGD([p], weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda p: optim.SGD([p], nesterov=True), "Nesterov momentum requires a momentum and zero "
                                               "dampening"),
    (lambda p: optim.SGD([p], momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
    (lambda p: optim.Adam([p], betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    (lambda p: optim.AdamW([p], betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (lambda p: optim.Adam([p], eps=-1.0), "Invalid epsilon value: -1.0"),
    (lambda p: optim.RMSprop([p], alpha=-1), "Invalid alpha value: -1"),
    (lambda p: optim.Adagrad([p], lr_decay=-1), "Invalid lr_decay value: -1"),
    (lambda p: optim.Adagrad([p], initial_accumulator_value=-1),
     "Invalid initial_accumulator_value value: -1"),
    (lambda p: optim.Adadelta([p], rho=1.5), "Invalid rho value: 1.5"),
    (lambda p: optim.NAdam([p], momentum_decay=-1), "Invalid momentum_decay value: -1"),
])
def test_invalid_options(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make(autodiff.ones(1, requires_grad=True))


@pytest.mark.torch
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
                                  "Adamax", "NAdam", "RAdam"])
def test_repr_matches_torch(torch, name):
    kw = {"lr": 0.1}
    t = [torch.ones(1, requires_grad=True), torch.ones(1, requires_grad=True)]
    a = [autodiff.ones(1, requires_grad=True), autodiff.ones(1, requires_grad=True)]
    topt = getattr(torch.optim, name)([{"params": [t[0]]}, {"params": [t[1]], "lr": 0.5}], **kw)
    aopt = getattr(optim, name)([{"params": [a[0]]}, {"params": [a[1]], "lr": 0.5}], **kw)
    assert repr(aopt) == repr(topt)


def test_repr_text():
    opt = optim.SGD([autodiff.ones(1, requires_grad=True)], lr=0.1, momentum=0.9)
    assert repr(opt) == ("SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n"
                         "    foreach: None\n    fused: None\n    lr: 0.1\n    maximize: False\n"
                         "    momentum: 0.9\n    nesterov: False\n    weight_decay: 0\n)")


def _run(opt, params, steps):
    for _ in range(steps):
        _feed(params, autodiff, 1.0)
        opt.step()


def _fresh(name, kw):
    params = [autodiff.tensor(W0, requires_grad=True), autodiff.tensor(V0, requires_grad=True)]
    groups = [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.01}]
    return params, getattr(optim, name)(groups, **kw)


@pytest.mark.parametrize("case", CASES[::3], ids=[_ids(c) for c in CASES[::3]])
def test_state_dict_round_trip_resumes_identically(case):
    name, kw = case
    params, opt = _fresh(name, kw)
    _run(opt, params, 8)
    saved = copy.deepcopy(opt.state_dict())
    clones = [autodiff.tensor(p.detach().numpy().copy(), requires_grad=True) for p in params]
    clone_groups = [{"params": [clones[0]]}, {"params": [clones[1]]}]
    resumed = getattr(optim, name)(clone_groups, **kw)
    resumed.load_state_dict(saved)
    assert resumed.param_groups[1]["lr"] == 0.01
    _run(opt, params, 8)
    _run(resumed, clones, 8)
    for p, c in zip(params, clones):
        assert np.array_equal(p.detach().numpy(), c.detach().numpy())


def test_state_dict_format():
    p, q = autodiff.ones(2, requires_grad=True), autodiff.ones(3, requires_grad=True)
    opt = optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1, momentum=0.9)
    p.grad, q.grad = autodiff.ones(2), autodiff.ones(3)
    opt.step()
    sd = opt.state_dict()
    assert list(sd) == ["state", "param_groups"]
    assert sd["param_groups"][0]["params"] == [0] and sd["param_groups"][1]["params"] == [1]
    assert sd["param_groups"][1]["lr"] == 0.5
    assert set(sd["state"]) == {0, 1}
    assert sd["state"][1]["momentum_buffer"].tolist() == [1.0, 1.0, 1.0]
    adam = optim.Adam([p])
    p.grad = autodiff.ones(2)
    adam.step()
    step = adam.state_dict()["state"][0]["step"]
    assert step.dtype == autodiff.float32 and step.shape == () and step.item() == 1.0


@pytest.mark.torch
def test_state_dict_structure_matches_torch(torch):
    t = torch.ones(2, requires_grad=True)
    a = autodiff.ones(2, requires_grad=True)
    topt, aopt = torch.optim.Adam([t], lr=0.1, amsgrad=True), optim.Adam([a], lr=0.1, amsgrad=True)
    t.grad, a.grad = torch.ones(2), autodiff.ones(2)
    topt.step()
    aopt.step()
    tsd, asd = topt.state_dict(), aopt.state_dict()
    assert tsd["param_groups"] == asd["param_groups"]
    assert list(tsd["state"][0]) == list(asd["state"][0])


@pytest.mark.torch
@pytest.mark.parametrize("default", ["float32", "float64"])
def test_counters_follow_the_default_dtype_as_in_torch(torch, default):
    torch_default = torch.get_default_dtype()
    try:
        torch.set_default_dtype(getattr(torch, default))
        autodiff.set_default_dtype(getattr(autodiff, default))
        t, a, topt, aopt = _pair(torch, "NAdam", {})
        _feed(t, torch, 1.0)
        _feed(a, autodiff, 1.0)
        topt.step()
        aopt.step()
        for key in ("step", "mu_product"):
            assert aopt.state[a[0]][key].dtype.name == default
            assert topt.state[t[0]][key].dtype == getattr(torch, default)
    finally:
        torch.set_default_dtype(torch_default)


def test_load_state_dict_copies_and_casts():
    p = autodiff.ones(2, requires_grad=True)
    opt = optim.Adam([p])
    p.grad = autodiff.ones(2)
    opt.step()
    sd = opt.state_dict()
    q = autodiff.ones(2, dtype=autodiff.float32, requires_grad=True)
    other = optim.Adam([q])
    sd64 = copy.deepcopy(sd)
    sd64["state"][0]["exp_avg"] = sd64["state"][0]["exp_avg"].double()
    other.load_state_dict(sd64)
    assert other.state[q]["exp_avg"].dtype == autodiff.float32         # cast to the parameter's
    assert other.state[q]["step"].dtype == autodiff.float32
    other.load_state_dict(sd)
    assert other.state[q]["exp_avg"]._data is not sd["state"][0]["exp_avg"]._data
    q.grad = autodiff.ones(2)
    other.step()
    assert opt.state[p]["step"].item() == 1.0                          # not shared with other
    assert other.state[q]["step"].item() == 2.0


def test_load_state_dict_errors():
    p, q = autodiff.ones(2, requires_grad=True), autodiff.ones(2, requires_grad=True)
    sd = optim.SGD([p, q], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [p]}, {"params": [q]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optim.SGD([p], lr=0.1).load_state_dict(sd)


def test_load_state_dict_fills_missing_options_and_numeric_step():
    p = autodiff.ones(2, requires_grad=True)
    opt = optim.Adam([p])
    sd = {"state": {0: {"step": 3, "exp_avg": autodiff.zeros(2), "exp_avg_sq": autodiff.zeros(2)}},
          "param_groups": [{"lr": 0.5, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                            "amsgrad": False, "params": [0]}]}
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["maximize"] is False and opt.param_groups[0]["lr"] == 0.5
    assert isinstance(opt.state[p]["step"], autodiff.Tensor) and opt.state[p]["step"].item() == 3


def test_adagrad_state_exists_from_the_start():
    p = autodiff.ones(2, requires_grad=True)
    opt = optim.Adagrad([p], initial_accumulator_value=0.25)
    assert opt.state[p]["sum"].tolist() == [0.25, 0.25]
    assert opt.state[p]["step"].item() == 0.0


def test_lr_can_change_between_steps():
    p = autodiff.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = autodiff.tensor([1.0])
    opt.step()
    opt.param_groups[0]["lr"] = 0.5
    opt.step()
    assert p.tolist() == pytest.approx([1.0 - 0.1 - 0.5])


def test_custom_optimizer_subclass():
    class Sign(optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        @autodiff.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p -= group["lr"] * p.grad.sign()

    p = autodiff.tensor([1.0, -1.0], requires_grad=True)
    opt = Sign([p])
    p.grad = autodiff.tensor([3.0, -0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
    assert p.tolist() == pytest.approx([0.9, -0.9])
    assert opt._opt_called
    with pytest.raises(NotImplementedError):
        optim.Optimizer([p], {}).step()
