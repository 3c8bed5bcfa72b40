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

from .grad_mode import STATE

__all__ = ["Function", "FunctionCtx", "Node", "BackwardCFunction", "AccumulateGrad",
           "once_differentiable"]

_seq = itertools.count()     # creation order: the engine runs later-created nodes first


class Node:
    """A node of the backward graph (what ``tensor.grad_fn`` returns)."""

    _name = "Node"
    _custom = False
    next_functions: tuple = ()

    def name(self) -> str:
        return self._name

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


class _SavedTensor:
    """A tensor saved for backward plus the version it had, to detect later in-place changes."""

    __slots__ = ("tensor", "version")

    def __init__(self, tensor):
        self.tensor = tensor
        self.version = tensor._vc[0]


class FunctionCtx:
    """What ``forward`` and ``backward`` receive as ``ctx``."""

    _saved = ()
    _freed = False
    materialize_grads = True
    non_differentiable = ()
    dirty = ()

    def save_for_backward(self, *tensors):
        self._saved = tuple(None if t is None else _SavedTensor(t) for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        if self._freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        out = []
        for s in self._saved:
            if s is None:
                out.append(None)
                continue
            if isinstance(s, _SavedOutput):
                out.append(self._output_tensor(s.index))
                continue
            t = s.tensor
            if t._vc[0] != s.version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{t.type()} {list(t.shape)}] is at version "
                    f"{t._vc[0]}; expected version {s.version} instead. Hint: the backtrace "
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
        from ..tensor import Tensor
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
                                 {"_forward_cls": cls, "_name": node_name, "_custom": custom})


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
        from ..tensor import Tensor, _wrap_output
        tensors = [a for a in args if isinstance(a, Tensor)]
        record = STATE.enabled and any(t._requires_grad for t in tensors)
        ctx = cls._backward_cls()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad and record
                                     for a in args)
        prev, STATE.enabled = STATE.enabled, False
        try:
            raw = cls.forward(ctx, *args, **kwargs)
        finally:
            STATE.enabled = prev
        single = not isinstance(raw, tuple)
        outs = tuple(_wrap_output(r, cls, tensors) for r in ((raw,) if single else raw))
        if record:
            _connect(ctx, cls, args, tensors, outs)
        return outs[0] if single else outs


def _connect(ctx, cls, args, tensors, outs):
    """Make ``ctx`` the grad_fn of the outputs and point it at the inputs' nodes."""
    from ..tensor import Tensor
    nexts = []
    for t in tensors:
        if not t._requires_grad:
            nexts.append((None, 0))
        elif t.grad_fn is not None:
            nexts.append((t.grad_fn, t._output_nr))
        else:
            nexts.append((t._grad_accumulator(), 0))
    ctx.next_functions = tuple(nexts)
    ctx._input_meta = tuple((t._data.shape, t._data.dtype) for t in tensors)
    ctx._tensor_pos = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
    ctx.seq = next(_seq)
    ctx._output_meta = []
    nd = ctx.non_differentiable
    if cls.save_output:
        ctx._out_saved = [(o._data, o._vc, o._vc[0]) for o in outs]
    for i, o in enumerate(outs):
        ctx._output_meta.append((o._data.shape, o._data.dtype))
        if o._data.dtype.kind == "f" and id(o) not in nd:
            o._requires_grad = True
            o.grad_fn = ctx
            o._output_nr = i
    if not cls.save_output:
        _custom_saves_outputs(ctx, outs)


def _custom_saves_outputs(ctx, outs):
    """A custom forward may save its own outputs: store them as arrays to avoid a ref cycle."""
    saved = ctx._saved
    if not saved:
        return False
    ids = {id(o): i for i, o in enumerate(outs)}
    if not any(s is not None and id(s.tensor) in ids for s in saved):
        return False
    ctx._out_saved = [(o._data, o._vc, o._vc[0]) for o in outs]
    ctx._saved = tuple(_SavedOutput(ids[id(s.tensor)]) if s is not None and id(s.tensor) in ids
                       else s for s in saved)
    return True



class _SavedOutput:
    """Placeholder in ``ctx._saved`` for an output; ``saved_tensors`` rebuilds it on access."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


def once_differentiable(fn):
    """Decorator for a backward that is not itself differentiable (it runs with grad off)."""
    from .grad_mode import no_grad

    def wrapper(ctx, *grads):
        with no_grad():
            return fn(ctx, *grads)
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper
