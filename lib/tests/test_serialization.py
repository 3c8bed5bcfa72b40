"""autodiff.save / autodiff.load: round trips, the file format, weights_only, damaged files."""
import io
import json
import pickle
import struct
from collections import Counter, OrderedDict

import numpy as np
import pytest

import autodiff
import autodiff.optim as optim
from autodiff import serialization
from autodiff.backend import cuda_available


def _round_trip(obj, **load_kw):
    buf = io.BytesIO()
    autodiff.save(obj, buf)
    buf.seek(0)
    return autodiff.load(buf, **load_kw)


def _same_tensor(a, b):
    assert type(a) is type(b)
    assert a.dtype == b.dtype and a.shape == b.shape and a.device == b.device
    assert a.requires_grad == b.requires_grad
    assert np.array_equal(a.detach().cpu().numpy(), b.detach().cpu().numpy())


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int16", "int32",
                                   "int64", "uint8", "bool"])
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3, 4)])
def test_tensor_round_trip_keeps_dtype_and_shape(dtype, shape):
    values = np.random.default_rng(0).normal(size=shape) * 50
    t = autodiff.tensor(values.astype(getattr(np, dtype) if dtype != "bool" else np.bool_))
    loaded = _round_trip(t)
    _same_tensor(loaded, t)
    assert loaded._data is not t._data
    assert loaded._data.flags.writeable


def test_non_contiguous_and_requires_grad_tensors():
    base = autodiff.arange(12.0).reshape(3, 4)
    view = base.t()
    assert not view.is_contiguous()
    _same_tensor(_round_trip(view), view)
    leaf = autodiff.ones(3, requires_grad=True)
    loaded = _round_trip(leaf * 2)                 # a non-leaf loads as a leaf requiring grad
    assert loaded.requires_grad and loaded.is_leaf and loaded.tolist() == [2.0, 2.0, 2.0]


def test_nested_structure_round_trip_with_weights_only():
    t = autodiff.tensor([[1.0, 2.0], [3.0, 4.0]])
    od = OrderedDict([("w", t), ("b", autodiff.zeros(2))])
    od._metadata = OrderedDict([("", {"version": 1})])
    obj = {"model": od, 3: [t, (1, 2.5, None, True, "text")], "inf": float("inf"),
           "nan": float("nan"), "milestones": Counter([3, 8, 8]), "dtype": autodiff.float64,
           "device": autodiff.device("cpu"), "size": autodiff.Size([2, 3]), "set": {1, 2},
           "bytes": b"\x00\xff", "complex": 1 + 2j, (1, "k"): "tuple key", "big": 2 ** 80,
           "empty": {}}
    loaded = _round_trip(obj, weights_only=True)
    assert list(loaded) == list(obj)
    assert type(loaded["model"]) is OrderedDict and list(loaded["model"]) == ["w", "b"]
    assert loaded["model"]._metadata == {"": {"version": 1}}
    _same_tensor(loaded["model"]["w"], t)
    assert loaded[3][0] is loaded["model"]["w"]          # one tensor object stays one
    assert loaded[3][1] == (1, 2.5, None, True, "text") and type(loaded[3][1][3]) is bool
    assert loaded["inf"] == float("inf") and np.isnan(loaded["nan"])
    assert type(loaded["milestones"]) is Counter and loaded["milestones"] == Counter({8: 2, 3: 1})
    assert loaded["dtype"] is autodiff.float64 and loaded["device"] == autodiff.device("cpu")
    assert type(loaded["size"]) is autodiff.Size and loaded["size"] == (2, 3)
    assert loaded["set"] == {1, 2} and loaded["bytes"] == b"\x00\xff"
    assert loaded["complex"] == 1 + 2j and loaded[(1, "k")] == "tuple key"
    assert loaded["big"] == 2 ** 80 and loaded["empty"] == {}


def test_tensors_sharing_an_array_share_it_after_loading():
    w = autodiff.ones(3, requires_grad=True)
    a, b = w.detach(), w.detach()                      # two state_dict entries of a tied weight
    la, lb = _round_trip({"a": a, "b": b}).values()
    assert la is not lb and la._data is lb._data


def test_paths_and_file_objects(tmp_path):
    t = autodiff.arange(5)
    path = tmp_path / "t.pt"
    autodiff.save(t, path)                             # a pathlib.Path
    _same_tensor(autodiff.load(path), t)
    autodiff.save({"t": t}, str(path))                 # a str
    _same_tensor(autodiff.load(str(path))["t"], t)
    with open(path, "wb") as f:
        autodiff.save([t, t], f)
    with open(path, "rb") as f:
        first, second = autodiff.load(f)
    assert first is second
    with pytest.raises(RuntimeError, match="Parent directory .*missing does not exist"):
        autodiff.save(t, tmp_path / "missing" / "t.pt")
    with pytest.raises(FileNotFoundError):
        autodiff.load(tmp_path / "nothing.pt")


def test_parameters_round_trip():
    from autodiff.nn.parameter import Parameter
    p = Parameter(autodiff.tensor([1.0, 2.0]))
    frozen = Parameter(autodiff.tensor([3.0]), requires_grad=False)
    lp, lf = _round_trip([p, frozen], weights_only=True)
    assert type(lp) is Parameter and lp.requires_grad and lp.tolist() == [1.0, 2.0]
    assert type(lf) is Parameter and not lf.requires_grad


def test_file_layout_is_as_documented():
    """Version 1 can be read with struct, json and numpy alone, following the docstring."""
    buf = io.BytesIO()
    autodiff.save({"w": autodiff.tensor([[1.5, -2.0]]), "n": 7}, buf)
    raw = buf.getvalue()
    assert raw.startswith(serialization.MAGIC)
    start = len(serialization.MAGIC)
    version, length = struct.unpack("<IQ", raw[start:start + 12])
    assert version == 1
    header = json.loads(raw[start + 12:start + 12 + length])
    data = raw[start + 12 + length:]
    (storage,) = header["storages"]
    assert storage["dtype"] == "float32" and storage["shape"] == [1, 2]
    arr = np.frombuffer(data, "<f4", count=2, offset=storage["offset"]).reshape(1, 2)
    assert arr.tolist() == [[1.5, -2.0]]
    assert header["pickle"] is None


class _TinyModel:
    """A model without autodiff.nn: a plain object holding its weights (needs pickle)."""

    def __init__(self):
        rng = np.random.default_rng(3)
        self.w = autodiff.tensor(rng.normal(size=(3, 1)), requires_grad=True)
        self.b = autodiff.zeros(1, dtype=autodiff.float64, requires_grad=True)

    def __call__(self, x):
        return x @ self.w + self.b

    def parameters(self):
        return [self.w, self.b]


_X = autodiff.tensor(np.random.default_rng(4).normal(size=(8, 3)))
_Y = autodiff.tensor(np.random.default_rng(5).normal(size=(8, 1)))


def _train(model, opt, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(_X) - _Y) ** 2).mean()
        loss.backward()
        opt.step()


def test_whole_objects_need_weights_only_false():
    model = _TinyModel()
    opt = optim.Adam(model.parameters(), lr=0.05)
    _train(model, opt, 5)
    buf = io.BytesIO()
    autodiff.save({"model": model, "opt": opt}, buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match=r"(?s)Weights only load failed.*"
                                                     r"weights_only` set to `False`.*trusted "
                                                     r"source.*_TinyModel"):
        autodiff.load(buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError):
        autodiff.load(buf, weights_only=True)
    buf.seek(0)
    loaded = autodiff.load(buf, weights_only=False)
    model2, opt2 = loaded["model"], loaded["opt"]
    assert opt2.param_groups[0]["params"][0] is model2.w      # identity survives pickling
    assert opt2.state[model2.w]["step"].item() == 5
    _train(model, opt, 5)
    _train(model2, opt2, 5)
    for p, q in zip(model.parameters(), model2.parameters()):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())


def test_model_and_optimizer_state_dicts_continue_identically(tmp_path):
    model = _TinyModel()
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, 3, gamma=0.5)
    _train(model, opt, 4)
    sched.step()
    path = tmp_path / "checkpoint.pt"
    autodiff.save({"params": model.parameters(), "optimizer": opt.state_dict(),
                   "scheduler": sched.state_dict()}, path)
    ckpt = autodiff.load(path)                                  # weights_only=True suffices
    model2 = _TinyModel()
    for p, saved in zip(model2.parameters(), ckpt["params"]):
        with autodiff.no_grad():
            p.copy_(saved)
    opt2 = optim.SGD(model2.parameters(), lr=0.05, momentum=0.9)
    sched2 = optim.lr_scheduler.StepLR(opt2, 3, gamma=0.5)
    opt2.load_state_dict(ckpt["optimizer"])
    sched2.load_state_dict(ckpt["scheduler"])
    for _ in range(4):
        _train(model, opt, 2)
        sched.step()
        _train(model2, opt2, 2)
        sched2.step()
    assert sched2.get_last_lr() == sched.get_last_lr()
    for p, q in zip(model.parameters(), model2.parameters()):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())


def test_nn_model_and_optimizer_round_trip(tmp_path):
    nn = pytest.importorskip("autodiff.nn")
    if not hasattr(nn, "Linear"):
        pytest.skip("autodiff.nn.Linear is not available yet")
    autodiff.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    opt = optim.Adam(model.parameters(), lr=0.01)
    _train(model, opt, 3)
    autodiff.save({"model": model.state_dict(), "opt": opt.state_dict()}, tmp_path / "sd.pt")
    autodiff.save(model, tmp_path / "whole.pt")
    ckpt = autodiff.load(tmp_path / "sd.pt")
    model2 = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    model2.load_state_dict(ckpt["model"])
    opt2 = optim.Adam(model2.parameters(), lr=0.01)
    opt2.load_state_dict(ckpt["opt"])
    whole = autodiff.load(tmp_path / "whole.pt", weights_only=False)
    assert type(whole) is nn.Sequential
    assert all(type(p) is nn.Parameter for p in whole.parameters())
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        autodiff.load(tmp_path / "whole.pt")
    _train(model, opt, 4)
    _train(model2, opt2, 4)
    for p, q in zip(model.parameters(), model2.parameters()):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())


def test_unsupported_values_are_pickled_not_lost():
    loaded = _round_trip({"f": np.float64(1.5), "fn": len}, weights_only=False)
    assert loaded == {"f": 1.5, "fn": len}
    cyclic = []
    cyclic.append(cyclic)
    again = _round_trip(cyclic, weights_only=False)
    assert again[0] is again


# ---- damaged and foreign files -----------------------------------------------------------------
def _saved_bytes():
    buf = io.BytesIO()
    autodiff.save({"w": autodiff.arange(100.0), "b": autodiff.ones(3, dtype=autodiff.int64)}, buf)
    return buf.getvalue()


def test_truncated_files_raise_clear_errors():
    raw = _saved_bytes()
    for cut in range(0, len(raw), 7):
        with pytest.raises(RuntimeError, match="is (truncated|empty)"):
            autodiff.load(io.BytesIO(raw[:cut]))


def test_truncated_file_names_the_file(tmp_path):
    path = tmp_path / "cut.pt"
    path.write_bytes(_saved_bytes()[:-10])
    with pytest.raises(RuntimeError, match=r"cut\.pt' is truncated: it ends inside the data"):
        autodiff.load(path)


def test_corrupted_data_fails_the_checksum():
    raw = bytearray(_saved_bytes())
    raw[-20] ^= 0x10
    with pytest.raises(RuntimeError, match="is corrupted: the checksum of its data does not match"):
        autodiff.load(io.BytesIO(bytes(raw)))


def test_corrupted_header():
    raw = bytearray(_saved_bytes())
    raw[len(serialization.MAGIC) + 12] = ord("#")
    with pytest.raises(RuntimeError, match="is corrupted: its header cannot be read"):
        autodiff.load(io.BytesIO(bytes(raw)))


@pytest.mark.parametrize("content, message", [
    (b"hello world, not a checkpoint", "is not a file written by autodiff.save"),
    (pickle.dumps({"a": 1}), "is a plain pickle file"),
    (b"PK\x03\x04rest-of-a-zip", "is a zip archive, probably a checkpoint written by torch.save"),
    (b"", "is empty"),
])
def test_foreign_files(tmp_path, content, message):
    path = tmp_path / "foreign.bin"
    path.write_bytes(content)
    with pytest.raises(RuntimeError, match=f"foreign.bin' {message}"):
        autodiff.load(path)


@pytest.mark.torch
def test_a_torch_checkpoint_is_recognised(torch, tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "torch.pt")
    with pytest.raises(RuntimeError, match="written by torch.save"):
        autodiff.load(tmp_path / "torch.pt")


def test_newer_format_version_is_refused():
    raw = bytearray(_saved_bytes())
    struct.pack_into("<I", raw, len(serialization.MAGIC), 99)
    with pytest.raises(RuntimeError, match="format version 99, but this autodiff reads versions "
                                           "up to 1"):
        autodiff.load(io.BytesIO(bytes(raw)))


# ---- devices -----------------------------------------------------------------------------------
def _with_device(raw, dev):
    """The same file with every array recorded as saved from ``dev`` (a GPU-written file)."""
    start = len(serialization.MAGIC)
    version, length = struct.unpack("<IQ", raw[start:start + 12])
    header = json.loads(raw[start + 12:start + 12 + length])
    for s in header["storages"]:
        s["device"] = dev
    text = json.dumps(header).encode()
    return raw[:start] + struct.pack("<IQ", version, len(text)) + text + raw[start + 12 + length:]


def test_map_location_variants():
    raw = _with_device(_saved_bytes(), "cuda:0")
    seen = []

    def to_cpu(t, location):
        seen.append(location)
        return t

    for where in ["cpu", autodiff.device("cpu"), {"cuda:0": "cpu"}, to_cpu,
                  lambda storage, loc: storage]:
        loaded = autodiff.load(io.BytesIO(raw), map_location=where)
        assert loaded["w"].device == autodiff.device("cpu")
        assert loaded["w"].tolist() == list(range(100))
        assert loaded["b"].dtype == autodiff.int64
    assert seen == ["cuda:0", "cuda:0"]


@pytest.mark.skipif(cuda_available(), reason="checks the CPU-only error")
def test_gpu_file_without_map_location_on_a_cpu_machine():
    raw = _with_device(_saved_bytes(), "cuda:0")
    with pytest.raises(RuntimeError, match=r"CUDA device but autodiff.cuda.is_available\(\) is "
                                           r"False.*map_location=autodiff.device\('cpu'\)"):
        autodiff.load(io.BytesIO(raw))
    with pytest.raises(RuntimeError, match="CUDA"):
        autodiff.load(io.BytesIO(_saved_bytes()), map_location="cuda")


@pytest.mark.gpu
@pytest.mark.skipif(not cuda_available(), reason="CUDA not available")
def test_cuda_tensors_save_and_load_anywhere():
    t = autodiff.arange(6.0, device="cuda").reshape(2, 3)
    buf = io.BytesIO()
    autodiff.save({"t": t}, buf)
    buf.seek(0)
    back = autodiff.load(buf)["t"]
    assert back.device == autodiff.device("cuda:0") and back.tolist() == t.tolist()
    buf.seek(0)
    cpu = autodiff.load(buf, map_location="cpu")["t"]
    assert cpu.device == autodiff.device("cpu") and cpu.tolist() == t.tolist()
    buf.seek(0)
    assert autodiff.load(buf, map_location={"cuda:0": "cpu"})["t"].is_cpu
