"""autodiff.optim.lr_scheduler: learning-rate sequences equal to torch's, state dicts, errors."""
import copy
import warnings

import pytest

import autodiff
import autodiff.optim as optim
from autodiff.optim import lr_scheduler as S


def _optimizer(lib, name="SGD", groups=2, **kw):
    params = [lib.zeros(2, requires_grad=True) for _ in range(groups)]
    return getattr(lib.optim, name)(
        [{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(params)], **kw)


METRIC = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9, 0.91, 0.95, 0.5,
          0.6, 0.7, 0.8, 0.9, 1.0] * 3

# (id, optimizer name, optimizer options, scheduler factory, group keys compared, steps, metric)
SCHEDULES = [
    ("StepLR", "SGD", {}, lambda M, o: M.StepLR(o, 7, gamma=0.5), ("lr",)),
    ("MultiStepLR", "SGD", {}, lambda M, o: M.MultiStepLR(o, [3, 8, 8, 20], gamma=0.3), ("lr",)),
    ("ExponentialLR", "SGD", {}, lambda M, o: M.ExponentialLR(o, 0.93), ("lr",)),
    ("CosineAnnealingLR", "SGD", {}, lambda M, o: M.CosineAnnealingLR(o, 10), ("lr",)),
    ("CosineAnnealingLR-eta_min", "Adam", {},
     lambda M, o: M.CosineAnnealingLR(o, T_max=7, eta_min=0.01), ("lr",)),
    ("LambdaLR", "SGD", {}, lambda M, o: M.LambdaLR(o, lambda e: 0.95 ** e + 0.1), ("lr",)),
    ("LambdaLR-list", "SGD", {},
     lambda M, o: M.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9 ** e]), ("lr",)),
    ("MultiplicativeLR", "SGD", {}, lambda M, o: M.MultiplicativeLR(o, lambda e: 0.97), ("lr",)),
    ("LinearLR", "SGD", {},
     lambda M, o: M.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=12), ("lr",)),
    ("LinearLR-default", "SGD", {}, lambda M, o: M.LinearLR(o), ("lr",)),
    ("ConstantLR", "SGD", {}, lambda M, o: M.ConstantLR(o, factor=0.4, total_iters=6), ("lr",)),
    ("PolynomialLR", "SGD", {}, lambda M, o: M.PolynomialLR(o, total_iters=15, power=2.0),
     ("lr",)),
    ("SequentialLR", "SGD", {},
     lambda M, o: M.SequentialLR(o, [M.LinearLR(o, 0.1, total_iters=5),
                                     M.CosineAnnealingLR(o, 20)], milestones=[5]), ("lr",)),
    ("SequentialLR-3", "SGD", {},
     lambda M, o: M.SequentialLR(o, [M.ConstantLR(o, 0.1, total_iters=3), M.ExponentialLR(o, 0.9),
                                     M.StepLR(o, 4)], milestones=[5, 12]), ("lr",)),
    ("ChainedScheduler", "SGD", {},
     lambda M, o: M.ChainedScheduler([M.ConstantLR(o, 0.1, total_iters=3),
                                      M.ExponentialLR(o, 0.9)]), ("lr",)),
    ("CosineAnnealingWarmRestarts", "SGD", {},
     lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.001), ("lr",)),
    ("CosineAnnealingWarmRestarts-1", "SGD", {},
     lambda M, o: M.CosineAnnealingWarmRestarts(o, T_0=7), ("lr",)),
    ("OneCycleLR-cos", "SGD", {"momentum": 0.9},
     lambda M, o: M.OneCycleLR(o, max_lr=1.0, total_steps=40), ("lr", "momentum")),
    ("OneCycleLR-linear-three_phase", "SGD", {"momentum": 0.9},
     lambda M, o: M.OneCycleLR(o, max_lr=[1.0, 2.0], epochs=4, steps_per_epoch=10,
                               anneal_strategy="linear", three_phase=True), ("lr", "momentum")),
    ("OneCycleLR-cos-three_phase", "SGD", {"momentum": 0.9},
     lambda M, o: M.OneCycleLR(o, max_lr=0.5, total_steps=40, three_phase=True,
                               div_factor=10.0, final_div_factor=100.0), ("lr", "momentum")),
    ("OneCycleLR-Adam-betas", "Adam", {},
     lambda M, o: M.OneCycleLR(o, max_lr=0.01, total_steps=40, pct_start=0.25,
                               base_momentum=0.8, max_momentum=0.9), ("lr", "betas")),
    ("OneCycleLR-no-momentum", "Adagrad", {},
     lambda M, o: M.OneCycleLR(o, max_lr=0.01, total_steps=40, cycle_momentum=False), ("lr",)),
    ("CyclicLR-triangular", "SGD", {"momentum": 0.9},
     lambda M, o: M.CyclicLR(o, 0.01, 0.1, step_size_up=4, step_size_down=6),
     ("lr", "momentum")),
    ("CyclicLR-triangular2", "SGD", {"momentum": 0.9},
     lambda M, o: M.CyclicLR(o, 0.01, 0.1, step_size_up=4, mode="triangular2"),
     ("lr", "momentum")),
    ("CyclicLR-exp_range-Adam", "Adam", {},
     lambda M, o: M.CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=3, mode="exp_range",
                             gamma=0.9), ("lr", "betas")),
    ("CyclicLR-scale_fn", "SGD", {},
     lambda M, o: M.CyclicLR(o, 0.01, 0.1, step_size_up=3, scale_fn=lambda x: 0.5 ** x,
                             scale_mode="iterations", cycle_momentum=False), ("lr",)),
]
PLATEAUS = [
    ("default-patience2", dict(patience=2, factor=0.5)),
    ("max-abs-cooldown-min_lrs", dict(mode="max", patience=1, threshold=0.05,
                                      threshold_mode="abs", cooldown=2, min_lr=[0.01, 0.05])),
    ("min-abs-eps", dict(patience=0, threshold=0.01, threshold_mode="abs", min_lr=0.02,
                         eps=1e-3)),
    ("max-rel", dict(mode="max", patience=3, cooldown=1)),
]


def _sequence(lib, opt_name, opt_kw, make, keys, steps, metric=None):
    opt = _optimizer(lib, opt_name, **opt_kw)
    sched = make(lib.optim.lr_scheduler, opt)
    seq = [([[g[k] for k in keys] for g in opt.param_groups], sched.get_last_lr())]
    for i in range(steps):
        opt.step()
        sched.step() if metric is None else sched.step(metric[i])
        seq.append(([[g[k] for k in keys] for g in opt.param_groups], list(sched.get_last_lr())))
    return seq


@pytest.mark.torch
@pytest.mark.parametrize("case", SCHEDULES, ids=[c[0] for c in SCHEDULES])
def test_lr_sequence_equals_torch(torch, case):
    _, opt_name, opt_kw, make, keys = case
    expected = _sequence(torch, opt_name, opt_kw, make, keys, 40)
    actual = _sequence(autodiff, opt_name, opt_kw, make, keys, 40)
    assert actual == expected                               # exactly: the same float operations
    assert len({str(lrs) for lrs, _ in actual}) > 1         # the schedule did move


@pytest.mark.torch
@pytest.mark.parametrize("case", PLATEAUS, ids=[c[0] for c in PLATEAUS])
def test_reduce_lr_on_plateau_equals_torch(torch, case):
    _, kw = case

    def make(M, o):
        return M.ReduceLROnPlateau(o, **kw)

    expected = _sequence(torch, "SGD", {}, make, ("lr",), 60, METRIC)
    actual = _sequence(autodiff, "SGD", {}, make, ("lr",), 60, METRIC)
    assert actual == expected
    assert actual[-1] != actual[0]


def test_reduce_lr_on_plateau_by_hand():
    opt = _optimizer(autodiff, groups=1)
    sched = S.ReduceLROnPlateau(opt, patience=1, factor=0.5, cooldown=1)
    lrs = []
    for metric in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5]:
        sched.step(metric)
        lrs.append(sched.get_last_lr()[0])
    assert lrs == [0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025]
    assert sched.best == 0.5 and sched.num_bad_epochs == 0


@pytest.mark.torch
@pytest.mark.parametrize("name, make", [
    ("StepLR", lambda M, o: M.StepLR(o, 3, gamma=0.5)),
    ("MultiStepLR", lambda M, o: M.MultiStepLR(o, [2, 5, 5], gamma=0.5)),
    ("ConstantLR", lambda M, o: M.ConstantLR(o, 0.5, total_iters=4)),
    ("LinearLR", lambda M, o: M.LinearLR(o, 0.2, total_iters=6)),
    ("ExponentialLR", lambda M, o: M.ExponentialLR(o, 0.8)),
    ("PolynomialLR", lambda M, o: M.PolynomialLR(o, 8, 1.5)),
    ("CosineAnnealingLR", lambda M, o: M.CosineAnnealingLR(o, 6, 0.01)),
    ("CosineAnnealingWarmRestarts", lambda M, o: M.CosineAnnealingWarmRestarts(o, 3, 2)),
])
def test_step_with_epoch_uses_the_closed_form(torch, name, make):
    results = []
    for lib in (torch, autodiff):
        opt = _optimizer(lib)
        sched = make(lib.optim.lr_scheduler, opt)
        lrs = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in [3, 1, 7, 4, 10, 0, 2.5 if name.startswith("CosineAnnealingW") else 2]:
                opt.step()
                sched.step(epoch)
                lrs.append(sched.get_last_lr())
        results.append(lrs)
    assert results[1] == results[0]


@pytest.mark.parametrize("case", SCHEDULES[::2], ids=[c[0] for c in SCHEDULES[::2]])
def test_state_dict_round_trip_resumes_identically(case):
    _, opt_name, opt_kw, make, keys = case
    opt = _optimizer(autodiff, opt_name, **opt_kw)
    sched = make(S, opt)
    for _ in range(9):
        opt.step()
        sched.step()
    opt_state, sched_state = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
    assert "optimizer" not in sched_state
    # the course's order: make the optimizer and scheduler, then load both states
    opt2 = _optimizer(autodiff, opt_name, **opt_kw)
    sched2 = make(S, opt2)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    assert sched2.get_last_lr() == sched.get_last_lr()
    for _ in range(15):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step()
        assert sched2.get_last_lr() == sched.get_last_lr()
        assert [[g[k] for k in keys] for g in opt2.param_groups] == \
            [[g[k] for k in keys] for g in opt.param_groups]


def test_plateau_state_dict_round_trip():
    opt = _optimizer(autodiff)
    sched = S.ReduceLROnPlateau(opt, patience=1, mode="max")
    for m in METRIC[:7]:
        sched.step(m)
    state = copy.deepcopy(sched.state_dict())
    opt2 = _optimizer(autodiff)
    opt2.load_state_dict(opt.state_dict())
    sched2 = S.ReduceLROnPlateau(opt2)
    sched2.load_state_dict(state)
    for m in METRIC[7:30]:
        sched.step(m)
        sched2.step(m)
        assert sched2.get_last_lr() == sched.get_last_lr()
    assert sched2.mode == "max" and sched2.mode_worse == float("-inf")


def test_lambda_state_dict_keeps_callable_objects():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate ** epoch

    opt = _optimizer(autodiff, groups=1)
    sched = S.LambdaLR(opt, Decay(0.5))
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"rate": 0.5}]
    other = S.LambdaLR(_optimizer(autodiff, groups=1), Decay(0.9))
    other.load_state_dict(state)
    assert other.lr_lambdas[0].rate == 0.5
    assert S.LambdaLR(opt, lambda e: 1.0).state_dict()["lr_lambdas"] == [None]


def test_initial_lr_and_base_lrs():
    opt = _optimizer(autodiff)
    sched = S.StepLR(opt, 2)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
    assert sched.base_lrs == [0.1, 0.2] and sched.last_epoch == 0
    assert sched.get_last_lr() == [0.1, 0.2]
    opt.param_groups[0]["initial_lr"] = 1.0
    resumed = S.StepLR(opt, 2, last_epoch=3)
    assert resumed.base_lrs == [1.0, 0.2] and resumed.last_epoch == 4


def test_warns_when_scheduler_steps_before_optimizer():
    p = autodiff.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    sched = S.StepLR(opt, 1)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before "
                                         r"`optimizer.step\(\)`"):
        sched.step()
    opt2 = optim.SGD([p], lr=0.1)
    sched2 = S.StepLR(opt2, 1)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()


def test_errors():
    opt = _optimizer(autodiff)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        S.StepLR([], 1)
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups"):
        S.StepLR(_optimizer(autodiff), 2, last_epoch=3)
    with pytest.raises(ValueError, match="Constant multiplicative factor expected to be between"):
        S.ConstantLR(opt, factor=2.0)
    with pytest.raises(ValueError, match="Starting multiplicative factor expected"):
        S.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        S.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(TypeError, match="lr_lambda should be a function, but got float"):
        S.MultiplicativeLR(opt, 0.5)
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        S.ReduceLROnPlateau(opt, factor=2.0)
    with pytest.raises(ValueError, match="mode sideways is unknown!"):
        S.ReduceLROnPlateau(opt, mode="sideways")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        S.ReduceLROnPlateau(opt, min_lr=[0.1])
    with pytest.raises(ValueError, match="Expected positive integer T_0, but got 0"):
        S.CosineAnnealingWarmRestarts(opt, 0)
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        S.OneCycleLR(opt, 1.0)
    with pytest.raises(ValueError, match="Expected float between 0 and 1 pct_start"):
        S.OneCycleLR(opt, 1.0, total_steps=10, pct_start=1)
    with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear'"):
        S.OneCycleLR(opt, 1.0, total_steps=10, anneal_strategy="step")
    with pytest.raises(ValueError, match="max_lr must have the same length as "
                                         "optimizer.param_groups"):
        S.OneCycleLR(opt, [1.0, 2.0, 3.0], total_steps=10)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        S.OneCycleLR(_optimizer(autodiff, "Adagrad"), 1.0, total_steps=10)
    cycle = S.OneCycleLR(_optimizer(autodiff, momentum=0.9), 1.0, total_steps=3)
    for _ in range(3):
        cycle.optimizer.step()
        cycle.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total "
                                         "steps is 3"):
        cycle.step()
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        S.SequentialLR(opt, [S.StepLR(_optimizer(autodiff), 1)], milestones=[])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        S.ChainedScheduler([S.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="number of schedulers provided to be one more than"):
        S.SequentialLR(opt, [S.StepLR(opt, 1)], milestones=[3])


@pytest.mark.torch
@pytest.mark.parametrize("case", SCHEDULES, ids=[c[0] for c in SCHEDULES])
def test_state_dict_keys_and_manual_get_lr_warning_as_torch(torch, case):
    import warnings
    _, opt_name, opt_kw, make, _ = case
    found = []
    for lib in (autodiff, torch):
        opt = _optimizer(lib, opt_name, **opt_kw)
        sched = make(lib.optim.lr_scheduler, opt)
        opt.step()
        sched.step()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                sched.get_lr()
            except NotImplementedError:          # the combined schedulers have none
                pass
        found.append((sorted(k for k in sched.state_dict() if not k.startswith("_schedulers")),
                      [str(w.message) for w in caught if "get_last_lr" in str(w.message)]))
    assert found[0] == found[1]
