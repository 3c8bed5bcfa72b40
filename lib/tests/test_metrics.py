"""autodiff.metrics: every metric against an independent reference (numpy, scikit-learn),
accumulation over batches, reset/deepcopy/.to, and clear errors for bad shapes."""
import copy
import math

import numpy as np
import pytest

import autodiff
from autodiff import metrics as M

skm = pytest.importorskip("sklearn.metrics")


def _batches(*arrays, size=7):
    """The arrays cut into batches of ``size`` along the first dimension, as tensors."""
    n = len(arrays[0])
    for i in range(0, n, size):
        yield tuple(autodiff.tensor(a[i:i + size]) for a in arrays)


def _accumulate(metric, *arrays, size=7):
    for p, t in _batches(*arrays, size=size):
        metric(p, t)
    return float(metric.compute())


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# ---- binary classification ---------------------------------------------------------------------
def test_binary_accuracy_on_logits_thresholds_at_zero():
    # the torchkeras-course mistake: comparing logits with 0.5 calls a logit of 0.3
    # (probability 0.57) negative
    logits = autodiff.tensor([0.3, -0.2, 0.1, 0.45, -3.0])
    targets = autodiff.tensor([1.0, 0.0, 1.0, 1.0, 0.0])
    assert float(M.Accuracy()(logits, targets)) == 1.0
    assert float(M.Accuracy(from_logits=False)(logits, targets)) == pytest.approx(2 / 5)


def test_binary_accuracy_on_probabilities_thresholds_at_half():
    probs = autodiff.tensor([0.51, 0.49, 0.2, 0.9])
    targets = autodiff.tensor([1, 0, 0, 1])
    assert float(M.Accuracy(from_logits=False)(probs, targets)) == 1.0


def test_threshold_means_the_same_for_logits_and_probabilities(rng):
    logits = rng.normal(size=200)
    y = rng.integers(0, 2, 200).astype(np.float32)
    probs = 1 / (1 + np.exp(-logits))
    for threshold in (0.3, 0.5, 0.8):
        ref = np.mean((probs > threshold) == y)
        a = _accumulate(M.Accuracy(threshold=threshold), logits, y)
        b = _accumulate(M.Accuracy(threshold=threshold, from_logits=False), probs, y)
        assert a == pytest.approx(ref) and b == pytest.approx(ref)


def test_binary_accuracy_accumulates_over_batches(rng):
    logits = rng.normal(size=(50, 1)).astype(np.float32)
    y = rng.integers(0, 2, (50, 1)).astype(np.float32)
    metric = M.Accuracy()
    batch_values = [float(metric(p, t)) for p, t in _batches(logits, y, size=8)]
    assert batch_values[0] == pytest.approx(np.mean((logits[:8] > 0) == y[:8]))
    assert float(metric.compute()) == pytest.approx(np.mean((logits > 0) == y))
    # the epoch value is over samples, not the mean of the batch values (the last batch is short)
    assert float(metric.compute()) != pytest.approx(np.mean(batch_values))


@pytest.mark.parametrize("name", ["Precision", "Recall", "F1Score"])
def test_binary_precision_recall_f1_match_sklearn(rng, name):
    logits = rng.normal(size=60).astype(np.float32)
    y = rng.integers(0, 2, 60)
    ref = getattr(skm, {"F1Score": "f1_score"}.get(name, name.lower() + "_score"))
    expected = ref(y, (logits > 0).astype(int))
    assert _accumulate(getattr(M, name)(), logits, y) == pytest.approx(expected)


@pytest.mark.parametrize("name", ["Precision", "Recall", "F1Score"])
def test_binary_zero_division_gives_zero(name):
    # no predicted positive and no actual positive: every ratio is 0/0
    metric = getattr(M, name)()
    assert float(metric(autodiff.tensor([-1.0, -2.0]), autodiff.tensor([0.0, 0.0]))) == 0.0


def test_integer_predictions_are_labels():
    assert float(M.Accuracy()(autodiff.tensor([1, 0, 1]), autodiff.tensor([1, 0, 0]))) == \
        pytest.approx(2 / 3)


# ---- multiclass ---------------------------------------------------------------------------------
def test_multiclass_accuracy_matches_sklearn(rng):
    logits = rng.normal(size=(45, 4)).astype(np.float32)
    y = rng.integers(0, 4, 45)
    expected = skm.accuracy_score(y, logits.argmax(1))
    assert _accumulate(M.Accuracy(num_classes=4), logits, y) == pytest.approx(expected)


def test_multiclass_accuracy_with_extra_dimensions(rng):
    logits = rng.normal(size=(6, 3, 5)).astype(np.float32)   # (N, C, L): a sequence tagger
    y = rng.integers(0, 3, (6, 5))
    assert _accumulate(M.Accuracy(num_classes=3), logits, y, size=4) == \
        pytest.approx(np.mean(logits.argmax(1) == y))


@pytest.mark.parametrize("average", ["macro", "micro", "weighted"])
@pytest.mark.parametrize("name", ["Precision", "Recall", "F1Score"])
def test_multiclass_averages_match_sklearn(rng, name, average):
    # class 4 never occurs, class 3 is never predicted: sklearn's label set and zero division
    logits = rng.normal(size=(80, 5)).astype(np.float32)
    logits[:, 4] -= 100
    logits[:, 3] -= 100
    y = rng.integers(0, 4, 80)
    ref = getattr(skm, {"F1Score": "f1_score"}.get(name, name.lower() + "_score"))
    expected = ref(y, logits.argmax(1), average=average, zero_division=0)
    metric = getattr(M, name)(num_classes=5, average=average)
    assert _accumulate(metric, logits, y, size=16) == pytest.approx(expected)


# ---- AUC ----------------------------------------------------------------------------------------
def test_auc_matches_sklearn_with_ties(rng):
    scores = rng.integers(0, 6, 120).astype(np.float32)    # many ties
    y = rng.integers(0, 2, 120)
    assert _accumulate(M.AUC(), scores, y, size=25) == pytest.approx(skm.roc_auc_score(y, scores))


def test_auc_is_exact_over_all_accumulated_predictions(rng):
    logits = rng.normal(size=(90, 1)).astype(np.float32)
    y = (rng.random((90, 1)) < 1 / (1 + np.exp(-2 * logits))).astype(np.float32)
    metric = M.AUC()
    first = float(metric(autodiff.tensor(logits[:30]), autodiff.tensor(y[:30])))
    assert first == pytest.approx(skm.roc_auc_score(y[:30, 0], logits[:30, 0]))
    metric(autodiff.tensor(logits[30:]), autodiff.tensor(y[30:]))
    assert float(metric.compute()) == pytest.approx(skm.roc_auc_score(y[:, 0], logits[:, 0]))
    # logits or probabilities: the same order, the same area
    probs = 1 / (1 + np.exp(-logits))
    assert _accumulate(M.AUC(), probs, y) == pytest.approx(float(metric.compute()))


def test_auc_perfect_reversed_and_undefined():
    y = autodiff.tensor([0.0, 0.0, 1.0, 1.0])
    assert float(M.AUC()(autodiff.tensor([0.1, 0.2, 0.3, 0.4]), y)) == 1.0
    assert float(M.AUC()(autodiff.tensor([0.4, 0.3, 0.2, 0.1]), y)) == 0.0
    assert float(M.AUC()(autodiff.tensor([0.5, 0.5, 0.5, 0.5]), y)) == 0.5
    assert math.isnan(float(M.AUC()(autodiff.tensor([0.1, 0.2]), autodiff.tensor([1.0, 1.0]))))


# ---- regression ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name, ref", [
    ("MeanAbsoluteError", "mean_absolute_error"),
    ("MeanSquaredError", "mean_squared_error"),
    ("MeanAbsolutePercentageError", "mean_absolute_percentage_error"),
])
def test_regression_metrics_match_sklearn(rng, name, ref):
    preds = rng.normal(size=(33, 2)).astype(np.float32)
    targets = rng.normal(size=(33, 2)).astype(np.float32)
    targets[3, 1] = 0.0                     # MAPE's epsilon: a huge but finite term
    expected = getattr(skm, ref)(targets.ravel(), preds.ravel())
    assert _accumulate(getattr(M, name)(), preds, targets) == pytest.approx(expected, rel=1e-5)


def test_regression_numpy_reference(rng):
    p = rng.normal(size=20)
    t = rng.normal(size=20) + 3
    assert _accumulate(M.MeanSquaredError(), p, t) == pytest.approx(np.mean((p - t) ** 2))
    assert _accumulate(M.MeanAbsolutePercentageError(), p, t) == \
        pytest.approx(np.mean(np.abs(p - t) / np.abs(t)))


# ---- protocol: call, compute, reset, copy, device, repr ------------------------------------------
def test_call_returns_batch_value_float32_without_graph():
    preds = autodiff.tensor([0.5, 1.5], requires_grad=True)
    value = M.MeanAbsoluteError()(preds * 2, autodiff.tensor([1.0, 1.0]))
    assert value.dtype == autodiff.float32 and value.ndim == 0
    assert not value.requires_grad and float(value) == pytest.approx(1.0)


def test_reset_and_compute_before_any_batch():
    metric = M.Accuracy()
    assert math.isnan(float(metric.compute()))
    metric(autodiff.tensor([1.0]), autodiff.tensor([1.0]))
    assert float(metric.compute()) == 1.0
    metric.reset()
    assert math.isnan(float(metric.compute()))
    metric(autodiff.tensor([1.0]), autodiff.tensor([0.0]))
    assert float(metric.compute()) == 0.0


def test_deepcopy_gives_an_independent_metric():
    metric = M.AUC()
    metric(autodiff.tensor([0.1, 0.9]), autodiff.tensor([0.0, 1.0]))
    clone = copy.deepcopy(metric)
    clone(autodiff.tensor([0.9, 0.1]), autodiff.tensor([0.0, 1.0]))
    assert float(metric.compute()) == 1.0
    assert float(clone.compute()) == 0.5


def test_to_device_keeps_the_state(device):
    metric = M.F1Score(num_classes=3)
    preds = autodiff.tensor([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    targets = autodiff.tensor([0, 2])
    metric(preds, targets)
    assert metric.to(device) is metric
    metric(preds.to(device), targets.to(device))
    assert float(metric.compute()) == pytest.approx(
        skm.f1_score([0, 2, 0, 2], [0, 1, 0, 1], average="macro"))


def test_repr():
    assert repr(M.Accuracy()) == "Accuracy(threshold=0.5, from_logits=True)"
    assert repr(M.Precision(num_classes=3)) == "Precision(num_classes=3, average='macro')"
    assert repr(M.AUC()) == "AUC()"


def test_batch_mean_wraps_a_function():
    metric = M.BatchMean(lambda p, t: (p - t).abs().max())
    metric(autodiff.tensor([1.0, 2.0, 3.0]), autodiff.tensor([1.0, 2.0, 1.0]))   # 2, 3 samples
    metric(autodiff.tensor([0.0]), autodiff.tensor([1.0]))                      # 1, 1 sample
    assert float(metric.compute()) == pytest.approx((2 * 3 + 1 * 1) / 4)


# ---- errors -------------------------------------------------------------------------------------
def test_regression_shapes_must_agree():
    # (N, 1) against (N,) would broadcast to (N, N) and give a wrong number silently
    with pytest.raises(ValueError, match=r"preds of shape \[4, 1\] and targets of shape \[4\]"):
        M.MeanSquaredError()(autodiff.zeros(4, 1), autodiff.zeros(4))


def test_binary_shapes_must_agree_with_hint_for_multiclass():
    with pytest.raises(ValueError, match="pass num_classes=3"):
        M.Accuracy()(autodiff.zeros(4, 3), autodiff.zeros(4))
    with pytest.raises(ValueError, match=r"\[4, 1\].*\[4\]"):
        M.AUC()(autodiff.zeros(4, 1), autodiff.zeros(4))


def test_binary_targets_must_be_zero_or_one():
    with pytest.raises(ValueError, match="0 or 1"):
        M.Recall()(autodiff.zeros(3), autodiff.tensor([0.0, 2.0, 1.0]))


def test_multiclass_checks():
    with pytest.raises(ValueError, match=r"shape \(N, 3, \.\.\.\)"):
        M.Accuracy(num_classes=3)(autodiff.zeros(4, 2), autodiff.zeros(4, dtype=autodiff.int64))
    with pytest.raises(ValueError, match="integer tensor"):
        M.Accuracy(num_classes=3)(autodiff.zeros(4, 3), autodiff.zeros(4))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        M.Accuracy(num_classes=3)(autodiff.zeros(2, 3), autodiff.tensor([0, 3]))


def test_constructor_checks():
    with pytest.raises(ValueError, match="num_classes"):
        M.Accuracy(num_classes=1)
    with pytest.raises(ValueError, match="threshold"):
        M.Accuracy(threshold=1.0)
    with pytest.raises(ValueError, match="average"):
        M.F1Score(num_classes=3, average="samples")
    with pytest.raises(TypeError, match="Tensor"):
        M.Accuracy()(np.zeros(3), autodiff.zeros(3))
