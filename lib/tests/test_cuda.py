"""The CUDA device: error paths without a GPU, and every op family compared with the CPU.

Three kinds of tests:

- *no GPU* tests run everywhere (CuPy is hidden from autodiff for them, even on a GPU machine):
  asking for ``cuda`` raises a clear RuntimeError, ``autodiff.cuda`` answers honestly.
- *simulated* tests (``sim``) run the whole CUDA code path on ``_fake_cupy``, a strict NumPy
  stand-in for CuPy: they catch code that computes on tensor data with a hard-coded ``numpy``.
- *GPU* tests (``cuda``, marked ``gpu``) run the same tables on a real CUDA device, comparing
  values and gradients with the CPU: ``pytest lib/tests/test_cuda.py -m gpu``. They are
  skipped where no CUDA device answers.
"""
import copy
import functools
import io
import types
import zlib

import numpy as np
import pytest

import autodiff
import autodiff.nn as nn
import autodiff.nn.functional as F
from autodiff import backend
from autodiff.utils.data import DataLoader, TensorDataset

import _fake_cupy

REAL_CUDA = backend.cuda_available()


@pytest.fixture(params=["sim", pytest.param("cuda", marks=[pytest.mark.gpu, pytest.mark.skipif(
    not REAL_CUDA, reason="CUDA not available (needs CuPy and an NVIDIA GPU)")])])
def dev(request):
    """The CUDA device to test on: simulated by NumPy (everywhere) or a real GPU."""
    if request.param == "sim":
        with _fake_cupy.simulated():
            yield "cuda"
    else:
        yield "cuda"


@pytest.fixture
def no_gpu():
    """A machine without CuPy (CI, most laptops)."""
    with _fake_cupy.absent():
        yield


# =================================================================================================
# Without a GPU: honest answers and clear errors
# =================================================================================================
def test_cuda_module_without_gpu(no_gpu):
    assert autodiff.cuda.is_available() is False
    assert autodiff.cuda.device_count() == 0
    autodiff.cuda.empty_cache()                 # a no-op, as in torch
    autodiff.cuda.manual_seed(0)                # remembered for later, as in torch
    for fn in (autodiff.cuda.current_device, autodiff.cuda.synchronize,
               autodiff.cuda.memory_allocated, autodiff.cuda.get_device_name):
        with pytest.raises(RuntimeError, match="CuPy is not installed"):
            fn()


@pytest.mark.parametrize("make", [
    lambda: autodiff.zeros(2, device="cuda"),
    lambda: autodiff.ones(2, 3, device="cuda:0"),
    lambda: autodiff.full((2,), 1.5, device="cuda"),
    lambda: autodiff.tensor([1.0, 2.0], device="cuda"),
    lambda: autodiff.arange(4, device="cuda"),
    lambda: autodiff.linspace(0, 1, 5, device="cuda"),
    lambda: autodiff.eye(3, device="cuda"),
    lambda: autodiff.rand(2, device="cuda"),
    lambda: autodiff.randn(2, device=autodiff.device("cuda", 0)),
    lambda: autodiff.randint(0, 5, (3,), device="cuda"),
    lambda: autodiff.randperm(4, device="cuda"),
    lambda: autodiff.zeros_like(autodiff.zeros(2), device="cuda"),
    lambda: autodiff.empty(2, device=0),
    lambda: autodiff.FloatTensor(2, device="cuda"),
], ids=["zeros", "ones", "full", "tensor", "arange", "linspace", "eye", "rand", "randn",
        "randint", "randperm", "zeros_like", "empty-int-device", "FloatTensor"])
def test_creation_on_cuda_without_gpu_raises(no_gpu, make):
    with pytest.raises(RuntimeError, match=r"Cannot use device 'cuda:0': CUDA is not available"):
        make()


def test_moving_to_cuda_without_gpu_raises(no_gpu):
    t = autodiff.ones(2, requires_grad=True)
    for move in (lambda: t.to("cuda"), lambda: t.cuda(), lambda: t.to(autodiff.device("cuda")),
                 lambda: t.to("cuda:1", autodiff.float64)):
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            move()
    assert t.to("cpu") is t and t.cpu() is t


def test_module_to_cuda_without_gpu_raises_and_leaves_the_module(no_gpu):
    model = nn.Linear(3, 2)
    before = model.weight
    for move in (lambda: model.to("cuda"), lambda: model.cuda()):
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            move()
    assert model.weight is before and model.weight.device.type == "cpu"


def test_loading_cuda_tensors_without_gpu_needs_map_location(no_gpu):
    buf = io.BytesIO()
    with _fake_cupy.simulated():
        autodiff.save({"w": autodiff.arange(3.0, device="cuda")}, buf)
    buf.seek(0)
    with pytest.raises(RuntimeError, match="map_location=autodiff.device\\('cpu'\\)"):
        autodiff.load(buf)
    for where in ("cpu", autodiff.device("cpu"), {"cuda:0": "cpu"}, lambda t, loc: t):
        buf.seek(0)
        w = autodiff.load(buf, map_location=where)["w"]
        assert w.device.type == "cpu" and w.tolist() == [0.0, 1.0, 2.0]


def _cupy_like(get_count):
    runtime = types.SimpleNamespace(getDeviceCount=get_count)
    return types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime))


def _raise_no_driver():
    raise RuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient")


@pytest.mark.parametrize("fake, available", [
    (_cupy_like(_raise_no_driver), False),      # CuPy imports, but no driver answers
    (_cupy_like(lambda: 0), False),             # CuPy imports, the driver sees no device
    (None, False),                              # CuPy is not installed
    (_cupy_like(lambda: 2), True),              # two devices answer
], ids=["driver-error", "no-device", "no-cupy", "two-devices"])
def test_available_means_a_device_answers(fake, available):
    with _fake_cupy.replaced({"cupy": fake}):
        assert autodiff.cuda.is_available() is available
        assert autodiff.cuda.device_count() == (2 if available else 0)


def test_device_objects():
    d = autodiff.device("cuda:0")
    assert (str(d), repr(d)) == ("cuda:0", "device(type='cuda', index=0)")
    assert repr(autodiff.device("cuda")) == "device(type='cuda')"
    assert autodiff.device("cuda", 1) == "cuda:1" == autodiff.device(1)
    assert d.type == "cuda" and d.index == 0 and autodiff.device(d) == d
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda, .* device type"):
        autodiff.device("gpu")
    with pytest.raises(RuntimeError, match="Invalid device string: 'cuda:x'"):
        autodiff.device("cuda:x")


def test_data_parallel_without_gpu_is_the_module(no_gpu):
    inner = nn.Linear(3, 2)
    model = nn.DataParallel(inner)
    assert model.module is inner and model.device_ids == []
    x = autodiff.randn(4, 3)
    assert autodiff.equal(model(x), inner(x))
    assert list(model.state_dict()) == ["module.weight", "module.bias"]
    assert repr(model) == ("DataParallel(\n  (module): Linear(in_features=3, out_features=2, "
                           "bias=True)\n)")
    assert nn.parallel.DataParallel is nn.DataParallel


# =================================================================================================
# On a CUDA device (simulated or real): the same values and gradients as on the CPU
# =================================================================================================
def _f(*shape):
    return lambda rng: rng.standard_normal(shape)


def _pos(*shape):
    return lambda rng: rng.uniform(0.5, 2.0, shape)


def _int(high, *shape):
    return lambda rng: rng.integers(0, high, shape)


def _spd(n):
    def make(rng):
        a = rng.standard_normal((n, n))
        return a @ a.T + n * np.eye(n)
    return make


def _mask(*shape):
    return lambda rng: rng.random(shape) < 0.5


IDX = np.array([2, 0, 2, 1])                # repeated indices: gradients must accumulate

# (id, fn of the input tensors, input makers); floating inputs require grad
OPS = [
    # elementwise
    ("add-broadcast", lambda a, b: a + b * 2 - 1, _f(3, 4), _f(4)),
    ("mul-div-pow", lambda a, b: a * b / (b.abs() + 1) ** 1.5, _f(3, 4), _f(3, 1)),
    ("unary", lambda a: a.exp() + a.abs().log1p() + a.tanh() + a.sigmoid() + a.sin()
     + (a * a + 1).sqrt() + a.erf() + F.gelu(a), _f(2, 5)),
    ("special", lambda a, b: a.erfc() + (a * 0.4).erfinv() + a.lgamma() + b.digamma()
     + b.polygamma(1) + a.sinc() + autodiff.xlogy(b, b) + (b * 0.2).logit(0.05) + a.deg2rad(),
     _f(2, 5), _pos(2, 5)),
    ("binary-named", lambda a, b: autodiff.fmax(a, b) + autodiff.fmin(a, b) + a.hypot(b)
     + a.lerp(b, 0.3) + a.lerp(b, b.sigmoid()) + a.copysign(b) + a.nan_to_num()
     + autodiff.dist(a, b, 3), _f(3, 4), _f(4)),
    ("where-clamp", lambda a, b: autodiff.where(a > 0, a, b * 2).clamp(-1.0, 1.5), _f(3, 4),
     _f(3, 4)),
    ("max-min", lambda a, b: autodiff.maximum(a, b) + 2 * autodiff.minimum(a, b), _f(5), _f(5)),
    ("compare-logical", lambda a, b: ((a > b) & (a < 1)) | (b == b.max()), _f(3, 3), _f(3, 3)),
    ("int-arith", lambda i: ((i * 3 + 1) // 2 % 5, i.to(autodiff.int8) + 1000, i.float() / 3),
     _int(50, 6)),
    ("activations", lambda a, w: F.relu(a) + F.leaky_relu(a, 0.1) + F.elu(a) + F.softplus(a)
     + F.hardtanh(a) + F.silu(a) + F.mish(a) + F.prelu(a, w), _f(2, 3, 4), _pos(3)),
    # reductions
    ("sum-mean-var", lambda a: a.sum(1, keepdim=True) + a.mean() + a.var(0) + a.std(1, keepdim=True)
     + a.prod(1, keepdim=True), _f(3, 4)),
    ("max-dim", lambda a: a.max(dim=1), _f(4, 5)),
    ("amax-argmax", lambda a: (a.amax(0), a.argmax(1), a.min()), _f(4, 5)),
    ("logsumexp-softmax", lambda a: (a.logsumexp(1), F.softmax(a, 1), F.log_softmax(a, 0)),
     _f(3, 4)),
    ("cumsum-cumprod", lambda a: (a.cumsum(1), a.cumprod(0)), _f(3, 4)),
    ("norms", lambda a: (a.norm(), a.norm(p=1, dim=1), autodiff.linalg.vector_norm(a, 3, 0)),
     _f(3, 4)),
    ("topk-sort", lambda a: (*a.topk(2, dim=1), *a.sort(dim=0, descending=True)), _f(4, 5)),
    # indexing and scatter
    ("getitem", lambda a, m: (a[IDX], a[:, 1:3], a[m], a[[0, 2], [1, 3]], a[..., -1]),
     _f(3, 4), _mask(3, 4)),
    ("index-select-gather", lambda a, i: (a.index_select(0, autodiff.tensor(IDX, device=a.device)),
                                          a.gather(1, i)), _f(3, 4), _int(4, 3, 5)),
    ("scatter-add", lambda src, i: autodiff.zeros(3, 4, device=src.device, dtype=src.dtype)
     .scatter_add(0, i, src), _f(5, 4), _int(3, 5, 4)),
    ("scatter-add-int", lambda src, i: autodiff.zeros(3, 4, device=src.device,
                                                      dtype=autodiff.int64).scatter_add(0, i, src),
     _int(9, 5, 4), _int(3, 5, 4)),
    ("index-add-put", lambda a, v: (a.index_add(0, autodiff.tensor(IDX, device=a.device), v),
                                    a.index_put((autodiff.tensor(IDX, device=a.device),), v,
                                                accumulate=True)), _f(3, 2), _f(4, 2)),
    ("masked", lambda a, m: (a.masked_fill(m, 0.5), a.masked_select(m), a.nonzero()),
     _f(3, 4), _mask(3, 4)),
    ("setitem", lambda a, v: _setitem(a, v), _f(4, 3), _f(2, 3)),
    ("embedding", lambda w: F.embedding(autodiff.tensor([[1, 3, 1], [0, 1, 1]],
                                                        device=w.device), w), _f(4, 3)),
    ("one-hot-unique", lambda i: (F.one_hot(i, 5), *autodiff.unique(i, return_counts=True)),
     _int(5, 7)),
    # shapes
    ("cat-stack-split", lambda a, b: (autodiff.cat([a, b], 0), autodiff.stack([a, b], 2),
                                      *a.split([1, 2], 0)), _f(3, 4), _f(3, 4)),
    ("view-permute", lambda a: (a.permute(2, 0, 1).reshape(4, -1), a.transpose(0, 1).flip(0),
                                a.roll(1, 2), a.unfold(2, 2, 1), a.expand(2, 2, 3, 4)),
     _f(2, 3, 4)),
    ("tril-diag-pad", lambda a: (a.tril(), a.diagonal(), F.pad(a, (1, 2)),
                                 F.pad(a[None], (1, 1, 2, 0), mode="reflect")), _f(4, 4)),
    # matmul and linear algebra
    ("matmul", lambda a, b, c: (a @ b, autodiff.bmm(c, c.transpose(1, 2)), c @ b), _f(3, 4),
     _f(4, 2), _f(2, 3, 4)),
    ("einsum-linear", lambda a, b, w: (autodiff.einsum("bij,bjk->bik", a, b),
                                       F.linear(a, w, w[:, 0])), _f(2, 3, 4), _f(2, 4, 2),
     _f(4, 4)),
    ("linalg", lambda s, b: (autodiff.linalg.inv(s), autodiff.linalg.det(s),
                             autodiff.linalg.solve(s, b), autodiff.linalg.cholesky(s)),
     _spd(3), _f(3, 2)),
    # convolution and pooling
    ("conv2d", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, dilation=1),
     _f(2, 3, 7, 7), _f(4, 3, 3, 3), _f(4)),
    ("conv-groups-1d-transpose", lambda x, w, v, u: (F.conv2d(x, w, groups=2, padding="same"),
                                                     F.conv1d(x[:, :, 0], v),
                                                     F.conv_transpose2d(x, u, stride=2)),
     _f(1, 4, 5, 5), _f(4, 2, 3, 3), _f(3, 4, 2), _f(4, 2, 2, 2)),
    ("max-pool", lambda x: (F.max_pool2d(x, 2), F.max_pool2d(x, 3, stride=2, padding=1,
                                                             return_indices=True)[0],
                            F.adaptive_max_pool2d(x, 2)), _f(2, 3, 6, 6)),
    ("avg-pool", lambda x: (F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True,
                                         count_include_pad=False), F.adaptive_avg_pool2d(x, 3),
                            F.avg_pool1d(x[0], 2)), _f(2, 3, 7, 7)),
    ("interpolate-fold", lambda x: (F.interpolate(x, scale_factor=2, mode="nearest"),
                                    F.interpolate(x, size=(7, 5), mode="bilinear"),
                                    F.unfold(x, 2), F.pixel_shuffle(x[:, :4], 2)),
     _f(1, 4, 4, 4)),
    # normalization, losses, attention
    ("norm-layers", lambda x, w, b: (F.batch_norm(x, None, None, w, b, training=True),
                                     F.layer_norm(x, (5, 5)), F.group_norm(x, 2, w, b),
                                     F.instance_norm(x)), _f(2, 4, 5, 5), _pos(4), _f(4)),
    ("cross-entropy", lambda x, y, w: (F.cross_entropy(x, y), F.cross_entropy(   # torch: a
        x, y, weight=w.detach(), ignore_index=2),                   # weight may not require grad
                                       F.cross_entropy(x, y, label_smoothing=0.1),
                                       F.nll_loss(F.log_softmax(x, 1), y, reduction="sum")),
     _f(6, 4), _int(4, 6), _pos(4)),
    ("regression-losses", lambda a, b, p: (F.mse_loss(a, b), F.l1_loss(a, b), F.smooth_l1_loss(
        a, b), F.huber_loss(a, b), F.binary_cross_entropy(a.sigmoid(), p),
        F.binary_cross_entropy_with_logits(a, p, pos_weight=p[0] + 1),
        F.kl_div(F.log_softmax(a, 1), p.softmax(1), reduction="batchmean")),
     _f(3, 4), _f(3, 4), lambda rng: rng.uniform(0.1, 0.9, (3, 4))),
    ("attention", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
     _f(2, 3, 4), _f(2, 3, 4), _f(2, 3, 4)),
]


def _setitem(a, v):
    out = a.clone()
    out[1:3] = v
    out[autodiff.tensor([0], device=a.device)] = v[0] * 3
    return out


def _weight_like(out):
    """A fixed, non-uniform upstream gradient, made on ``out``'s device."""
    n = max(out.numel(), 1)
    return autodiff.arange(n, dtype=out.dtype, device=out.device).reshape(out.shape).cos()


def _outputs(out):
    if isinstance(out, autodiff.Tensor):
        return [out]
    return [o for o in out if isinstance(o, autodiff.Tensor)]


def _run(fn, arrays, device):
    """Values of the outputs and gradients of the inputs of ``fn``, as numpy arrays."""
    inputs = [autodiff.tensor(a, device=device, requires_grad=a.dtype.kind == "f")
              for a in arrays]
    outs = _outputs(fn(*inputs))
    for o in outs:
        assert o.device.type == device, f"an output stayed on {o.device}"
    loss = _total((o * _weight_like(o)).sum() for o in outs if o.requires_grad)
    if loss is not None:
        loss.backward()
    grads = [None if t.grad is None else t.grad.cpu().numpy() for t in inputs]
    for t in inputs:
        if t.grad is not None:
            assert t.grad.device == t.device
    return [o.detach().cpu().numpy() for o in outs], grads


def _total(values):
    total = None
    for v in values:
        total = v if total is None else total + v
    return total


def _assert_same(got, expected, what):
    assert len(got) == len(expected), what
    for k, (g, e) in enumerate(zip(got, expected)):
        if e is None:
            assert g is None, f"{what} {k}: expected None"
            continue
        assert g.shape == e.shape and g.dtype == e.dtype, f"{what} {k}: {g.shape} {g.dtype}"
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-9, err_msg=f"{what} {k}")


@pytest.mark.parametrize("name, fn, makers", [(c[0], c[1], c[2:]) for c in OPS],
                         ids=[c[0] for c in OPS])
def test_op_matches_cpu(dev, name, fn, makers):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    arrays = [make(rng) for make in makers]
    cpu_values, cpu_grads = _run(fn, arrays, "cpu")
    values, grads = _run(fn, arrays, dev)
    _assert_same(values, cpu_values, "output")
    _assert_same(grads, cpu_grads, "gradient of input")


# ---- layers: outputs, input and parameter gradients, buffers ------------------------------------
LAYERS = [
    ("linear-bilinear", lambda: nn.ModuleList([nn.Linear(5, 3), nn.Bilinear(5, 5, 2)]),
     lambda m, x: (m[0](x), m[1](x, x)), _f(4, 5)),
    ("conv", lambda: nn.ModuleList([nn.Conv1d(3, 4, 3, padding=1), nn.Conv2d(3, 4, 3, 2, 1),
                                    nn.ConvTranspose2d(3, 2, 3, stride=2), nn.Conv3d(3, 2, 2)]),
     lambda m, x: (m[0](x[:, :, 0, 0]), m[1](x[:, :, 0]), m[2](x[:, :, 0]), m[3](x)),
     _f(2, 3, 4, 5, 5)),
    ("batchnorm-train", lambda: nn.ModuleList([nn.BatchNorm1d(5), nn.BatchNorm2d(3)]),
     lambda m, x, y: (m[0](x), m[1](y)), _f(6, 5), _f(4, 3, 3, 3)),
    ("batchnorm-eval", lambda: nn.BatchNorm2d(3, momentum=None).eval(), None, _f(4, 3, 3, 3)),
    ("norms", lambda: nn.ModuleList([nn.LayerNorm(5), nn.GroupNorm(2, 4), nn.RMSNorm(5),
                                     nn.InstanceNorm2d(4, affine=True)]),
     lambda m, x: (m[0](x), m[1](x), m[2](x), m[3](x)), _f(2, 4, 5, 5)),
    ("pooling", lambda: nn.ModuleList([nn.MaxPool2d(2), nn.AvgPool2d(3, 2, 1),
                                       nn.AdaptiveAvgPool2d((2, 3)), nn.AdaptiveMaxPool2d(2),
                                       nn.LPPool2d(2, 2), nn.MaxPool1d(3, 2)]),
     lambda m, x: (*(p(x) for p in m[:5]), m[5](x[0])), _f(2, 3, 6, 6)),
    ("resample-pad", lambda: nn.ModuleList([nn.Upsample(scale_factor=2, mode="bilinear"),
                                            nn.Upsample(size=(5, 7), mode="nearest"),
                                            nn.PixelShuffle(2), nn.ReflectionPad2d(1),
                                            nn.ReplicationPad2d(2), nn.CircularPad2d(1),
                                            nn.Unfold(2), nn.Fold((3, 3), 2)]),
     lambda m, x: (*(p(x) for p in m[:6]), m[7](m[6](x))), _f(1, 4, 3, 3)),
    ("embedding", lambda: nn.Embedding(6, 3, padding_idx=0), None,
     lambda rng: np.array([[1, 0, 5], [5, 5, 2]])),
    ("attention", lambda: nn.MultiheadAttention(8, 2, batch_first=True),
     lambda m, x: m(x, x, x, need_weights=True), _f(2, 4, 8)),
    ("cells", lambda: nn.ModuleList([nn.LSTMCell(3, 4), nn.GRUCell(3, 4), nn.RNNCell(3, 4)]),
     lambda m, x: (*m[0](x), m[1](x), m[2](x)), _f(2, 3)),
    ("activations", lambda: nn.Sequential(nn.PReLU(), nn.GELU(), nn.Softmax(1), nn.LogSoftmax(0),
                                          nn.Dropout(0.3).eval()), None, _f(3, 4)),
    ("losses", lambda: nn.ModuleList([nn.CrossEntropyLoss(weight=autodiff.rand(4) + 0.5),
                                      nn.NLLLoss(ignore_index=1), nn.BCEWithLogitsLoss(
                                          pos_weight=autodiff.rand(4) + 0.5)]),
     lambda m, x, y: (m[0](x, y), m[1](x.log_softmax(1), y), m[2](x, x.sigmoid().detach())),
     _f(5, 4), _int(4, 5)),
]


@pytest.mark.parametrize("name, make, call, makers", [(c[0], c[1], c[2], c[3:]) for c in LAYERS],
                         ids=[c[0] for c in LAYERS])
def test_layer_matches_cpu(dev, name, make, call, makers):
    autodiff.manual_seed(0)
    cpu = make().double()
    gpu = copy.deepcopy(cpu).to(dev)
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    arrays = [make_input(rng) for make_input in makers]
    results = []
    for model, where in ((cpu, "cpu"), (gpu, dev)):
        fn = model if call is None else functools.partial(call, model)
        values, grads = _run(fn, arrays, where)
        params = [None if p.grad is None else p.grad.cpu().numpy() for p in model.parameters()]
        buffers = [b.cpu().numpy() for b in model.buffers()]
        assert all(t.device.type == where for t in (*model.parameters(), *model.buffers()))
        results.append((values, grads, params, buffers))
    for what, got, expected in zip(("output", "input gradient", "parameter gradient", "buffer"),
                                   results[1], results[0]):
        _assert_same(got, expected, what)


def test_two_devices_are_kept_apart():
    with _fake_cupy.simulated(device_count=2):
        a = autodiff.ones(3, device="cuda:0")
        b = autodiff.tensor([1.0, 2.0, 3.0], device="cuda:1")
        assert b.device == autodiff.device("cuda:1") and a.to("cuda:1").device == b.device
        assert b.to("cuda:0").device == a.device and b.to("cuda:0").tolist() == b.tolist()
        with pytest.raises(RuntimeError, match="found at least two devices, cuda:0 and cuda:1"):
            a + b
        with pytest.raises(RuntimeError, match="found at least two devices, cuda:1 and cuda:0"):
            b @ a


# ---- operands on different devices --------------------------------------------------------------
MIXED = [
    ("add", lambda g, c: g + c),
    ("mul-inplace", lambda g, c: g.mul_(c)),
    ("maximum", lambda g, c: autodiff.maximum(g, c)),
    ("matmul", lambda g, c: g @ c),
    ("mm", lambda g, c: autodiff.mm(g, c)),
    ("bmm", lambda g, c: autodiff.bmm(g[None], c[None])),
    ("einsum", lambda g, c: autodiff.einsum("ij,jk->ik", g, c)),
    ("cat", lambda g, c: autodiff.cat([g, c])),
    ("stack", lambda g, c: autodiff.stack([g, c])),
    ("where-cond", lambda g, c: autodiff.where(c > 0, g, g)),
    ("where-other", lambda g, c: autodiff.where(g > 0, g, c)),
    ("index-select", lambda g, c: g.index_select(0, c.long().abs() % 3)),
    ("gather", lambda g, c: g.gather(1, c.long().abs() % 3)),
    ("scatter-add", lambda g, c: g.scatter_add(0, c.long().abs() % 3, g)),
    ("masked-fill", lambda g, c: g.masked_fill(c > 0, 0.0)),
    ("cross-entropy", lambda g, c: F.cross_entropy(g, c.long().abs()[:, 0] % 3)),
    ("mse-loss", lambda g, c: F.mse_loss(g, c)),
    ("linear", lambda g, c: F.linear(g, c)),
    ("embedding", lambda g, c: F.embedding(c.long().abs() % 3, g)),
    ("conv2d", lambda g, c: F.conv2d(g[None, None], c[None, None])),
    ("batch-norm", lambda g, c: F.batch_norm(g, c[0], c[1].abs(), training=False)),
    ("linalg-solve", lambda g, c: autodiff.linalg.solve(g + 3 * autodiff.eye(3, device=g.device),
                                                        c)),
]


@pytest.mark.parametrize("fn", [pytest.param(fn, id=name) for name, fn in MIXED])
def test_operands_on_different_devices_raise(dev, fn):
    g = autodiff.randn(3, 3, device=dev)
    c = autodiff.randn(3, 3)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device") as e:
        fn(g, c)
    assert "cuda:0" in str(e.value) and "cpu" in str(e.value)


def test_what_torch_allows_across_devices(dev):
    """A 0-dim CPU tensor meets a CUDA tensor; CPU indices index a CUDA tensor; copies cross."""
    g = autodiff.arange(6.0, device=dev).reshape(2, 3)
    assert (g * autodiff.tensor(2.0)).device == g.device
    assert g[autodiff.tensor([1, 0])].tolist() == [[3.0, 4.0, 5.0], [0.0, 1.0, 2.0]]
    assert g[autodiff.tensor([[True, False, True], [False, True, False]])].tolist() == \
        [0.0, 2.0, 4.0]
    g[0] = autodiff.tensor([7.0, 8.0, 9.0])
    g[1].copy_(autodiff.tensor([1.0, 1.0, 1.0]))
    assert g.tolist() == [[7.0, 8.0, 9.0], [1.0, 1.0, 1.0]] and g.is_cuda


def test_module_on_gpu_with_input_on_cpu_raises(dev):
    for model, x in ((nn.Linear(3, 2), autodiff.randn(4, 3)),
                     (nn.LSTM(3, 2, batch_first=True), autodiff.randn(1, 4, 3)),
                     (nn.Conv2d(1, 2, 3), autodiff.randn(1, 1, 5, 5))):
        model.to(dev)
        with pytest.raises(RuntimeError):
            model(x)


# ---- tensors, modules, optimizers, data, files, random numbers on the device --------------------
def test_tensor_device_api(dev):
    t = autodiff.tensor([[1.5, 2.0]], device=dev)
    assert t.is_cuda and not t.is_cpu and t.device == autodiff.device("cuda:0")
    assert str(t.device) == "cuda:0" and t.get_device() == 0
    assert repr(t) == "tensor([[1.5000, 2.0000]], device='cuda:0')"
    assert t.type() == "autodiff.cuda.FloatTensor"
    with pytest.raises(TypeError, match=r"can't convert cuda:0 device type tensor to numpy\. "
                                        r"Use Tensor\.cpu\(\) to copy the tensor"):
        t.numpy()
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        np.asarray(t)
    back = t.cpu()
    assert back.device.type == "cpu" and back.numpy().tolist() == [[1.5, 2.0]]
    assert t.to("cuda") is t and t.cuda() is t and t.to(t) is t
    assert t.to("cpu", autodiff.float64).dtype == autodiff.float64
    assert t.tolist() == [[1.5, 2.0]] and t.sum().item() == 3.5 and float(t[0, 1]) == 2.0


def test_to_device_is_differentiable(dev):
    x = autodiff.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x.to(dev)
    assert y.grad_fn.name() == "ToCopyBackward0" and y.is_cuda
    (y * y).sum().backward()
    assert x.grad.device.type == "cpu" and x.grad.tolist() == [2.0, -4.0, 6.0]
    z = autodiff.tensor([1.0, 2.0], device=dev, requires_grad=True)
    z.cpu().sum().backward()
    assert z.grad.is_cuda and z.grad.tolist() == [1.0, 1.0]


def _cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.0), nn.Linear(4 * 4 * 4, 3))


def test_module_to_moves_parameters_and_buffers_in_place(dev):
    autodiff.manual_seed(0)
    model = _cnn()
    params = list(model.parameters())
    model(autodiff.randn(2, 1, 8, 8)).sum().backward()
    assert model.to(dev) is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    assert all(p.is_cuda and p.grad.is_cuda for p in model.parameters())
    assert all(b.is_cuda for b in model.buffers())
    assert isinstance(model[0].weight, nn.Parameter) and model[0].weight.requires_grad
    model.cpu()
    assert all(p.device.type == "cpu" and p.grad.device.type == "cpu" for p in params)
    model.cuda()
    assert all(t.is_cuda for t in (*model.parameters(), *model.buffers()))


@pytest.mark.parametrize("make_opt", [
    lambda p: autodiff.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    lambda p: autodiff.optim.Adam(p, lr=0.01, amsgrad=True),
    lambda p: autodiff.optim.AdamW(p, lr=0.01),
    lambda p: autodiff.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    lambda p: autodiff.optim.Adagrad(p, lr=0.1),
    lambda p: autodiff.optim.Rprop(p, lr=0.01),
    lambda p: autodiff.optim.ASGD(p, lr=0.05, t0=1),
    lambda p: autodiff.optim.LBFGS(p, max_iter=3, history_size=2),
    lambda p: autodiff.optim.LBFGS(p, lr=0.5, max_iter=3, line_search_fn="strong_wolfe"),
], ids=["sgd", "adam", "adamw", "rmsprop", "adagrad", "rprop", "asgd", "lbfgs", "lbfgs-wolfe"])
def test_training_steps_match_cpu(dev, make_opt):
    """Forward, loss, backward and optimizer steps of a small CNN: the same parameters."""
    autodiff.manual_seed(0)
    cpu_model = _cnn().double()
    gpu_model = copy.deepcopy(cpu_model).to(dev)
    x = autodiff.randn(6, 1, 8, 8, dtype=autodiff.float64)
    y = autodiff.tensor([0, 1, 2, 1, 0, 2])
    for model, where in ((cpu_model, "cpu"), (gpu_model, dev)):
        opt = make_opt(model.parameters())

        def closure():
            opt.zero_grad()
            loss = F.cross_entropy(model(x.to(where)), y.to(where))
            loss.backward()
            return loss

        for _ in range(3):
            opt.step(closure)
        assert all(t.device.type == where for s in opt.state.values() for t in s.values()
                   if isinstance(t, autodiff.Tensor) and t.dim() > 0)
    for (name, p), q in zip(cpu_model.state_dict().items(), gpu_model.state_dict().values()):
        assert q.device.type == "cuda", name
        np.testing.assert_allclose(q.cpu().numpy(), p.numpy(), rtol=1e-7, atol=1e-10,
                                   err_msg=name)


@pytest.mark.parametrize("make_opt", [
    lambda p: autodiff.optim.SGD(p, lr=0.1, momentum=0.9),
    lambda p: autodiff.optim.Adam(p, lr=0.01),
], ids=["sgd", "adam"])
def test_optimizer_state_follows_the_parameters(dev, make_opt):
    """Steps on the CPU, ``model.to('cuda')``, more steps: the state moves with the model."""
    autodiff.manual_seed(0)
    model = nn.Linear(3, 2).double()
    twin = copy.deepcopy(model)
    x = autodiff.randn(4, 3, dtype=autodiff.float64)
    opts = {}
    for m, moves in ((model, True), (twin, False)):
        opt = opts[moves] = make_opt(m.parameters())
        for k in range(4):
            if moves and k == 2:
                m.to(dev)
            opt.zero_grad()
            m(x.to(m.weight.device)).pow(2).sum().backward()
            opt.step()
    assert model.weight.is_cuda
    for s in opts[True].state.values():        # buffers moved; step counters stay on the CPU
        assert all(t.is_cuda == (t.dim() > 0) for t in s.values())
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(p.detach().cpu().numpy(), q.detach().numpy(), rtol=1e-10)


def test_optimizer_state_follows_loaded_parameters(dev):
    model = nn.Linear(3, 2)
    opt = autodiff.optim.Adam(model.parameters())
    model(autodiff.randn(4, 3)).sum().backward()
    opt.step()
    saved = opt.state_dict()
    model.to(dev)
    opt2 = autodiff.optim.Adam(model.parameters())
    opt2.load_state_dict(saved)
    assert all(s["exp_avg"].is_cuda and s["exp_avg_sq"].is_cuda for s in opt2.state.values())
    model(autodiff.randn(4, 3, device=dev)).sum().backward()
    opt2.step()
    assert all(p.is_cuda for p in model.parameters())


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU, nn.RNN])
def test_recurrent_layers_match_cpu(dev, cls):
    autodiff.manual_seed(0)
    cpu = cls(3, 4, num_layers=2, batch_first=True, bidirectional=True).double()
    gpu = copy.deepcopy(cpu).to(dev)
    x = autodiff.randn(2, 5, 3, dtype=autodiff.float64)
    results = []
    for model, where in ((cpu, "cpu"), (gpu, dev)):
        xi = x.to(where).detach().requires_grad_()
        out, state = model(xi)
        states = state if isinstance(state, tuple) else (state,)
        (out.sum() + sum(s.pow(2).sum() for s in states)).backward()
        results.append([out, *states, xi.grad, *(p.grad for p in model.parameters())])
    for got, expected in zip(results[1], results[0]):
        assert got.is_cuda
        np.testing.assert_allclose(got.detach().cpu().numpy(), expected.detach().numpy(),
                                   rtol=1e-7, atol=1e-10)


def test_data_loader_collates_cuda_tensors(dev):
    x = autodiff.arange(20.0, device=dev).reshape(10, 2)
    y = autodiff.arange(10, device=dev)
    loader = DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True)
    seen = []
    for xb, yb in loader:
        assert xb.is_cuda and yb.is_cuda and xb.shape[1] == 2
        seen += yb.tolist()
    assert sorted(seen) == list(range(10))
    batch = DataLoader([{"a": x[i], "b": (y[i], 1.5)} for i in range(4)], batch_size=4)
    b = next(iter(batch))
    assert b["a"].is_cuda and b["b"][0].is_cuda and b["a"].shape == (4, 2)


def test_save_and_load_on_the_device(dev):
    model = nn.Linear(3, 2).to(dev)
    buf = io.BytesIO()
    autodiff.save({"model": model.state_dict(), "t": autodiff.ones(2, device=dev)}, buf)
    for where, kind in ((None, "cuda"), ("cpu", "cpu"), ("cuda:0", "cuda"),
                        ({"cuda:0": "cpu"}, "cpu")):
        buf.seek(0)
        loaded = autodiff.load(buf, map_location=where)
        assert all(t.device.type == kind for t in loaded["model"].values())
        assert loaded["t"].device.type == kind
    buf.seek(0)
    cpu_model = nn.Linear(3, 2)
    cpu_model.load_state_dict(autodiff.load(buf, map_location="cpu")["model"])
    assert autodiff.equal(cpu_model.weight, model.weight.cpu())


def test_random_numbers_on_the_device_are_seeded(dev):
    def draw():
        return [t.cpu() for t in (
            autodiff.rand(3, device=dev), autodiff.randn(2, 2, device=dev, dtype=autodiff.float64),
            autodiff.randint(0, 10, (5,), device=dev), autodiff.randperm(6, device=dev),
            autodiff.normal(0.0, 2.0, (3,), device=dev),
            autodiff.bernoulli(autodiff.full((4,), 0.5, device=dev)),
            F.dropout(autodiff.ones(8, device=dev), 0.5),
            autodiff.rand_like(autodiff.zeros(2, device=dev)),
            autodiff.zeros(3, device=dev).uniform_(-1, 1), autodiff.zeros(3, device=dev).normal_(),
            autodiff.zeros(3, device=dev, dtype=autodiff.int64).random_(4),
            autodiff.zeros(3, device=dev).bernoulli_(0.5),
            autodiff.zeros(3, device=dev).exponential_(), autodiff.zeros(3, device=dev).log_normal_(),
            autodiff.zeros(3, device=dev).cauchy_(), autodiff.zeros(3, device=dev).geometric_(0.3))]
    autodiff.manual_seed(3)
    first = draw()
    autodiff.cuda.manual_seed(3)
    second = draw()
    for a, b in zip(first, second):
        assert a.dtype == b.dtype and autodiff.equal(a, b)
    assert sorted(first[3].tolist()) == list(range(6))
    assert first[2].dtype == autodiff.int64 and 0 <= first[2].min() and first[2].max() < 10
    assert set(first[6].tolist()) <= {0.0, 2.0}
    autodiff.manual_seed(4)
    assert not autodiff.equal(draw()[0], first[0])


def test_init_functions_fill_device_tensors(dev):
    w = autodiff.empty(4, 6, device=dev)
    for init in (nn.init.uniform_, nn.init.normal_, nn.init.xavier_uniform_,
                 nn.init.kaiming_normal_, nn.init.orthogonal_, nn.init.eye_, nn.init.zeros_,
                 nn.init.trunc_normal_):
        assert init(w) is w and w.is_cuda
    c = autodiff.empty(2, 2, 3, 3, device=dev)
    assert nn.init.dirac_(c) is c and c.is_cuda


def test_sparse_init_fills_device_tensors(dev):
    w = autodiff.empty(4, 6, device=dev)
    assert nn.init.sparse_(w, 0.5) is w and (w == 0).sum().item() == 12


def test_data_parallel_runs_the_module_on_the_device(dev):
    inner = nn.Linear(3, 2)
    model = nn.DataParallel(inner)
    assert model.module is inner and model.device_ids == [0] and model.output_device == 0
    assert inner.weight.is_cuda
    out = model(autodiff.randn(4, 3))                  # inputs follow the module
    assert out.is_cuda and out.shape == (4, 2)
    out.sum().backward()
    assert inner.weight.grad.is_cuda
    assert list(model.state_dict()) == ["module.weight", "module.bias"]
    inner.cpu()
    with pytest.raises(RuntimeError, match=r"module must have its parameters and buffers on "
                                           r"device cuda:0 \(device_ids\[0\]\)"):
        model(autodiff.randn(4, 3))


def test_cuda_module_on_the_device(dev):
    assert autodiff.cuda.is_available() and autodiff.cuda.device_count() >= 1
    assert autodiff.cuda.current_device() == 0
    assert isinstance(autodiff.cuda.get_device_name(0), str)
    t = autodiff.ones(1000, device=dev)
    autodiff.cuda.synchronize()
    assert autodiff.cuda.memory_allocated() >= (4000 if REAL_CUDA and dev == "cuda" else 0)
    del t
    autodiff.cuda.empty_cache()
    with autodiff.cuda.device(0):
        assert autodiff.cuda.current_device() == 0
