"""Bad input gets torch's exception type and message, never a bare numpy traceback."""
import re

import numpy as np
import pytest

import autodiff

BROADCAST = "The size of tensor a ({}) must match the size of tensor b ({}) at non-singleton " \
            "dimension {}"


@pytest.mark.parametrize("op", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
    lambda a, b: a ** b, lambda a, b: a // b, lambda a, b: a % b, lambda a, b: a == b,
    lambda a, b: a < b, lambda a, b: autodiff.maximum(a, b), lambda a, b: autodiff.atan2(a, b),
    lambda a, b: autodiff.where(a > 0, a, b), lambda a, b: a.add_(b),
    lambda a, b: autodiff.add(a, b, alpha=2), lambda a, b: autodiff.fmod(a, b),
])
def test_shape_mismatch_in_binary_ops(op):
    a, b = autodiff.ones(3), autodiff.ones(4)
    with pytest.raises(RuntimeError, match=re.escape(BROADCAST.format(3, 4, 0))):
        op(a, b)


@pytest.mark.parametrize("sa, sb, a, b, dim", [
    ((2, 3), (3, 2), 3, 2, 1), ((2, 3), (4, 1, 2), 3, 2, 2), ((5, 3), (2, 1, 4), 3, 4, 2),
    ((4, 2, 3), (3, 3), 2, 3, 1), ((2, 1), (3, 5), 2, 3, 0),
])
def test_broadcast_error_names_the_dim_like_torch(sa, sb, a, b, dim, torch):
    with pytest.raises(RuntimeError) as theirs:
        torch.ones(sa) + torch.ones(sb)
    with pytest.raises(RuntimeError, match=re.escape(BROADCAST.format(a, b, dim))) as ours:
        autodiff.ones(sa) + autodiff.ones(sb)
    assert str(ours.value) == str(theirs.value)


def test_broadcastable_shapes_do_not_raise():
    assert (autodiff.ones(2, 1, 3) + autodiff.ones(4, 1)).shape == (2, 4, 3)
    assert (autodiff.ones(0, 3) + autodiff.ones(3)).shape == (0, 3)


def test_backward_twice():
    x = autodiff.tensor([1.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_non_scalar_backward_without_gradient():
    x = autodiff.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar "
                                           "outputs"):
        (x * 2).backward()


@pytest.mark.parametrize("make", [
    lambda: autodiff.tensor([1, 2], requires_grad=True),
    lambda: autodiff.tensor([1, 2]).requires_grad_(),
    lambda: autodiff.zeros(2, dtype=autodiff.int64, requires_grad=True),
    lambda: autodiff.tensor([True]).requires_grad_(True),
])
def test_requires_grad_on_integer_tensors(make, torch):
    from _helpers import in_torch
    with pytest.raises(RuntimeError, match="(o|O)nly Tensors of floating point .*dtype can "
                                           "require gradients") as ours:
        make()
    with pytest.raises(RuntimeError) as theirs:         # two wordings, as torch has them
        in_torch(make, torch)()
    assert str(ours.value) == str(theirs.value)


def test_numpy_on_a_tensor_requiring_grad():
    x = autodiff.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=re.escape(
            "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
            "instead.")):
        x.numpy()
    with pytest.raises(RuntimeError, match="Can't call numpy"):
        np.asarray(x * 2)


def test_item_on_several_elements():
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to "
                                           "Scalar"):
        autodiff.ones(2).item()
    with pytest.raises(RuntimeError, match="a Tensor with 0 elements cannot be converted"):
        autodiff.ones(0).item()
    with pytest.raises(ValueError, match="only one element tensors can be converted"):
        float(autodiff.ones(3))


@pytest.mark.parametrize("call", [
    lambda: autodiff.zeros(2, device="cuda"), lambda: autodiff.ones(2).cuda(),
    lambda: autodiff.ones(2).to("cuda"), lambda: autodiff.tensor([1.0], device="cuda:0"),
    lambda: autodiff.rand(2, device="cuda"), lambda: autodiff.arange(3, device="cuda"),
])
def test_cuda_without_a_gpu(call):
    if autodiff.backend.cuda_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        call()
    assert not autodiff.cuda.is_available()


@pytest.mark.parametrize("call, message", [
    (lambda x: x.view(4), "shape '[4]' is invalid for input of size 6"),
    (lambda x: x.view(-1, -1), "only one dimension can be inferred"),
    (lambda x: x.view(-1, 4), "shape '[-1, 4]' is invalid for input of size 6"),
    (lambda x: x.reshape(5), "shape '[5]' is invalid for input of size 6"),
    (lambda x: x.view(2, -2), "invalid shape dimension -2"),
    (lambda x: x.t().view(6), "view size is not compatible with input tensor's size and "
                              "stride (at least one dimension spans across two contiguous "
                              "subspaces). Use .reshape(...) instead."),
])
def test_bad_view_shapes(call, message, torch):
    with pytest.raises(RuntimeError, match=re.escape(message)):
        call(autodiff.ones(2, 3))
    with pytest.raises(RuntimeError, match=re.escape(message)):
        call(torch.ones(2, 3))


@pytest.mark.parametrize("call, exc, message", [
    (lambda x: x.transpose(0, 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda x: x.squeeze(3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 3)"),
    (lambda x: x.unsqueeze(4), IndexError,
     "Dimension out of range (expected to be in range of [-3, 2], but got 4)"),
    (lambda x: x.size(-3), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    (lambda x: x.expand(4, 3), RuntimeError,
     "The expanded size of the tensor (4) must match the existing size (2) at non-singleton "
     "dimension 0.  Target sizes: [4, 3].  Tensor sizes: [2, 3]"),
    (lambda x: x.permute(0, 0), RuntimeError, "duplicate dims are not allowed"),
    (lambda x: x.flatten(1, 0), RuntimeError,
     "flatten() has invalid args: start_dim cannot come after end_dim"),
    (lambda x: x.t().t().t()[None].t(), RuntimeError,
     "t() expects a tensor with <= 2 dimensions, but self is 3D"),
    (lambda x: x[2], IndexError, "index 2 is out of bounds for dimension 0 with size 2"),
    (lambda x: x[:, 3], IndexError, "index 3 is out of bounds for dimension 1 with size 3"),
    (lambda x: x[0, 0, 0], IndexError, "too many indices for tensor of dimension 2"),
    (lambda x: autodiff.clamp(x), RuntimeError,
     "torch.clamp: At least one of 'min' or 'max' must not be None"),
    (lambda x: x.where(x, x), RuntimeError,
     "where expected condition to be a boolean tensor, but got a tensor with dtype Float"),
    (lambda x: x.div(2, rounding_mode="round"), RuntimeError,
     "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'round'"),
    (lambda x: x.bool() - x.bool(), RuntimeError,
     "Subtraction, the `-` operator, with two bool tensors is not supported"),
    (lambda x: -x.bool(), RuntimeError,
     "Negation, the `-` operator, on a bool tensor is not supported"),
    (lambda x: x.long() ** -1, RuntimeError,
     "Integers to negative integer powers are not allowed."),
    (lambda x: x.long() // 0, RuntimeError, "ZeroDivisionError"),
    (lambda x: bool(x), RuntimeError,
     "Boolean value of Tensor with more than one value is ambiguous"),
    (lambda x: len(x.sum()), TypeError, "len() of a 0-d tensor"),
    (lambda x: x + "a", TypeError, "unsupported operand type(s) for +: 'Tensor' and 'str'"),
])
def test_messages_match_torch(call, exc, message, torch):
    """The same call on torch raises the same type with (at least) the same message."""
    with pytest.raises(exc, match=re.escape(message)):
        call(autodiff.ones(2, 3))
    with pytest.raises(exc) as theirs:
        call(torch.ones(2, 3))
    assert message.replace("autodiff", "torch") in str(theirs.value)


def test_inplace_errors():
    x = autodiff.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in "
                                           "an in-place operation."):
        x.mul_(2)
    y = autodiff.ones(2, dtype=autodiff.int64)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        y.mul_(1.5)


def test_device_strings():
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda, ipu, .* privateuseone "
                                           "device type at start of device string: tpu"):
        autodiff.ones(1, device="tpu")
    with pytest.raises(RuntimeError, match="Invalid device string: 'cuda:x'"):
        autodiff.device("cuda:x")


def test_creation_errors():
    with pytest.raises(RuntimeError, match="Could not infer dtype of object"):
        autodiff.tensor([object()])
    with pytest.raises(RuntimeError, match="Trying to create tensor with negative dimension -2"):
        autodiff.ones(-2)
    with pytest.raises(TypeError, match="only floating-point types are supported as the "
                                        "default type"):
        autodiff.set_default_dtype(autodiff.int32)


def test_grad_errors():
    x = autodiff.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="The differentiated Tensor at index 1 appears to not "
                                           "have been used in the graph"):
        autodiff.autograd.grad((x * 2).sum(), [x, autodiff.ones(1, requires_grad=True)])
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(autodiff.ones(3))
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf "
                                           "variables"):
        (x * 2).requires_grad_(False)


# ---- the same bad input, the same exception (type and text) as torch --------------------------
SAME_ERROR = [
    lambda: float(autodiff.tensor([1.0, 2.0])),
    lambda: int(autodiff.tensor([1, 2])),
    lambda: float(autodiff.tensor([])),
    lambda: autodiff.ones(2).item(),
    lambda: format(autodiff.tensor([1.0]), ".2f"),
    lambda: autodiff.zeros(3).index_select(0, autodiff.tensor([0, 5])),
    lambda: autodiff.zeros(3).index_select(0, autodiff.tensor([-1])),
    lambda: autodiff.zeros(3, 4).index_select(1, autodiff.tensor([9])),
    lambda: autodiff.zeros(2, 3, 4).index_select(2, autodiff.tensor([9])),
    lambda: autodiff.zeros(2, 3, 4).index_select(0, autodiff.tensor([-1])),
    lambda: autodiff.zeros(3, 4).index_add(0, autodiff.tensor([9]), autodiff.ones(1, 4)),
    lambda: autodiff.zeros(3).index_add(0, autodiff.tensor([4]), autodiff.ones(1)),
    lambda: autodiff.ones(2, 3)[autodiff.tensor([True, False, True])],
    lambda: autodiff.ones(2, 3)[:, autodiff.tensor([True, False])],
    lambda: autodiff.ones(2, 3, 4)[..., autodiff.tensor([True, False])],
    lambda: autodiff.ones(2, 3, 4)[autodiff.tensor([[True, False, True]])],
    lambda: autodiff.ones(2, 3, 4)[0, autodiff.tensor([[True, False]])],
    lambda: autodiff.tensor([autodiff.tensor([1.0, 2.0]), autodiff.tensor([3.0, 4.0])]),
    lambda: autodiff.tensor([autodiff.tensor([1, 2])]),
    lambda: autodiff.tensor(3.5)[0],
    lambda: autodiff.tensor(3.5)[0, 1],
    lambda: autodiff.tensor(2**63),
    lambda: autodiff.tensor(300, dtype=autodiff.uint8),
    lambda: autodiff.tensor("a"),
    lambda: autodiff.tensor([1, None]),
    lambda: autodiff.ones(2, 3).unflatten(1, (3, 2)),
    lambda: autodiff.nn.Unflatten(1, (2, 4))(autodiff.zeros(3, 10)),
    lambda: autodiff.nn.Linear(2, 3)(autodiff.zeros(4, 2, dtype=autodiff.float64)),
    lambda: autodiff.nn.Linear(2, 3, bias=False)(autodiff.zeros(4, 2, dtype=autodiff.float64)),
    lambda: "a" in autodiff.ones(2),
    lambda: autodiff.tensor([1, 2]) in autodiff.tensor([1, 2, 3]),
    lambda: autodiff.ones(2, requires_grad=True).resize_(3),
    lambda: autodiff.nn.ReLU()(),
    lambda: autodiff.nn.Tanh()(),
    lambda: autodiff.channel_shuffle(autodiff.ones(2), 2),
    lambda: autodiff.channel_shuffle(autodiff.ones(1, 4, 2), 0),
    lambda: autodiff.nn.ChannelShuffle(3)(autodiff.ones(1, 4, 2)),
    lambda: autodiff.device("foo"),
]


@pytest.mark.parametrize("fn", SAME_ERROR)
def test_same_error_as_torch(fn, torch):
    from _helpers import in_torch
    with pytest.raises(Exception) as ours:
        fn()
    with pytest.raises(Exception) as theirs:
        in_torch(fn, torch)()
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value).replace("torch", "autodiff")


INFERRED = ["np.float64(1.5)", "[np.float64(1.5), 2.0]", "[np.int32(1), np.int32(2)]",
            "[np.int32(1), 2.5]", "[np.int32(1), 2]", "[np.float32(1), np.float64(2)]",
            "np.int16(3)", "[np.float16(1), 2]", "[np.uint8(3), np.int8(-1)]",
            "[True, np.int8(2)]", "[autodiff.tensor([1.0]), autodiff.tensor([2.0])]",
            "[autodiff.tensor(1.0, dtype=autodiff.float64), 2]", "[autodiff.tensor(1), 2.5]",
            "[[autodiff.tensor(1.0), autodiff.tensor(2.0)]]", "[autodiff.tensor([[1.5]]), 2]",
            "[np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)]",
            "[1, 2.5, True]", "[[], []]"]


@pytest.mark.parametrize("data", INFERRED)
def test_tensor_infers_dtype_and_shape_like_torch(data, torch):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ours = autodiff.tensor(eval(data))
        theirs = torch.tensor(eval(data.replace("autodiff", "torch")))
    assert (ours.dtype.name, tuple(ours.shape), ours.tolist()) == \
        (str(theirs.dtype)[6:], tuple(theirs.shape), theirs.tolist())


SAME_VALUE = [
    lambda: 2 in autodiff.tensor([1, 2, 3]),
    lambda: 5 in autodiff.tensor([1, 2, 3]),
    lambda: autodiff.tensor(2) in autodiff.tensor([1, 2]),
    lambda: autodiff.ones(6).resize_(2, 3).tolist(),
    lambda: autodiff.arange(6.0).resize_(2, 2).tolist(),
    lambda: autodiff.ones(2, 2).t().resize_(4).tolist(),
    lambda: autodiff.channel_shuffle(autodiff.arange(12.0).reshape(1, 6, 2), 3).tolist(),
    lambda: autodiff.nn.functional.channel_shuffle(autodiff.arange(8.0).reshape(1, 4, 2), 2).tolist(),
    lambda: repr(autodiff.nn.ChannelShuffle(2)),
    lambda: (autodiff.backends.mps.is_available(), autodiff.backends.cudnn.is_available(),
             autodiff.backends.cudnn.enabled, autodiff.backends.cudnn.benchmark,
             autodiff.backends.cudnn.deterministic),
]


@pytest.mark.parametrize("fn", SAME_VALUE)
def test_same_value_as_torch(fn, torch):
    from _helpers import in_torch
    assert fn() == in_torch(fn, torch)()


def test_channel_shuffle_gradients():
    from autodiff.autograd import gradcheck, gradgradcheck
    x = autodiff.randn(2, 6, 3, dtype=autodiff.float64, requires_grad=True)
    assert gradcheck(lambda a: autodiff.channel_shuffle(a, 3), (x,))
    assert gradgradcheck(lambda a: autodiff.nn.ChannelShuffle(2)(a), (x,))
    assert autodiff.channel_shuffle(x, 2).grad_fn.name() == "ChannelShuffleBackward0"


def test_resize_keeps_storage_when_shrinking_and_bumps_the_version():
    x = autodiff.arange(6.0)
    view = x[:]
    assert x.resize_(2, 2) is x and x._version == 1 and view._version == 1
    x[0, 0] = 9.0
    assert view[0].item() == 9.0                      # still one storage
