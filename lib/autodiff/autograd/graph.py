"""Walk the backward graph: the operations behind some tensors, inputs before their users.

``walk(outputs)`` turns the ``grad_fn`` nodes reachable from ``outputs`` into a list of
:class:`GraphNode` in the order they were computed; ``trace(model, inputs)`` runs a model once
and also notes the module each operation ran in. Both are iterative (a chain of 10 000 ops is
fine) and are what ``autodiff.utils.draw_graph`` and ``SummaryWriter.add_graph`` draw.
"""
from __future__ import annotations

import bisect
import inspect

from .function import _seq
from .grad_mode import enable_grad

__all__ = ["GraphNode", "walk", "trace", "Trace"]


class GraphNode:
    """A vertex of the walked graph.

    ``kind`` is ``"op"`` (a ``grad_fn``), ``"leaf"`` (a leaf tensor that requires grad),
    ``"constant"`` (an argument that does not require grad: autograd keeps only its shape and
    dtype) or ``"output"`` (a tensor the walk started from). ``inputs`` lists the
    ``(GraphNode, output_index)`` pairs the node consumes, in argument order; ``meta`` the
    ``(shape, numpy dtype)`` of each of its outputs.
    """

    __slots__ = ("kind", "fn", "tensor", "meta", "inputs", "name", "role", "scope")

    def __init__(self, kind, *, fn=None, tensor=None, meta=()):
        self.kind = kind
        self.fn = fn                # the grad_fn of an op
        self.tensor = tensor        # the tensor of a leaf or an output
        self.meta = list(meta)
        self.inputs = []
        self.name = None            # "fc1.weight", "x", ... when known
        self.role = None            # "parameter", "buffer" or "input" when traced from a model
        self.scope = None           # "Net/Linear[fc1]" for the ops of a traced model

    @property
    def label(self) -> str:
        """The grad_fn name of an op (``AddmmBackward0``), else the tensor's name or kind."""
        return self.fn.name() if self.kind == "op" else (self.name or self.kind)

    def __repr__(self):
        shapes = ", ".join(str(tuple(s)) for s, _ in self.meta)
        return f"GraphNode({self.kind}, {self.label}, [{shapes}])"


def _meta(t):
    return [(tuple(t.shape), t._data.dtype)]


def walk(outputs, names=None, hide=()) -> list:
    """The graph behind ``outputs`` (a tensor or a sequence of them) as a list of GraphNodes.

    Nodes come in the order they were computed (leaves and constants just before their first
    user, outputs last). ``names`` maps ``id(tensor)`` to a name for leaves and outputs;
    ``hide`` names identity nodes (e.g. ``"BackwardHookFunctionBackward"``) to look through.
    """
    from ..tensor import Tensor
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    names = names or {}
    hide = set(hide)

    def resolve(fn, nr, meta):
        """Look through hidden identity nodes: output ``nr`` of such a node is its input ``nr``."""
        while fn is not None and fn.name() in hide:
            fn, nr, meta = fn._next[nr] + (fn._input_meta[nr],)
        return fn, nr, meta

    roots = []
    for t in outputs:
        if t.grad_fn is not None:
            roots.append(resolve(t.grad_fn, t._output_nr, _meta(t)[0]))
        elif t.requires_grad:
            roots.append((t._grad_accumulator(), 0, _meta(t)[0]))
        else:
            roots.append((None, 0, _meta(t)[0]))

    # every reachable node (an explicit stack: no recursion)
    stack = [fn for fn, _, _ in roots if fn is not None]
    seen = set(stack)
    while stack:
        for child, _ in stack.pop()._next:
            if child is not None and child not in seen:
                seen.add(child)
                stack.append(child)

    order, made = [], {}

    def node_of(fn):
        """The GraphNode of a non-hidden fn; a leaf's node is made on its first use."""
        if fn in made:
            return made[fn]
        if fn.name() == "AccumulateGrad":
            t = fn.variable
            made[fn] = node = GraphNode("leaf", tensor=t, meta=_meta(t))
            node.name = names.get(id(t))
            order.append(node)
        return made[fn]

    def edge(fn, nr, meta):
        fn, nr, meta = resolve(fn, nr, meta)
        if fn is None:
            const = GraphNode("constant", meta=[meta])
            order.append(const)
            return const, 0
        return node_of(fn), nr

    ops = sorted((fn for fn in seen if fn.name() != "AccumulateGrad" and fn.name() not in hide),
                 key=lambda fn: fn.seq)     # creation order: inputs are always older
    for fn in ops:
        node = GraphNode("op", fn=fn, meta=fn._output_meta)
        node.inputs = [edge(child, nr, meta)
                       for (child, nr), meta in zip(fn._next, fn._input_meta)]
        made[fn] = node
        order.append(node)
    for t, (fn, nr, meta) in zip(outputs, roots):
        if fn is not None and fn.name() == "AccumulateGrad" and fn.variable is t:
            node_of(fn)            # a leaf asked for itself: it is its own output
            continue
        out = GraphNode("output", tensor=t, meta=_meta(t))
        out.name = names.get(id(t))
        if fn is not None:
            out.inputs = [edge(fn, nr, meta)]
        order.append(out)
    return order


class Trace:
    """One run of a model, with the graph it built (see :func:`trace`).

    ``nodes``: the GraphNodes (ops carry their module ``scope``; parameters, buffers and model
    inputs their ``role`` and ``name``); ``output``: what the model returned;
    ``module_paths``: dotted module name -> scope (``"fc1"`` -> ``"Net/Linear[fc1]"``).
    """

    def __init__(self, nodes, output, module_paths, input_names):
        self.nodes = nodes
        self.output = output
        self.module_paths = module_paths
        self.input_names = input_names

    def scope_of(self, dotted_name: str) -> str:
        """The scope of the module owning a parameter or buffer (``fc1.weight`` -> its path)."""
        owner = dotted_name.rpartition(".")[0]
        return self.module_paths[owner]


def _module_paths(model):
    """``{dotted name: "Net/Sequential[features]/Conv2d[0]"}`` for the model's modules."""
    paths = {}
    for name, module in model.named_modules():
        parent, _, last = name.rpartition(".")
        kind = type(module).__name__
        paths[name] = f"{paths[parent]}/{kind}[{last}]" if name else kind
    return paths


def _tensors_in(value):
    """The tensors in a (possibly nested) tuple/list/dict a model returned, in order."""
    from ..tensor import Tensor
    found, stack = [], [value]
    while stack:
        v = stack.pop()
        if isinstance(v, Tensor):
            found.append(v)
        elif isinstance(v, (tuple, list)):
            stack.extend(reversed(v))
        elif isinstance(v, dict):
            stack.extend(reversed(list(v.values())))
    return found


def _input_names(model, n):
    """Names for n positional inputs: forward's parameter names, else ``input.1``, ..."""
    try:
        params = [p for p in inspect.signature(model.forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[i].name if i < len(params) else f"input.{i + 1}" for i in range(n)]


def trace(model, inputs=()) -> Trace:
    """Run ``model(*inputs)`` once in eval mode, noting the module every operation ran in.

    Floating-point inputs are replaced by detached copies that require grad, so that the
    operations applied to the inputs alone are recorded too and the inputs become graph nodes.
    Integer inputs (indices) cannot require grad: they are recognised by shape and dtype.
    """
    from ..tensor import Tensor
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(() if inputs is None else inputs)
    paths = _module_paths(model)
    by_module = {}
    for name, module in model.named_modules():
        by_module.setdefault(id(module), name)
    calls, stack, handles = [], [], []     # calls: [start, end, path, parent index]

    def pre(module, args):
        calls.append([next(_seq), None, paths[by_module[id(module)]],
                      stack[-1] if stack else -1])
        stack.append(len(calls) - 1)

    def post(module, args, result):
        calls[stack.pop()][1] = next(_seq)

    modes = [(m, m.training) for m in model.modules()]
    input_names = _input_names(model, len(inputs))
    run_args, traced, by_meta = [], {}, {}
    for t, name in zip(inputs, input_names):
        if isinstance(t, Tensor) and t.is_floating_point():
            copy = t.detach().requires_grad_()
            traced[id(copy)] = (name, t)
            run_args.append(copy)
        else:
            if isinstance(t, Tensor):
                by_meta.setdefault(_meta(t)[0], name)
            run_args.append(t)
    try:
        for m in model.modules():
            handles.append(m.register_forward_pre_hook(pre))
            handles.append(m.register_forward_hook(post))
        model.train(False)
        with enable_grad():
            output = model(*run_args)
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            m.training = mode

    names = {id(p): n for n, p in model.named_parameters()}
    names.update({k: v[0] for k, v in traced.items()})
    nodes = walk(_tensors_in(output), names, hide=("BackwardHookFunctionBackward",))
    params = {id(p) for p in model.parameters()}
    starts = [c[0] for c in calls]

    def scope(seq):
        i = bisect.bisect_left(starts, seq) - 1          # innermost call started before
        while i >= 0 and calls[i][1] is not None and calls[i][1] < seq:
            i = calls[i][3]                               # ended before: its caller
        return calls[i][2] if i >= 0 else paths[""]

    modules = {paths[n]: m for n, m in model.named_modules()}
    for node in nodes:
        if node.kind == "op":
            node.scope = scope(node.fn.seq)
        elif node.kind == "leaf" and id(node.tensor) in traced:
            node.role, node.tensor = "input", traced[id(node.tensor)][1]
        elif node.kind == "leaf" and id(node.tensor) in params:
            node.role = "parameter"
    _name_constants(nodes, by_meta, modules, paths)
    return Trace(nodes, output, paths, input_names)


def _name_constants(nodes, by_meta, modules, paths):
    """Recognise constants: integer model inputs (by shape and dtype), then the buffers of the
    module whose operation consumes them; constants of one input become one node."""
    path_name = {p: n for n, p in paths.items()}
    inputs_seen, merged = {}, set()
    for node in nodes:
        if node.kind != "op":
            continue
        used = set()
        for i, (src, _) in enumerate(node.inputs):
            if src.kind != "constant" or src.name is not None:
                continue
            meta = src.meta[0]
            if meta in by_meta:
                src.name, src.role = by_meta[meta], "input"
                first = inputs_seen.setdefault(src.name, src)
                node.inputs[i] = (first, 0)
                if first is not src:
                    merged.add(id(src))
                continue
            module = modules.get(node.scope)
            for bname, buf in ([] if module is None else module.named_buffers(recurse=False)):
                if bname not in used and (tuple(buf.shape), buf._data.dtype) == meta:
                    used.add(bname)
                    prefix = path_name[node.scope]
                    src.name = f"{prefix}.{bname}" if prefix else bname
                    src.role = "buffer"
                    break
    nodes[:] = [n for n in nodes if id(n) not in merged]
