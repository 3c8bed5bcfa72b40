"""``autodiff.nn.functional``: activations, linear, dropout, embedding, normalisation and
distances (losses are in test_nn_losses.py).

Every differentiable function is checked numerically to second order in float64 and compared
with torch (values, grad_fn name, gradients); errors are compared with torch's messages.
"""
import warnings

import numpy as np
import pytest

import autodiff
import autodiff.nn.functional as F
from _helpers import (OpSpec, assert_close, grad_fn_name, run_gradcheck, run_torch_parity,
                      spec_params)


def _kinky(rng, shape):
    """Values away from the kinks of piecewise functions (0, +-0.5, +-1, +-3, 6...)."""
    v = rng.uniform(-4.0, 7.0, shape)
    kinks = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 0.1])
    near = np.abs(v[..., None] - kinks).min(-1) < 0.05
    return np.where(near, v + 0.13, v)


def _f(name, **kw):
    return lambda m, x: getattr(m.nn.functional, name)(x, **kw)


S = OpSpec
X = ((3, 4), _kinky)
ACTIVATIONS = [
    S("relu", _f("relu"), X),
    S("leaky_relu", _f("leaky_relu", negative_slope=0.2), X),
    S("elu", _f("elu", alpha=0.7), X),
    S("celu", _f("celu", alpha=1.5), X),
    S("selu", _f("selu"), X),
    S("gelu", _f("gelu"), X),
    S("gelu_tanh", _f("gelu", approximate="tanh"), X),
    S("silu", _f("silu"), X),
    S("mish", _f("mish"), X),
    S("softplus", _f("softplus"), X),
    S("softplus_beta_threshold", _f("softplus", beta=2.0, threshold=5.0), X),
    S("hardtanh", _f("hardtanh", min_val=-0.5, max_val=3.0), X),
    S("relu6", _f("relu6"), X),
    S("hardsigmoid", _f("hardsigmoid"), X),
    S("hardswish", _f("hardswish"), X),
    S("logsigmoid", _f("logsigmoid"), X),
    S("softsign", _f("softsign"), X),
    S("tanhshrink", _f("tanhshrink"), X),
    S("hardshrink", _f("hardshrink", lambd=1.0), X),
    S("softshrink", _f("softshrink", lambd=0.5), X),
    S("threshold", lambda m, x: m.nn.functional.threshold(x, 1.0, -2.0), X),
    S("sigmoid", _f("sigmoid"), X),
    S("tanh", _f("tanh"), X),
    S("glu", _f("glu", dim=1), ((2, 6), "real")),
    S("glu_last", _f("glu"), ((2, 3, 4), "real")),
    S("softmax", _f("softmax", dim=1), ((3, 4), "real")),
    S("log_softmax", _f("log_softmax", dim=0), ((3, 4), "real")),
    S("softmin", _f("softmin", dim=-1), ((3, 4), "real")),
    S("prelu_shared", lambda m, x, w: m.nn.functional.prelu(x, w), ((2, 3, 4), _kinky),
      ((1,), "real")),
    S("prelu_channels", lambda m, x, w: m.nn.functional.prelu(x, w), ((2, 3, 2, 2), _kinky),
      ((3,), "real")),
    S("prelu_1d", lambda m, x, w: m.nn.functional.prelu(x, w), ((4,), _kinky), ((1,), "real")),
    S("rrelu_eval", lambda m, x: m.nn.functional.rrelu(x, 0.1, 0.3), X),
]

LINEAR = [
    S("linear_2d", lambda m, x, w, b: m.nn.functional.linear(x, w, b), ((4, 3), "real"),
      ((5, 3), "real"), ((5,), "real")),
    S("linear_2d_nobias", lambda m, x, w: m.nn.functional.linear(x, w), ((4, 3), "real"),
      ((5, 3), "real")),
    S("linear_3d", lambda m, x, w, b: m.nn.functional.linear(x, w, b), ((2, 4, 3), "real"),
      ((5, 3), "real"), ((5,), "real")),
    S("linear_3d_nobias", lambda m, x, w: m.nn.functional.linear(x, w), ((2, 4, 3), "real"),
      ((5, 3), "real"), name=False),
    S("linear_1d", lambda m, x, w, b: m.nn.functional.linear(x, w, b), ((3,), "real"),
      ((5, 3), "real"), ((5,), "real")),
    S("bilinear", lambda m, x1, x2, w, b: m.nn.functional.bilinear(x1, x2, w, b),
      ((4, 2), "real"), ((4, 3), "real"), ((5, 2, 3), "real"), ((5,), "real"), name=False),
]

_C3 = lambda m: m.zeros(3, dtype=m.float64)      # noqa: E731
_ONES3 = lambda m: m.ones(3, dtype=m.float64)    # noqa: E731
NORMALIZATION = [
    S("batch_norm_train", lambda m, x, w, b: m.nn.functional.batch_norm(
        x, None, None, w, b, training=True), ((4, 3, 2), "real"), ((3,), "real"), ((3,), "real")),
    S("batch_norm_2d_train", lambda m, x: m.nn.functional.batch_norm(
        x, _C3(m), _ONES3(m), training=True), ((2, 3, 2, 2), "real")),
    S("batch_norm_eval", lambda m, x, w, b: m.nn.functional.batch_norm(
        x, _C3(m) + 0.5, _ONES3(m) * 2, w, b, training=False), ((4, 3), "real"), ((3,), "real"),
      ((3,), "real")),
    S("layer_norm", lambda m, x, w, b: m.nn.functional.layer_norm(x, (4,), w, b),
      ((2, 3, 4), "real"), ((4,), "real"), ((4,), "real")),
    S("layer_norm_2dims", lambda m, x: m.nn.functional.layer_norm(x, [3, 4]),
      ((2, 3, 4), "real")),
    S("group_norm", lambda m, x, w, b: m.nn.functional.group_norm(x, 2, w, b),
      ((2, 4, 3), "real"), ((4,), "real"), ((4,), "real")),
    S("instance_norm", lambda m, x, w, b: m.nn.functional.instance_norm(x, weight=w, bias=b),
      ((2, 3, 4), "real"), ((3,), "real"), ((3,), "real")),
    S("rms_norm", lambda m, x, w: m.nn.functional.rms_norm(x, (4,), w, eps=1e-6),
      ((2, 3, 4), "real"), ((4,), "real")),
    S("normalize", _f("normalize"), ((3, 4), "real")),
    S("normalize_p1_dim0", _f("normalize", p=1.0, dim=0), ((3, 4), "real")),
    S("cosine_similarity", lambda m, a, b: m.nn.functional.cosine_similarity(a, b),
      ((3, 4), "real"), ((3, 4), "real")),
    S("cosine_similarity_broadcast", lambda m, a, b: m.nn.functional.cosine_similarity(a, b, -1),
      ((3, 4), "real"), ((4,), "real")),
    S("pairwise_distance", lambda m, a, b: m.nn.functional.pairwise_distance(a, b),
      ((3, 4), "real"), ((3, 4), "real")),
    S("pairwise_distance_p1_keepdim", lambda m, a, b: m.nn.functional.pairwise_distance(
        a, b, p=1.0, keepdim=True), ((3, 4), "nonzero"), ((3, 4), "real")),
]

_IDX = lambda m: m.tensor([[0, 2, 1], [4, 2, 2]])      # noqa: E731
SPARSE = [
    S("embedding", lambda m, w: m.nn.functional.embedding(_IDX(m), w), ((5, 3), "real")),
    S("embedding_int32", lambda m, w: m.nn.functional.embedding(_IDX(m).int(), w),
      ((5, 3), "real")),
    S("dropout_eval", lambda m, x: m.nn.functional.dropout(x, 0.5, training=False) * 2,
      ((3, 4), "real")),
]

SPECS = ACTIVATIONS + LINEAR + NORMALIZATION + SPARSE
# padding_idx and scale_grad_by_freq change the gradient on purpose: torch parity only
PARITY_ONLY = [
    S("embedding_scale_freq", lambda m, w: m.nn.functional.embedding(
        _IDX(m), w, scale_grad_by_freq=True), ((5, 3), "real")),

    S("embedding_padding", lambda m, w: m.nn.functional.embedding(_IDX(m), w, padding_idx=2),
      ((5, 3), "real")),
    S("embedding_padding_negative", lambda m, w: m.nn.functional.embedding(
        _IDX(m), w, padding_idx=-1, scale_grad_by_freq=True), ((5, 3), "real")),
]


@pytest.mark.parametrize("spec", spec_params(SPECS))
def test_gradcheck(spec):
    run_gradcheck(spec)


@pytest.mark.torch
@pytest.mark.parametrize("spec", spec_params(SPECS + PARITY_ONLY))
def test_torch_parity(torch, spec):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        run_torch_parity(torch, spec)


# ---- dropout -------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", ["dropout", "alpha_dropout"])
def test_dropout_gradcheck_with_a_fixed_mask(fn):
    def f(x):
        autodiff.manual_seed(3)                   # the same mask at every evaluation
        return getattr(F, fn)(x, 0.4, training=True)
    x = autodiff.randn(4, 5, dtype=autodiff.float64, requires_grad=True)
    assert autodiff.autograd.gradcheck(f, (x,))
    assert autodiff.autograd.gradgradcheck(f, (x,))


def test_dropout_statistics_and_scaling():
    x = autodiff.ones(200, 500)
    y = F.dropout(x, 0.3)
    values = np.unique(y.numpy())
    np.testing.assert_allclose(values, [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((y.numpy() == 0).mean() - 0.3) < 0.01
    assert abs(y.numpy().mean() - 1.0) < 0.02
    assert F.dropout(x, 0.3, training=False) is x
    assert F.dropout(x, 0.0) is x
    z = F.dropout(autodiff.ones(3, requires_grad=True), 1.0)
    assert z.tolist() == [0.0, 0.0, 0.0] and grad_fn_name(z) == "MulBackward0"


def test_dropout_is_reproducible_with_manual_seed():
    autodiff.manual_seed(7)
    a = F.dropout(autodiff.ones(50), 0.5)
    autodiff.manual_seed(7)
    b = F.dropout(autodiff.ones(50), 0.5)
    assert a.tolist() == b.tolist()


def test_channel_dropout_drops_whole_channels():
    x = autodiff.ones(20, 30, 4, 4)
    y = F.dropout2d(x, 0.5).numpy()
    per_channel = y.reshape(20, 30, -1)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))      # a channel is all 0 or all 2
    assert set(np.unique(y)) == {0.0, 2.0}
    y1 = F.dropout1d(autodiff.ones(6, 5), 0.5)                     # unbatched (C, L)
    assert grad_fn_name(F.dropout1d(autodiff.ones(6, 5, requires_grad=True), 0.5)) == \
        "SqueezeBackward1"
    assert np.all(y1.numpy().min(-1) == y1.numpy().max(-1))
    y3 = F.dropout3d(autodiff.ones(2, 8, 2, 2, 2), 0.5).numpy().reshape(2, 8, -1)
    assert np.all(y3.min(-1) == y3.max(-1))


def test_alpha_dropout_keeps_mean_and_variance():
    x = autodiff.randn(400, 500)
    y = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    assert F.alpha_dropout(x, 0.2) is x                  # training=False by default


@pytest.mark.torch
def test_dropout_errors_and_warnings_match_torch(torch):
    for m in (autodiff, torch):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, "
                                             "but got 1.5"):
            m.nn.functional.dropout(m.ones(3), 1.5)
        with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but "
                                               "received a 4D input"):
            m.nn.functional.dropout1d(m.ones(2, 2, 2, 2))
        with pytest.warns(UserWarning, match="dropout2d: Received a 3D input to dropout2d"):
            m.nn.functional.dropout2d(m.ones(2, 2, 2))
        with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
            m.nn.functional.dropout2d(m.ones(2, 2))


# ---- embedding and one_hot -----------------------------------------------------------------------
def test_embedding_padding_row_gets_no_gradient():
    w = autodiff.randn(5, 3, requires_grad=True)
    F.embedding(autodiff.tensor([0, 2, 2, 4]), w, padding_idx=2).sum().backward()
    assert w.grad[2].tolist() == [0.0, 0.0, 0.0]
    assert w.grad[4].tolist() == [1.0, 1.0, 1.0] and w.grad[1].tolist() == [0.0, 0.0, 0.0]


@pytest.mark.torch
def test_embedding_max_norm_renormalises_rows_in_place(torch):
    data = np.random.default_rng(0).standard_normal((6, 4)) * 3
    w, tw = autodiff.tensor(data), torch.tensor(data)
    idx = [[0, 1], [1, 5]]
    out = F.embedding(autodiff.tensor(idx), w, max_norm=1.5, norm_type=1.0)
    tout = torch.nn.functional.embedding(torch.tensor(idx), tw, max_norm=1.5, norm_type=1.0)
    assert_close(out, tout, rtol=1e-12, atol=1e-12)
    assert_close(w, tw, rtol=1e-12, atol=1e-12)           # rows 0, 1 and 5 were rescaled


@pytest.mark.torch
def test_embedding_errors_match_torch(torch):
    for m in (autodiff, torch):
        w = m.zeros(4, 2)
        with pytest.raises(IndexError, match="index out of range in self"):
            m.nn.functional.embedding(m.tensor([1, 4]), w)
        with pytest.raises(IndexError, match="index out of range in self"):
            m.nn.functional.embedding(m.tensor([-1], dtype=m.int32), w)
        with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to "
                                               "have one of the following scalar types: Long, "
                                               "Int; but got .*FloatTensor instead"):
            m.nn.functional.embedding(m.tensor([1.0]), w)
        with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
            m.nn.functional.embedding(m.tensor([1]), w, padding_idx=4)


@pytest.mark.torch
def test_one_hot_matches_torch(torch):
    idx = [[0, 3], [2, 1]]
    out, tout = F.one_hot(autodiff.tensor(idx)), torch.nn.functional.one_hot(torch.tensor(idx))
    assert_close(out, tout)
    assert_close(F.one_hot(autodiff.tensor(idx), 6),
                 torch.nn.functional.one_hot(torch.tensor(idx), 6))
    for m in (autodiff, torch):
        with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
            m.nn.functional.one_hot(m.tensor([3]), 3)
        with pytest.raises(RuntimeError, match="Class values must be non-negative."):
            m.nn.functional.one_hot(m.tensor([-1]))
        with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor"):
            m.nn.functional.one_hot(m.tensor([1], dtype=m.int32))


# ---- other errors ----------------------------------------------------------------------------------
ERRORS = [
    ("linear_in_features", RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(4x3 and 2x5\)",
     lambda m: m.nn.functional.linear(m.zeros(4, 3), m.zeros(5, 2))),
    ("linear_3d_in_features", RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(8x3 and 2x5\)",
     lambda m: m.nn.functional.linear(m.zeros(2, 4, 3), m.zeros(5, 2))),
    ("linear_dtypes", RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: float != double",
     lambda m: m.nn.functional.linear(m.zeros(4, 3), m.zeros(5, 3, dtype=m.float64))),
    ("gelu_approximate", RuntimeError, "approximate argument must be either none or tanh.",
     lambda m: m.nn.functional.gelu(m.zeros(2), approximate="fast")),
    ("glu_odd", RuntimeError, "Halving dimension must be even, but dimension 1 is size 5",
     lambda m: m.nn.functional.glu(m.zeros(2, 5), 1)),
    ("prelu_channels", RuntimeError, "Mismatch of parameter numbers and input channel size. "
     "Found parameter numbers = 3 and channel size = 4.",
     lambda m: m.nn.functional.prelu(m.zeros(2, 4), m.zeros(3))),
    ("elu_long", NotImplementedError, "\"elu_cpu\" not implemented for 'Long'",
     lambda m: m.nn.functional.elu(m.tensor([1, 2]))),
    ("batch_norm_one_value", ValueError, "Expected more than 1 value per channel when training",
     lambda m: m.nn.functional.batch_norm(m.zeros(1, 3), None, None, training=True)),
    ("batch_norm_channels", RuntimeError, "running_mean should contain 4 elements not 3",
     lambda m: m.nn.functional.batch_norm(m.zeros(2, 4), m.zeros(3), m.ones(3))),
    ("layer_norm_shape", RuntimeError, r"Given normalized_shape=\[4\], expected input with "
     r"shape \[\*, 4\], but got input of size\[2, 3, 5\]",
     lambda m: m.nn.functional.layer_norm(m.zeros(2, 3, 5), (4,))),
    ("group_norm_groups", RuntimeError, r"Expected number of channels in input to be divisible "
     r"by num_groups, but got input of shape \[2, 3, 4\] and num_groups=2",
     lambda m: m.nn.functional.group_norm(m.zeros(2, 3, 4), 2)),
    ("instance_norm_spatial", ValueError, "Expected more than 1 spatial element when training",
     lambda m: m.nn.functional.instance_norm(m.zeros(2, 3, 1))),
]


@pytest.mark.torch
@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in ERRORS])
def test_errors_match_torch(torch, case):
    _, exc, message, fn = case
    for m in (autodiff, torch):
        with pytest.raises(exc, match=message):
            fn(m)


def test_softmax_without_dim_warns_and_picks_torchs_dim():
    x = autodiff.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = F.softmax(x)
    assert_close(y.sum(1), autodiff.ones(2))


def test_inplace_activations_write_into_the_input():
    x = autodiff.tensor([-1.0, 2.0])
    assert F.relu(x, inplace=True) is x and x.tolist() == [0.0, 2.0]
    y = autodiff.tensor([-2.0, 0.5])
    F.leaky_relu_(y, 0.5)
    assert y.tolist() == [-1.0, 0.5]
    z = autodiff.tensor([-1.0, 2.0, 7.0])
    F.hardtanh_(z, 0.0, 6.0)
    assert z.tolist() == [0.0, 2.0, 6.0]


def test_batch_norm_updates_running_stats_in_place():
    x = autodiff.tensor([[1.0, 2.0], [3.0, 6.0]])
    rm, rv = autodiff.zeros(2), autodiff.ones(2)
    F.batch_norm(x, rm, rv, training=True, momentum=0.5)
    np.testing.assert_allclose(rm.numpy(), [1.0, 2.0])                  # 0.5 * batch mean
    np.testing.assert_allclose(rv.numpy(), [0.5 + 0.5 * 2.0, 0.5 + 0.5 * 8.0])   # unbiased var


def test_functions_torch_has_at_top_level_are_exported_there():
    for name in ("threshold", "celu", "selu", "hardshrink", "prelu", "rrelu", "dropout",
                 "alpha_dropout", "feature_alpha_dropout", "layer_norm", "group_norm",
                 "rms_norm", "cosine_similarity", "pairwise_distance"):
        assert getattr(autodiff, name) is getattr(F, name)
    assert autodiff.randn(2, 3).hardshrink(0.5).shape == (2, 3)


@pytest.mark.torch
@pytest.mark.parametrize("name, args", [
    ("leaky_relu", (0.1,)), ("elu", ()), ("celu", ()), ("selu", ()), ("silu", ()), ("mish", ()),
    ("hardtanh", ()), ("relu6", ()), ("hardswish", ()), ("hardsigmoid", ()),
    ("threshold", (0.1, -2.0)), ("relu", ())])
def test_inplace_activation_of_a_graph_tensor_has_torchs_gradient(torch, name, args):
    data = np.random.default_rng(0).uniform(-4, 4, (3, 4))
    grads = []
    for m in (autodiff, torch):
        x = m.tensor(data, requires_grad=True)
        y = x * 2
        out = getattr(m.nn.functional, name)(y, *args, inplace=True)
        assert out is y
        (out * m.tensor(data)).sum().backward()
        grads.append(x.grad)
    assert_close(grads[0], grads[1], rtol=1e-12, atol=1e-12)


def test_inplace_dropout_of_a_graph_tensor_backpropagates_through_the_mask():
    x = autodiff.ones(50, requires_grad=True)
    y = x * 1
    out = F.dropout(y, 0.5, inplace=True)
    assert out is y
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.detach().numpy())
    w = (x * 1).reshape(5, 10, 1, 1)
    assert F.dropout2d(w, 0.5, training=False, inplace=True) is w          # eval: untouched


INPLACE_FORMS = [
    lambda m, y: m.nn.functional.relu_(y), lambda m, y: m.nn.functional.elu_(y),
    lambda m, y: m.nn.functional.celu_(y), lambda m, y: m.nn.functional.selu_(y),
    lambda m, y: m.nn.functional.leaky_relu_(y), lambda m, y: m.nn.functional.hardtanh_(y),
    lambda m, y: m.nn.functional.threshold_(y, 0.5, 0.0),
    lambda m, y: m.nn.functional.elu(y, inplace=True),
    lambda m, y: m.nn.LeakyReLU(inplace=True)(y), lambda m, y: m.relu_(y),
    lambda m, y: m.selu_(y), lambda m, y: m.celu_(y), lambda m, y: m.sigmoid_(y),
    lambda m, y: m.tanh_(y), lambda m, y: m.threshold_(y, 0.5, 0.0),
    lambda m, y: m.dropout_(y, 0.0, True), lambda m, y: m.alpha_dropout_(y, 0.0, True),
]


@pytest.mark.parametrize("fn", INPLACE_FORMS)
def test_inplace_activation_nodes_and_values_as_torch(fn, torch):
    out = []
    for m in (autodiff, torch):
        x = m.tensor([-1.0, 0.25, 2.0], dtype=m.float64, requires_grad=True)
        y = x * 1
        fn(m, y)
        (y * m.tensor([1.0, 2.0, 3.0], dtype=m.float64)).sum().backward()
        out.append((y.grad_fn.name(), np.round(y.detach().numpy(), 12).tolist(),
                    np.round(x.grad.numpy(), 12).tolist()))
    assert out[0] == out[1]
