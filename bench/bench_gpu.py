"""GPU benchmarks: autodiff on CUDA (CuPy) vs autodiff on the CPU, and vs torch on CUDA.

G1  an MLP training step 784-1024-1024-10, batch 512 (forward, cross-entropy, backward, SGD)
G2  conv2d forward + backward, input 64x32x32x32, 64 filters 3x3, padding 1
Targets: autodiff-CUDA >= 10x faster than autodiff-CPU; autodiff-CUDA <= 3x torch-CUDA.

Every timing waits for the device (``autodiff.cuda.synchronize`` / ``torch.cuda.synchronize``)
before reading the clock, after warm-up calls (CuPy compiles its kernels on first use).
Prints medians and ratios; asserts nothing. On a machine without a CUDA device it says so and
exits cleanly. Run: ``python bench/bench_gpu.py`` (with the GPU tests:
``pytest lib/tests/test_cuda.py -m gpu && python bench/bench_gpu.py``).
"""
from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import autodiff  # noqa: E402
import autodiff.nn as nn  # noqa: E402
import autodiff.nn.functional as F  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

MLP_SIZES, MLP_BATCH = (784, 1024, 1024, 10), 512
CONV_INPUT, CONV_OUT, CONV_K = (64, 32, 32, 32), 64, 3


def timed(fn, sync, repeat, warmup=3):
    """Median seconds per call of ``fn``, each call closed by ``sync`` (device finished)."""
    for _ in range(warmup):                  # kernel compilation, memory pools, caches
        fn()
    sync()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        sync()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def _no_sync():
    pass


# ---- G1: MLP training step ----------------------------------------------------------------------
def mlp_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((MLP_BATCH, MLP_SIZES[0])).astype(np.float32)
    y = rng.integers(0, MLP_SIZES[-1], MLP_BATCH)
    return x, y


def autodiff_mlp_step(device):
    autodiff.manual_seed(0)
    sizes = MLP_SIZES
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(sizes) - 2 else [])
    model = nn.Sequential(*layers).to(device)
    opt = autodiff.optim.SGD(model.parameters(), lr=0.01)
    x, y = mlp_data()
    x, y = autodiff.tensor(x, device=device), autodiff.tensor(y, device=device)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return step


def torch_mlp_step():
    torch.manual_seed(0)
    sizes = MLP_SIZES
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [torch.nn.Linear(a, b)] + ([torch.nn.ReLU()] if i < len(sizes) - 2 else [])
    model = torch.nn.Sequential(*layers).cuda()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = mlp_data()
    x, y = torch.tensor(x, device="cuda"), torch.tensor(y, device="cuda")

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return step


# ---- G2: conv2d forward + backward --------------------------------------------------------------
def conv_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(CONV_INPUT).astype(np.float32)
    w = (rng.standard_normal((CONV_OUT, CONV_INPUT[1], CONV_K, CONV_K)) * 0.1).astype(np.float32)
    return x, w, np.zeros(CONV_OUT, np.float32)


def conv_step(lib, device):
    """conv2d forward and backward with ``lib`` (autodiff or torch) on ``device``."""
    x, w, b = (lib.tensor(a, device=device, requires_grad=True) for a in conv_data())
    conv2d = lib.nn.functional.conv2d

    def step():
        for t in (x, w, b):
            t.grad = None
        conv2d(x, w, b, padding=1).sum().backward()
    return step


# ---- report -------------------------------------------------------------------------------------
def report(name, ad_gpu, ad_cpu, torch_gpu):
    parts = [f"autodiff-CUDA {ad_gpu * 1e3:8.2f} ms", f"autodiff-CPU {ad_cpu * 1e3:9.2f} ms"]
    if torch_gpu is not None:
        parts.append(f"torch-CUDA {torch_gpu * 1e3:7.2f} ms")
    print(f"{name}: " + ", ".join(parts))
    speedup = ad_cpu / ad_gpu
    print(f"    autodiff-CPU / autodiff-CUDA = {speedup:6.1f}x   "
          f"(target >= 10x: {'met' if speedup >= 10 else 'NOT met'})")
    if torch_gpu is not None:
        r = ad_gpu / torch_gpu
        print(f"    autodiff-CUDA / torch-CUDA   = {r:6.2f}x   "
              f"(target <= 3x: {'met' if r <= 3 else 'NOT met'})")


def main():
    if not autodiff.cuda.is_available():
        print("No CUDA device answers (CuPy missing, no driver or no GPU): GPU benchmarks "
              "skipped.")
        return 0
    torch_cuda = torch is not None and torch.cuda.is_available()
    print(f"GPU: {autodiff.cuda.get_device_name(0)}; CPU: {os.cpu_count()} cores; torch CUDA: "
          f"{torch.__version__ if torch_cuda else 'not available'}")
    sync_ad = autodiff.cuda.synchronize
    sync_torch = torch.cuda.synchronize if torch_cuda else None

    g1 = (timed(autodiff_mlp_step("cuda"), sync_ad, 50),
          timed(autodiff_mlp_step("cpu"), _no_sync, 5, warmup=1),
          timed(torch_mlp_step(), sync_torch, 50) if torch_cuda else None)
    report(f"G1 MLP step {'-'.join(map(str, MLP_SIZES))} batch {MLP_BATCH}", *g1)

    g2 = (timed(conv_step(autodiff, "cuda"), sync_ad, 30),
          timed(conv_step(autodiff, "cpu"), _no_sync, 3, warmup=1),
          timed(conv_step(torch, "cuda"), sync_torch, 30) if torch_cuda else None)
    report(f"G2 conv2d fwd+bwd {'x'.join(map(str, CONV_INPUT))} -> {CONV_OUT} filters "
           f"{CONV_K}x{CONV_K}", *g2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
