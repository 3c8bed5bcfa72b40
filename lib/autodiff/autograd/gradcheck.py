"""Checking gradients against finite differences: ``gradcheck`` and ``gradgradcheck``.

For every (output, input) pair of ``func``, ``gradcheck`` builds the Jacobian J, with
``J[k, j] = d output[j] / d input[k]`` (torch's layout: one row per input element), in two
independent ways and compares them:

* numerically, by central differences: row k is ``(f(x + eps e_k) - f(x - eps e_k)) / (2 eps)``;
* analytically, with autograd: column j is ``autograd.grad(output, inputs, e_j)``, one backward
  per output element (``e_j`` is the one-hot grad_output).

With ``fast_mode=True`` only random projections are compared, ``v . (J u)`` numerically against
``(v J) . u`` analytically (the check of HIPS autograd and torch's fast mode): one backward and
two forward calls per pair instead of one per element. ``gradgradcheck`` runs the same check on
the gradient itself, ``(x, v) -> autograd.grad(func(x), x, v, create_graph=True)``.

Use float64 inputs: in float32 the finite differences are too coarse to agree to 1e-5.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..backend import to_numpy, xp_of
from .engine import grad as autograd_grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """The analytical and numerical gradients of a function disagree."""


# ---- small helpers ------------------------------------------------------------------------------
def _is_tensor(x) -> bool:
    from ..tensor import Tensor
    return isinstance(x, Tensor)


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _diff_inputs(inputs) -> list:
    return [x for x in inputs if _is_tensor(x) and x.requires_grad]


def _differentiable_outputs(out) -> tuple:
    return tuple(o for o in _as_tuple(out) if _is_tensor(o) and o.requires_grad)


def _flat64(t) -> np.ndarray:
    """A tensor's values as a flat float64 numpy array (a copy)."""
    return to_numpy(t.detach()._data).astype(np.float64).reshape(-1)


def _wrap(array):
    """A numpy array as a tensor, for printing Jacobians in error messages."""
    from ..tensor import Tensor
    return Tensor._make(np.ascontiguousarray(array))


def _grad_output(o, flat_values):
    """A tensor shaped like ``o`` (same dtype and device) holding ``flat_values``."""
    from ..tensor import Tensor
    xp = xp_of(o._data)
    return Tensor._make(xp.asarray(flat_values.reshape(o._data.shape), dtype=o._data.dtype))


def _vjp(output, inputs, grad_output) -> list:
    """``grad_output . d output / d input`` for every input, flat float64 (zeros if unused)."""
    grads = autograd_grad(output, inputs, grad_output, retain_graph=True, allow_unused=True)
    return [np.zeros(x.numel()) if g is None else _flat64(g) for g, x in zip(grads, inputs)]


def _check_inputs(inputs):
    """torch's checks: some input requires grad, none is a broadcast (stride-0) view."""
    found = False
    for i, x in enumerate(inputs):
        if not (_is_tensor(x) and x.requires_grad):
            continue
        found = True
        if x._data.dtype != np.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          "point or complex. This check will likely fail if all the inputs are "
                          "not of double precision floating point or complex. ", UserWarning,
                          stacklevel=3)
        strides = zip(x._data.strides, x._data.shape)
        if x._data.size and any(st == 0 and n > 1 for st, n in strides):   # (empty: fine)
            raise RuntimeError(
                f"The {i}th input has a dimension with stride 0. gradcheck only supports inputs "
                "that are non-overlapping to be able to compute the numerical gradients "
                "correctly. You should call .contiguous on the input before passing it to "
                "gradcheck.")
    if not found:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")


# ---- the two Jacobians --------------------------------------------------------------------------
def _outputs_at(func, inputs) -> list:
    """Every tensor output of ``func(*inputs)``, as flat float64 arrays."""
    return [_flat64(o) for o in _as_tuple(func(*inputs)) if _is_tensor(o)]


def _central_difference(func, inputs, x, direction, eps) -> list:
    """``(f(x + eps d) - f(x - eps d)) / (2 eps)`` for every output: J^T d, numerically.

    ``x`` is moved in place (through its array, invisible to autograd) and put back exactly.
    """
    data = x._data
    original = data.copy()
    step = xp_of(data).asarray(direction.reshape(data.shape)) * eps
    data[...] = original + step
    plus = _outputs_at(func, inputs)
    data[...] = original - step
    minus = _outputs_at(func, inputs)
    data[...] = original
    return [(p - m) / (2 * eps) for p, m in zip(plus, minus)]


def _numerical_jacobians(func, inputs, func_out, eps) -> list:
    """``J[i][k]``: Jacobian of tensor output k with respect to the i-th input requiring grad."""
    jacobians = []
    for x in _diff_inputs(inputs):
        per_output = [np.zeros((x.numel(), o.numel())) for o in func_out]
        for k in range(x.numel()):
            e_k = np.eye(1, x.numel(), k)[0]
            for jac, row in zip(per_output, _central_difference(func, inputs, x, e_k, eps)):
                jac[k] = row
        jacobians.append(per_output)
    return jacobians


def _analytical_jacobians(output, inputs, nondet_tol, check_grad_dtypes) -> list:
    """``J[i]`` of ``output`` with respect to each input i, one backward per output element.

    Everything is computed twice: a backward giving different numbers for the same grad_output
    is "not reentrant" (nondeterministic).
    """
    diff = _diff_inputs(inputs)
    _check_grad_attributes(output, diff, check_grad_dtypes)
    runs = []
    for _ in range(2):
        jacobians = [np.zeros((x.numel(), output.numel())) for x in diff]
        for j in range(output.numel()):
            e_j = _grad_output(output, np.eye(1, output.numel(), j)[0])
            for jac, column in zip(jacobians, _vjp(output, diff, e_j)):
                jac[:, j] = column
        runs.append(jacobians)
    _check_reentrant(runs[0], runs[1], nondet_tol)
    return runs[0]


def _check_grad_attributes(output, diff, check_grad_dtypes):
    """Each gradient must have its input's shape (and dtype and device, if asked)."""
    if output.numel() == 0:
        return
    ones = _grad_output(output, np.ones(output.numel()))
    grads = autograd_grad(output, diff, ones, retain_graph=True, allow_unused=True)
    for g, x in zip(grads, diff):
        if g is None:
            continue
        if g.shape != x.shape:
            raise GradcheckError("Analytical gradient has incorrect size")
        if check_grad_dtypes and g.dtype != x.dtype:
            raise GradcheckError("Gradient has dtype mismatch")
        if check_grad_dtypes and g.device != x.device:
            raise GradcheckError("Gradient has device mismatch")


def _check_reentrant(first, second, nondet_tol):
    for a, b in zip(first, second):
        if a.size and np.abs(a - b).max() > nondet_tol:
            raise GradcheckError(
                "Backward is not reentrant, i.e., running backward with same input and "
                "grad_output multiple times gives different values, although analytical "
                f"gradient matches numerical gradient.The tolerance for nondeterminism was "
                f"{nondet_tol}.")


def _mismatch(j, i, numerical, analytical) -> str:
    """torch's message: Jacobians (slow mode) or projections, plain floats (fast mode)."""
    def show(x):
        return repr(_wrap(x)) if isinstance(x, np.ndarray) and x.ndim else repr(float(x))
    return (f"Jacobian mismatch for output {j:d} with respect to input {i:d},\n"
            f"numerical:{show(numerical)}\nanalytical:{show(analytical)}\n")


# ---- slow and fast comparisons ------------------------------------------------------------------
def _differentiable(func_out):
    """(position among all tensor outputs, output) of the outputs that require grad."""
    return [(k, o) for k, o in enumerate(func_out) if o.requires_grad]


def _check_zero(numerical):
    """A function none of whose outputs requires grad must have a zero numerical gradient."""
    if any(np.any(jac != 0) for per_input in numerical for jac in per_input):
        raise GradcheckError("Numerical gradient for function expected to be zero")


def _slow_check(func, inputs, func_out, eps, atol, rtol, nondet_tol, check_grad_dtypes):
    numerical = _numerical_jacobians(func, inputs, func_out, eps)
    if not _differentiable(func_out):
        return _check_zero(numerical)
    for j, (k, o) in enumerate(_differentiable(func_out)):
        analytical = _analytical_jacobians(o, inputs, nondet_tol, check_grad_dtypes)
        for i, a in enumerate(analytical):
            n = numerical[i][k]
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                raise GradcheckError(_mismatch(j, i, n, a))


def _fast_check(func, inputs, func_out, eps, atol, rtol, nondet_tol, check_grad_dtypes):
    """Compare ``v . (J u)`` (finite differences along u) with ``(v J) . u`` (one backward)."""
    rng = np.random.default_rng(0)        # our own generator: the user's RNG is left alone
    diff = _diff_inputs(inputs)
    us = [_unit(rng.random(x.numel())) for x in diff]
    jvps = [_central_difference(func, inputs, x, u, eps) for x, u in zip(diff, us)]
    if not _differentiable(func_out):
        return _check_zero(jvps)
    for j, (k, o) in enumerate(_differentiable(func_out)):
        v = _unit(rng.random(o.numel()))
        _check_grad_attributes(o, diff, check_grad_dtypes)
        vj = _vjp(o, diff, _grad_output(o, v))
        _check_reentrant(vj, _vjp(o, diff, _grad_output(o, v)), nondet_tol)
        for i, u in enumerate(us):
            n, a = v @ jvps[i][k], vj[i] @ u
            tol = atol * u.sum() * v.sum()       # atol summed like v^T (atol everywhere) u
            if not np.allclose(a, n, rtol=rtol, atol=tol):
                raise GradcheckError(_mismatch(j, i, n, a) + _slow_report(
                    func, inputs, func_out, o, i, k, eps, atol, rtol))


def _unit(vec):
    return vec / np.linalg.norm(vec) if vec.size else vec


def _slow_report(func, inputs, func_out, output, i, k, eps, atol, rtol) -> str:
    """After a fast-mode failure: the full Jacobians, as torch prints them."""
    numerical = _numerical_jacobians(func, inputs, func_out, eps)[i][k]
    analytical = _analytical_jacobians(output, inputs, float("inf"), False)[i]
    msg = ("\nThe above quantities relating the numerical and analytical jacobians are computed "
           "\nin fast mode. See: https://github.com/pytorch/pytorch/issues/53876 for more "
           "background \nabout fast mode. Below, we recompute numerical and analytical jacobians "
           f"in slow mode:\n\nNumerical:\n {_wrap(numerical)!r}\nAnalytical:\n{_wrap(analytical)!r}"
           f"\n\nThe max per-element difference (slow mode) is: "
           f"{np.abs(numerical - analytical).max()}.\n")
    if np.allclose(analytical, numerical, rtol=rtol, atol=atol):
        msg += ("\nFast gradcheck failed but element-wise differences are small. This means "
                "that the test might've passed in slow_mode!")
    return msg


# ---- further checks on the backward -------------------------------------------------------------
def _zeros_like(o):
    return _grad_output(o, np.zeros(o.numel()))


def _check_zero_grad_outputs(outputs, inputs, message):
    """A zero grad_output must give zero (or no) input gradients: backward is linear in it."""
    diff = _diff_inputs(inputs)
    grads = autograd_grad(outputs, diff, [_zeros_like(o) for o in outputs], allow_unused=True)
    for g, x in zip(grads, diff):
        if g is None:
            continue
        if np.any(to_numpy(g.detach()._data) != 0):
            raise GradcheckError(message)
        if g.dtype != x.dtype:
            raise GradcheckError("grad is incorrect type")
        if g.device != x.device:
            raise GradcheckError("grad is incorrect device")
        if g.shape != x.shape:
            raise GradcheckError("grad is incorrect size")


def _check_undefined_grads(func, inputs):
    """Outputs that get no gradient (here: a zero one) must be handled, one at a time too."""
    message = ('Expected all input grads to be undefined or zero when all output grads are '
               'undefined or zero. Please look at "Notes about undefined output gradients" in '
               '"tools/autograd/derivatives.yaml"')
    outputs = _differentiable_outputs(func(*inputs))
    _check_zero_grad_outputs(outputs, inputs, message)
    for k in range(len(outputs) if len(outputs) > 1 else 0):
        others = [o for i, o in enumerate(_differentiable_outputs(func(*inputs))) if i != k]
        try:
            autograd_grad(others, _diff_inputs(inputs), [_zeros_like(o) for o in others],
                          allow_unused=True)
        except RuntimeError as e:
            raise GradcheckError("Expected backward function to handle undefined output grads. "
                                 'Please look at "Notes about undefined output gradients" in '
                                 '"tools/autograd/derivatives.yaml"') from e


def _check_batched_grad(output, j, inputs):
    """Without vmap, "batched" gradients reduce to one property a batched backward relies on:
    the vector-Jacobian product is linear in the grad_output, vjp(a + 2b) = vjp(a) + 2 vjp(b)."""
    diff = _diff_inputs(inputs)
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(output.numel()), rng.standard_normal(output.numel())
    together = _vjp(output, diff, _grad_output(output, a + 2 * b))
    apart = [x + 2 * y for x, y in zip(_vjp(output, diff, _grad_output(output, a)),
                                       _vjp(output, diff, _grad_output(output, b)))]
    for i, (res, exp) in enumerate(zip(together, apart)):
        if not np.allclose(res, exp):
            raise GradcheckError(
                f"For output {j} and input {i}:\n\ngradcheck or gradgradcheck failed while "
                f"testing batched gradient computation.\n\nGot:\n{_wrap(res)!r}\n\nExpected:\n"
                f"{_wrap(exp)!r}")


# ---- the public functions -----------------------------------------------------------------------
def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, fast_mode=False) -> bool:
    """True when autograd's gradients of ``func`` at ``inputs`` match central finite
    differences (``|analytical - numerical| <= atol + rtol * |numerical|`` elementwise).

    Only inputs with ``requires_grad=True`` are checked. On a mismatch raise
    :class:`GradcheckError` showing both Jacobians, or return False when ``raise_exception``
    is False.
    """
    inputs = _as_tuple(inputs)
    _check_inputs(inputs)
    try:
        func_out = [o for o in _as_tuple(func(*inputs)) if _is_tensor(o)]
        outputs = _differentiable_outputs(func_out)
        check = _fast_check if fast_mode else _slow_check
        check(func, inputs, func_out, eps, atol, rtol, nondet_tol, check_grad_dtypes)
        if outputs:
            if check_batched_grad:
                for j, o in enumerate(outputs):
                    _check_batched_grad(o, j, inputs)
            _check_zero_grad_outputs(outputs, inputs, "backward not multiplied by grad_output")
            if check_undefined_grad:
                _check_undefined_grads(func, inputs)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  fast_mode=False) -> bool:
    """gradcheck of the gradient: checks second derivatives (backward of backward).

    The function checked is ``(inputs, v) -> autograd.grad(func(inputs), inputs, v,
    create_graph=True)``; ``v`` (``grad_outputs``) defaults to random values in [-1, 1) that
    require grad, so the derivative with respect to ``v`` is checked as well.
    """
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outs = _differentiable_outputs(func(*inputs))
        grad_outputs = tuple(_random_grad_output(o, gen_non_contig_grad_outputs) for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff_positions = [i for i, x in enumerate(inputs) if _is_tensor(x) and x.requires_grad]

    def first_derivative(*args):
        xs, vs = args[:n_in], args[n_in:]
        outputs = _differentiable_outputs(func(*xs))
        grads = autograd_grad(outputs, [xs[i] for i in diff_positions], vs, create_graph=True,
                              allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, check_batched_grad=check_batched_grad,
                     fast_mode=fast_mode)


def _random_grad_output(o, non_contiguous):
    """Uniform values in [-1, 1) shaped like ``o``, requiring grad (torch's make_tensor)."""
    from .. import _dtype, _sampling
    dtype = o.dtype if o.is_floating_point() else _dtype.float64
    shape = tuple(o.shape)
    if non_contiguous and o.numel() > 1:       # every other element of a twice-as-wide tensor
        wide = _sampling.rand(*shape[:-1], 2 * shape[-1], dtype=dtype, device=o.device)
        v = (wide * 2 - 1)[..., ::2]
    else:
        v = _sampling.rand(*shape, dtype=dtype, device=o.device) * 2 - 1
    return v.detach().requires_grad_()


# ``autodiff.autograd.gradcheck`` is the function (as in torch); keep the module's other names
# reachable from it, so that ``autodiff.autograd.gradcheck.GradcheckError`` works as well.
gradcheck.gradcheck = gradcheck
gradcheck.gradgradcheck = gradgradcheck
gradcheck.GradcheckError = GradcheckError
