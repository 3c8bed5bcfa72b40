"""The module system: registration of parameters, buffers and sub-modules, dotted names,
state_dict save/load (messages as torch's), modes, devices and dtypes, hooks, containers,
reprs, copying and pickling. Where torch is installed the same code runs on both."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import autodiff
import autodiff.nn as nn
from _helpers import assert_close


def _lib(name):
    """(tensor module, nn module) for 'autodiff' or 'torch'."""
    if name == "autodiff":
        return autodiff, nn
    torch = pytest.importorskip("torch")
    return torch, torch.nn


LIBS = ["autodiff", pytest.param("torch", marks=pytest.mark.torch)]


def _net(m, n):
    class Net(n.Module):
        def __init__(self):
            super().__init__()
            self.a = n.Linear(2, 2)
            self.b = self.a                                        # shared: listed once
            self.seq = n.Sequential(n.Linear(2, 3), n.ReLU())
            self.register_buffer("buf", m.zeros(2))
            self.register_buffer("tmp", m.ones(1), persistent=False)
            self.scale = n.Parameter(m.ones(1))
            self.note = "plain attributes are allowed"

        def forward(self, x, factor=1.0):
            return self.seq(self.a(x) * self.scale * factor)
    return Net()


@pytest.mark.parametrize("lib", LIBS)
def test_registration_and_dotted_names(lib):
    m, n = _lib(lib)
    net = _net(m, n)
    assert [k for k, _ in net.named_parameters()] == [
        "scale", "a.weight", "a.bias", "seq.0.weight", "seq.0.bias"]
    assert [k for k, _ in net.named_parameters(remove_duplicate=False)] == [
        "scale", "a.weight", "a.bias", "b.weight", "b.bias", "seq.0.weight", "seq.0.bias"]
    assert [k for k, _ in net.named_parameters(prefix="net", recurse=False)] == ["net.scale"]
    assert len(list(net.parameters())) == 5
    assert [k for k, _ in net.named_modules()] == ["", "a", "seq", "seq.0", "seq.1"]
    assert [k for k, _ in net.named_children()] == ["a", "seq"]
    assert len(list(net.children())) == 2 and len(list(net.modules())) == 5
    assert [k for k, _ in net.named_buffers()] == ["buf", "tmp"]
    assert list(net.state_dict()) == ["scale", "buf", "a.weight", "a.bias", "b.weight",
                                      "b.bias", "seq.0.weight", "seq.0.bias"]
    assert net.get_submodule("seq.0") is net.seq[0]
    assert net.get_parameter("seq.0.bias") is net.seq[0].bias
    assert net.note == "plain attributes are allowed"
    assert "seq" in dir(net) and "scale" in dir(net) and "buf" in dir(net)


@pytest.mark.parametrize("lib", LIBS)
def test_registration_errors(lib):
    m, n = _lib(lib)
    net = _net(m, n)
    cases = [
        (TypeError, r"cannot assign '.*\.FloatTensor' as parameter 'scale' \((torch|autodiff).nn.Parameter "
                    r"or None expected\)", lambda: setattr(net, "scale", m.ones(1))),
        (TypeError, r"cannot assign '.*\.FloatTensor' as child module 'a' \((torch|autodiff).nn.Module or "
                    r"None expected\)", lambda: setattr(net, "a", m.ones(1))),
        (AttributeError, "Sequential has no attribute `5`", lambda: net.get_submodule("seq.5")),
        (AttributeError, "`buf` is not an nn.Parameter", lambda: net.get_parameter("buf")),
        (KeyError, "attribute 'a' already exists", lambda: net.register_buffer("a", m.ones(1))),
        (KeyError, r"parameter name can.*t contain", lambda: net.register_parameter("x.y", None)),
        (AttributeError, "'Net' object has no attribute 'foo'", lambda: net.foo),
        (TypeError, r"cannot assign 'int' object to buffer 'zz' \(torch Tensor or None "
                    r"required\)", lambda: net.register_buffer("zz", 3)),
        (TypeError, "int is not a Module subclass", lambda: net.add_module("zz", 3)),
        (ValueError, "training mode is expected to be boolean", lambda: net.train(1)),
        (NotImplementedError, r'Module \[Module\] is missing the required "forward" function',
         lambda: n.Module()(1)),
        (TypeError, "nn.Module.to only accepts floating point or complex dtypes, but got "
                    "desired dtype=.*int64", lambda: net.to(m.int64)),
    ]
    for exc, message, fn in cases:
        with pytest.raises(exc, match=message):
            fn()

    class Bad(n.Module):
        def __init__(self):
            self.x = n.Linear(1, 1)
    with pytest.raises(AttributeError, match=r"cannot assign module before Module.__init__\(\)"):
        Bad()


def test_reassignment_moves_names_between_registries():
    net = _net(autodiff, nn)
    net.scale = None                         # a registered parameter can become None
    assert "scale" not in net.state_dict() and net.scale is None
    net.buf = autodiff.ones(2)               # a registered buffer takes a new tensor
    assert net.state_dict()["buf"].tolist() == [1.0, 1.0]
    net.extra = nn.Buffer(autodiff.zeros(3), persistent=False)
    assert [k for k, _ in net.named_buffers()] == ["buf", "tmp", "extra"]
    assert "extra" not in net.state_dict()
    del net.a
    assert "a" not in dict(net.named_children()) and not hasattr(net, "a")
    del net.tmp, net.note
    assert [k for k, _ in net.named_buffers()] == ["buf", "extra"]


# ---- state_dict ----------------------------------------------------------------------------------
@pytest.mark.parametrize("lib", LIBS)
def test_load_state_dict_errors_match_torch(lib):
    m, n = _lib(lib)

    class Net(n.Module):
        def __init__(self):
            super().__init__()
            self.fc = n.Linear(2, 3)
    net = Net()
    state = net.state_dict()
    del state["fc.bias"]
    state["fc.extra"] = m.zeros(1)
    state["other.weight"] = m.zeros(1)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(state)
    assert str(info.value) == ('Error(s) in loading state_dict for Net:\n\tMissing key(s) in '
                               'state_dict: "fc.bias". \n\tUnexpected key(s) in state_dict: '
                               '"other.weight", "fc.extra". ')
    result = net.load_state_dict(state, strict=False)
    assert result.missing_keys == ["fc.bias"]
    assert result.unexpected_keys == ["other.weight", "fc.extra"]
    bad = {"fc.weight": m.zeros(4, 2), "fc.bias": m.zeros(3)}
    with pytest.raises(RuntimeError, match=r"size mismatch for fc.weight: copying a param with "
                                           r"shape .*Size\(\[4, 2\]\) from checkpoint, the shape "
                                           r"in current model is .*Size\(\[3, 2\]\)."):
        net.load_state_dict(bad)
    assert repr(net.load_state_dict(net.state_dict())) == "<All keys matched successfully>"


def test_state_dict_values_are_detached_views_and_loading_copies_in_place():
    fc = nn.Linear(2, 3)
    state = fc.state_dict()
    assert isinstance(state, OrderedDict)
    assert not state["weight"].requires_grad and type(state["weight"]) is autodiff.Tensor
    assert np.shares_memory(state["weight"].numpy(), fc.weight.detach().numpy())
    assert fc.state_dict(keep_vars=True)["weight"] is fc.weight
    assert list(fc.state_dict(prefix="enc.")) == ["enc.weight", "enc.bias"]
    weight = fc.weight
    fc.load_state_dict({"weight": autodiff.ones(3, 2, dtype=autodiff.float64),
                        "bias": np.zeros(3)})
    assert fc.weight is weight and weight.dtype == autodiff.float32   # in place, cast
    assert weight.tolist() == [[1.0, 1.0]] * 3 and weight.requires_grad
    new = autodiff.full((3, 2), 2.0)
    fc.load_state_dict({"weight": new, "bias": autodiff.zeros(3)}, assign=True)
    assert fc.weight is not weight and isinstance(fc.weight, nn.Parameter)
    assert fc.weight.tolist() == [[2.0, 2.0]] * 3 and fc.weight.requires_grad


# ---- modes, gradients, devices and dtypes ---------------------------------------------------------
def test_train_eval_zero_grad_requires_grad_apply():
    net = _net(autodiff, nn)
    assert net.training and net.seq[1].training
    assert net.eval() is net and not net.seq[1].training
    net.train()
    out = net(autodiff.randn(4, 2), factor=2.0)        # kwargs reach forward
    out.sum().backward()
    assert net.a.weight.grad is not None
    net.zero_grad(set_to_none=False)
    assert net.a.weight.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    net.zero_grad()
    assert net.a.weight.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    assert net.apply(lambda mod: seen.append(type(mod).__name__)) is net
    assert seen == ["Linear", "Linear", "ReLU", "Sequential", "Net"]


def test_to_double_half_keep_the_same_parameter_objects():
    net = _net(autodiff, nn)
    weight = net.a.weight
    net(autodiff.randn(3, 2)).sum().backward()
    assert net.double() is net
    assert weight is net.a.weight and isinstance(weight, nn.Parameter)
    assert weight.dtype == autodiff.float64 and weight.grad.dtype == autodiff.float64
    assert net.buf.dtype == autodiff.float64
    net.half()
    assert weight.dtype == autodiff.float16
    assert net.to(autodiff.float32) is net and weight.dtype == autodiff.float32
    assert net.to("cpu") is net and net.cpu() is net and net.float() is net
    bn = nn.BatchNorm1d(2).double()
    assert bn.num_batches_tracked.dtype == autodiff.int64        # integers keep their dtype
    assert net.type(autodiff.float64) is net and weight.dtype == autodiff.float64
    assert net.share_memory() is net


# ---- hooks ---------------------------------------------------------------------------------------
def test_forward_hooks():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda mod, args, out: calls.append(args[0].sum().item()))
    h3 = lin.register_forward_hook(lambda mod, args, kwargs, out: out + 1, with_kwargs=True)
    out = lin(autodiff.ones(1, 2))
    assert calls == [0.0]
    assert_close(out, lin.bias.detach().unsqueeze(0) + 1)
    for h in (h1, h2, h3):
        h.remove()
    assert_close(lin(autodiff.zeros(1, 2)), lin.bias.detach().unsqueeze(0))
    pre = lin.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] + 1,), kwargs),
                                        with_kwargs=True)
    expected = autodiff.ones(1, 2) @ lin.weight.detach().T + lin.bias.detach()
    assert_close(lin(autodiff.zeros(1, 2)), expected)
    pre.remove()


def test_forward_hook_always_call_runs_when_forward_raises():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")
    seen = []
    mod = Boom()
    mod.register_forward_hook(lambda m, a, o: seen.append("always"), always_call=True)
    mod.register_forward_hook(lambda m, a, o: seen.append("normal"))
    with pytest.raises(ValueError, match="boom"):
        mod(1)
    assert seen == ["always"]


@pytest.mark.torch
def test_full_backward_hooks_see_torchs_gradients(torch):
    def run(m, n):
        m.manual_seed(0)
        lin = n.Linear(3, 2).double()
        with m.no_grad():
            lin.weight.copy_(m.tensor([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]]))
        record = {}

        def hook(mod, grad_input, grad_output):
            record["in"] = grad_input[0].detach().numpy().copy()
            record["out"] = grad_output[0].detach().numpy().copy()
            return (grad_input[0] * 2,)

        def pre_hook(mod, grad_output):
            record["pre"] = grad_output[0].detach().numpy().copy()
        lin.register_full_backward_hook(hook)
        lin.register_full_backward_pre_hook(pre_hook)
        x = m.tensor([[1.0, 2.0, 3.0]], dtype=m.float64, requires_grad=True)
        (lin(x) * m.tensor([[1.0, 3.0]], dtype=m.float64)).sum().backward()
        return record, x.grad.numpy()
    ours, theirs = run(autodiff, nn), run(torch, torch.nn)
    for key in ("in", "out", "pre"):
        np.testing.assert_allclose(ours[0][key], theirs[0][key])
    np.testing.assert_allclose(ours[1], theirs[1])                 # doubled by the hook


def test_backward_hook_runs_when_no_input_requires_grad():
    lin = nn.Linear(2, 1)
    seen = []
    lin.register_full_backward_hook(lambda mod, gin, gout: seen.append((gin, gout[0].shape)))
    lin(autodiff.ones(4, 2)).sum().backward()
    assert seen == [((None,), autodiff.Size([4, 1]))]


# ---- containers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("lib", LIBS)
def test_sequential(lib):
    m, n = _lib(lib)
    s = n.Sequential(n.ReLU(), n.Tanh(), n.Sigmoid())
    assert len(s) == 3 and isinstance(s[1], n.Tanh) and isinstance(s[-1], n.Sigmoid)
    assert isinstance(s[1:], n.Sequential) and list(s[1:]._modules) == ["1", "2"]
    del s[0]
    assert list(s._modules) == ["0", "1"] and isinstance(s[0], n.Tanh)
    s.insert(0, n.ELU())
    assert isinstance(s.pop(1), n.Tanh)
    s.append(n.Identity()).extend([n.ReLU()])
    assert [type(x).__name__ for x in s] == ["ELU", "Sigmoid", "Identity", "ReLU"]
    s[0] = n.GELU()
    assert isinstance(s[0], n.GELU) and len(s + n.Sequential(n.ReLU())) == 5
    with pytest.raises(IndexError, match="index 5 is out of range"):
        s[5]
    named = n.Sequential(OrderedDict([("fc", n.Linear(2, 2)), ("act", n.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named.act is named[1]
    x = m.ones(1, 2)
    assert_close(named(x), named.act(named.fc(x)))


@pytest.mark.parametrize("lib", LIBS)
def test_module_list_and_dict(lib):
    m, n = _lib(lib)
    ml = n.ModuleList([n.Linear(2, 2) for _ in range(2)])
    ml += [n.Tanh()]
    ml.append(n.ReLU())
    assert len(ml) == 4 and isinstance(ml[-1], n.ReLU) and len(ml[1:3]) == 2
    assert len(list(ml.parameters())) == 4
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable, "
                                        "but got int"):
        ml.extend(3)
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2"]
    md = n.ModuleDict({"act": n.ReLU(), "fc": n.Linear(1, 2)})
    md["out"] = n.Sigmoid()
    assert list(md.keys()) == ["act", "fc", "out"] and "fc" in md and len(md) == 3
    assert isinstance(md.pop("act"), n.ReLU) and list(md) == ["fc", "out"]
    md.update([("x", n.Tanh())])
    assert list(dict(md.items())) == ["fc", "out", "x"]


@pytest.mark.parametrize("lib", LIBS)
def test_parameter_list_and_dict(lib):
    m, n = _lib(lib)
    pl = n.ParameterList([n.Parameter(m.ones(2)), m.zeros(3)])     # tensors are wrapped
    assert isinstance(pl[1], n.Parameter) and len(pl) == 2
    pl.append(m.ones(1))
    assert [k for k, _ in pl.named_parameters()] == ["0", "1", "2"]
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl(1)
    pd = n.ParameterDict({"b": m.ones(1), "a": m.zeros(1)})        # a plain dict is sorted
    assert list(pd.keys()) == ["a", "b"] and isinstance(pd["a"], n.Parameter)
    pd["c"] = n.Parameter(m.ones(2))
    assert [k for k, _ in pd.named_parameters()] == ["b", "a", "c"] or \
        [k for k, _ in pd.named_parameters()] == ["a", "b", "c"]
    assert "c" in pd and len(pd) == 3 and pd.get("zz") is None
    del pd["a"]
    assert list(pd) == ["b", "c"]


# ---- reprs ---------------------------------------------------------------------------------------
@pytest.mark.torch
def test_reprs_match_torch(torch):
    def build(m, n):
        return n.Sequential(OrderedDict([
            ("body", n.ModuleList([n.Linear(2, 2), n.Linear(2, 2), n.Linear(2, 2), n.ReLU()])),
            ("heads", n.ModuleDict({"a": n.Softmax(dim=1), "b": n.Identity()})),
            ("params", n.ParameterList([n.Parameter(m.ones(2, 3)),
                                        n.Parameter(m.ones(3, dtype=m.float64))])),
            ("pdict", n.ParameterDict({"w": n.Parameter(m.ones(2))})),
            ("empty", n.Sequential()), ("list", n.ModuleList())]))
    ours = repr(build(autodiff, nn)).replace("autodiff.", "torch.")
    assert ours == repr(build(torch, torch.nn))


def test_parameter_type_and_repr():
    p = nn.Parameter(autodiff.tensor([1.0, 2.0]))
    assert isinstance(p, autodiff.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert repr(nn.Parameter(autodiff.zeros(1), requires_grad=False)) == \
        "Parameter containing:\ntensor([0.])"
    assert repr(nn.Parameter()) == "Parameter containing:\ntensor([], requires_grad=True)"
    assert type(p * 2) is autodiff.Tensor and type(p.detach()) is autodiff.Tensor
    assert type(copy.deepcopy(p)) is nn.Parameter
    assert type(pickle.loads(pickle.dumps(p))) is nn.Parameter
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype "
                                           "can require gradients"):
        nn.Parameter(autodiff.tensor([1, 2]))
    assert nn.Parameter(autodiff.tensor([1, 2]), requires_grad=False).dtype == autodiff.int64


# ---- copying and pickling ------------------------------------------------------------------------
class PicklableNet(nn.Module):
    """A module-level class (pickle finds classes by name)."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 2)
        self.b = self.a
        self.register_buffer("buf", autodiff.zeros(2))
        self.register_buffer("tmp", autodiff.ones(1), persistent=False)

    def forward(self, x):
        return self.b(self.a(x)) + self.buf


@pytest.mark.parametrize("copier", [copy.deepcopy, lambda x: pickle.loads(pickle.dumps(x))])
def test_deepcopy_and_pickle_give_independent_equal_models(copier):
    net = PicklableNet()
    clone = copier(net)
    assert clone.b is clone.a and clone.a is not net.a          # sharing is preserved
    assert isinstance(clone.a.weight, nn.Parameter)
    x = autodiff.randn(3, 2)
    assert_close(clone(x), net(x))
    with autodiff.no_grad():
        clone.a.weight.fill_(0)
    assert net.a.weight.abs().sum().item() > 0
    assert list(clone.state_dict()) == list(net.state_dict())
    assert [k for k, _ in clone.named_buffers()] == ["buf", "tmp"]
    assert "tmp" not in clone.state_dict()


# ---- nn.utils ------------------------------------------------------------------------------------
def _with_grads(m, n):
    m.manual_seed(0)
    lin = n.Linear(3, 2).double()
    with m.no_grad():
        lin.weight.copy_(m.tensor([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]]))
        lin.bias.copy_(m.tensor([0.1, -0.1]))
    x = m.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], dtype=m.float64)
    (lin(x) ** 2).sum().backward()
    return lin


@pytest.mark.torch
@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf"), 3.5])
def test_clip_grad_norm_matches_torch(torch, norm_type):
    ours, theirs = _with_grads(autodiff, nn), _with_grads(torch, torch.nn)
    total = nn.utils.clip_grad_norm_(ours.parameters(), 1.5, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs.parameters(), 1.5, norm_type=norm_type)
    assert_close(total, ttotal, rtol=1e-12, atol=0)
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        assert_close(p.grad, tp.grad, rtol=1e-12, atol=1e-15)


@pytest.mark.torch
def test_clip_grad_value_and_vector_conversion_match_torch(torch):
    ours, theirs = _with_grads(autodiff, nn), _with_grads(torch, torch.nn)
    assert nn.utils.clip_grad_value_(ours.parameters(), 2.0) is None
    torch.nn.utils.clip_grad_value_(theirs.parameters(), 2.0)
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        assert_close(p.grad, tp.grad)
    vec = nn.utils.parameters_to_vector(ours.parameters())
    assert_close(vec, torch.nn.utils.parameters_to_vector(theirs.parameters()))
    assert vec.grad_fn.name() == "CatBackward0"
    nn.utils.vector_to_parameters(vec * 2, ours.parameters())
    assert ours.bias.tolist() == pytest.approx([0.2, -0.2]) and isinstance(ours.bias, nn.Parameter)
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        nn.utils.vector_to_parameters([1.0], ours.parameters())


def test_clip_grad_norm_edge_cases():
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    p = nn.Parameter(autodiff.tensor([1.0, 2.0]))
    p.grad = autodiff.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from "
                                           "`parameters` is non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    q = nn.Parameter(autodiff.tensor([1.0, 2.0]))
    q.grad = autodiff.tensor([0.3, 0.4])
    total = nn.utils.clip_grad_norm_(q, 10.0)                     # below the max: unchanged
    assert total.dtype == autodiff.float32 and abs(total.item() - 0.5) < 1e-7
    assert q.grad.tolist() == pytest.approx([0.3, 0.4])


def test_state_dict_hooks():
    fc = nn.Linear(2, 2)
    fc.register_state_dict_post_hook(lambda mod, sd, prefix, meta: sd.pop(prefix + "bias"))
    assert list(fc.state_dict()) == ["weight"]
    seen = []
    fc.register_load_state_dict_pre_hook(
        lambda mod, sd, prefix, *rest: sd.__setitem__(prefix + "bias", autodiff.ones(2)))
    fc.register_load_state_dict_post_hook(lambda mod, keys: seen.append(list(keys.missing_keys)))
    fc.load_state_dict({"weight": autodiff.zeros(2, 2)})
    assert fc.bias.tolist() == [1.0, 1.0] and seen == [[]]
