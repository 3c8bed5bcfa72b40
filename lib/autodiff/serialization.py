"""``save`` and ``load``: tensors, state dicts and whole objects in a file (``torch.save`` /
``torch.load``).

The file format, version 1 (no zip, readable with a few lines of numpy)::

    MAGIC (13 bytes)  |  version: uint32  |  header length: uint64  |  header (JSON, UTF-8)
    |  data: the raw little-endian bytes of every array, each at a 64-byte aligned offset

The JSON header holds the object itself in a safe encoding (numbers, strings, lists, tuples,
dicts, OrderedDicts, sets, dtypes, devices, Sizes; a tensor is a reference to an array), the
table of arrays (dtype, shape, device, offset, length) and a CRC-32 of the data. An object that
the encoding cannot express (a whole Module, an optimizer) is pickled instead, with its tensors
still stored as raw arrays; such a file loads only with ``weights_only=False``, because
unpickling can run arbitrary code. The version number lets a later format keep reading old files.
"""
from __future__ import annotations

import io
import json
import math
import os
import pickle
import struct
import zlib
from collections import Counter, OrderedDict

import numpy as np

from . import _dtype as D
from ._size import Size
from .backend import cuda_available, device as Device, to_device, to_numpy
from .tensor import Tensor

__all__ = ["save", "load"]

MAGIC = b"\x89AUTODIFF\r\n\x1a\n"      # binary-safe, like PNG's: a text-mode copy breaks it visibly
VERSION = 1
_ALIGN = 64
_PREFIX = struct.Struct("<IQ")          # format version, header length


# ---- writing -----------------------------------------------------------------------------------
class _NotSafe(Exception):
    """Raised while encoding: the object needs pickle (carries the offending type's name)."""


class _Writer:
    """Collects the arrays of the tensors met while encoding an object."""

    def __init__(self):
        self.arrays = []          # host (numpy) copies, in file order
        self.storages = []        # their table entries
        self.tensors = []         # one record per distinct tensor object
        self._array_index = {}    # id(array) -> storage index: tensors sharing an array share it
        self._tensor_index = {}   # id(tensor) -> tensor index
        self._keep = []           # keeps every indexed object alive, so ids stay unique

    def tensor(self, t: Tensor) -> int:
        """The index of ``t`` in the tensor table (added on first sight)."""
        if id(t) in self._tensor_index:
            return self._tensor_index[id(t)]
        data = t._data
        if id(data) not in self._array_index:
            host = to_numpy(data)
            host = host.astype(host.dtype.newbyteorder("<"), order="C", copy=False)
            self._array_index[id(data)] = len(self.storages)
            self.storages.append({"dtype": t.dtype.name, "shape": list(host.shape),
                                  "device": str(t.device)})
            self.arrays.append(host)
        self._keep += [t, data]
        self._tensor_index[id(t)] = len(self.tensors)
        self.tensors.append({"storage": self._array_index[id(data)], "class": _tensor_class(t),
                             "requires_grad": t.requires_grad})
        return self._tensor_index[id(t)]


def _tensor_class(t):
    from .nn.parameter import Parameter
    if type(t) is Tensor:
        return "Tensor"
    if type(t) is Parameter:
        return "Parameter"
    return f"{type(t).__module__}.{type(t).__qualname__}"


def _encode(obj, w: _Writer, path=()):
    """``obj`` as JSON-able data; raises _NotSafe for what only pickle could store."""
    kind = type(obj)
    if obj is None or kind in (bool, int, str):
        return obj
    if kind is float:
        return obj if math.isfinite(obj) else {"t": "float", "v": repr(obj)}
    if any(obj is p for p in path):
        raise _NotSafe("a container that contains itself")
    inner = path + (obj,)
    if kind is list:
        return [_encode(v, w, inner) for v in obj]
    if kind in (tuple, set, frozenset, Size):
        return {"t": kind.__name__, "v": [_encode(v, w, inner) for v in obj]}
    if kind in (dict, OrderedDict, Counter):
        node = {"t": kind.__name__,
                "v": [[_encode(k, w, inner), _encode(v, w, inner)] for k, v in obj.items()]}
        if kind is OrderedDict and hasattr(obj, "_metadata"):        # Module.state_dict's
            node["meta"] = _encode(obj._metadata, w, inner)
        return node
    if isinstance(obj, Tensor):
        if _tensor_class(obj) not in ("Tensor", "Parameter"):
            raise _NotSafe(_tensor_class(obj))
        return {"t": "tensor", "v": w.tensor(obj)}
    if kind is D.dtype:
        return {"t": "dtype", "v": obj.name}
    if kind is Device:
        return {"t": "device", "v": str(obj)}
    if kind is complex:
        return {"t": "complex", "v": [repr(obj.real), repr(obj.imag)]}
    if kind in (bytes, bytearray):
        return {"t": kind.__name__, "v": obj.hex()}
    raise _NotSafe(f"{kind.__module__}.{kind.__qualname__}")


class _TensorPickler(pickle.Pickler):
    """A pickler that stores tensors as raw arrays in the data section, not in the pickle."""

    def __init__(self, file, protocol, writer):
        super().__init__(file, protocol)
        self.writer = writer

    def persistent_id(self, obj):
        if isinstance(obj, Tensor):
            extra = {k: v for k, v in obj.__dict__.items() if k not in _AUTOGRAD_ATTRIBUTES}
            return ("tensor", self.writer.tensor(obj), type(obj), extra)
        return None


# what a tensor's __dict__ holds for autograd (weak references, hooks): not saved
_AUTOGRAD_ATTRIBUTES = {"_acc", "_hooks", "_post_accumulate_hooks", "_retains_grad", "_view_fn"}


def save(obj, f, pickle_module=None, pickle_protocol=pickle.DEFAULT_PROTOCOL):
    """Write ``obj`` to ``f`` (a path or a binary file object).

    State dicts and other plain data are stored in a safe encoding that ``load`` reads with
    ``weights_only=True``; anything else (a Module, an optimizer) is pickled. CUDA tensors are
    stored from host copies and remember their device (see ``map_location`` in :func:`load`).
    """
    if pickle_module not in (None, pickle):
        raise ValueError("autodiff.save supports only the standard pickle module")
    w = _Writer()
    header = {"root": None, "pickle": None}
    try:
        header["root"] = _encode(obj, w)
        blobs = w.arrays
    except _NotSafe as why:
        w, buf = _Writer(), io.BytesIO()
        _TensorPickler(buf, pickle_protocol, w).dump(obj)
        header["pickle"] = {"reason": str(why)}
        blobs = w.arrays + [np.frombuffer(buf.getbuffer(), dtype=np.uint8)]
    offsets = np.cumsum([0] + [-(-a.nbytes // _ALIGN) * _ALIGN for a in blobs[:-1]]).tolist()
    sections = [{"offset": start, "nbytes": a.nbytes} for a, start in zip(blobs, offsets)]
    for entry, section in zip(w.storages, sections):
        entry.update(section)
    if header["pickle"] is not None:
        header["pickle"].update(sections[-1])
    crc = 0
    for a in blobs:
        crc = zlib.crc32(memoryview(a).cast("B"), crc)
    header.update(storages=w.storages, tensors=w.tensors, crc32=crc)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    with _open(f, "wb") as out:      # opened only now: an unpicklable object leaves no file
        out.write(MAGIC + _PREFIX.pack(VERSION, len(text)) + text)
        written = 0
        for a, start in zip(blobs, offsets):
            out.write(b"\0" * (start - written))            # padding up to the aligned offset
            out.write(memoryview(a).cast("B"))
            written = start + a.nbytes


class _open:
    """A path opened (and closed) here, or a caller's file object used as it is."""

    def __init__(self, f, mode):
        self.f, self.mode, self.owned = f, mode, isinstance(f, (str, os.PathLike))

    def __enter__(self):
        if not self.owned:
            return self.f
        if "w" in self.mode:
            parent = os.path.dirname(os.fspath(self.f))
            if parent and not os.path.isdir(parent):
                raise RuntimeError(f"Parent directory {parent} does not exist.")
        self.file = open(self.f, self.mode)
        return self.file

    def __exit__(self, *exc):
        if self.owned:
            self.file.close()
        return False


# ---- reading -----------------------------------------------------------------------------------
def _name(f):
    return repr(os.fspath(f)) if isinstance(f, (str, os.PathLike)) else \
        repr(getattr(f, "name", f"<{type(f).__name__}>"))


def _read_exact(f, n, name, what):
    data = f.read(n)
    if len(data) != n:
        raise RuntimeError(f"{name} is truncated: it ends inside the {what} (expected {n} bytes, "
                           f"found {len(data)}). The file was probably not completely written "
                           "or copied.")
    return data


def _read_into(f, n, name):
    """``n`` bytes of ``f`` in a new writable buffer (read in place where the file allows)."""
    if not hasattr(f, "readinto"):
        return bytearray(_read_exact(f, n, name, "data"))
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = f.readinto(view[got:])
        if not k:
            raise RuntimeError(f"{name} is truncated: it ends inside the data (expected {n} "
                               f"bytes, found {got}). The file was probably not completely "
                               "written or copied.")
        got += k
    return buf


def _check_magic(start: bytes, name):
    if start == MAGIC:
        return
    if not start:
        raise RuntimeError(f"{name} is empty: it holds no autodiff.save data.")
    if start.startswith(b"PK\x03\x04"):
        raise RuntimeError(f"{name} is a zip archive, probably a checkpoint written by "
                           "torch.save; autodiff.load reads only files written by autodiff.save.")
    if start[:1] == b"\x80":
        raise RuntimeError(f"{name} is a plain pickle file, not a file written by autodiff.save; "
                           "open it with the pickle module if you trust its source.")
    if MAGIC.startswith(start):
        raise RuntimeError(f"{name} is truncated: it ends inside the autodiff.save header.")
    raise RuntimeError(f"{name} is not a file written by autodiff.save (it does not start with "
                       f"the autodiff header; its first bytes are {start[:8]!r}).")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, **pickle_load_args):
    """Read an object written by :func:`save` from ``f`` (a path or a binary file object).

    ``map_location`` says where tensors go: a device or a string ('cpu', 'cuda:0') for all of
    them, a dict mapping saved locations to new ones, or a callable ``fn(tensor, location)``
    receiving each tensor on the CPU and returning it where it should be. Without it, tensors
    return to the device they were saved from.

    ``weights_only`` (default True) refuses files holding pickled objects, because unpickling
    can execute arbitrary code: pass ``weights_only=False`` only for files you trust.
    """
    if pickle_module not in (None, pickle):
        raise ValueError("autodiff.load supports only the standard pickle module")
    weights_only = True if weights_only is None else weights_only
    name = _name(f)
    with _open(f, "rb") as src:
        _check_magic(src.read(len(MAGIC)), name)
        version, length = _PREFIX.unpack(_read_exact(src, _PREFIX.size, name, "header"))
        if version not in _READERS:
            raise RuntimeError(f"{name} was written in autodiff.save format version {version}, "
                               f"but this autodiff reads versions up to {max(_READERS)}; "
                               "upgrade autodiff to load it.")
        return _READERS[version](src, length, name, map_location, weights_only,
                                 pickle_load_args)


def _read_v1(src, length, name, map_location, weights_only, pickle_load_args):
    try:
        header = json.loads(_read_exact(src, length, name, "header").decode("utf-8"))
        storages, records = header["storages"], header["tensors"]
    except (ValueError, KeyError, TypeError) as err:
        raise RuntimeError(f"{name} is corrupted: its header cannot be read ({err}).") from None
    if header["pickle"] is not None and weights_only:
        raise pickle.UnpicklingError(_weights_only_message(header["pickle"]["reason"]))
    blobs, crc, position = [], 0, 0
    sections = [(s["offset"], s["nbytes"]) for s in storages]
    if header["pickle"] is not None:
        sections.append((header["pickle"]["offset"], header["pickle"]["nbytes"]))
    for offset, nbytes in sections:
        _read_exact(src, offset - position, name, "data")       # alignment padding
        buf = _read_into(src, nbytes, name)
        crc = zlib.crc32(buf, crc)
        blobs.append(buf)
        position = offset + nbytes
    if crc != header["crc32"]:
        raise RuntimeError(f"{name} is corrupted: the checksum of its data does not match.")
    arrays = [np.frombuffer(buf, dtype=D._from_name(s["dtype"]).np.newbyteorder("<"))
              .astype(D._from_name(s["dtype"]).np, copy=False).reshape(s["shape"])
              for s, buf in zip(storages, blobs)]
    placed = [_place(arr, s["device"], map_location) for arr, s in zip(arrays, storages)]
    tensors = [_rebuild(placed[r["storage"]], r["class"], r["requires_grad"]) for r in records]
    if header["pickle"] is None:
        return _decode(header["root"], tensors)
    return _TensorUnpickler(io.BytesIO(blobs[-1]), tensors, **pickle_load_args).load()


def _weights_only_message(reason):
    return ("Weights only load failed. This file can still be loaded, to do so you have two "
            "options, do those steps only if you trust the source of the checkpoint. \n\t(1) "
            "Re-running `autodiff.load` with `weights_only` set to `False` will likely succeed, "
            "but it can result in arbitrary code execution. Do it only if you got the file from "
            "a trusted source.\n\t(2) Alternatively, save only plain data with weights_only "
            "loading in mind, e.g. `autodiff.save(model.state_dict(), f)` instead of the whole "
            f"model.\n\tWeightsUnpickler error: Unsupported global: {reason} is not a type that "
            "weights_only loading accepts (tensors, numbers, strings, lists, tuples, dicts, "
            "OrderedDicts, sets, dtypes, devices, Sizes).")


class _TensorUnpickler(pickle.Unpickler):
    def __init__(self, file, tensors, **kwargs):
        super().__init__(file, **kwargs)
        self.tensors = tensors

    def persistent_load(self, pid):
        _, index, cls, extra = pid
        t = self.tensors[index]
        if type(t) is not cls:                 # a Tensor subclass other than Parameter
            t = cls._make(t._data, t.requires_grad)
            self.tensors[index] = t
        t.__dict__.update(extra)
        return t


def _place(array, location, map_location):
    """The loaded CPU array as a tensor where ``map_location`` (or its saved location) says."""
    t = Tensor._make(array)
    if callable(map_location):
        moved = map_location(t, location)
        return t if moved is None else moved
    if isinstance(map_location, dict):
        target = map_location.get(location, location)
    else:
        target = location if map_location is None else map_location
    target = Device(target)
    if target.type == "cuda" and not cuda_available():
        raise RuntimeError(
            "Attempting to deserialize object on a CUDA device but autodiff.cuda.is_available() "
            "is False. If you are running on a CPU-only machine, please use autodiff.load with "
            "map_location=autodiff.device('cpu') to map your storages to the CPU.")
    return t if target.type == "cpu" else Tensor._make(to_device(array, target))


def _rebuild(t, cls_name, requires_grad):
    if cls_name == "Parameter":
        from .nn.parameter import Parameter
        return Parameter(t, requires_grad=requires_grad)
    out = Tensor._make(t._data)
    if requires_grad:
        out.requires_grad_(True)
    return out


_SIMPLE = {"tuple": tuple, "set": set, "frozenset": frozenset, "Size": Size}


def _decode(node, tensors):
    if node is None or isinstance(node, (bool, int, str)):
        return node
    if isinstance(node, float):
        return node
    if isinstance(node, list):
        return [_decode(v, tensors) for v in node]
    kind, value = node["t"], node["v"]
    if kind in _SIMPLE:
        return _SIMPLE[kind](_decode(v, tensors) for v in value)
    if kind in ("dict", "OrderedDict", "Counter"):
        items = [(_decode(k, tensors), _decode(v, tensors)) for k, v in value]
        out = {"dict": dict, "OrderedDict": OrderedDict, "Counter": Counter}[kind](dict(items))
        if "meta" in node:
            out._metadata = _decode(node["meta"], tensors)
        return out
    if kind == "tensor":
        return tensors[value]
    if kind == "float":
        return float(value)
    if kind == "dtype":
        return D._from_name(value)
    if kind == "device":
        return Device(value)
    if kind == "complex":
        return complex(float(value[0]), float(value[1]))
    if kind in ("bytes", "bytearray"):
        return {"bytes": bytes, "bytearray": bytearray}[kind].fromhex(value)
    raise RuntimeError(f"unknown node type {kind!r} in an autodiff.save file")


_READERS = {1: _read_v1}
