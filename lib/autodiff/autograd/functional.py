"""Jacobians, Hessians and their products with vectors, as ``torch.autograd.functional``.

Everything here is built on :func:`autograd.grad`. A row of a Jacobian is one backward pass
(a vector-Jacobian product with a one-hot vector), and the forward-mode products (``jvp``,
``hvp``) use the *double-backward trick*: the backward pass ``u -> J^T u`` is linear in ``u``, so
differentiating it with respect to ``u`` in the direction ``v`` gives ``J v``.
"""
from . import function
from .engine import grad as _autograd_grad
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _zeros_like(t, requires_grad=False):
    from .._creation import zeros_like     # (autodiff.tensor imports this package)
    return zeros_like(t, requires_grad=requires_grad)


# ---- inputs and outputs: a tensor or a tuple of tensors -----------------------------------------
def _as_tuple(x, arg_name, fn_name):
    """``(was_a_tuple, tuple_of_tensors)``; anything but tensors is a TypeError."""
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for i, el in enumerate(items):
        if not isinstance(el, function.Tensor):
            where = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                            f"tuple of Tensors but the {where} has type {type(el)}.")
    return is_tuple, items


def _unpack(res, was_tuple):
    """Undo :func:`_as_tuple` on a result; ``was_tuple`` is a flag or (outer, inner) flags."""
    if isinstance(was_tuple, tuple):
        outer, inner = was_tuple
        if not inner:
            res = tuple(row[0] for row in res)
        return res if outer else res[0]
    return res if was_tuple else res[0]


def _fresh(tensors, create_graph, need_graph):
    """New tensor objects for the inputs: differentiable views of them under ``create_graph``
    (so gradients flow back to the caller's tensors), detached copies otherwise. New objects
    keep apart the inputs we differentiate against from the same tensors captured by ``func``."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad
                 else t.detach().requires_grad_(need_graph) for t in tensors)


def _finish(results, create_graph):
    """Detach (nested tuples of) results unless the caller asked for a graph."""
    if create_graph:
        return results
    return tuple(r.detach() if isinstance(r, function.Tensor) else _finish(r, False)
                 for r in results)


def _check_v(v, ref, ref_is_tuple):
    """``v`` must hold one tensor per tensor of ``ref``, each of the same size."""
    if len(v) != len(ref):
        if ref_is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(ref)} but got "
                               f"{len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, ref)):
        if a.size() != b.size():
            where = f"Entry {i} in " if ref_is_tuple else ""
            raise RuntimeError(f"{where}v has invalid size: should be {b.size()} but got "
                               f"{a.size()}.")


def _default_v(tensors, what):
    """``v`` may be left out only where ``what`` is a single one-element tensor."""
    if len(tensors) != 1 or tensors[0].nelement() != 1:
        raise RuntimeError(f"The vector v can only be None if {what} "
                           "a single Tensor with a single element.")


_STRICT_MESSAGES = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The outputs "
               "must be computed in a differentiable manner from the input when running in "
               "strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the "
                   "user-provided function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided "
                "function with respect to input {i} is independent of the input. This is not "
                "allowed in strict mode. You should ensure that your function is twice "
                "differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example).",
    "hessian": "The hessian of the user-provided function with respect to input {i} is "
               "independent of the input. This is not allowed in strict mode. You should ensure "
               "that your function is thrice differentiable and that the hessian depends on the "
               "inputs.",
}


def _check_strict(tensors, kind, strict):
    """In strict mode, every tensor must exist and be part of a graph."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(f"The output of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode.")
        if not t.requires_grad:
            raise RuntimeError(_STRICT_MESSAGES[kind].format(i=i))


def _grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """``autograd.grad`` that skips outputs that are None or constant (None for every input
    they alone reach)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outs, grads = zip(*pairs)
    return _autograd_grad(outs, inputs, grads, retain_graph=retain_graph,
                          create_graph=create_graph, allow_unused=True)


_INDEPENDENT = {
    "back": "The output of the user-provided function is independent of input {i}. This is not "
            "allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} "
                         "in the grad_jacobian. This is not allowed in strict mode as it "
                         "prevents from using the double backward trick to replace forward mode "
                         "AD.",
}


def _zeros_for_none(grads, refs, strict, create_graph, stage):
    """Missing gradients are zeros (the true value) -- or, in strict mode, an error."""
    out = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_INDEPENDENT[stage].format(i=i))
            g = _zeros_like(ref)
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode when "
                               "create_graph=True.")
        out.append(g)
    return tuple(out)


def _call(func, inputs, fn_name, strict):
    """``func(*inputs)`` as ``(was_a_tuple, tuple_of_outputs)``, checked in strict mode."""
    is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", fn_name)
    _check_strict(outputs, "outputs", strict)
    return is_tuple, outputs


# ---- products with vectors ---------------------------------------------------------------------
def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product, one backward pass."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        out_tuple, outputs = _call(func, inputs, "vjp", strict)
        if v is not None:
            v = _fresh(_as_tuple(v, "v", "vjp")[1], create_graph, need_graph=False)
            _check_v(v, outputs, out_tuple)
        else:
            _default_v(outputs, "the user-provided function returns")
    with set_grad_enabled(create_graph or is_grad_enabled()):
        res = _grad(outputs, inputs, v, create_graph=create_graph)
        res = _zeros_for_none(res, inputs, strict, create_graph, "back")
    return (_unpack(_finish(outputs, create_graph), out_tuple),
            _unpack(_finish(res, create_graph), in_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-backward trick."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        if v is not None:
            v = _fresh(_as_tuple(v, "v", "jvp")[1], create_graph, need_graph=False)
            _check_v(v, inputs, in_tuple)
        else:
            _default_v(inputs, "the input to the user-provided function is")
        out_tuple, outputs = _call(func, inputs, "jvp", strict)
        # u -> J^T u is linear: any finite u gives the same derivative with respect to u.
        us = tuple(_zeros_like(o, requires_grad=True) for o in outputs)
        grad_inputs = _grad(outputs, inputs, us, create_graph=True)
        _check_strict(grad_inputs, "grad_inputs", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        res = _grad(grad_inputs, us, v, create_graph=create_graph)
        res = _zeros_for_none(res, outputs, strict, create_graph, "back_trick")
    return (_unpack(_finish(outputs, create_graph), out_tuple),
            _unpack(_finish(res, create_graph), out_tuple))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar ``func``: two backward passes."""
    with enable_grad():
        in_tuple, inputs, v, outputs = _scalar_setup(func, inputs, v, create_graph, strict, "vhp")
        jac = _grad(outputs, inputs, create_graph=True)
        _check_strict(jac, "jacobian", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        res = _grad(jac, inputs, v, create_graph=create_graph)
        res = _zeros_for_none(res, inputs, strict, create_graph, "double_back")
    return _finish(outputs, create_graph)[0], _unpack(_finish(res, create_graph), in_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar ``func``: the double-backward trick on the gradient.
    Equal to ``vhp`` when the Hessian is symmetric (``func`` twice continuously differentiable),
    and slower."""
    with enable_grad():
        in_tuple, inputs, v, outputs = _scalar_setup(func, inputs, v, create_graph, strict, "hvp")
        jac = _grad(outputs, inputs, create_graph=True)
        _check_strict(jac, "jacobian", strict)
        us = tuple(_zeros_like(t, requires_grad=True) for t in inputs)
        double_back = _grad(jac, inputs, us, create_graph=True)
        _check_strict(jac, "hessian", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        res = _grad(double_back, us, v, create_graph=create_graph)
        res = _zeros_for_none(res, inputs, strict, create_graph, "double_back_trick")
    return _finish(outputs, create_graph)[0], _unpack(_finish(res, create_graph), in_tuple)


def _scalar_setup(func, inputs, v, create_graph, strict, fn_name):
    """The checks shared by ``vhp`` and ``hvp``: ``v`` shaped like the inputs, and ``func``
    returning a single one-element tensor."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    inputs = _fresh(inputs, create_graph, need_graph=True)
    if v is not None:
        v = _fresh(_as_tuple(v, "v", fn_name)[1], create_graph, need_graph=False)
        _check_v(v, inputs, in_tuple)
    else:
        _default_v(inputs, "the input to the user-provided function is")
    out_tuple, outputs = _call(func, inputs, fn_name, strict)
    if out_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should "
                           "contain a single element")
    return in_tuple, inputs, v, outputs


# ---- full Jacobians and Hessians ---------------------------------------------------------------
_STRATEGIES = ("forward-mode", "reverse-mode")


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: block ``[i][j]`` has shape
    ``outputs[i].shape + inputs[j].shape`` (a plain tensor where both are single tensors).

    Each row is one backward pass. ``vectorize=True`` and ``strategy="forward-mode"`` are
    accepted with torch's checks, and computed by the same row-by-row reverse mode, which
    gives identical values (forward mode returns blocks in the output's dtype, and lists where
    torch's forward mode returns lists).
    """
    if strategy not in _STRATEGIES:
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`create_graph=False` or `strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`strict=False` or `strategy="reverse-mode"`.')
        _as_tuple(inputs, "inputs", "jacobian")
        if not vectorize:
            raise NotImplementedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                "only implemented for `vectorize=True`.")
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        out_tuple, outputs = _call(func, inputs, "jacobian", strict)
        if vectorize and strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                "supported together. Please either set `strict=False` or `vectorize=False`.")
        jac = tuple(_jacobian_rows(i, out, inputs, create_graph, strict)
                    for i, out in enumerate(outputs))
    jac = _finish(jac, create_graph)
    if strategy == "forward-mode":     # as torch's: blocks in the output's dtype, nested in lists
        jac = [[b.to(out.dtype) for b in row] for row, out in zip(jac, outputs)]
    return _unpack(jac, (out_tuple, in_tuple))


def _jacobian_rows(i, out, inputs, create_graph, strict):
    """The blocks ``d out / d inputs[j]``, one backward pass per element of ``out``."""
    rows = [[] for _ in inputs]
    flat = out.reshape(-1)
    for k in range(out.nelement()):
        grads = _grad((flat[k],), inputs, retain_graph=True, create_graph=create_graph)
        for j, (g, inp) in enumerate(zip(grads, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(f"Output {i} of the user-provided function is independent "
                                       f"of input {j}. This is not allowed in strict mode.")
                g = _zeros_like(inp)
            elif strict and create_graph and not g.requires_grad:
                raise RuntimeError(f"The jacobian of the user-provided function is independent "
                                   f"of input {i}. This is not allowed in strict mode when "
                                   "create_graph=True.")   # (torch names the output's index)
            rows[j].append(g)
    from ..ops.joining import stack     # (an empty output fails here, as in torch)
    return tuple(stack(r, dim=0).view(out.shape + inp.shape) for r, inp in zip(rows, inputs))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar ``func``: the Jacobian of its gradient. Block ``[i][j]`` has
    shape ``inputs[i].shape + inputs[j].shape``. ``vectorize`` and the outer strategy are
    passed on to :func:`jacobian` (computed identically by reverse mode)."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in _STRATEGIES:
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_func(*inp):
        out = func(*inp)
        out_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_strict(outs, "outputs", strict)
        if out_tuple:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.nelement() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return out.squeeze()

    def gradient(*inp):
        jac = jacobian(scalar_func, inp, create_graph=True)
        _check_strict(jac, "jacobian", strict)
        return jac

    res = jacobian(gradient, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _unpack(res, (in_tuple, in_tuple))
