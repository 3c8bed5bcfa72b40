"""Shared fixtures: the ``device`` parameter, a fixed seed per test, the optional ``torch``."""
import pytest

import autodiff
from autodiff.autograd.grad_mode import STATE
from autodiff.backend import cuda_available

_CUDA = pytest.param("cuda", marks=[pytest.mark.gpu, pytest.mark.skipif(
    not cuda_available(), reason="CUDA not available")])


@pytest.fixture(params=["cpu", _CUDA])
def device(request):
    """Run the test on the CPU and, where a GPU answers, on CUDA."""
    return request.param


@pytest.fixture(autouse=True)
def _fresh_state():
    """Every test starts from seed 0, float32 default dtype and grad mode on, and leaves them so."""
    autodiff.manual_seed(0)
    yield
    autodiff.set_default_dtype(autodiff.float32)
    STATE.enabled, STATE.inference = True, False


@pytest.fixture
def torch():
    """PyTorch, for parity tests (the test is skipped where it is not installed)."""
    return pytest.importorskip("torch")


def pytest_collection_modifyitems(items):
    """A test that asks for the ``torch`` fixture is a parity test: mark it ``torch``."""
    for item in items:
        if "torch" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.torch)
