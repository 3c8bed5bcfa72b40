"""Switching graph recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``,
``inference_mode``. Each works as a context manager and as a decorator, as in torch."""
from __future__ import annotations

import functools
import inspect

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]


class _State:
    """Global switches read on every op (a plain attribute lookup: the hot path stays cheap)."""
    enabled = True
    inference = False


STATE = _State()


def is_grad_enabled() -> bool:
    """False inside ``no_grad``, ``inference_mode`` or ``set_grad_enabled(False)``."""
    return STATE.enabled


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode``."""
    return STATE.inference


class _GradModeContext:
    """Base: subclasses set ``self.mode`` before ``__enter__``; decorating a function wraps each call."""

    mode = True

    def __enter__(self):
        self._prev = STATE.enabled
        STATE.enabled = self.mode

    def __exit__(self, *exc):
        STATE.enabled = self._prev
        return False

    def __call__(self, func):
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def gen_wrapper(*args, **kwargs):
                gen = func(*args, **kwargs)
                with self.clone():
                    value = next(gen)
                while True:
                    try:
                        with self.clone():
                            sent = yield value
                            value = gen.send(sent)
                    except StopIteration as stop:
                        return stop.value
            return gen_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return type(self)()


class no_grad(_GradModeContext):
    """Ops inside record no graph: results have ``requires_grad=False``."""
    mode = False

    def __init__(self, orig_func=None):
        pass        # the argument is handled by __new__

    def __new__(cls, orig_func=None):
        # torch allows both ``@no_grad`` (decorating directly) and ``@no_grad()``
        self = super().__new__(cls)
        if orig_func is not None and callable(orig_func):
            self.__init__()
            return self(orig_func)
        return self


class enable_grad(no_grad):
    """Turns recording back on inside a ``no_grad`` block."""
    mode = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` acts at once (as a function call) and as a context manager."""

    def __init__(self, mode: bool):
        self._prev = STATE.enabled
        self.mode = bool(mode)
        STATE.enabled = self.mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        STATE.enabled = self._prev
        return False

    def __call__(self, func):
        STATE.enabled = self._prev        # as a decorator it must not switch the mode now
        return super().__call__(func)

    def clone(self):
        return set_grad_enabled(self.mode)


class inference_mode(_GradModeContext):
    """Like ``no_grad`` (this library has no separate inference-tensor kind)."""

    def __init__(self, mode: bool = True):
        self.mode = not mode
        self._inf = mode

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):
            self.__init__(True)
            return self(mode)
        return self

    def __enter__(self):
        super().__enter__()
        self._prev_inf = STATE.inference
        STATE.inference = self._inf

    def __exit__(self, *exc):
        STATE.inference = self._prev_inf
        return super().__exit__(*exc)

    def clone(self):
        return inference_mode(self._inf)
