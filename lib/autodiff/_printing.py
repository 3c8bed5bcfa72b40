"""How tensors print: a re-implementation of torch's ``repr(tensor)``.

All elements of a tensor share one formatter, which picks a style (integer-valued floats
``1.``, fixed point ``0.5000`` or scientific ``1.0000e+08``) and a common width, so columns
line up. Big tensors are summarised with ``...``; long rows wrap at ``linewidth``. After the
values come suffixes such as ``dtype=autodiff.float64`` or ``grad_fn=<AddBackward0>``.
"""
from __future__ import annotations

import contextlib
import math

import numpy as np

from . import _dtype

__all__ = ["set_printoptions", "get_printoptions", "printoptions", "tensor_repr", "tensor_str",
           "parameter_repr", "return_types_repr"]

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}
_opts = dict(_PROFILES["default"], sci_mode=None)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Change how tensors print; ``profile`` ('default', 'short', 'full') resets a preset first.

    As in torch, ``sci_mode`` is always overwritten: leaving it out means "choose automatically".
    """
    if profile is not None:
        _opts.update(_PROFILES[profile])
    given = dict(precision=precision, threshold=threshold, edgeitems=edgeitems,
                 linewidth=linewidth)
    _opts.update({k: v for k, v in given.items() if v is not None})
    _opts["sci_mode"] = sci_mode


def get_printoptions() -> dict:
    """The current options, as keyword arguments for :func:`set_printoptions`."""
    return dict(_opts)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily change the print options inside a ``with`` block."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """One style and width for every element, decided by looking at all (shown) values."""

    def __init__(self, values: np.ndarray, floating: bool):
        self.floating = floating
        self.int_mode, self.sci_mode, self.width = True, False, 1
        if not floating:                       # ints and bools: just the longest str()
            if values.size:
                ends = (values.min().item(), values.max().item())
                self.width = max(len(str(v)) for v in ends)
            return
        vals = values.astype(np.float64).ravel()
        vals = vals[np.isfinite(vals) & (vals != 0)]
        if vals.size == 0:                     # only zeros, nan and inf: keep the defaults
            return
        lo, hi = np.abs(vals).min(), np.abs(vals).max()
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        auto_sci = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        self.sci_mode = auto_sci if _opts["sci_mode"] is None else _opts["sci_mode"]
        self.width = max(len(self._plain(v)) for v in vals.tolist())

    def _plain(self, value: float) -> str:
        """A float without padding; finite integer-valued floats get their trailing dot."""
        p = _opts["precision"]
        if self.sci_mode:
            return f"{value:.{p}e}"
        if self.int_mode:
            return f"{value:.0f}."
        return f"{value:.{p}f}"

    def format(self, value) -> str:
        """``value`` (a Python number) right-aligned to the common width."""
        if not self.floating:
            text = str(value)
        elif self.int_mode and not self.sci_mode and not math.isfinite(value):
            text = f"{value:.0f}"              # nan / inf get no dot
        else:
            text = self._plain(value)
        return text.rjust(self.width)


def _edge_indices(n: int, summarize: bool) -> list:
    """Which indices along an axis of length ``n`` are shown."""
    e = _opts["edgeitems"]
    if summarize and n > 2 * e:
        return list(range(e)) + list(range(n - e, n))
    return list(range(n))


def _shown_values(data: np.ndarray, summarize: bool) -> np.ndarray:
    """The elements that will actually be printed (the formatter only looks at these)."""
    if data.ndim == 0:
        return data
    if data.ndim == 1 and not _opts["edgeitems"]:
        return data                            # torch's quirk: x[-0:] is all of x
    return data[np.ix_(*[_edge_indices(n, summarize) for n in data.shape])]


def _row_str(row: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    """A 1-D row ``[a, b, c]``, wrapped so that lines fit in ``linewidth``."""
    e = _opts["edgeitems"]
    if summarize and not e:
        items = ["..."]
    elif summarize and len(row) > 2 * e:
        items = ([fmt.format(v) for v in row[:e].tolist()] + [" ..."]
                 + [fmt.format(v) for v in row[len(row) - e:].tolist()])
    else:
        items = [fmt.format(v) for v in row.tolist()]
    per_line = max(1, (_opts["linewidth"] - indent) // (fmt.width + 2))
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(data: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    """Recursive body: sub-blocks separated by ``ndim - 1`` newlines and indented."""
    if data.ndim == 0:
        return fmt.format(data.item())
    if data.ndim == 1:
        return _row_str(data, indent, summarize, fmt)
    e, n = _opts["edgeitems"], len(data)
    if summarize and n > 2 * e:
        head = [_nested_str(data[i], indent + 1, summarize, fmt) for i in range(e)]
        tail = [_nested_str(data[i], indent + 1, summarize, fmt) for i in range(n - e, n)]
        blocks = head + ["..."] + tail
    else:
        blocks = [_nested_str(sub, indent + 1, summarize, fmt) for sub in data]
    sep = "," + "\n" * (data.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(blocks) + "]"


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    """Append ``, suffix`` items, starting a new line when one would pass ``linewidth``.

    Lengths are measured as torch spells the suffix (``torch.`` is 3 characters shorter than
    ``autodiff.``), so that lines break exactly where torch's do.
    """
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1     # torch's arithmetic, kept exactly
    for suffix in suffixes:
        length = len(suffix.replace("autodiff.", "torch."))
        if last_line_len + length + 2 > _opts["linewidth"]:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + length
        else:
            parts.append(", " + suffix)
            last_line_len += length + 2
    return "".join(parts) + ")"


def _as_numpy(array) -> np.ndarray:
    """Host copy of the values: cupy arrays are fetched from the GPU."""
    return array if isinstance(array, np.ndarray) else array.get()


def _grad_suffix(t):
    """``grad_fn=<Name>`` for results of recorded ops, ``requires_grad=True`` for leaves."""
    grad_fn = getattr(t, "grad_fn", None)
    if grad_fn is not None:
        name = grad_fn.name() if hasattr(grad_fn, "name") else type(grad_fn).__name__
        return f"grad_fn=<{name.rsplit('::', 1)[-1]}>"
    return "requires_grad=True" if t.requires_grad else None


def tensor_repr(t, prefix: str = "tensor(") -> str:
    """``repr`` of a tensor, character for character what torch prints."""
    data, dtype = _as_numpy(t._data), t.dtype
    indent = len(prefix)
    size = "size=" + str(tuple(int(n) for n in data.shape))
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if data.size == 0:                         # no values to tell ints from floats: say it
        body = "[]"
        if data.ndim != 1:
            suffixes.append(size)
        if dtype != _dtype.get_default_dtype():
            suffixes.append(f"dtype={dtype!r}")
    else:
        if not _opts["edgeitems"]:
            suffixes.append(size)
        if dtype not in (_dtype.get_default_dtype(), _dtype.int64, _dtype.bool):
            suffixes.append(f"dtype={dtype!r}")
        summarize = data.size > _opts["threshold"]
        fmt = _Formatter(_shown_values(data, summarize), dtype.is_floating_point)
        body = _nested_str(data, indent, summarize, fmt)
    grad = _grad_suffix(t)
    if grad:
        suffixes.append(grad)
    return _add_suffixes(prefix + body, suffixes, indent)


def tensor_str(t) -> str:
    """``str`` of a tensor: the same as its ``repr``, as in torch."""
    return tensor_repr(t)


def parameter_repr(t) -> str:
    """``repr`` of a ``nn.Parameter``: a header line, then the tensor."""
    return "Parameter containing:\n" + tensor_repr(t)


def return_types_repr(name: str, fields: dict) -> str:
    """``repr`` of a named result such as ``max(x, dim=0)``: one ``field=value`` per line."""
    lines = ",\n".join(f"{key}={value!r}" for key, value in fields.items())
    return f"autodiff.return_types.{name}(\n{lines})"
