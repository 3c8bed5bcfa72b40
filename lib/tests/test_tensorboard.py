"""autodiff.utils.tensorboard: every kind of event read back with tensorboard's own
EventAccumulator, the graph of add_graph, a real TensorBoard server over HTTP, imports, and
what survives a process that exits or is killed without close()."""
import io
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn
from autodiff.utils.tensorboard import SummaryWriter
from autodiff.utils.tensorboard.summary import tensorflow_bins

from tensorboard.backend.event_processing import event_accumulator as ea_module  # noqa: E402
from tensorboard.plugins.hparams import metadata as hp_metadata  # noqa: E402

LIB = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read(logdir):
    """All events of one run directory, nothing sampled away."""
    keep_all = {k: 0 for k in (ea_module.SCALARS, ea_module.HISTOGRAMS, ea_module.IMAGES,
                               ea_module.TENSORS, ea_module.COMPRESSED_HISTOGRAMS)}
    acc = ea_module.EventAccumulator(str(logdir), size_guidance=keep_all)
    acc.Reload()
    return acc


def decode(image_event):
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(image_event.encoded_image_string)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.fc2 = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc2(ad.relu(self.fc1(x)))


# ---- scalars ------------------------------------------------------------------------------
def test_scalars_values_steps_and_walltime(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", 0.5, 1)
        w.add_scalar("loss", ad.tensor(0.25), 2)                          # a 0-d tensor
        w.add_scalar("loss", ad.tensor([0.125], requires_grad=True), 3)   # needs no detach
        w.add_scalar("loss", np.float64(2.0), 4, walltime=123.0)
        w.add_scalar("acc", 7, new_style=True, double_precision=True)
    acc = read(tmp_path)
    events = acc.Scalars("loss")
    assert [e.step for e in events] == [1, 2, 3, 4]
    assert [e.value for e in events] == [0.5, 0.25, 0.125, 2.0]
    assert events[-1].wall_time == 123.0
    (t,) = acc.Tensors("acc")
    assert list(t.tensor_proto.double_val) == [7.0]
    assert acc.SummaryMetadata("acc").plugin_data.plugin_name == "scalars"


def test_scalar_must_have_one_element(tmp_path):
    with SummaryWriter(tmp_path) as w, pytest.raises(AssertionError, match="one element"):
        w.add_scalar("x", ad.zeros(3))


def test_add_scalars_writes_one_run_per_key(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(3):
            w.add_scalars("loss/split", {"train": step * 1.0, "val": step * 2.0}, step)
    runs = sorted(p.name for p in tmp_path.iterdir() if p.is_dir())
    assert runs == ["loss_split_train", "loss_split_val"]
    val = read(tmp_path / "loss_split_val").Scalars("loss/split")
    assert [(e.step, e.value) for e in val] == [(0, 0.0), (1, 2.0), (2, 4.0)]
    assert [e.value for e in read(tmp_path / "loss_split_train").Scalars("loss/split")] == [0, 1, 2]


def test_tensors_on_any_device(tmp_path, device):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("s", ad.tensor(1.5, device=device))
        w.add_histogram("h", ad.arange(10.0, device=device), bins=2)
        w.add_image("i", ad.ones(3, 2, 2, device=device))
    acc = read(tmp_path)
    assert acc.Scalars("s")[0].value == 1.5
    assert acc.Histograms("h")[0].histogram_value.num == 10
    assert (decode(acc.Images("i")[0]) == 255).all()


# ---- histograms ---------------------------------------------------------------------------
def test_histogram_counts_match_numpy(tmp_path):
    values = np.random.default_rng(0).normal(size=1000)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("weights", ad.tensor(values, requires_grad=True), 5, bins=7)
        w.add_histogram("list", [1, 2, 2, 3, 3, 3], bins=3)
    h = read(tmp_path).Histograms("weights")[0]
    assert h.step == 5
    proto = h.histogram_value
    counts, edges = np.histogram(values, bins=7)
    assert proto.bucket == [0.0] + counts.tolist()       # a leading empty bucket: left edge
    np.testing.assert_allclose(proto.bucket_limit, edges)
    assert (proto.min, proto.max, proto.num) == (values.min(), values.max(), 1000)
    assert proto.sum == pytest.approx(values.sum())
    assert proto.sum_squares == pytest.approx((values ** 2).sum())
    assert read(tmp_path).Histograms("list")[0].histogram_value.bucket == [0, 1, 2, 3]


def test_histogram_default_tensorflow_bins(tmp_path):
    values = np.array([-3.0, -0.5, 0.001, 0.002, 1.0, 40.0])
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("h", values)
    proto = read(tmp_path).Histograms("h")[0].histogram_value
    counts, edges = np.histogram(values, bins=tensorflow_bins())
    first, last = np.flatnonzero(counts)[[0, -1]]
    assert proto.bucket[1:] == counts[first:last + 1].tolist()
    np.testing.assert_allclose(proto.bucket_limit, edges[first:last + 2])
    assert sum(proto.bucket) == 6
    bins = tensorflow_bins()
    assert bins[0] < -1e19 and bins[-1] > 1e19 and 0.0 in bins


def test_histogram_max_bins_and_errors(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("h", np.arange(100), bins=10, max_bins=3)
        with pytest.raises(ValueError, match="no element"):
            w.add_histogram("empty", [])
    proto = read(tmp_path).Histograms("h")[0].histogram_value
    assert proto.bucket == [0, 40, 40, 20]
    assert proto.bucket_limit[0] == 0 and proto.bucket_limit[-1] == 99


# ---- images and figures -------------------------------------------------------------------
def test_images_sizes_pixels_and_png(tmp_path):
    chw = ad.rand(3, 4, 5)
    hwc = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    grey = np.full((2, 3), 0.5)
    batch = ad.rand(10, 1, 2, 3)
    with SummaryWriter(tmp_path) as w:
        w.add_image("chw", chw, 1)
        w.add_image("hwc", hwc, 1, dataformats="HWC")
        w.add_image("hw", grey, 1, dataformats="HW")
        w.add_images("batch", batch, 1)
    acc = read(tmp_path)
    ev = acc.Images("chw")[0]
    assert (ev.height, ev.width, ev.step) == (4, 5, 1)
    assert ev.encoded_image_string.startswith(PNG_SIGNATURE)
    expected = (chw.numpy().transpose(1, 2, 0) * 255).clip(0, 255).astype(np.uint8)
    np.testing.assert_array_equal(decode(ev), expected)
    np.testing.assert_array_equal(decode(acc.Images("hwc")[0]), hwc)           # uint8 as is
    np.testing.assert_array_equal(decode(acc.Images("hw")[0]), np.full((2, 3, 3), 127))
    grid = acc.Images("batch")[0]                # 8 images a row, then a second row
    assert (grid.height, grid.width) == (4, 24)
    pixels = decode(grid)
    ninth = (batch[8, 0].numpy() * 255).astype(np.uint8)
    np.testing.assert_array_equal(pixels[2:4, 0:3, 0], ninth)
    assert (pixels[2:4, 6:, :] == 0).all()       # the empty cells of the last row


def test_image_format_errors(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(AssertionError, match="input format are different"):
            w.add_image("x", ad.rand(2, 3))                      # CHW needs 3 dimensions
        with pytest.raises(AssertionError, match="same dimension shorthand twice"):
            w.add_image("x", ad.rand(2, 3, 3), dataformats="CHH")
        with pytest.raises(AssertionError, match="permutation"):
            w.add_images("x", ad.rand(2, 3, 3, 3), dataformats="CHW")


def test_figures(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=(2, 1), dpi=50)
    plt.plot([0, 1], [1, 0])
    figs = [plt.figure(figsize=(1, 1), dpi=20) for _ in range(2)]
    with SummaryWriter(tmp_path) as w:
        w.add_figure("fig", fig, 3)
        w.add_figure("figs", figs, 3)
    acc = read(tmp_path)
    ev = acc.Images("fig")[0]
    assert (ev.width, ev.height, ev.step) == (100, 50, 3)
    assert ev.encoded_image_string.startswith(PNG_SIGNATURE)
    assert (acc.Images("figs")[0].width, acc.Images("figs")[0].height) == (40, 20)
    assert not plt.fignum_exists(fig.number)             # close=True closes the figure


# ---- text and hparams ---------------------------------------------------------------------
def test_text(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_text("notes", "**lr** = 0.1", 2)
    acc = read(tmp_path)
    (t,) = acc.Tensors("notes/text_summary")
    assert t.step == 2 and t.tensor_proto.string_val == [b"**lr** = 0.1"]
    assert acc.SummaryMetadata("notes/text_summary").plugin_data.plugin_name == "text"


def test_hparams(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.1, "batch": 32, "opt": "adam", "bn": True, "skip": None},
                      {"hparam/accuracy": 0.75}, {"opt": ["adam", "sgd"]}, run_name="trial")
        with pytest.raises(TypeError, match="should be dictionary"):
            w.add_hparams([("lr", 0.1)], {})
    acc = read(tmp_path / "trial")
    content = acc.PluginTagToContent(hp_metadata.PLUGIN_NAME)
    assert set(content) == {hp_metadata.EXPERIMENT_TAG, hp_metadata.SESSION_START_INFO_TAG,
                            hp_metadata.SESSION_END_INFO_TAG}
    start = hp_metadata.parse_session_start_info_plugin_data(
        content[hp_metadata.SESSION_START_INFO_TAG])
    assert start.hparams["lr"].number_value == 0.1
    assert start.hparams["batch"].number_value == 32
    assert start.hparams["opt"].string_value == "adam"
    assert start.hparams["bn"].bool_value is True
    assert "skip" not in start.hparams
    experiment = hp_metadata.parse_experiment_plugin_data(content[hp_metadata.EXPERIMENT_TAG])
    infos = {i.name: i for i in experiment.hparam_infos}
    assert set(infos) == {"lr", "batch", "opt", "bn"}
    assert [v.string_value for v in infos["opt"].domain_discrete.values] == ["adam", "sgd"]
    assert [m.name.tag for m in experiment.metric_infos] == ["hparam/accuracy"]
    assert acc.Scalars("hparam/accuracy")[0].value == 0.75


# ---- the graph ----------------------------------------------------------------------------
def graph_of(tmp_path, model, *inputs):
    with SummaryWriter(tmp_path) as w:
        w.add_graph(model, inputs[0] if len(inputs) == 1 else inputs)
    return {n.name: n for n in read(tmp_path).Graph().node}


def shapes(node):
    return [[d.size for d in s.dim] for s in node.attr["_output_shapes"].list.shape]


def assert_connected(nodes):
    """Every input names a node; every node but the outputs feeds some node."""
    used = set()
    for node in nodes.values():
        for name in node.input:
            assert name.split(":")[0] in nodes, f"{node.name} has a dangling input {name}"
            used.add(name.split(":")[0])
    assert {n for n in nodes if not n.startswith("output/")} == used


def test_graph_nodes_edges_scopes_and_shapes(tmp_path):
    model = Net()
    nodes = graph_of(tmp_path, model, ad.randn(5, 4))
    assert_connected(nodes)
    assert nodes["input/x"].op == "IO Node" and shapes(nodes["input/x"]) == [[5, 4]]
    assert nodes["Net/Linear[fc1]/weight"].op == "Parameter"
    assert shapes(nodes["Net/Linear[fc1]/weight"]) == [[3, 4]]
    linear = nodes["Net/Linear[fc1]/Linear"]
    assert linear.attr["grad_fn"].s == b"AddmmBackward0"
    assert list(linear.input) == ["Net/Linear[fc1]/bias", "input/x", "Net/Linear[fc1]/Transpose"]
    assert shapes(linear) == [[5, 3]]
    assert list(nodes["Net/ReLU"].input) == ["Net/Linear[fc1]/Linear"]
    assert list(nodes["output/output.1"].input) == ["Net/Linear[fc2]/Linear"]
    assert shapes(nodes["output/output.1"]) == [[5, 2]]
    assert model.training and not model._forward_hooks and not model.fc1._forward_pre_hooks


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                                      nn.MaxPool2d(2), nn.Dropout(0.5))
        self.emb = nn.Embedding(10, 8)

    def forward(self, img, ids):
        h = self.features(img).flatten(1)
        first, second = h.split(8, dim=1)
        return first * second + self.emb(ids)


def test_graph_of_a_conv_net_in_eval_mode(tmp_path):
    model = ConvNet()
    model.features[4].train(False)          # flags are restored one by one
    nodes = graph_of(tmp_path, model, ad.randn(3, 1, 6, 6), ad.tensor([1, 2, 3]))
    assert_connected(nodes)
    ops = {n.op for n in nodes.values()}
    assert {"Conv2d", "BatchNorm", "ReLU", "MaxPool2d", "View", "Split", "Mul", "Embedding",
            "Add", "Parameter", "Buffer", "IO Node"} <= ops
    assert "Dropout" not in ops and not any("Dropout[4]/" in n for n in nodes)   # eval mode
    conv = nodes["ConvNet/Sequential[features]/Conv2d[0]/Conv2d"]
    assert list(conv.input) == ["input/img", "ConvNet/Sequential[features]/Conv2d[0]/weight",
                                "ConvNet/Sequential[features]/Conv2d[0]/bias"]
    bn = nodes["ConvNet/Sequential[features]/BatchNorm2d[1]/BatchNorm"]
    assert "ConvNet/Sequential[features]/BatchNorm2d[1]/running_mean" in bn.input
    assert nodes["ConvNet/Sequential[features]/BatchNorm2d[1]/running_var"].op == "Buffer"
    assert list(nodes["ConvNet/Mul"].input) == ["ConvNet/Split", "ConvNet/Split:1"]
    assert shapes(nodes["ConvNet/Split"]) == [[3, 8], [3, 8]]
    assert "input/ids" in nodes["ConvNet/Embedding[emb]/Embedding"].input   # found by shape
    assert nodes["input/ids"].attr["dtype"].s == b"int64"
    assert model.training and not model.features[4].training


def test_graph_of_a_10000_op_chain_has_no_recursion_limit(tmp_path):
    class Chain(nn.Module):
        def forward(self, x):
            for _ in range(10_000):
                x = x * 1.0001
            return x

    nodes = graph_of(tmp_path, Chain(), ad.ones(2))
    assert len(nodes) == 10_002
    assert list(nodes["Chain/Mul_1"].input) == ["Chain/Mul"]
    assert list(nodes["output/output.1"].input) == ["Chain/Mul_9999"]


@pytest.mark.filterwarnings("ignore:`torch.jit.trace")      # torch's writer still uses it
def test_graph_matches_torch_names(tmp_path, torch):
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = torch.nn.Linear(4, 3), torch.nn.Linear(3, 2)

        def forward(self, x):
            return self.fc2(torch.relu(self.fc1(x)))

    TorchNet.__name__ = "Net"
    with TorchWriter(tmp_path / "torch") as w:
        w.add_graph(TorchNet(), torch.randn(5, 4))
    theirs = {n.name: n for n in read(tmp_path / "torch").Graph().node}
    ours = graph_of(tmp_path / "ours", Net(), ad.randn(5, 4))

    def io(nodes):
        return {k: shapes(n) for k, n in nodes.items() if n.op == "IO Node"}

    assert io(ours) == io(theirs)                   # input/x, output/output.1 and shapes
    params = {k.rpartition("/")[0] for k, n in theirs.items() if n.op == "prim::GetAttr"}
    assert params == {k for k, n in ours.items() if n.op == "Parameter"}
    scopes = {k.rpartition("/")[0] for k, n in theirs.items() if n.op.startswith("aten::")}
    assert scopes == {k.rpartition("/")[0] for k, n in ours.items()
                      if n.op not in ("Parameter", "IO Node")}


# ---- files and life cycle -----------------------------------------------------------------
def next_second():
    """Wait for the clock's next second. TensorBoard reads a run's event files in name order,
    and a name holds the time in whole seconds, then a per-process counter compared as text
    (so file 10 sorts before file 9): two files must not be opened in the same second."""
    time.sleep(1 - time.time() % 1 + 0.01)


def test_log_dir_default_comment_suffix_and_reopen(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1", filename_suffix=".v1")
    (run,) = os.listdir(tmp_path / "runs")
    assert run.endswith(socket.gethostname() + "_lr0.1")
    assert w.get_logdir() == os.path.join("runs", run)
    w.add_scalar("a", 1.0, 0)
    w.flush()                                        # readable before close
    assert [e.value for e in read(w.get_logdir()).Scalars("a")] == [1.0]
    w.close()
    next_second()
    w.add_scalar("a", 2.0, 1)                        # logging after close opens a new file
    w.close()
    files = os.listdir(w.get_logdir())
    assert len(files) == 2 and all(f.startswith("events.out.tfevents.") and f.endswith(".v1")
                                   for f in files)
    assert [e.value for e in read(w.get_logdir()).Scalars("a")] == [1.0, 2.0]


def test_purge_step_marks_a_restart(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(5):
            w.add_scalar("a", step, step)
    next_second()
    with SummaryWriter(tmp_path, purge_step=3) as w:
        w.add_scalar("a", 30.0, 3)
    assert [(e.step, e.value) for e in read(tmp_path).Scalars("a")] == [(0, 0), (1, 1), (2, 2),
                                                                          (3, 30.0)]


def python_env():
    return dict(os.environ, PYTHONPATH=LIB + os.pathsep + os.environ.get("PYTHONPATH", ""))


def run_python(code):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=python_env(),
                          capture_output=True, text=True, timeout=120)


WRITE_AND_DIE = """
    import os, signal, time
    from autodiff.utils.tensorboard import SummaryWriter
    w = SummaryWriter({logdir!r}, flush_secs={flush_secs})
    for step in range(50):
        w.add_scalar("s", step * 0.5, step)
    time.sleep({wait})
    {ending}
"""


def steps_written(logdir):
    acc = read(logdir)
    return [e.step for e in acc.Scalars("s")] if "s" in acc.Tags()["scalars"] else []


def test_exit_without_close_loses_nothing_and_a_kill_loses_at_most_flush_secs(tmp_path):
    cases = {   # name: (flush_secs, seconds between the last event and the end, ending)
        "exit": (120, 0, "pass"),                      # the atexit handler closes the writer
        "killed_now": (120, 0, "os.kill(os.getpid(), 9)"),
        "killed_later": (0.5, 1.0, "os.kill(os.getpid(), 9)"),
    }
    procs = {}
    for name, (flush_secs, wait, ending) in cases.items():        # the three run side by side
        code = WRITE_AND_DIE.format(logdir=str(tmp_path / name), flush_secs=flush_secs,
                                    wait=wait, ending=ending)
        procs[name] = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)],
                                       env=python_env(), stderr=subprocess.PIPE)
    codes = {}
    for name, proc in procs.items():
        _, err = proc.communicate(timeout=120)
        codes[name] = (proc.returncode, err)
    assert codes["exit"] == (0, b"")
    assert codes["killed_now"][0] == codes["killed_later"][0] == -signal.SIGKILL
    assert steps_written(tmp_path / "exit") == list(range(50))
    steps = steps_written(tmp_path / "killed_now")       # readable: a prefix of what was logged
    assert steps == list(range(len(steps)))
    assert steps_written(tmp_path / "killed_later") == list(range(50))


# ---- a real TensorBoard server ------------------------------------------------------------
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def test_tensorboard_server_serves_what_was_written(tmp_path):
    logdir = tmp_path / "logs"
    with SummaryWriter(logdir / "exp1") as w:
        for step in range(3):
            w.add_scalar("loss", 1.0 / (step + 1), step)
        w.add_histogram("weights", np.arange(10.0), 0)
        w.add_graph(Net(), ad.randn(5, 4))
    port = free_port()
    log = open(tmp_path / "tensorboard.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir),
                               "--host", "127.0.0.1", "--port", str(port), "--load_fast=false",
                               "--reload_interval=1"], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, runs = time.monotonic() + 60, None
        while time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "tensorboard.log").read_text()
            try:
                runs = get_json(base + "/data/runs")
                if runs and "loss" in get_json(base + "/data/plugin/scalars/tags").get("exp1",
                                                                                      {}):
                    break
            except OSError:
                pass
            time.sleep(0.2)
        assert runs == ["exp1"], (tmp_path / "tensorboard.log").read_text()
        scalars = get_json(base + "/data/plugin/scalars/scalars?run=exp1&tag=loss")
        assert [(step, value) for _, step, value in scalars] == [(0, 1.0), (1, 0.5),
                                                                 (2, pytest.approx(1 / 3))]
        assert "weights" in get_json(base + "/data/plugin/histograms/tags")["exp1"]
        assert get_json(base + "/data/plugin/graphs/info")["exp1"]["run_graph"] is True
        with urllib.request.urlopen(base + "/data/plugin/graphs/graph?run=exp1",
                                    timeout=5) as response:
            graph = response.read().decode()
        for name in ("input/x", "Net/Linear[fc1]/weight", "Net/Linear[fc2]/Linear",
                     "output/output.1"):
            assert f'name: "{name}"' in graph
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    assert server.poll() is not None
