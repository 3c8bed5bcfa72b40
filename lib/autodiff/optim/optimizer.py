"""``Optimizer``: what every optimizer shares -- parameter groups with their own options,
per-parameter state, ``zero_grad``, ``state_dict`` / ``load_state_dict`` -- as in ``torch.optim``.

A built-in optimizer only validates its options and writes ``_update``: the arithmetic of one
step for one parameter, on raw arrays and *in place*, in the same order of operations as torch
(so float64 trajectories agree to rounding). Updating the arrays in place keeps every view and
every numpy array that shares a parameter's memory in step with it.

The options ``foreach``, ``fused`` and ``capturable`` are accepted and kept in the groups (so
reprs and state dicts read as torch's); they pick torch kernels and change nothing here.
"""
from __future__ import annotations

import copy
import functools
import warnings
from collections import defaultdict
from itertools import chain

import numpy as np

from .._dtype import float64, get_default_dtype
from ..autograd.grad_mode import enable_grad, no_grad
from ..backend import xp_of
from ..tensor import Tensor

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks an option without a default: every parameter group must give it."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _scalar(x) -> float:
    """A learning rate or beta given as a one-element tensor, as a Python number."""
    return x.item() if isinstance(x, Tensor) else x


def _step_tensor(value=0.0) -> Tensor:
    """A counter kept in the state: a CPU scalar tensor, float32 unless the default dtype is
    float64 (as torch keeps it)."""
    dtype = np.float64 if get_default_dtype() is float64 else np.float32
    return Tensor._make(np.array(value, dtype=dtype))


def _tracked(step):
    """Wrap a subclass's ``step`` so that learning-rate schedulers can tell it was called."""
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        self._opt_called = True
        return step(self, *args, **kwargs)
    wrapper._tracked = True
    return wrapper


class Optimizer:
    """Base class of all optimizers (``torch.optim.Optimizer``).

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (parameter
    groups: ``{"params": [...], "lr": 0.1}``); ``defaults`` holds the options that a group does
    not set itself.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_tracked", False):
            cls.step = _tracked(step)

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        if defaults.get("differentiable"):
            raise NotImplementedError("differentiable=True is not supported: autodiff "
                                      "optimizers update the parameters outside autograd")
        self.state = defaultdict(dict)
        self.param_groups = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ---- parameter groups ---------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group of parameters, with its own options (e.g. to unfreeze layers later)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names and len(names) != len(params):
            raise ValueError("all optimizer params should be with/without names. Some param "
                             "names are missing")
        param_group["params"] = params
        if names:
            param_group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in params]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                kind = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {kind} to the optimizer")
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- the step -----------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True):
        """Forget the gradients: set ``.grad`` to None (default) or fill it with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                if p.grad.grad_fn is not None:
                    p.grad.detach_()
                else:
                    p.grad.requires_grad_(False)
                p.grad.zero_()

    def step(self, closure=None):
        """Update the parameters once; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    def _step_each(self, closure):
        """The frame of every built-in ``step``: the closure runs with grad enabled, then
        ``_update`` runs, with recording off, on each parameter that has a gradient."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = p.grad._data
                    if group["maximize"]:
                        grad = -grad
                    state = self.state[p]
                    if state:
                        _follow_device(p, state)
                    self._update(p._data, grad, state, group)
                    p._vc[0] += 1                     # an in-place change, as autograd sees it
                    if not state:                     # plain SGD keeps no state
                        del self.state[p]
        return loss

    def _update(self, param, grad, state, group):
        """One step for one parameter: ``param`` and ``grad`` are raw arrays."""
        raise NotImplementedError

    # ---- saving and restoring -----------------------------------------------------------------
    def state_dict(self):
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``: the
        parameters are replaced by their position, counted across the groups."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore what :meth:`state_dict` returned; parameters are matched by position. The
        state's tensors are copied (floating ones cast to their parameter's dtype and device)."""
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"])
               for g, s in zip(self.param_groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        by_id = dict(zip(chain.from_iterable(s["params"] for s in saved_groups),
                         chain.from_iterable(g["params"] for g in self.param_groups)))
        state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in by_id:
                param = by_id[key]
                state[param] = _copy_state(param, value)
            else:
                state[key] = value
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        """Also fills options that an older state lacks with the defaults, and turns a step
        counter saved as a number into the tensor that the optimizers expect."""
        self.__dict__.update(state)
        for group in self.param_groups:
            for name, default in self.defaults.items():
                group.setdefault(name, default)
        for s in self.state.values():
            if isinstance(s, dict) and "step" in s and not isinstance(s["step"], Tensor):
                s["step"] = _step_tensor(float(s["step"]))

    def __repr__(self):
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"


def _copy_state(param, value, key=None):
    """A deep copy of one parameter's saved state: tensors moved to the parameter's device and
    floating ones cast to its dtype, except the scalar counters (``step``; NAdam's
    ``mu_product``, which torch casts, so that a resumed NAdam run drifts from an uninterrupted
    one -- here it resumes exactly)."""
    if isinstance(value, Tensor):
        out = value.detach()
        if key not in ("step", "mu_product"):
            if param.is_floating_point():
                out = out.to(dtype=param.dtype, device=param.device)
            else:
                out = out.to(device=param.device)
        return Tensor._make(xp_of(out._data).array(out._data, copy=True))
    if isinstance(value, dict):
        return {k: _copy_state(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_state(param, v) for v in value)
    return value


def _follow_device(param, state):
    """Move state buffers to the parameter's device (the model moved after some steps); the
    scalar ``step`` counters stay on the CPU, as in torch."""
    for key, value in state.items():
        if (isinstance(value, Tensor) and type(value._data) is not type(param._data)
                and value._data.ndim):
            state[key] = value.to(param.device)


# ---- in-place array helpers shared by the optimizers -------------------------------------------
def zeros_like(param) -> Tensor:
    """A state buffer: a tensor of zeros shaped like the parameter array, on its device."""
    return Tensor._make(xp_of(param).zeros_like(param))


def init_buffers(param, state, *names):
    """A parameter's state at its first step: the step counter, then zero-filled buffers."""
    if len(state) == 0:
        state["step"] = _step_tensor()
        for name in names:
            state[name] = zeros_like(param)


def lerp_(a, b, weight):
    """``a`` moved towards ``b`` by ``weight``, in place, with torch's two-sided formula."""
    if abs(weight) < 0.5:
        a += weight * (b - a)
    else:
        a[...] = b - (b - a) * (1 - weight)


def sqrt(x):
    """Elementwise square root of a raw array, on its own device."""
    return xp_of(x).sqrt(x)


def as_array(x):
    """A new array holding ``x`` (also when ``x`` is a numpy scalar from a 0-d computation)."""
    return xp_of(x).array(x, copy=True)

