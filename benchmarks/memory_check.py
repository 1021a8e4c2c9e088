"""Memory, not time: how convlab's peak allocation grows with the problem (NumPy, tracemalloc).

Three checks, each printed as a table and ended by an assert (exit status 1 if one fails):

1. Backward through ``reflect`` padding is linear in the length. The gradient of
   every padded position flows back to the position it copies; convlab sums the
   border period by period, so the peak grows with ``L``, not with ``L x padding``
   (a one-hot matrix of the border, as convlab once built, needs ``8 L p`` bytes:
   26.8 GiB for L = 180,000 and p = 59,999).
2. ``conv1d(x, w, dilation=10**9, padding=10**9)`` on five samples allocates no more
   than a small multiple of its output (PyTorch answers it in milliseconds); the
   padded input, 2 x 10**9 zeros, is never built.
3. Under ``set_memory_budget(1 MiB)`` the GEMM and FFT paths keep their scratch
   (peak minus the output) within the budget.

Run: ``python benchmarks/memory_check.py`` (about ten seconds). Only NumPy
allocations are traced (``tracemalloc`` sees NumPy's data buffers).
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np

import convlab


def peak_of(call):
    """``(result, peak bytes allocated during call, seconds)``."""
    tracemalloc.start()
    start = time.perf_counter()
    out = call()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, peak, seconds


def mib(n):
    return f"{n / 2**20:10.2f}"


def reflect_backward_is_linear():
    print("1. conv1d_backward through reflect padding (padding = L // 3, kernel 3, float64)")
    print(f"{'L':>9} {'padding':>8} {'peak MiB':>10} {'peak / L (B)':>13} {'one-hot MiB':>12}")
    per_sample = []
    for length in (10_000, 20_000, 40_000, 80_000, 160_000):
        pad = length // 3
        x, w = np.ones((1, 1, length)), np.ones((1, 1, 3))
        g = np.ones((1, 1, length + 2 * pad - 2))
        convlab.conv1d_backward(g[..., :14], x[..., :10], w, padding=3, padding_mode="reflect")  # warm up
        _, peak, _ = peak_of(lambda: convlab.conv1d_backward(g, x, w, padding=pad, padding_mode="reflect"))
        per_sample.append(peak / length)
        print(f"{length:>9} {pad:>8} {mib(peak)} {peak / length:>13.1f} {mib(8 * length * pad):>12}")
    spread = max(per_sample) / min(per_sample)
    print(f"   bytes per sample vary by a factor {spread:.2f} over a 16-fold length: linear\n")
    assert spread < 1.5, "peak memory is not linear in the length"


def huge_dilation_allocates_its_output():
    print("2. conv1d(x (1, 1, 5), w (1, 1, 3), dilation=10**9, padding=10**9)")
    x, w = np.arange(1.0, 6.0)[None, None], np.ones((1, 1, 3))
    y, peak, seconds = peak_of(lambda: convlab.conv1d(x, w, dilation=10**9, padding=10**9))
    print(f"   output {y.shape}, {y.nbytes} bytes; peak {peak} bytes; {seconds * 1e3:.1f} ms")
    print(f"   (the padded input would be {8 * (5 + 2 * 10**9) / 2**30:.1f} GiB)\n")
    assert peak <= 64 * y.nbytes + 4096, "the huge-dilation case allocated more than a few outputs"


def budget_bounds_scratch():
    print("3. scratch under set_memory_budget(1 MiB) (peak minus output and returned gradients)")
    budget = 1 << 20
    previous = convlab.set_memory_budget(budget)
    rng = np.random.default_rng(0)
    try:
        cases = {
            "gemm forward": (rng.standard_normal((2, 16, 3008)), rng.standard_normal((8, 16, 9)), "gemm"),
            "gemm backward": (rng.standard_normal((2, 16, 3008)), rng.standard_normal((8, 16, 9)), "back"),
            "fft forward": (rng.standard_normal((1, 4, 20000)), rng.standard_normal((4, 4, 128)), "fft"),
        }
        for name, (x, w, method) in cases.items():
            g = np.ones((x.shape[0], w.shape[0], x.shape[-1] - w.shape[-1] + 1))
            if method == "back":
                convlab.conv1d_backward(g[..., :50], x[..., :58], w)  # warm up
                out, peak, _ = peak_of(lambda: convlab.conv1d_backward(g, x, w, method="gemm"))
                kept = sum(a.nbytes for a in out if a is not None)
            else:
                convlab.conv1d(x[..., :300], w, method=method)  # warm up
                out, peak, _ = peak_of(lambda: convlab.conv1d(x, w, method=method))
                kept = out.nbytes
            print(f"   {name:14} scratch {mib(peak - kept)} MiB (budget {mib(budget)} MiB)")
            assert peak - kept <= budget, f"{name}: scratch over the budget"
    finally:
        convlab.set_memory_budget(previous)


if __name__ == "__main__":
    reflect_backward_is_linear()
    huge_dilation_allocates_its_output()
    budget_bounds_scratch()
    print("\nall memory checks passed")
