"""EmbeddingBag, LocalResponseNorm and LSTM with projections (``proj_size``) against torch:
reprs, state_dict keys and shapes; with torch's weights (float64) the same outputs and the same
gradients of input, states, per-sample weights and parameters; gradchecks (first and second
order) of the functional forms; torch's exceptions and messages."""
from collections import OrderedDict

import numpy as np
import pytest

import autodiff
import autodiff.nn as nn
import autodiff.nn.functional as F
from _helpers import assert_close, check_grads
from autodiff.autograd import gradcheck
from autodiff.nn.utils.rnn import pack_padded_sequence

RTOL, ATOL = 1e-10, 1e-12


def _t(a, requires_grad=False):
    return autodiff.tensor(a, requires_grad=requires_grad)


def _pair(torch, make):
    """The same module from torch and autodiff (float64), holding torch's weights; their reprs
    and state_dict keys and shapes agree."""
    torch.manual_seed(0)
    tmod, mod = make(torch.nn).double(), make(nn).double()
    assert repr(mod) == repr(tmod)
    tsd, sd = tmod.state_dict(), mod.state_dict()
    assert list(sd) == list(tsd)
    assert [tuple(v.shape) for v in sd.values()] == [tuple(v.shape) for v in tsd.values()]
    mod.load_state_dict(OrderedDict((k, _t(v.detach().numpy())) for k, v in tsd.items()))
    return mod, tmod


def _check_params_grads(mod, tmod):
    tparams = dict(tmod.named_parameters())
    assert [n for n, _ in mod.named_parameters()] == list(tparams)
    for name, p in mod.named_parameters():
        assert_close(p.grad, tparams[name].grad, 1e-9, ATOL)


def _same_error(torch, ours, theirs, exc, match):
    """Both calls raise ``exc`` with the message fragment ``match`` (torch's type names)."""
    with pytest.raises(exc) as got:
        ours()
    assert match in str(got.value).replace("autodiff.", "torch."), str(got.value)
    with pytest.raises(exc) as want:
        theirs()
    assert match in str(want.value)


# ---- EmbeddingBag -----------------------------------------------------------------------------
BAG_CTORS = {
    "default": dict(),
    "sum_pad": dict(mode="sum", padding_idx=2),
    "max_negpad": dict(mode="max", padding_idx=-1),
    "all_options": dict(max_norm=1.0, norm_type=3.0, scale_grad_by_freq=True, mode="sum",
                        sparse=True, include_last_offset=True, padding_idx=0),
}


@pytest.mark.parametrize("kwargs", BAG_CTORS.values(), ids=BAG_CTORS.keys())
def test_embedding_bag_repr_and_state_dict(torch, kwargs):
    mod, tmod = _pair(torch, lambda m: m.EmbeddingBag(10, 3, **kwargs))
    assert mod.padding_idx == tmod.padding_idx
    assert (mod.mode, mod.sparse, mod.include_last_offset) == (tmod.mode, tmod.sparse,
                                                               tmod.include_last_offset)


def test_embedding_bag_init():
    autodiff.manual_seed(0)
    w = nn.EmbeddingBag(1000, 50, padding_idx=3).weight
    assert w.dtype == autodiff.float32 and w.requires_grad
    assert (w[3] == 0).all()
    data = w.detach().numpy()
    assert abs(data.mean()) < 0.02 and abs(data.std() - 1) < 0.02       # N(0, 1)


X1 = np.array([1, 2, 4, 5, 4, 3, 2, 9, 7, 7])
# id: (input, offsets, module kwargs, per-sample weights?)
BAG_CASES = {
    "2d_mean": (X1.reshape(2, 5), None, dict(), False),
    "2d_sum_psw": (X1.reshape(5, 2), None, dict(mode="sum"), True),
    "2d_max": (X1.reshape(2, 5), None, dict(mode="max"), False),
    "1d_mean_empty_bags": (X1, [0, 2, 2, 6, 10], dict(), False),
    "1d_sum_pad": (X1, [0, 3, 3, 7], dict(mode="sum", padding_idx=4), False),
    "1d_mean_pad": (X1, [0, 3, 7], dict(padding_idx=4), False),
    "1d_max_pad": (X1, [0, 3, 3, 7], dict(mode="max", padding_idx=2), False),
    "1d_sum_psw_pad": (X1, [0, 1, 5], dict(mode="sum", padding_idx=7), True),
    "1d_last_offset": (X1, [0, 4, 4, 10], dict(include_last_offset=True), False),
    "1d_last_offset_max": (X1, [0, 4, 10], dict(mode="max", include_last_offset=True), False),
    "1d_last_offset_psw": (X1, [0, 6, 10], dict(mode="sum", include_last_offset=True), True),
    "all_padding_bag": (np.array([4, 4, 1]), [0, 2], dict(padding_idx=4), False),
    "max_norm": (X1, [0, 5], dict(max_norm=1.5, norm_type=1.5), False),
    # torch's CPU kernel scales by the count of another index than the one it updates (it
    # reads counts[sorted_indices[i]] with i the i-th distinct index), which agrees with the
    # frequency only when all indices occur equally often: so they do here
    "freq_sum": (np.array([3, 1, 3, 6, 1, 6]), [0, 2, 3], dict(mode="sum",
                                                                scale_grad_by_freq=True), False),
    "freq_mean_pad": (np.array([3, 1, 3, 6, 1, 6]), [0, 4], dict(scale_grad_by_freq=True,
                                                                 padding_idx=6), False),
}


@pytest.mark.parametrize("x, offsets, kwargs, weighted", BAG_CASES.values(), ids=BAG_CASES.keys())
def test_embedding_bag_matches_torch(torch, x, offsets, kwargs, weighted):
    mod, tmod = _pair(torch, lambda m: m.EmbeddingBag(10, 3, **kwargs))
    rng = np.random.default_rng(1)
    args, targs = [_t(x)], [torch.tensor(x)]
    args.append(None if offsets is None else _t(np.array(offsets)))
    targs.append(None if offsets is None else torch.tensor(offsets))
    if weighted:
        w = rng.uniform(0.5, 2.0, x.shape)
        args.append(_t(w, True))
        targs.append(torch.tensor(w, requires_grad=True))
    out, tout = mod(*args), tmod(*targs)
    assert out.grad_fn.name() == tout.grad_fn.name() == "EmbeddingBagBackward0"
    assert len(out.grad_fn.next_functions) == 2
    assert_close(out, tout, RTOL, ATOL)
    assert_close(mod.weight, tmod.weight, RTOL, ATOL)          # max_norm renormalised alike
    g = rng.standard_normal(tuple(tout.shape))
    (out * _t(g)).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    _check_params_grads(mod, tmod)
    if weighted:
        assert_close(args[2].grad, targs[2].grad, 1e-9, ATOL)


def test_embedding_bag_bags_by_hand():
    w = _t(np.arange(30.0).reshape(10, 3), True)
    x, offsets = _t(np.array([1, 2, 4, 5, 4, 3])), _t(np.array([0, 2, 2]))
    assert F.embedding_bag(x, w, offsets).tolist() == [[4.5, 5.5, 6.5], [0, 0, 0],
                                                      [12.0, 13.0, 14.0]]
    out = F.embedding_bag(x, w, offsets, mode="max", padding_idx=5)
    assert out.tolist() == [[6, 7, 8], [0, 0, 0], [12, 13, 14]]
    out.sum().backward()
    assert w.grad[4].tolist() == [1, 1, 1] and w.grad[2].tolist() == [1, 1, 1]   # first 4 only
    assert w.grad.sum().item() == 6


def test_embedding_bag_max_ties_go_to_the_first():
    w = autodiff.ones(5, 2, dtype=autodiff.float64, requires_grad=True)
    F.embedding_bag(_t(np.array([[3, 1, 3]])), w, mode="max").sum().backward()
    assert w.grad.tolist() == [[0, 0], [0, 0], [0, 0], [1, 1], [0, 0]]


def test_embedding_bag_dtypes_and_empty(torch):
    w = _t(np.arange(12.0).reshape(4, 3).astype(np.float32))
    x = _t(np.array([1, 3, 2], dtype=np.int32))
    out = F.embedding_bag(x, w, _t(np.array([0, 1], dtype=np.int32)), mode="sum")
    assert out.dtype == autodiff.float32 and out.tolist() == [[3, 4, 5], [15, 17, 19]]
    assert F.embedding_bag(x, w, _t(np.array([0, 1]))).shape == (2, 3)     # int32 with int64
    empty = _t(np.zeros(0, dtype=np.int64))
    assert F.embedding_bag(empty, w, _t(np.array([0, 0]))).tolist() == [[0] * 3] * 2
    assert F.embedding_bag(empty, w, empty).shape == (0, 3)
    assert F.embedding_bag(x, w, empty).shape == (0, 3)
    assert F.embedding_bag(_t(np.zeros((0, 2), dtype=np.int64)), w).shape == (0, 3)
    t = torch.nn.functional.embedding_bag(torch.tensor([1, 3, 2]), torch.zeros(4, 3),
                                          torch.tensor([], dtype=torch.long))
    assert tuple(t.shape) == (0, 3)


def test_embedding_bag_from_pretrained(torch):
    emb = np.arange(12.0).reshape(4, 3)
    bag = nn.EmbeddingBag.from_pretrained(_t(emb), mode="max", padding_idx=1)
    tbag = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(emb), mode="max", padding_idx=1)
    assert repr(bag) == repr(tbag) and not bag.weight.requires_grad
    x = np.array([[1, 0], [2, 1]])
    assert_close(bag(_t(x)), tbag(torch.tensor(x)), RTOL, ATOL)
    assert nn.EmbeddingBag.from_pretrained(_t(emb), freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dim"):
        nn.EmbeddingBag.from_pretrained(_t(np.zeros(3)))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag_gradcheck(mode, padding_idx):
    rng = np.random.default_rng(2)
    w = _t(rng.standard_normal((6, 3)), True)
    x, offsets = _t(np.array([0, 2, 2, 5, 1, 4, 3])), _t(np.array([0, 3, 3, 5]))
    check_grads(lambda w: F.embedding_bag(x, w, offsets, mode=mode, padding_idx=padding_idx), w)
    if mode == "sum":
        psw = _t(rng.uniform(0.5, 2, 7), True)
        check_grads(lambda w, p: F.embedding_bag(x, w, offsets, mode="sum", per_sample_weights=p,
                                                 padding_idx=padding_idx), w, psw)


def test_embedding_bag_gradcheck_2d():
    rng = np.random.default_rng(3)
    w = _t(rng.standard_normal((5, 2)), True)
    x = _t(np.array([[0, 1, 1], [4, 4, 2]]))
    psw = _t(rng.uniform(0.5, 2, (2, 3)), True)
    check_grads(lambda w, p: F.embedding_bag(x, w, mode="sum", per_sample_weights=p), w, psw)
    check_grads(lambda w: F.embedding_bag(x, w, mode="max"), w)


def test_embedding_bag_scale_grad_by_freq():
    """Not the gradient (gradcheck would fail): each row's gradient divided by how often its
    index occurs in the input."""
    w = autodiff.ones(5, 2, dtype=autodiff.float64, requires_grad=True)
    x = _t(np.array([0, 1, 1, 4, 1, 2]))
    out = F.embedding_bag(x, w, _t(np.array([0, 3])), mode="sum", scale_grad_by_freq=True)
    out.sum().backward()
    assert w.grad[:, 0].tolist() == [1, 1, 1, 0, 1]


# id: (call with module m (autodiff or torch) as f(m, tensor), exception, message)
def _bag_call(x, w_shape=(10, 3), offsets=None, w_dtype=np.float64, psw=None, **kw):
    def call(m, tensor):
        w = tensor(np.ones(w_shape, dtype=w_dtype))
        return m.nn.functional.embedding_bag(
            tensor(x), w, None if offsets is None else tensor(offsets),
            per_sample_weights=None if psw is None else tensor(psw), **kw)
    return call


ONE = np.array([1, 2, 3])
BAG_ERRORS = {
    "psw_shape": (_bag_call(ONE, offsets=np.array([0]), mode="sum", psw=np.ones(2)), ValueError,
                  "embedding_bag: If per_sample_weights (torch.Size([2])) is not None, then it "
                  "must have the same shape as the input (torch.Size([3]))"),
    "weight_1d": (_bag_call(ONE, w_shape=(10,), offsets=np.array([0])), ValueError,
                  "weight has to be a 2D Tensor, but got Tensor of dimension 1"),
    "2d_with_offsets": (_bag_call(ONE.reshape(1, 3), offsets=np.array([0])), ValueError,
                        "if input is 2D, then offsets has to be None, as input is treated is a "
                        "mini-batch of fixed length sequences. However, found offsets of type"),
    "no_offsets": (_bag_call(ONE), ValueError, "offsets has to be a 1D Tensor but got None"),
    "offsets_2d": (_bag_call(ONE, offsets=np.array([[0]])), ValueError,
                   "offsets has to be a 1D Tensor"),
    "input_3d": (_bag_call(ONE.reshape(1, 1, 3)), ValueError,
                 "input has to be 1D or 2D Tensor, but got Tensor of dimension 3"),
    "mode": (_bag_call(ONE, offsets=np.array([0]), mode="prod"), ValueError,
             "mode has to be one of sum, mean or max"),
    "max_freq": (_bag_call(ONE, offsets=np.array([0]), mode="max", scale_grad_by_freq=True),
                 ValueError, "max mode does not support scaling the gradient by the frequency"),
    "max_sparse": (_bag_call(ONE, offsets=np.array([0]), mode="max", sparse=True), ValueError,
                   "max mode does not support sparse weights"),
    "psw_mean": (_bag_call(ONE, offsets=np.array([0]), psw=np.ones(3)), NotImplementedError,
                 "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                 "supported for mode='sum' (got mode='mean'). Please open a feature request on "
                 "GitHub."),
    "float_input": (_bag_call(ONE.astype(float), offsets=np.array([0])), RuntimeError,
                    "Expected tensor for argument #1 'indices' to have one of the following "
                    "scalar types: Long, Int; but got torch.DoubleTensor instead (while checking "
                    "arguments for embedding_bag)"),
    "short_input": (_bag_call(ONE.astype(np.int16), offsets=np.array([0], dtype=np.int16)),
                    RuntimeError, "scalar types: Long, Int; but got torch.ShortTensor instead"),
    "int_weight": (_bag_call(ONE, offsets=np.array([0]), w_dtype=np.int64), RuntimeError,
                   "Expected tensor for argument #1 'weight' to have one of the following scalar "
                   "types: Half, BFloat16, Float, Double; but got torch.LongTensor instead"),
    "psw_dtype": (_bag_call(ONE, offsets=np.array([0]), mode="sum",
                            psw=np.ones(3, dtype=np.float32)), RuntimeError,
                  "Expected tensor for argument #1 'weight' to have the same type as tensor for "
                  "argument #1 'per_sample_weights'; but type torch.DoubleTensor does not equal "
                  "torch.FloatTensor"),
    "padding_idx": (_bag_call(ONE, offsets=np.array([0]), padding_idx=-11), RuntimeError,
                    "padding_idx must be within the number of embeddings, -10 through 9, but got "
                    "-11"),
    "first_offset": (_bag_call(ONE, offsets=np.array([1])), RuntimeError,
                     "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to "
                     "start from position 0. However, got 1"),
    "last_offset": (_bag_call(ONE, offsets=np.array([0, 4])), RuntimeError,
                    "offsets[-1] can not be greater than input's length 3 but got offsets[-1] "
                    "of 4"),
    "no_last_offset": (_bag_call(ONE, offsets=np.zeros(0, dtype=np.int64),
                                 include_last_offset=True), RuntimeError,
                       "include_last_offset: number of offset should be at least 1"),
    # torch words it by the kernel it picks: float32 sum/mean without padding_idx, or others
    "index_range": (_bag_call(np.array([1, 12, -1]), offsets=np.array([0]), w_dtype=np.float32),
                    RuntimeError,
                    "Index 1 of input takes value 12 which is not in the valid range [0, 10)"),
    "negative_index": (_bag_call(np.array([1, -1]), offsets=np.array([0]), w_dtype=np.float32,
                                 mode="sum"), RuntimeError,
                       "Index 1 of input takes value -1 which is not in the valid range [0, 10)"),
    "index_range_float64": (_bag_call(np.array([1, -1, 12]), offsets=np.array([0])),
                            RuntimeError, "embedding_bag: Expected idx >= 0 && idx < "
                            "num_embeddings but found idx to be -1"),
    "index_range_max": (_bag_call(np.array([12]), offsets=np.array([0]), w_dtype=np.float32,
                                  mode="max"), RuntimeError, "embedding_bag: Expected idx >= 0 "
                        "&& idx < num_embeddings but found idx to be 12"),
    "index_range_pad": (_bag_call(np.array([12]), offsets=np.array([0]), w_dtype=np.float32,
                                  padding_idx=0), RuntimeError, "embedding_bag: Expected idx >= "
                        "0 && idx < num_embeddings but found idx to be 12"),
    "empty_rows": (_bag_call(np.zeros((2, 0), dtype=np.int64)), RuntimeError,
                   "step must be nonzero"),
}


@pytest.mark.parametrize("call, exc, match", BAG_ERRORS.values(), ids=BAG_ERRORS.keys())
def test_embedding_bag_errors(torch, call, exc, match):
    _same_error(torch, lambda: call(autodiff, autodiff.tensor),
                lambda: call(torch, torch.tensor), exc, match)


def test_embedding_bag_decreasing_offsets():
    """torch fails with an internal assertion; the message here says what is wrong."""
    with pytest.raises(RuntimeError, match="offsets have to be non-decreasing"):
        F.embedding_bag(_t(ONE), _t(np.ones((4, 2))), _t(np.array([0, 2, 1])))


def test_embedding_bag_module_errors(torch):
    for m in (nn, torch.nn):
        with pytest.raises(AssertionError, match="padding_idx must be within num_embeddings"):
            m.EmbeddingBag(4, 2, padding_idx=4)
        with pytest.raises(AssertionError, match="Shape of weight does not match"):
            m.EmbeddingBag(4, 2, _weight=m.Parameter(
                (autodiff if m is nn else torch).zeros(3, 2)))


# ---- LocalResponseNorm ------------------------------------------------------------------------
def test_local_response_norm_repr(torch):
    for args in [(3,), (2, 0.1, 0.5, 2), (4, 1e-3)]:
        mod, tmod = _pair(torch, lambda m: m.LocalResponseNorm(*args))
        assert mod.state_dict() == OrderedDict() and list(mod.parameters()) == []


@pytest.mark.parametrize("shape", [(2, 5, 4), (2, 6, 3, 4), (1, 4, 2, 3, 2), (2, 3, 2, 1, 2, 2)])
@pytest.mark.parametrize("size", [1, 2, 3, 6])
def test_local_response_norm_matches_torch(torch, shape, size):
    kwargs = dict(alpha=0.5, beta=0.75, k=1.5)
    mod, tmod = nn.LocalResponseNorm(size, **kwargs), torch.nn.LocalResponseNorm(size, **kwargs)
    x = np.random.default_rng(4).standard_normal(shape)
    a, t = _t(x, True), torch.tensor(x, requires_grad=True)
    out, tout = mod(a), tmod(t)
    assert out.grad_fn.name() == tout.grad_fn.name() == "DivBackward0"
    assert_close(out, tout, RTOL, ATOL)
    g = np.random.default_rng(5).standard_normal(shape)
    (out * _t(g)).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    assert_close(a.grad, t.grad, 1e-9, ATOL)


def test_local_response_norm_by_hand():
    x = np.array([[[1.0], [2.0], [3.0]]])              # (N=1, C=3, L=1), size 2: c-1 and c
    out = F.local_response_norm(_t(x), 2, alpha=1.0, beta=1.0, k=0.0)
    expected = x[0, :, 0] / (np.array([1.0, 1 + 4, 4 + 9]) / 2)
    np.testing.assert_allclose(out.numpy()[0, :, 0], expected)


@pytest.mark.parametrize("shape", [(2, 4, 3), (1, 3, 2, 2), (1, 3, 2, 1, 2)])
def test_local_response_norm_gradcheck(shape):
    x = _t(np.random.default_rng(6).standard_normal(shape), True)
    check_grads(lambda x: F.local_response_norm(x, 3, alpha=0.3, beta=0.6, k=1.2), x)


def test_local_response_norm_errors_and_empty(torch):
    _same_error(torch, lambda: nn.LocalResponseNorm(2)(autodiff.zeros(2, 3)),
                lambda: torch.nn.LocalResponseNorm(2)(torch.zeros(2, 3)), ValueError,
                "Expected 3D or higher dimensionality                          input (got 2 "
                "dimensions)")
    x = autodiff.zeros(0, 3, 4)
    assert F.local_response_norm(x, 2) is x


# ---- LSTM with projections --------------------------------------------------------------------
# id: (constructor kwargs, batched, with initial state)
PROJ_CASES = {
    "one_layer": (dict(), True, False),
    "one_layer_state": (dict(), True, True),
    "two_layers_state": (dict(num_layers=2), True, True),
    "bidirectional": (dict(bidirectional=True), True, True),
    "two_layers_bidirectional_batch_first": (dict(num_layers=2, bidirectional=True,
                                                  batch_first=True), True, True),
    "no_bias_batch_first": (dict(bias=False, batch_first=True), True, False),
    "unbatched_state": (dict(num_layers=2), False, True),
}
IN, HID, PROJ, L, N = 3, 5, 2, 4, 3


def _proj_states(mod, batched, seed=7):
    rng = np.random.default_rng(seed)
    stacks = mod.num_layers * (2 if mod.bidirectional else 1)
    lead = (stacks, N) if batched else (stacks,)
    return rng.standard_normal(lead + (PROJ,)), rng.standard_normal(lead + (HID,))


@pytest.mark.parametrize("kwargs, batched, with_state", PROJ_CASES.values(), ids=PROJ_CASES.keys())
def test_lstm_proj_matches_torch(torch, kwargs, batched, with_state):
    mod, tmod = _pair(torch, lambda m: m.LSTM(IN, HID, proj_size=PROJ, **kwargs))
    assert "weight_hr_l0" in mod.state_dict()
    rng = np.random.default_rng(8)
    shape = ((N, L) if kwargs.get("batch_first") else (L, N)) if batched else (L,)
    x = rng.standard_normal(shape + (IN,))
    ours, theirs = [_t(x, True)], [torch.tensor(x, requires_grad=True)]
    if with_state:
        for s in _proj_states(mod, batched):
            ours.append(_t(s, True))
            theirs.append(torch.tensor(s, requires_grad=True))
    out, (h, c) = mod(ours[0], tuple(ours[1:]) or None)
    tout, (th, tc) = tmod(theirs[0], tuple(theirs[1:]) or None)
    assert h.shape[-1] == PROJ and c.shape[-1] == HID
    loss, tloss = 0, 0
    for o, to in [(out, tout), (h, th), (c, tc)]:
        assert_close(o, to, RTOL, ATOL)
        g = rng.standard_normal(tuple(to.shape))
        loss, tloss = loss + (o * _t(g)).sum(), tloss + (to * torch.tensor(g)).sum()
    loss.backward()
    tloss.backward()
    for a, ta in zip(ours, theirs):
        assert_close(a.grad, ta.grad, 1e-9, ATOL)
    _check_params_grads(mod, tmod)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_proj_packed_matches_torch(torch, bidirectional):
    mod, tmod = _pair(torch, lambda m: m.LSTM(IN, HID, proj_size=PROJ, num_layers=2,
                                              bidirectional=bidirectional))
    x = np.random.default_rng(9).standard_normal((L, N, IN))
    lengths = [2, 4, 1]
    a, t = _t(x, True), torch.tensor(x, requires_grad=True)
    h0, c0 = _proj_states(mod, True)
    states = [_t(h0, True), _t(c0, True)]
    tstates = [torch.tensor(h0, requires_grad=True), torch.tensor(c0, requires_grad=True)]
    out, (h, c) = mod(pack_padded_sequence(a, lengths, enforce_sorted=False), tuple(states))
    tout, (th, tc) = tmod(torch.nn.utils.rnn.pack_padded_sequence(t, lengths,
                                                                   enforce_sorted=False),
                          tuple(tstates))
    assert_close(out.data, tout.data, RTOL, ATOL)
    assert_close(h, th, RTOL, ATOL)
    assert_close(c, tc, RTOL, ATOL)
    (out.data.sum() + (h * h).sum() + c.sum() * 2).backward()
    (tout.data.sum() + (th * th).sum() + tc.sum() * 2).backward()
    for ours, theirs in zip([a] + states, [t] + tstates):
        assert_close(ours.grad, theirs.grad, 1e-9, ATOL)
    _check_params_grads(mod, tmod)


def test_lstm_proj_parameters(torch):
    mod, tmod = _pair(torch, lambda m: m.LSTM(3, 5, proj_size=2, num_layers=2, bias=False))
    assert [len(w) for w in mod.all_weights] == [len(w) for w in tmod.all_weights] == [3, 3]
    assert tuple(mod.weight_hr_l1.shape) == (2, 5) and tuple(mod.weight_ih_l1.shape) == (20, 2)
    autodiff.manual_seed(0)                 # every weight from U(-1/sqrt(hidden), 1/sqrt(hidden))
    w = nn.LSTM(3, 50, proj_size=40).weight_hr_l0.detach().numpy()
    assert 0.9 / np.sqrt(50) < np.abs(w).max() <= 1 / np.sqrt(50)


def test_lstm_proj_gradcheck():
    autodiff.manual_seed(1)
    mod = nn.LSTM(2, 3, proj_size=1, bidirectional=True).double()
    x = _t(np.random.default_rng(10).standard_normal((3, 2, 2)), True)
    h0 = _t(np.random.default_rng(11).standard_normal((2, 2, 1)), True)
    c0 = _t(np.random.default_rng(12).standard_normal((2, 2, 3)), True)

    def run(x, h0, c0, w_hr):
        mod.weight_hr_l0_reverse = w_hr
        out, (h, c) = mod(x, (h0, c0))
        return out, h, c
    w_hr = nn.Parameter(mod.weight_hr_l0_reverse.detach().clone())
    assert gradcheck(run, (x, h0, c0, w_hr))


PROJ_ERRORS = {   # id: (make(nn, lib) with lib autodiff or torch, exception, message)
    "negative": (lambda nn, lib: nn.LSTM(3, 5, proj_size=-1), ValueError,
                 "proj_size should be a positive integer or zero to disable projections"),
    "equal_hidden": (lambda nn, lib: nn.LSTM(3, 5, proj_size=5), ValueError,
                     "proj_size has to be smaller than hidden_size"),
    "larger": (lambda nn, lib: nn.LSTM(3, 5, 2, proj_size=7), ValueError,
               "proj_size has to be smaller than hidden_size"),
    "gru": (lambda nn, lib: nn.GRU(3, 5, proj_size=2), ValueError,
            "proj_size argument is only supported for LSTM, not RNN or GRU"),
    "rnn": (lambda nn, lib: nn.RNN(3, 5, proj_size=0), ValueError,
            "proj_size argument is only supported for LSTM, not RNN or GRU"),
    "h0_size": (lambda nn, lib: nn.LSTM(3, 5, proj_size=2)(
        lib.zeros(6, 4, 3), (lib.zeros(1, 4, 5), lib.zeros(1, 4, 5))),
        RuntimeError, "Expected hidden[0] size (1, 4, 2), got [1, 4, 5]"),
    "c0_size": (lambda nn, lib: nn.LSTM(3, 5, proj_size=2)(
        lib.zeros(6, 4, 3), (lib.zeros(1, 4, 2), lib.zeros(1, 4, 2))),
        RuntimeError, "Expected hidden[1] size (1, 4, 5), got [1, 4, 2]"),
}


@pytest.mark.parametrize("make, exc, match", PROJ_ERRORS.values(), ids=PROJ_ERRORS.keys())
def test_lstm_proj_errors(torch, make, exc, match):
    _same_error(torch, lambda: make(nn, autodiff), lambda: make(torch.nn, torch), exc, match)
