"""autodiff.keras.KerasModel: fit / evaluate / predict, checkpoints, early stopping, schedulers,
callbacks (TensorBoard included), learning curves, and clear errors for bad input."""
import math
import os

import numpy as np
import pytest

import autodiff
from autodiff import nn
from autodiff.keras import Callback, KerasModel, TensorBoardCallback
from autodiff.metrics import AUC, Accuracy, MeanSquaredError
from autodiff.utils.data import DataLoader, TensorDataset


def _blobs(n, seed=0, flip=False):
    """Two separable clouds in 2-D with labels of shape (n, 1); ``flip`` swaps the labels."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype(np.float32)
    x = rng.normal(size=(n, 2)).astype(np.float32) * 0.7 + (2 * y[:, None] - 1)
    if flip:
        y = 1 - y
    return autodiff.tensor(x), autodiff.tensor(y[:, None])


def _loader(n, seed=0, flip=False, batch_size=16, shuffle=False):
    return DataLoader(TensorDataset(*_blobs(n, seed, flip)), batch_size=batch_size,
                      shuffle=shuffle)


def _model(lr=0.05, metrics=None, **kwargs):
    net = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    metrics = {"acc": Accuracy()} if metrics is None else metrics
    return KerasModel(net, nn.BCEWithLogitsLoss(), metrics,
                      optimizer=autodiff.optim.Adam(net.parameters(), lr=lr), **kwargs)


def _weights(net):
    return {k: v.clone() for k, v in net.state_dict().items()}


def _same(a, b):
    return all(autodiff.equal(a[k], b[k]) for k in a)


class Recorder(Callback):
    """Records the order of the callback events and the weights after every epoch."""

    def __init__(self):
        self.events, self.weights = [], []

    def on_fit_start(self, model):
        self.events.append("fit_start")

    def on_train_epoch_end(self, model):
        # the history is rectangular: the val columns of this epoch are nan for now
        self.events.append(("train_end", model.history["epoch"][-1],
                            math.isnan(model.history["val_loss"][-1])))

    def on_validation_epoch_end(self, model):
        self.events.append("val_end")
        self.weights.append(_weights(model.net))

    def on_fit_end(self, model):
        self.events.append("fit_end")


# ---- training -----------------------------------------------------------------------------------
def test_fit_reaches_high_val_accuracy_with_columns_in_order(tmp_path):
    model = _model(metrics={"acc": Accuracy(), "auc": AUC()})
    df = model.fit(_loader(160, shuffle=True), _loader(80, seed=1), epochs=6,
                   ckpt_path=str(tmp_path / "ckpt"), quiet=True, plot=False)
    assert list(df.columns) == ["epoch", "train_loss", "train_acc", "train_auc", "lr",
                                "val_loss", "val_acc", "val_auc"]
    assert list(df.epoch) == list(range(1, len(df) + 1))
    assert df.val_acc.max() >= 0.95 and df.val_auc.max() >= 0.98
    assert df.train_loss.iloc[-1] < df.train_loss.iloc[0]
    assert list(df.columns) == list(model.history)


def test_columns_without_validation_data(tmp_path):
    df = _model().fit(_loader(32), epochs=2, monitor="train_loss",
                      ckpt_path=str(tmp_path / "c"), quiet=True, plot=False)
    assert list(df.columns) == ["epoch", "train_loss", "train_acc", "lr"]


def test_best_weights_restored_at_the_end_only(tmp_path):
    """Full-batch gradient descent on train labels, validation on the flipped labels: the
    train loss falls at every epoch while the val loss rises, so epoch 1 is the best."""
    net = nn.Linear(2, 1)
    nn.init.zeros_(net.weight)
    nn.init.zeros_(net.bias)
    model = KerasModel(net, nn.BCEWithLogitsLoss(), {"acc": Accuracy()},
                       optimizer=autodiff.optim.SGD(net.parameters(), lr=0.5))
    rec = Recorder()
    load_ckpt = model.load_ckpt
    model.load_ckpt = lambda path=None: (rec.events.append("load"), load_ckpt(path))
    train, val = _loader(64, batch_size=64), _loader(64, flip=True, batch_size=64)
    df = model.fit(train, val, epochs=5, patience=10, ckpt_path=str(tmp_path / "best.ckpt"),
                   callbacks=[rec], quiet=True, plot=False)
    assert list(df.val_loss.diff().dropna() > 0) == [True] * 4
    # were the best checkpoint reloaded inside the epoch loop (the torchkeras-course bug),
    # every epoch would restart from epoch 1's weights and the train loss would stall
    assert list(df.train_loss.diff().dropna() < 0) == [True] * 4
    assert rec.events == (["fit_start"] + [e for k in range(1, 6)
                                           for e in (("train_end", k, True), "val_end")]
                          + ["load", "fit_end"])
    assert model.best_epoch == 1 and _same(_weights(net), rec.weights[0])
    # evaluate() after fit reproduces the best row
    best = df.loc[df.val_loss.idxmin()]
    result = model.evaluate(val, quiet=True)
    assert result == {"val_loss": pytest.approx(best.val_loss, rel=1e-9),
                      "val_acc": pytest.approx(best.val_acc)}


def test_early_stopping_with_one_message(tmp_path, capsys):
    net = nn.Linear(2, 1)
    model = KerasModel(net, nn.BCEWithLogitsLoss(),
                       optimizer=autodiff.optim.SGD(net.parameters(), lr=0.0))
    df = model.fit(_loader(32), _loader(32, seed=1), epochs=20, patience=3,
                   ckpt_path=str(tmp_path / "c"), plot=False)
    assert len(df) == 4                        # the best epoch, then 3 without improvement
    out = capsys.readouterr().out
    assert out.count("Early stopping") == 1
    assert "Early stopping at epoch 4: val_loss has not improved for 3 epochs" in out
    assert "Restored the best weights, from epoch 1" in out


def test_monitor_max_and_patience_none(tmp_path):
    model = _model()
    df = model.fit(_loader(48), _loader(32, seed=1), epochs=3, patience=None,
                   monitor="val_acc", mode="max", ckpt_path=str(tmp_path / "c"), quiet=True,
                   plot=False)
    assert len(df) == 3 and model.best_score == df.val_acc.max()
    assert model.best_epoch == int(df.epoch[df.val_acc.idxmax()])


def test_optimizer_is_created_once():
    net = nn.Linear(2, 1)
    model = KerasModel(net, nn.BCEWithLogitsLoss())
    opt = model.optimizer
    assert opt is model.optimizer and isinstance(opt, autodiff.optim.Adam)
    assert opt.param_groups[0]["lr"] == 1e-3
    assert [id(p) for p in opt.param_groups[0]["params"]] == [id(p) for p in net.parameters()]
    model.fit(_loader(64), epochs=3, monitor="train_loss", ckpt_path=None, quiet=True,
              plot=False)
    # one Adam all along: its step counter went through every batch of every epoch
    assert model.optimizer is opt and float(opt.state[net.weight]["step"]) == 3 * 4


def test_scheduler_steps_once_per_epoch_by_default():
    net = nn.Linear(2, 1)
    opt = autodiff.optim.SGD(net.parameters(), lr=0.1)
    model = KerasModel(net, nn.BCEWithLogitsLoss(), optimizer=opt,
                       lr_scheduler=autodiff.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5))
    df = model.fit(_loader(64), epochs=3, monitor="train_loss", ckpt_path=None, quiet=True,
                   plot=False)
    assert list(df.lr) == pytest.approx([0.1, 0.05, 0.025])


def test_scheduler_steps_per_batch_when_asked():
    net = nn.Linear(2, 1)
    opt = autodiff.optim.SGD(net.parameters(), lr=0.1)
    model = KerasModel(net, nn.BCEWithLogitsLoss(), optimizer=opt,
                       lr_scheduler=autodiff.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5),
                       lr_scheduler_step="batch")
    df = model.fit(_loader(64), epochs=2, monitor="train_loss", ckpt_path=None, quiet=True,
                   plot=False)
    assert list(df.lr) == pytest.approx([0.1, 0.1 * 0.5 ** 4])    # 4 batches per epoch


def test_reduce_on_plateau_receives_the_monitored_value():
    class Spy(autodiff.optim.lr_scheduler.ReduceLROnPlateau):
        def step(self, metrics, epoch=None):
            self.seen.append(metrics)
            super().step(metrics)

    net = nn.Linear(2, 1)
    opt = autodiff.optim.SGD(net.parameters(), lr=0.1)
    spy = Spy(opt, mode="max")
    spy.seen = []
    model = KerasModel(net, nn.BCEWithLogitsLoss(), {"acc": Accuracy()}, optimizer=opt,
                       lr_scheduler=spy)
    df = model.fit(_loader(32), _loader(32, seed=1), epochs=3, monitor="val_acc", mode="max",
                   ckpt_path=None, quiet=True, plot=False)
    assert spy.seen == list(df.val_acc)
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        KerasModel(net, nn.BCEWithLogitsLoss(), optimizer=opt, lr_scheduler=spy,
                   lr_scheduler_step="batch")


def test_callback_can_stop_training():
    class StopAfterTwo(Callback):
        def on_validation_epoch_end(self, model):
            model.stop_training = len(model.history["epoch"]) == 2

    df = _model().fit(_loader(32), _loader(32, seed=1), epochs=10, ckpt_path=None,
                      callbacks=[StopAfterTwo()], quiet=True, plot=False)
    assert len(df) == 2


def test_checkpoint_file_and_load_ckpt(tmp_path):
    path = str(tmp_path / "sub" / "model.ckpt")
    model = _model()
    model.fit(_loader(32), _loader(32, seed=1), epochs=2, ckpt_path=path, quiet=True,
              plot=False)
    best = _weights(model.net)
    saved = autodiff.load(path)
    assert list(saved) == list(best) and _same(saved, best)
    with autodiff.no_grad():
        for p in model.net.parameters():
            p.add_(1.0)
    model.load_ckpt()
    assert _same(_weights(model.net), best)


def test_checkpoint_in_memory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = _model()
    rec = Recorder()
    df = model.fit(_loader(32), _loader(32, seed=1), epochs=3, ckpt_path=None, callbacks=[rec],
                   quiet=True, plot=False)
    assert os.listdir(tmp_path) == []
    assert _same(_weights(model.net), rec.weights[int(df.val_loss.idxmin())])


def test_functions_as_metrics_and_multiple_inputs():
    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 1)

        def forward(self, a, b):
            return self.fc(autodiff.cat([a, b], dim=1))

    x, y = _blobs(40)
    data = DataLoader(TensorDataset(x[:, :1], x[:, 1:], y), batch_size=16)

    def mean_abs(preds, targets):
        return (preds - targets).abs().mean()

    model = KerasModel(TwoInputs(), nn.BCEWithLogitsLoss(), {"mae": mean_abs})
    df = model.fit(data, data, epochs=1, ckpt_path=None, quiet=True, plot=False)
    expected = float((model.net(x[:, :1], x[:, 1:]) - y).abs().mean().detach())
    assert df.val_mae[0] == pytest.approx(expected, rel=1e-5)   # batch means weighted by size
    assert model.predict(data).shape == (40, 1)


def test_predict_concatenates_outputs_in_eval_mode():
    model = _model()
    model.net.add_module("drop", nn.Dropout(0.5))
    x, _ = _blobs(40)
    model.net.eval()
    expected = model.net(x)
    model.net.train()
    out = model.predict(_loader(40, batch_size=16))
    assert out.shape == (40, 1) and not out.requires_grad
    assert autodiff.allclose(out, expected)
    assert autodiff.allclose(model.predict(x), expected)
    assert autodiff.allclose(model.predict(DataLoader(TensorDataset(x), batch_size=7)), expected)
    assert model.net.training                            # the mode is restored


def test_forward_delegates_and_state_dict():
    model = _model()
    x, _ = _blobs(4)
    assert autodiff.equal(model(x), model.net(x))
    assert list(model.state_dict()) == ["net.0.weight", "net.0.bias", "net.2.weight",
                                        "net.2.bias"]


def test_device_message_progress_bars_and_quiet(capsys):
    model = _model()
    model.fit(_loader(32), _loader(32, seed=1), epochs=1, ckpt_path=None, plot=False)
    out, err = capsys.readouterr()
    assert out.startswith("Training on device: cpu\nepoch 1/1  train_loss=")
    assert "Epoch 1/1 train" in err and "Epoch 1/1 val" in err      # tqdm's bars
    model.fit(_loader(32), _loader(32, seed=1), epochs=1, ckpt_path=None, plot=False,
              quiet=True)
    assert capsys.readouterr() == ("", "")


def test_fit_on_device(device):
    model = _model()
    df = model.fit(_loader(48), _loader(32, seed=1), epochs=2, ckpt_path=None, quiet=True,
                   plot=False, device=device)
    assert all(p.device.type == device for p in model.net.parameters())
    assert model.evaluate(_loader(32, seed=1), quiet=True)["val_loss"] == \
        pytest.approx(df.val_loss.min(), rel=1e-6)
    assert model.predict(_loader(32)).device.type == device


# ---- plots and TensorBoard ----------------------------------------------------------------------
def test_plot_saves_the_curves_next_to_the_checkpoint(tmp_path, capsys):
    # the figure is a bare matplotlib Figure rendered by Agg: no pyplot, no window
    model = _model()
    model.fit(_loader(32), _loader(32, seed=1), epochs=2, ckpt_path=str(tmp_path / "m.ckpt"),
              plot=True)
    png = tmp_path / "m_history.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"Learning curves saved to {png}" in capsys.readouterr().out


def test_plot_updates_one_output_in_jupyter(tmp_path, monkeypatch):
    import IPython.display
    from autodiff.keras import _plot

    shown = []

    class Handle:
        def update(self, obj):
            shown.append(("update", obj))

    def display(obj, display_id=False):
        shown.append(("display", obj))
        return Handle()

    monkeypatch.setattr(_plot, "in_jupyter", lambda: True)
    monkeypatch.setattr(IPython.display, "display", display)
    _model().fit(_loader(32), _loader(32, seed=1), epochs=2, ckpt_path=str(tmp_path / "m"),
                 plot=True, quiet=True)
    assert [kind for kind, _ in shown] == ["display", "update", "update"]   # 2 epochs + end
    assert all(isinstance(obj, IPython.display.Image) for _, obj in shown)


def test_tensorboard_callback(tmp_path):
    ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    tb = TensorBoardCallback(save_dir=str(tmp_path), model_name="net", log_weight=True,
                             log_weight_freq=1)
    model = _model()
    df = model.fit(_loader(32), _loader(32, seed=1), epochs=2, ckpt_path=None, callbacks=[tb],
                   quiet=True, plot=False)
    assert os.path.dirname(tb.log_path) == str(tmp_path / "net")

    def scalars(run, tag):
        acc = ea.EventAccumulator(os.path.join(tb.log_path, run) if run else tb.log_path,
                                  size_guidance={ea.HISTOGRAMS: 0})
        acc.Reload()
        return acc, [(e.step, e.value) for e in acc.Scalars(tag)]

    # grouped curves: the chart "loss" holds train_loss and val_loss, "acc" both accuracies
    for quantity in ("loss", "acc"):
        for stage in ("train", "val"):
            column = f"{stage}_{quantity}"
            _, values = scalars(f"{quantity}_{column}", quantity)
            assert [s for s, _ in values] == [1, 2]
            assert [v for _, v in values] == pytest.approx(list(df[column]), rel=1e-6)
    acc, lr = scalars(None, "lr")
    assert [v for _, v in lr] == pytest.approx([0.05, 0.05])
    # weight histograms at the start and after each epoch; the best weights at the end
    assert [e.step for e in acc.Histograms("0.weight")] == [0, 1, 2]
    assert [e.step for e in acc.Histograms("best/0.weight")] == [model.best_epoch]
    assert (tmp_path / "net" / os.path.basename(tb.log_path) / "dfhistory.csv").exists()


# ---- bad input ----------------------------------------------------------------------------------
class _NoIteration:
    """Data that fails the test if training starts."""

    def __len__(self):
        return 1

    def __iter__(self):
        raise AssertionError("training started")


class _Counting:
    def __init__(self, loader):
        self.loader, self.batches = loader, 0

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for batch in self.loader:
            self.batches += 1
            yield batch


def test_monitor_not_in_history_fails_before_training():
    with pytest.raises(ValueError, match=r"monitor='val_auc' is not a column of the history; "
                                         r"choose one of \['train_loss', 'train_acc', "
                                         r"'val_loss', 'val_acc'\]"):
        _model().fit(_NoIteration(), _NoIteration(), monitor="val_auc", plot=False)
    with pytest.raises(ValueError, match="val_ columns exist only with val_data"):
        _model().fit(_NoIteration(), monitor="val_loss", plot=False)


def test_other_fit_arguments_are_checked_before_training():
    for kwargs, match in [({"mode": "best"}, "mode"), ({"epochs": 0}, "epochs"),
                          ({"patience": 0}, "patience"),
                          ({"callbacks": [TensorBoardCallback]}, "instances")]:
        with pytest.raises((ValueError, TypeError), match=match):
            _model().fit(_NoIteration(), _NoIteration(), plot=False, **kwargs)


def test_non_scalar_loss_fails_at_the_first_batch():
    net = nn.Linear(2, 1)
    before = _weights(net)
    model = KerasModel(net, nn.BCEWithLogitsLoss(reduction="none"))
    data = _Counting(_loader(32))
    with pytest.raises(ValueError, match=r"loss_fn must return a scalar, got a tensor of shape "
                                         r"\[16, 1\]"):
        model.fit(data, epochs=1, monitor="train_loss", ckpt_path=None, quiet=True, plot=False)
    assert data.batches == 1 and _same(_weights(net), before)


def test_metric_shape_mismatch_fails_at_the_first_batch():
    net = nn.Linear(2, 1)
    x, y = _blobs(32)
    data = _Counting(DataLoader(TensorDataset(x, y[:, 0]), batch_size=16))   # targets (N,)

    def loss_fn(preds, targets):
        return ((preds[:, 0] - targets) ** 2).mean()

    model = KerasModel(net, loss_fn, {"mse": MeanSquaredError()})
    with pytest.raises(ValueError, match=r"metric 'mse': MeanSquaredError: preds of shape "
                                         r"\[16, 1\] and targets of shape \[16\]"):
        model.fit(data, epochs=1, monitor="train_loss", ckpt_path=None, quiet=True, plot=False)
    assert data.batches == 1


def test_bad_batches_and_constructor_arguments():
    with pytest.raises(TypeError, match=r"tuple \(inputs\.\.\., targets\)"):
        _model().fit([autodiff.zeros(4, 2)], epochs=1, monitor="train_loss", ckpt_path=None,
                     quiet=True, plot=False)
    net = nn.Linear(2, 1)
    with pytest.raises(TypeError, match="Optimizer instance"):
        KerasModel(net, nn.MSELoss(), optimizer=autodiff.optim.Adam)
    with pytest.raises(TypeError, match=r"write Accuracy\(\.\.\.\)"):
        KerasModel(net, nn.MSELoss(), {"acc": Accuracy})
    with pytest.raises(ValueError, match="metric name 'loss'"):
        KerasModel(net, nn.MSELoss(), {"loss": MeanSquaredError()})
    with pytest.raises(ValueError, match="lr_scheduler_step"):
        KerasModel(net, nn.MSELoss(), lr_scheduler_step="step")
    with pytest.raises(TypeError, match="nn.Module"):
        KerasModel(lambda x: x, nn.MSELoss())


def test_nan_monitor_warns_and_keeps_last_weights():
    model = _model(metrics={"bad": lambda p, t: float("nan")})
    with pytest.warns(RuntimeWarning, match="no checkpoint"):
        df = model.fit(_loader(32), _loader(32, seed=1), epochs=2, patience=5, ckpt_path=None,
                       monitor="val_bad", quiet=True, plot=False)
    assert len(df) == 2 and model.best_epoch is None


def test_fit_on_simulated_cuda(tmp_path):
    """The whole loop (batches, metrics, checkpoint file, restore, predict) on the CUDA code
    path, computed by the strict NumPy stand-in for CuPy: no host array may leak in."""
    fake = pytest.importorskip("_fake_cupy")
    with fake.simulated():
        model = _model(metrics={"acc": Accuracy(), "auc": AUC(), "mse": MeanSquaredError()})
        df = model.fit(_loader(48), _loader(32, seed=1), epochs=2, quiet=True, plot=False,
                       ckpt_path=str(tmp_path / "c"), device="cuda")
        assert all(p.device.type == "cuda" for p in model.net.parameters())
        assert model.evaluate(_loader(32, seed=1), quiet=True)["val_loss"] == \
            pytest.approx(df.val_loss.min(), rel=1e-6)
        assert model.predict(_loader(32)).device.type == "cuda"
