"""LSTM forward + backward (seq 50, batch 32, input 64, hidden 64) vs torch CPU (target <= 3x).

Run on its own or through ``bench/run.py``.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from run import autodiff, timeit, torch  # noqa: E402  (first: it limits BLAS threads)

import numpy as np  # noqa: E402

SEQ, BATCH, IN, HID = 50, 32, 64, 64


def main():
    x = np.random.default_rng(0).standard_normal((SEQ, BATCH, IN)).astype(np.float32)
    times = {}
    autodiff.manual_seed(0)
    lstm = autodiff.nn.LSTM(IN, HID)
    xa = autodiff.tensor(x)

    def run_ad():
        out, _ = lstm(xa)
        out.sum().backward()
    times["autodiff"] = timeit(run_ad, repeat=5)
    if torch is not None:
        tl = torch.nn.LSTM(IN, HID)
        xt = torch.tensor(x)

        def run_torch():
            out, _ = tl(xt)
            out.sum().backward()
        times["torch"] = timeit(run_torch, repeat=5)
    line = ", ".join(f"{k} {v * 1e3:8.2f} ms" for k, v in times.items())
    print(f"LSTM seq{SEQ} b{BATCH} h{HID} fwd+bwd: {line}")
    if "torch" in times:
        r = times["autodiff"] / times["torch"]
        print(f"    autodiff / torch  = {r:5.2f}x   (target <= 3x: {'met' if r <= 3 else 'NOT met'})")


if __name__ == "__main__":
    main()
