"""The backward engine: ``backward`` and ``autograd.grad``.

1. Walk the graph from the roots once, iteratively (no recursion limit), collecting its nodes.
2. Run them latest-created first. A node's inputs always exist before it, so this is a
   topological order: each node runs once, after all its incoming gradients have been summed.
   It is also torch's order, so hooks fire in the same sequence.
3. Undo broadcasting in one place: a gradient whose shape differs from the input it belongs to
   is summed down to that shape here, so no op has to do it.
"""
from __future__ import annotations

import heapq
import itertools
import warnings

from ..backend import xp_of
from . import function
from .anomaly_mode import ANOMALY, check_nan, warn_with_forward_stack
from .function import AccumulateGrad
from .grad_mode import STATE

__all__ = ["backward", "grad"]


def _tensor_cls():
    return function.Tensor       # set when tensor.py is imported (it imports this package)


def _as_tuple(x):
    if x is None:
        return ()
    Tensor = _tensor_cls()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _make_root_grads(outputs, grad_outputs, create_graph):
    """Default gradient 1 for scalar outputs; check the shapes of given ones."""
    from .. import _creation
    Tensor = _tensor_cls()
    grads = list(_as_tuple(grad_outputs)) if grad_outputs is not None else [None] * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError("grad can be implicitly created only for scalar outputs"
                           if not grads else
                           f"Mismatch in number of outputs and gradients: got {len(outputs)} "
                           f"tensors and {len(grads)} gradients")
    out = []
    for i, (o, g) in enumerate(zip(outputs, grads)):
        if not isinstance(o, Tensor):
            raise TypeError(f"backward/grad expects Tensors as outputs, got {type(o).__name__}")
        if not o.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn")
        if g is None:
            if o.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = _creation.ones_like(o)
        else:
            if not isinstance(g, Tensor):
                g = _creation.as_tensor(g, dtype=o.dtype, device=o.device)
            if g.shape != o.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {o.shape}.")
            if not create_graph:
                g = g.detach()
        out.append(g)
    return out


def _root_node(t):
    return (t.grad_fn, t._output_nr) if t.grad_fn is not None else (t._grad_accumulator(), 0)


def _discover(roots):
    """Every node reachable from ``roots`` (iterative DFS: no recursion limit)."""
    seen = set(roots)
    stack = list(roots)
    while stack:
        for child, _ in stack.pop()._next:
            if child is not None and child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def _needed(roots, targets, seen):
    """Nodes on some path from a root to a target: only those run for ``autograd.grad``."""
    parents = {}
    for node in seen:
        for child, _ in node._next:
            if child is not None:
                parents.setdefault(child, []).append(node)
    needed = set()
    stack = [t for t in targets if t in seen]
    while stack:
        node = stack.pop()
        if node in needed:
            continue
        needed.add(node)
        stack.extend(parents.get(node, ()))
    return needed


def run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=None,
                 accumulate=True, allow_unused=False):
    """Shared core of :func:`backward` and :func:`grad` (``accumulate=False`` captures)."""
    outputs = _as_tuple(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    root_grads = _make_root_grads(outputs, grad_outputs, create_graph)
    roots = [_root_node(o) for o in outputs]

    # What to capture: leaves at their AccumulateGrad, non-leaves at (grad_fn, output_nr).
    capture = None
    if inputs is not None:
        capture = {}
        for i, t in enumerate(inputs):
            if not t.requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            capture[_root_node(t)] = i

    # autograd.grad runs only the nodes on a path from an output to an input
    only = None
    if capture is not None:
        root_nodes = list(dict.fromkeys(n for n, _ in roots))
        only = _needed(root_nodes, [n for n, _ in capture], _discover(root_nodes))

    # Nodes run in decreasing creation order: a node's inputs were created before it, so this
    # is a topological order (and the order torch runs nodes, and hence hooks, in). A heap
    # hands the nodes out as gradients reach them: the graph is walked once, and a node that
    # no gradient reaches is never visited.
    buffers, ready, pushed = {}, [], itertools.count()
    for (node, nr), g in zip(roots, root_grads):
        if node not in buffers:
            heapq.heappush(ready, (-node.seq, next(pushed), node))
        _add_to_buffer(buffers, node, nr, g)
    results = [None] * len(inputs) if inputs is not None else None
    handed = {id(g._data) for g in root_grads}      # arrays a leaf must not keep by reference

    anomaly = ANOMALY.enabled
    prev_mode, STATE.enabled = STATE.enabled, create_graph
    try:
        while ready:
            node = heapq.heappop(ready)[2]
            grads = buffers.pop(node)
            if node.__class__ is AccumulateGrad:
                _run_leaf(node, grads, capture, results, accumulate, create_graph, handed)
                continue
            if anomaly:
                input_grads = _run_node_checked(node, grads, capture, results, retain_graph)
            else:
                input_grads = _run_node(node, grads, capture, results, retain_graph)
            # (zip stops at the last tensor input: results for trailing non-tensors are dropped)
            for (child, nr), g, meta in zip(node._next, input_grads, node._input_meta):
                if g is None or child is None or (only is not None and child not in only):
                    continue
                if g._data.shape != meta[0] or g._data.dtype != meta[1]:
                    g = _match_input(node, g, meta)
                buf = buffers.get(child)
                if buf is None:
                    buffers[child] = buf = [None] * child._n_outputs
                    heapq.heappush(ready, (-child.seq, next(pushed), child))
                buf[nr] = g if buf[nr] is None else _accumulate(buf[nr], g)
    finally:
        STATE.enabled = prev_mode
    if results is not None:
        for i, r in enumerate(results):
            if r is None and not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior.")
    return results


def _accumulate(total, g):
    """Two gradients of one input (same shape and dtype, matched above) summed."""
    if STATE.enabled:                         # create_graph: the sum is part of the new graph
        return total + g
    s = total._data + g._data                 # the array sum, without an op's overhead
    return total._make(s if s.ndim else xp_of(s).asarray(s))   # (numpy: 0-d + 0-d is a scalar)


def _add_to_buffer(buffers, node, nr, g):
    buf = buffers.get(node)
    if buf is None:
        buf = buffers[node] = [None] * node._n_outputs
    buf[nr] = g if buf[nr] is None else buf[nr] + g


def _match_input(node, g, meta):
    """Sum a broadcast gradient down to the input's shape and give it the input's dtype."""
    shape, dtype = meta
    if g._data.shape != shape:
        if not _broadcastable_to(shape, g._data.shape):
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient - got {list(g.shape)} but "
                f"expected shape compatible with {list(shape)}")
        g = g.sum_to_size(shape)
    if g._data.dtype != dtype:
        g = g.to(_dtype_from_np(dtype))
    return g


def _dtype_from_np(np_dtype):
    from .._dtype import from_numpy_dtype
    return from_numpy_dtype(np_dtype)


def _broadcastable_to(shape, grad_shape):
    if len(shape) > len(grad_shape):
        return False
    for s, g in zip(reversed(shape), reversed(grad_shape)):
        if s != g and s != 1:
            return False
    return True


def _run_node(node, grads, capture, results, retain_graph):
    """Hooks, then the node's backward; returns one gradient per tensor input."""
    if node._tensor_hooks or node._retain or node._pre_hooks:
        grads = _run_pre_hooks(node, grads)
    if capture is not None:
        for nr, g in enumerate(grads):
            i = capture.get((node, nr))
            if i is not None:
                results[i] = g
    if len(grads) == 1:
        if grads[0] is None:
            return (None,) * len(node._next)
    elif any(g is None for g in grads):
        if all(g is None for g in grads):
            return (None,) * len(node._next)
        if node.materialize_grads:
            grads = _zeros_for_missing(node, grads)
    out = node._forward_cls.backward(node, *grads)      # node.apply, without one more call
    if type(out) is not tuple:
        out = (out,)
    if len(out) != len(node.needs_input_grad):
        out = _drop_trailing_nones(node, out)
    if node._post_hooks:
        for fn in list(node._post_hooks.values()):
            fn(out, tuple(grads))
    if not retain_graph:
        node._release()
    pos = node._tensor_pos
    return out if pos is None else [out[i] for i in pos]


def _run_node_checked(node, grads, capture, results, retain_graph):
    """``_run_node`` in anomaly mode: errors point at the forward code, nan is an error."""
    try:
        out = _run_node(node, grads, capture, results, retain_graph)
        if ANOMALY.check_nan:
            check_nan(node, out)
    except Exception:
        warn_with_forward_stack(node)
        raise
    return out


def _zeros_for_missing(node, grads):
    """Zeros for the outputs that received no gradient, on the device of those that did."""
    from .. import _creation
    device = next(g for g in grads if g is not None).device
    return [_creation.zeros(node._output_meta[i][0], dtype=_dtype_from_np(node._output_meta[i][1]),
                            device=device) if g is None else g for i, g in enumerate(grads)]


def _run_pre_hooks(node, grads):
    """Tensor hooks (``t.register_hook``), then retain_grad, then node pre-hooks."""
    grads = list(grads)
    if node._tensor_hooks:
        for nr, hooks in node._tensor_hooks.items():
            for fn in list(hooks.values()):
                if grads[nr] is not None:
                    new = fn(grads[nr])
                    if new is not None:
                        grads[nr] = new
    if node._retain:
        for nr, ref in node._retain.items():
            t = ref()
            if t is not None and grads[nr] is not None:
                g = grads[nr] if STATE.enabled else grads[nr].detach()
                t._grad = g.clone() if t._grad is None else t._grad + g
    if node._pre_hooks:
        for fn in list(node._pre_hooks.values()):
            new = fn(tuple(grads))
            if new is not None:
                grads = list(new)
    return grads


def _drop_trailing_nones(node, out):
    """A backward may return extra Nones past its inputs (torch allows it); more is an error."""
    n = len(node.needs_input_grad)
    if len(out) < n or any(g is not None for g in out[n:]):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {n}, got {len(out)})")
    return out[:n]


def _run_leaf(node, grads, capture, results, accumulate, create_graph, handed):
    g = grads[0] if grads else None
    if g is None:
        return
    var = node.variable
    hooks = getattr(var, "_hooks", None)
    if hooks:
        for fn in list(hooks.values()):
            new = fn(g)
            if new is not None:
                g = new
    if capture is not None:
        i = capture.get((node, 0))
        if i is not None:
            results[i] = g
        return
    if not accumulate:
        return
    if create_graph:
        var._grad = g if var._grad is None else var._grad + g
        return
    arr = g._data
    if var._grad is None:
        # (cupy arrays are always writeable: their flags have no ``writeable``)
        if arr.base is not None or not getattr(arr.flags, "writeable", True) or id(arr) in handed:
            arr = arr.copy()
        handed.add(id(arr))
        var._grad = g.__class__._make(arr)
    else:
        old = var._grad
        if old._requires_grad:
            var._grad = old.detach() + g.detach()
        else:
            old._data += arr
            old._vc[0] += 1
    post = getattr(var, "_post_accumulate_hooks", None)
    if post:
        for fn in list(post.values()):
            fn(var)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaf) into the ``.grad`` of every leaf that requires grad."""
    if inputs is not None:
        inputs = _as_tuple(inputs)
        results = run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs,
                               allow_unused=True)
        for t, g in zip(inputs, results):
            if g is None:
                continue
            g = g if create_graph else g.detach()
            t._grad = (g.clone() if not create_graph else g) if t._grad is None else t._grad + g
        return
    run_backward(tensors, grad_tensors, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` (summed) with respect to ``inputs``, returned as a tuple.

    Nothing is accumulated into ``.grad``. With ``create_graph=True`` the results are part of a
    graph and can be differentiated again.
    """
    inputs = _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    results = run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs,
                           accumulate=False, allow_unused=allow_unused)
    out = []
    for t, g in zip(inputs, results):
        if g is None and materialize_grads:
            from .. import _creation
            g = _creation.zeros_like(t)
        elif g is not None and not create_graph:
            g = g.detach()
        out.append(g)
    return tuple(out)


def _warn_nonleaf_grad():
    warnings.warn(
        "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
        "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
        "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf "
        "Tensor. If you access the non-leaf Tensor by mistake, make sure you access the leaf "
        "Tensor instead.", UserWarning, stacklevel=3)
