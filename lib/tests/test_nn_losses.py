"""Losses (functional and modules) against torch: values, grad_fn names and gradients for every
reduction, second-order gradchecks, and torch's errors and warnings for bad targets."""
import warnings

import numpy as np
import pytest

import autodiff
import autodiff.nn as nn
import autodiff.nn.functional as F
from _helpers import (OpSpec, assert_close, grad_fn_name, run_gradcheck, run_torch_parity,
                      spec_params)

S = OpSpec
REDUCTIONS = ["none", "mean", "sum"]
X = ((4, 3), "real")
P = ((4, 3), "prob")


def _c(m, data, dtype=None):
    return m.tensor(data, dtype=dtype or m.float64)


_IDX = lambda m: m.tensor([2, 0, 1, 2])                         # noqa: E731
_IDX_IGNORE = lambda m: m.tensor([2, -100, 1, 0])              # noqa: E731
_W3 = lambda m: _c(m, [0.2, 1.0, 2.5])                          # noqa: E731
_SIGNS = lambda m: _c(m, [[1, -1, 1], [-1, -1, 1], [1, 1, -1], [-1, 1, 1]])   # noqa: E731
_Y = lambda m: _c(m, [1, -1, -1, 1])                            # noqa: E731


def _loss(name, *const, **kw):
    """``F.<name>(x, *differentiable, *const(m), **kw)`` as an OpSpec function."""
    return lambda m, *xs: getattr(m.nn.functional, name)(*xs, *(c(m) for c in const), **kw)


def _specs():
    specs = []
    for r in REDUCTIONS:
        specs += [
            S(f"mse_{r}", _loss("mse_loss", reduction=r), X, X),
            S(f"l1_{r}", _loss("l1_loss", reduction=r), X, X),
            S(f"smooth_l1_{r}", _loss("smooth_l1_loss", reduction=r, beta=0.5), X, X),
            S(f"huber_{r}", _loss("huber_loss", reduction=r, delta=0.7), X, X),
            S(f"soft_margin_{r}", _loss("soft_margin_loss", _SIGNS, reduction=r), X),
            S(f"bce_{r}", _loss("binary_cross_entropy", lambda m: _c(m, np.linspace(0, 1, 12)
                                                                     .reshape(4, 3)),
                                reduction=r), P),
            S(f"bce_logits_{r}", _loss("binary_cross_entropy_with_logits", reduction=r), X, P),
            S(f"nll_{r}", _loss("nll_loss", _IDX, reduction=r), X),
            S(f"nll_weight_ignore_{r}", lambda m, x, r=r: m.nn.functional.nll_loss(
                x, _IDX_IGNORE(m), _W3(m), reduction=r), X),
            S(f"nll_2d_{r}", lambda m, x, r=r: m.nn.functional.nll_loss(
                x, m.tensor([[[0, 2], [1, 1]], [[2, 2], [0, 1]]]), reduction=r),
              ((2, 3, 2, 2), "real")),
            S(f"ce_{r}", _loss("cross_entropy", _IDX, reduction=r), X),
            S(f"ce_weight_{r}", lambda m, x, r=r: m.nn.functional.cross_entropy(
                x, _IDX_IGNORE(m), weight=_W3(m), reduction=r), X),
            S(f"ce_smoothing_{r}", lambda m, x, r=r: m.nn.functional.cross_entropy(
                x, _IDX_IGNORE(m), weight=_W3(m), reduction=r, label_smoothing=0.2), X),
            S(f"ce_probs_{r}", _loss("cross_entropy", reduction=r), X, P),
            S(f"ce_probs_weight_smoothing_{r}", lambda m, x, t, r=r: m.nn.functional.cross_entropy(
                x, t, weight=_W3(m), reduction=r, label_smoothing=0.1), X, P),
            S(f"ce_3d_{r}", lambda m, x, r=r: m.nn.functional.cross_entropy(
                x, m.tensor([[0, 2, 1, 1, 0], [2, 2, 1, 0, 1]]), reduction=r),
              ((2, 3, 5), "real")),
            S(f"kl_div_{r}", _loss("kl_div", reduction=r), X, P),
            S(f"kl_div_log_target_{r}", _loss("kl_div", reduction=r, log_target=True), X, X),
            S(f"cosine_embedding_{r}", _loss("cosine_embedding_loss", _Y, margin=0.2,
                                             reduction=r), X, X),
            S(f"margin_ranking_{r}", _loss("margin_ranking_loss", _Y, margin=0.1, reduction=r),
              ((4,), "real"), ((4,), "real")),
            S(f"triplet_{r}", _loss("triplet_margin_loss", reduction=r), X, X, X),
            S(f"mse_weight_{r}", lambda m, x, t, r=r: m.nn.functional.mse_loss(
                x, t, reduction=r, weight=_c(m, np.arange(12.0).reshape(4, 3))), X, X),
        ]
    specs += [
        S("kl_div_batchmean", _loss("kl_div", reduction="batchmean"), X, P),
        S("bce_weight", _loss("binary_cross_entropy", lambda m: _c(m, np.full((4, 3), 0.3)),
                              lambda m: _c(m, [1.0, 2.0, 0.5])), P),
        S("bce_logits_pos_weight", lambda m, x, t: m.nn.functional.binary_cross_entropy_with_logits(
            x, t, weight=_c(m, [1.0, 2.0, 0.5]), pos_weight=_c(m, [3.0, 0.5, 1.0])), X, P),
        S("ce_1d", _loss("cross_entropy", lambda m: m.tensor(2)), ((5,), "real")),
        S("ce_1d_probs", _loss("cross_entropy"), ((5,), "real"), ((5,), "prob")),
        S("nll_1d_none", _loss("nll_loss", lambda m: m.tensor(1), reduction="none"),
          ((5,), "real")),
        S("triplet_swap_p1", _loss("triplet_margin_loss", p=1, swap=True, margin=0.5), X, X, X),
        S("l1_weight", lambda m, x, t: m.nn.functional.l1_loss(
            x, t, weight=_c(m, np.linspace(0.1, 2, 12).reshape(4, 3))), X, X),
        S("huber_weight", lambda m, x, t: m.nn.functional.huber_loss(
            x, t, weight=_c(m, np.linspace(0.1, 2, 12).reshape(4, 3))), X, X),
        S("smooth_l1_beta0", _loss("smooth_l1_loss", beta=0.0), X, X),
    ]
    return specs


_HINGE = lambda m: _c(m, [[1, -1, 0], [-1, -1, 1], [1, 1, -1], [-1, 2, 1]])   # noqa: E731
_MULTILABEL = lambda m: m.tensor([[2, 0, -1], [1, -1, 0], [0, 1, 2], [-1, 0, 0]])  # noqa: E731
_COUNTS = lambda rng, shape: rng.uniform(0.2, 3.0, shape)                       # noqa: E731
_TINY_VAR = lambda rng, shape: np.where(rng.uniform(size=shape) < 0.3, 1e-9,   # noqa: E731
                                        rng.uniform(0.5, 2, shape))


def _new_specs():
    """hinge embedding, multi-label soft margin, multi margin, multi-label margin, Poisson and
    Gaussian NLL: every reduction, and their options."""
    specs = []
    for r in REDUCTIONS:
        specs += [
            S(f"hinge_embedding_{r}", _loss("hinge_embedding_loss", _HINGE, margin=0.5,
                                            reduction=r), X),
            S(f"multilabel_soft_margin_{r}", _loss("multilabel_soft_margin_loss", reduction=r),
              X, P),
            S(f"multilabel_soft_margin_weight_{r}", lambda m, x, t, r=r: m.nn.functional.
              multilabel_soft_margin_loss(x, t, weight=_W3(m), reduction=r), X, P),
            S(f"multi_margin_{r}", _loss("multi_margin_loss", _IDX, reduction=r), X),
            S(f"multi_margin_p2_weight_{r}", lambda m, x, r=r: m.nn.functional.multi_margin_loss(
                x, _IDX(m), p=2, margin=0.7, weight=_W3(m), reduction=r), X),
            S(f"multilabel_margin_{r}", _loss("multilabel_margin_loss", _MULTILABEL,
                                              reduction=r), X),
            S(f"poisson_nll_{r}", _loss("poisson_nll_loss", reduction=r), X, ((4, 3), _COUNTS)),
            S(f"poisson_nll_rate_full_{r}", _loss("poisson_nll_loss", log_input=False, full=True,
                                                  reduction=r), ((4, 3), "pos"),
              ((4, 3), _COUNTS)),
            S(f"gaussian_nll_{r}", _loss("gaussian_nll_loss", reduction=r), X, X,
              ((4, 3), "pos")),
            S(f"gaussian_nll_full_{r}", _loss("gaussian_nll_loss", full=True, reduction=r,
                                              eps=1e-3), X, X, ((4, 3), "pos")),
        ]
    specs += [
        S("multi_margin_1d", _loss("multi_margin_loss", lambda m: m.tensor(1), reduction="none"),
          ((5,), "real")),
        S("multi_margin_1d_target1", _loss("multi_margin_loss", lambda m: m.tensor([3]), p=2,
                                           reduction="none"), ((5,), "real")),
        S("multilabel_margin_1d", _loss("multilabel_margin_loss", lambda m: m.tensor([3, 0, -1,
                                                                                      2, 1]),
                                        reduction="none"), ((5,), "real")),
        S("multilabel_margin_repeated_label", _loss("multilabel_margin_loss", lambda m: m.tensor(
            [[1, 1, -1], [0, 2, -1], [2, -1, 1], [0, 0, 0]]), reduction="sum"), X),
        S("gaussian_nll_var_per_sample", _loss("gaussian_nll_loss"), X, X, ((4,), "pos")),
        S("gaussian_nll_var_one_column", _loss("gaussian_nll_loss", reduction="none"), X, X,
          ((4, 1), "pos")),
        S("gaussian_nll_var_float", _loss("gaussian_nll_loss", lambda m: 0.7), X, X),
        S("poisson_nll_full_log_input", _loss("poisson_nll_loss", full=True), X,
          ((4, 3), _COUNTS)),
    ]
    return specs


SPECS = _specs() + _new_specs()


@pytest.mark.parametrize("spec", spec_params(SPECS))
def test_gradcheck(spec):
    run_gradcheck(spec)


@pytest.mark.torch
@pytest.mark.parametrize("spec", spec_params(SPECS))
def test_torch_parity(torch, spec):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        run_torch_parity(torch, spec)


# ---- stability ----------------------------------------------------------------------------------
def test_bce_with_logits_and_cross_entropy_are_stable_for_huge_logits():
    x = autodiff.tensor([1000.0, -1000.0], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, autodiff.tensor([0.0, 1.0]), reduction="none")
    assert loss.tolist() == [1000.0, 1000.0]
    loss.sum().backward()
    assert x.grad.tolist() == [1.0, -1.0]
    z = autodiff.tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    ce = F.cross_entropy(z, autodiff.tensor([1]))
    assert ce.item() == 1000.0
    ce.backward()
    np.testing.assert_allclose(z.grad.numpy(), [[1.0, -1.0, 0.0]])


def test_bce_clamps_its_log_at_minus_100_like_torch():
    x = autodiff.tensor([0.0, 1.0], requires_grad=True)
    loss = F.binary_cross_entropy(x, autodiff.tensor([1.0, 0.0]), reduction="none")
    assert loss.tolist() == [100.0, 100.0]
    loss.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_nll_mean_with_every_target_ignored_is_nan():
    x = autodiff.randn(2, 3, requires_grad=True)
    loss = F.nll_loss(x, autodiff.tensor([1, 1]), ignore_index=1)
    assert np.isnan(loss.item())


def test_grad_fn_names_of_fused_losses():
    x = autodiff.randn(3, 4, requires_grad=True)
    t = autodiff.rand(3, 4)
    assert grad_fn_name(F.mse_loss(x, t)) == "MseLossBackward0"
    assert grad_fn_name(F.binary_cross_entropy_with_logits(x, t)) == \
        "BinaryCrossEntropyWithLogitsBackward0"
    assert grad_fn_name(F.cross_entropy(x, autodiff.tensor([0, 1, 3]))) == "NllLossBackward0"
    assert grad_fn_name(nn.NLLLoss()(x, autodiff.tensor([0, 1, 3]))) == "NllLossBackward0"


# ---- modules --------------------------------------------------------------------------------------
MODULES = {
    "MSELoss": ({"reduction": "sum"}, [X, X]),
    "L1Loss": ({}, [X, X]),
    "SmoothL1Loss": ({"beta": 0.3}, [X, X]),
    "HuberLoss": ({"delta": 0.5, "reduction": "none"}, [X, X]),
    "SoftMarginLoss": ({}, [X, "signs"]),
    "BCELoss": ({"weight": [1.0, 2.0, 3.0]}, [P, "probs"]),
    "BCEWithLogitsLoss": ({"pos_weight": [2.0, 1.0, 0.5]}, [X, "probs"]),
    "NLLLoss": ({"weight": [1.0, 0.5, 2.0], "ignore_index": 0}, [X, "index"]),
    "CrossEntropyLoss": ({"weight": [1.0, 0.5, 2.0], "label_smoothing": 0.1}, [X, "index"]),
    "KLDivLoss": ({"reduction": "batchmean"}, [X, "probs"]),
    "CosineEmbeddingLoss": ({"margin": 0.1}, [X, X, "labels"]),
    "MarginRankingLoss": ({"margin": 0.2}, [((4,), "real"), ((4,), "real"), "labels"]),
    "TripletMarginLoss": ({"margin": 0.5}, [X, X, X]),
    "HingeEmbeddingLoss": ({"margin": 0.5, "reduction": "sum"}, [X, "signs"]),
    "MultiLabelSoftMarginLoss": ({"weight": [1.0, 0.5, 2.0]}, [X, "probs"]),
    "MultiMarginLoss": ({"p": 2, "margin": 0.5, "weight": [1.0, 0.5, 2.0]}, [X, "index"]),
    "MultiLabelMarginLoss": ({"reduction": "none"}, [X, "multilabel"]),
    "PoissonNLLLoss": ({"log_input": False, "full": True, "eps": 1e-4}, [P, "counts"]),
    "GaussianNLLLoss": ({"full": True, "eps": 1e-3}, [X, X, ((4, 1), "prob")]),
}


def _module_inputs(m, specs, rng):
    out = []
    for spec in specs:
        if spec == "signs":
            out.append(_SIGNS(m))
        elif spec == "probs":
            out.append(_c(m, np.linspace(0.05, 0.95, 12).reshape(4, 3)))
        elif spec == "index":
            out.append(_IDX(m))
        elif spec == "labels":
            out.append(_Y(m))
        elif spec == "multilabel":
            out.append(_MULTILABEL(m))
        elif spec == "counts":
            out.append(_c(m, np.linspace(0, 3, 12).reshape(4, 3)))
        else:
            shape, kind = spec
            data = rng.uniform(0.1, 0.9, shape)
            out.append(m.tensor(data if kind == "prob" else data * 4 - 2, requires_grad=True))
    return out


@pytest.mark.torch
@pytest.mark.parametrize("name", list(MODULES))
def test_loss_module_matches_torch(torch, name):
    kwargs, specs = MODULES[name]
    mk = lambda m: {k: (_c(m, v) if isinstance(v, list) else v) for k, v in kwargs.items()}
    loss, tloss = getattr(nn, name)(**mk(autodiff)), getattr(torch.nn, name)(**mk(torch))
    assert repr(loss) == repr(tloss)
    assert list(loss.state_dict()) == list(tloss.state_dict())
    ours = _module_inputs(autodiff, specs, np.random.default_rng(0))
    theirs = _module_inputs(torch, specs, np.random.default_rng(0))
    out, tout = loss(*ours), tloss(*theirs)
    assert_close(out, tout, rtol=1e-10, atol=1e-12)
    assert grad_fn_name(out) == grad_fn_name(tout)
    out.sum().backward()
    tout.sum().backward()
    for a, b in zip(ours, theirs):
        if b.grad is not None:
            assert_close(a.grad, b.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("name, kwargs", [
    ("HingeEmbeddingLoss", {}), ("MultiLabelSoftMarginLoss", {}), ("MultiMarginLoss", {}),
    ("MultiLabelMarginLoss", {}), ("PoissonNLLLoss", {}), ("GaussianNLLLoss", {}),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5}), ("PoissonNLLLoss", {"log_input": False}),
    ("GaussianNLLLoss", {"full": True, "reduction": "sum"}),
])
def test_new_loss_modules_have_torchs_attributes(torch, name, kwargs):
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    public = lambda mod: {k: v for k, v in vars(mod).items() if not k.startswith("_")
                          and k != "training"}
    assert public(ours) == public(theirs)


@pytest.mark.torch
def test_gaussian_nll_clamps_var_without_blocking_its_gradient(torch):
    """Below ``eps`` the variance is clamped, but its gradient is the one at ``eps`` (torch
    clamps under no_grad): not a true derivative, so compared with torch, not gradchecked."""
    arrays = [np.linspace(-1, 1, 6), np.linspace(1, -0.5, 6), np.array([1e-9, 0.0, 1e-5, 1.0,
                                                                         2e-7, 3.0])]
    results = []
    for m in (autodiff, torch):
        x, t, v = (m.tensor(a, requires_grad=True) for a in arrays)
        loss = m.nn.functional.gaussian_nll_loss(x, t, v, eps=1e-6, reduction="none")
        loss.backward(m.ones(6, dtype=m.float64))
        results.append([loss, x.grad, t.grad, v.grad])
    for a, b in zip(*results):
        assert_close(a, b, rtol=1e-10, atol=0)


@pytest.mark.torch
def test_nll_ignored_targets_are_positive_zero(torch):
    for m in (autodiff, torch):
        out = m.nn.NLLLoss(ignore_index=0, reduction="none")(
            m.tensor([[1.0, 2.0], [3.0, 4.0]]).log_softmax(1), m.tensor([0, 1]))
        assert "0.0000" in str(out) and "-0.0000" not in str(out)
        assert np.signbit(out.detach().numpy()[0]) == np.False_


def test_loss_weight_is_a_buffer_that_moves_with_the_module():
    loss = nn.CrossEntropyLoss(weight=autodiff.tensor([1.0, 2.0]))
    assert [name for name, _ in loss.named_buffers()] == ["weight"]
    loss.double()
    assert loss.weight.dtype == autodiff.float64


@pytest.mark.torch
def test_legacy_size_average_and_reduce_arguments(torch):
    for n in (nn, torch.nn):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, "
                                             "please use reduction='sum' instead."):
            assert n.MSELoss(size_average=False).reduction == "sum"
        with pytest.warns(UserWarning, match="reduction='none'"):
            assert n.L1Loss(reduce=False).reduction == "none"


# ---- errors and warnings --------------------------------------------------------------------------
ERRORS = [
    ("ce_target_out_of_bounds", IndexError, "Target 5 is out of bounds.",
     lambda m: m.nn.functional.cross_entropy(m.zeros(3, 5), m.tensor([0, 5, 1]))),
    ("nll_negative_target", IndexError, "Target -2 is out of bounds.",
     lambda m: m.nn.functional.nll_loss(m.zeros(3, 5), m.tensor([0, -2, 1]))),
    ("nll_batch_size", ValueError, r"Expected input batch_size \(3\) to match target "
     r"batch_size \(2\).", lambda m: m.nn.functional.nll_loss(m.zeros(3, 5), m.tensor([0, 1]))),
    ("nll_int32_target", RuntimeError, "expected target dtype to be Long or Byte, but got Int",
     lambda m: m.nn.functional.nll_loss(m.zeros(3, 5), m.tensor([0, 1, 1], dtype=m.int32))),
    ("nll_multi_target", RuntimeError, "0D or 1D target tensor expected, multi-target not "
     "supported", lambda m: m.nn.functional.nll_loss(m.zeros(3, 5), m.zeros(3, 1, dtype=m.long))),
    ("nll_weight_size", RuntimeError, "weight tensor should be defined either for all 5 classes "
     r"or no classes but got weight tensor of shape: \[3\]",
     lambda m: m.nn.functional.nll_loss(m.zeros(3, 5), m.tensor([0, 1, 1]), weight=m.ones(3))),
    ("nll_spatial_target", RuntimeError, r"size mismatch \(got input: \[2, 3, 4, 4\] , target: "
     r"\[2, 5, 4\]", lambda m: m.nn.functional.nll_loss(m.zeros(2, 3, 4, 4),
                                                       m.zeros(2, 5, 4, dtype=m.long))),
    ("nll_3d_target", RuntimeError, r"Expected target size \[2, 4\], got \[2, 5\]",
     lambda m: m.nn.functional.nll_loss(m.zeros(2, 3, 4), m.zeros(2, 5, dtype=m.long))),
    ("nll_0d_input", ValueError, r"Expected 1 or more dimensions \(got 0\)",
     lambda m: m.nn.functional.nll_loss(m.tensor(1.0), m.tensor(0))),
    ("ce_label_smoothing", RuntimeError, "label_smoothing must be between 0.0 and 1.0. Got: 1.5",
     lambda m: m.nn.functional.cross_entropy(m.zeros(3, 5), m.tensor([0, 1, 1]),
                                             label_smoothing=1.5)),
    ("ce_probs_ignore_index", RuntimeError, "ignore_index is not supported for floating point "
     "target", lambda m: m.nn.functional.cross_entropy(m.zeros(3, 5), m.zeros(3, 5),
                                                      ignore_index=1)),
    ("bce_range", RuntimeError, "all elements of input should be between 0 and 1",
     lambda m: m.nn.functional.binary_cross_entropy(m.tensor([1.5]), m.tensor([1.0]))),
    ("bce_size", ValueError, r"Using a target size \(.*Size\(\[3\]\)\) that is different to the "
     r"input size \(.*Size\(\[3, 1\]\)\) is deprecated. Please ensure they have the same size.",
     lambda m: m.nn.functional.binary_cross_entropy(m.rand(3, 1), m.rand(3))),
    ("bce_logits_size", ValueError, r"Target size \(.*Size\(\[3\]\)\) must be the same as input "
     r"size \(.*Size\(\[3, 1\]\)\)",
     lambda m: m.nn.functional.binary_cross_entropy_with_logits(m.rand(3, 1), m.rand(3))),
    ("reduction", ValueError, "foo is not a valid value for reduction",
     lambda m: m.nn.functional.mse_loss(m.rand(3), m.rand(3), reduction="foo")),
    ("kl_reduction", ValueError, "foo is not a valid value for reduction",
     lambda m: m.nn.functional.kl_div(m.rand(3), m.rand(3), reduction="foo")),
    ("mse_long", NotImplementedError, "\"mse_cpu\" not implemented for 'Long'",
     lambda m: m.nn.functional.mse_loss(m.tensor([1, 2]), m.tensor([1, 3]))),
    ("smooth_l1_beta", RuntimeError, "smooth_l1_loss does not support negative values for beta.",
     lambda m: m.nn.functional.smooth_l1_loss(m.rand(3), m.rand(3), beta=-1.0)),
    ("mse_weight_size", ValueError, "Weights and input must have the same size.",
     lambda m: m.nn.functional.mse_loss(m.rand(3), m.rand(3), weight=m.rand(2))),
    ("margin_ranking_dims", RuntimeError, "margin_ranking_loss : All input tensors should have "
     r"same dimension but got sizes: input1: .*Size\(\[3\]\), input2: .*Size\(\[3\]\), target: "
     r".*Size\(\[3, 1\]\)", lambda m: m.nn.functional.margin_ranking_loss(
         m.rand(3), m.rand(3), m.ones(3, 1))),
    ("triplet_dims", RuntimeError, "The anchor, positive, and negative tensors are expected to "
     "have the same number of dimensions, but got: anchor 2D, positive 2D, and negative 1D "
     "inputs", lambda m: m.nn.functional.triplet_margin_loss(m.rand(3, 2), m.rand(3, 2),
                                                            m.rand(2))),
    # multi margin / multi-label margin
    ("multi_margin_3d", RuntimeError, r"Expected non-empty vector or matrix with optional 0-dim "
     r"batch size, but got: \[2, 3, 4\]", lambda m: m.nn.functional.multi_margin_loss(
         m.rand(2, 3, 4), m.tensor([0, 1]))),
    ("multi_margin_no_classes", RuntimeError, r"but got: \[2, 0\]",
     lambda m: m.nn.functional.multi_margin_loss(m.rand(2, 0), m.tensor([0, 1]))),
    ("multi_margin_target_size", RuntimeError, r"multi_margin_loss: target tensor should be 1-D "
     r"with size equal to the number of input samples \(batch size\). Expected target size "
     r"\[4\], but got \[2\]. Input has shape \[4, 3\].",
     lambda m: m.nn.functional.multi_margin_loss(m.rand(4, 3), m.tensor([0, 1]))),
    ("multi_margin_target_2d", RuntimeError, r"Expected target size \[4\], but got \[4, 1\]",
     lambda m: m.nn.functional.multi_margin_loss(m.rand(4, 3), m.zeros(4, 1, dtype=m.long))),
    ("multi_margin_out_of_range", RuntimeError, "target out of range",
     lambda m: m.nn.functional.multi_margin_loss(m.rand(4, 3), m.tensor([0, 1, 3, 1]))),
    ("multi_margin_negative_target", RuntimeError, "target out of range",
     lambda m: m.nn.functional.multi_margin_loss(m.rand(4, 3), m.tensor([0, 1, -1, 1]))),
    ("multi_margin_float_target", RuntimeError, "expected scalar type Long but found Float",
     lambda m: m.nn.functional.multi_margin_loss(m.rand(4, 3), m.zeros(4))),
    ("multi_margin_p", ValueError, "only p == 1 and p == 2 supported",
     lambda m: m.nn.functional.multi_margin_loss(m.rand(4, 3), m.tensor([0, 1, 2, 1]), p=3)),
    ("multi_margin_module_p", ValueError, "only p == 1 and p == 2 supported",
     lambda m: m.nn.MultiMarginLoss(p=3)),
    ("multi_margin_weight_2d", ValueError, "weight must be one-dimensional",
     lambda m: m.nn.functional.multi_margin_loss(m.rand(4, 3), m.tensor([0, 1, 2, 1]),
                                                 weight=m.ones(3, 1))),
    ("multi_margin_module_weight_2d", ValueError, "MultiMarginLoss: expected weight to be None "
     "or 1D tensor, got 2D instead", lambda m: m.nn.MultiMarginLoss(weight=m.ones(3, 1))),
    ("multi_margin_weight_size", RuntimeError, r"inconsistent weight size, expected 3 but got "
     r"\[2\]", lambda m: m.nn.functional.multi_margin_loss(m.rand(4, 3), m.tensor([0, 1, 2, 1]),
                                                         weight=m.ones(2))),
    ("multi_margin_weight_dtype", RuntimeError, "expected scalar type Double but found Float",
     lambda m: m.nn.functional.multi_margin_loss(m.rand(4, 3, dtype=m.float64),
                                                 m.tensor([0, 1, 2, 1]), weight=m.ones(3))),
    ("multi_margin_weight_requires_grad", RuntimeError, "The function 'multi_margin_loss' is not "
     "differentiable with respect to argument 'weight'. This input cannot have requires_grad "
     "True.", lambda m: m.nn.functional.multi_margin_loss(
         m.rand(4, 3), m.tensor([0, 1, 2, 1]), weight=m.ones(3, requires_grad=True))),
    ("multi_margin_long_input", NotImplementedError, "\"multi_margin_loss_cpu_kernel\" not "
     "implemented for 'Long'", lambda m: m.nn.functional.multi_margin_loss(
         m.ones(4, 3, dtype=m.long), m.tensor([0, 1, 2, 1]))),
    ("multi_margin_reduction", ValueError, "foo is not a valid value for reduction",
     lambda m: m.nn.functional.multi_margin_loss(m.rand(4, 3), m.tensor([0, 1, 2, 1]),
                                                 reduction="foo")),
    ("multilabel_margin_target_size", RuntimeError, r"inconsistent target size: \[3, 3\] for "
     r"input of size: \[4, 3\]", lambda m: m.nn.functional.multilabel_margin_loss(
         m.rand(4, 3), m.zeros(3, 3, dtype=m.long))),
    ("multilabel_margin_3d", RuntimeError, r"Expected non-empty vector or matrix with optional "
     r"0-dim batch size, but got: \[2, 3, 4\]", lambda m: m.nn.functional.multilabel_margin_loss(
         m.rand(2, 3, 4), m.zeros(2, 3, 4, dtype=m.long))),
    ("multilabel_margin_out_of_range", RuntimeError, "argument #2 'target' is out of range",
     lambda m: m.nn.functional.multilabel_margin_loss(m.rand(2, 3), m.tensor([[0, 3, -1],
                                                                              [1, -1, 0]]))),
    ("multilabel_margin_below_minus_1", RuntimeError, "argument #2 'target' is out of range",
     lambda m: m.nn.functional.multilabel_margin_loss(m.rand(2, 3), m.tensor([[0, -2, -1],
                                                                              [1, -1, 0]]))),
    ("multilabel_margin_int_target", RuntimeError, "expected scalar type Long but found Int",
     lambda m: m.nn.functional.multilabel_margin_loss(m.rand(2, 3), m.zeros(2, 3,
                                                                            dtype=m.int32))),
    ("multilabel_margin_long_input", NotImplementedError, "\"multilabel_margin_loss_forward_out_"
     "frame\" not implemented for 'Long'", lambda m: m.nn.functional.multilabel_margin_loss(
         m.ones(2, 3, dtype=m.long), m.zeros(2, 3, dtype=m.long))),
    ("multilabel_margin_reduction", ValueError, "foo is not a valid value for reduction",
     lambda m: m.nn.functional.multilabel_margin_loss(m.rand(2, 3), m.zeros(2, 3, dtype=m.long),
                                                      reduction="foo")),
    ("hinge_reduction", ValueError, "foo is not a valid value for reduction",
     lambda m: m.nn.functional.hinge_embedding_loss(m.rand(3), m.ones(3), reduction="foo")),
    ("multilabel_soft_margin_reduction", ValueError, "foo is not valid",
     lambda m: m.nn.functional.multilabel_soft_margin_loss(m.rand(2, 3), m.ones(2, 3),
                                                           reduction="foo")),
    ("poisson_reduction", ValueError, "foo is not a valid value for reduction",
     lambda m: m.nn.functional.poisson_nll_loss(m.rand(3), m.ones(3), reduction="foo")),
    # Gaussian NLL's variance
    ("gaussian_negative_var", ValueError, "var has negative entry/entries",
     lambda m: m.nn.functional.gaussian_nll_loss(m.rand(3), m.rand(3), m.tensor([1.0, -1, 1]))),
    ("gaussian_negative_float_var", ValueError, "var has negative entry/entries",
     lambda m: m.nn.functional.gaussian_nll_loss(m.rand(3), m.rand(3), -1.0)),
    ("gaussian_var_size", ValueError, "var is of incorrect size",
     lambda m: m.nn.functional.gaussian_nll_loss(m.rand(4, 3, 2), m.rand(4, 3, 2),
                                                 m.ones(4, 1, 1))),
    ("gaussian_var_rank", ValueError, "var is of incorrect size",
     lambda m: m.nn.functional.gaussian_nll_loss(m.rand(4, 3), m.rand(4, 3), m.ones(3))),
    ("gaussian_reduction", ValueError, "foo is not valid",
     lambda m: m.nn.functional.gaussian_nll_loss(m.rand(3), m.rand(3), m.ones(3),
                                                 reduction="foo")),
    # dtypes: BCE wants the input's dtype, BCE with logits works in place on the target
    ("bce_long_target", RuntimeError, "Found dtype Long but expected Float",
     lambda m: m.nn.BCELoss()(m.rand(3), m.tensor([1, 0, 1]))),
    ("bce_float_target_double_input", RuntimeError, "Found dtype Float but expected Double",
     lambda m: m.nn.BCELoss()(m.rand(3, dtype=m.float64), m.rand(3))),
    ("bce_long_input_float_target", RuntimeError, "Found dtype Float but expected Long",
     lambda m: m.nn.functional.binary_cross_entropy(m.ones(3, dtype=m.long), m.rand(3))),
    ("bce_long_input", NotImplementedError, "\"binary_cross_entropy\" not implemented for 'Long'",
     lambda m: m.nn.functional.binary_cross_entropy(m.ones(3, dtype=m.long),
                                                    m.ones(3, dtype=m.long))),
    ("bce_logits_long_target", RuntimeError, "result type Float can't be cast to the desired "
     "output type Long", lambda m: m.nn.BCEWithLogitsLoss()(m.rand(3), m.tensor([1, 0, 1]))),
    ("bce_logits_bool_target", RuntimeError, "Subtraction, the `-` operator, with two bool "
     "tensors is not supported.", lambda m: m.nn.BCEWithLogitsLoss()(m.rand(3), m.rand(3) > 0.5)),
    ("bce_logits_long_input", NotImplementedError, "\"log_sigmoid_cpu\" not implemented for "
     "'Long'", lambda m: m.nn.functional.binary_cross_entropy_with_logits(
         m.ones(3, dtype=m.long), m.rand(3))),
    ("huber_long_input", RuntimeError, "result type Double can't be cast to the desired output "
     "type Long", lambda m: m.nn.functional.huber_loss(m.ones(3, dtype=m.long),
                                                       m.rand(3, dtype=m.float64))),
    ("huber_int_long", NotImplementedError, "\"huber_cpu\" not implemented for 'Long'",
     lambda m: m.nn.functional.huber_loss(m.ones(3, dtype=m.int32), m.ones(3, dtype=m.long))),
    ("soft_margin_int", RuntimeError, "result type Float can't be cast to the desired output "
     "type Int", lambda m: m.nn.functional.soft_margin_loss(m.ones(3, dtype=m.int32),
                                                            m.ones(3, dtype=m.int32))),
    ("soft_margin_bool", RuntimeError, "Negation, the `-` operator, on a bool tensor is not "
     "supported.", lambda m: m.nn.functional.soft_margin_loss(m.ones(3) > 0, m.rand(3))),
    ("mse_bool", NotImplementedError, "\"mse_cpu\" not implemented for 'Bool'",
     lambda m: m.nn.functional.mse_loss(m.ones(3) > 0, m.ones(3) > 0)),
    ("smooth_l1_long", NotImplementedError, "\"smooth_l1_cpu\" not implemented for 'Long'",
     lambda m: m.nn.functional.smooth_l1_loss(m.tensor([1, 2]), m.tensor([1, 3]))),
    ("kl_div_long_target", RuntimeError, "kl_div: Integral inputs not supported.",
     lambda m: m.nn.functional.kl_div(m.rand(3), m.tensor([1, 0, 1]), reduction="sum")),
    ("kl_div_bool_input", RuntimeError, "kl_div: Integral inputs not supported.",
     lambda m: m.nn.functional.kl_div(m.rand(3) > 0, m.rand(3), reduction="sum")),
    # class-index losses: the weight's dtype, a weight that requires grad, integer scores
    ("ce_weight_dtype", RuntimeError, "expected scalar type Double but found Float",
     lambda m: m.nn.functional.cross_entropy(m.rand(3, 5, dtype=m.float64), m.tensor([0, 4, 1]),
                                             weight=m.ones(5))),
    ("nll_weight_dtype", RuntimeError, "expected scalar type Float but found Double",
     lambda m: m.nn.functional.nll_loss(m.rand(3, 5), m.tensor([0, 4, 1]),
                                        weight=m.ones(5, dtype=m.float64))),
    ("nll_2d_weight_long", RuntimeError, "expected scalar type Float but found Long",
     lambda m: m.nn.functional.nll_loss(m.rand(2, 3, 2, 2), m.zeros(2, 2, 2, dtype=m.long),
                                        weight=m.ones(3, dtype=m.long))),
    ("ce_smoothing_weight_dtype", RuntimeError, "expected scalar type Double but found Float",
     lambda m: m.nn.CrossEntropyLoss(weight=m.ones(5), label_smoothing=0.1)(
         m.rand(3, 5, dtype=m.float64), m.tensor([0, 4, 1]))),
    ("nll_weight_requires_grad", RuntimeError, "The function 'nll_loss_forward' is not "
     "differentiable with respect to argument 'weight'. This input cannot have requires_grad "
     "True.", lambda m: m.nn.functional.nll_loss(m.rand(3, 5), m.tensor([0, 4, 1]),
                                                 weight=m.ones(5, requires_grad=True))),
    ("ce_3d_weight_requires_grad", RuntimeError, "The function 'nll_loss2d_forward' is not "
     "differentiable with respect to argument 'weight'.", lambda m: m.nn.functional.cross_entropy(
         m.rand(2, 5, 3), m.zeros(2, 3, dtype=m.long), weight=m.ones(5, requires_grad=True))),
    ("nll_long_input", NotImplementedError, "\"nll_loss_out_frame\" not implemented for 'Long'",
     lambda m: m.nn.functional.nll_loss(m.ones(3, 5, dtype=m.long), m.tensor([0, 4, 1]),
                                        weight=m.ones(5, dtype=m.float64))),
    ("nll_2d_long_input", NotImplementedError, "\"nll_loss2d_forward_out_frame\" not "
     "implemented for 'Long'", lambda m: m.nn.functional.nll_loss(
         m.ones(2, 3, 4, dtype=m.long), m.zeros(2, 4, dtype=m.long))),
    ("cosine_target_dims", RuntimeError, "0D or 1D target tensor expected, multi-target not "
     "supported", lambda m: m.nn.functional.cosine_embedding_loss(m.rand(3, 2), m.rand(3, 2),
                                                                 m.ones(3, 1))),
]


@pytest.mark.torch
@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in ERRORS])
def test_errors_match_torch(torch, case):
    _, exc, message, fn = case
    for m in (autodiff, torch):
        with pytest.raises(exc, match=message):
            fn(m)


@pytest.mark.torch
def test_nll_weight_may_require_grad_without_grad_mode(torch):
    for m in (autodiff, torch):
        with m.no_grad():
            m.nn.functional.nll_loss(m.rand(3, 5), m.tensor([0, 4, 1]),
                                     weight=m.ones(5, requires_grad=True))


# targets of another dtype: which losses promote, which keep the input's or the target's dtype
DTYPE_CASES = [
    ("mse_loss", "float32", "int64"), ("mse_loss", "int64", "float64"),
    ("mse_loss", "bool", "float32"), ("mse_loss", "float32", "float16"),
    ("l1_loss", "float32", "int64"), ("l1_loss", "int64", "float32"),
    ("smooth_l1_loss", "int64", "float64"), ("smooth_l1_loss", "float64", "float32"),
    ("huber_loss", "float32", "float64"), ("huber_loss", "float16", "float32"),
    ("huber_loss", "float32", "int64"), ("soft_margin_loss", "float32", "float64"),
    ("soft_margin_loss", "float64", "int64"), ("kl_div", "float32", "float64"),
    ("binary_cross_entropy_with_logits", "float64", "float32"),
    ("binary_cross_entropy_with_logits", "float32", "float64"),
    ("binary_cross_entropy_with_logits", "float32", "float16"),
]


@pytest.mark.torch
@pytest.mark.parametrize("fn, input_dtype, target_dtype", DTYPE_CASES)
def test_mixed_dtype_targets_match_torch(torch, fn, input_dtype, target_dtype):
    x = np.linspace(0.1, 0.9, 6).reshape(2, 3)
    t = np.array([[1, 0, 1], [0, 0, 1]])
    results = []
    for m in (autodiff, torch):
        inp = m.tensor(x).to(getattr(m, input_dtype))
        if inp.is_floating_point():
            inp.requires_grad_()
        out = getattr(m.nn.functional, fn)(inp, m.tensor(t).to(getattr(m, target_dtype)),
                                           reduction="none")
        if out.requires_grad and not (m is torch and fn == "huber_loss"):
            out.sum().backward()     # torch's huber backward refuses a target of another dtype
        results += [out, inp.grad]
    assert_close(results[0], results[2], rtol=1e-3, atol=1e-4)
    if results[3] is not None:
        assert_close(results[1], results[3], rtol=1e-3, atol=1e-4)


@pytest.mark.torch
def test_bce_weights_of_another_dtype_keep_the_input_dtype(torch):
    for m in (autodiff, torch):
        p, t = m.tensor([0.2, 0.7]), m.tensor([0.0, 1.0])
        assert m.nn.BCELoss(weight=m.tensor([1, 2]))(p, t).dtype == m.float32
        assert m.nn.BCEWithLogitsLoss(weight=m.tensor([1.0, 2.0], dtype=m.float64),
                                      pos_weight=m.tensor([3, 1]))(p, t).dtype == m.float32


@pytest.mark.torch
@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"])
def test_broadcasting_target_warns_like_torch(torch, fn):
    for m in (autodiff, torch):
        with pytest.warns(UserWarning, match=r"Using a target size \(.*Size\(\[3\]\)\) that is "
                                             r"different to the input size \(.*Size\(\[3, 1\]\)\)"
                                             ". This will likely lead to incorrect results due "
                                             "to broadcasting. Please ensure they have the same "
                                             "size."):
            getattr(m.nn.functional, fn)(m.rand(3, 1), m.rand(3))


@pytest.mark.torch
def test_kl_div_mean_warns_like_torch(torch):
    for m in (autodiff, torch):
        with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss by both "
                                             "the batch size and the support size."):
            m.nn.functional.kl_div(m.rand(2, 3).log(), m.rand(2, 3))


@pytest.mark.parametrize("fn", [
    lambda x, t: F.multi_margin_loss(x * t, autodiff.tensor([0, 2, 1], device=x.device), p=2),
    lambda x, t: F.multilabel_margin_loss(x * t, autodiff.tensor([[2, -1, 0], [0, 1, -1],
                                                                  [1, 2, 0]], device=x.device)),
    lambda x, t: F.hinge_embedding_loss(x * t, autodiff.tensor([1.0, -1.0, 0.0],
                                                               device=x.device)),
    lambda x, t: F.multilabel_soft_margin_loss(x, t.sigmoid()),
    lambda x, t: F.poisson_nll_loss(x, t.abs() * 3, full=True),
    lambda x, t: F.gaussian_nll_loss(x, t, (x * t).abs()[:, 0], full=True),
], ids=["multi_margin", "multilabel_margin", "hinge", "multilabel_soft_margin", "poisson",
        "gaussian"])
def test_new_losses_run_on_the_simulated_gpu(fn):
    from _helpers import cpu_vs_simulated_cuda
    cpu_vs_simulated_cuda(fn, (3, 3), (3, 3))
