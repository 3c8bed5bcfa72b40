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
            # torch divides by a C++ scalar (DivBackward1) where Python gives DivBackward0
            S(f"ce_probs_{r}", _loss("cross_entropy", reduction=r), X, P, name=r != "mean"),
            S(f"ce_probs_weight_smoothing_{r}", lambda m, x, t, r=r: m.nn.functional.cross_entropy(
                x, t, weight=_W3(m), reduction=r, label_smoothing=0.1), X, P,
              name=r != "mean"),
            S(f"ce_3d_{r}", lambda m, x, r=r: m.nn.functional.cross_entropy(
                x, m.tensor([[0, 2, 1, 1, 0], [2, 2, 1, 0, 1]]), reduction=r),
              ((2, 3, 5), "real")),
            S(f"kl_div_{r}", _loss("kl_div", reduction=r), X, P),
            S(f"kl_div_log_target_{r}", _loss("kl_div", reduction=r, log_target=True), X, X),
            S(f"cosine_embedding_{r}", _loss("cosine_embedding_loss", _Y, margin=0.2,
                                             reduction=r), X, X),
            # name: autodiff's clamp(min=) is ClampBackward1, torch's ClampMinBackward0
            S(f"margin_ranking_{r}", _loss("margin_ranking_loss", _Y, margin=0.1, reduction=r),
              ((4,), "real"), ((4,), "real"), name=r != "none"),
            S(f"triplet_{r}", _loss("triplet_margin_loss", reduction=r), X, X, X, name=False),
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
        S("ce_1d_probs", _loss("cross_entropy"), ((5,), "real"), ((5,), "prob"), name=False),
        S("nll_1d_none", _loss("nll_loss", lambda m: m.tensor(1), reduction="none"),
          ((5,), "real")),
        S("triplet_swap_p1", _loss("triplet_margin_loss", p=1, swap=True, margin=0.5), X, X, X,
          name=False),
        S("l1_weight", lambda m, x, t: m.nn.functional.l1_loss(
            x, t, weight=_c(m, np.linspace(0.1, 2, 12).reshape(4, 3))), X, X),
        S("huber_weight", lambda m, x, t: m.nn.functional.huber_loss(
            x, t, weight=_c(m, np.linspace(0.1, 2, 12).reshape(4, 3))), X, X),
        S("smooth_l1_beta0", _loss("smooth_l1_loss", beta=0.0), X, X),
    ]
    return specs


SPECS = _specs()


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
