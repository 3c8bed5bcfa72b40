"""Transformer layers against torch: TransformerEncoderLayer/Encoder, TransformerDecoderLayer/
Decoder and Transformer -- reprs, state_dict keys, and with torch's weights (float64, eval mode
so dropout is off) the same outputs and input/parameter gradients; masks, causal hints,
initialisation, deep copies, warnings and errors."""
import copy
import math
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import autodiff
import autodiff.nn as nn
import autodiff.nn.functional as F
from _helpers import assert_close, check_grads

RTOL, ATOL = 1e-9, 1e-11
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")


def _t(a, requires_grad=False):
    return autodiff.tensor(a, requires_grad=requires_grad)


def _pair(torch, make):
    """The same module from torch and autodiff (float64, eval), holding torch's weights."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)     # enable_nested_tensor notices
        tmod, mod = make(torch.nn).double().eval(), make(nn).double().eval()
    assert repr(mod) == repr(tmod)
    tsd, sd = tmod.state_dict(), mod.state_dict()
    assert list(sd) == list(tsd)
    assert [tuple(v.shape) for v in sd.values()] == [tuple(v.shape) for v in tsd.values()]
    state = OrderedDict((k, _t(v.detach().numpy())) for k, v in tsd.items())
    assert repr(mod.load_state_dict(state)) == "<All keys matched successfully>"
    return mod, tmod


def _convert(torch, kwargs):
    ours = {n: _t(x) if isinstance(x, np.ndarray) else x for n, x in kwargs.items()}
    theirs = {n: torch.tensor(x) if isinstance(x, np.ndarray) else x for n, x in kwargs.items()}
    return ours, theirs


def _compare(torch, mod, tmod, arrays, kwargs):
    ours = [_t(a, True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    akw, tkw = _convert(torch, kwargs)
    out, tout = mod(*ours, **akw), tmod(*theirs, **tkw)
    assert_close(out, tout, RTOL, ATOL)
    g = np.random.default_rng(5).standard_normal(tuple(tout.shape))
    out.backward(_t(g))
    tout.backward(torch.tensor(g))
    for x, tx in zip(ours, theirs):
        assert_close(x.grad, tx.grad, RTOL, ATOL)
    tparams = dict(tmod.named_parameters())
    for name, p in mod.named_parameters():
        assert_close(p.grad, tparams[name].grad, RTOL, ATOL)
    return out


def _seq(L, N=2, E=8, batch_first=False, batched=True, seed=0):
    shape = ((N, L, E) if batch_first else (L, N, E)) if batched else (L, E)
    return np.random.default_rng(seed).standard_normal(shape)


def _masks(L, S, N=2, seed=1):
    rng = np.random.default_rng(seed)
    attn = rng.random((L, S)) < 0.3
    attn[:, 0] = False
    kpm = rng.random((N, S)) < 0.3
    kpm[:, 1] = False
    return attn, kpm


SRC_MASK, SRC_KPM = _masks(5, 5)
CAUSAL5 = np.triu(np.full((5, 5), -np.inf), 1)
CAUSAL4 = np.triu(np.full((4, 4), -np.inf), 1)
MEM_MASK, MEM_KPM = _masks(4, 5, seed=2)

ENCODER_LAYER_CASES = {
    # id: (constructor kwargs, input kwargs, forward kwargs)
    "default": ({}, {}, {}),
    "bool_masks": ({}, {}, {"src_mask": SRC_MASK, "src_key_padding_mask": SRC_KPM}),
    "float_masks": ({}, {}, {"src_mask": np.where(SRC_MASK, -np.inf, 0.0),
                             "src_key_padding_mask": np.where(SRC_KPM, -np.inf, 0.0)}),
    "batch_first_kpm": ({"batch_first": True}, {"batch_first": True},
                        {"src_key_padding_mask": SRC_KPM}),
    "norm_first": ({"norm_first": True}, {}, {"src_mask": SRC_MASK}),
    "gelu": ({"activation": "gelu"}, {}, {}),
    "gelu_module_norm_first": ({"activation": lambda n: n.GELU(), "norm_first": True}, {}, {}),
    "callable_activation": ({"activation": lambda n: n.functional.silu}, {}, {}),
    "no_bias_eps": ({"bias": False, "layer_norm_eps": 1e-3}, {}, {}),
    "unbatched": ({}, {"batched": False}, {"src_key_padding_mask": SRC_KPM[0]}),
    "causal_hint": ({}, {}, {"src_mask": CAUSAL5, "is_causal": True}),
}


def _ctor(kwargs, n):
    """Constructor kwargs for module namespace ``n`` (activation factories resolved)."""
    out = dict(kwargs)
    if callable(out.get("activation")):
        out["activation"] = out["activation"](n)
    return out


@pytest.mark.torch
@pytest.mark.parametrize("case", list(ENCODER_LAYER_CASES))
def test_encoder_layer_matches_torch(torch, case):
    ctor, inp, fwd = ENCODER_LAYER_CASES[case]
    mod, tmod = _pair(torch, lambda n: n.TransformerEncoderLayer(8, 2, 16, **_ctor(ctor, n)))
    _compare(torch, mod, tmod, [_seq(5, **inp)], fwd)


@pytest.mark.torch
@pytest.mark.parametrize("batch_first, is_causal", [(False, None), (True, True), (False, False)])
def test_encoder_matches_torch(torch, batch_first, is_causal):
    def make(n):
        layer = n.TransformerEncoderLayer(8, 2, 16, batch_first=batch_first)
        return n.TransformerEncoder(layer, 2, norm=n.LayerNorm(8))
    mod, tmod = _pair(torch, make)
    fwd = {"mask": CAUSAL5, "src_key_padding_mask": np.where(SRC_KPM, -np.inf, 0.0),
           "is_causal": is_causal}
    _compare(torch, mod, tmod, [_seq(5, batch_first=batch_first)], fwd)


DECODER_LAYER_CASES = {
    "default": ({}, {}, {}),
    "masks": ({}, {}, {"tgt_mask": CAUSAL4, "memory_mask": MEM_MASK,
                       "tgt_key_padding_mask": np.where(SRC_KPM[:, :4], -np.inf, 0.0),
                       "memory_key_padding_mask": MEM_KPM}),
    "causal_hint_batch_first": ({"batch_first": True}, {"batch_first": True},
                                {"tgt_mask": CAUSAL4, "tgt_is_causal": True}),
    "norm_first_gelu": ({"norm_first": True, "activation": "gelu"}, {},
                        {"memory_key_padding_mask": MEM_KPM}),
    "unbatched": ({}, {"batched": False}, {"tgt_mask": CAUSAL4}),
}


@pytest.mark.torch
@pytest.mark.parametrize("case", list(DECODER_LAYER_CASES))
def test_decoder_layer_matches_torch(torch, case):
    ctor, inp, fwd = DECODER_LAYER_CASES[case]
    mod, tmod = _pair(torch, lambda n: n.TransformerDecoderLayer(8, 2, 16, **ctor))
    _compare(torch, mod, tmod, [_seq(4, **inp), _seq(5, seed=1, **inp)], fwd)


@pytest.mark.torch
def test_decoder_matches_torch(torch):
    mod, tmod = _pair(torch, lambda n: n.TransformerDecoder(
        n.TransformerDecoderLayer(8, 2, 16), 2, norm=n.LayerNorm(8)))
    _compare(torch, mod, tmod, [_seq(4), _seq(5, seed=1)],
             {"tgt_mask": CAUSAL4, "memory_key_padding_mask": MEM_KPM})


@pytest.mark.torch
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(torch, batch_first):
    mod, tmod = _pair(torch, lambda n: n.Transformer(8, 2, 2, 1, 16, batch_first=batch_first))
    fwd = {"tgt_mask": mod.generate_square_subsequent_mask(4).double().numpy(),
           "src_key_padding_mask": SRC_KPM, "memory_key_padding_mask": SRC_KPM}
    _compare(torch, mod, tmod, [_seq(5, batch_first=batch_first),
                                _seq(4, seed=1, batch_first=batch_first)], fwd)


@pytest.mark.torch
def test_generate_square_subsequent_mask_matches_torch(torch):
    ours = nn.Transformer.generate_square_subsequent_mask(4)
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(4)
    assert_close(ours, theirs, 0, 0)
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=autodiff.float64).dtype \
        == autodiff.float64


# ---- behaviour without torch ------------------------------------------------------------------
def test_encoder_layers_are_independent_deep_copies():
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    enc = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    assert len(enc.layers) == enc.num_layers == 3
    w = [l.linear1.weight for l in enc.layers]
    assert w[0] is not w[1] and w[0] is not layer.linear1.weight
    assert_close(w[0], w[1], 0, 0)                   # copies start equal, as in torch
    with autodiff.no_grad():
        w[0].add_(1)
    assert not np.allclose(w[0].detach().numpy(), w[1].detach().numpy())
    assert len(list(enc.parameters())) == 3 * len(list(layer.parameters()))


@pytest.mark.parametrize("make, reason", [
    (lambda: nn.TransformerEncoderLayer(8, 2), "encoder_layer.self_attn.batch_first was not "
                                               "True(use batch_first for better inference "
                                               "performance)"),
    (lambda: nn.TransformerEncoderLayer(8, 2, batch_first=True, norm_first=True),
     "encoder_layer.norm_first was True"),
    (lambda: nn.TransformerEncoderLayer(8, 2, batch_first=True, activation=F.silu),
     "encoder_layer.activation_relu_or_gelu was not True"),
    (lambda: nn.TransformerEncoderLayer(9, 3, batch_first=True),
     "encoder_layer.self_attn.num_heads is odd"),
    (lambda: nn.Linear(8, 8), "encoder_layer was not TransformerEncoderLayer"),
])
def test_enable_nested_tensor_warning(make, reason):
    layer = make()
    with pytest.warns(UserWarning) as record:
        enc = nn.TransformerEncoder(layer, 1)
    assert str(record[0].message) == ("enable_nested_tensor is True, but "
                                      f"self.use_nested_tensor is False because {reason}")
    assert enc.use_nested_tensor is False and enc.enable_nested_tensor is True
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)
        nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, batch_first=True), 1)


def test_causal_mask_is_detected():
    from autodiff.nn.modules.transformer import _detect_is_causal_mask
    causal = nn.Transformer.generate_square_subsequent_mask(4)
    assert _detect_is_causal_mask(causal) is True
    assert _detect_is_causal_mask(causal, size=5) is False
    assert _detect_is_causal_mask(causal.T) is False
    assert _detect_is_causal_mask(causal.T, is_causal=True) is True
    assert _detect_is_causal_mask(None) is False


def test_activation_choice():
    assert nn.TransformerEncoderLayer(8, 2).activation is F.relu
    layer = nn.TransformerDecoderLayer(8, 2, activation="gelu")
    assert layer.activation is F.gelu and layer.activation_relu_or_gelu == 2
    layer = nn.TransformerEncoderLayer(8, 2, activation=nn.ReLU())
    assert layer.activation_relu_or_gelu == 1 and "activation" in dict(layer.named_children())
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")


def test_transformer_initialisation():
    model = nn.Transformer(16, 2, 1, 1, 32)
    w = model.encoder.layers[0].linear1.weight.detach().numpy()     # Xavier, not Linear's
    bound = math.sqrt(6 / (16 + 32))
    assert bound * 0.9 < np.abs(w).max() <= bound
    norm = model.decoder.norm
    assert np.all(norm.weight.detach().numpy() == 1) and not norm.bias.detach().numpy().any()
    layer = nn.TransformerEncoderLayer(16, 2, 32)              # a layer keeps Linear's init
    assert np.abs(layer.linear1.weight.detach().numpy()).max() <= 1 / 4


def test_transformer_errors():
    model = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(autodiff.zeros(5, 2, 8), autodiff.zeros(4, 3, 8))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to "
                                           "d_model"):
        model(autodiff.zeros(5, 2, 8), autodiff.zeros(4, 2, 6))
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.TransformerEncoderLayer(8, 3)
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 8, but got 6"):
        layer(autodiff.zeros(5, 2, 6))
    with pytest.raises(AssertionError, match="only bool and floating types of src_mask"):
        layer(autodiff.zeros(5, 2, 8), src_mask=autodiff.zeros(5, 5, dtype=autodiff.int64))


def test_dropout_only_in_training():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = autodiff.tensor(_seq(5), dtype=autodiff.float32)
    assert not np.allclose(layer(x).detach().numpy(), layer(x).detach().numpy())
    layer.eval()
    assert_close(layer(x), layer(x), 0, 0)


def test_encoder_layer_gradcheck():
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu").double()
    kpm = _t(np.array([[False, True, False], [False, False, False]]))
    check_grads(lambda x: layer(x, src_key_padding_mask=kpm), _t(_seq(3, E=4), True),
                second_order=False)


def test_deepcopy_and_state_dict_round_trip():
    model = nn.Transformer(8, 2, 1, 1, 16, dropout=0.0).double().eval()
    clone = copy.deepcopy(model)
    src, tgt = _t(_seq(5)), _t(_seq(4, seed=1))
    assert_close(clone(src, tgt), model(src, tgt), 0, 0)
    fresh = nn.Transformer(8, 2, 1, 1, 16, dropout=0.0).double().eval()
    fresh.load_state_dict(model.state_dict())
    assert_close(fresh(src, tgt), model(src, tgt), 0, 0)
