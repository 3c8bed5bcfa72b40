"""Anomaly detection: ``with autograd.detect_anomaly(): loss.backward()``.

While it is on, every node remembers the stack of the forward call that created it; during
backward, a node whose gradient contains nan raises ``RuntimeError: Function 'MulBackward0'
returned nan values in its 0th output.``, and any error inside a node's backward is preceded
by a warning that shows where in the forward code that node came from. Off by default: it
costs a stack capture per op.
"""
from __future__ import annotations

import traceback
import warnings

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]


class _Anomaly:
    enabled = False
    check_nan = True


ANOMALY = _Anomaly()


def is_anomaly_enabled() -> bool:
    return ANOMALY.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return ANOMALY.check_nan


class set_detect_anomaly:
    """Turn anomaly detection on or off: a function call, or a context manager that restores
    the previous setting on exit."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.prev = (ANOMALY.enabled, ANOMALY.check_nan)
        ANOMALY.enabled, ANOMALY.check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        ANOMALY.enabled, ANOMALY.check_nan = self.prev


class detect_anomaly:
    """Anomaly detection for the code inside the ``with`` block."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self.prev = (ANOMALY.enabled, ANOMALY.check_nan)
        ANOMALY.enabled, ANOMALY.check_nan = True, self.check_nan

    def __exit__(self, *exc):
        ANOMALY.enabled, ANOMALY.check_nan = self.prev


def record_forward_stack(node):
    """Keep where ``node`` was created (the frames outside autodiff's own code)."""
    node._forward_stack = [f for f in traceback.extract_stack()[:-1]
                           if "/autodiff/" not in f.filename.replace("\\", "/")]


def warn_with_forward_stack(node):
    """The warning torch gives before an error in ``node``'s backward."""
    stack = getattr(node, "_forward_stack", None)
    where = "".join(traceback.format_list(stack)) if stack else "  (not recorded)\n"
    warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the "
                  f"error:\n{where}", UserWarning, stacklevel=4)


def check_nan(node, grads):
    """torch's error when a node's backward produced nan."""
    for i, g in enumerate(grads):
        if g is not None and bool((g._data != g._data).any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               f"output.")
