"""Attention: ``F.scaled_dot_product_attention``, ``F.multi_head_attention_forward`` and
``nn.MultiheadAttention`` against torch (values, attention weights, input and parameter
gradients in float64, reprs, state_dict keys), gradchecks, masks of both kinds and torch's
error messages."""
import math
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import autodiff
import autodiff.nn as nn
import autodiff.nn.functional as F
from _helpers import assert_close, check_grads

RTOL, ATOL = 1e-10, 1e-12


def _t(a, requires_grad=False, device="cpu"):
    return autodiff.tensor(a, requires_grad=requires_grad, device=device)


def _both(torch, *arrays):
    """The arrays as autodiff and as torch leaves (floats require grad)."""
    ours = [_t(a, np.asarray(a).dtype.kind == "f") for a in arrays]
    theirs = [torch.tensor(a, requires_grad=np.asarray(a).dtype.kind == "f") for a in arrays]
    return ours, theirs


def _backward_both(torch, out, tout, seed=7):
    g = np.random.default_rng(seed).standard_normal(tuple(tout.shape))
    out.backward(_t(g))
    tout.backward(torch.tensor(g))


def _qkv(batch=(2, 3), L=4, S=5, E=6, Ev=7, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(batch + (L, E)), rng.standard_normal(batch + (S, E)),
            rng.standard_normal(batch + (S, Ev)))


# ---- scaled_dot_product_attention ------------------------------------------------------------
def _sdpa_cases():
    rng = np.random.default_rng(3)
    bool_mask = rng.random((4, 5)) < 0.6
    bool_mask[:, 0] = True                           # every query sees at least one key
    return {
        "plain": (_qkv(), {}),
        "3d": (_qkv(batch=(3,)), {}),
        "unbatched": (_qkv(batch=()), {}),
        "bool_mask": (_qkv(), {"attn_mask": bool_mask}),
        "bool_mask_per_batch": (_qkv(), {"attn_mask": rng.random((2, 1, 4, 5)) < 0.7}),
        "float_mask": (_qkv(), {"attn_mask": rng.standard_normal((3, 4, 5))}),
        "causal_square": (_qkv(S=4), {"is_causal": True}),
        "causal_wide": (_qkv(S=6), {"is_causal": True}),
        "scale": (_qkv(), {"scale": 0.3}),
        "gqa": ((_qkv(batch=(2, 4))[0],) + _qkv(batch=(2, 2))[1:], {"enable_gqa": True}),
    }


SDPA = _sdpa_cases()


@pytest.mark.torch
@pytest.mark.parametrize("case", list(SDPA))
def test_sdpa_matches_torch(torch, case):
    (q, k, v), kw = SDPA[case]
    (aq, ak, av), (tq, tk, tv) = _both(torch, q, k, v)
    akw = {n: _t(x) if isinstance(x, np.ndarray) else x for n, x in kw.items()}
    tkw = {n: torch.tensor(x) if isinstance(x, np.ndarray) else x for n, x in kw.items()}
    out = F.scaled_dot_product_attention(aq, ak, av, **akw)
    tout = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, **tkw)
    assert_close(out, tout, RTOL, ATOL)
    _backward_both(torch, out, tout)
    for x, tx in zip((aq, ak, av), (tq, tk, tv)):
        assert_close(x.grad, tx.grad, RTOL, ATOL)


def test_sdpa_is_softmax_of_scaled_scores_times_value():
    q, k, v = _qkv(batch=(2,))
    s = q @ k.transpose(0, 2, 1) / math.sqrt(6)
    w = np.exp(s - s.max(-1, keepdims=True))
    expected = (w / w.sum(-1, keepdims=True)) @ v
    assert_close(F.scaled_dot_product_attention(_t(q), _t(k), _t(v)), expected, 1e-12, 1e-12)


@pytest.mark.torch
def test_sdpa_query_with_every_key_masked_gets_zeros_and_zero_gradients(torch):
    q, k, v = _qkv()
    mask = np.ones((4, 5), dtype=bool)
    mask[1] = False
    for m in (mask, np.where(mask, 0.0, -np.inf)):
        (aq, ak, av), (tq, tk, tv) = _both(torch, q, k, v)
        out = F.scaled_dot_product_attention(aq, ak, av, attn_mask=_t(m))
        tout = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv,
                                                                attn_mask=torch.tensor(m))
        assert_close(out, tout, RTOL, ATOL)
        assert not np.any(out.detach().numpy()[..., 1, :])
        _backward_both(torch, out, tout)
        assert np.all(np.isfinite(aq.grad.numpy()))
        assert not np.any(aq.grad.numpy()[..., 1, :])
        for x, tx in zip((aq, ak, av), (tq, tk, tv)):
            assert_close(x.grad, tx.grad, RTOL, ATOL)


def test_sdpa_stable_for_large_scores():
    q, k, v = _qkv(batch=(1,))
    out = F.scaled_dot_product_attention(_t(q * 1e3), _t(k * 1e3), _t(v))
    assert np.all(np.isfinite(out.numpy()))


@pytest.mark.parametrize("kw", [{}, {"mask": True}, {"float_mask": True}, {"is_causal": True},
                                {"scale": 0.7}], ids=str)
def test_sdpa_gradcheck(kw, device):
    q, k, v = _qkv(batch=(2,), L=3, S=3, E=2, Ev=2, seed=1)
    mask = None
    if kw.get("mask"):
        mask = _t(np.array([[True, False, True], [True, True, False], [False, True, True]]),
                  device=device)
    elif kw.get("float_mask"):
        mask = _t(np.random.default_rng(2).standard_normal((3, 3)), device=device)
    extra = {n: kw[n] for n in ("is_causal", "scale") if n in kw}
    inputs = [_t(a, True, device) for a in (q, k, v)]
    check_grads(lambda *x: F.scaled_dot_product_attention(*x, attn_mask=mask, **extra), *inputs)


def test_sdpa_gradcheck_through_a_float_mask():
    q, k, v = _qkv(batch=(1,), L=2, S=3, E=2, Ev=2, seed=4)
    mask = np.random.default_rng(5).standard_normal((2, 3))
    inputs = [_t(a, True) for a in (q, k, v, mask)]
    check_grads(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m), *inputs)


def test_sdpa_dropout():
    q, k, v = (_t(a) for a in _qkv())
    plain = F.scaled_dot_product_attention(q, k, v)
    assert not np.any(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy())
    autodiff.manual_seed(3)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    autodiff.manual_seed(3)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert_close(a, b, 0, 0)                          # reproducible from the seed
    assert not np.allclose(a.numpy(), plain.numpy())  # and always applied (no training flag)


def test_sdpa_float32_stays_float32():
    q, k, v = (autodiff.tensor(a, dtype=autodiff.float32) for a in _qkv())
    assert F.scaled_dot_product_attention(q, k, v).dtype == autodiff.float32


@pytest.mark.parametrize("make, message", [
    (lambda q, k, v: ((q, k, v), {"attn_mask": autodiff.ones(4, 5, dtype=autodiff.bool),
                                  "is_causal": True}),
     "Explicit attn_mask should not be set when is_causal=True"),
    (lambda q, k, v: ((q[0, 0, 0], k, v), {}),
     "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: 1 "
     "key.dim: 4 and value.dim: 4 instead."),
    (lambda q, k, v: ((q, k.float(), v), {}),
     "query.dtype: double key.dtype: float and value.dtype: double"),
    (lambda q, k, v: ((q, k, v), {"attn_mask": autodiff.ones(4, 5, dtype=autodiff.int64)}),
     "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
     "attn_mask.dtype: long int and  query.dtype: double instead."),
    (lambda q, k, v: ((q.float(), k.float(), v.float()), {"attn_mask": autodiff.zeros(4, 5)
                                                          .double()}),
     "attn_mask.dtype: double and  query.dtype: float"),
    (lambda q, k, v: ((q, k, v), {"attn_mask": autodiff.ones(3, 5, dtype=autodiff.bool)}),
     "The size of tensor a (4) must match the size of tensor b (3) at non-singleton dimension 2"),
    (lambda q, k, v: ((q, k[..., :3], v), {}), "batch2"),
    (lambda q, k, v: ((q, k, v), {"dropout_p": 1.5}),
     "dropout probability has to be between 0 and 1, but got 1.5"),
    (lambda q, k, v: ((q.long(), k.long(), v.long()), {}),
     "expected scalar type Float but found Long"),
    (lambda q, k, v: ((q, k[:, :2], v[:, :2]), {"enable_gqa": True}),
     "Number of heads in key and value must divide the number of heads in "),
], ids=["causal_and_mask", "rank", "dtypes", "int_mask", "double_mask_float_query",
        "mask_shape", "head_dim", "dropout_p", "integer", "gqa_heads"])
def test_sdpa_errors(make, message):
    q, k, v = (_t(a) for a in _qkv())
    args, kw = make(q, k, v)
    with pytest.raises(RuntimeError) as info:
        F.scaled_dot_product_attention(*args, **kw)
    assert message in str(info.value)


@pytest.mark.torch
def test_sdpa_mask_shape_error_matches_torch(torch):
    q, k, v = _qkv()
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.functional.scaled_dot_product_attention(
            *(torch.tensor(a) for a in (q, k, v)), attn_mask=torch.ones(3, 5, dtype=torch.bool))
    with pytest.raises(RuntimeError) as ours:
        F.scaled_dot_product_attention(*(_t(a) for a in (q, k, v)),
                                       attn_mask=autodiff.ones(3, 5, dtype=autodiff.bool))
    assert str(ours.value) == str(theirs.value)


# ---- MultiheadAttention: parity with torch ---------------------------------------------------
def _state_from_torch(tmodule):
    return OrderedDict((k, autodiff.tensor(v.detach().numpy())) for k, v in
                       tmodule.state_dict().items())


def _pair(torch, make):
    """The same module from torch and autodiff (float64), holding torch's weights."""
    torch.manual_seed(0)
    tmod = make(torch.nn).double()
    mod = make(nn).double()
    assert repr(mod) == repr(tmod)
    tsd, sd = tmod.state_dict(), mod.state_dict()
    assert list(sd) == list(tsd)
    assert [tuple(v.shape) for v in sd.values()] == [tuple(v.shape) for v in tsd.values()]
    assert repr(mod.load_state_dict(_state_from_torch(tmod))) == "<All keys matched successfully>"
    return mod, tmod


def _compare(torch, mod, tmod, arrays, kwargs, self_attention=False):
    """Same outputs (every returned tensor), input and parameter gradients."""
    ours, theirs = _both(torch, *arrays)
    if self_attention:
        ours, theirs = ours[:1] * 3, theirs[:1] * 3
    akw = {n: _t(x) if isinstance(x, np.ndarray) else x for n, x in kwargs.items()}
    tkw = {n: torch.tensor(x) if isinstance(x, np.ndarray) else x for n, x in kwargs.items()}
    out, tout = mod(*ours, **akw), tmod(*theirs, **tkw)
    out, tout = (out, tout) if isinstance(tout, tuple) else ((out,), (tout,))
    assert len(out) == len(tout)
    loss, tloss = 0, 0
    for i, (o, to) in enumerate(zip(out, tout)):
        if to is None:
            assert o is None
            continue
        assert_close(o, to, RTOL, ATOL)
        g = np.random.default_rng(10 + i).standard_normal(tuple(to.shape))
        loss, tloss = loss + (o * _t(g)).sum(), tloss + (to * torch.tensor(g)).sum()
    loss.backward()
    tloss.backward()
    for x, tx in zip(ours, theirs):
        assert_close(x.grad, tx.grad, 1e-9, ATOL)
    tparams = dict(tmod.named_parameters())
    for name, p in mod.named_parameters():
        assert_close(p.grad, tparams[name].grad, 1e-9, ATOL)
    return out


def _mha_inputs(L=3, S=4, N=2, E=8, kdim=8, vdim=8, batch_first=False, batched=True, seed=0):
    rng = np.random.default_rng(seed)
    shape = (lambda T, D: (N, T, D) if batch_first else (T, N, D)) if batched else \
        (lambda T, D: (T, D))
    return (rng.standard_normal(shape(L, E)), rng.standard_normal(shape(S, kdim)),
            rng.standard_normal(shape(S, vdim)))


def _masks(L=3, S=4, N=2, heads=2, seed=1):
    rng = np.random.default_rng(seed)
    attn = rng.random((L, S)) < 0.3
    attn[:, 0] = False
    kpm = rng.random((N, S)) < 0.3
    kpm[:, 1] = False
    return attn, kpm, rng.standard_normal((N * heads, L, S))


ATTN, KPM, ATTN3D = _masks()
CAUSAL = np.triu(np.full((3, 3), -np.inf), 1)
MHA_CASES = {
    # id: (constructor kwargs, input kwargs, forward kwargs)
    "default": ({}, {}, {}),
    "batch_first": ({"batch_first": True}, {"batch_first": True}, {}),
    "bool_masks": ({}, {}, {"attn_mask": ATTN, "key_padding_mask": KPM}),
    "float_masks": ({}, {}, {"attn_mask": np.where(ATTN, -np.inf, 0.0),
                             "key_padding_mask": np.where(KPM, -1e9, 0.5)}),
    "3d_float_mask": ({}, {}, {"attn_mask": ATTN3D}),
    "kpm_only_batch_first": ({"batch_first": True}, {"batch_first": True},
                             {"key_padding_mask": KPM}),
    "no_weights": ({}, {}, {"need_weights": False, "attn_mask": ATTN, "key_padding_mask": KPM}),
    "no_weights_batch_first": ({"batch_first": True}, {"batch_first": True},
                               {"need_weights": False, "attn_mask": ATTN3D}),
    "per_head_weights": ({}, {}, {"average_attn_weights": False, "attn_mask": ATTN}),
    "kdim_vdim": ({"kdim": 5, "vdim": 6}, {"kdim": 5, "vdim": 6}, {"key_padding_mask": KPM}),
    "kdim_vdim_no_weights": ({"kdim": 5, "vdim": 6}, {"kdim": 5, "vdim": 6},
                             {"need_weights": False}),
    "bias_kv_zero_attn": ({"add_bias_kv": True, "add_zero_attn": True}, {},
                          {"attn_mask": ATTN, "key_padding_mask": KPM}),
    "bias_kv_no_weights": ({"add_bias_kv": True}, {}, {"need_weights": False,
                                                       "key_padding_mask": KPM}),
    "no_bias": ({"bias": False}, {}, {"attn_mask": ATTN}),
    "four_heads": ({"num_heads": 4}, {}, {"average_attn_weights": False}),
    "unbatched": ({}, {"batched": False}, {"attn_mask": ATTN, "key_padding_mask": KPM[0]}),
    "unbatched_3d_mask": ({}, {"batched": False}, {"attn_mask": ATTN3D[:2]}),
    "unbatched_no_weights": ({"batch_first": True}, {"batched": False},
                             {"need_weights": False}),
    "causal_hint": ({}, {"S": 3}, {"attn_mask": CAUSAL, "is_causal": True,
                                   "need_weights": False}),
    "causal_hint_with_weights": ({}, {"S": 3}, {"attn_mask": CAUSAL, "is_causal": True}),
    "causal_hint_with_kpm": ({}, {"S": 3}, {"attn_mask": CAUSAL, "is_causal": True,
                                            "need_weights": False, "key_padding_mask":
                                                np.where(KPM[:, :3], -np.inf, 0.0)}),
}


@pytest.mark.torch
@pytest.mark.parametrize("case", list(MHA_CASES))
def test_multihead_attention_matches_torch(torch, case):
    ctor, inp, fwd = MHA_CASES[case]
    ctor = {"embed_dim": 8, "num_heads": 2, **ctor}
    mod, tmod = _pair(torch, lambda n: n.MultiheadAttention(**ctor))
    out = _compare(torch, mod.eval(), tmod.eval(), _mha_inputs(**inp), fwd)
    assert (out[1] is None) == (fwd.get("need_weights") is False)


@pytest.mark.torch
@pytest.mark.parametrize("batch_first", [False, True])
def test_self_attention_with_one_tensor_matches_torch(torch, batch_first):
    mod, tmod = _pair(torch, lambda n: n.MultiheadAttention(8, 2, batch_first=batch_first))
    x = _mha_inputs(batch_first=batch_first)[0]
    _compare(torch, mod, tmod, [x], {"attn_mask": CAUSAL}, self_attention=True)


@pytest.mark.torch
def test_query_with_every_key_masked_as_in_torch(torch):
    """torch's weights path gives NaN rows, its scaled_dot_product_attention path zeros."""
    mod, tmod = _pair(torch, lambda n: n.MultiheadAttention(8, 2))
    q, k, v = _mha_inputs()
    kpm = np.zeros((2, 4), dtype=bool)
    kpm[1] = True
    for need_weights in (True, False):
        out, w = mod(_t(q), _t(k), _t(v), key_padding_mask=_t(kpm), need_weights=need_weights)
        tout, tw = tmod(*(torch.tensor(a) for a in (q, k, v)),
                        key_padding_mask=torch.tensor(kpm), need_weights=need_weights)
        assert_close(out, tout, RTOL, ATOL)
        if need_weights:
            assert_close(w, tw, RTOL, ATOL)
            assert np.isnan(w.detach().numpy()[1]).all()
        else:
            assert np.isfinite(out.detach().numpy()).all()


@pytest.mark.torch
def test_multi_head_attention_forward_matches_torch(torch):
    rng = np.random.default_rng(0)
    q, k, v = _mha_inputs()
    w_in, b_in = rng.standard_normal((24, 8)), rng.standard_normal(24)
    w_out, b_out = rng.standard_normal((8, 8)), rng.standard_normal(8)
    ours, theirs = _both(torch, q, k, v, w_in, b_in, w_out, b_out)

    def run(f, t, tensors, mask):
        q, k, v, wi, bi, wo, bo = tensors
        return f(q, k, v, 8, 2, wi, bi, None, None, False, 0.0, wo, bo, training=False,
                 attn_mask=t(mask))

    out, w = run(F.multi_head_attention_forward, _t, ours, ATTN)
    tout, tw = run(torch.nn.functional.multi_head_attention_forward, torch.tensor, theirs, ATTN)
    assert_close(out, tout, RTOL, ATOL)
    assert_close(w, tw, RTOL, ATOL)
    ((out * out).sum() + w.sum()).backward()
    ((tout * tout).sum() + tw.sum()).backward()
    for x, tx in zip(ours, theirs):
        assert_close(x.grad, tx.grad, 1e-9, ATOL)


@pytest.mark.torch
@pytest.mark.parametrize("ctor", [{}, {"kdim": 3, "vdim": 5, "bias": False},
                                  {"add_bias_kv": True, "batch_first": True, "dropout": 0.1}],
                         ids=["default", "kdim_vdim_nobias", "bias_kv"])
def test_multihead_attention_repr_and_state_dict(torch, ctor):
    mod, tmod = _pair(torch, lambda n: n.MultiheadAttention(6, 3, **ctor))
    assert repr(mod.out_proj).startswith("NonDynamicallyQuantizableLinear(in_features=6")
    names = [n for n, _ in mod.named_parameters()]
    assert names == [n for n, _ in tmod.named_parameters()]
    assert mod._qkv_same_embed_dim == tmod._qkv_same_embed_dim
    assert mod.head_dim == tmod.head_dim == 2
    assert isinstance(mod.out_proj, nn.Linear)


def test_multihead_attention_initialisation():
    mha = nn.MultiheadAttention(64, 4)
    bound = math.sqrt(6 / (64 + 3 * 64))                   # Xavier uniform on (3E, E)
    w = mha.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert not mha.in_proj_bias.detach().numpy().any()
    assert not mha.out_proj.bias.detach().numpy().any()
    assert np.abs(mha.out_proj.weight.detach().numpy()).max() <= 1 / math.sqrt(64)   # Linear's
    sep = nn.MultiheadAttention(8, 2, kdim=4, vdim=6, add_bias_kv=True)
    assert sep.in_proj_weight is None and tuple(sep.k_proj_weight.shape) == (8, 4)
    assert np.abs(sep.k_proj_weight.detach().numpy()).max() <= math.sqrt(6 / 12)
    assert tuple(sep.bias_k.shape) == (1, 1, 8) and sep.bias_k.detach().numpy().any()
    assert sum(p.numel() for p in mha.parameters()) == 4 * 64 * 64 + 4 * 64


def test_multi_head_attention_forward_gradcheck():
    """First and second order, with every weight an input: separate projections, bias_k/v,
    a zero attention slot, a mask, and both weight outputs."""
    rng = np.random.default_rng(2)
    q, k, v = _mha_inputs(L=2, S=3, N=1, E=4, kdim=3, vdim=2, seed=2)
    shapes = [(4, 4), (4, 3), (4, 2), (12,), (1, 1, 4), (1, 1, 4), (4, 4), (4,)]
    inputs = [_t(a, True) for a in [q, k, v] + [rng.standard_normal(s) for s in shapes]]
    mask = _t(np.array([[False, True, False], [False, False, True]]))

    def f(q, k, v, wq, wk, wv, b_in, bias_k, bias_v, w_out, b_out):
        return F.multi_head_attention_forward(
            q, k, v, 4, 2, None, b_in, bias_k, bias_v, True, 0.0, w_out, b_out,
            attn_mask=mask, use_separate_proj_weight=True, q_proj_weight=wq, k_proj_weight=wk,
            v_proj_weight=wv, average_attn_weights=False)

    check_grads(f, *inputs)


def test_multihead_attention_gradgradcheck_without_weights():
    mha = nn.MultiheadAttention(4, 2).double()
    q, k, v = _mha_inputs(L=2, S=3, N=2, E=4, kdim=4, vdim=4, seed=3)
    kpm = _t(np.array([[False, True, False], [False, False, False]]))
    check_grads(lambda q, k, v: mha(q, k, v, key_padding_mask=kpm, need_weights=False)[0],
                *(_t(a, True) for a in (q, k, v)))


def test_multihead_attention_dropout_only_in_training():
    mha = nn.MultiheadAttention(8, 2, dropout=0.5)
    q, k, v = (autodiff.tensor(a, dtype=autodiff.float32) for a in _mha_inputs())
    out1, w1 = mha(q, k, v)
    out2, _ = mha(q, k, v)
    assert not np.allclose(out1.detach().numpy(), out2.detach().numpy())
    mha.eval()
    out3, w3 = mha(q, k, v)
    assert_close(out3, mha(q, k, v)[0], 0, 0)
    assert_close(w3.sum(-1), np.ones((2, 3), np.float32), 1e-6, 1e-6)


def test_multihead_attention_on_device(device):
    mha = nn.MultiheadAttention(8, 2, batch_first=True).double()
    q, k, v = _mha_inputs(batch_first=True)
    expected, expected_w = mha(_t(q), _t(k), _t(v), key_padding_mask=_t(KPM))
    mha.to(device)
    out, w = mha(*(_t(a, device=device) for a in (q, k, v)),
                 key_padding_mask=_t(KPM, device=device))
    assert out.device.type == device
    assert_close(out.cpu(), expected, 1e-12, 1e-12)
    assert_close(w.cpu(), expected_w, 1e-12, 1e-12)


# ---- MultiheadAttention: errors ---------------------------------------------------------------
def test_constructor_errors():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(8, 3)
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0, got "
                                         "embed_dim=0 and num_heads=2 instead"):
        nn.MultiheadAttention(0, 2)


def _mha_error(**kw):
    mha = nn.MultiheadAttention(8, 2).double()
    q, k, v = (_t(a) for a in _mha_inputs())
    args = {"query": q, "key": k, "value": v}
    args.update({n: x for n, x in kw.items() if n in args})
    fwd = {n: x for n, x in kw.items() if n not in args}
    return lambda: mha(args["query"], args["key"], args["value"], **fwd)


@pytest.mark.parametrize("kw, exc, message", [
    (dict(attn_mask=autodiff.zeros(3, 5).double()), RuntimeError,
     "The shape of the 2D attn_mask is autodiff.Size([3, 5]), but should be (3, 4)."),
    (dict(attn_mask=autodiff.zeros(2, 3, 4).double()), RuntimeError,
     "The shape of the 3D attn_mask is autodiff.Size([2, 3, 4]), but should be (4, 3, 4)."),
    (dict(attn_mask=autodiff.zeros(1, 1, 3, 4).double()), AssertionError,
     "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found 4-D"),
    (dict(key_padding_mask=autodiff.zeros(2, 5, dtype=autodiff.bool)), AssertionError,
     "Expected key_padded_mask.shape[1] to be 4, but got 5"),
    (dict(key_padding_mask=autodiff.zeros(3, 4, dtype=autodiff.bool)), AssertionError,
     "Expected key_padded_mask.shape[0] to be 2, but got 3"),
    (dict(key_padding_mask=autodiff.zeros(4, dtype=autodiff.bool)), AssertionError,
     "expected `key_padding_mask` to be `None` or 2-D but found 1-D tensor instead"),
    (dict(attn_mask=autodiff.zeros(3, 4, dtype=autodiff.int64)), AssertionError,
     "only bool and floating types of attn_mask are supported"),
    (dict(query=autodiff.zeros(3, 2, 6).double()), AssertionError,
     "was expecting embedding dimension of 8, but got 6"),
    (dict(query=autodiff.zeros(1, 3, 2, 8).double()), AssertionError,
     "query should be unbatched 2D or batched 3D tensor but received 4-D query tensor"),
    (dict(key=autodiff.zeros(4, 8).double()), AssertionError,
     "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found 2-D and 3-D"),
    (dict(value=autodiff.zeros(5, 2, 8).double()), AssertionError,
     "key shape autodiff.Size([4, 2, 8]) does not match value shape autodiff.Size([5, 2, 8])"),
    (dict(is_causal=True), RuntimeError, "Need attn_mask if specifying the is_causal hint"),
], ids=["2d_mask", "3d_mask", "4d_mask", "kpm_len", "kpm_batch", "kpm_rank", "int_mask",
        "embed_dim", "query_rank", "key_rank", "value_shape", "causal_without_mask"])
def test_forward_errors(kw, exc, message):
    with pytest.raises(exc) as info:
        _mha_error(**kw)()
    assert message in str(info.value)


def test_unbatched_3d_mask_shape_error():
    mha = nn.MultiheadAttention(8, 2).double()
    q, k, v = (_t(a) for a in _mha_inputs(batched=False))
    with pytest.raises(AssertionError, match=r"Expected `attn_mask` shape to be \(2, 3, 4\)"):
        mha(q, k, v, attn_mask=autodiff.zeros(4, 3, 4).double())


def test_mismatched_mask_types_warn():
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask "
                                         "is deprecated. Use same type for both instead."):
        _mha_error(attn_mask=_t(np.zeros((3, 4))), key_padding_mask=_t(KPM))()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _mha_error(attn_mask=_t(ATTN), key_padding_mask=_t(KPM))()
