"""Benchmarks of autodiff against plain NumPy and (when installed) PyTorch, in one run.

P1  a chain of 50 small-tensor ops, forward + backward, vs torch CPU      (target <= 1.5x)
P2  an MLP training step 784-256-10, batch 128, vs hand-written NumPy      (target <= 1.2x)
    and vs torch CPU
Run: ``make bench`` (or ``python bench/run.py``). Prints medians and ratios; asserts nothing.
"""
from __future__ import annotations

import os
import sys
import time

# One BLAS thread for NumPy and torch alike: the comparison is per core, and several BLAS
# threads on a busy 2-core machine spin against each other (10-100x slower small products).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import autodiff  # noqa: E402

try:
    import torch
    torch.set_num_threads(1)
except ImportError:
    torch = None


def timeit(fn, repeat=30, number=None):
    """Best seconds per call over ``repeat`` samples of ``number`` calls, after a warm-up.

    The minimum, as Python's timeit advises: noise from other processes only adds time."""
    fn()
    if number is None:
        t0 = time.perf_counter()
        fn()
        number = max(1, int(0.02 / max(time.perf_counter() - t0, 1e-7)))
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return min(samples)


# ---- P1: 50-op chain on small tensors ---------------------------------------------------------
def chain(lib, x):
    y = x
    for i in range(10):                          # 5 ops per round, 10 rounds = 50 ops
        y = y * 1.01
        y = y + 0.1
        y = y.sin()
        y = y * x
        y = y.tanh()
    return y.sum()


def timeit_together(fns: dict, repeat=30):
    """``timeit`` for several functions whose samples alternate (a, b, a, b, ...), so that a
    busy spell of the machine slows them alike: the best seconds per call of each."""
    number = {}
    for name, fn in fns.items():
        fn()
        t0 = time.perf_counter()
        fn()
        number[name] = max(1, int(0.02 / max(time.perf_counter() - t0, 1e-7)))
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(number[name]):
                fn()
            best[name] = min(best[name], (time.perf_counter() - t0) / number[name])
    return best


def p1():
    data = np.random.default_rng(0).standard_normal(16).astype(np.float32)

    def run_ad():
        x = autodiff.tensor(data, requires_grad=True)
        chain(autodiff, x).backward()

    fns = {"autodiff": run_ad}
    if torch is not None:
        def run_torch():
            x = torch.tensor(data, requires_grad=True)
            chain(torch, x).backward()
        fns["torch"] = run_torch
    return timeit_together(fns)


# ---- P2: one MLP training step ----------------------------------------------------------------
B, IN, HID, OUT, LR = 128, 784, 256, 10, 0.1


def mlp_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, IN)).astype(np.float32)
    y = rng.integers(0, OUT, B)
    w1 = (rng.standard_normal((IN, HID)) * 0.05).astype(np.float32)
    w2 = (rng.standard_normal((HID, OUT)) * 0.05).astype(np.float32)
    return x, y, w1, np.zeros(HID, np.float32), w2, np.zeros(OUT, np.float32)


def numpy_step(x, y, w1, b1, w2, b2):
    """Forward, cross-entropy, backward and SGD update written by hand."""
    h_pre = x @ w1 + b1
    h = np.maximum(h_pre, 0)
    logits = h @ w2 + b2
    m = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - m)
    s = e.sum(axis=1, keepdims=True)
    logp = logits - m - np.log(s)
    loss = -logp[np.arange(B), y].mean()
    g = e / s
    g[np.arange(B), y] -= 1
    g /= B
    gw2, gb2 = h.T @ g, g.sum(0)
    gh = g @ w2.T
    gh[h_pre <= 0] = 0
    gw1, gb1 = x.T @ gh, gh.sum(0)
    for p, gp in ((w1, gw1), (b1, gb1), (w2, gw2), (b2, gb2)):
        p -= LR * gp
    return loss


def p2():
    x, y, w1, b1, w2, b2 = mlp_data()
    fns = {"numpy": lambda: numpy_step(x, y, w1, b1, w2, b2)}

    F = autodiff.nn.functional
    X, Y = autodiff.tensor(x), autodiff.tensor(y)
    params = [autodiff.tensor(a, requires_grad=True) for a in mlp_data()[2:]]
    opt = autodiff.optim.SGD(params, lr=LR)

    def ad_step():
        W1, B1, W2, B2 = params
        opt.zero_grad()
        loss = F.cross_entropy((X @ W1 + B1).relu() @ W2 + B2, Y)
        loss.backward()
        opt.step()
    fns["autodiff"] = ad_step

    if torch is not None:
        Xt, Yt = torch.tensor(x), torch.tensor(y)
        tparams = [torch.tensor(a, requires_grad=True) for a in mlp_data()[2:]]
        topt = torch.optim.SGD(tparams, lr=LR)

        def torch_step():
            W1, B1, W2, B2 = tparams
            topt.zero_grad()
            loss = torch.nn.functional.cross_entropy((Xt @ W1 + B1).relu() @ W2 + B2, Yt)
            loss.backward()
            topt.step()
        fns["torch"] = torch_step
    return timeit_together(fns)


def report(name, times, base, target):
    line = ", ".join(f"{k} {v * 1e6:9.1f} us" for k, v in times.items())
    print(f"{name}: {line}")
    for ref in base:
        if ref in times:
            ratio = times["autodiff"] / times[ref]
            mark = "" if ref != base[0] else f"   (target <= {target}x: {'met' if ratio <= target else 'NOT met'})"
            print(f"    autodiff / {ref:6s} = {ratio:5.2f}x{mark}")


def main():
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'} "
          f"(1 thread), autodiff {autodiff.__version__}")
    report("P1 50-op chain fwd+bwd", p1(), ["torch"], 1.5)
    report("P2 MLP step 784-256-10 b128", p2(), ["numpy", "torch"], 1.2)
    for extra in ("bench_conv", "bench_rnn"):
        path = os.path.join(os.path.dirname(__file__), extra + ".py")
        if os.path.exists(path):
            import runpy
            runpy.run_path(path, run_name="__main__")


if __name__ == "__main__":
    main()
