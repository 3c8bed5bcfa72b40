"""In-place view ops (``squeeze_``, ``unsqueeze_``, ``t_``, ``transpose_``)."""
import numpy as np
import pytest

import autodiff


def test_shape_changes_in_place_and_shares_storage():
    z = autodiff.arange(6.0).view(2, 3)
    arr = z.numpy()
    assert z.t_() is z
    assert z.shape == (3, 2) and not z.is_contiguous()
    z[0, 1] = 100.0
    assert arr[1, 0] == 100.0
    z.unsqueeze_(0).squeeze_(0)
    assert z.shape == (3, 2)
    assert z.transpose_(0, 1).shape == (2, 3)


def test_history_follows_the_tensor():
    x = autodiff.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y.unsqueeze_(0)
    assert y.shape == (1, 3) and y.grad_fn is not None
    (y * autodiff.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_leaf_requiring_grad_refuses():
    x = autodiff.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.unsqueeze_(0)
