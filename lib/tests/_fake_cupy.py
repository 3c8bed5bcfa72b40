"""A strict stand-in for CuPy, computed by NumPy, so that autodiff's CUDA path runs on any machine.

``with simulated():`` puts fake ``cupy`` and ``cupyx`` modules in ``sys.modules``; autodiff's
backend then sees one CUDA device and every ``device='cuda'`` tensor holds a :class:`FakeArray`.
A FakeArray is *not* a numpy array, and it is stricter than a real CuPy array, so that every
place where library code computes on tensor data with a hard-coded ``numpy`` fails loudly:

- ``np.asarray(fake)`` raises CuPy's TypeError (no implicit device -> host copy);
- numpy functions and ufuncs called on it raise TypeError (CuPy would dispatch them through
  ``__array_function__``; autodiff must go through ``xp_of`` instead);
- arithmetic or assignment mixing it with a numpy array raises CuPy's "Unsupported type";
- reductions return 0-d arrays, as CuPy's do, never numpy scalars;
- ``cupyx.scatter_add`` accepts only the dtypes CuPy's atomicAdd supports;
- the device generator offers only what ``cupy.random.Generator`` has (no permutation/choice).

Every ``cupy.<name>`` and ``ndarray.<name>`` looked up is recorded in ``USED`` (to check the
names against the real CuPy API). This is a test tool: it proves the code path, not the GPU
numerics.
"""
from __future__ import annotations

import contextlib
import sys
import types

import numpy as np

USED = set()                       # "cupy.<name>" / "ndarray.<name>" that autodiff looked up
_HOST_TO_DEVICE = {"asarray", "array", "asanyarray"}     # the only functions that take numpy
# numpy names that CuPy does not have (autodiff must not look them up on the array module)
_MISSING = {"errstate", "ndindex", "seterr", "geterr", "frombuffer", "fromiter", "object_",
            "asmatrix", "matrix", "ma", "char", "rec", "ctypeslib", "ndenumerate"}


class _State:
    count = 1
    current = 0


def _unsupported(x):
    return TypeError(f"Unsupported type {type(x)}")


def _unwrap(x, allow_host=False):
    """FakeArrays -> their numpy arrays (recursively); numpy arrays are refused."""
    if isinstance(x, FakeArray):
        return x._a
    if isinstance(x, np.ndarray):
        if allow_host:
            return x
        raise _unsupported(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, allow_host) for v in x)
    return x


def _index(key):
    """Indices may be FakeArrays, lists or numpy arrays (CuPy copies the latter to the GPU)."""
    if isinstance(key, tuple):
        return tuple(_index(k) for k in key)
    return key._a if isinstance(key, FakeArray) else key


def _wrap(r, dev=None):
    if isinstance(r, np.ndarray):
        if not r.flags.writeable:               # CuPy arrays are always writeable
            try:
                r.flags.writeable = True
            except ValueError:
                pass
        return FakeArray(r, dev)
    if isinstance(r, np.generic):
        return FakeArray(np.asarray(r), dev)          # CuPy: 0-d arrays, not scalars
    if isinstance(r, tuple):                    # CuPy returns plain tuples (no namedtuples)
        return tuple(_wrap(v, dev) for v in r)
    if isinstance(r, list):
        return [_wrap(v, dev) for v in r]
    return r


# what cupy.ndarray offers beside the properties defined on FakeArray itself
_NDARRAY_NAMES = {
    "all", "any", "argmax", "argmin", "argpartition", "argsort", "astype", "choose", "clip",
    "compress", "conj", "conjugate", "copy", "cumprod", "cumsum", "diagonal", "dot", "fill",
    "flatten", "imag", "max", "mean", "min", "nonzero", "partition", "prod", "ptp", "put",
    "ravel", "real", "repeat", "reshape", "round", "sort", "squeeze", "std", "sum", "swapaxes",
    "take", "tobytes", "trace", "transpose", "var", "view"}


class _Flags:
    """``cupy.ndarray.flags``: only the contiguity and ownership flags (no ``writeable``)."""

    def __init__(self, np_flags):
        self.c_contiguous = np_flags.c_contiguous
        self.f_contiguous = np_flags.f_contiguous
        self.owndata = np_flags.owndata


class _Pointer:
    def __init__(self, a):
        self.ptr = a.ctypes.data


class FakeArray:
    """A "device" array: a numpy array behind an interface that keeps host and device apart."""

    __slots__ = ("_a", "_dev")
    __array_ufunc__ = None              # np.exp(fake), np_array + fake: TypeError / our __radd__
    __array_priority__ = 100

    def __init__(self, a, dev=None):
        self._a = a
        self._dev = _State.current if dev is None else dev

    # -- what CuPy arrays have beside numpy's interface ------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use "
                        "`.get()` to construct a NumPy array explicitly.")

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(f"numpy.{func.__name__} called on a device array (use the backend's "
                        "array module)")

    def get(self, stream=None, order="C", out=None):
        return np.array(self._a, copy=True)

    def set(self, arr, stream=None):
        if not isinstance(arr, np.ndarray):
            raise TypeError("Only numpy.ndarray can be set to cupy.ndarray")
        self._a[...] = arr

    @property
    def device(self):
        return Device(self._dev)

    @property
    def data(self):
        return _Pointer(self._a)

    @property
    def __cuda_array_interface__(self):
        return {"shape": self._a.shape, "typestr": self._a.dtype.str, "version": 3,
                "data": (self._a.ctypes.data, False), "strides": None}

    # -- attributes and methods: numpy's, on the wrapped array -----------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    flags = property(lambda self: _Flags(self._a.flags))
    T = property(lambda self: FakeArray(self._a.T, self._dev))
    base = property(lambda self: None if self._a.base is None else FakeArray(self._a.base))

    def __getattr__(self, name):
        if name.startswith("__") or name not in _NDARRAY_NAMES:
            raise AttributeError(f"'cupy.ndarray' object has no attribute '{name}'")
        USED.add("ndarray." + name)
        attr = getattr(self._a, name)
        if not callable(attr):
            return _wrap(attr, self._dev)

        def method(*args, **kwargs):
            out = kwargs.get("out")
            if out is not None and not isinstance(out, FakeArray):
                raise _unsupported(out)
            args, kwargs = _unwrap(args), {k: _unwrap(v) for k, v in kwargs.items()}
            # copy() allocates on the current device: it moves arrays between GPUs
            return _wrap(attr(*args, **kwargs), None if name == "copy" else self._dev)
        return method

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    # -- Python protocols -----------------------------------------------------------------------
    def __getitem__(self, key):
        return _wrap(self._a[_index(key)], self._dev)

    def __setitem__(self, key, value):
        self._a[_index(key)] = _unwrap(value)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(row, self._dev) for row in self._a)

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __complex__(self):
        return complex(self._a)

    def __index__(self):
        return self._a.__index__()

    def __repr__(self):
        return "fake_cupy." + repr(self._a)

    def __reduce__(self):
        return (_rebuild, (self.get(), self._dev))

    def __copy__(self):
        return FakeArray(self._a.copy(), self._dev)

    def __deepcopy__(self, memo):
        return FakeArray(self._a.copy(), self._dev)

    def __hash__(self):
        raise TypeError("unhashable type: 'cupy.ndarray'")


def _rebuild(a, dev):
    return FakeArray(a, dev)


def _binary(name):
    def op(self, other):
        if isinstance(other, FakeArray) and other._dev != self._dev:
            raise ValueError(f"The device where the array resides ({other._dev}) is different "
                             f"from the current device ({self._dev}).")
        return _wrap(getattr(self._a, name)(_unwrap(other)), self._dev)
    return op


def _inplace(name):
    def op(self, other):
        getattr(self._a, name)(_unwrap(other))
        return self
    return op


def _unary(name):
    return lambda self: _wrap(getattr(self._a, name)(), self._dev)


for _op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
            "xor", "lshift", "rshift"):
    setattr(FakeArray, f"__{_op}__", _binary(f"__{_op}__"))
    setattr(FakeArray, f"__r{_op}__", _binary(f"__r{_op}__"))
    setattr(FakeArray, f"__i{_op}__", _inplace(f"__i{_op}__"))
for _op in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(FakeArray, f"__{_op}__", _binary(f"__{_op}__"))
for _op in ("neg", "pos", "abs", "invert"):
    setattr(FakeArray, f"__{_op}__", _unary(f"__{_op}__"))
FakeArray.__module__ = "cupy"         # what tensorboard's converter and error messages look at
FakeArray.__name__ = FakeArray.__qualname__ = "ndarray"


# ---- the module namespace ------------------------------------------------------------------------
class _Function:
    """A numpy function or ufunc seen through CuPy's eyes: device arrays in, device arrays out."""

    def __init__(self, fn, name):
        self._fn, self._name = fn, name

    def __call__(self, *args, **kwargs):
        host = self._name.rsplit(".", 1)[-1] in _HOST_TO_DEVICE
        out = kwargs.get("out")
        if out is not None and not isinstance(out, FakeArray):
            raise _unsupported(out)
        if host and args and isinstance(args[0], FakeArray) and kwargs.get("copy") is not True \
                and kwargs.get("dtype") in (None, args[0].dtype) and len(args) == 1:
            return args[0]                      # cupy.asarray(device array): the same array
        args = _unwrap(args, allow_host=host)
        kwargs = {k: _unwrap(v, allow_host=host) for k, v in kwargs.items()}
        return _wrap(self._fn(*args, **kwargs))

    def __getattr__(self, name):                # ufunc methods: reduce, accumulate, outer, at
        if name.startswith("__"):
            raise AttributeError(name)
        USED.add(f"cupy.{self._name}.{name}")
        return _Function(getattr(self._fn, name), f"{self._name}.{name}")


class _Namespace(types.ModuleType):
    """``cupy`` / ``cupy.linalg`` / ``cupy.lib.stride_tricks``: numpy's names, made strict."""

    def __init__(self, name, np_module, **extra):
        super().__init__(name)
        self._np = np_module
        self.__dict__.update(extra)

    def __getattr__(self, name):
        if name.startswith("__") or name in _MISSING:
            raise AttributeError(f"module '{self.__name__}' has no attribute '{name}'")
        USED.add(f"{self.__name__}.{name}")
        attr = getattr(self._np, name)
        if isinstance(attr, types.ModuleType):
            raise AttributeError(f"module '{self.__name__}' has no attribute '{name}'")
        if isinstance(attr, type) or not callable(attr):
            return attr                          # dtypes, inf, newaxis, ...
        return _Function(attr, f"{self.__name__.removeprefix('cupy.')}.{name}"
                         if self.__name__ != "cupy" else name)


def _as_strided(x, shape=None, strides=None):
    return FakeArray(np.lib.stride_tricks.as_strided(x._a, shape, strides), x._dev)


class _Generator:
    """``cupy.random.Generator``: the methods CuPy has (no ``permutation``, no ``choice``)."""

    def __init__(self, seed):
        self._rng = np.random.default_rng(seed)

    def random(self, size=None, dtype=np.float64):
        return _wrap(self._rng.random(size, dtype=dtype))

    def standard_normal(self, size=None, dtype=np.float64):
        return _wrap(self._rng.standard_normal(size, dtype=dtype))

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        return _wrap(np.asarray(self._rng.integers(low, high, size, dtype=dtype,
                                                   endpoint=endpoint)))

    def uniform(self, low=0.0, high=1.0, size=None, dtype=np.float64):
        return _wrap(self._rng.uniform(low, high, size).astype(dtype))

    def poisson(self, lam=1.0, size=None):
        if isinstance(lam, np.ndarray):
            raise TypeError("lam is required to be a cupy.ndarray or a scalar")
        return _wrap(np.asarray(self._rng.poisson(_unwrap(lam), size)))


class Device:
    """``cupy.cuda.Device``: a context manager that makes a device current."""

    def __init__(self, device=None):
        self.id = _State.current if device is None else int(device)

    def __enter__(self):
        self._prev, _State.current = _State.current, self.id
        return self

    def __exit__(self, *exc):
        _State.current = self._prev

    def synchronize(self):
        pass

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class _Runtime:
    @staticmethod
    def getDeviceCount():
        return _State.count

    @staticmethod
    def getDevice():
        return _State.current

    @staticmethod
    def setDevice(i):
        _State.current = i

    @staticmethod
    def deviceSynchronize():
        pass

    @staticmethod
    def getDeviceProperties(i):
        return {"name": b"Fake CUDA device (NumPy)", "totalGlobalMem": 0}


class _MemoryPool:
    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0

    def free_all_blocks(self):
        pass


def _scatter_add(a, slices, value):
    """``cupyx.scatter_add``, with the dtype restriction of CuPy's atomicAdd."""
    if not isinstance(a, FakeArray):
        raise _unsupported(a)
    if a.dtype not in (np.int32, np.uint32, np.uint64, np.float16, np.float32, np.float64):
        raise TypeError("scatter_add only supports int32, float16, float32, float64, uint32, "
                        "uint64, as data type")
    np.add.at(a._a, _index(slices), _unwrap(value))


class _Special:
    """``cupyx.scipy.special``: scipy.special's functions taking and returning device arrays."""

    def __getattr__(self, name):
        import scipy.special
        f = getattr(scipy.special, name)
        return lambda *args: _wrap(f(*(_unwrap(a) if isinstance(a, (FakeArray, np.ndarray))
                                       else a for a in args)))


def make_modules(device_count=1):
    """Fresh fake ``cupy`` and ``cupyx`` modules seeing ``device_count`` devices."""
    _State.count, _State.current = device_count, 0
    cuda = types.SimpleNamespace(
        runtime=_Runtime(), Device=Device, get_device_id=lambda: _State.current,
        Stream=types.SimpleNamespace(null=None))
    cp = _Namespace(
        "cupy", np, ndarray=FakeArray, cuda=cuda,
        linalg=_Namespace("cupy.linalg", np.linalg),
        fft=_Namespace("cupy.fft", np.fft),
        lib=types.SimpleNamespace(stride_tricks=types.SimpleNamespace(as_strided=_as_strided)),
        random=types.SimpleNamespace(default_rng=_Generator),
        asnumpy=lambda a: a.get() if isinstance(a, FakeArray) else np.asarray(a),
        get_default_memory_pool=_MemoryPool, get_default_pinned_memory_pool=_MemoryPool,
        __version__="14.0.0-fake")
    special = _Special()
    cupyx = types.ModuleType("cupyx")
    cupyx.scatter_add = _scatter_add
    cupyx.scipy = types.SimpleNamespace(special=special)
    return dict(zip(_MODULE_NAMES, (cp, cupyx, cupyx.scipy, special)))


_MODULE_NAMES = ("cupy", "cupyx", "cupyx.scipy", "cupyx.scipy.special")


@contextlib.contextmanager
def replaced(modules):
    """Within the block, ``sys.modules`` holds ``modules`` (None: that import fails) and
    autodiff's backend forgets what it had found; everything is restored on exit."""
    from autodiff import _random, backend
    saved = {name: sys.modules.get(name, _ABSENT) for name in modules}
    saved_generators = dict(_random._cuda_generators)
    sys.modules.update(modules)
    backend.cupy_or_none.cache_clear()
    _random._cuda_generators.clear()
    try:
        yield modules.get("cupy")
    finally:
        for name, module in saved.items():
            if module is _ABSENT:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        backend.cupy_or_none.cache_clear()
        _random._cuda_generators.clear()
        _random._cuda_generators.update(saved_generators)


_ABSENT = object()


def simulated(device_count=1):
    """``with simulated():`` autodiff sees the fake CuPy; ``device='cuda'`` makes FakeArrays."""
    return replaced(make_modules(device_count))


def absent():
    """``with absent():`` CuPy cannot be imported (a laptop without a GPU), even on a GPU box."""
    return replaced(dict.fromkeys(_MODULE_NAMES))
