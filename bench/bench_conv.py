"""Conv2d forward + backward (input 64x3x32x32, 32 filters 3x3, padding 1) and a 2x2 max pool,
vs torch CPU (target <= 2x), one BLAS thread each.

Run on its own or through ``bench/run.py``.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from run import autodiff, timeit, torch  # noqa: E402  (first: it limits BLAS threads)

import numpy as np  # noqa: E402

N, C, H, W, OUT, K = 64, 3, 32, 32, 32, 3


def _case(name, make_ad, make_torch, target):
    times = {"autodiff": timeit(make_ad, repeat=10)}
    if torch is not None:
        times["torch"] = timeit(make_torch, repeat=10)
    line = ", ".join(f"{k} {v * 1e3:8.2f} ms" for k, v in times.items())
    print(f"{name}: {line}")
    if "torch" in times:
        r = times["autodiff"] / times["torch"]
        met = "met" if r <= target else "NOT met"
        print(f"    autodiff / torch  = {r:5.2f}x   (target <= {target}x: {met})")


def main():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    autodiff.manual_seed(0)
    conv = autodiff.nn.Conv2d(C, OUT, K, padding=1)
    xa = autodiff.tensor(x, requires_grad=True)
    tconv = torch.nn.Conv2d(C, OUT, K, padding=1) if torch is not None else None
    xt = torch.tensor(x, requires_grad=True) if torch is not None else None

    def conv_ad():
        conv(xa).sum().backward()

    def conv_torch():
        tconv(xt).sum().backward()
    _case(f"conv2d {N}x{C}x{H}x{W}, {OUT} filters {K}x{K} fwd+bwd", conv_ad, conv_torch, 2)

    y = rng.standard_normal((N, OUT, H, W)).astype(np.float32)
    ya = autodiff.tensor(y, requires_grad=True)
    yt = torch.tensor(y, requires_grad=True) if torch is not None else None

    def pool_ad():
        autodiff.nn.functional.max_pool2d(ya, 2).sum().backward()

    def pool_torch():
        torch.nn.functional.max_pool2d(yt, 2).sum().backward()
    _case(f"max_pool2d 2x2 on {N}x{OUT}x{H}x{W} fwd+bwd", pool_ad, pool_torch, 2)


if __name__ == "__main__":
    main()
