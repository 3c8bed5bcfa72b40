"""The autograd engine: backward, autograd.grad, higher derivatives, graph structure, custom
Functions, leaves and hooks, grad modes, in-place checks, deep graphs and freeing graphs."""
import gc
import re
import sys
import weakref

import numpy as np
import pytest

import autodiff
from autodiff.autograd import Function, gradcheck, gradgradcheck
from autodiff.autograd.gradcheck import GradcheckError
from _helpers import assert_close

FREED = ("Trying to backward through the graph a second time (or directly access saved tensors "
         "after they have already been freed)")


def _leaf(values, dtype=autodiff.float32):
    return autodiff.tensor(values, dtype=dtype, requires_grad=True)


# ---- backward -----------------------------------------------------------------------------------
def test_backward_of_a_scalar():
    x = _leaf([1.0, 2.0, 3.0])
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]
    assert x.grad.dtype is autodiff.float32 and not x.grad.requires_grad


def test_backward_of_a_non_scalar_needs_gradient():
    x = _leaf([1.0, 2.0])
    y = x * 3
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar "
                                           "outputs"):
        y.backward()
    y.backward(gradient=autodiff.tensor([1.0, 10.0]))
    assert x.grad.tolist() == [3.0, 30.0]


def test_backward_gradient_shape_is_checked():
    x = _leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=re.escape(
            "Mismatch in shape: grad_output[0] has a shape of autodiff.Size([3]) and output[0] "
            "has a shape of autodiff.Size([2])")):
        (x * 2).backward(autodiff.ones(3))


def test_backward_of_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does "
                                           "not have a grad_fn"):
        autodiff.ones(2).sum().backward()


def test_gradients_accumulate():
    x = _leaf([1.0, 2.0])
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]
    x.grad.zero_()
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_retain_graph_and_second_backward():
    x = _leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]
    with pytest.raises(RuntimeError, match=re.escape(FREED)):
        y.backward()


@pytest.mark.parametrize("op", [lambda x: x.exp(), lambda x: x.sigmoid(), lambda x: x.sqrt(),
                                lambda x: x * x, lambda x: x / x.detach()])
def test_second_backward_raises_for_ops_that_save(op):
    """Ops saving their input or their output alike refuse a freed graph."""
    x = _leaf([1.0, 2.0])
    y = op(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=re.escape(FREED)):
        y.backward()


def test_second_backward_raises_torch_message(torch):
    tx = torch.tensor([1.0], requires_grad=True)
    ty = (tx * tx).sum()
    ty.backward()
    with pytest.raises(RuntimeError) as theirs:
        ty.backward()
    x = _leaf([1.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError) as ours:
        y.backward()
    assert str(ours.value) == str(theirs.value)


def test_backward_with_inputs_only_fills_those():
    a, b = _leaf([1.0]), _leaf([2.0])
    (a * b).sum().backward(inputs=[a])
    assert a.grad.tolist() == [2.0] and b.grad is None


def test_module_level_backward_of_several_tensors():
    x = _leaf([1.0, 2.0])
    autodiff.autograd.backward([x * 2, (x * x).sum()], [autodiff.ones(2), None])
    assert x.grad.tolist() == [4.0, 6.0]


def test_broadcast_gradients_are_reduced_to_the_input_shape():
    a = _leaf([[1.0], [2.0]])             # (2, 1)
    b = _leaf([10.0, 20.0, 30.0])         # (3,)
    c = _leaf(5.0)                        # ()
    (a * b + c).sum().backward()
    assert a.grad.shape == (2, 1) and a.grad.tolist() == [[60.0], [60.0]]
    assert b.grad.shape == (3,) and b.grad.tolist() == [3.0, 3.0, 3.0]
    assert c.grad.shape == () and c.grad.item() == 6.0


def test_gradient_dtype_follows_the_input():
    x = _leaf([1.0], dtype=autodiff.float64)
    (x.float() * 2).sum().backward()
    assert x.grad.dtype is autodiff.float64 and x.grad.tolist() == [2.0]


# ---- autograd.grad ------------------------------------------------------------------------------
def test_grad_does_not_touch_dot_grad():
    x = _leaf([1.0, 2.0])
    g, = autodiff.autograd.grad((x ** 2).sum(), x)
    assert g.tolist() == [2.0, 4.0] and x.grad is None and not g.requires_grad


def test_grad_of_several_outputs_is_summed():
    x = _leaf([1.0, 2.0])
    g, = autodiff.autograd.grad([(x * 2).sum(), (x * x).sum()], [x])
    assert g.tolist() == [4.0, 6.0]
    g, = autodiff.autograd.grad([x * 2, x * x], x, grad_outputs=[autodiff.ones(2),
                                                               autodiff.tensor([1.0, 0.0])])
    assert g.tolist() == [4.0, 2.0]


def test_grad_of_several_inputs():
    a, b = _leaf(2.0), _leaf(3.0)
    ga, gb = autodiff.autograd.grad(a * a * b, [a, b])
    assert ga.item() == 12.0 and gb.item() == 4.0


def test_grad_with_respect_to_a_non_leaf():
    x = _leaf([1.0, 2.0])
    h = x * 3
    g, = autodiff.autograd.grad((h * h).sum(), h)
    assert g.tolist() == [6.0, 12.0]


def test_higher_derivatives():
    x = _leaf(2.0, dtype=autodiff.float64)
    y = x ** 3
    g1, = autodiff.autograd.grad(y, x, create_graph=True)
    g2, = autodiff.autograd.grad(g1, x, create_graph=True)
    g3, = autodiff.autograd.grad(g2, x, create_graph=True)
    assert (g1.item(), g2.item(), g3.item()) == (12.0, 12.0, 6.0)
    assert g1.requires_grad and g1.grad_fn is not None
    g4, = autodiff.autograd.grad(g3, x, allow_unused=True)
    assert g4.item() == 0.0                # torch too: 6 * x ** 0 is still a function of x


def test_second_derivative_of_a_composite_matches_torch(torch):
    def f(m, x):
        return (x.sin() * x.exp() + x ** 2).sum()
    data = np.array([0.3, -1.2, 2.0])
    x, tx = _leaf(data, autodiff.float64), torch.tensor(data, requires_grad=True)
    g, = autodiff.autograd.grad(f(autodiff, x), x, create_graph=True)
    tg, = torch.autograd.grad(f(torch, tx), tx, create_graph=True)
    h, = autodiff.autograd.grad(g.sum(), x)
    th, = torch.autograd.grad(tg.sum(), tx)
    assert_close(g, tg, rtol=1e-12)
    assert_close(h, th, rtol=1e-12)


def test_backward_with_create_graph_gives_differentiable_grad():
    x = _leaf(3.0, autodiff.float64)
    (x ** 2).backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.item() == 6.0
    g2, = autodiff.autograd.grad(x.grad, x)
    assert g2.item() == 2.0


def test_allow_unused_and_materialize_grads():
    a, b = _leaf([1.0]), _leaf([2.0])
    with pytest.raises(RuntimeError, match="The differentiated Tensor at index 1 appears to not "
                                           "have been used in the graph"):
        autodiff.autograd.grad((a * 2).sum(), [a, b])
    ga, gb = autodiff.autograd.grad((a * 2).sum(), [a, b], allow_unused=True)
    assert ga.tolist() == [2.0] and gb is None
    ga, gb = autodiff.autograd.grad((a * 2).sum(), [a, b], materialize_grads=True)
    assert gb.tolist() == [0.0]


def test_grad_of_an_input_not_requiring_grad_raises():
    x = _leaf([1.0])
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require "
                                           "grad"):
        autodiff.autograd.grad((x * 2).sum(), autodiff.ones(1))


# ---- graph structure ----------------------------------------------------------------------------
def _structure(fn):
    """Node names reached from ``fn`` through next_functions, breadth first.

    Two known differences with torch are left out: torch names the leaf node
    'torch::autograd::AccumulateGrad', and it gives a Python-number operand (``x + 2``) a
    ``(None, 0)`` edge where autodiff records no edge at all.
    """
    out, frontier = [], [fn]
    while frontier:
        nxt = []
        for node in frontier:
            out.append(node.name().replace("torch::autograd::", ""))
            nxt.extend(child for child, _ in node.next_functions if child is not None)
        frontier = nxt
    return out


def test_grad_fn_and_next_functions():
    a, b = _leaf([1.0]), _leaf([2.0])
    c = autodiff.ones(1)
    y = a * b + c
    assert y.grad_fn.name() == "AddBackward0"
    (mul, nr), (none, _) = y.grad_fn.next_functions
    assert mul.name() == "MulBackward0" and nr == 0 and none is None
    (acc_a, _), (acc_b, _) = mul.next_functions
    assert acc_a.name() == "AccumulateGrad" and acc_a.variable is a and acc_b.variable is b
    assert a.grad_fn is None and a.is_leaf and not y.is_leaf
    assert re.fullmatch(r"<MulBackward0 object at 0x[0-9a-f]+>", repr(mul))
    assert re.fullmatch(r"<AccumulateGrad object at 0x[0-9a-f]+>", repr(acc_a))


F = autodiff.nn.functional
NEXT_FUNCTIONS = {
    "add_number": lambda x, w: x + 2, "radd_number": lambda x, w: 2 + x,
    "mul_number": lambda x, w: x * 2, "sub_number": lambda x, w: x - 2,
    "div_number": lambda x, w: x / 2, "rsub_number": lambda x, w: 2 - x,
    "div_floor": lambda x, w: x.div(2, rounding_mode="floor"),
    "add_alpha": lambda x, w: autodiff.add(x, 2, alpha=3),
    "add_no_grad": lambda x, w: x + autodiff.ones(3), "mul_int": lambda x, w: x * autodiff.tensor([1, 2, 3]),
    "rsub_tensors": lambda x, w: autodiff.rsub(x, w),
    "where_number": lambda x, w: autodiff.where(x > 0, x, 0.0),
    "where_number_first": lambda x, w: autodiff.where(x > 0, 0.0, x),
    "where_tensors": lambda x, w: autodiff.where(x > 0, x, w),
    "clamp_min_tensor": lambda x, w: x.clamp(min=w), "clamp_number": lambda x, w: x.clamp(0, 1),
    "masked_fill": lambda x, w: x.masked_fill(x > 0, 0.0), "pow_number": lambda x, w: x ** 2,
    "pow_tensor": lambda x, w: x ** w, "rpow": lambda x, w: 2 ** x,
    "index_select": lambda x, w: x.index_select(0, autodiff.tensor([0, 1])),
    "cross_entropy": lambda x, w: F.cross_entropy(x, autodiff.tensor([0, 1]), weight=autodiff.ones(3)),
    "embedding": lambda x, w: F.embedding(autodiff.tensor([0, 1]), x),
    "mse_loss": lambda x, w: F.mse_loss(x, autodiff.zeros(2, 3)),
    "bce_weight": lambda x, w: F.binary_cross_entropy(x.sigmoid(), autodiff.ones(2, 3),
                                                      weight=autodiff.ones(3)),
    "bce_logits_weights": lambda x, w: F.binary_cross_entropy_with_logits(
        x, autodiff.ones(2, 3), weight=autodiff.ones(3), pos_weight=autodiff.ones(3)),
    "linear_bias": lambda x, w: F.linear(x, x, w[:2]), "cat": lambda x, w: autodiff.cat([x, autodiff.zeros(1, 3)]),
    "lerp": lambda x, w: autodiff.lerp(x, autodiff.zeros(2, 3), 0.5),
    "xlogy_number": lambda x, w: autodiff.xlogy(x, 2.0),
}


@pytest.mark.parametrize("name", NEXT_FUNCTIONS)
def test_next_functions_list_inputs_as_torch_does(name, torch):
    """Python numbers in operand slots show as (None, 0); indices, targets, weights and
    conditions (not differentiable) are left out."""
    from _helpers import in_torch

    def nodes(m, build):
        x, w = m.ones(2, 3, requires_grad=True), m.ones(3, requires_grad=True)
        node = build(x, w).grad_fn
        return node.name(), [None if n is None else n.name().split("::")[-1]
                             for n, _ in node.next_functions]

    build = NEXT_FUNCTIONS[name]
    assert nodes(autodiff, build) == nodes(torch, in_torch(build, torch))


def test_accumulate_grad_node_is_shared_by_uses_of_a_leaf():
    a = _leaf([1.0])
    n1 = (a * 2).grad_fn.next_functions[0][0]
    keep = a * 3
    n2 = keep.grad_fn.next_functions[0][0]
    assert n1 is n2


@pytest.mark.parametrize("build", [
    lambda m, a, b, c: (a * b + c).exp().sum(),
    lambda m, a, b, c: (a / b - 2 * c).tanh().sum() ** 2,
    lambda m, a, b, c: (a[1:] * b.t()[0]).sigmoid().mean(),
])
def test_graph_structure_matches_torch(build, torch):
    arrays = [np.ones((2, 2)), np.full((2, 2), 2.0), np.ones(2)]
    ours = build(autodiff, *[_leaf(x) for x in arrays])
    theirs = build(torch, *[torch.tensor(x, requires_grad=True) for x in arrays])
    assert _structure(ours.grad_fn) == _structure(theirs.grad_fn)


def test_requires_grad_propagates():
    a, b = _leaf([1.0]), autodiff.ones(1)
    assert (a + b).requires_grad and not (b + b).requires_grad
    assert (b + b).grad_fn is None
    assert not (a > 0).requires_grad          # bool results never require grad
    assert not a.detach().requires_grad


# ---- custom Functions ---------------------------------------------------------------------------
class MyReLU(Function):
    """The seed's example, word for word."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


def test_seed_myrelu_example():
    w = autodiff.tensor([[3.0, 1.0]], requires_grad=True)
    b = autodiff.tensor([[3.0]], requires_grad=True)
    X = autodiff.tensor([[-1.0, -1.0], [1.0, 1.0]])
    Y = autodiff.tensor([[2.0, 3.0]])
    relu = MyReLU.apply
    Y_hat = relu(X @ w.t() + b)
    loss = autodiff.mean(autodiff.pow(Y_hat - Y, 2))
    loss.backward()
    assert repr(w.grad) == "tensor([[4.5000, 4.5000]])"
    assert repr(b.grad) == "tensor([[4.5000]])"
    assert re.fullmatch(r"<autodiff\.autograd\.function\.MyReLUBackward object at 0x[0-9a-f]+>",
                        repr(Y_hat.grad_fn))
    assert Y_hat.grad_fn.name() == "MyReLUBackward"


def test_custom_function_gradcheck():
    x = autodiff.tensor([-1.5, -0.3, 0.4, 2.0], dtype=autodiff.float64, requires_grad=True)
    assert autodiff.autograd.gradcheck(MyReLU.apply, (x,))


class ScaleBy(Function):
    """A Function with a non-tensor argument and needs_input_grad bookkeeping."""
    seen = []

    @staticmethod
    def forward(ctx, x, y, factor):
        ctx.factor = factor
        ctx.save_for_backward(x, y)
        return x * y * factor

    @staticmethod
    def backward(ctx, grad):
        ScaleBy.seen.append(ctx.needs_input_grad)
        x, y = ctx.saved_tensors
        gx = grad * y * ctx.factor if ctx.needs_input_grad[0] else None
        gy = grad * x * ctx.factor if ctx.needs_input_grad[1] else None
        return gx, gy, None


def test_needs_input_grad_and_non_tensor_arguments():
    ScaleBy.seen.clear()
    x, y = _leaf([2.0]), autodiff.tensor([5.0])
    ScaleBy.apply(x, y, 3.0).sum().backward()
    assert ScaleBy.seen == [(True, False, False)]
    assert x.grad.tolist() == [15.0]


class SortWithIndex(Function):
    @staticmethod
    def forward(ctx, x):
        order = np.argsort(x._data)
        ctx.order = order
        idx = autodiff.tensor(order)
        ctx.mark_non_differentiable(idx)
        return autodiff.tensor(x._data[order]), idx

    @staticmethod
    def backward(ctx, grad, grad_idx):
        assert grad_idx is None or not grad_idx.any()
        out = autodiff.zeros_like(grad)
        out[autodiff.tensor(ctx.order)] = grad
        return out


def test_mark_non_differentiable_and_two_outputs():
    x = _leaf([3.0, 1.0, 2.0])
    values, idx = SortWithIndex.apply(x)
    assert values.requires_grad and not idx.requires_grad
    assert idx.tolist() == [1, 2, 0]
    (values * autodiff.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [3.0, 1.0, 2.0]


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * 3 * x ** 2          # tensor ops: differentiable again


def test_custom_function_backward_is_differentiable():
    x = _leaf(2.0, autodiff.float64)
    g, = autodiff.autograd.grad(Cube.apply(x), x, create_graph=True)
    h, = autodiff.autograd.grad(g, x)
    assert g.item() == 12.0 and h.item() == 12.0
    assert autodiff.autograd.gradgradcheck(Cube.apply, (_leaf([0.5, -1.0], autodiff.float64),))


def test_once_differentiable_backward_runs_without_recording():
    class Twice(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        @autodiff.autograd.once_differentiable
        def backward(ctx, grad):
            assert not autodiff.is_grad_enabled()
            return grad * 2

    x = _leaf([1.0])
    g, = autodiff.autograd.grad(Twice.apply(x).sum(), x, create_graph=True)
    assert g.tolist() == [2.0] and not g.requires_grad


def test_function_without_backward_raises():
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

    with pytest.raises(NotImplementedError, match="You must implement either the backward or "
                                                  "vjp method"):
        NoBackward.apply(_leaf([1.0])).sum().backward()


def test_wrong_number_of_gradients_raises():
    class TooMany(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    with pytest.raises(RuntimeError, match=r"returned an incorrect number of gradients "
                                           r"\(expected 1, got 2\)"):
        TooMany.apply(_leaf([1.0])).sum().backward()


def test_extra_none_gradients_are_allowed():
    class ExtraNone(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad, None, None

    x = _leaf([1.0])
    ExtraNone.apply(x).sum().backward()
    assert x.grad.tolist() == [1.0]


# ---- leaves, .grad of non-leaves, retain_grad, hooks --------------------------------------------
def test_seed_leaf_example():
    x = autodiff.tensor(3.0, requires_grad=True)
    y1 = x + 1
    y2 = 2 * x
    loss = (y1 - y2) ** 2
    loss.backward()
    with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf "
                                         "Tensor is being accessed"):
        assert loss.grad is None
    with pytest.warns(UserWarning):
        assert y1.grad is None and y2.grad is None
    assert repr(x.grad) == "tensor(4.)"
    assert (x.is_leaf, y1.is_leaf, y2.is_leaf, loss.is_leaf) == (True, False, False, False)


def test_seed_hook_example(capsys):
    x = autodiff.tensor(3.0, requires_grad=True)
    y1 = x + 1
    y2 = 2 * x
    loss = (y1 - y2) ** 2
    y1.register_hook(lambda grad: print('y1 grad: ', grad))
    y2.register_hook(lambda grad: print('y2 grad: ', grad))
    loss.retain_grad()
    loss.backward()
    print("loss.grad:", loss.grad)
    print("x.grad:", x.grad)
    assert capsys.readouterr().out == ("y2 grad:  tensor(4.)\ny1 grad:  tensor(-4.)\n"
                                       "loss.grad: tensor(1.)\nx.grad: tensor(4.)\n")


def test_retain_grad_keeps_intermediate_gradients():
    x = _leaf([1.0, 2.0])
    h = x * 3
    h.retain_grad()
    assert h.retains_grad
    (h * h).sum().backward()
    assert h.grad.tolist() == [6.0, 12.0]
    x.retain_grad()                          # a no-op on a leaf
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has "
                                           "requires_grad=False"):
        autodiff.ones(1).retain_grad()


def test_hook_can_replace_the_gradient_and_be_removed():
    x = _leaf([1.0, 2.0])
    h = x * 1
    handle = h.register_hook(lambda g: g * 10)
    h.sum().backward()
    assert x.grad.tolist() == [10.0, 10.0]
    handle.remove()
    x.grad = None
    (x * 1).sum().backward()
    h2 = x * 1
    h2.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_hooks_on_leaves_and_their_order():
    calls = []
    x = _leaf([1.0])
    x.register_hook(lambda g: calls.append(("first", g.item())))
    x.register_hook(lambda g: g * 2)
    x.register_hook(lambda g: calls.append(("third", g.item())))
    (x * 3).sum().backward()
    assert calls == [("first", 3.0), ("third", 6.0)]
    assert x.grad.tolist() == [6.0]


def test_hook_on_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't "
                                           "require gradient"):
        autodiff.ones(1).register_hook(lambda g: g)


def test_post_accumulate_grad_hook():
    seen = []
    x = _leaf([1.0])
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.item()))
    (x * 4).sum().backward()
    assert seen == [4.0]


# ---- grad modes ---------------------------------------------------------------------------------
def test_no_grad_context_and_decorators():
    x = _leaf([1.0])
    with autodiff.no_grad():
        assert not autodiff.is_grad_enabled()
        y = x * 2
        with autodiff.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad
    assert autodiff.is_grad_enabled()

    @autodiff.no_grad()
    def f(t):
        return t * 2

    @autodiff.no_grad
    def g(t):
        return t * 2
    assert not f(x).requires_grad and not g(x).requires_grad and autodiff.is_grad_enabled()

    @autodiff.enable_grad()
    def h(t):
        return t * 2
    with autodiff.no_grad():
        assert h(x).requires_grad


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ValueError):
        with autodiff.no_grad():
            raise ValueError
    assert autodiff.is_grad_enabled()


def test_set_grad_enabled_as_function_and_context():
    x = _leaf([1.0])
    with autodiff.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    autodiff.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        autodiff.set_grad_enabled(True)
    assert autodiff.is_grad_enabled()

    @autodiff.set_grad_enabled(False)
    def f(t):
        return t * 2
    assert autodiff.is_grad_enabled()
    assert not f(x).requires_grad and autodiff.is_grad_enabled()


def test_inference_mode():
    x = _leaf([1.0])
    with autodiff.inference_mode():
        assert autodiff.is_inference_mode_enabled() and not autodiff.is_grad_enabled()
        assert not (x * 2).requires_grad
    assert not autodiff.is_inference_mode_enabled()
    with autodiff.inference_mode(False):
        assert (x * 2).requires_grad

    @autodiff.inference_mode()
    def f(t):
        return t * 2
    assert not f(x).requires_grad


def test_no_grad_on_a_generator():
    @autodiff.no_grad()
    def gen(t):
        yield autodiff.is_grad_enabled()
        yield (t * 2).requires_grad
    assert list(gen(_leaf([1.0]))) == [False, False]
    assert autodiff.is_grad_enabled()


# ---- in-place operations and version counters --------------------------------------------------
def test_inplace_on_a_leaf_requiring_grad_raises():
    x = _leaf([1.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation."):
        x.add_(1)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x += 1
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is "
                                           "being used in an in-place operation."):
        x[0:1].mul_(2)
    with autodiff.no_grad():
        x.add_(1)                           # the usual optimizer step
    assert x.tolist() == [2.0]


def test_modified_saved_tensor_raises():
    x = _leaf([1.0, 2.0])
    a = x * 2
    b = a * a                               # saves a
    a.add_(1)
    with pytest.raises(RuntimeError, match=r"one of the variables needed for gradient "
                                           r"computation has been modified by an inplace "
                                           r"operation: \[autodiff.FloatTensor \[2\]\] is at "
                                           r"version 1; expected version 0 instead"):
        b.sum().backward()


def test_modified_saved_output_raises():
    x = _leaf([1.0, 2.0])
    y = x.exp()                             # saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_inplace_on_a_non_leaf_is_differentiable():
    x = _leaf([1.0, 2.0], autodiff.float64)
    y = x * 2
    y.mul_(3)
    y.add_(x)
    assert y.grad_fn.name() == "AddBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [7.0, 7.0]
    x.grad = None
    z = x * 2
    z.exp_()                                # saves its output, which is z itself
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * x.detach().numpy()))


def test_inplace_with_itself_as_saved_argument_raises_like_torch():
    x = _leaf([1.0, 2.0])
    y = x * 2
    y.mul_(y)                               # mul saves y, which the write then changes
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_inplace_ops_bump_the_version():
    x = autodiff.zeros(2)
    v0 = x._vc[0]
    x.add_(1)
    x[0] = 3
    x.zero_()
    assert x._vc[0] == v0 + 3


# ---- deep graphs, freeing graphs, no useless work -----------------------------------------------
def test_100000_op_chain_without_recursion_error():
    x = autodiff.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        y.backward()
    finally:
        sys.setrecursionlimit(limit)
    assert x.grad.item() == 1.0
    del y
    gc.collect()


def test_graph_is_freed_after_backward():
    x = _leaf([1.0, 2.0])
    h = x.exp()
    ref = weakref.ref(h.grad_fn)
    loss = (h * 2).sum()
    del h
    loss.backward()
    del loss
    gc.collect()
    assert ref() is None


def test_graph_holding_its_output_is_freed_without_backward():
    x = _leaf([1.0, 2.0])
    y = x.sigmoid()                          # the node saves its output
    ref, node_ref = weakref.ref(y), weakref.ref(y.grad_fn)
    del y
    assert ref() is None and node_ref() is None      # no reference cycle: freed at once


def _live_tensors():
    gc.collect()
    return sum(issubclass(type(o), autodiff.Tensor) for o in gc.get_objects())


def test_no_tensors_leak_over_training_steps():
    """needle's check: the number of live Tensor objects does not grow step after step."""
    w = _leaf(np.ones((4, 3)))
    b = _leaf(np.zeros(3))
    x = autodiff.tensor(np.ones((5, 4), dtype=np.float32))

    def step():
        loss = ((x @ w + b).relu() ** 2).sum()
        loss.backward()
        with autodiff.no_grad():
            w.sub_(w.grad * 0.01)
            b.sub_(b.grad * 0.01)
        w.grad, b.grad = None, None

    step()
    before = _live_tensors()
    for _ in range(20):
        step()
    assert _live_tensors() == before


def test_no_backward_work_for_inputs_not_needing_grad():
    class Guard(Function):
        """Its backward must not run: nothing that needs a gradient depends on it."""
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            raise AssertionError("backward ran for a branch nobody asked for")

    a, b = _leaf([1.0]), _leaf([2.0])
    y = a * 3 + Guard.apply(b)
    g, = autodiff.autograd.grad(y.sum(), a)
    assert g.tolist() == [3.0]
    c = autodiff.ones(1)
    z = a * Guard.apply(c)                   # c does not require grad: no node recorded
    assert z.grad_fn.next_functions[1][0] is None
    z.sum().backward()


def test_mul_does_not_compute_the_gradient_of_a_constant():
    calls = []
    x = _leaf([2.0])
    c = autodiff.tensor([3.0])
    y = x * c
    mul = y.grad_fn
    assert mul.needs_input_grad == (True, False)
    mul.register_hook(lambda grad_inputs, grad_outputs: calls.append(grad_inputs))
    y.sum().backward()
    assert calls[0][1] is None and calls[0][0].tolist() == [3.0]


# ---- gradcheck and gradgradcheck themselves -----------------------------------------------------

def _f64(values):
    return autodiff.tensor(values, dtype=autodiff.float64, requires_grad=True)


class WrongSquare(Function):
    """Forward x**2, backward claims 3x: gradcheck must catch it."""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x._data ** 2

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * 3 * x


class DetachedBackward(Function):
    """Right first derivative, but computed outside the graph: second derivatives are lost."""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x._data ** 3

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * 3 * x.detach() ** 2


class SquaredGradOutput(Function):
    """backward uses grad**2: right for one-hot grad_outputs, not linear in grad_output."""
    @staticmethod
    def forward(ctx, x):
        return x._data * 2

    @staticmethod
    def backward(ctx, grad):
        return grad * grad * 2


class NoisyBackward(Function):
    @staticmethod
    def forward(ctx, x):
        return x._data * 1

    @staticmethod
    def backward(ctx, grad):
        return grad * (1 + autodiff.rand(grad.shape, dtype=grad.dtype) * 1e-9)


def test_gradcheck_passes_and_is_reachable_by_every_name():
    x = _f64([0.5, -1.0, 2.0])
    assert gradcheck(lambda t: (t.sin() * t).exp(), (x,)) is True
    assert autodiff.autograd.gradcheck.gradcheck is gradcheck
    assert autodiff.autograd.gradcheck.GradcheckError is GradcheckError
    assert issubclass(GradcheckError, RuntimeError)
    assert gradcheck(lambda t: t * 2, x)                        # a single tensor is fine


def test_gradcheck_reports_a_wrong_backward():
    x = _f64([1.0, 2.0])
    with pytest.raises(GradcheckError) as err:
        gradcheck(WrongSquare.apply, (x,))
    assert str(err.value) == (
        "Jacobian mismatch for output 0 with respect to input 0,\n"
        "numerical:tensor([[2.0000, 0.0000],\n        [0.0000, 4.0000]], dtype=autodiff.float64)\n"
        "analytical:tensor([[3., 0.],\n        [0., 6.]], dtype=autodiff.float64)\n")
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False


def test_gradcheck_message_matches_torch(torch):
    class TorchWrongSquare(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return grad * 3 * x
    with pytest.raises(RuntimeError) as theirs:
        torch.autograd.gradcheck(TorchWrongSquare.apply,
                                 (torch.tensor([1.0, 2.0], dtype=torch.float64,
                                               requires_grad=True),))
    with pytest.raises(GradcheckError) as ours:
        gradcheck(WrongSquare.apply, (_f64([1.0, 2.0]),))
    assert str(ours.value) == str(theirs.value).replace("torch.", "autodiff.")


def test_fast_mode_catches_the_same_error():
    x = _f64([1.0, 2.0, -0.5])
    assert gradcheck(lambda t: (t * t).tanh(), (x,), fast_mode=True)
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to "
                                             "input 0,\nnumerical:[-0-9.e]+\nanalytical:"):
        gradcheck(WrongSquare.apply, (x,), fast_mode=True)
    try:
        gradcheck(WrongSquare.apply, (x,), fast_mode=True)
    except GradcheckError as e:
        assert "we recompute numerical and analytical jacobians in slow mode" in str(e)


def test_gradcheck_several_inputs_and_outputs():
    a, b = _f64([[1.0, 2.0], [3.0, 4.0]]), _f64([0.5, -0.5])
    c = autodiff.tensor([1.0, 1.0], dtype=autodiff.float64)          # no grad: not checked

    def f(x, y, z, scale):
        return x * y * scale, (x + z).exp(), (x > 2)                   # bool output is skipped
    assert gradcheck(f, (a, b, c, 3.0))
    assert gradgradcheck(f, (a, b, c, 3.0))

    def g(x, y):
        return x * 2, WrongSquare.apply(y)
    with pytest.raises(GradcheckError, match="for output 1 with respect to input 1"):
        gradcheck(g, (a, b))


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    x = _f64([0.5, 1.5])
    assert gradcheck(DetachedBackward.apply, (x,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradgradcheck(DetachedBackward.apply, (x,))
    assert gradgradcheck(lambda t: t ** 3, (x,))
    assert gradgradcheck(lambda t: t ** 3, (x,), gen_non_contig_grad_outputs=True)
    assert gradgradcheck(lambda t: t ** 3, (x,), grad_outputs=(_f64([1.0, -2.0]),))
    assert gradgradcheck(lambda t: t ** 3, (x,), fast_mode=True)


def test_batched_grad_check_catches_a_non_linear_backward():
    x = _f64([0.5, 1.5])
    assert gradcheck(SquaredGradOutput.apply, (x,), check_undefined_grad=False)
    with pytest.raises(GradcheckError, match="batched gradient computation"):
        gradcheck(SquaredGradOutput.apply, (x,), check_batched_grad=True)
    assert gradcheck(lambda t: t.sin(), (x,), check_batched_grad=True)


def test_nondeterministic_backward_is_reported():
    x = _f64([0.5, 1.5])
    with pytest.raises(GradcheckError, match="Backward is not reentrant"):
        gradcheck(NoisyBackward.apply, (x,))
    assert gradcheck(NoisyBackward.apply, (x,), nondet_tol=1e-6)


def test_gradcheck_input_checks():
    with pytest.raises(ValueError, match="gradcheck expects at least one input tensor to "
                                         "require gradient"):
        gradcheck(lambda t: t * 2, (autodiff.ones(2, dtype=autodiff.float64),))
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double "
                                         "precision floating point"):
        gradcheck(lambda t: t * 2, (autodiff.ones(2, requires_grad=True),), eps=1e-3, atol=1e-2)
    expanded = _f64([1.0]).detach().expand(3).requires_grad_()
    with pytest.raises(RuntimeError, match="The 0th input has a dimension with stride 0"):
        gradcheck(lambda t: t * 2, (expanded,))


def test_gradcheck_leaves_inputs_and_rng_untouched():
    x = _f64([0.25, -1.5])
    before = x.detach().numpy().copy()
    autodiff.manual_seed(5)
    gradcheck(lambda t: t.exp(), (x,), fast_mode=True)
    after_rng = autodiff.rand(1).item()
    autodiff.manual_seed(5)
    assert autodiff.rand(1).item() == after_rng
    assert np.array_equal(x.detach().numpy(), before) and x.grad is None


def test_gradcheck_of_a_function_without_differentiable_outputs():
    x = _f64([0.3, 1.7])
    assert gradcheck(lambda t: (t > 1).float(), (x,))
    assert gradcheck(lambda t: t.detach() * 0, (x,))
    with pytest.raises(GradcheckError, match="Numerical gradient for function expected to be "
                                             "zero"):
        gradcheck(lambda t: t.detach() * 2, (x,))


# ---- anomaly detection -----------------------------------------------------------------------
def test_anomaly_mode_finds_the_node_that_made_nan(torch):
    import warnings
    outcome = []
    for m in (autodiff, torch):
        x = m.tensor([0.0, 1.0], requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with m.autograd.detect_anomaly():
                assert m.is_anomaly_enabled() and m.is_anomaly_check_nan_enabled()
                y = x.sqrt() * m.tensor([float("nan"), 1.0])          # the forward line
                with pytest.raises(RuntimeError) as e:
                    y.sum().backward()
        texts = [str(w.message) for w in caught]
        outcome.append((str(e.value), texts[0].split("\n")[0], texts[1].split("\n")[0],
                        "y = x.sqrt() * m.tensor" in texts[1], m.is_anomaly_enabled()))
    assert outcome[0] == outcome[1]
    assert outcome[0][0] == "Function 'MulBackward0' returned nan values in its 0th output."


def test_anomaly_mode_points_at_the_forward_code_of_a_failing_backward():
    import warnings

    class Broken(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            raise ValueError("no gradient today")

    x = _leaf([1.0, 2.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with autodiff.autograd.detect_anomaly(check_nan=False):
            y = Broken.apply(x).sum()                                 # the forward line
            with pytest.raises(ValueError, match="no gradient today"):
                y.backward()
    message = str(caught[-1].message)
    assert message.startswith("Error detected in BrokenBackward.") and "Broken.apply(x)" in message


def test_anomaly_mode_is_off_by_default_and_set_detect_anomaly_restores():
    x = _leaf([1.0])
    assert not autodiff.is_anomaly_enabled()
    assert not hasattr((x * 2).grad_fn, "_forward_stack")           # nothing recorded
    with autodiff.autograd.set_detect_anomaly(True, check_nan=False):
        assert autodiff.is_anomaly_enabled() and not autodiff.is_anomaly_check_nan_enabled()
        (x.sqrt() * float("nan")).sum().backward()                  # nan allowed: no check
    assert not autodiff.is_anomaly_enabled() and autodiff.is_anomaly_check_nan_enabled()
    autodiff.autograd.set_detect_anomaly(True)
    try:
        assert autodiff.is_anomaly_enabled()
    finally:
        autodiff.autograd.set_detect_anomaly(False)
