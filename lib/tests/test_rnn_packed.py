"""Padded and packed sequences (``nn.utils.rnn``) against torch: PackedSequence's fields, repr
and conversions; pack/pad/unpack values, grad_fn names, gradients (gradcheck, first and second
order) and error messages; and RNN, LSTM, GRU run on a PackedSequence, with torch's weights
(float64): same packed output, final states and gradients of input, states and parameters."""
from collections import OrderedDict

import numpy as np
import pytest

import autodiff
import autodiff.nn as nn
from _helpers import assert_close, check_grads
from autodiff.nn.utils import rnn
from autodiff.nn.utils.rnn import (PackedSequence, invert_permutation, pack_padded_sequence,
                                   pack_sequence, pad_packed_sequence, pad_sequence,
                                   unpack_sequence, unpad_sequence)

RTOL, ATOL = 1e-10, 1e-12


def _t(a, requires_grad=False):
    return autodiff.tensor(a, requires_grad=requires_grad)


def _same_repr(ours, theirs):
    assert repr(ours).replace("autodiff.", "torch.") == repr(theirs)


def _both(torch, x, requires_grad=False):
    return _t(x, requires_grad), torch.tensor(x, requires_grad=requires_grad)


def test_namespace():
    assert nn.utils.rnn is rnn
    assert set(rnn.__all__) == {"PackedSequence", "invert_permutation", "pack_padded_sequence",
                                "pad_packed_sequence", "pad_sequence", "unpad_sequence",
                                "pack_sequence", "unpack_sequence"}
    assert PackedSequence._fields == ("data", "batch_sizes", "sorted_indices",
                                      "unsorted_indices")


# ---- PackedSequence ---------------------------------------------------------------------------
@pytest.mark.parametrize("sorted_", [True, False])
def test_packed_sequence_repr_and_fields(torch, sorted_):
    x = np.arange(24.0).reshape(4, 3, 2)
    lengths = [4, 2, 1] if sorted_ else [2, 4, 1]
    a, t = _both(torch, x)
    ours = pack_padded_sequence(a, lengths, enforce_sorted=sorted_)
    theirs = torch.nn.utils.rnn.pack_padded_sequence(t, lengths, enforce_sorted=sorted_)
    _same_repr(ours, theirs)
    assert isinstance(ours, tuple) and len(ours) == 4
    data, batch_sizes, sorted_indices, unsorted_indices = ours
    assert data is ours.data and batch_sizes.dtype == autodiff.int64
    assert ours.is_cuda is False
    _same_repr(ours.double(), theirs.double())
    _same_repr(ours.float().data, theirs.float().data)
    assert ours.to(autodiff.float64) is ours and ours.to("cpu") is ours and ours.cpu() is ours
    assert type(ours.float()) is PackedSequence


def test_packed_sequence_construction(torch):
    data, sizes = _t([1.0, 2.0, 3.0]), _t([2, 1])
    p = PackedSequence(data, sizes, _t([1, 0]))
    tp = torch.nn.utils.rnn.PackedSequence(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([2, 1]),
                                           torch.tensor([1, 0]))
    _same_repr(p, tp)
    _same_repr(PackedSequence((data, sizes)), torch.nn.utils.rnn.PackedSequence(
        (torch.tensor([1.0, 2.0, 3.0]), torch.tensor([2, 1]))))
    with pytest.raises(AssertionError, match="Expected data to be a list or tuple of length 2"):
        PackedSequence(data)
    _same_repr(invert_permutation(_t([2, 0, 3, 1])),
               torch.nn.utils.rnn.invert_permutation(torch.tensor([2, 0, 3, 1])))
    assert invert_permutation(None) is None


# ---- packing and padding: values against torch ------------------------------------------------
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths", ["sorted", "unsorted", "tensor", "int32"])
def test_pack_pad_roundtrip_matches_torch(torch, batch_first, lengths):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5, 2) if batch_first else (5, 4, 2))
    raw = [2, 5, 1, 3]
    lens = {"sorted": ([5, 3, 3, 1],) * 2, "unsorted": (raw, raw),
            "tensor": (_t(raw), torch.tensor(raw)),
            "int32": (_t(raw).int(), torch.tensor(raw, dtype=torch.int32))}[lengths]
    sort = lengths == "sorted"
    a, t = _both(torch, x, True)
    ours = pack_padded_sequence(a, lens[0], batch_first, enforce_sorted=sort)
    theirs = torch.nn.utils.rnn.pack_padded_sequence(t, lens[1], batch_first, enforce_sorted=sort)
    _same_repr(ours, theirs)
    assert ours.data.grad_fn.name() == "PackPaddedSequenceBackward0"
    for kw in [{}, {"batch_first": True, "padding_value": -1.5, "total_length": 7}]:
        out, out_lens = pad_packed_sequence(ours, **kw)
        tout, tlens = torch.nn.utils.rnn.pad_packed_sequence(theirs, **kw)
        assert_close(out, tout, RTOL, ATOL)
        _same_repr(out_lens, tlens)
        expected = ("IndexSelectBackward0" if not sort else
                    "TransposeBackward0" if kw else "CopySlices")
        assert out.grad_fn.name() == type(tout.grad_fn).__name__ == expected
    g = rng.standard_normal(tuple(ours.data.shape))
    (ours.data * _t(g)).sum().backward()
    (theirs.data * torch.tensor(g)).sum().backward()
    assert_close(a.grad, t.grad, RTOL, ATOL)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_torch(torch, batch_first, padding_side):
    rng = np.random.default_rng(1)
    seqs = [rng.standard_normal((n, 2, 3)) for n in (3, 5, 1)]
    ours = [_t(s, True) for s in seqs]
    theirs = [torch.tensor(s, requires_grad=True) for s in seqs]
    out = pad_sequence(ours, batch_first, 0.5, padding_side)
    tout = torch.nn.utils.rnn.pad_sequence(theirs, batch_first, 0.5, padding_side)
    assert_close(out, tout, RTOL, ATOL)
    assert out.grad_fn.name() == type(tout.grad_fn).__name__ == "CopySlices"
    g = rng.standard_normal(tuple(tout.shape))
    (out * _t(g)).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    for a, t in zip(ours, theirs):
        assert_close(a.grad, t.grad, RTOL, ATOL)


def test_pad_sequence_dtypes_and_inputs(torch):
    # the first sequence's dtype wins; a tensor is a sequence of its rows
    _same_repr(pad_sequence([_t([1, 2]), _t([1.5])], padding_value=7.9),
               torch.nn.utils.rnn.pad_sequence([torch.tensor([1, 2]), torch.tensor([1.5])],
                                               padding_value=7.9))
    _same_repr(pad_sequence(_t([[1.0, 2.0], [3.0, 4.0]])),
               torch.nn.utils.rnn.pad_sequence(torch.tensor([[1.0, 2.0], [3.0, 4.0]])))
    _same_repr(pad_sequence([autodiff.ones(0, 3), autodiff.ones(0, 3)]),
               torch.nn.utils.rnn.pad_sequence([torch.ones(0, 3), torch.ones(0, 3)]))


def test_pack_unpack_sequence_matches_torch(torch):
    seqs = [np.arange(n * 2.0).reshape(n, 2) + n for n in (2, 4, 1)]
    ours, theirs = [_t(s) for s in seqs], [torch.tensor(s) for s in seqs]
    p = pack_sequence(ours, enforce_sorted=False)
    tp = torch.nn.utils.rnn.pack_sequence(theirs, enforce_sorted=False)
    _same_repr(p, tp)
    for a, t in zip(unpack_sequence(p), torch.nn.utils.rnn.unpack_sequence(tp)):
        _same_repr(a, t)
    _same_repr(pack_sequence(ours[1:]), torch.nn.utils.rnn.pack_sequence(theirs[1:]))


def test_unpad_sequence_matches_torch(torch):
    x = np.arange(24.0).reshape(4, 3, 2)
    a, t = _both(torch, x)
    a, t = a * 1, t * 1                        # non-leaf: torch transposes it in place
    ours = unpad_sequence(a, _t([4, 1, 2]))
    theirs = torch.nn.utils.rnn.unpad_sequence(t, torch.tensor([4, 1, 2]))
    assert tuple(a.shape) == tuple(t.shape) == (3, 4, 2)
    for o, th in zip(ours, theirs):
        _same_repr(o, th)
    for o, th in zip(unpad_sequence(a, _t([4, 1, 2]), batch_first=True),
                     torch.nn.utils.rnn.unpad_sequence(t, torch.tensor([4, 1, 2]), True)):
        _same_repr(o, th)


# ---- gradients ---------------------------------------------------------------------------------
def test_gradcheck_pack_padded_sequence():
    x = autodiff.randn(4, 3, 2, dtype=autodiff.float64, requires_grad=True)
    check_grads(lambda x: pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False).data, x)
    check_grads(lambda x: pack_padded_sequence(x, [3, 3, 1, 1], batch_first=True).data, x)


def test_gradcheck_pad_packed_sequence():
    data = autodiff.randn(7, 2, dtype=autodiff.float64, requires_grad=True)
    sizes, order = _t([3, 2, 1, 1]), _t([2, 0, 1])

    def pad(data, **kw):
        return pad_packed_sequence(PackedSequence(data, sizes, order), **kw)[0]
    check_grads(pad, data)
    check_grads(lambda d: pad(d, batch_first=True, padding_value=3.0, total_length=6), data)


def test_gradcheck_pad_sequence_and_unpad():
    seqs = [autodiff.randn(n, 2, dtype=autodiff.float64, requires_grad=True) for n in (2, 4, 1)]
    check_grads(lambda *s: pad_sequence(s, padding_value=1.0, padding_side="left"), *seqs)
    check_grads(lambda *s: pad_sequence(s, batch_first=True), *seqs)
    check_grads(lambda *s: tuple(unpack_sequence(pack_sequence(s, enforce_sorted=False))), *seqs)
    x = autodiff.randn(4, 3, dtype=autodiff.float64, requires_grad=True)
    check_grads(lambda x: tuple(unpad_sequence(x * 1, _t([4, 2, 3]))), x)


# ---- errors: same type and message as torch ----------------------------------------------------
def _err(lib, what, *args, **kwargs):
    """Call ``what`` from torch or autodiff (lib) with tensors built by that library."""
    mod = lib.nn.utils.rnn
    conv = (lambda a: lib.tensor(a) if isinstance(a, (np.ndarray, np.generic)) else
            [conv(v) for v in a] if isinstance(a, list) and a and
            isinstance(a[0], np.ndarray) else a)
    return getattr(mod, what)(*[conv(a) for a in args], **kwargs)


X = np.zeros((4, 3, 2))
ERROR_CASES = {
    "unsorted": ("pack_padded_sequence", (X, [2, 4, 1]), {}),
    "zero_length": ("pack_padded_sequence", (X, [4, 2, 0]), {}),
    "zero_length_unsorted": ("pack_padded_sequence", (X, [4, 0, 0]), {"enforce_sorted": False}),
    "negative_middle": ("pack_padded_sequence", (X, [4, -1, 1]), {}),
    "too_few_lengths": ("pack_padded_sequence", (X, [4, 2]), {}),
    "batch_first_count": ("pack_padded_sequence", (X, [4, 2, 1]), {"batch_first": True}),
    "lengths_2d": ("pack_padded_sequence", (X, np.array([[4, 2, 1]])), {}),
    "lengths_0d": ("pack_padded_sequence", (X, 3), {}),
    "input_1d": ("pack_padded_sequence", (np.zeros(3), [1]), {}),
    "empty": ("pack_padded_sequence", (np.zeros((0, 3)), [1, 1, 1]), {}),
    "empty_list": ("pad_sequence", ([],), {}),
    "not_iterable": ("pad_sequence", (5,), {}),
    "trailing_mismatch": ("pad_sequence", ([np.zeros((2, 3)), np.zeros((2, 4))],), {}),
    "rank_mismatch": ("pad_sequence", ([np.zeros((2, 3)), np.zeros(2)],), {}),
    "zero_dim": ("pad_sequence", ([np.zeros(()), np.zeros(2)],), {}),
    "padding_side": ("pad_sequence", ([np.zeros(2)],), {"padding_side": "middle"}),
    "pack_empty": ("pack_sequence", ([],), {}),
    "pack_unsorted": ("pack_sequence", ([np.zeros(2), np.zeros(3)],), {}),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_errors_match_torch(torch, case):
    what, args, kwargs = ERROR_CASES[case]
    with pytest.raises(Exception) as theirs:
        _err(torch, what, *args, **kwargs)
    with pytest.raises(type(theirs.value)) as ours:
        _err(autodiff, what, *args, **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_total_length_error():
    p = pack_padded_sequence(autodiff.zeros(4, 3), [4, 2, 1])
    with pytest.raises(ValueError, match="Expected total_length to be at least the length of "
                                         "the longest sequence in input, but got total_length=3 "
                                         "and max sequence length being 4"):
        pad_packed_sequence(p, total_length=3)


def test_length_beyond_padding_is_an_error():
    # torch reads past the padded batch here; autodiff refuses
    with pytest.raises(RuntimeError, match="at most the padded length 4, but got 5"):
        pack_padded_sequence(autodiff.zeros(4, 3), [5, 2, 1])


def test_lengths_on_the_gpu_are_refused(device):
    if device == "cpu":
        pytest.skip("the device check needs a GPU")
    x = autodiff.zeros(4, 3, device=device)
    with pytest.raises(RuntimeError, match="'lengths' argument should be a 1D CPU int64 tensor, "
                                           "but got 1D cuda Long tensor"):
        pack_padded_sequence(x, _t([4, 2, 1]).to(device))


def test_pack_pad_on_device(device):
    rng = np.random.default_rng(3)
    x = _t(rng.standard_normal((4, 3, 2))).to(device).requires_grad_()
    p = pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False)
    assert p.is_cuda == (device == "cuda") and p.batch_sizes.device.type == "cpu"
    assert p.sorted_indices.device.type == device
    out, lengths = pad_packed_sequence(p)
    assert lengths.tolist() == [2, 4, 1]
    mask = np.arange(4)[:, None] < np.array([2, 4, 1])[None, :]
    assert_close(out.cpu(), x.detach().cpu().numpy() * mask[..., None])
    out.sum().backward()
    assert_close(x.grad.cpu(), np.broadcast_to(mask[..., None], (4, 3, 2)), check_dtype=False)


# ---- recurrent layers on packed input ----------------------------------------------------------
def _pair(torch, cls, kw):
    torch.manual_seed(0)
    tmod, mod = getattr(torch.nn, cls)(3, 4, **kw).double(), getattr(nn, cls)(3, 4, **kw).double()
    state = OrderedDict((k, _t(v.detach().numpy())) for k, v in tmod.state_dict().items())
    mod.load_state_dict(state)
    return mod, tmod


# id: (class, constructor kwargs, lengths, enforce_sorted, with initial state)
PACKED_CASES = {
    "rnn_tanh": ("RNN", {}, [5, 3, 2], True, True),
    "rnn_relu_2layers_bidirectional_unsorted": (
        "RNN", {"nonlinearity": "relu", "num_layers": 2, "bidirectional": True},
        [3, 6, 6, 1], False, True),
    "rnn_batch_first_bidirectional": ("RNN", {"bidirectional": True, "batch_first": True},
                                      [2, 5, 1, 3], False, False),
    "lstm": ("LSTM", {}, [5, 3, 2], True, False),
    "lstm_2layers_bidirectional_unsorted_state": (
        "LSTM", {"num_layers": 2, "bidirectional": True}, [2, 5, 1, 3], False, True),
    "lstm_batch_first_2layers": ("LSTM", {"num_layers": 2, "batch_first": True},
                                 [4, 4, 2], True, True),
    "lstm_bidirectional_no_bias": ("LSTM", {"bidirectional": True, "bias": False},
                                   [1, 3, 2], False, True),
    "gru": ("GRU", {}, [5, 3, 2], True, True),
    "gru_2layers_bidirectional_unsorted": ("GRU", {"num_layers": 2, "bidirectional": True},
                                           [2, 5, 1, 3], False, True),
    "gru_batch_first_bidirectional": ("GRU", {"bidirectional": True, "batch_first": True},
                                      [2, 5, 1, 3], False, False),
}


@pytest.mark.parametrize("case", list(PACKED_CASES))
def test_packed_recurrent_layer_matches_torch(torch, case):
    cls, kw, lengths, enforce_sorted, with_state = PACKED_CASES[case]
    mod, tmod = _pair(torch, cls, kw)
    rng = np.random.default_rng(1)
    batch, steps = len(lengths), max(lengths)
    x = rng.standard_normal((batch, steps, 3) if kw.get("batch_first") else (steps, batch, 3))
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    states = [rng.standard_normal((layers, batch, 4)) for _ in range(2 if cls == "LSTM" else 1)]
    states = states if with_state else []
    ours = [_t(a, True) for a in [x] + states]
    theirs = [torch.tensor(a, requires_grad=True) for a in [x] + states]
    hx = (lambda s: None if not s else tuple(s) if cls == "LSTM" else s[0])
    pack = (lambda m, x: m.nn.utils.rnn.pack_padded_sequence(
        x, lengths, kw.get("batch_first", False), enforce_sorted))
    out, h = mod(pack(autodiff, ours[0]), hx(ours[1:]))
    tout, th = tmod(pack(torch, theirs[0]), hx(theirs[1:]))
    assert isinstance(out, PackedSequence)
    assert out.data.grad_fn.name() == tout.data.grad_fn.name() == "CatBackward0"
    for a, b in [(out.batch_sizes, tout.batch_sizes), (out.sorted_indices, tout.sorted_indices),
                 (out.unsorted_indices, tout.unsorted_indices)]:
        _same_repr(a, b)
    h, th = (h, th) if cls == "LSTM" else ((h,), (th,))
    loss, tloss = 0, 0
    for o, to in [(out.data, tout.data)] + list(zip(h, th)):
        assert_close(o, to, RTOL, ATOL)
        assert o.grad_fn.name() == to.grad_fn.name()
        g = rng.standard_normal(tuple(to.shape))
        loss, tloss = loss + (o * _t(g)).sum(), tloss + (to * torch.tensor(g)).sum()
    loss.backward()
    tloss.backward()
    for a, t in zip(ours, theirs):
        assert_close(a.grad, t.grad, 1e-9, ATOL)
    tparams = dict(tmod.named_parameters())
    for name, p in mod.named_parameters():
        assert_close(p.grad, tparams[name].grad, 1e-9, ATOL)


def test_packed_states_are_those_of_each_sequence_alone():
    """Final states equal running every sequence on its own (no torch needed)."""
    mod = nn.GRU(3, 4, bidirectional=True).double()
    seqs = [autodiff.randn(n, 3, dtype=autodiff.float64) for n in (2, 5, 3)]
    out, h = mod(pack_sequence(seqs, enforce_sorted=False))
    for i, (s, o) in enumerate(zip(seqs, unpack_sequence(out))):
        alone, h_alone = mod(s)
        assert_close(o, alone, RTOL, ATOL)
        assert_close(h[:, i], h_alone, RTOL, ATOL)


def test_gradcheck_packed_lstm():
    mod = nn.LSTM(2, 3, bidirectional=True).double()
    x = autodiff.randn(4, 3, 2, dtype=autodiff.float64, requires_grad=True)

    def run(x):
        out, (h, c) = mod(pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False))
        return out.data, h, c
    check_grads(run, x, second_order=False)


PACKED_ERRORS = {
    "input_size": (RuntimeError, "input.size(-1) must be equal to input_size. Expected 3, got 2",
                   lambda m: m.GRU(3, 4), (5, 3, 2), None),
    "data_3d": (RuntimeError, "input must have 2 dimensions, got 3",
                lambda m: m.GRU(3, 4), (5, 3, 3, 1), None),
    "dtype": (ValueError, "RNN input dtype (float64) does not match weight dtype (float32). "
              "Convert input: input.to(float32), or convert model: model.to(float64)",
              lambda m: m.RNN(3, 4), (5, 3, 3), None),
    "hidden": (RuntimeError, "Expected hidden size (1, 3, 4), got [1, 3, 5]",
               lambda m: m.GRU(3, 4), (5, 3, 3), [(1, 3, 5)]),
    "hidden_2d": (RuntimeError, "Expected hidden size (1, 3, 4), got [3, 4]",
                  lambda m: m.RNN(3, 4), (5, 3, 3), [(3, 4)]),
}


@pytest.mark.parametrize("case", list(PACKED_ERRORS))
def test_packed_layer_errors_match_torch(torch, case):
    exc, message, make, shape, states = PACKED_ERRORS[case]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    x = x if case == "dtype" else x.astype(np.float32)
    for lib in (torch, autodiff):
        packed = lib.nn.utils.rnn.pack_padded_sequence(lib.tensor(x), [5, 3, 2])
        hx = None if states is None else tuple(lib.zeros(s) for s in states)
        hx = hx[0] if hx is not None and len(hx) == 1 else hx
        with pytest.raises(exc) as info:
            make(lib.nn)(packed, hx)
        assert str(info.value).replace("torch.", "").replace("autodiff.", "") == message


def test_packed_lstm_cell_state_error():
    # torch's packed LSTM fails here inside its kernel ("The size of tensor a (3) must match...")
    packed = pack_padded_sequence(autodiff.zeros(5, 3, 3), [5, 3, 2])
    with pytest.raises(RuntimeError,
                       match=r"Expected hidden\[1\] size \(2, 3, 4\), got \[2, 2, 4\]"):
        nn.LSTM(3, 4, 2)(packed, (autodiff.zeros(2, 3, 4), autodiff.zeros(2, 2, 4)))
