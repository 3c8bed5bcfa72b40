"""Parametrizations (``nn.utils.parametrize``, ``nn.utils.parametrizations``) and the legacy
weight/spectral norm hooks, compared with torch: names, state_dict keys, reprs, values,
gradients with respect to the originals, power iterations, removal, errors, copying."""
import copy
import io
import re
import warnings

import numpy as np
import pytest

import autodiff
import autodiff.nn as nn
from autodiff.nn.utils import parametrizations as PZ, parametrize as P
from autodiff.nn.utils.parametrizations import _householder_product, _MatrixExp

from _helpers import assert_close, check_grads


# ---- helpers -------------------------------------------------------------------------------------
def _ad(t):
    """An autodiff copy of a torch tensor."""
    return autodiff.tensor(t.detach().numpy().copy())


def _copy_state(torch_module, module):
    """Load torch's state_dict (values, u/v buffers, base...) into the autodiff module."""
    module.load_state_dict({k: _ad(v) for k, v in torch_module.state_dict().items()})


def _pair(torch, build, register=None, **kwargs):
    """The same float64 layer in torch and autodiff, ``register``-ed in both, sharing values."""
    torch.manual_seed(0)
    tm, am = build(torch.nn).double(), build(nn).double()
    if register is not None:
        register(torch, tm, **kwargs)
        register(autodiff, am, **kwargs)
    _copy_state(tm, am)
    return tm, am


def _register(kind):
    def register(lib, module, **kwargs):
        utils = lib.nn.utils
        getattr(utils.parametrizations, kind)(module, **kwargs)
    return register


def _repr(module):
    return repr(module).replace("autodiff.", "torch.")


def _compare_forward_backward(torch, tm, am, x_shape, originals):
    """Outputs agree; so do the gradients of a loss w.r.t. every named parameter."""
    x = np.random.default_rng(0).standard_normal(x_shape)
    ty = tm(torch.tensor(x))
    ay = am(autodiff.tensor(x))
    assert_close(ay, ty, rtol=1e-9, atol=1e-10)
    (ty ** 2).sum().backward()
    (ay ** 2).sum().backward()
    tparams, aparams = dict(tm.named_parameters()), dict(am.named_parameters())
    assert list(aparams) == list(tparams)
    for name in originals:
        assert_close(aparams[name].grad, tparams[name].grad, rtol=1e-8, atol=1e-10)


# ---- parametrizations.weight_norm ----------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, None, -2])
def test_weight_norm_matches_torch(torch, dim):
    tm, am = _pair(torch, lambda n: n.Linear(3, 4), _register("weight_norm"), dim=dim)
    assert list(am.state_dict()) == list(tm.state_dict())
    for (k, a), (_, t) in zip(am.state_dict().items(), tm.state_dict().items()):
        assert tuple(a.shape) == tuple(t.shape), k
    assert _repr(am) == repr(tm)
    assert type(am).__name__ == "ParametrizedLinear"
    assert am.weight.grad_fn.name() == tm.weight.grad_fn.name()
    assert_close(am.weight, tm.weight, rtol=1e-12, atol=1e-12)
    _compare_forward_backward(torch, tm, am, (5, 3), ["bias", "parametrizations.weight.original0",
                                                      "parametrizations.weight.original1"])


def test_weight_norm_conv_and_gradcheck(torch):
    tm, am = _pair(torch, lambda n: n.Conv2d(2, 3, 2), _register("weight_norm"))
    _compare_forward_backward(torch, tm, am, (1, 2, 4, 4), ["parametrizations.weight.original0",
                                                            "parametrizations.weight.original1"])
    from autodiff.nn.utils.weight_norm import _weight_norm, norm_except_dim
    v = autodiff.randn(3, 2, 2, dtype=autodiff.float64, requires_grad=True)
    for dim in (0, 2, 1):
        g = norm_except_dim(v, 2, dim).detach().requires_grad_()
        check_grads(lambda a, b: _weight_norm(a, b, dim), v, g)


# ---- parametrizations.spectral_norm --------------------------------------------------------------
def test_spectral_norm_power_iterations_match_torch(torch):
    tm, am = _pair(torch, lambda n: n.Linear(4, 3), _register("spectral_norm"),
                   n_power_iterations=2)
    assert list(am.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in am.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert _repr(am) == repr(tm)
    tsn, asn = tm.parametrizations.weight[0], am.parametrizations.weight[0]
    for step in range(3):                      # each training forward updates u and v
        _compare_forward_backward(torch, tm, am, (2, 4), ["parametrizations.weight.original"])
        assert_close(asn._u, tsn._u, rtol=1e-10, atol=1e-12)
        assert_close(asn._v, tsn._v, rtol=1e-10, atol=1e-12)
        tm.zero_grad(), am.zero_grad()
    before = asn._u.clone()
    am.eval()
    am(autodiff.ones(1, 4, dtype=autodiff.float64))
    assert_close(asn._u, before, rtol=0, atol=0)             # eval: no power iteration
    assert am.weight.grad_fn.name() == tm.weight.grad_fn.name() == "DivBackward0"


def test_spectral_norm_weight_has_unit_norm_and_conv_transpose_dim():
    m = PZ.spectral_norm(nn.Linear(6, 5))
    for _ in range(30):
        m(autodiff.ones(6))
    assert abs(float(autodiff.linalg.matrix_norm(m.weight.detach(), 2)) - 1) < 1e-4
    ct = PZ.spectral_norm(nn.ConvTranspose2d(2, 3, 2))
    assert ct.parametrizations.weight[0].dim == 1
    assert tuple(ct.parametrizations.weight[0]._u.shape) == (3,)
    v = PZ.spectral_norm(nn.Linear(3, 3), "bias")
    assert_close(v.bias.norm(), autodiff.tensor(1.0), rtol=1e-6, atol=1e-6)


def test_spectral_norm_u_v_are_seeded_from_autodiff_generator():
    autodiff.manual_seed(3)
    a = PZ.spectral_norm(nn.Linear(3, 4).requires_grad_(False))
    autodiff.manual_seed(3)
    b = nn.Linear(3, 4).requires_grad_(False)
    b.weight.copy_(a.parametrizations.weight.original)
    PZ.spectral_norm(b)
    assert_close(a.parametrizations.weight[0]._u, b.parametrizations.weight[0]._u)


# ---- parametrizations.orthogonal -----------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
@pytest.mark.parametrize("orthogonal_map", [None, "matrix_exp", "cayley", "householder"])
def test_orthogonal_matches_torch(torch, shape, orthogonal_map):
    tm, am = _pair(torch, lambda n: n.Linear(shape[1], shape[0]), _register("orthogonal"),
                   orthogonal_map=orthogonal_map)
    tp, ap = tm.parametrizations.weight[0], am.parametrizations.weight[0]
    assert ap.orthogonal_map.name == tp.orthogonal_map.name
    assert list(am.state_dict()) == list(tm.state_dict())
    assert _repr(am) == repr(tm)
    # move the original away from -Id so the map is exercised away from its starting point (not
    # its diagonal: householder reads signs there)
    noise = 0.3 * torch.randn(shape, dtype=torch.float64)
    with torch.no_grad():
        tm.parametrizations.weight.original.add_(noise.fill_diagonal_(0))
    _copy_state(tm, am)
    assert_close(am.weight, tm.weight, rtol=1e-9, atol=1e-11)
    w = am.weight.detach()
    gram = w @ w.mT if shape[0] < shape[1] else w.mT @ w
    assert_close(gram, autodiff.eye(min(shape), dtype=autodiff.float64), atol=1e-12, rtol=0)
    _compare_forward_backward(torch, tm, am, (2, shape[1]), ["parametrizations.weight.original"])


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
def test_orthogonal_householder_without_trivialization(torch, shape):
    tm, am = _pair(torch, lambda n: n.Linear(shape[1], shape[0]), _register("orthogonal"),
                   orthogonal_map="householder", use_trivialization=False)
    assert list(am.state_dict()) == list(tm.state_dict()) == ["bias",
                                                            "parametrizations.weight.original"]
    # right_inverse (geqrf reflectors with signs) computed independently gives torch's value
    fresh = nn.Linear(shape[1], shape[0]).double()
    with autodiff.no_grad():
        fresh.weight.copy_(_ad(tm.weight))
    PZ.orthogonal(fresh, orthogonal_map="householder", use_trivialization=False)
    assert_close(fresh.weight, tm.weight, rtol=1e-9, atol=1e-11)
    _compare_forward_backward(torch, tm, am, (2, shape[1]), ["parametrizations.weight.original"])


def test_orthogonal_right_inverse_keeps_an_orthogonal_weight(torch):
    tm, am = _pair(torch, lambda n: n.Linear(4, 4), _register("orthogonal"))
    q = torch.linalg.qr(torch.randn(4, 4, dtype=torch.float64))[0]
    tm.weight, am.weight = q, _ad(q)
    assert_close(am.weight, q, rtol=1e-9, atol=1e-11)
    assert_close(am.parametrizations.weight[0].base, tm.parametrizations.weight[0].base,
                 rtol=1e-12, atol=1e-12)


def test_matrix_exp_and_householder_product_match_torch(torch):
    a = np.random.default_rng(1).standard_normal((2, 4, 4)) * 2
    assert_close(_MatrixExp.apply(autodiff.tensor(a)), torch.matrix_exp(torch.tensor(a)),
                 rtol=1e-10, atol=1e-10)
    x = autodiff.tensor(a[0] * 0.5, requires_grad=True)
    check_grads(_MatrixExp.apply, x)
    assert _MatrixExp.apply(x).grad_fn.name() == torch.matrix_exp(
        torch.tensor(a[0], requires_grad=True)).grad_fn.name()
    h, tau = torch.geqrf(torch.tensor(a[:, :, :3]))
    assert_close(_householder_product(_ad(h), _ad(tau)), torch.linalg.householder_product(h, tau),
                 rtol=1e-10, atol=1e-12)
    check_grads(_householder_product, _ad(h).requires_grad_(), _ad(tau).requires_grad_())


# ---- register_parametrization: custom parametrizations -------------------------------------------
def _custom_classes(nn_):
    class Symmetric(nn_.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).mT

        def right_inverse(self, A):
            return A.triu()

    class Scale(nn_.Module):
        def forward(self, X):
            return 2 * X

        def right_inverse(self, A):
            return A / 2

    class RankOne(nn_.Module):
        def forward(self, x, y):
            return x.unsqueeze(-1) @ y.unsqueeze(-2)

        def right_inverse(self, Z):
            return Z[:, 0].clone(), Z[0, :].clone()

    class NoInverse(nn_.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).mT
    return Symmetric, Scale, RankOne, NoInverse


def test_chained_parametrizations_and_assignment_match_torch(torch):
    def register(lib, m):
        Sym, Scale, _, _ = _custom_classes(lib.nn)
        lib.nn.utils.parametrize.register_parametrization(m, "weight", Sym())
        lib.nn.utils.parametrize.register_parametrization(m, "weight", Scale())
        lib.nn.utils.parametrize.register_parametrization(m, "bias", Scale())
    tm, am = _pair(torch, lambda n: n.Linear(3, 3), register)
    assert _repr(am) == repr(tm)
    assert "(0): Symmetric()\n      (1): Scale()" in repr(am)
    assert list(am.state_dict()) == list(tm.state_dict()) == [
        "parametrizations.weight.original", "parametrizations.bias.original"]
    assert P.is_parametrized(am) and P.is_parametrized(am, "bias")
    assert not P.is_parametrized(am, "foo") and not P.is_parametrized(nn.Linear(1, 1))
    assert P.type_before_parametrizations(am) is nn.Linear
    _compare_forward_backward(torch, tm, am, (2, 3), ["parametrizations.weight.original",
                                                      "parametrizations.bias.original"])
    a = torch.randn(3, 3, dtype=torch.float64)
    a = a + a.T
    tm.weight, am.weight = a, _ad(a)                    # right_inverse of the chain
    assert_close(am.weight, a, rtol=1e-12, atol=1e-12)
    assert_close(am.parametrizations.weight.original, tm.parametrizations.weight.original)


def test_repeated_parametrizations_repr_and_buffers(torch):
    def build(n):
        m = n.Linear(3, 3)
        m.register_buffer("buf", m.weight.detach().clone())
        return m

    def register(lib, m):
        NoInv = _custom_classes(lib.nn)[3]
        for _ in range(2):
            lib.nn.utils.parametrize.register_parametrization(m, "weight", NoInv())
        lib.nn.utils.parametrize.register_parametrization(m, "buf", lib.nn.Identity())
    tm, am = _pair(torch, build, register)
    assert _repr(am) == repr(tm)
    assert "(0-1): 2 x NoInverse()" in repr(am)
    assert list(am.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in am.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert not am.parametrizations.buf.original.requires_grad
    assert not isinstance(am.parametrizations.buf.original, nn.Parameter)
    assert_close(am.buf, tm.buf)
    _compare_forward_backward(torch, tm, am, (2, 3), ["parametrizations.weight.original"])


def test_right_inverse_returning_several_tensors(torch):
    def register(lib, m):
        lib.nn.utils.parametrize.register_parametrization(m, "weight", _custom_classes(lib.nn)[2]())
    tm, am = _pair(torch, lambda n: n.Linear(4, 3), register)
    plist = am.parametrizations.weight
    assert (plist.is_tensor, plist.ntensors) == (False, 2)
    assert list(am.state_dict()) == list(tm.state_dict())
    assert isinstance(plist.original0, nn.Parameter)
    _compare_forward_backward(torch, tm, am, (2, 4), ["parametrizations.weight.original0",
                                                      "parametrizations.weight.original1"])
    z = torch.randn(3, 4, dtype=torch.float64)
    tm.weight, am.weight = z, _ad(z)
    assert_close(am.weight, tm.weight, rtol=1e-12, atol=1e-12)


def test_cached_computes_once():
    calls = []

    class Counting(nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 1

    m = P.register_parametrization(nn.Linear(2, 2), "weight", Counting())
    calls.clear()
    m.weight, m.weight
    assert len(calls) == 2
    calls.clear()
    with P.cached():
        w1, w2 = m.weight, m.weight
        with P.cached():
            m.weight
    assert len(calls) == 1 and w1 is w2
    m.weight
    assert len(calls) == 2                        # the cache was dropped on exit


# ---- removal -------------------------------------------------------------------------------------
@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations_matches_torch(torch, leave):
    tm, am = _pair(torch, lambda n: n.Linear(3, 3), _register("orthogonal"))
    with torch.no_grad():
        tm.parametrizations.weight.original.add_(0.3)
    _copy_state(tm, am)
    orig = am.parametrizations.weight.original
    torch.nn.utils.parametrize.remove_parametrizations(tm, "weight", leave_parametrized=leave)
    out = P.remove_parametrizations(am, "weight", leave_parametrized=leave)
    assert out is am and type(am) is nn.Linear and "parametrizations" not in am._modules
    assert am.weight is orig and isinstance(am.weight, nn.Parameter)
    assert_close(am.weight, tm.weight, rtol=1e-10, atol=1e-12)
    assert list(am.state_dict()) == list(tm.state_dict()) == ["bias", "weight"]
    assert _repr(am) == repr(tm)
    assert not hasattr(nn.Linear, "weight")


def test_remove_one_of_two_and_multi_tensor_removal(torch):
    tm, am = _pair(torch, lambda n: n.Linear(3, 3), _register("weight_norm"))
    P.register_parametrization(am, "bias", nn.Identity())
    with pytest.raises(ValueError, match=re.escape(
            "Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is "
            "parametrized in terms of a sequence of tensors.")):
        P.remove_parametrizations(am, "weight", leave_parametrized=False)
    P.remove_parametrizations(am, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(tm, "weight")
    assert type(am).__name__ == "ParametrizedLinear"
    assert isinstance(am._parameters["weight"], nn.Parameter)
    assert_close(am.weight, tm.weight, rtol=1e-12, atol=1e-12)
    P.remove_parametrizations(am, "bias")
    assert type(am) is nn.Linear


# ---- errors --------------------------------------------------------------------------------------
def _errors(lib):
    P_, PZ_ = lib.nn.utils.parametrize, lib.nn.utils.parametrizations
    Sym, _, _, NoInv = _custom_classes(lib.nn)

    class Bad(lib.nn.Module):
        def forward(self, X):
            return X[0]

    class ToDouble(lib.nn.Module):
        def forward(self, X):
            return X.double()

    def wn():
        m = PZ_.weight_norm(lib.nn.Linear(2, 3))
        m.weight = lib.nn.Parameter(lib.ones(3, 2))

    def no_inverse():
        m = P_.register_parametrization(lib.nn.Linear(3, 3), "weight", NoInv())
        m.weight = lib.ones(3, 3)

    def chained_bad():
        m = P_.register_parametrization(lib.nn.Linear(3, 3), "weight", Sym())
        P_.register_parametrization(m, "weight", Bad())

    return [
        lambda: P_.register_parametrization(lib.nn.Linear(2, 3), "foo", lib.nn.Identity()),
        lambda: P_.remove_parametrizations(lib.nn.Linear(2, 3), "weight"),
        wn, no_inverse, chained_bad,
        lambda: P_.register_parametrization(lib.nn.Linear(3, 3), "weight", Bad()),
        lambda: P_.register_parametrization(lib.nn.Linear(3, 3), "weight", ToDouble()),
        lambda: PZ_.orthogonal(lib.nn.Linear(3, 3), orthogonal_map="foo"),
        lambda: PZ_.orthogonal(lib.nn.BatchNorm1d(3)),
        lambda: PZ_.orthogonal(lib.nn.Linear(3, 3), "foo"),
        lambda: setattr(PZ_.orthogonal(lib.nn.Linear(3, 3), orthogonal_map="cayley",
                                       use_trivialization=False), "weight", lib.eye(3)),
        lambda: PZ_.spectral_norm(lib.nn.Linear(3, 3), n_power_iterations=0),
        lambda: PZ_.spectral_norm(lib.nn.Linear(3, 3), dim=2),
        lambda: lib.nn.utils.remove_weight_norm(lib.nn.Linear(2, 2)),
        lambda: lib.nn.utils.remove_spectral_norm(lib.nn.Linear(2, 2)),
        lambda: lib.nn.utils.spectral_norm(lib.nn.utils.spectral_norm(lib.nn.Linear(2, 2))),
        lambda: lib.nn.utils.spectral_norm(lib.nn.Linear(2, 2), n_power_iterations=-1),
    ]


def _outcome(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except Exception as e:      # noqa: BLE001 - the point is to compare whatever is raised
        return type(e).__name__, str(e).replace("autodiff.", "torch.")
    return None


def test_errors_match_torch(torch):
    ours = [_outcome(f) for f in _errors(autodiff)]
    theirs = [_outcome(f) for f in _errors(torch)]
    assert all(o is not None for o in ours)
    for o, t in zip(ours, theirs):
        assert o == t
    assert len(ours) == len(theirs) == 17


def test_legacy_double_weight_norm_error():
    with pytest.warns(FutureWarning):
        m = nn.utils.weight_norm(nn.Linear(2, 2))
        with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the "
                                               "same parameter weight"):
            nn.utils.weight_norm(m)


# ---- training, copying, saving -------------------------------------------------------------------
def test_optimizer_step_through_parametrized_weight(torch):
    tm, am = _pair(torch, lambda n: n.Linear(3, 4), _register("weight_norm"))
    topt = torch.optim.SGD(tm.parameters(), lr=0.1, momentum=0.9)
    aopt = autodiff.optim.SGD(am.parameters(), lr=0.1, momentum=0.9)
    x = np.random.default_rng(2).standard_normal((5, 3))
    for _ in range(3):
        for m, opt, t in ((tm, topt, torch.tensor(x)), (am, aopt, autodiff.tensor(x))):
            opt.zero_grad()
            (m(t) ** 2).mean().backward()
            opt.step()
    for (name, a), (_, t) in zip(am.named_parameters(), tm.named_parameters()):
        assert_close(a, t, rtol=1e-10, atol=1e-12)
    assert_close(am.weight, tm.weight, rtol=1e-10, atol=1e-12)


def test_deepcopy_and_state_dict_save_load(tmp_path):
    m = PZ.spectral_norm(PZ.weight_norm(nn.Linear(3, 4), "bias", dim=0))
    m = P.register_parametrization(m, "weight", nn.Identity())
    c = copy.deepcopy(m)
    assert type(c) is type(m) and _repr(c) == _repr(m)
    assert c.parametrizations.weight.original is not m.parametrizations.weight.original
    x = autodiff.randn(2, 3)
    m.eval(), c.eval()
    assert_close(c(x), m(x))
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only "
                                           "supported through state_dict()"):
        autodiff.save(m, io.BytesIO())
    path = tmp_path / "sd.pt"
    autodiff.save(m.state_dict(), path)
    other = nn.Linear(3, 4)
    PZ.spectral_norm(PZ.weight_norm(other, "bias", dim=0))
    P.register_parametrization(other, "weight", nn.Identity())
    other.load_state_dict(autodiff.load(path))
    other.eval()
    assert_close(other(x), m(x))


def test_weight_norm_loads_legacy_state_dict():
    with pytest.warns(FutureWarning):
        legacy = nn.utils.weight_norm(nn.Linear(3, 2))
    new = PZ.weight_norm(nn.Linear(3, 2))
    new.load_state_dict(legacy.state_dict())
    assert_close(new.weight, legacy.weight)


# ---- the legacy hooks ----------------------------------------------------------------------------
def test_legacy_weight_norm_matches_torch(torch):
    tm, am = _pair(torch, lambda n: n.Linear(3, 4), None)
    with pytest.warns(FutureWarning, match=re.escape(
            "`torch.nn.utils.weight_norm` is deprecated in favor of "
            "`torch.nn.utils.parametrizations.weight_norm`.")):
        nn.utils.weight_norm(am)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.nn.utils.weight_norm(tm)
    assert list(am.state_dict()) == list(tm.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert [n for n, _ in am.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert not isinstance(am.weight, nn.Parameter) and "weight" in am.__dict__
    assert am.weight.grad_fn.name() == tm.weight.grad_fn.name()
    assert _repr(am) == repr(tm)
    _compare_forward_backward(torch, tm, am, (2, 3), ["weight_g", "weight_v", "bias"])
    nn.utils.remove_weight_norm(am), torch.nn.utils.remove_weight_norm(tm)
    assert list(am.state_dict()) == list(tm.state_dict()) == ["bias", "weight"]
    assert isinstance(am.weight, nn.Parameter) and not am._forward_pre_hooks
    assert_close(am.weight, tm.weight, rtol=1e-12, atol=1e-12)


def test_legacy_spectral_norm_matches_torch(torch):
    tm, am = _pair(torch, lambda n: n.Conv1d(2, 3, 2), None)
    torch.nn.utils.spectral_norm(tm, n_power_iterations=2)
    nn.utils.spectral_norm(am, n_power_iterations=2)
    _copy_state(tm, am)                                 # weight_orig, weight_u, weight_v
    assert list(am.state_dict()) == list(tm.state_dict()) == [
        "bias", "weight_orig", "weight_u", "weight_v"]
    assert [n for n, _ in am.named_parameters()] == ["bias", "weight_orig"]
    assert am.state_dict()._metadata[""] == tm.state_dict()._metadata[""]
    for _ in range(3):
        _compare_forward_backward(torch, tm, am, (1, 2, 5), ["weight_orig", "bias"])
        assert_close(am.weight_u, tm.weight_u, rtol=1e-10, atol=1e-12)
        assert_close(am.weight_v, tm.weight_v, rtol=1e-10, atol=1e-12)
        tm.zero_grad(), am.zero_grad()
    am.eval(), tm.eval()
    _compare_forward_backward(torch, tm, am, (1, 2, 5), ["weight_orig"])
    nn.utils.remove_spectral_norm(am), torch.nn.utils.remove_spectral_norm(tm)
    assert list(am.state_dict()) == list(tm.state_dict()) == ["bias", "weight"]
    assert not am._forward_pre_hooks and not am._state_dict_hooks
    assert not am._load_state_dict_pre_hooks
    assert_close(am.weight, tm.weight, rtol=1e-12, atol=1e-12)


def test_legacy_spectral_norm_upgrades_version0_checkpoint(torch):
    tm, am = _pair(torch, lambda n: n.Linear(3, 4), None)
    torch.nn.utils.spectral_norm(tm)
    nn.utils.spectral_norm(am)
    tm(torch.ones(3, dtype=torch.float64))
    sd = {k: _ad(v) for k, v in tm.state_dict().items() if k != "weight_v"}
    sd["weight"] = _ad(tm.weight)                        # the version-0 layout
    am.load_state_dict(sd)
    assert_close(am.weight_v, tm.weight_v, rtol=1e-6, atol=1e-8)
