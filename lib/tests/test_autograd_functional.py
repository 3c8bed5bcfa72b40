"""autodiff.autograd.functional: vjp, jvp, jacobian, hessian, vhp, hvp against torch and
finite differences."""
import numpy as np
import pytest

import autodiff
from autodiff.autograd import functional as F

from _helpers import to_numpy


# ---- functions of one or several inputs, written once for both libraries -----------------------
def f_exp_sum(m, x):
    return x.exp().sum(1)


def f_tanh(m, x):
    return x.tanh() * 2


def f_two_in_two_out(m, x, y):
    return x * y.sin(), (x ** 2).sum() + y.prod()


def f_matmul(m, x, y):
    return x @ y


def f_tuple_out(m, x):
    return x.cos(), x.sum(0) ** 2


SHAPES = {f_exp_sum: [(2, 3)], f_tanh: [(3,)], f_two_in_two_out: [(3,), (3,)],
          f_matmul: [(2, 3), (3, 2)], f_tuple_out: [(2, 2)]}


def s_cubic(m, x):
    return (x ** 3).sum()


def s_mixed(m, x, y):
    return (x * y).sum() + (x ** 2 * y.exp()).sum()


def s_quad_form(m, x):
    return (x @ x.t()).trace() + x.sin().sum()


SCALAR_SHAPES = {s_cubic: [(3,)], s_mixed: [(2,), (2,)], s_quad_form: [(2, 2)]}


def _arrays(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.0, 1.0, s) for s in shapes]


def _both(torch, arrays, single):
    """The same float64 inputs for autodiff and torch (a tensor if ``single``, else a tuple)."""
    ad = tuple(autodiff.tensor(a) for a in arrays)
    th = tuple(torch.tensor(a) for a in arrays)
    return (ad[0], th[0]) if single else (ad, th)


def _assert_same(ours, theirs, rtol=1e-10, atol=1e-12):
    """Same nesting (tensor / tuple), shapes and values."""
    if isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), (type(ours), ours)
        for a, b in zip(ours, theirs):
            _assert_same(a, b, rtol, atol)
        return
    assert isinstance(ours, autodiff.Tensor), type(ours)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).split(".")[1]
    np.testing.assert_allclose(to_numpy(ours), to_numpy(theirs), rtol=rtol, atol=atol)


def _errors_alike(ours, theirs):
    """Both calls raise the same exception type with the same message."""
    with pytest.raises(Exception) as t_err:
        theirs()
    with pytest.raises(Exception) as a_err:
        ours()
    assert type(a_err.value).__name__ == type(t_err.value).__name__
    assert str(a_err.value) == str(t_err.value).replace("torch.Size", "autodiff.Size")


def _flat(fn, m, inputs):
    """``fn`` as a map R^n -> R^k on flat numpy vectors (for finite differences)."""
    shapes = [a.shape for a in inputs]

    def g(vec):
        parts, k = [], 0
        for s in shapes:
            n = int(np.prod(s))
            parts.append(autodiff.tensor(vec[k:k + n].reshape(s)))
            k += n
        out = fn(m, *parts)
        out = out if isinstance(out, tuple) else (out,)
        return np.concatenate([to_numpy(o).ravel() for o in out])
    return g, np.concatenate([a.ravel() for a in inputs])


def _fd_jacobian(g, x0, eps=1e-6):
    cols = []
    for i in range(x0.size):
        e = np.zeros_like(x0)
        e[i] = eps
        cols.append((g(x0 + e) - g(x0 - e)) / (2 * eps))
    return np.stack(cols, axis=1)


# ---- jacobian -----------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", list(SHAPES), ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["plain", "vectorize", "forward"])
def test_jacobian_matches_torch(torch, fn, mode):
    shapes = SHAPES[fn]
    ours_in, th_in = _both(torch, _arrays(shapes), single=len(shapes) == 1)
    kwargs = {"plain": {}, "vectorize": {"vectorize": True},
              "forward": {"vectorize": True, "strategy": "forward-mode"}}[mode]
    expected = torch.autograd.functional.jacobian(lambda *a: fn(torch, *a), th_in, **kwargs)
    result = F.jacobian(lambda *a: fn(autodiff, *a), ours_in, **kwargs)
    _assert_same(result, expected)
    for block in _leaves(result):
        assert not block.requires_grad and block.grad_fn is None


def _leaves(nested):
    if isinstance(nested, (tuple, list)):
        return [t for item in nested for t in _leaves(item)]
    return [nested]


@pytest.mark.parametrize("fn", list(SHAPES), ids=lambda f: f.__name__)
def test_jacobian_matches_finite_differences(fn):
    arrays = _arrays(SHAPES[fn], seed=1)
    g, x0 = _flat(fn, autodiff, arrays)
    expected = _fd_jacobian(g, x0)
    single = len(arrays) == 1
    inputs = autodiff.tensor(arrays[0]) if single else tuple(autodiff.tensor(a) for a in arrays)
    jac = F.jacobian(lambda *a: fn(autodiff, *a), inputs)
    out = fn(autodiff, *(autodiff.tensor(a) for a in arrays))
    outs = out if isinstance(out, tuple) else (out,)
    rows = jac if isinstance(out, tuple) else (jac,)
    matrix = np.concatenate([
        np.concatenate([to_numpy(b).reshape(o.numel(), a.size)
                        for b, a in zip(row if not single else (row,), arrays)], axis=1)
        for row, o in zip(rows, outs)], axis=0)
    np.testing.assert_allclose(matrix, expected, rtol=1e-6, atol=1e-7)


def test_jacobian_shapes_and_dtype():
    x = autodiff.randn(2, 3, dtype=autodiff.float64)
    y = autodiff.randn(4)
    jac = F.jacobian(lambda a, b: (a.sum(), a[0] * b[:3].double()), (x, y))
    assert [[tuple(b.shape) for b in row] for row in jac] == [[(2, 3), (4,)], [(3, 2, 3), (3, 4)]]
    assert jac[0][0].dtype == autodiff.float64 and jac[1][1].dtype == autodiff.float32
    assert F.jacobian(lambda a: a.sum(), autodiff.tensor(2.0)).shape == ()


def test_jacobian_of_a_linear_map_is_its_matrix():
    a = autodiff.randn(4, 3, dtype=autodiff.float64)
    jac = F.jacobian(lambda x: a @ x, autodiff.randn(3, dtype=autodiff.float64))
    np.testing.assert_allclose(to_numpy(jac), to_numpy(a), rtol=0, atol=0)


def test_jacobian_create_graph_is_differentiable(torch):
    x = np.array([0.3, -1.2, 0.7])
    xa = autodiff.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    ja = F.jacobian(lambda v: v ** 3 + v.sin(), xa, create_graph=True)
    jt = torch.autograd.functional.jacobian(lambda v: v ** 3 + v.sin(), xt, create_graph=True)
    assert ja.requires_grad and ja.grad_fn is not None
    (ja * autodiff.arange(9.).reshape(3, 3)).sum().backward()
    (jt * torch.arange(9.).reshape(3, 3)).sum().backward()
    np.testing.assert_allclose(to_numpy(xa.grad), to_numpy(xt.grad), rtol=1e-12)


def test_inputs_are_not_modified_and_grads_not_accumulated():
    x = autodiff.randn(3, requires_grad=True)
    y = autodiff.randn(3)
    F.jacobian(lambda a, b: a * b, (x, y))
    F.hessian(lambda a, b: (a * a * b).sum(), (x, y))
    F.vjp(lambda a: a.exp(), x, autodiff.ones(3))
    assert x.grad is None and x.is_leaf and x.requires_grad and not y.requires_grad


def test_captured_inputs_are_constants(torch):
    """``func`` may close over the very tensor it is differentiated at: that use is a constant."""
    x = np.array([1.0, 2.0, 3.0])
    xa, xt = autodiff.tensor(x), torch.tensor(x)
    _assert_same(F.jacobian(lambda a: a * xa, xa),
                 torch.autograd.functional.jacobian(lambda a: a * xt, xt))


# ---- hessian ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", list(SCALAR_SHAPES), ids=lambda f: f.__name__)
@pytest.mark.parametrize("kwargs", [
    {}, {"vectorize": True}, {"vectorize": True, "outer_jacobian_strategy": "forward-mode"}],
    ids=["plain", "vectorize", "forward"])
def test_hessian_matches_torch(torch, fn, kwargs):
    shapes = SCALAR_SHAPES[fn]
    ours_in, th_in = _both(torch, _arrays(shapes, seed=2), single=len(shapes) == 1)
    expected = torch.autograd.functional.hessian(lambda *a: fn(torch, *a), th_in, **kwargs)
    result = F.hessian(lambda *a: fn(autodiff, *a), ours_in, **kwargs)
    _assert_same(result, expected)


@pytest.mark.parametrize("fn", list(SCALAR_SHAPES), ids=lambda f: f.__name__)
def test_hessian_matches_finite_differences(fn):
    arrays = _arrays(SCALAR_SHAPES[fn], seed=3)
    inputs = [autodiff.tensor(a) for a in arrays]

    def grad_flat(vec):                        # the gradient, by autograd, at a flat point
        parts, k = [], 0
        for a in arrays:
            parts.append(autodiff.tensor(vec[k:k + a.size].reshape(a.shape), requires_grad=True))
            k += a.size
        grads = autodiff.autograd.grad(fn(autodiff, *parts), parts)
        return np.concatenate([to_numpy(g).ravel() for g in grads])

    x0 = np.concatenate([a.ravel() for a in arrays])
    expected = _fd_jacobian(grad_flat, x0)
    hess = F.hessian(lambda *a: fn(autodiff, *a), tuple(inputs))
    matrix = np.concatenate([np.concatenate([to_numpy(b).reshape(a.size, c.size)
                                             for b, c in zip(row, arrays)], axis=1)
                             for row, a in zip(hess, arrays)], axis=0)
    np.testing.assert_allclose(matrix, expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(matrix, matrix.T, rtol=1e-12, atol=1e-12)


def test_hessian_shapes():
    x, y = autodiff.randn(2, 3), autodiff.randn(4)
    h = F.hessian(lambda a, b: (a.sum() * b).sum(), (x, y))
    assert [[tuple(b.shape) for b in row] for row in h] == [[(2, 3, 2, 3), (2, 3, 4)],
                                                            [(4, 2, 3), (4, 4)]]
    assert F.hessian(lambda a: (a ** 2).sum(), x).shape == (2, 3, 2, 3)
    assert F.hessian(lambda a: a ** 3, autodiff.tensor(2.0)).item() == 12.0


def test_hessian_create_graph(torch):
    x = np.array([0.5, -0.4])
    xa, xt = autodiff.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ha = F.hessian(lambda v: (v ** 4).sum(), xa, create_graph=True)
    ht = torch.autograd.functional.hessian(lambda v: (v ** 4).sum(), xt, create_graph=True)
    assert ha.requires_grad
    ha.sum().backward()
    ht.sum().backward()
    np.testing.assert_allclose(to_numpy(xa.grad), to_numpy(xt.grad), rtol=1e-12)


# ---- products with vectors ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["vjp", "jvp"])
@pytest.mark.parametrize("fn", [f_exp_sum, f_two_in_two_out, f_tuple_out],
                         ids=lambda f: f.__name__)
def test_vjp_jvp_match_torch(torch, name, fn):
    shapes = SHAPES[fn]
    single = len(shapes) == 1
    ours_in, th_in = _both(torch, _arrays(shapes, seed=4), single)
    out = fn(torch, *((th_in,) if single else th_in))
    like = out if name == "vjp" else th_in
    like_t = like if isinstance(like, tuple) else (like,)
    v_np = [np.random.default_rng(5).uniform(-1, 1, tuple(t.shape)) for t in like_t]
    v_ours = tuple(autodiff.tensor(a) for a in v_np)
    v_th = tuple(torch.tensor(a) for a in v_np)
    if not isinstance(like, tuple):
        v_ours, v_th = v_ours[0], v_th[0]
    expected = getattr(torch.autograd.functional, name)(lambda *a: fn(torch, *a), th_in, v_th)
    result = getattr(F, name)(lambda *a: fn(autodiff, *a), ours_in, v_ours)
    _assert_same(result, expected)


@pytest.mark.parametrize("name", ["vhp", "hvp"])
@pytest.mark.parametrize("fn", list(SCALAR_SHAPES), ids=lambda f: f.__name__)
def test_vhp_hvp_match_torch(torch, name, fn):
    shapes = SCALAR_SHAPES[fn]
    single = len(shapes) == 1
    ours_in, th_in = _both(torch, _arrays(shapes, seed=6), single)
    v_ours, v_th = _both(torch, _arrays(shapes, seed=7), single)
    expected = getattr(torch.autograd.functional, name)(lambda *a: fn(torch, *a), th_in, v_th)
    result = getattr(F, name)(lambda *a: fn(autodiff, *a), ours_in, v_ours)
    _assert_same(result, expected)


def test_products_agree_with_the_jacobian():
    x = autodiff.randn(3, dtype=autodiff.float64)
    v = autodiff.randn(3, dtype=autodiff.float64)
    u = autodiff.randn(2, dtype=autodiff.float64)
    a = autodiff.randn(2, 3, dtype=autodiff.float64)

    def f(t):
        return a @ t.sin()
    jac = to_numpy(F.jacobian(f, x))
    np.testing.assert_allclose(to_numpy(F.jvp(f, x, v)[1]), jac @ to_numpy(v), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(F.vjp(f, x, u)[1]), to_numpy(u) @ jac, rtol=1e-12)
    h = to_numpy(F.hessian(lambda t: (t.exp() * t).sum(), x))
    for fn in (F.vhp, F.hvp):
        value, prod = fn(lambda t: (t.exp() * t).sum(), x, v)
        np.testing.assert_allclose(to_numpy(prod), h @ to_numpy(v), rtol=1e-12)
        assert value.shape == () and not value.requires_grad


def test_default_v_for_single_elements(torch):
    xa, xt = autodiff.tensor([0.7], dtype=autodiff.float64), torch.tensor([0.7],
                                                                          dtype=torch.float64)
    for name in ("vjp", "jvp", "vhp", "hvp"):
        _assert_same(getattr(F, name)(lambda t: (t ** 3).sum(), xa),
                     getattr(torch.autograd.functional, name)(lambda t: (t ** 3).sum(), xt))


def test_create_graph_products_are_differentiable(torch):
    x = np.array([0.2, 0.9])
    xa, xt = autodiff.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for name in ("vjp", "jvp", "vhp", "hvp"):
        fn = getattr(F, name)
        tfn = getattr(torch.autograd.functional, name)
        func = (lambda m: lambda t: (t ** 3).sum()) if name in ("vhp", "hvp") else \
               (lambda m: lambda t: t.exp() * t)
        out_a, res_a = fn(func(autodiff), xa, autodiff.ones(2, dtype=autodiff.float64),
                          create_graph=True)
        out_t, res_t = tfn(func(torch), xt, torch.ones(2, dtype=torch.float64),
                           create_graph=True)
        assert res_a.requires_grad and out_a.requires_grad
        ga, = autodiff.autograd.grad(res_a.sum(), xa)
        gt, = torch.autograd.grad(res_t.sum(), xt)
        np.testing.assert_allclose(to_numpy(ga), to_numpy(gt), rtol=1e-12)


# ---- unused inputs and strict mode --------------------------------------------------------------
def _unused(m, x, y):
    return x * 2


def _unused_scalar(m, x, y):
    return (x ** 3).sum()


def _linear_scalar(m, x, y):
    return (x * 2).sum() + (y ** 2).sum()


def _constant(m, x, y):
    return m.ones(3, dtype=m.float64)


STRICT_CASES = [
    ("jacobian", _unused, {}), ("jacobian", _unused, {"create_graph": True}),
    ("jacobian", _constant, {}), ("jacobian", _unused, {"vectorize": True}),
    ("jacobian", _unused, {"strategy": "forward-mode", "vectorize": True}),
    ("hessian", _unused_scalar, {}), ("hessian", _linear_scalar, {}),
    ("vjp", _unused, {"v": "out"}), ("vjp", _unused, {"v": "out", "create_graph": True}),
    ("jvp", _unused, {"v": "in"}), ("jvp", _linear_scalar, {"v": "in"}),
    ("vhp", _unused_scalar, {"v": "in"}), ("vhp", _linear_scalar, {"v": "in"}),
    ("hvp", _unused_scalar, {"v": "in"}), ("hvp", _linear_scalar, {"v": "in"}),
    ("vjp", _constant, {"v": "out"}),
]


def _strict_call(m, name, fn, kwargs, strict, xs):
    kwargs = dict(kwargs)
    v = kwargs.pop("v", None)
    if v == "out":
        kwargs["v"] = m.ones(3, dtype=m.float64)
    elif v == "in":
        kwargs["v"] = tuple(m.ones(3, dtype=m.float64) for _ in xs)
    mod = F if m is autodiff else m.autograd.functional
    return getattr(mod, name)(lambda *a: fn(m, *a), xs, strict=strict, **kwargs)


@pytest.mark.parametrize("name,fn,kwargs", STRICT_CASES,
                         ids=[f"{n}-{f.__name__}-{'-'.join(k)}" for n, f, k in STRICT_CASES])
def test_unused_inputs_give_zeros_or_strict_errors(torch, name, fn, kwargs):
    arrays = _arrays([(3,), (3,)], seed=8)
    ad = tuple(autodiff.tensor(a) for a in arrays)
    th = tuple(torch.tensor(a) for a in arrays)
    _assert_same(_strict_call(autodiff, name, fn, kwargs, False, ad),
                 _strict_call(torch, name, fn, kwargs, False, th))
    try:
        expected = _strict_call(torch, name, fn, kwargs, True, th)
    except RuntimeError:
        _errors_alike(lambda: _strict_call(autodiff, name, fn, kwargs, True, ad),
                      lambda: _strict_call(torch, name, fn, kwargs, True, th))
    else:                                       # (not every case is an error in strict mode)
        _assert_same(_strict_call(autodiff, name, fn, kwargs, True, ad), expected)


# ---- errors -------------------------------------------------------------------------------------
def _error_cases(m):
    x = m.ones(3, dtype=m.float64)
    y = m.ones(2, dtype=m.float64)
    mod = F if m is autodiff else m.autograd.functional
    return [
        lambda: mod.jacobian(lambda a: a, 3.0),
        lambda: mod.jacobian(lambda a, b: a, (x, 3)),
        lambda: mod.jacobian(lambda a: [a], x),
        lambda: mod.jacobian(lambda a: (a, 1), x),
        lambda: mod.jacobian(lambda a: a, x, strategy="fwd"),
        lambda: mod.jacobian(lambda a: a, x, strategy="forward-mode"),
        lambda: mod.jacobian(lambda a: a, x, strategy="forward-mode", create_graph=True),
        lambda: mod.jacobian(lambda a: a, x, strategy="forward-mode", vectorize=True,
                             strict=True),
        lambda: mod.jacobian(lambda a: a * 2, x, vectorize=True, strict=True),
        lambda: mod.jacobian(lambda a: a[:0], x),
        lambda: mod.hessian(lambda a: a, x),
        lambda: mod.hessian(lambda a: (a.sum(), a.sum()), x),
        lambda: mod.hessian(lambda a: a.sum(), [x]),
        lambda: mod.hessian(lambda a: a.sum(), x, outer_jacobian_strategy="x"),
        lambda: mod.vjp(lambda a: a * 2, x),
        lambda: mod.vjp(lambda a: a * 2, x, y),
        lambda: mod.vjp(lambda a: (a * 2, a), x, (x,)),
        lambda: mod.vjp(lambda a: (a * 2, a), x, (x, y)),
        lambda: mod.vjp(lambda a: a * 2, x, (x, x)),
        lambda: mod.vjp(lambda a: a * 2, x, [x]),
        lambda: mod.jvp(lambda a: a * 2, x),
        lambda: mod.jvp(lambda a, b: a * b, (x, x), (x, y)),
        lambda: mod.jvp(lambda a: a * 2, x, 1.0),
        lambda: mod.vhp(lambda a: a * 2, x, x),
        lambda: mod.vhp(lambda a: (a.sum(),), x, x),
        lambda: mod.hvp(lambda a: a * 2, x, x),
        lambda: mod.hvp(lambda a: a.sum(), x),
        lambda: mod.hvp(lambda a: a.sum(), x, y),
    ]


@pytest.mark.parametrize("i", range(len(_error_cases(autodiff))))
def test_errors_match_torch(torch, i):
    _errors_alike(_error_cases(autodiff)[i], _error_cases(torch)[i])


def test_non_tensor_input_message():
    with pytest.raises(TypeError, match=r"The inputs given to jacobian must be either a Tensor or "
                                        r"a tuple of Tensors but the value at index 1 has type "
                                        r"<class 'int'>\."):
        F.jacobian(lambda a, b: a, (autodiff.ones(2), 3))


def test_results_follow_grad_mode_rules():
    x = autodiff.randn(3, requires_grad=True)
    with autodiff.no_grad():                   # functional turns grad mode on for func
        jac = F.jacobian(lambda a: a ** 2, x)
        out, prod = F.vjp(lambda a: a ** 2, x, autodiff.ones(3))
        assert not autodiff.is_grad_enabled()     # and restores the caller's mode
    np.testing.assert_allclose(to_numpy(jac), np.diag(2 * to_numpy(x)), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(prod), 2 * to_numpy(x), rtol=1e-6)
    assert not (jac.requires_grad or out.requires_grad or prod.requires_grad)
