"""Recurrent layers (RNN, LSTM, GRU and their cells) against torch: reprs, parameter names and
counts, and with torch's weights (float64) the same outputs, final states and gradients of
input, initial state and every parameter. Also gradchecks, the fused gate arithmetic of
``autodiff/ops/rnn.py`` (first and second order) and torch's error messages."""
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import autodiff
import autodiff.nn as nn
from _helpers import assert_close, check_grads
from autodiff.autograd import gradcheck, gradgradcheck
from autodiff.ops.rnn import (gru_cell_pointwise, gru_cell_reference, lstm_cell_pointwise,
                              lstm_cell_reference)

RTOL, ATOL = 1e-10, 1e-12


def _t(a, requires_grad=False):
    return autodiff.tensor(a, requires_grad=requires_grad)


def _pair(torch, make):
    """The same module from torch and autodiff (float64), holding torch's weights."""
    torch.manual_seed(0)
    tmod, mod = make(torch.nn).double(), make(nn).double()
    assert repr(mod) == repr(tmod)
    tsd, sd = tmod.state_dict(), mod.state_dict()
    assert list(sd) == list(tsd)
    assert [tuple(v.shape) for v in sd.values()] == [tuple(v.shape) for v in tsd.values()]
    state = OrderedDict((k, _t(v.detach().numpy())) for k, v in tsd.items())
    assert repr(mod.load_state_dict(state)) == "<All keys matched successfully>"
    return mod, tmod


def _flatten(out):
    """Every tensor of an (out, h) / (out, (h, c)) / (h, c) / h result, in order."""
    if isinstance(out, tuple):
        return [t for o in out for t in _flatten(o)]
    return [out]


def _compare(torch, mod, tmod, x, state):
    """Same outputs and final states; same gradients of input, states and parameters."""
    ours, theirs = [_t(x, True)], [torch.tensor(x, requires_grad=True)]
    for s in state:
        ours.append(_t(s, True))
        theirs.append(torch.tensor(s, requires_grad=True))
    pack = (lambda xs: None if len(xs) == 0 else xs[0] if len(xs) == 1 else tuple(xs))
    out, tout = mod(ours[0], pack(ours[1:])), tmod(theirs[0], pack(theirs[1:]))
    outs, touts = _flatten(out), _flatten(tout)
    assert len(outs) == len(touts)
    rng = np.random.default_rng(9)
    loss, tloss = 0, 0
    for o, to in zip(outs, touts):
        assert_close(o, to, RTOL, ATOL)
        g = rng.standard_normal(tuple(to.shape))
        loss, tloss = loss + (o * _t(g)).sum(), tloss + (to * torch.tensor(g)).sum()
    loss.backward()
    tloss.backward()
    for a, ta in zip(ours, theirs):
        assert_close(a.grad, ta.grad, 1e-9, ATOL)
    tparams = dict(tmod.named_parameters())
    for name, p in mod.named_parameters():
        assert_close(p.grad, tparams[name].grad, 1e-9, ATOL)


def _states(kind, layers, H=4, N=2, batched=True, seed=3):
    rng = np.random.default_rng(seed)
    shape = (layers, N, H) if batched else (layers, H)
    n = 2 if kind == "LSTM" else 1
    return [rng.standard_normal(shape) for _ in range(n)]


# id: (class, constructor kwargs, batched, with initial state)
LAYER_CASES = {
    "rnn_tanh": ("RNN", {}, True, False),
    "rnn_relu_2layers_state": ("RNN", {"num_layers": 2, "nonlinearity": "relu"}, True, True),
    "rnn_bidirectional_batch_first_state": ("RNN", {"bidirectional": True, "batch_first": True},
                                            True, True),
    "rnn_unbatched_bidirectional": ("RNN", {"bidirectional": True}, False, True),
    "lstm": ("LSTM", {}, True, False),
    "lstm_2layers_bidirectional_state": ("LSTM", {"num_layers": 2, "bidirectional": True},
                                         True, True),
    "lstm_batch_first_no_bias": ("LSTM", {"batch_first": True, "bias": False}, True, False),
    "lstm_unbatched_2layers_state": ("LSTM", {"num_layers": 2, "dropout": 0.0}, False, True),
    "lstm_unbatched": ("LSTM", {}, False, False),
    "gru": ("GRU", {}, True, False),
    "gru_2layers_bidirectional_batch_first_state": (
        "GRU", {"num_layers": 2, "bidirectional": True, "batch_first": True}, True, True),
    "gru_no_bias_state": ("GRU", {"bias": False}, True, True),
    "gru_unbatched_bidirectional_state": ("GRU", {"bidirectional": True}, False, True),
}


@pytest.mark.torch
@pytest.mark.parametrize("case", list(LAYER_CASES))
def test_recurrent_layer_matches_torch(torch, case):
    cls, kw, batched, with_state = LAYER_CASES[case]
    mod, tmod = _pair(torch, lambda n: getattr(n, cls)(3, 4, **kw))
    rng = np.random.default_rng(1)
    x = rng.standard_normal(((2, 5, 3) if kw.get("batch_first") else (5, 2, 3)) if batched
                            else (5, 3))
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    state = _states(cls, layers, batched=batched) if with_state else []
    _compare(torch, mod, tmod, x, state)


# id: (class, constructor kwargs, batched, with initial state)
CELL_CASES = {
    "rnn_cell": ("RNNCell", {}, True, True),
    "rnn_cell_relu_unbatched": ("RNNCell", {"nonlinearity": "relu"}, False, True),
    "rnn_cell_no_state": ("RNNCell", {"bias": False}, True, False),
    "lstm_cell": ("LSTMCell", {}, True, True),
    "lstm_cell_unbatched": ("LSTMCell", {}, False, True),
    "lstm_cell_no_state_no_bias": ("LSTMCell", {"bias": False}, True, False),
    "gru_cell": ("GRUCell", {}, True, True),
    "gru_cell_unbatched_no_state": ("GRUCell", {}, False, False),
    "gru_cell_no_bias": ("GRUCell", {"bias": False}, True, True),
}


@pytest.mark.torch
@pytest.mark.parametrize("case", list(CELL_CASES))
def test_cell_matches_torch(torch, case):
    cls, kw, batched, with_state = CELL_CASES[case]
    mod, tmod = _pair(torch, lambda n: getattr(n, cls)(3, 4, **kw))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3) if batched else (3,))
    shape = (2, 4) if batched else (4,)
    n_states = 2 if cls == "LSTMCell" else 1
    state = [rng.standard_normal(shape) for _ in range(n_states)] if with_state else []
    _compare(torch, mod, tmod, x, state)


@pytest.mark.torch
@pytest.mark.parametrize("make", [
    lambda n: n.RNN(3, 4, 2, "relu", False, True, 0.0, True),
    lambda n: n.LSTM(3, 4, num_layers=3, bias=False, dropout=0.25),
    lambda n: n.GRU(5, 2, bidirectional=True, batch_first=True),
    lambda n: n.RNNCell(3, 4, nonlinearity="relu"),
    lambda n: n.LSTMCell(3, 4, bias=False),
    lambda n: n.GRUCell(3, 4),
], ids=["rnn", "lstm", "gru", "rnn_cell", "lstm_cell", "gru_cell"])
def test_repr_parameter_names_and_shapes(torch, make):
    torch.manual_seed(0)
    tmod, mod = make(torch.nn), make(nn)
    assert repr(mod) == repr(tmod)
    assert [(n, tuple(p.shape)) for n, p in mod.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in tmod.named_parameters()]


def test_parameter_counts():
    count = lambda m: sum(p.numel() for p in m.parameters())
    assert count(nn.GRU(64, 32)) == 9408
    assert count(nn.LSTM(64, 32)) == 12544
    assert count(nn.RNN(64, 32)) == 3136
    assert count(nn.LSTM(64, 32, num_layers=2, bidirectional=True)) == 2 * 12544 + 2 * (
        4 * 32 * 64 + 4 * 32 * 32 + 8 * 32)
    assert count(nn.GRUCell(64, 32)) == 9408


def test_initialisation_is_uniform_in_one_over_sqrt_hidden():
    for module in (nn.LSTM(8, 16, 2), nn.GRUCell(8, 16)):
        values = np.concatenate([p.detach().numpy().ravel() for p in module.parameters()])
        assert np.abs(values).max() <= 0.25 and np.abs(values).max() > 0.24
        assert abs(values.mean()) < 0.02


def test_all_weights_and_flat_weights():
    lstm = nn.LSTM(3, 4, 2, bidirectional=True)
    assert len(lstm.all_weights) == 4 and all(len(w) == 4 for w in lstm.all_weights)
    assert lstm.all_weights[1][0] is lstm.weight_ih_l0_reverse
    assert [n for n, _ in lstm.named_parameters()] == lstm._flat_weights_names


def test_float32_stays_float32_and_shapes():
    lstm = nn.LSTM(3, 4, 2, batch_first=True, bidirectional=True)
    out, (h, c) = lstm(autodiff.randn(2, 5, 3))
    assert out.dtype == autodiff.float32
    assert tuple(out.shape) == (2, 5, 8) and tuple(h.shape) == tuple(c.shape) == (4, 2, 4)
    out, h = nn.GRU(3, 4)(autodiff.randn(5, 3))
    assert tuple(out.shape) == (5, 4) and tuple(h.shape) == (1, 4)


def test_final_state_is_last_output():
    gru = nn.GRU(3, 4, bidirectional=True).double()
    out, h = gru(_t(np.random.default_rng(0).standard_normal((5, 2, 3))))
    assert_close(h[0], out[-1, :, :4], 0, 0)          # forward direction ends at the last step
    assert_close(h[1], out[0, :, 4:], 0, 0)           # the reverse one at the first


def test_dropout_between_layers_only_in_training():
    lstm = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = autodiff.randn(5, 2, 3)
    assert not np.allclose(lstm(x)[0].detach().numpy(), lstm(x)[0].detach().numpy())
    lstm.eval()
    assert_close(lstm(x)[0], lstm(x)[0], 0, 0)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.2)


# ---- gradchecks --------------------------------------------------------------------------------
@pytest.mark.parametrize("cls, kw", [("LSTM", {"bidirectional": True}), ("GRU", {}),
                                     ("RNN", {"nonlinearity": "relu"})])
def test_layer_gradcheck(cls, kw):
    """Input, initial state and every parameter (perturbed in place by gradcheck)."""
    mod = getattr(nn, cls)(2, 2, **kw).double()
    rng = np.random.default_rng(4)
    layers = 2 if kw.get("bidirectional") else 1
    x = _t(rng.standard_normal((3, 2, 2)), True)
    states = [_t(s, True) for s in _states(cls, layers, H=2)]
    hx = tuple(states) if cls == "LSTM" else states[0]
    params = list(mod.parameters())
    assert gradcheck(lambda x, *rest: mod(x, hx), [x, *states, *params])


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_gradcheck_and_gradgradcheck(cls):
    mod = getattr(nn, cls)(2, 3).double()
    rng = np.random.default_rng(5)
    x = _t(rng.standard_normal((2, 2)), True)
    states = [_t(rng.standard_normal((2, 3)), True) for _ in range(2 if cls == "LSTMCell" else 1)]
    hx = tuple(states) if cls == "LSTMCell" else states[0]
    assert gradcheck(lambda x, *rest: mod(x, hx), [x, *states, *mod.parameters()])
    assert gradgradcheck(lambda x, *rest: mod(x, hx), [x, *states])


def test_lstm_layer_gradgradcheck():
    lstm = nn.LSTM(2, 2).double()
    x = _t(np.random.default_rng(6).standard_normal((2, 1, 2)), True)
    assert gradgradcheck(lambda x: lstm(x)[0], [x])


# ---- the fused gate arithmetic (autodiff/ops/rnn.py) ------------------------------------------
def _gate_inputs(seed=0):
    rng = np.random.default_rng(seed)
    return {"lstm": [rng.standard_normal((2, 12)), rng.standard_normal((2, 3))],
            "gru": [rng.standard_normal((2, 9)), rng.standard_normal((2, 9)),
                    rng.standard_normal((2, 3))]}


FUSED = {"lstm": (lstm_cell_pointwise, lstm_cell_reference),
         "gru": (gru_cell_pointwise, gru_cell_reference)}


@pytest.mark.parametrize("kind", list(FUSED))
def test_fused_cell_equals_reference(kind):
    fused, reference = FUSED[kind]
    arrays = _gate_inputs()[kind]
    a, b = [_t(x, True) for x in arrays], [_t(x, True) for x in arrays]
    outs, routs = _flatten(fused(*a)), _flatten(reference(*b))
    for o, r in zip(outs, routs):
        assert_close(o, r, 1e-12, 1e-12)
    sum(((i + 1) * o * o).sum() for i, o in enumerate(outs)).backward()
    sum(((i + 1) * o * o).sum() for i, o in enumerate(routs)).backward()
    for x, y in zip(a, b):
        assert_close(x.grad, y.grad, 1e-12, 1e-12)


@pytest.mark.parametrize("kind", list(FUSED))
def test_fused_cell_gradcheck_and_gradgradcheck(kind):
    fused, _ = FUSED[kind]
    check_grads(fused, *(_t(x, True) for x in _gate_inputs(1)[kind]))


@pytest.mark.parametrize("kind", list(FUSED))
def test_fused_cell_second_derivative_reaches_its_inputs(kind):
    """With create_graph the gradient is a function of the inputs (the reference graph), and
    the second derivatives equal those of the reference version."""
    fused, reference = FUSED[kind]
    arrays = _gate_inputs(2)[kind]
    results = []
    for fn in (fused, reference):
        xs = [_t(x, True) for x in arrays]
        out = _flatten(fn(*xs))[0]
        grads = autodiff.autograd.grad((out * out).sum(), xs, create_graph=True)
        assert all(g.grad_fn is not None for g in grads)
        results.append(autodiff.autograd.grad(sum((g * g).sum() for g in grads), xs))
    for g, r in zip(*results):
        assert_close(g, r, 1e-10, 1e-12)


def test_fused_cell_with_state_not_requiring_grad():
    gates = _t(np.random.default_rng(3).standard_normal((2, 8)), True)
    c0 = autodiff.zeros(2, 2, dtype=autodiff.float64)
    h, c = lstm_cell_pointwise(gates, c0)
    g, = autodiff.autograd.grad(h.sum(), gates, create_graph=True)
    g2, = autodiff.autograd.grad(g.sum(), gates)
    gates_ref = gates.detach().requires_grad_()
    r, = autodiff.autograd.grad(lstm_cell_reference(gates_ref, c0)[0].sum(), gates_ref,
                                create_graph=True)
    assert_close(g, r, 1e-12, 1e-12)
    assert_close(g2, autodiff.autograd.grad(r.sum(), gates_ref)[0], 1e-12, 1e-12)


# ---- errors ------------------------------------------------------------------------------------
def _raises(exc, message, fn):
    with pytest.raises(exc) as info:
        fn()
    assert message in str(info.value), str(info.value)


def test_layer_errors():
    z = autodiff.zeros
    lstm, gru = nn.LSTM(3, 4, 2), nn.GRU(3, 4)
    _raises(RuntimeError, "input.size(-1) must be equal to input_size. Expected 3, got 6",
            lambda: lstm(z(5, 2, 6)))
    _raises(ValueError, "LSTM: Expected input to be 2D or 3D, got 4D instead",
            lambda: lstm(z(5, 2, 2, 3)))
    _raises(RuntimeError, "Expected hidden[0] size (2, 2, 4), got [2, 3, 4]",
            lambda: lstm(z(5, 2, 3), (z(2, 3, 4), z(2, 2, 4))))
    _raises(RuntimeError, "Expected hidden[1] size (2, 2, 4), got [1, 2, 4]",
            lambda: lstm(z(5, 2, 3), (z(2, 2, 4), z(1, 2, 4))))
    _raises(RuntimeError, "For unbatched 2-D input, hx and cx should also be 2-D but got "
                          "(3-D, 3-D) tensors",
            lambda: lstm(z(5, 3), (z(2, 1, 4), z(2, 1, 4))))
    _raises(RuntimeError, "Expected hidden size (1, 2, 4), got [1, 3, 4]",
            lambda: gru(z(5, 2, 3), z(1, 3, 4)))
    _raises(RuntimeError, "For batched 3-D input, hx should also be 3-D but got 2-D tensor",
            lambda: gru(z(5, 2, 3), z(2, 4)))
    _raises(ValueError, "RNN input dtype (autodiff.float64) does not match weight dtype "
                        "(autodiff.float32)", lambda: gru(z(5, 2, 3, dtype=autodiff.float64)))


def test_cell_errors():
    z = autodiff.zeros
    gru, lstm, rnn = nn.GRUCell(3, 4), nn.LSTMCell(3, 4), nn.RNNCell(3, 4)
    _raises(RuntimeError, "input has inconsistent input_size: got 5 expected 3",
            lambda: gru(z(2, 5)))
    _raises(ValueError, "GRUCell: Expected input to be 1D or 2D, got 3D instead",
            lambda: gru(z(2, 2, 3)))
    _raises(RuntimeError, "Input batch size 2 doesn't match hidden0 batch size 3",
            lambda: gru(z(2, 3), z(3, 4)))
    _raises(RuntimeError, "hidden0 has inconsistent hidden_size: got 5, expected 4",
            lambda: gru(z(2, 3), z(2, 5)))
    _raises(RuntimeError, "hidden1 has inconsistent hidden_size: got 3, expected 4",
            lambda: lstm(z(2, 3), (z(2, 4), z(2, 3))))
    _raises(ValueError, "LSTMCell: Expected hx[0] to be 1D or 2D, got 3D instead",
            lambda: lstm(z(2, 3), (z(1, 2, 4), z(2, 4))))
    _raises(RuntimeError, "hidden0 has inconsistent hidden_size: got 2, expected 4",
            lambda: rnn(z(3), z(2, 4)))


def test_constructor_errors():
    _raises(ValueError, "Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'.",
            lambda: nn.RNN(3, 4, nonlinearity="sigmoid"))
    _raises(ValueError, "dropout should be a number in range [0, 1]",
            lambda: nn.LSTM(3, 4, dropout=1.5))
    _raises(ValueError, "hidden_size must be greater than zero", lambda: nn.GRU(3, 0))
    _raises(ValueError, "num_layers must be greater than zero", lambda: nn.GRU(3, 4, 0))


@pytest.mark.torch
def test_error_messages_match_torch(torch):
    def message(mod, run):
        with pytest.raises(Exception) as info:
            run(mod)
        return type(info.value).__name__, str(info.value)

    cases = [
        (lambda n: n.LSTM(3, 4, 2), lambda m, z: m(z(5, 2, 3), (z(2, 3, 4), z(2, 2, 4)))),
        (lambda n: n.GRU(3, 4), lambda m, z: m(z(5, 2, 3), z(2, 4))),
        (lambda n: n.RNN(3, 4), lambda m, z: m(z(5, 2, 7))),
        (lambda n: n.GRUCell(3, 4), lambda m, z: m(z(2, 3), z(3, 4))),
        (lambda n: n.LSTMCell(3, 4), lambda m, z: m(z(2, 3), (z(2, 4), z(2, 5)))),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for make, run in cases:
            ours = message(make(nn), lambda m: run(m, autodiff.zeros))
            theirs = message(make(torch.nn), lambda m: run(m, torch.zeros))
            assert ours == theirs
