"""``autodiff.nn.init``: gains and fans as torch computes them, the statistics of every scheme,
reproducibility with ``manual_seed``, and that filling never records a graph."""
import math

import numpy as np
import pytest

import autodiff
import autodiff.nn as nn
from autodiff.nn import init


@pytest.mark.torch
@pytest.mark.parametrize("args", [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",),
                                  ("leaky_relu",), ("leaky_relu", 0.2), ("leaky_relu", 1),
                                  ("selu",)])
def test_calculate_gain_matches_torch(torch, args):
    assert init.calculate_gain(*args) == pytest.approx(torch.nn.init.calculate_gain(*args))


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(3, 5), (4, 3, 2, 2), (6, 2, 3)])
def test_fans_match_torch(torch, shape):
    assert init._calculate_fan_in_and_fan_out(autodiff.empty(shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


@pytest.mark.torch
def test_errors_match_torch(torch):
    for m in (autodiff, torch):
        i = m.nn.init
        with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
            i.calculate_gain("foo")
        with pytest.raises(ValueError, match="negative_slope True not a valid number"):
            i.calculate_gain("leaky_relu", True)
        with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor "
                                             "with fewer than 2 dimensions"):
            i.xavier_uniform_(m.empty(3))
        with pytest.raises(ValueError, match="Mode fan_avg not supported, please use one of "):
            i.kaiming_normal_(m.empty(3, 3), mode="fan_avg")
        with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
            i.eye_(m.empty(3))
        with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are "
                                             "supported"):
            i.orthogonal_(m.empty(3))


SHAPE = (400, 300)
FAN_IN, FAN_OUT = 300, 400


@pytest.mark.parametrize("fill, mean, std, bound", [
    (lambda t: init.uniform_(t, -2.0, 1.0), -0.5, 3 / math.sqrt(12), (-2.0, 1.0)),
    (lambda t: init.normal_(t, 1.0, 0.5), 1.0, 0.5, None),
    (lambda t: init.trunc_normal_(t, 0.0, 1.0, -1.0, 1.0), 0.0, 0.5396, (-1.0, 1.0)),
    (lambda t: init.xavier_uniform_(t, gain=2.0), 0.0, 2 * math.sqrt(2 / (FAN_IN + FAN_OUT)),
     (-2 * math.sqrt(6 / (FAN_IN + FAN_OUT)), 2 * math.sqrt(6 / (FAN_IN + FAN_OUT)))),
    (lambda t: init.xavier_normal_(t), 0.0, math.sqrt(2 / (FAN_IN + FAN_OUT)), None),
    (lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), 0.0, math.sqrt(2 / FAN_IN),
     (-math.sqrt(6 / FAN_IN), math.sqrt(6 / FAN_IN))),
    (lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)), 0.0, 1 / math.sqrt(3 * FAN_IN),
     (-1 / math.sqrt(FAN_IN), 1 / math.sqrt(FAN_IN))),
    (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"), 0.0,
     math.sqrt(2 / FAN_OUT), None),
    (lambda t: init.kaiming_normal_(t, a=0.1), 0.0, math.sqrt(2 / 1.01 / FAN_IN), None),
])
def test_init_statistics(fill, mean, std, bound):
    t = autodiff.empty(SHAPE)
    assert fill(t) is t
    a = t.numpy()
    assert abs(a.mean() - mean) < 0.02 * max(std, 0.1) * 3
    assert abs(a.std() - std) < 0.02 * std
    if bound is not None:
        assert a.min() >= bound[0] and a.max() <= bound[1]
        assert a.min() < bound[0] + 0.01 * (bound[1] - bound[0])


def test_constant_ones_zeros_eye_dirac():
    t = autodiff.empty(2, 3)
    assert init.constant_(t, 0.5).tolist() == [[0.5] * 3] * 2
    assert init.ones_(t).tolist() == [[1.0] * 3] * 2
    assert init.zeros_(t).tolist() == [[0.0] * 3] * 2
    assert init.eye_(t).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    w = init.dirac_(autodiff.empty(2, 2, 3))       # a conv1d kernel that passes its input
    assert w[:, :, 1].tolist() == [[1.0, 0.0], [0.0, 1.0]] and w.sum().item() == 2


def test_orthogonal_and_sparse():
    q = init.orthogonal_(autodiff.empty(5, 8), gain=2.0).numpy().astype(np.float64)
    np.testing.assert_allclose(q @ q.T, 4 * np.eye(5), atol=1e-5)
    q = init.orthogonal_(autodiff.empty(6, 3)).numpy().astype(np.float64)
    np.testing.assert_allclose(q.T @ q, np.eye(3), atol=1e-5)
    s = init.sparse_(autodiff.empty(10, 6), sparsity=0.3).numpy()
    assert np.all((s == 0).sum(0) == 3)


def test_init_is_reproducible_and_records_no_graph():
    w = nn.Parameter(autodiff.empty(3, 4))
    autodiff.manual_seed(5)
    a = init.kaiming_uniform_(w).tolist()
    autodiff.manual_seed(5)
    assert init.kaiming_uniform_(w).tolist() == a
    assert w.is_leaf and w.grad_fn is None and w.requires_grad
    autodiff.manual_seed(5)
    assert nn.Linear(4, 3).weight.tolist() != a          # Linear uses a = sqrt(5)
    g = autodiff.Generator().manual_seed(1)
    b = init.normal_(autodiff.empty(3), generator=g).tolist()
    assert init.normal_(autodiff.empty(3), generator=autodiff.Generator().manual_seed(1)).tolist() == b


def test_zero_element_tensor_warns_and_is_left_alone():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(autodiff.empty(0, 3))


def test_float16_and_float64_tensors_keep_their_dtype():
    for dt in (autodiff.float16, autodiff.float64):
        t = init.xavier_uniform_(autodiff.empty(4, 4, dtype=dt))
        assert t.dtype == dt and np.all(np.isfinite(t.numpy()))
