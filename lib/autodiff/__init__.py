"""autodiff: tensors and automatic differentiation in NumPy (CPU) and CuPy (GPU), with
PyTorch's API. ``import autodiff as torch`` is meant to work for the code of the course."""
import warnings as _warnings

# torch computes log(0) = -inf, 0/0 = nan, inf - inf = nan silently; numpy warns about each.
# Silence those numpy warnings, but only where autodiff's own code runs the arithmetic.
_warnings.filterwarnings("ignore", message=r".*encountered in", category=RuntimeWarning,
                         module=r"autodiff(\.|$)")

from . import _dtype  # noqa: E402
from ._dtype import (bool, double, dtype, float, float16, float32, float64, get_default_dtype,
                     half, int, int8, int16, int32, int64, long, promote_types, result_type,
                     can_cast, set_default_dtype, short, uint8, finfo, iinfo)
from ._size import Size
from .backend import device
from .tensor import Tensor
from . import _methods  # noqa: F401  (binds ops as Tensor methods and operators)
from ._creation import *  # noqa: F401,F403
from ._sampling import *  # noqa: F401,F403
from ._random import (Generator, default_generator, get_rng_state, initial_seed, manual_seed,
                      seed, set_rng_state)
from ._printing import set_printoptions
from . import autograd
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.grad_mode import is_inference_mode_enabled
from .autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled
from . import ops as _ops

for _mod in _ops.MODULES:
    for _name in _mod.__all__:
        globals()[_name] = getattr(_mod, _name)
del _mod, _name

from . import return_types  # noqa: E402
from . import utils  # noqa: E402  (autodiff.utils.data, as torch.utils.data)
from . import cuda  # noqa: E402
from . import backends  # noqa: E402  (autodiff.backends.cudnn, ... as torch.backends)
from . import testing  # noqa: E402  (autodiff.testing, as torch.testing)

__version__ = "0.1.0"

# in-place functions torch also has at top level
from .nn.functional import celu_, pdist, relu_, rrelu_, selu_, threshold_  # noqa: E402


def sigmoid_(input):
    """``input.sigmoid_()``."""
    return input.sigmoid_()


def tanh_(input):
    """``input.tanh_()``."""
    return input.tanh_()


# the constants torch re-exports from math (torch.pi, torch.inf, ...) and numpy's newaxis
from math import e, inf, nan, pi  # noqa: E402
newaxis = None


def is_tensor(obj) -> "bool":
    """True if ``obj`` is an autodiff tensor."""
    return isinstance(obj, Tensor)


def numel(input) -> "int":
    """The number of elements of ``input``."""
    return input.numel()


def is_floating_point(input) -> "bool":
    """True if ``input`` has a floating-point dtype."""
    return input.is_floating_point()


def get_default_device():
    """The device new tensors go to when none is given (always the CPU here)."""
    return device("cpu")


from . import optim  # noqa: E402
from .serialization import load, save  # noqa: E402
from . import linalg  # noqa: E402  (the autodiff.linalg namespace)
from . import special  # noqa: E402  (the autodiff.special namespace)
from .ops.special_functions import i0  # noqa: E402  (special functions torch also has at top level)
from .ops.special_functions import gammainc as igamma, gammaincc as igammac  # noqa: E402
from .ops.special_functions import multigammaln as mvlgamma  # noqa: E402
from . import nn  # noqa: E402  (autodiff.nn, as torch.nn)
from . import distributions  # noqa: E402  (autodiff.distributions, as torch.distributions)


def __getattr__(name):
    """``autodiff.keras`` and ``autodiff.metrics`` load on first use: the high-level API pulls
    in pandas, tqdm and matplotlib, which a plain ``import autodiff`` should not pay for."""
    if name in ("keras", "metrics"):
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
