"""Extra nn pieces: the ``*_with_indices`` pooling functions, ``celu_``/``selu_``, Softmax2d,
pdist, the triplet loss with any distance, and the 3-D adaptive max / LP pooling and max
unpooling: parity with torch (values, input gradients in float64, grad_fn names, reprs, errors)
and gradcheck to second order."""
import re

import numpy as np
import pytest

import autodiff
import autodiff.nn as nn
import autodiff.nn.functional as F
from autodiff.autograd import gradcheck, gradgradcheck


def _pair(torch, shape, seed=0, scale=1.0):
    """The same float64 leaf in autodiff and torch."""
    a = np.random.default_rng(seed).standard_normal(shape) * scale
    return (autodiff.tensor(a, dtype=autodiff.float64, requires_grad=True),
            torch.tensor(a, dtype=torch.float64, requires_grad=True))


def _check(ours, theirs, leaves, tleaves):
    """Same values, and the same gradients of ``sum(out * w)`` for a fixed random ``w``."""
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    w = np.random.default_rng(1).standard_normal(tuple(theirs.shape))
    (ours * autodiff.tensor(w)).sum().backward()
    (theirs * theirs.new_tensor(w)).sum().backward()
    for a, t in zip(leaves, tleaves):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def _raises(exc, match, fn, *args, **kwargs):
    """``fn`` raises ``exc`` with ``match`` in its message (which invalid unpooling index torch
    names depends on its thread schedule: only the rest of that message is compared)."""
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    unindexed = re.sub(r"index: -?\d+", "index: N", match)
    assert unindexed in re.sub(r"index: -?\d+", "index: N", str(info.value)), str(info.value)


# ---- *_with_indices, celu_, selu_, Softmax2d --------------------------------------------------
WITH_INDICES = [
    ("max_pool1d_with_indices", (2, 3, 7), (3, 2, 1)),
    ("max_pool2d_with_indices", (2, 2, 5, 6), (2,)),
    ("max_pool3d_with_indices", (1, 2, 4, 3, 4), ((2, 1, 2),)),
    ("adaptive_max_pool1d_with_indices", (2, 3, 7), (3,)),
    ("adaptive_max_pool2d_with_indices", (2, 5, 6), ((2, 4),)),
    ("adaptive_max_pool3d_with_indices", (1, 2, 4, 5, 6), ((2, 3, 4),)),
]


@pytest.mark.parametrize("name,shape,args", WITH_INDICES, ids=[w[0] for w in WITH_INDICES])
def test_with_indices_parity(torch, name, shape, args):
    x, tx = _pair(torch, shape)
    out, idx = getattr(F, name)(x, *args)
    tout, tidx = getattr(torch.nn.functional, name)(tx, *args)
    assert idx.dtype == autodiff.int64
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    assert out.grad_fn.name() == tout.grad_fn.name()
    _check(out, tout, [x], [tx])
    # return_indices=False is ignored: always a pair, as in torch
    assert len(getattr(F, name)(x, *args, return_indices=False)) == 2


@pytest.mark.parametrize("name,alpha", [("celu_", 0.5), ("selu_", None)])
def test_inplace_activations(torch, name, alpha):
    a = np.random.default_rng(0).standard_normal(7)
    x, tx = autodiff.tensor(a), torch.tensor(a)
    args = () if alpha is None else (alpha,)
    assert getattr(F, name)(x, *args) is x
    getattr(torch.nn.functional, name)(tx, *args)
    np.testing.assert_allclose(x.numpy(), tx.numpy(), rtol=1e-12)
    leaf, tleaf = _pair(torch, (5,))
    out, tout = getattr(F, name)(leaf * 1, *args), getattr(torch.nn.functional, name)(tleaf * 1,
                                                                                     *args)
    # torch names the in-place node ...Backward1; ops/activation.py uses ...Backward0 for both
    assert out.grad_fn.name()[:-1] == tout.grad_fn.name()[:-1]
    _check(out, tout, [leaf], [tleaf])
    assert "celu_" in F.__all__ and "selu_" in F.__all__


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 4, 5)])
def test_softmax2d(torch, shape):
    m, tm = nn.Softmax2d(), torch.nn.Softmax2d()
    assert repr(m) == repr(tm) == "Softmax2d()"
    x, tx = _pair(torch, shape)
    out, tout = m(x), tm(tx)
    assert out.grad_fn.name() == tout.grad_fn.name() == "SoftmaxBackward0"
    _check(out, tout, [x], [tx])
    np.testing.assert_allclose(out.sum(-3).detach().numpy(), 1.0)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4, 5, 6)])
def test_softmax2d_rank_error(torch, shape):
    with pytest.raises(ValueError) as theirs:
        torch.nn.Softmax2d()(torch.zeros(shape))
    _raises(ValueError, str(theirs.value), nn.Softmax2d(), autodiff.zeros(shape))


# ---- pdist --------------------------------------------------------------------------------------
P_VALUES = [2, 1, 0.5, 1.5, 3, 0, float("inf")]


@pytest.mark.parametrize("p", P_VALUES)
def test_pdist_parity(torch, p):
    x, tx = _pair(torch, (5, 3))
    out, tout = F.pdist(x, p), torch.nn.functional.pdist(tx, p)
    assert out.shape == (10,) and out.grad_fn.name() == tout.grad_fn.name() == "PdistBackward0"
    _check(out, tout, [x], [tx])


@pytest.mark.parametrize("p", [1, 2, 0.5, float("inf")])
def test_pdist_duplicate_rows(torch, p):
    """Zero distances (equal rows) get torch's zero subgradient, not NaN."""
    a = [[1.0, 2.0], [1.0, 2.0], [0.0, 0.0], [1.0, 5.0]]
    x = autodiff.tensor(a, dtype=autodiff.float64, requires_grad=True)
    tx = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    _check(F.pdist(x, p), torch.nn.functional.pdist(tx, p), [x], [tx])


@pytest.mark.parametrize("p", [2, 1.5, 0.7, 3])
def test_pdist_gradcheck(p):
    x = autodiff.randn(4, 3, dtype=autodiff.float64, requires_grad=True)
    assert gradcheck(lambda t: F.pdist(t, p), [x])
    assert gradgradcheck(lambda t: F.pdist(t, p), [x])


def test_pdist_edge_shapes(torch):
    for shape in [(1, 3), (0, 3), (3, 0)]:
        ours = F.pdist(autodiff.zeros(shape))
        theirs = torch.nn.functional.pdist(torch.zeros(shape))
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert F.pdist(autodiff.zeros(3, 2)).dtype == autodiff.float32


@pytest.mark.parametrize("args", [((3,), 2), ((2, 3, 4), 2), ((3, 3), -1.0), ("int", 2)])
def test_pdist_errors(torch, args):
    shape, p = args
    ours = autodiff.zeros(3, 3, dtype=autodiff.int64) if shape == "int" else autodiff.zeros(shape)
    theirs = torch.zeros(3, 3, dtype=torch.int64) if shape == "int" else torch.zeros(shape)
    with pytest.raises(RuntimeError) as info:
        torch.nn.functional.pdist(theirs, p)
    _raises(RuntimeError, str(info.value), F.pdist, ours, p)


# ---- TripletMarginWithDistanceLoss --------------------------------------------------------------
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dist", ["default", "cosine", "module"])
def test_triplet_with_distance_parity(torch, swap, reduction, dist):
    (a, ta), (p, tp), (n, tn) = (_pair(torch, (6, 4), seed=s, scale=0.5) for s in range(3))
    fns = {"default": (None, None),
           "cosine": (lambda x, y: 1 - F.cosine_similarity(x, y),
                      lambda x, y: 1 - torch.nn.functional.cosine_similarity(x, y)),
           "module": (nn.PairwiseDistance(p=1), torch.nn.PairwiseDistance(p=1))}[dist]
    m = nn.TripletMarginWithDistanceLoss(distance_function=fns[0], margin=0.7, swap=swap,
                                         reduction=reduction)
    tm = torch.nn.TripletMarginWithDistanceLoss(distance_function=fns[1], margin=0.7, swap=swap,
                                                reduction=reduction)
    assert repr(m) == repr(tm)
    _check(m(a, p, n), tm(ta, tp, tn), [a, p, n], [ta, tp, tn])
    out = F.triplet_margin_with_distance_loss(a, p, n, distance_function=fns[0], swap=swap,
                                              reduction=reduction)
    tout = torch.nn.functional.triplet_margin_with_distance_loss(
        ta, tp, tn, distance_function=fns[1], swap=swap, reduction=reduction)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-10)


def test_triplet_with_distance_default_module(torch):
    m, tm = nn.TripletMarginWithDistanceLoss(), torch.nn.TripletMarginWithDistanceLoss()
    assert repr(m) == repr(tm)
    assert isinstance(m.distance_function, nn.PairwiseDistance)
    assert (m.margin, m.swap, m.reduction) == (tm.margin, tm.swap, tm.reduction)
    with pytest.raises(TypeError):
        nn.TripletMarginWithDistanceLoss(None)           # keyword-only, as in torch


def test_triplet_with_distance_gradcheck():
    a, p, n = (autodiff.randn(3, 4, dtype=autodiff.float64, requires_grad=True)
               for _ in range(3))
    fn = lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, margin=2.0, swap=True)  # noqa: E731
    assert gradcheck(fn, [a, p, n])
    assert gradgradcheck(fn, [a, p, n])


def test_triplet_with_distance_errors(torch):
    cases = [
        (lambda m, z: m.nn.TripletMarginWithDistanceLoss(margin=0), ValueError),
        (lambda m, z: m.nn.TripletMarginWithDistanceLoss(margin=-1), ValueError),
        (lambda m, z: (m.nn.functional if m is torch else F).triplet_margin_with_distance_loss(
            z(4, 5), z(4, 5), z(4, 5), margin=-1), ValueError),
        (lambda m, z: (m.nn.functional if m is torch else F).triplet_margin_with_distance_loss(
            z(4, 5), z(4, 5), z(5)), RuntimeError),
        (lambda m, z: (m.nn.functional if m is torch else F).triplet_margin_with_distance_loss(
            z(4, 5), z(4, 5), z(4, 5), reduction="bad"), ValueError),
    ]
    for fn, exc in cases:
        with pytest.raises(exc) as theirs:
            fn(torch, torch.zeros)
        _raises(exc, str(theirs.value), fn, autodiff, autodiff.zeros)


# ---- 3-D adaptive max pooling, LP pooling, max unpooling ------------------------------------
@pytest.mark.parametrize("shape,size", [((2, 2, 4, 5, 6), (2, 3, 4)), ((2, 4, 5, 6), 2),
                                        ((1, 2, 5, 4, 3), (2, None, 3)),
                                        ((1, 1, 3, 4, 5), (5, 6, 7))])
def test_adaptive_max_pool3d_parity(torch, shape, size):
    x, tx = _pair(torch, shape)
    m, tm = nn.AdaptiveMaxPool3d(size, True), torch.nn.AdaptiveMaxPool3d(size, True)
    assert repr(m) == repr(tm)
    (out, idx), (tout, tidx) = m(x), tm(tx)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    assert out.grad_fn.name() == tout.grad_fn.name() == "AdaptiveMaxPool3DBackward0"
    _check(out, tout, [x], [tx])


def test_adaptive_max_pool3d_gradcheck():
    x = autodiff.randn(1, 2, 4, 3, 5, dtype=autodiff.float64, requires_grad=True)
    assert gradcheck(lambda t: F.adaptive_max_pool3d(t, (2, 2, 3)), [x])
    assert gradgradcheck(lambda t: F.adaptive_max_pool3d(t, (2, 2, 3)), [x])


def test_adaptive_max_pool3d_errors(torch):
    for shape, size in [((2, 3, 4), 2), ((1, 2, 3, 4, 5), (2, 3))]:
        with pytest.raises(RuntimeError) as theirs:
            torch.nn.functional.adaptive_max_pool3d(torch.zeros(shape), size)
        _raises(RuntimeError, str(theirs.value), F.adaptive_max_pool3d, autodiff.zeros(shape),
                size)


@pytest.mark.parametrize("norm,kernel,stride,ceil", [(2, 2, None, False), (1.5, (1, 2, 2), 1, True),
                                                     (3, (2, 1, 3), (1, 1, 2), False)])
def test_lp_pool3d_parity(torch, norm, kernel, stride, ceil):
    x, tx = _pair(torch, (2, 2, 4, 4, 6))
    x.data.abs_(), tx.data.abs_()               # fractional powers of positive inputs
    m, tm = nn.LPPool3d(norm, kernel, stride, ceil), torch.nn.LPPool3d(norm, kernel, stride, ceil)
    assert repr(m) == repr(tm)
    out, tout = m(x), tm(tx)
    assert out.grad_fn.name() == tout.grad_fn.name()
    _check(out, tout, [x], [tx])
    assert gradcheck(lambda t: F.lp_pool3d(t, 2, 2), [x.detach()[:1].requires_grad_()])


def test_lp_pool3d_kernel_error(torch):
    with pytest.raises(ValueError) as theirs:
        torch.nn.functional.lp_pool3d(torch.zeros(1, 1, 4, 4, 4), 2, (2, 2))
    _raises(ValueError, str(theirs.value), F.lp_pool3d, autodiff.zeros(1, 1, 4, 4, 4), 2, (2, 2))


@pytest.mark.parametrize("shape,kernel,stride,pad,size", [
    ((2, 2, 4, 4, 6), 2, None, 0, None), ((2, 2, 5, 5, 7), 2, None, 0, (5, 5, 7)),
    ((2, 4, 4, 6), 2, None, 0, None), ((1, 2, 4, 5, 6), (2, 1, 3), (1, 1, 2), (1, 0, 1), (4, 5, 6))])
def test_max_unpool3d_parity(torch, shape, kernel, stride, pad, size):
    x, tx = _pair(torch, shape)
    o, i = F.max_pool3d(x.detach(), kernel, stride, pad, return_indices=True)
    to, ti = torch.nn.functional.max_pool3d(tx.detach(), kernel, stride, pad,
                                            return_indices=True)
    o.requires_grad_(), to.requires_grad_()
    m = nn.MaxUnpool3d(kernel, stride, pad)
    tm = torch.nn.MaxUnpool3d(kernel, stride, pad)
    assert repr(m) == repr(tm)
    out, tout = m(o, i, size), tm(to, ti, size)
    assert out.grad_fn.name() == tout.grad_fn.name() == "MaxUnpool3DBackward0"
    _check(out, tout, [o], [to])
    assert gradgradcheck(lambda t: F.max_unpool3d(t, i, kernel, stride, pad, size),
                         [o.detach().requires_grad_()])


def test_max_unpool3d_errors(torch):
    tx = torch.randn(2, 2, 4, 4, 6)
    to, ti = torch.nn.functional.max_pool3d(tx, 2, return_indices=True)
    o, i = autodiff.tensor(to.numpy()), autodiff.tensor(ti.numpy())
    cases = [((o, i, 2), dict(output_size=(9, 9, 9)), ValueError),
             ((o, i[..., :1], 2), {}, RuntimeError), ((o, i * 100, 2), {}, RuntimeError),
             ((o, i, (2, 2)), {}, RuntimeError), ((o[0, 0], i[0, 0], 2), {}, RuntimeError)]
    tcases = [((to, ti, 2), dict(output_size=(9, 9, 9))), ((to, ti[..., :1], 2), {}),
              ((to, ti * 100, 2), {}), ((to, ti, (2, 2)), {}), ((to[0, 0], ti[0, 0], 2), {})]
    for (args, kw, exc), (targs, tkw) in zip(cases, tcases):
        with pytest.raises(exc) as theirs:
            torch.nn.functional.max_unpool3d(*targs, **tkw)
        _raises(exc, str(theirs.value), F.max_unpool3d, *args, **kw)


def test_max_unpool2d_unchanged():
    """The shared n-d unpooling keeps the 2-D grad_fn name and message."""
    x = autodiff.randn(1, 1, 4, 4, requires_grad=True)
    o, i = F.max_pool2d(x, 2, return_indices=True)
    assert F.max_unpool2d(o, i, 2).grad_fn.name() == "MaxUnpool2DBackward0"
    _raises(RuntimeError, "output volumes are of size 4x4", F.max_unpool2d, o, i * 0 + 16, 2)

