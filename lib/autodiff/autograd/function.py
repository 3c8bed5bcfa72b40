"""Graph nodes and ``autograd.Function``.

Every differentiable op is a :class:`Function` subclass with two static methods, exactly like a
user's custom function in torch::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):                 # runs with recording off
            return xp_of(x._data).exp(x._data)   # built-ins may return raw arrays
        @staticmethod
        def backward(ctx, grad):             # written with tensor ops: differentiable again
            return grad * ctx.output

Calling ``Exp.apply(x)`` runs ``forward`` and, when some input requires grad, keeps the ``ctx``
as the output's ``grad_fn``: a node of the backward graph whose ``next_functions`` point at the
inputs' nodes. The engine (``engine.py``) walks these nodes.
"""
from __future__ import annotations

import itertools
import weakref

import numpy as np

from .anomaly_mode import ANOMALY, record_forward_stack
from .grad_mode import STATE

__all__ = ["Function", "FunctionCtx", "Node", "BackwardCFunction", "AccumulateGrad",
           "once_differentiable"]

_seq = itertools.count()     # creation order: the engine runs later-created nodes first
_TENSOR_TYPES = set()        # Tensor and its subclasses (filled by Tensor.__init_subclass__)
# Set by tensor.py, which imports this module (an import here would be circular):
Tensor = _wrap_output = None


class Node:
    """A node of the backward graph (what ``tensor.grad_fn`` returns)."""

    _name = "Node"
    _custom = False
    _next: tuple = ()             # (node, output index) per tensor argument: the engine's edges
    _tensor_pos = None            # which arguments were tensors, when not simply the first ones
    _operands = None              # argument positions torch lists in next_functions (see there)
    _n_outputs = 1
    # hooks, created on first registration (class-level None keeps the engine's checks cheap)
    _tensor_hooks = _retain = _pre_hooks = _post_hooks = None

    def name(self) -> str:
        return self._name

    @property
    def next_functions(self) -> tuple:
        """``(node, output index)`` for each input: the input's ``grad_fn``, its
        ``AccumulateGrad`` (a leaf that requires grad) or ``(None, 0)`` (no gradient).

        As in torch, an op whose operands may be Python numbers (``x * 2``) lists them too, as
        ``(None, 0)``, and non-differentiable arguments (``where``'s condition) are left out.
        """
        shown = self._operands
        if shown is None:
            return self._next
        edges = dict(zip(self._tensor_pos or range(len(self._next)), self._next))
        return tuple(edges.get(i, (None, 0)) for i in shown)

    def __repr__(self):
        prefix = "autodiff.autograd.function." if self._custom else ""
        return f"<{prefix}{self._name} object at {hex(id(self))}>"

    @property
    def metadata(self) -> dict:
        if getattr(self, "_metadata", None) is None:
            self._metadata = {}
        return self._metadata

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` runs after this node computed its gradients."""
        return _add_hook(self, "_post_hooks", fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` runs before this node; it may return replaced grad_outputs."""
        return _add_hook(self, "_pre_hooks", fn)


class RemovableHandle:
    """Returned by every ``register_*hook``: ``handle.remove()`` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks: dict):
        self._hooks_ref = weakref.ref(hooks) if hasattr(hooks, "__weakref__") else (lambda: hooks)
        self.id = next(self._ids)

    def remove(self):
        hooks = self._hooks_ref()
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _HookDict(dict):
    """A dict that can be weakly referenced (so a handle does not keep a graph alive)."""
    __slots__ = ("__weakref__",)


def _add_hook(owner, attr: str, fn) -> RemovableHandle:
    hooks = getattr(owner, attr, None)
    if hooks is None:
        hooks = _HookDict()
        setattr(owner, attr, hooks)
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    return handle


class AccumulateGrad(Node):
    """The node at a leaf tensor: adds the arriving gradient to ``variable.grad``."""

    _name = "AccumulateGrad"

    def __init__(self, variable):
        self.variable = variable
        self.seq = -1                      # leaves run after everything that feeds them


class FunctionCtx:
    """What ``forward`` and ``backward`` receive as ``ctx``."""

    _saved = ()
    _freed = False
    materialize_grads = True
    non_differentiable = ()
    dirty = ()

    _record = True

    def save_for_backward(self, *tensors):
        """Keep tensors for backward, with their versions (to detect later in-place changes)."""
        if not self._record:       # nothing will run backward: keep no references
            return
        saved = []                 # (a plain loop: cheaper than a comprehension for a few items)
        for t in tensors:
            saved.append(None if t is None else (t, t._vc[0]))
        self._saved = saved

    def _check_not_freed(self):
        if self._freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")

    @property
    def saved_tensors(self) -> tuple:
        self._check_not_freed()
        out = []
        for s in self._saved:
            if s is None:
                out.append(None)
                continue
            if s.__class__ is _SavedOutput:
                out.append(self._output_tensor(s.index))
                continue
            t, version = s
            if t._vc[0] != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{t.type()} {list(t.shape)}] is at version "
                    f"{t._vc[0]}; expected version {version} instead. Hint: the backtrace "
                    "further above can point at the operation that failed to compute its "
                    "gradient. Do not modify a tensor in place after using it in a "
                    "differentiable operation, or clone() it first.")
            out.append(t)
        return tuple(out)

    saved_variables = saved_tensors

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = tuple(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        self.dirty = tuple(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = bool(value)

    @property
    def output(self):
        """The (first) output, rebuilt from its array so a saved output makes no reference cycle."""
        return self._output_tensor(0)

    def _output_tensor(self, i):
        self._check_not_freed()
        data, vc, version = self._out_saved[i]
        if vc[0] != version:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: output {i} of {self._name} is at version {vc[0]}; expected "
                f"version {version} instead. Do not modify the result of this op in place, or "
                "clone() it first.")
        t = Tensor._make(data, True)
        t.grad_fn, t._output_nr, t._vc = self, i, vc
        return t


class BackwardCFunction(Node, FunctionCtx):
    """A node made by ``Function.apply``: the ctx of forward is the grad_fn of the outputs."""

    _forward_cls = None
    #: where backward's results for the tensor inputs are; None: first, in order (the usual case)
    _tensor_pos = None

    def _release(self):
        """Free saved tensors after backward (unless the graph is retained)."""
        self._saved = ()
        self._out_saved = None
        self._freed = True

    def apply(self, *grads):
        """Call the user's backward (the engine's entry point)."""
        return self._forward_cls.backward(self, *grads)


class _FunctionMeta(type):
    """Gives every Function subclass its own node class, named ``<Name>Backward``."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        custom = not cls.__module__.startswith("autodiff.")
        node_name = attrs.get("grad_name") or f"{name}Backward"
        cls._backward_cls = type(node_name, (BackwardCFunction,),
                                 {"_forward_cls": cls, "_name": node_name, "_custom": custom,
                                  "_operands": getattr(cls, "_operands", None)})


class Function(metaclass=_FunctionMeta):
    """Base class of differentiable operations (subclass it, as in torch).

    ``forward(ctx, *args)`` computes the result (with graph recording off); ``backward(ctx,
    *grad_outputs)`` returns one gradient (or None) per argument of forward.
    """

    #: outputs whose array the backward needs (``ctx.output``); built-ins set it
    save_output = False
    #: True for ops whose result is a view sharing storage with the first input
    is_view = False

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward with recording off; record ``ctx`` as grad_fn if an input needs grad."""
        ctx = cls._backward_cls()
        prev = STATE.enabled
        if prev:
            needs = []       # (a plain loop: for an op's few arguments, cheaper than a comprehension)
            for a in args:
                needs.append(type(a) in _TENSOR_TYPES and a._requires_grad)
            ctx.needs_input_grad = tuple(needs)
            record = True in needs
        else:
            ctx.needs_input_grad = (False,) * len(args)
            record = False
        ctx._record = record
        STATE.enabled = False
        try:
            raw = cls.forward(ctx, *args, **kwargs)
        except (TypeError, ValueError):
            _check_devices(args, kwargs)      # CuPy met NumPy: say which devices, as torch
            raise
        finally:
            STATE.enabled = prev
        if type(raw) is tuple:
            outs = tuple([_wrap_output(r, cls, args) for r in raw])
            if record:
                _connect(ctx, cls, args, outs)
            return outs
        # (the common case, an array that is no view, wrapped here: saves a call per op)
        if type(raw) is np.ndarray and not cls.is_view:
            out = Tensor._make(raw)
        else:
            out = _wrap_output(raw, cls, args)
        if record:
            _connect(ctx, cls, args, (out,))
        return out


def _check_devices(args, kwargs):
    """torch's RuntimeError when the tensor arguments of an op live on different devices."""
    devices = []
    for a in (*args, *kwargs.values()):
        if type(a) in _TENSOR_TYPES and a.device not in devices:
            devices.append(a.device)
    if len(devices) > 1:
        raise RuntimeError("Expected all tensors to be on the same device, but found at least "
                           f"two devices, {devices[0]} and {devices[1]}!") from None


def _connect(ctx, cls, args, outs):
    """Make ``ctx`` the grad_fn of the outputs and point it at the inputs' nodes."""
    nexts, meta = [], []
    for i, t in enumerate(args):
        if type(t) not in _TENSOR_TYPES:
            continue
        last = i
        data, fn = t._data, t.grad_fn
        meta.append((data.shape, data.dtype))
        if not t._requires_grad:
            nexts.append((None, 0))
        elif fn is not None:
            nexts.append((fn, t._output_nr))
        else:
            nexts.append((t._grad_accumulator(), 0))
    ctx._next = tuple(nexts)
    ctx._input_meta = meta
    if ANOMALY.enabled:
        record_forward_stack(ctx)
    if last != len(nexts) - 1:           # a non-tensor argument comes before a tensor
        ctx._tensor_pos = [i for i, a in enumerate(args) if type(a) in _TENSOR_TYPES]
    ctx.seq = next(_seq)
    if len(outs) == 1:
        data = outs[0]._data
        ctx._output_meta = ((data.shape, data.dtype),)
    else:
        ctx._output_meta = [(o._data.shape, o._data.dtype) for o in outs]
        ctx._n_outputs = len(outs)
    if cls.save_output:
        ctx._out_saved = [(o._data, o._vc, o._vc[0]) for o in outs]
    nd = ctx.non_differentiable
    for i, o in enumerate(outs):
        if o._data.dtype.kind == "f" and (not nd or id(o) not in nd):
            o._requires_grad = True
            o.grad_fn = ctx
            o._output_nr = i
    if ctx._custom and ctx._saved and not cls.save_output:
        _custom_saves_outputs(ctx, outs)


def _custom_saves_outputs(ctx, outs):
    """A custom forward may save its own outputs: store them as arrays to avoid a ref cycle."""
    saved = ctx._saved
    if not saved:
        return False
    ids = {id(o): i for i, o in enumerate(outs)}
    if not any(s is not None and id(s[0]) in ids for s in saved):
        return False
    ctx._out_saved = [(o._data, o._vc, o._vc[0]) for o in outs]
    ctx._saved = tuple(_SavedOutput(ids[id(s[0])]) if s is not None and id(s[0]) in ids
                       else s for s in saved)
    return True



class _SavedOutput:
    """Placeholder in ``ctx._saved`` for an output; ``saved_tensors`` rebuilds it on access."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


def once_differentiable(fn):
    """Decorator for a backward that is not itself differentiable (it runs with grad off).

    Under ``create_graph=True`` its results are marked so that differentiating them again
    raises, instead of silently giving zero, as torch does.
    """
    from .grad_mode import STATE

    def wrapper(ctx, *grads):
        create_graph = STATE.enabled
        STATE.enabled = False
        try:
            out = fn(ctx, *grads)
        finally:
            STATE.enabled = create_graph
        if not create_graph or not any(getattr(g, "_requires_grad", False) for g in grads):
            return out
        single = not isinstance(out, tuple)
        live = [g for g in grads if getattr(g, "_requires_grad", False)]
        marked = tuple(None if r is None else _DelayedError.apply(r, *live)
                       for r in ((out,) if single else out))
        return marked[0] if single else marked
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


class _DelayedError(Function):
    """Passes ``x`` through, linked to ``grads`` so that differentiating it reaches backward,
    which raises: marks results of a once-differentiable backward."""
    grad_name = "DelayedError"

    @staticmethod
    def forward(ctx, x, *grads):
        return x._data

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")

