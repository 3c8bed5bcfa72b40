"""The layers of ``autodiff.nn`` against ``torch.nn``: the same repr, state_dict keys and shapes,
and -- with torch's weights loaded (float64) -- the same outputs and input/parameter gradients.
Also the initialisation scheme of each layer and the running statistics of BatchNorm."""
import math
from collections import OrderedDict

import numpy as np
import pytest

import autodiff
import autodiff.nn as nn
from _helpers import assert_close

pytestmark = pytest.mark.torch


def _state_from_torch(tmodule):
    """A torch state_dict as autodiff tensors, via numpy."""
    return OrderedDict((k, autodiff.tensor(v.detach().numpy())) for k, v in
                       tmodule.state_dict().items())


def _pair(torch, make, dtype="float64"):
    """The same layer built with torch and with autodiff, autodiff holding torch's weights."""
    torch.manual_seed(0)
    tlayer = make(torch.nn).to(getattr(torch, dtype))
    layer = make(nn).to(getattr(autodiff, dtype))
    assert repr(layer) == repr(tlayer)
    tsd, sd = tlayer.state_dict(), layer.state_dict()
    assert list(sd) == list(tsd)
    assert [tuple(v.shape) for v in sd.values()] == [tuple(v.shape) for v in tsd.values()]
    assert [v.dtype.name for v in sd.values()] == [str(v.dtype)[6:] for v in tsd.values()]
    result = layer.load_state_dict(_state_from_torch(tlayer))
    assert repr(result) == "<All keys matched successfully>"
    return layer, tlayer


def _inputs(torch, specs, seed=1):
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    for shape, kind in specs:
        if kind == "int":
            a = rng.integers(0, 5, shape)
            ours.append(autodiff.tensor(a))
            theirs.append(torch.tensor(a))
        else:
            a = rng.standard_normal(shape)
            ours.append(autodiff.tensor(a, requires_grad=True))
            theirs.append(torch.tensor(a, requires_grad=True))
    return ours, theirs


def _compare_forward_backward(torch, layer, tlayer, specs, rtol=1e-10):
    ours, theirs = _inputs(torch, specs)
    out, tout = layer(*ours), tlayer(*theirs)
    assert_close(out, tout, rtol=rtol, atol=1e-12)
    if not tout.requires_grad:
        return
    g = np.random.default_rng(2).standard_normal(tuple(tout.shape))
    out.backward(autodiff.tensor(g))
    tout.backward(torch.tensor(g))
    for x, tx in zip(ours, theirs):
        if tx.grad is not None:
            assert_close(x.grad, tx.grad, rtol=rtol, atol=1e-12)
    tparams = dict(tlayer.named_parameters())
    for name, p in layer.named_parameters():
        assert_close(p.grad, tparams[name].grad, rtol=rtol, atol=1e-12)


X = ((4, 6), "float")
LAYERS = {
    "linear": (lambda n: n.Linear(6, 3), [X]),
    "linear_nobias_3d": (lambda n: n.Linear(6, 3, bias=False), [((2, 4, 6), "float")]),
    "bilinear": (lambda n: n.Bilinear(6, 2, 3), [X, ((4, 2), "float")]),
    "identity": (lambda n: n.Identity(3, foo=1), [X]),
    "flatten": (lambda n: n.Flatten(), [((2, 3, 2, 2), "float")]),
    "flatten_range": (lambda n: n.Flatten(0, 1), [((2, 3, 2), "float")]),
    "unflatten": (lambda n: n.Unflatten(1, (2, 3)), [X]),
    "relu": (lambda n: n.ReLU(), [X]),
    "leaky_relu": (lambda n: n.LeakyReLU(0.2), [X]),
    "elu": (lambda n: n.ELU(0.5), [X]),
    "celu": (lambda n: n.CELU(), [X]),
    "selu": (lambda n: n.SELU(), [X]),
    "gelu": (lambda n: n.GELU(), [X]),
    "gelu_tanh": (lambda n: n.GELU("tanh"), [X]),
    "silu": (lambda n: n.SiLU(), [X]),
    "mish": (lambda n: n.Mish(), [X]),
    "sigmoid": (lambda n: n.Sigmoid(), [X]),
    "tanh": (lambda n: n.Tanh(), [X]),
    "softmax": (lambda n: n.Softmax(dim=1), [X]),
    "log_softmax": (lambda n: n.LogSoftmax(dim=0), [X]),
    "softmin": (lambda n: n.Softmin(1), [X]),
    "softplus": (lambda n: n.Softplus(2, 10), [X]),
    "hardtanh": (lambda n: n.Hardtanh(-0.5, 0.5), [X]),
    "relu6": (lambda n: n.ReLU6(), [X]),
    "threshold": (lambda n: n.Threshold(0.1, 20.0), [X]),
    "prelu": (lambda n: n.PReLU(), [X]),
    "prelu_channels": (lambda n: n.PReLU(3, 0.1), [((2, 3, 4), "float")]),
    "hardswish": (lambda n: n.Hardswish(), [X]),
    "hardsigmoid": (lambda n: n.Hardsigmoid(), [X]),
    "logsigmoid": (lambda n: n.LogSigmoid(), [X]),
    "softsign": (lambda n: n.Softsign(), [X]),
    "tanhshrink": (lambda n: n.Tanhshrink(), [X]),
    "glu": (lambda n: n.GLU(), [X]),
    "hardshrink": (lambda n: n.Hardshrink(), [X]),
    "softshrink": (lambda n: n.Softshrink(0.3), [X]),
    "embedding": (lambda n: n.Embedding(5, 3), [((2, 4), "int")]),
    "embedding_padding": (lambda n: n.Embedding(5, 3, padding_idx=1), [((2, 4), "int")]),
    "batchnorm1d": (lambda n: n.BatchNorm1d(6), [X]),
    "batchnorm1d_3d": (lambda n: n.BatchNorm1d(3, momentum=None), [((4, 3, 5), "float")]),
    "batchnorm2d": (lambda n: n.BatchNorm2d(3), [((2, 3, 4, 4), "float")]),
    "batchnorm2d_plain": (lambda n: n.BatchNorm2d(3, affine=False, track_running_stats=False),
                          [((2, 3, 4, 4), "float")]),
    "batchnorm3d": (lambda n: n.BatchNorm3d(2, eps=1e-3), [((2, 2, 2, 3, 3), "float")]),
    "layernorm": (lambda n: n.LayerNorm(6), [X]),
    "layernorm_2d_nobias": (lambda n: n.LayerNorm([3, 4], bias=False), [((2, 3, 4), "float")]),
    "layernorm_plain": (lambda n: n.LayerNorm(6, elementwise_affine=False), [X]),
    "groupnorm": (lambda n: n.GroupNorm(2, 4), [((2, 4, 3, 3), "float")]),
    "instancenorm1d": (lambda n: n.InstanceNorm1d(3), [((2, 3, 5), "float")]),
    "instancenorm2d_affine": (lambda n: n.InstanceNorm2d(3, affine=True,
                                                         track_running_stats=True),
                              [((2, 3, 4, 4), "float")]),
    "instancenorm2d_unbatched": (lambda n: n.InstanceNorm2d(3), [((3, 4, 4), "float")]),
    "rmsnorm": (lambda n: n.RMSNorm(6, eps=1e-5), [X]),
    "cosine_similarity": (lambda n: n.CosineSimilarity(), [X, X]),
    "cosine_similarity_dim0": (lambda n: n.CosineSimilarity(0, 1e-3), [X, X]),
    "pairwise_distance": (lambda n: n.PairwiseDistance(), [X, X]),
    "pairwise_distance_p1_keepdim": (lambda n: n.PairwiseDistance(1.0, 1e-3, True), [X, X]),
    "pairwise_distance_broadcast": (lambda n: n.PairwiseDistance(3), [X, ((6,), "float")]),
    "sequential": (lambda n: n.Sequential(n.Linear(6, 5), n.Tanh(), n.Dropout(0.0),
                                          n.Linear(5, 2)), [X]),
}


@pytest.mark.parametrize("case", list(LAYERS))
def test_layer_matches_torch_in_training_mode(torch, case):
    make, specs = LAYERS[case]
    layer, tlayer = _pair(torch, make)
    _compare_forward_backward(torch, layer, tlayer, specs)
    tsd = tlayer.state_dict()
    for name, buf in layer.state_dict().items():          # running statistics updated alike
        assert_close(buf, tsd[name], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", [c for c in LAYERS if "norm" in c or "sequential" in c])
def test_layer_matches_torch_in_eval_mode(torch, case):
    make, specs = LAYERS[case]
    layer, tlayer = _pair(torch, make)
    for _ in range(2):                 # move the running statistics away from 0 and 1 first
        ours, theirs = _inputs(torch, specs, seed=5)
        layer(*ours)
        tlayer(*theirs)
    layer.eval()
    tlayer.eval()
    _compare_forward_backward(torch, layer, tlayer, specs)


@pytest.mark.parametrize("cls", ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
                                 "AlphaDropout", "FeatureAlphaDropout"])
def test_dropout_layers(torch, cls):
    layer, tlayer = getattr(nn, cls)(0.3), getattr(torch.nn, cls)(0.3)
    assert repr(layer) == repr(tlayer)
    assert repr(getattr(nn, cls)(0.2, True)) == repr(getattr(torch.nn, cls)(0.2, True))
    shape = {"Dropout3d": (4, 6, 3, 3, 3), "Dropout2d": (4, 6, 3, 3)}.get(cls, (4, 6, 5))
    x = autodiff.ones(*shape)
    assert layer.eval()(x) is x
    y = layer.train()(x).numpy()
    if "Alpha" in cls:
        assert len(np.unique(y)) == 2
    else:
        assert 0 < (y == 0).mean() < 1 and set(np.unique(y)) == {0.0, np.float32(1 / 0.7)}


def test_float32_layer_outputs_stay_float32(torch):
    layer = nn.Sequential(nn.Linear(6, 4), nn.LayerNorm(4), nn.GELU(), nn.BatchNorm1d(4))
    out = layer(autodiff.randn(5, 6))
    assert out.dtype == autodiff.float32
    tlayer = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.LayerNorm(4), torch.nn.GELU(),
                                 torch.nn.BatchNorm1d(4))
    layer.load_state_dict(_state_from_torch(tlayer))
    x = np.random.default_rng(0).standard_normal((5, 6)).astype(np.float32)
    assert_close(layer(autodiff.tensor(x)), tlayer(torch.tensor(x)), rtol=1e-5, atol=1e-5)


# ---- a torch model's weights in an autodiff model -------------------------------------------------
def _model(n):
    class Net(n.Module):
        def __init__(self):
            super().__init__()
            self.embed = n.Embedding(10, 4, padding_idx=0)
            self.body = n.Sequential(OrderedDict([
                ("fc1", n.Linear(8, 16)), ("bn", n.BatchNorm1d(16)), ("act", n.ReLU()),
                ("drop", n.Dropout(0.5)), ("fc2", n.Linear(16, 3))]))
            self.norm = n.LayerNorm(3)

        def forward(self, idx):
            return self.norm(self.body(self.embed(idx).flatten(1)))
    return Net()


def test_torch_state_dict_loads_into_the_same_autodiff_model(torch):
    torch.manual_seed(0)
    tnet = _model(torch.nn)
    tnet(torch.randint(0, 10, (8, 2)))               # a training step moves the running stats
    net = _model(nn)
    assert repr(net) == repr(tnet)
    assert list(net.state_dict()) == list(tnet.state_dict())
    net.load_state_dict({k: v.numpy() for k, v in tnet.state_dict().items()})  # arrays work too
    assert net.body.bn.num_batches_tracked.item() == 1
    net.eval()
    tnet.eval()
    idx = np.random.default_rng(0).integers(0, 10, (5, 2))
    assert_close(net(autodiff.tensor(idx)), tnet(torch.tensor(idx)), rtol=1e-5, atol=1e-6)


# ---- initialisation schemes ------------------------------------------------------------------------
@pytest.mark.parametrize("make, bound", [
    (lambda: nn.Linear(50, 40), 1 / math.sqrt(50)),
    (lambda: nn.Bilinear(30, 20, 40), 1 / math.sqrt(30)),
])
def test_weights_are_uniform_within_torchs_bounds(make, bound):
    layer = make()
    for p in layer.parameters():
        a = p.detach().numpy()
        assert np.abs(a).max() <= bound
        assert np.abs(a).max() > 0.9 * bound          # the whole range is used
        assert abs(a.std() - bound / math.sqrt(3)) < 0.15 * bound


def test_embedding_init_and_from_pretrained():
    e = nn.Embedding(1000, 20, padding_idx=3)
    w = e.weight.detach().numpy()
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02 and not w[3].any()
    pre = autodiff.tensor([[1.0, 2.0], [3.0, 4.0]])
    f = nn.Embedding.from_pretrained(pre)
    assert not f.weight.requires_grad and f(autodiff.tensor([1])).tolist() == [[3.0, 4.0]]
    assert nn.Embedding.from_pretrained(pre, freeze=False).weight.requires_grad
    assert repr(f) == "Embedding(2, 2)"


def test_norm_layers_start_as_identity_transforms():
    bn = nn.BatchNorm2d(3)
    assert bn.weight.tolist() == [1.0] * 3 and bn.bias.tolist() == [0.0] * 3
    assert bn.running_var.tolist() == [1.0] * 3 and bn.num_batches_tracked.dtype == autodiff.int64
    assert nn.PReLU(2).weight.tolist() == [0.25, 0.25]


# ---- BatchNorm running statistics -------------------------------------------------------------------
def test_batchnorm_cumulative_average_with_momentum_none(torch):
    layer, tlayer = _pair(torch, lambda n: n.BatchNorm1d(3, momentum=None))
    for seed in range(3):
        ours, theirs = _inputs(torch, [((6, 3), "float")], seed=seed)
        layer(*ours)
        tlayer(*theirs)
    assert layer.num_batches_tracked.item() == 3
    assert_close(layer.running_mean, tlayer.running_mean, rtol=1e-12, atol=1e-14)
    assert_close(layer.running_var, tlayer.running_var, rtol=1e-12, atol=1e-14)


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval():
    bn = nn.BatchNorm1d(2, track_running_stats=False).eval()
    assert bn.running_mean is None and "running_mean" not in bn.state_dict()
    y = bn(autodiff.tensor([[1.0, 5.0], [3.0, 7.0]]))
    np.testing.assert_allclose(y.detach().numpy(), [[-1, -1], [1, 1]], atol=1e-4)


def test_batchnorm_loads_old_checkpoints_without_counter():
    bn = nn.BatchNorm1d(2)
    state = dict(bn.state_dict())          # a plain dict: no version metadata, as if old
    del state["num_batches_tracked"]
    assert repr(bn.load_state_dict(state)) == "<All keys matched successfully>"


@pytest.mark.torch
def test_norm_layer_input_checks_match_torch(torch):
    for n in (nn, torch.nn):
        with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
            n.BatchNorm2d(3)(n.Identity()(_zeros(n, 2, 3, 4)))
        with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
            n.BatchNorm1d(3)(_zeros(n, 2, 3, 4, 4))
        with pytest.raises(ValueError, match=r"num_channels \(3\) must be divisible by num_groups \(2\)"):
            n.GroupNorm(2, 3)
        with pytest.raises(ValueError, match="expected input's size at dim=1 to match "
                                             r"num_features \(3\), but got: 4."):
            n.InstanceNorm1d(3, affine=True)(_zeros(n, 2, 4, 5))


def _zeros(n, *shape):
    return (autodiff if n is nn else __import__("torch")).zeros(*shape)


@pytest.mark.torch
def test_distance_layers_keep_torchs_attributes(torch):
    for ours, theirs in ((nn.PairwiseDistance(1.5, 1e-4, True),
                          torch.nn.PairwiseDistance(1.5, 1e-4, True)),
                         (nn.CosineSimilarity(-1, 1e-6), torch.nn.CosineSimilarity(-1, 1e-6))):
        assert repr(ours) == repr(theirs)
        assert {k: v for k, v in vars(ours).items() if not k.startswith("_")} == \
            {k: v for k, v in vars(theirs).items() if not k.startswith("_")}


def test_distance_layers_gradcheck():
    from _helpers import check_grads
    rng = np.random.default_rng(0)
    a, b = (autodiff.tensor(rng.standard_normal((3, 4)), requires_grad=True) for _ in range(2))
    check_grads(nn.CosineSimilarity(), a, b)
    check_grads(nn.PairwiseDistance(p=3.0, keepdim=True), a, b)


# ---- dtypes torch refuses: integer inputs, parameters of another dtype ---------------------------
def _long(m, *shape):
    return m.ones(*shape, dtype=m.long)


DTYPE_ERRORS = [
    ("batchnorm_long", NotImplementedError, "\"batch_norm\" not implemented for 'Long'",
     lambda m: m.nn.BatchNorm2d(3)(_long(m, 2, 3, 4, 4))),
    ("batchnorm_eval_bool", NotImplementedError, "\"batch_norm\" not implemented for 'Bool'",
     lambda m: m.nn.BatchNorm1d(3).eval()(_long(m, 4, 3) > 0)),
    ("instancenorm_int", NotImplementedError, "\"batch_norm\" not implemented for 'Int'",
     lambda m: m.nn.InstanceNorm2d(3, affine=True)(_long(m, 2, 3, 4, 4).int())),
    ("f_batch_norm_long", NotImplementedError, "\"batch_norm\" not implemented for 'Long'",
     lambda m: m.nn.functional.batch_norm(_long(m, 2, 3), None, None, training=True)),
    ("layernorm_long", RuntimeError, r"mixed dtype \(CPU\): all inputs must share same "
     "datatype.", lambda m: m.nn.LayerNorm(3)(_long(m, 4, 3))),
    ("layernorm_long_wrong_shape", RuntimeError, "mixed dtype", lambda m: m.nn.LayerNorm(3)(
        _long(m, 4, 5))),
    ("f_layer_norm_long", NotImplementedError, "\"LayerNormKernelImpl\" not implemented for "
     "'Long'", lambda m: m.nn.functional.layer_norm(_long(m, 4, 3), (3,))),
    ("groupnorm_long", RuntimeError, r"mixed dtype \(CPU\): all inputs must share same datatype.",
     lambda m: m.nn.GroupNorm(1, 3)(_long(m, 4, 3))),
    ("f_group_norm_long", NotImplementedError, "\"GroupNormKernelImpl\" not implemented for "
     "'Long'", lambda m: m.nn.functional.group_norm(_long(m, 4, 3), 1)),
    ("rmsnorm_long", NotImplementedError, "\"rms_norm\" not implemented for 'Long'",
     lambda m: m.nn.RMSNorm(3)(_long(m, 4, 3))),
    ("batchnorm_double_input", RuntimeError, r"mixed dtype \(CPU\): all inputs must share same "
     "datatype.", lambda m: m.nn.BatchNorm1d(3)(_long(m, 4, 3).double())),
    ("layernorm_double_params", RuntimeError, r"mixed dtype \(CPU\): expect parameter to have "
     "scalar type of Float", lambda m: m.nn.LayerNorm(3).double()(_long(m, 4, 3).float())),
    ("groupnorm_double_params", RuntimeError, "expect parameter to have scalar type of Float",
     lambda m: m.nn.GroupNorm(1, 3).double()(_long(m, 4, 3).float())),
    ("batchnorm_bias_dtype", RuntimeError, "expected scalar type Double but found Float",
     lambda m: m.nn.functional.batch_norm(_long(m, 4, 3).double(), None, None,
                                          m.ones(3, dtype=m.float64), m.zeros(3),
                                          training=True)),
    ("dropout_long", RuntimeError, "result type Float can't be cast to the desired output type "
     "Long", lambda m: m.nn.Dropout()(_long(m, 4, 3))),
    ("dropout2d_int", RuntimeError, "result type Float can't be cast to the desired output type "
     "Int", lambda m: m.nn.Dropout2d()(_long(m, 2, 3, 4, 4).int())),
    ("alpha_dropout_bool", RuntimeError, "result type Float can't be cast to the desired output "
     "type Long", lambda m: m.nn.AlphaDropout()(_long(m, 4, 3) > 0)),
    ("feature_alpha_dropout_long", RuntimeError, "can't be cast to the desired output type Long",
     lambda m: m.nn.FeatureAlphaDropout()(_long(m, 2, 3, 4))),
]


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:Mismatch dtype between input and weight")
@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in DTYPE_ERRORS])
def test_dtype_errors_match_torch(torch, case):
    _, exc, message, fn = case
    for m in (autodiff, torch):
        with pytest.raises(exc, match=message):
            fn(m)


@pytest.mark.torch
def test_integer_inputs_pass_where_torch_lets_them(torch):
    """Dropout in eval mode, with p=0 or p=1 returns integer inputs as they are (p=1: zeros);
    instance norm accepts running statistics of another dtype; float32 parameters normalise a
    float16 input into float16."""
    for m in (autodiff, torch):
        x = _long(m, 4, 3)
        assert m.nn.Dropout().eval()(x).dtype == m.long
        assert m.nn.functional.dropout(x, 0.0).dtype == m.long
        assert m.nn.functional.dropout(x, 1.0).dtype == m.long
        assert m.nn.functional.feature_alpha_dropout(x > 0, 1.0, training=True).dtype == m.bool
        y = m.nn.functional.instance_norm(m.rand(2, 3, 4), m.zeros(3, dtype=m.float64),
                                          m.ones(3, dtype=m.float64))
        assert y.dtype == m.float32
        h = m.rand(4, 3, 2).half()
        assert m.nn.BatchNorm1d(3)(h).dtype == m.float16
        assert m.nn.LayerNorm(2)(h).dtype == m.float16
        assert m.nn.GroupNorm(1, 3)(h).dtype == m.float16
        z = m.nn.functional.rms_norm(m.rand(2, 3, requires_grad=True), (3,),
                                     m.ones(3, dtype=m.float64))
        assert z.dtype == m.float32 and z.grad_fn.name() == "ToCopyBackward0"
