"""Where Winograd beats the GEMM path: the table beside ``convlab._winograd.wins``.

For 3x3 layers at stride 1 with C_out = C_in and N * H * W = 16384 output
positions, times one forward plus backward in float32 with ``method="gemm"`` and
with ``method="winograd"``, alternating, and prints the ratio of their minimum
times (below 1: Winograd faster). Timings, never assertions; on a shared machine
two runs a few minutes apart can differ by 0.2, so run it more than once.

    python benchmarks/winograd_crossover.py                  # the full table (about 1 minute)
    python benchmarks/winograd_crossover.py --channels 64,128 --sides 32,64
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import convlab


def layer(rng, c, side, method):
    n = max(1, 16384 // (side * side))
    x = rng.standard_normal((n, c, side, side), dtype=np.float32)
    w = (rng.standard_normal((c, c, 3, 3)) * 0.05).astype(np.float32)
    g = rng.standard_normal((n, c, side, side), dtype=np.float32)

    def run():
        convlab.conv2d(x, w, padding=1, method=method)
        convlab.conv2d_backward(g, x, w, padding=1, method=method)

    return run


def ratio(rng, c, side, repeats):
    fns = {m: layer(rng, c, side, m) for m in ("gemm", "winograd")}
    times = {m: [] for m in fns}
    for fn in fns.values():
        fn()  # first call: imports, allocations
    for _ in range(repeats):
        for m, fn in fns.items():
            time.sleep(0.05)  # let the other path's threads go quiet
            t0 = time.perf_counter()
            fn()
            times[m].append(time.perf_counter() - t0)
    return min(times["winograd"]) / min(times["gemm"])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--channels", default="16,32,64,128", help="C_in = C_out values (comma-separated)")
    p.add_argument("--sides", default="8,16,32,64", help="output sides (comma-separated)")
    p.add_argument("--repeats", type=int, default=5, help="alternating runs per cell (minimum taken)")
    args = p.parse_args(argv)
    rng = np.random.default_rng(20261207)
    channels = [int(v) for v in args.channels.split(",")]
    sides = [int(v) for v in args.sides.split(",")]
    print("Winograd time / gemm time, float32 fwd+bwd, C_out = C_in, N*H*W = 16384")
    print(f"{'C_in':>6} | " + " ".join(f"{s:>3}x{s:<3}" for s in sides))
    for c in channels:
        print(f"{c:>6} | " + " ".join(f"{ratio(rng, c, s, args.repeats):7.2f}" for s in sides), flush=True)
    print(f"auto takes winograd from {convlab._winograd.WINOGRAD_MIN_CHANNELS} input channels per group "
          f"and outputs of {convlab._winograd.WINOGRAD_MIN_SIDE}x{convlab._winograd.WINOGRAD_MIN_SIDE}")


if __name__ == "__main__":
    main()
