"""The workloads: layer shapes, long-kernel grids, their inputs and one callable per implementation."""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import inspect
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from .environment import *  # noqa: F401,F403

# The array libraries, set by environment.load_libraries() in every convbench module
# (BLAS reads its thread variables at import, so nothing imports numpy before that).
np = convlab = sp_signal = torch = cupy = None

# ---------------------------------------------------------------------------------------
# Workloads
# ---------------------------------------------------------------------------------------

# The layer workloads of the issue. Output size per axis: (L + 2p - k) // s + 1.
LAYERS = [
    dict(name="conv1d-B2-s1", ndim=1, N=32, C_in=16, C_out=32, spatial=(4096,), k=(9,), stride=1, padding=4),
    dict(name="conv1d-B2-s2", ndim=1, N=32, C_in=16, C_out=32, spatial=(4096,), k=(9,), stride=2, padding=4),
    dict(name="conv2d-C3", ndim=2, N=16, C_in=3, C_out=64, spatial=(64, 64), k=(3, 3), stride=1, padding=1),
    dict(name="conv2d-C64", ndim=2, N=16, C_in=64, C_out=64, spatial=(64, 64), k=(3, 3), stride=1, padding=1),
]

LONG_L_FULL = (10**3, 10**4, 10**5, 10**6)
LONG_K_FULL = (5, 17, 65, 257, 1025)
LONG_L_QUICK = (10**4, 10**6)
LONG_K_QUICK = (5, 1025)
CONV1D_LONG = ((10**5, 1025), (10**6, 1025))  # conv1d on a (1, 1, L) batch, kernel (1, 1, K)
CONV1D_LONG_QUICK = ((10**6, 1025),)
MEMORY_CHECK = (10**7, 1025)  # convolve, timed once, must peak below 1 GB

# The tap-loop ("direct") and the im2col ("gemm") paths are O(L*K) with a large constant:
# past this many multiply-adds per call they are skipped for long kernels (a note says so).
SLOW_PATH_MAX_MACS = 1.1e8
# PyTorch's conv1d on one channel with a long kernel is no FFT: ~3 s at 1e6 x 1025.
TORCH_LONG_MAX_MACS = 1.1e8

TOL = {"float32": 1e-4, "float64": 1e-10}  # max |a - b| / max |b| against the reference


def fmt_sci(n: int) -> str:
    e = round(math.log10(n))
    return f"1e{e}" if 10**e == n else str(n)


def layer_out(spec):
    return tuple(
        (n + 2 * spec["padding"] - k) // spec["stride"] + 1 for n, k in zip(spec["spatial"], spec["k"])
    )


def layer_methods_for(spec, methods):
    """The methods that apply to a layer: Winograd only for 3-tap / 3x3 kernels at stride 1."""
    fits = set(spec["k"]) == {3} and spec["stride"] == 1 and spec["ndim"] < 3
    return [m for m in methods if m != "winograd" or fits]


def layer_flops(spec) -> float:
    """Forward multiply-adds x 2: 2 * N * C_out * (C_in/groups) * prod(k) * prod(out)."""
    return 2.0 * spec["N"] * spec["C_out"] * spec["C_in"] * math.prod(spec["k"]) * math.prod(layer_out(spec))


def gemm_shape(spec):
    """The GEMM the forward lowers to: (C_out x C_in*K) @ (C_in*K x N*P)."""
    ck = spec["C_in"] * math.prod(spec["k"])
    return spec["C_out"], ck, spec["N"] * math.prod(layer_out(spec))


# ---------------------------------------------------------------------------------------
# Layer workloads
# ---------------------------------------------------------------------------------------


def layer_inputs(spec, dtype):
    rng = np.random.default_rng(0)
    dt = np.dtype(dtype)
    x = rng.standard_normal((spec["N"], spec["C_in"]) + spec["spatial"], dtype=dt)
    fan_in = spec["C_in"] * math.prod(spec["k"])
    w = rng.standard_normal((spec["C_out"], spec["C_in"]) + spec["k"], dtype=dt) / dt.type(math.sqrt(fan_in))
    b = rng.standard_normal(spec["C_out"], dtype=dt)
    g = rng.standard_normal((spec["N"], spec["C_out"]) + layer_out(spec), dtype=dt)
    return dict(x=x, w=w, b=b, g=g)


def layer_impl(spec, arrays, phase, impl, xp_lib="numpy"):
    """One callable for ``impl`` in {convlab:<method>, torch, matmul}; returns outputs to check."""
    nd = spec["ndim"]
    kw = dict(stride=spec["stride"], padding=spec["padding"])
    x, w, b, g = arrays["x"], arrays["w"], arrays["b"], arrays["g"]
    if impl.startswith("convlab:"):
        method = impl.split(":", 1)[1]
        mkw = kw_method(None if method == "default" else method) if layer_methods() != [None] else {}
        fwd = getattr(convlab, f"conv{nd}d")
        bwd = getattr(convlab, f"conv{nd}d_backward")
        if phase == "fwd":
            return lambda: [fwd(x, w, b, **kw, **mkw)]

        def fwd_bwd():
            fwd(x, w, b, **kw, **mkw)
            return list(bwd(g, x, w, b, **kw, **mkw))

        return fwd_bwd
    if impl == "torch":
        F = torch.nn.functional
        conv = getattr(F, f"conv{nd}d")
        xt, wt, bt, gt = (torch.as_tensor(a) for a in (x, w, b, g))
        if xp_lib == "cupy":
            xt, wt, bt, gt = (torch.as_tensor(a, device="cuda") for a in (x, w, b, g))
        if phase == "fwd":

            def torch_fwd():
                with torch.no_grad():
                    return [conv(xt, wt, bt, **kw)]

            return torch_fwd
        leaves = [t.detach().clone().requires_grad_(True) for t in (xt, wt, bt)]

        def torch_fwd_bwd():
            for t in leaves:
                t.grad = None
            y = conv(*leaves, **kw)
            y.backward(gt)
            return [t.grad for t in leaves]

        return torch_fwd_bwd
    if impl == "matmul":
        m, kk, n = gemm_shape(spec)
        xpm = cupy if xp_lib == "cupy" else np
        rng = np.random.default_rng(1)
        a = xpm.asarray(rng.standard_normal((m, kk), dtype=x.dtype))
        bb = xpm.asarray(rng.standard_normal((kk, n), dtype=x.dtype))
        return lambda: (a @ bb, None)[1]
    raise ValueError(impl)



# ---------------------------------------------------------------------------------------
# Long-kernel workloads
# ---------------------------------------------------------------------------------------


def signal_inputs(L, K, dtype):
    rng = np.random.default_rng(0)
    return rng.standard_normal(L, dtype=np.dtype(dtype)), rng.standard_normal(K, dtype=np.dtype(dtype))


def convolve_impl(x, w, impl):
    """``full`` convolution of x with w by ``impl``; returns outputs to check."""
    if impl.startswith("convlab:"):
        method = impl.split(":", 1)[1]
        mkw = kw_method(method) if signal_methods() != [None] else {}
        return lambda: [convlab.convolve(x, w, **mkw)]
    if impl == "numpy.convolve":
        return lambda: [np.convolve(x, w)]
    if impl == "scipy.oaconvolve":
        return lambda: [sp_signal.oaconvolve(x, w)]
    if impl == "scipy.convolve":
        return lambda: [sp_signal.convolve(x, w)]  # method="auto": direct or one big FFT
    if impl == "torch":
        xt = torch.as_tensor(x).reshape(1, 1, -1)
        wt = torch.flip(torch.as_tensor(w), (0,)).reshape(1, 1, -1)

        def torch_full():
            with torch.no_grad():
                return [torch.nn.functional.conv1d(xt, wt, padding=w.shape[0] - 1).reshape(-1)]

        return torch_full
    raise ValueError(impl)


def conv1d_long_impl(x, w, impl):
    """conv1d on a (1, 1, L) batch with a (1, 1, K) kernel, no padding: L - K + 1 outputs."""
    x3, w3 = x.reshape(1, 1, -1), w.reshape(1, 1, -1)
    if impl.startswith("convlab:"):
        method = impl.split(":", 1)[1]
        mkw = kw_method(method) if conv1d_long_methods() != [None] else {}
        return lambda: [convlab.conv1d(x3, w3, **mkw).reshape(-1)]
    if impl == "scipy.oaconvolve":  # the same cross-correlation: reversed kernel, valid part
        wr = np.ascontiguousarray(w[::-1])
        return lambda: [sp_signal.oaconvolve(x, wr, mode="valid")]
    if impl == "numpy.convolve":
        wr = np.ascontiguousarray(w[::-1])
        return lambda: [np.convolve(x, wr, mode="valid")]
    if impl == "torch":
        xt, wt = torch.as_tensor(x3), torch.as_tensor(w3)

        def torch_valid():
            with torch.no_grad():
                return [torch.nn.functional.conv1d(xt, wt).reshape(-1)]

        return torch_valid
    raise ValueError(impl)


def long_names(methods, L, K, kind, notes):
    names = []
    for m in methods:
        if m in ("direct", "gemm") and L * K > SLOW_PATH_MAX_MACS:
            notes.add(f"convlab method={m} skipped for long kernels above {SLOW_PATH_MAX_MACS:.1e} "
                      "multiply-adds per call (it is O(L*K): seconds per call)")
            continue
        names.append(impl_name(m))
    if sp_signal is not None:
        names.append("scipy.oaconvolve")
        if kind == "convolve":
            names.append("scipy.convolve")
    names.append("numpy.convolve")
    if torch is not None:
        if L * K > TORCH_LONG_MAX_MACS:
            notes.add(f"torch conv1d skipped for long kernels above {TORCH_LONG_MAX_MACS:.1e} multiply-adds "
                      "(no FFT path: ~3 s per call at 1e6 x 1025)")
        else:
            names.append("torch")
    return names
