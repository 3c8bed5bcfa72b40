"""affine_grid, grid_sample and gumbel_softmax: values, gradients (first and second order) and
errors against torch, gradchecks, the CUDA code path, and gumbel_softmax's sampling properties."""
import itertools
import warnings

import numpy as np
import pytest

import autodiff
import autodiff.nn.functional as F
from autodiff.autograd import gradcheck, gradgradcheck
from _helpers import assert_close, assert_raises, cpu_vs_simulated_cuda, grad_fn_name

MODES = ["bilinear", "nearest", "bicubic"]
PADDINGS = ["zeros", "border", "reflection"]
ALL_2D = list(itertools.product(MODES, PADDINGS, [False, True]))
ALL_3D = list(itertools.product(["bilinear", "nearest"], PADDINGS, [False, True]))


def _arrays(in_shape, grid_shape, seed=0, reach=1.4):
    """An input and a grid whose points reach outside [-1, 1] (up to ``reach``)."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal(in_shape), rng.uniform(-reach, reach, grid_shape)


def _leaves(*arrays, dtype=autodiff.float64):
    return [autodiff.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]


def _torch_leaves(torch, *arrays):
    return [torch.tensor(a, requires_grad=True) for a in arrays]


# ---- grid_sample against torch ------------------------------------------------------------------
def _parity(torch, in_shape, grid_shape, mode, padding, align):
    x, g = _arrays(in_shape, grid_shape)
    up = np.random.default_rng(1).standard_normal(in_shape[:2] + grid_shape[1:-1])
    a, b = _leaves(x, g)
    ta, tb = _torch_leaves(torch, x, g)
    y = F.grid_sample(a, b, mode, padding, align)
    ty = torch.nn.functional.grid_sample(ta, tb, mode, padding, align)
    assert_close(y, ty, rtol=1e-12, atol=1e-12)
    assert grad_fn_name(y) == grad_fn_name(ty)
    y.backward(autodiff.tensor(up))
    ty.backward(torch.tensor(up))
    assert_close(a.grad, ta.grad, rtol=1e-11, atol=1e-11)
    assert_close(b.grad, tb.grad, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("mode,padding,align", ALL_2D)
def test_grid_sample_2d_matches_torch(torch, mode, padding, align):
    _parity(torch, (2, 3, 4, 5), (2, 6, 7, 2), mode, padding, align)


@pytest.mark.parametrize("mode,padding,align", ALL_3D)
def test_grid_sample_3d_matches_torch(torch, mode, padding, align):
    _parity(torch, (2, 2, 3, 4, 5), (2, 3, 2, 4, 3), mode, padding, align)


@pytest.mark.parametrize("mode", MODES)
def test_grid_sample_float32_matches_torch(torch, mode):
    x, g = _arrays((1, 2, 6, 5), (1, 4, 3, 2))
    a, b = _leaves(x, g, dtype=autodiff.float32)
    ta, tb = [torch.tensor(v, dtype=torch.float32, requires_grad=True) for v in (x, g)]
    y = F.grid_sample(a, b, mode, "reflection", False)
    ty = torch.nn.functional.grid_sample(ta, tb, mode, "reflection", False)
    assert_close(y, ty, rtol=1e-5, atol=1e-5)
    y.sum().backward()
    ty.sum().backward()
    assert_close(a.grad, ta.grad, rtol=1e-5, atol=1e-5)
    assert_close(b.grad, tb.grad, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode,padding", list(itertools.product(MODES, PADDINGS)))
def test_grid_sample_second_order_matches_torch(torch, mode, padding):
    """torch differentiates grid_sampler_2d_backward w.r.t. grad_output, input and grid."""
    x, g = _arrays((1, 2, 4, 5), (1, 3, 3, 2), seed=2)
    rng = np.random.default_rng(3)
    up, u, v = rng.standard_normal((1, 2, 3, 3)), rng.standard_normal(x.shape), rng.standard_normal(g.shape)

    def second(m, leaves, wrap):
        a, b, gy = leaves
        y = m.nn.functional.grid_sample(a, b, mode, padding, align_corners=False)
        ga, gb = m.autograd.grad(y, (a, b), gy, create_graph=True)
        total = (ga * wrap(u)).sum() + (gb * wrap(v)).sum()
        return m.autograd.grad(total, (a, b, gy), allow_unused=True)

    ours = second(autodiff, _leaves(x, g, up), autodiff.tensor)
    theirs = second(torch, _torch_leaves(torch, x, g, up), torch.tensor)
    for o, t, shape in zip(ours, theirs, (x.shape, g.shape, up.shape)):
        zero = np.zeros(shape)                # no path to a leaf: None (torch: None or zeros)
        assert_close(zero if o is None else o, zero if t is None else t, rtol=1e-10, atol=1e-10)
    assert ours[2] is not None


# ---- gradcheck ----------------------------------------------------------------------------------
@pytest.mark.parametrize("mode,padding", list(itertools.product(MODES, PADDINGS)))
def test_grid_sample_gradcheck(mode, padding):
    x, g = _arrays((1, 2, 3, 4), (1, 2, 3, 2), seed=4)
    fn = lambda a, b: F.grid_sample(a, b, mode, padding, align_corners=padding == "border")
    inputs = _leaves(x, g)
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@pytest.mark.parametrize("mode,padding", [("bilinear", "zeros"), ("bilinear", "reflection"),
                                          ("nearest", "border")])
def test_grid_sample_3d_gradcheck(mode, padding):
    x, g = _arrays((1, 1, 2, 3, 3), (1, 2, 1, 2, 3), seed=5)
    fn = lambda a, b: F.grid_sample(a, b, mode, padding, align_corners=True)
    inputs = _leaves(x, g)
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_grid_sample_gradient_reaches_only_what_requires_it():
    x, g = _arrays((1, 1, 3, 3), (1, 2, 2, 2))
    a = autodiff.tensor(x, requires_grad=True)
    b = autodiff.tensor(g)
    y = F.grid_sample(a, b, align_corners=False)
    y.sum().backward()
    assert b.grad is None and a.grad.shape == a.shape
    assert F.grid_sample(autodiff.tensor(x), b, align_corners=False).grad_fn is None


# ---- grid_sample: values that follow from the definition ----------------------------------------
def test_identity_affine_grid_reproduces_the_input():
    x = autodiff.tensor(np.random.default_rng(6).standard_normal((2, 3, 5, 4)))
    theta = autodiff.tensor(np.tile(np.eye(2, 3), (2, 1, 1)))
    for align in (False, True):
        grid = F.affine_grid(theta, (2, 3, 5, 4), align_corners=align)
        for mode in MODES:
            assert_close(F.grid_sample(x, grid, mode, align_corners=align), x, atol=1e-12)


def test_zeros_padding_reads_zero_far_outside_and_border_reads_the_edge():
    x = autodiff.arange(12.0, dtype=autodiff.float64).reshape(1, 1, 3, 4)
    far = autodiff.tensor([[[[5.0, 0.0], [-5.0, 0.0]]]], dtype=autodiff.float64)
    assert F.grid_sample(x, far, align_corners=True).tolist() == [[[[0.0, 0.0]]]]
    assert F.grid_sample(x, far, padding_mode="border", align_corners=True).tolist() == \
        [[[[7.0, 4.0]]]]


def test_nearest_rounds_half_to_even():
    x = autodiff.arange(5.0).reshape(1, 1, 1, 5)
    grid = autodiff.tensor([[[[-0.6, 0.0], [-0.2, 0.0], [0.2, 0.0], [0.6, 0.0]]]])
    assert F.grid_sample(x, grid, "nearest", align_corners=False).tolist() == [[[[0, 2, 2, 4]]]]


def test_empty_batch_channels_and_grid():
    for in_shape, grid_shape, out in [((0, 2, 3, 3), (0, 2, 2, 2), (0, 2, 2, 2)),
                                      ((1, 0, 3, 3), (1, 2, 2, 2), (1, 0, 2, 2)),
                                      ((1, 2, 3, 3), (1, 0, 2, 2), (1, 2, 0, 2))]:
        y = F.grid_sample(autodiff.zeros(in_shape), autodiff.zeros(grid_shape),
                          align_corners=False)
        assert tuple(y.shape) == out


def test_align_corners_none_warns_like_torch():
    x, g = autodiff.zeros(1, 1, 2, 2), autodiff.zeros(1, 1, 1, 2)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(x, g)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.affine_grid(autodiff.zeros(1, 2, 3), (1, 1, 2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.grid_sample(x, g, align_corners=False)
        F.affine_grid(autodiff.zeros(1, 2, 3), (1, 1, 2, 2), align_corners=True)


def _t(*shape, dtype=autodiff.float64):
    return autodiff.zeros(*shape, dtype=dtype)


GRID_SAMPLE_ERRORS = [
    (lambda: F.grid_sample(_t(1, 1, 2, 2), _t(1, 1, 1, 2), mode="foo"), ValueError,
     "expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: 'foo'"),
    (lambda: F.grid_sample(_t(1, 1, 2, 2), _t(1, 1, 1, 2), padding_mode="foo"), ValueError,
     "expected padding_mode to be 'zeros', 'border', or 'reflection', but got: 'foo'"),
    (lambda: F.grid_sample(_t(2, 3, 4, 5), _t(3, 6, 7, 2), align_corners=False), RuntimeError,
     "grid_sampler(): expected grid and input to have same batch size, but got input with sizes "
     "[2, 3, 4, 5] and grid with sizes [3, 6, 7, 2]"),
    (lambda: F.grid_sample(_t(2, 3, 4, 5), _t(2, 6, 7, 3), align_corners=False), RuntimeError,
     "grid_sampler(): expected grid to have size 2 in last dimension, but got grid with sizes "
     "[2, 6, 7, 3]"),
    (lambda: F.grid_sample(_t(2, 3, 0, 5), _t(2, 6, 7, 2), align_corners=False), RuntimeError,
     "grid_sampler(): expected input to have non-empty spatial dimensions, but input has sizes "
     "[2, 3, 0, 5] with dimension 2 being empty"),
    (lambda: F.grid_sample(_t(2, 3, 4, 5), _t(2, 6, 2), align_corners=False), RuntimeError,
     "grid_sampler(): expected 4D input and grid with same number of dimensions, but got input "
     "with sizes [2, 3, 4, 5] and grid with sizes [2, 6, 2]"),
    (lambda: F.grid_sample(_t(2, 3, 4, 5, 6, 7), _t(2, 6, 7, 2, 2, 4), align_corners=False),
     RuntimeError, "grid_sampler(): expected 5D input and grid with same number of dimensions"),
    (lambda: F.grid_sample(_t(2, 3, 4, 5, 6), _t(2, 6, 7, 8, 3), "bicubic", align_corners=False),
     RuntimeError, "grid_sampler(): bicubic interpolation only supports 4D input"),
    (lambda: F.grid_sample(_t(2, 3, 4, 5, dtype=autodiff.int32),
                           _t(2, 6, 7, 2, dtype=autodiff.int32), align_corners=False),
     NotImplementedError, "\"grid_sampler_2d_cpu_kernel_impl\" not implemented for 'Int'"),
    (lambda: F.grid_sample(_t(2, 3, 4, 5, 6, dtype=autodiff.int32),
                           _t(2, 6, 7, 2, 3, dtype=autodiff.int32), align_corners=False),
     NotImplementedError, "\"grid_sampler3d_cpu\" not implemented for 'Int'"),
    (lambda: F.grid_sample(_t(2, 3, 4, 5), _t(2, 6, 7, 2, dtype=autodiff.float32),
                           align_corners=False),
     RuntimeError, "expected scalar type Double but found Float"),
]


@pytest.mark.parametrize("fn,exc,message", GRID_SAMPLE_ERRORS)
def test_grid_sample_errors(fn, exc, message):
    assert_raises(fn, exc, message)


@pytest.mark.parametrize("fn,exc,message", GRID_SAMPLE_ERRORS)
def test_grid_sample_errors_match_torch(torch, fn, exc, message):
    assert_raises(lambda: _torch_call(torch, fn), exc, message)


def _torch_call(torch, fn):
    """Re-run an error lambda with torch: autodiff's zeros/dtypes/functional swapped for torch's."""
    env = {**fn.__globals__, "F": torch.nn.functional, "autodiff": torch,
           "_t": lambda *s, dtype=torch.float64: torch.zeros(*s, dtype=dtype)}
    return type(fn)(fn.__code__, env)()


# ---- affine_grid --------------------------------------------------------------------------------
@pytest.mark.parametrize("size,align", list(itertools.product(
    [(2, 3, 4, 5), (2, 1, 1, 3), (2, 3, 2, 3, 4)], [False, True])))
def test_affine_grid_matches_torch(torch, size, align):
    k = len(size) - 2
    th = np.random.default_rng(7).standard_normal((size[0], k, k + 1))
    (a,), (ta,) = _leaves(th), _torch_leaves(torch, th)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                 # the unit-size warning
        y = F.affine_grid(a, size, align_corners=align)
        ty = torch.nn.functional.affine_grid(ta, size, align_corners=align)
    assert_close(y, ty, rtol=1e-13, atol=1e-14)
    assert grad_fn_name(y) == grad_fn_name(ty) == "AffineGridGeneratorBackward0"
    up = np.random.default_rng(8).standard_normal(tuple(ty.shape))
    y.backward(autodiff.tensor(up))
    ty.backward(torch.tensor(up))
    assert_close(a.grad, ta.grad, rtol=1e-12, atol=1e-12)


def test_affine_grid_float32_matches_torch(torch):
    th = np.random.default_rng(9).standard_normal((1, 2, 3)).astype(np.float32)
    y = F.affine_grid(autodiff.tensor(th), (1, 1, 7, 6), align_corners=False)
    ty = torch.nn.functional.affine_grid(torch.tensor(th), (1, 1, 7, 6), align_corners=False)
    assert_close(y, ty, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("size", [(2, 1, 3, 4), (1, 1, 2, 3, 2)])
def test_affine_grid_gradcheck(size):
    k = len(size) - 2
    theta = _leaves(np.random.default_rng(10).standard_normal((size[0], k, k + 1)))
    fn = lambda t: F.affine_grid(t, size, align_corners=False)
    assert gradcheck(fn, theta)
    assert gradgradcheck(fn, theta)


def test_spatial_transformer_gradcheck():
    """affine_grid feeding grid_sample: gradients reach theta through the grid."""
    rng = np.random.default_rng(11)
    x, theta = rng.standard_normal((1, 2, 4, 4)), np.eye(2, 3)[None] + 0.2 * rng.standard_normal((1, 2, 3))
    fn = lambda a, t: F.grid_sample(a, F.affine_grid(t, (1, 2, 3, 3), align_corners=False),
                                    align_corners=False)
    assert gradcheck(fn, _leaves(x, theta))


def test_affine_grid_unit_size_warning():
    with pytest.warns(UserWarning, match="changed for unit-size grids"):
        F.affine_grid(_t(1, 2, 3), (1, 1, 1, 3), align_corners=True)


AFFINE_ERRORS = [
    (lambda: F.affine_grid(_t(2, 3, 3), (2, 3, 4, 5), align_corners=False), ValueError,
     "Expected a batch of 2D affine matrices of shape Nx2x3 for size (2, 3, 4, 5). Got "),
    (lambda: F.affine_grid(_t(2, 2, 3), (2, 3, 4, 5, 6), align_corners=False), ValueError,
     "Expected a batch of 3D affine matrices of shape Nx3x4 for size (2, 3, 4, 5, 6). Got "),
    (lambda: F.affine_grid(_t(2, 2, 3, 1), (2, 3, 4, 5), align_corners=False), ValueError,
     "Expected a batch of 2D affine matrices of shape Nx2x3"),
    (lambda: F.affine_grid(_t(2, 2, 3, dtype=autodiff.int32), (2, 3, 4, 5), align_corners=False),
     ValueError, "Expected theta to have floating point type, but got "),
    (lambda: F.affine_grid(_t(2, 2, 3), (2, 3, 4), align_corners=False), NotImplementedError,
     "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. "
     "Got size (2, 3, 4)."),
    (lambda: F.affine_grid(_t(2, 2, 3), (2, 3, 0, 5), align_corners=False), ValueError,
     "Expected non-zero, positive output size. Got (2, 3, 0, 5)"),
    (lambda: F.affine_grid(_t(2, 2, 3), (3, 3, 4, 5), align_corners=False), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [3, 3] but got: [2, 3]."),
    (lambda: F.affine_grid(_t(3, 3, 4), (2, 1, 3, 4, 5), align_corners=False), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [3, 4]."),
]


@pytest.mark.parametrize("fn,exc,message", AFFINE_ERRORS)
def test_affine_grid_errors(fn, exc, message):
    assert_raises(fn, exc, message)


@pytest.mark.parametrize("fn,exc,message", AFFINE_ERRORS)
def test_affine_grid_errors_match_torch(torch, fn, exc, message):
    assert_raises(lambda: _torch_call(torch, fn), exc, message)


# ---- gumbel_softmax -----------------------------------------------------------------------------
def test_gumbel_softmax_rows_are_distributions():
    logits = autodiff.randn(4, 5, 3, dtype=autodiff.float64)
    for dim in (-1, 1):
        y = F.gumbel_softmax(logits, tau=0.7, dim=dim)
        assert (y.numpy() > 0).all()
        np.testing.assert_allclose(y.sum(dim).numpy(), 1.0, rtol=1e-12)


def test_gumbel_softmax_is_reproducible_with_manual_seed():
    logits = autodiff.randn(3, 6)
    autodiff.manual_seed(123)
    first = F.gumbel_softmax(logits).numpy()
    autodiff.manual_seed(123)
    again = F.gumbel_softmax(logits).numpy()
    other = F.gumbel_softmax(logits).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_gumbel_softmax_hard_is_one_hot_with_the_soft_gradient():
    logits = autodiff.randn(5, 4, dtype=autodiff.float64, requires_grad=True)
    up = autodiff.randn(5, 4, dtype=autodiff.float64)
    autodiff.manual_seed(7)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    (hard * up).sum().backward()
    hard_grad, logits.grad = logits.grad, None
    autodiff.manual_seed(7)
    soft = F.gumbel_softmax(logits, tau=0.5)
    (soft * up).sum().backward()
    h = hard.detach().numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and (h.sum(-1) == 1).all()
    np.testing.assert_array_equal(h.argmax(-1), soft.detach().numpy().argmax(-1))
    assert_close(hard_grad, logits.grad, rtol=1e-12, atol=1e-12)
    assert np.abs(hard_grad.numpy()).max() > 0


def test_gumbel_softmax_samples_follow_the_softmax():
    """The argmax of logits + Gumbel noise is a sample of softmax(logits) (the Gumbel-max trick)."""
    logits = autodiff.tensor([[1.0, 0.0, -1.0]]).expand(40000, 3)
    counts = np.bincount(F.gumbel_softmax(logits, hard=True).numpy().argmax(-1), minlength=3)
    p = np.exp([1.0, 0.0, -1.0]) / np.exp([1.0, 0.0, -1.0]).sum()
    np.testing.assert_allclose(counts / 40000, p, atol=0.01)


def test_gumbel_softmax_grad_fn_names_and_warning(torch):
    for hard in (False, True):
        ours = F.gumbel_softmax(autodiff.randn(2, 3, requires_grad=True), hard=hard)
        theirs = torch.nn.functional.gumbel_softmax(torch.randn(2, 3, requires_grad=True),
                                                    hard=hard)
        assert grad_fn_name(ours) == grad_fn_name(theirs)
        assert ours.dtype.name == str(theirs.dtype).split(".")[1]
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated and has no effect."):
        F.gumbel_softmax(autodiff.randn(2, 3), eps=1e-3)


def test_gumbel_softmax_integer_logits_error():
    assert_raises(lambda: F.gumbel_softmax(autodiff.arange(6).reshape(2, 3)), RuntimeError,
                  "Exponential distribution is a continuous probability distribution. dtype must "
                  "be a floating point but you specified Long")


# ---- the CUDA code path -------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_grid_sample_simulated_cuda(mode):
    cpu_vs_simulated_cuda(lambda x, g: F.grid_sample(x, g, mode, "reflection", False),
                          (2, 2, 4, 3), (2, 3, 2, 2))


def test_grid_sample_3d_and_affine_grid_simulated_cuda():
    cpu_vs_simulated_cuda(lambda x, g: F.grid_sample(x, g, "bilinear", "border", True),
                          (1, 2, 3, 2, 3), (1, 2, 2, 1, 3))
    cpu_vs_simulated_cuda(lambda t: F.affine_grid(t, (2, 1, 3, 4), align_corners=False),
                          (2, 2, 3))


def test_gumbel_softmax_simulated_cuda():
    import _fake_cupy
    with _fake_cupy.simulated():
        logits = autodiff.randn(3, 4, device="cuda", requires_grad=True)
        y = F.gumbel_softmax(logits, hard=True)
        assert y.device.type == "cuda"
        y.sum().backward()
        np.testing.assert_allclose(y.detach().sum(-1).cpu().numpy(), 1.0)
        assert logits.grad.device.type == "cuda"
