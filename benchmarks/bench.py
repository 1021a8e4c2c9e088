#!/usr/bin/env python3
"""convlab benchmark suite: timings and memory, never assertions.

Run from the repository root (``make bench`` does this inside the venv)::

    python benchmarks/bench.py                 # full suite, float32 and float64 (~5-10 min on 2 cores)
    python benchmarks/bench.py --quick         # smoke run (~1 min)
    python benchmarks/bench.py --dtype float32 --workloads conv2d,long-conv1d

Every workload is timed for convlab and for the references (PyTorch CPU when it is
installed, ``numpy.convolve``, ``scipy.signal.oaconvolve`` / ``scipy.signal.convolve``)
in the SAME process and in interleaved rounds, so the ratios convlab/reference are
comparable even on a noisy shared machine; absolute times are not. Peak memory is
measured separately, one fresh subprocess per measurement. The Markdown table is
printed to stdout and written, with the raw JSON, to ``--out`` (see
benchmarks/README.md for what every column means).

On a machine where ``cupy.cuda.is_available()``, the layer workloads also run on CuPy
arrays against PyTorch on CUDA (cuDNN).
"""

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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
MALLOC_VARS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_ARENA_MAX", "MALLOC_TOP_PAD_")
MiB = 2**20
# --malloc tuned: fixed glibc thresholds (32 MiB is the largest mmap threshold glibc accepts on
# 64-bit). Set explicitly, they also switch off glibc's *dynamic* mmap threshold, which otherwise
# rises with every large free() and makes PyTorch's times depend on what ran before it.
TUNED_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(32 * MiB), "MALLOC_TRIM_THRESHOLD_": str(4 * 2**30)}
MALLOC_MARK = "CONVLAB_BENCH_SET_MALLOC"
GB = 10**9

# Filled by load_libraries(), after the thread environment is set (BLAS reads it at import).
np = None
convlab = None
sp_signal = None
torch = None
cupy = None
LIB_NOTES: list[str] = []

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


def layer_flops(spec) -> float:
    """Forward multiply-adds x 2: 2 * N * C_out * (C_in/groups) * prod(k) * prod(out)."""
    return 2.0 * spec["N"] * spec["C_out"] * spec["C_in"] * math.prod(spec["k"]) * math.prod(layer_out(spec))


def gemm_shape(spec):
    """The GEMM the forward lowers to: (C_out x C_in*K) @ (C_in*K x N*P)."""
    ck = spec["C_in"] * math.prod(spec["k"])
    return spec["C_out"], ck, spec["N"] * math.prod(layer_out(spec))


# ---------------------------------------------------------------------------------------
# Environment and libraries
# ---------------------------------------------------------------------------------------


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def set_thread_env(requested):
    """Pin every BLAS/OpenMP pool to one count BEFORE numpy/torch are imported."""
    before = {v: os.environ.get(v) for v in THREAD_VARS}
    if requested:
        n, source = requested, "--threads"
    elif (os.environ.get("OMP_NUM_THREADS") or "").isdigit():
        n, source = int(os.environ["OMP_NUM_THREADS"]), "OMP_NUM_THREADS from the environment"
    else:
        n, source = cores(), "all cores (default)"
    for v in THREAD_VARS:
        os.environ[v] = str(n)
    return n, source, before


def load_libraries(threads: int, want_torch: bool = True, want_scipy: bool = True):
    global np, convlab, sp_signal, torch, cupy
    import numpy

    np = numpy
    try:
        import convlab as cl
    except ImportError:  # run from a checkout without `pip install -e .`
        sys.path.insert(0, str(ROOT))
        import convlab as cl

        LIB_NOTES.append(f"convlab imported from {ROOT} (not installed in this interpreter)")
    convlab = cl
    if want_scipy:
        try:
            import scipy.signal

            sp_signal = scipy.signal
        except ImportError:
            LIB_NOTES.append("SciPy is not installed: scipy columns skipped")
    if want_torch:
        try:
            import torch as t

            t.set_num_threads(threads)
            torch = t
        except ImportError:
            LIB_NOTES.append("PyTorch is not installed: torch columns skipped (make bench WITH_TORCH=1)")
    try:
        import cupy as c

        if c.cuda.is_available():
            cupy = c
    except Exception:  # not installed, or no driver
        pass


def has_method(fn) -> bool:
    try:
        return "method" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def layer_methods():
    """convlab methods timed for the layers; [None] (the default call) without method=."""
    if has_method(convlab.conv1d) and has_method(convlab.conv1d_backward):
        return ["auto", "direct", "gemm"]
    return [None]


def signal_methods():
    if has_method(convlab.convolve):
        return ["auto", "direct", "fft"]
    return [None]


def conv1d_long_methods():
    if has_method(convlab.conv1d):
        return ["auto", "direct", "gemm", "fft"]
    return [None]


def impl_name(method):
    return "convlab:auto" if method is None else f"convlab:{method}"


def kw_method(method):
    return {} if method is None else {"method": method}


def environment(threads, source, before, args):
    env = {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": platform.node(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cores": cores(),
        "cpu_count": os.cpu_count(),
        "threads": threads,
        "threads_source": source,
        "thread_env_before": before,
        "malloc_env": {v: os.environ.get(v) for v in MALLOC_VARS if os.environ.get(v) is not None},
        "loadavg_start": os.getloadavg(),
        "numpy": np.__version__,
        "blas": blas_info(),
        "convlab": getattr(convlab, "__version__", "?"),
        "convlab_file": getattr(convlab, "__file__", "?"),
        "convlab_git": git_describe() if Path(getattr(convlab, "__file__", "/")).resolve().is_relative_to(ROOT)
        else "not this checkout",
        "cpu_times_start": cpu_times(),
        "convlab_method_kw": has_method(convlab.conv1d),
        "memory_budget": convlab.memory_budget() if hasattr(convlab, "memory_budget") else None,
        "scipy": sp_signal and __import__("scipy").__version__,
        "torch": torch and torch.__version__,
        "torch_threads": torch and torch.get_num_threads(),
        "cupy": cupy and cupy.__version__,
        "argv": sys.argv[1:],
        "quick": args.quick,
    }
    return env


def cpu_model() -> str:
    model, flags = platform.processor() or "?", ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model in ("?", "", "x86_64"):
                    model = line.split(":", 1)[1].strip()
                elif line.startswith("flags") and not flags:
                    fl = line.split(":", 1)[1].split()
                    flags = "AVX-512" if "avx512f" in fl else ("AVX2" if "avx2" in fl else "")
    except OSError:
        pass
    return f"{model} ({flags})" if flags else model


def cpu_times():
    """(busy, steal, total) jiffies from /proc/stat: steal = time the hypervisor gave to other guests."""
    try:
        with open("/proc/stat") as f:
            v = [int(t) for t in f.readline().split()[1:]]
        return v[0] + v[1] + v[2], v[7] if len(v) > 7 else 0, sum(v)
    except (OSError, ValueError, IndexError):
        return None


def blas_info() -> str:
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        simd = cfg.get("SIMD Extensions", {}).get("found", [])
        text = f"{blas.get('name')} {blas.get('version')}"
        if blas.get("openblas configuration"):
            text += f" [{blas['openblas configuration']}]"
        if simd:
            text += f"; numpy SIMD: {', '.join(simd)}"
        return text
    except Exception as exc:  # older numpy
        return f"unknown ({type(exc).__name__})"


def git_describe() -> str:
    try:
        rev = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "convlab"],
            capture_output=True, text=True, timeout=10,
        ).stdout.strip()
        return f"{rev}{' + uncommitted changes in convlab/' if dirty else ''}" if rev else "?"
    except Exception:
        return "?"


# ---------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------


class Config:
    def __init__(self, args):
        self.quick = args.quick
        self.repeats = args.repeats or (3 if args.quick else 7)
        self.min_repeats = min(self.repeats, 3 if args.quick else 5)
        self.budget_s = args.budget if args.budget else (0.5 if args.quick else 3.0)  # per implementation
        self.min_sample_s = 0.005  # tiny calls are looped so one sample lasts >= 5 ms
        self.switch_pause_s = args.switch_pause


def no_sync():
    pass


def pool(name):
    """The thread pool an implementation computes on: PyTorch's OpenMP pool or OpenBLAS's."""
    return "torch" if name == "torch" else "numpy"


class PoolSwitch:
    """Sleep before a call whose thread pool differs from the previous call's.

    After a call, OpenBLAS's workers and PyTorch's OpenMP workers keep spinning for up to
    ~0.1 s before they sleep. A call on the OTHER pool during that window shares the cores
    with spinning threads: measured here, PyTorch's conv2d ran 2-4x slower right after a NumPy
    matmul and vice versa; a 0.15 s pause removed it. Calls on the same pool don't compete.
    """

    def __init__(self, pause_s):
        self.pause_s, self.last = pause_s, None

    def __call__(self, name):
        if self.last is not None and pool(name) != self.last and self.pause_s > 0:
            time.sleep(self.pause_s)
        self.last = pool(name)


def time_interleaved(impls, cfg, sync=no_sync, check=None):
    """Time every callable in ``impls`` (name -> fn) in interleaved rounds.

    Per implementation: one first call (its output goes to ``check``), one warm-up call
    (skipped when the first took > 1 s), then ``n`` samples where ``n`` is ``cfg.repeats``
    cut down to fit ``cfg.budget_s`` but never below ``cfg.min_repeats``. Calls shorter
    than ``cfg.min_sample_s`` are repeated ``inner`` times inside one sample. Rounds
    alternate between implementations so that a slow phase of the machine hits all of them,
    with a pause wherever the thread pool changes (:class:`PoolSwitch`); list the
    implementations of one pool together to keep the pauses few.
    """
    plan, outs = {}, {}
    switch = PoolSwitch(cfg.switch_pause_s)
    for name, fn in impls.items():
        switch(name)
        t0 = time.perf_counter()
        outs[name] = fn()
        sync()
        first = time.perf_counter() - t0
        est = first
        if first < 1.0:
            t0 = time.perf_counter()
            fn()
            sync()
            est = time.perf_counter() - t0
        inner = max(1, math.ceil(cfg.min_sample_s / max(est, 1e-7))) if est < cfg.min_sample_s else 1
        n = max(cfg.min_repeats, min(cfg.repeats, int(cfg.budget_s // max(est * inner, 1e-9))))
        plan[name] = dict(fn=fn, inner=inner, n=n, samples=[], first=first)
    errs = check(outs) if check else {}
    del outs
    gc.collect()
    for r in range(max(p["n"] for p in plan.values())):
        for name, p in plan.items():
            if r >= p["n"]:
                continue
            fn, inner = p["fn"], p["inner"]
            switch(name)
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            sync()
            p["samples"].append((time.perf_counter() - t0) / inner)
    res = {}
    for name, p in plan.items():
        s = p["samples"]
        res[name] = dict(
            median_s=statistics.median(s), min_s=min(s), n=len(s), inner=p["inner"],
            first_s=p["first"], samples_s=s, err=errs.get(name),
        )
    return res


def rel_err(a, b) -> float:
    """max |a - b| / max |b| over a list of array pairs, in float64 on the host."""
    worst = 0.0
    for x, y in zip(a, b):
        x = np.asarray(to_host(x), dtype=np.float64)
        y = np.asarray(to_host(y), dtype=np.float64)
        if x.shape != y.shape:
            return float("inf")
        scale = float(np.max(np.abs(y))) or 1.0
        worst = max(worst, float(np.max(np.abs(x - y))) / scale)
    return worst


def to_host(a):
    if torch is not None and isinstance(a, torch.Tensor):
        return a.detach().cpu().numpy()
    if cupy is not None and isinstance(a, cupy.ndarray):
        return cupy.asnumpy(a)
    return a


def make_check(ref_order):
    """Compare every output with the first implementation of ``ref_order`` that ran."""

    def check(outs):
        ref = next((r for r in ref_order if r in outs), None)
        if ref is None:
            return {}
        return {name: rel_err(out, outs[ref]) for name, out in outs.items() if name != ref and out is not None}

    return check


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


def bench_layers(cfg, dtypes, selected, results, notes):
    methods = layer_methods()
    for spec in LAYERS:
        if not selected(spec["name"]):
            continue
        for dtype in dtypes:
            arrays = layer_inputs(spec, dtype)
            for phase in ("fwd", "fwd+bwd"):
                names = [impl_name(m) for m in methods]
                if cfg.quick and len(names) > 1:
                    names = names[:1]  # --quick: auto only (direct/gemm in the full run)
                if phase == "fwd":
                    names.append("matmul")
                if torch is not None:
                    names.append("torch")  # last: one pool switch each way per round
                impls = {n: layer_impl(spec, arrays, phase, n if methods != [None] else "convlab:default")
                         for n in names}
                progress(f"{spec['name']} {dtype} {phase}: {', '.join(names)}")
                check = make_check(["torch", "convlab:direct", "convlab:auto"])
                res = time_interleaved(impls, cfg, check=check)
                record_layer(results, spec, dtype, phase, res, "cpu")
            del arrays
            gc.collect()


def record_layer(results, spec, dtype, phase, res, device):
    """One result row per implementation, with its GFLOP and GFLOP/s (fwd+bwd counts 3x the forward)."""
    flops = layer_flops(spec) * (1 if phase == "fwd" else 3)
    for name, r in res.items():
        gflop = (2.0 * math.prod(gemm_shape(spec)) if name == "matmul" else flops) / 1e9
        results.append(dict(
            group="layer", workload=spec["name"], dtype=dtype, phase=phase, impl=name,
            gflop=gflop, gflops=gflop / r["median_s"], device=device, **r,
        ))


def bench_layers_gpu(cfg, dtypes, selected, results, notes):
    """The layer workloads on CuPy arrays against PyTorch on CUDA (cuDNN)."""
    if cupy is None:
        return
    if torch is None or not torch.cuda.is_available():
        notes.append("GPU: CuPy found a GPU but PyTorch has no CUDA: no cuDNN reference")
    else:
        torch.backends.cudnn.benchmark = True  # cuDNN at its best: autotuned during warm-up

    def sync():
        cupy.cuda.Device().synchronize()
        if torch is not None and torch.cuda.is_available():
            torch.cuda.synchronize()

    for spec in LAYERS:
        if not selected(spec["name"]):
            continue
        for dtype in dtypes:
            host = layer_inputs(spec, dtype)
            arrays = {k: cupy.asarray(v) for k, v in host.items()}
            for phase in ("fwd", "fwd+bwd"):
                names = [impl_name(layer_methods()[0])]
                if phase == "fwd":
                    names.append("matmul")
                if torch is not None and torch.cuda.is_available():
                    names.append("torch")
                impls = {}
                for n in names:
                    src = host if n == "torch" else arrays  # torch copies host arrays to CUDA itself
                    impls[n] = layer_impl(spec, src, phase, n if layer_methods() != [None] else "convlab:default",
                                          xp_lib="cupy")
                progress(f"GPU {spec['name']} {dtype} {phase}: {', '.join(names)}")
                res = time_interleaved(impls, cfg, sync=sync, check=make_check(["torch"]))
                record_layer(results, spec, dtype, phase, res, "gpu")
            del arrays
            cupy.get_default_memory_pool().free_all_blocks()


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


def bench_long(cfg, dtypes, selected, results, notes):
    skipped = set()
    grid = [(L, K) for L in (LONG_L_QUICK if cfg.quick else LONG_L_FULL)
            for K in (LONG_K_QUICK if cfg.quick else LONG_K_FULL)]
    jobs = [("convolve", L, K) for L, K in grid]
    jobs += [("conv1d", L, K) for L, K in (CONV1D_LONG_QUICK if cfg.quick else CONV1D_LONG)]
    for kind, L, K in jobs:
        name = f"long-{kind}-L{fmt_sci(L)}-K{K}"
        if not selected(name):
            continue
        for dtype in dtypes:
            x, w = signal_inputs(L, K, dtype)
            methods = signal_methods() if kind == "convolve" else conv1d_long_methods()
            names = long_names(methods, L, K, kind, skipped)
            maker = convolve_impl if kind == "convolve" else conv1d_long_impl
            impls = {n: maker(x, w, n) for n in names}
            progress(f"{name} {dtype}: {', '.join(names)}")
            check = make_check(["scipy.oaconvolve", "numpy.convolve"])
            res = time_interleaved(impls, cfg, check=check)
            for iname, r in res.items():
                results.append(dict(group=f"long-{kind}", workload=name, dtype=dtype, phase="fwd", impl=iname,
                                    L=L, K=K, device="cpu", **r))
    notes.extend(sorted(skipped))


# ---------------------------------------------------------------------------------------
# Peak memory: one fresh subprocess per measurement
# ---------------------------------------------------------------------------------------


def proc_status():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmHWM", "VmRSS")):
                key, val = line.split(":")
                out[key] = int(val.split()[0]) * 1024
    return out


def probe_main(spec_json: str):
    """Entry point of a memory subprocess: build the inputs, run one call, report peaks as JSON."""
    spec = json.loads(spec_json)
    impl = spec["impl"]
    load_libraries(spec["threads"], want_torch=impl == "torch", want_scipy=impl.startswith("scipy"))
    if spec["kind"] == "layer":
        layer = next(s for s in LAYERS if s["name"] == spec["workload"])
        arrays = layer_inputs(layer, spec["dtype"])
        fn = layer_impl(layer, arrays, spec["phase"], impl)
    else:
        x, w = signal_inputs(spec["L"], spec["K"], spec["dtype"])
        fn = (convolve_impl if spec["kind"] == "convolve" else conv1d_long_impl)(x, w, impl)
    gc.collect()
    out = {"rss_method": "VmHWM - VmRSS (clear_refs)"}
    try:  # reset the high-water mark to the current RSS (Linux >= 4.0)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        out["rss_method"] = "ru_maxrss - VmRSS (no clear_refs: overstates when the inputs' set-up peaked higher)"
    before = proc_status()
    t0 = time.perf_counter()
    fn()
    out["seconds"] = time.perf_counter() - t0
    after = proc_status()
    if out["rss_method"].startswith("ru_maxrss"):
        import resource

        after["VmHWM"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out["rss_before"] = before["VmRSS"]
    out["rss_peak"] = after["VmHWM"]
    out["rss_delta"] = after["VmHWM"] - before["VmRSS"]
    if impl != "torch":  # NumPy reports its buffers to tracemalloc; PyTorch does not
        import tracemalloc

        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        out["tracemalloc_peak"] = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
    print("PROBE " + json.dumps(out))


def run_probe(spec, timeout=600):
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_probe", json.dumps(spec)]
    env = dict(os.environ)
    if env.pop(MALLOC_MARK, None):  # measure memory with glibc's defaults, as a user runs
        for v in TUNED_MALLOC:
            env.pop(v, None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p) \
        if "convlab imported from" in " ".join(LIB_NOTES) else env.get("PYTHONPATH", "")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return dict(error=f"timed out after {timeout} s")
    line = next((l for l in proc.stdout.splitlines() if l.startswith("PROBE ")), None)
    if proc.returncode or line is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
        return dict(error=f"exit {proc.returncode}: {tail[0][:200]}")
    return json.loads(line[len("PROBE "):])


def bench_memory(cfg, dtypes, selected, memory, threads):
    lm = layer_methods()
    jobs = []
    for spec in LAYERS:
        if not selected(spec["name"]):
            continue
        names = [impl_name(lm[0])] + ([] if cfg.quick or lm == [None] else ["convlab:direct"])
        names += ["torch"] if torch is not None and not cfg.quick else []
        for dtype in dtypes:
            for n in names:
                impl = n if lm != [None] else "convlab:default"
                jobs.append(dict(kind="layer", workload=spec["name"], dtype=dtype, phase="fwd+bwd", impl=impl,
                                 label=n))
    L, K = 10**6, 1025
    for kind, refs in (("convolve", ["scipy.oaconvolve", "numpy.convolve"]), ("conv1d", ["scipy.oaconvolve"])):
        name = f"long-{kind}-L{fmt_sci(L)}-K{K}"
        if not selected(name):
            continue
        for dtype in dtypes:
            for n in ["convlab:auto"] + ([] if cfg.quick else refs):
                if n.startswith("scipy") and sp_signal is None:
                    continue
                jobs.append(dict(kind=kind, workload=name, dtype=dtype, phase="fwd", impl=n, label=n, L=L, K=K))
    L, K = MEMORY_CHECK
    name = f"mem-convolve-L{fmt_sci(L)}-K{K}"
    if selected(name):
        for dtype in dtypes:
            jobs.append(dict(kind="convolve", workload=name, dtype=dtype, phase="fwd", impl="convlab:auto",
                             label="convlab:auto", L=L, K=K, check=True))
    for job in jobs:
        progress(f"memory {job['workload']} {job['dtype']} {job['label']}")
        spec = dict(job, threads=threads)
        spec.pop("label")
        r = run_probe(spec)
        memory.append(dict(job, **r))


# ---------------------------------------------------------------------------------------
# Targets and report
# ---------------------------------------------------------------------------------------


def find(results, workload, dtype, phase, impl, device="cpu"):
    for r in results:
        if (r["workload"], r["dtype"], r["phase"], r["impl"], r.get("device", "cpu")) == (
            workload, dtype, phase, impl, device
        ):
            return r
    return None


def targets(results, memory, dtypes):
    out = []

    def ratio_target(label, workload, dtype, phase, ref, limit, device="cpu"):
        a = find(results, workload, dtype, phase, "convlab:auto", device)
        b = find(results, workload, dtype, phase, ref, device)
        if a is None or b is None:
            return
        value = a["median_s"] / b["median_s"]
        out.append(dict(target=label, dtype=dtype, value=value, shown=f"{value:.2f}x", limit=f"<= {limit}x",
                        met=value <= limit, mins=f"{a['min_s'] / b['min_s']:.2f}x"))

    for dtype in dtypes:
        ratio_target("1-D layer fwd+bwd (stride 1), convlab/torch", "conv1d-B2-s1", dtype, "fwd+bwd", "torch", 1.0)
        ratio_target("1-D layer fwd+bwd (stride 2), convlab/torch", "conv1d-B2-s2", dtype, "fwd+bwd", "torch", 1.0)
        ratio_target("2-D 64->64 fwd+bwd, convlab/torch", "conv2d-C64", dtype, "fwd+bwd", "torch", 1.0)
        ratio_target("2-D 3->64 fwd+bwd, convlab/torch", "conv2d-C3", dtype, "fwd+bwd", "torch", 0.75)
        a = find(results, "conv2d-C64", dtype, "fwd", "convlab:auto")
        m = find(results, "conv2d-C64", dtype, "fwd", "matmul")
        if a and m:
            frac = a["gflops"] / m["gflops"]
            out.append(dict(target="2-D 64->64 forward GFLOP/s / same-run matmul GFLOP/s", dtype=dtype, value=frac,
                            shown=f"{100 * frac:.0f}% ({a['gflops']:.0f} / {m['gflops']:.0f})", limit=">= 75%",
                            met=frac >= 0.75))
        ratio_target("long kernel 1e6 x 1025 convolve, convlab/oaconvolve", "long-convolve-L1e6-K1025", dtype, "fwd",
                     "scipy.oaconvolve", 1.5)
        ratio_target("long kernel 1e6 x 1025 conv1d (1 channel), convlab/oaconvolve", "long-conv1d-L1e6-K1025",
                     dtype, "fwd", "scipy.oaconvolve", 1.5)
        for mrow in memory:
            if mrow.get("check") and mrow["dtype"] == dtype:
                if "error" in mrow:
                    out.append(dict(target="convolve 1e7 x 1025 peak memory (whole process)", dtype=dtype,
                                    value=None, shown=mrow["error"], limit="< 1 GB", met=False))
                else:
                    peak = mrow["rss_peak"]
                    out.append(dict(target="convolve 1e7 x 1025 peak memory (whole process)", dtype=dtype,
                                    value=peak, shown=f"{peak / MiB:.0f} MiB ({mrow['seconds']:.2f} s)",
                                    limit="< 1 GB", met=peak < GB))
    gpu_rows = [r for r in results if r.get("device") == "gpu" and r["phase"] == "fwd+bwd" and r["impl"] == "torch"]
    if not gpu_rows:
        ran = any(r.get("device") == "gpu" for r in results)
        why = ("convlab ran on CuPy, but PyTorch has no CUDA: no cuDNN reference" if ran
               else "no GPU (cupy.cuda.is_available() false or CuPy missing)")
        out.append(dict(target="GPU fwd+bwd throughput >= 0.5x cuDNN", dtype="-", value=None,
                        shown=why, limit=">= 0.5x", met=None))
    for t in gpu_rows:
        a = find(results, t["workload"], t["dtype"], "fwd+bwd", "convlab:auto", "gpu")
        if a:
            thr = t["median_s"] / a["median_s"]
            out.append(dict(target=f"GPU {t['workload']} fwd+bwd throughput vs cuDNN", dtype=t["dtype"], value=thr,
                            shown=f"{thr:.2f}x", limit=">= 0.5x", met=thr >= 0.5))
    return out


def fmt_ms(s):
    if s is None:
        return "-"
    ms = s * 1e3
    if ms >= 100:
        return f"{ms:.0f}"
    if ms >= 10:
        return f"{ms:.1f}"
    if ms >= 1:
        return f"{ms:.2f}"
    return f"{ms:.3f}"


def cell(r):
    if r is None:
        return "-"
    text = f"{fmt_ms(r['median_s'])} [{fmt_ms(r['min_s'])}]"
    if r.get("err") is not None and r["err"] > TOL[r["dtype"]]:
        text += f" **err {r['err']:.1e}**"
    return text


def ratio(a, b):
    if a is None or b is None:
        return "-"
    return f"{a['median_s'] / b['median_s']:.2f}"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown(env, results, memory, tgts, notes, runtime_s, profile_text):
    md = [f"# convlab benchmarks ({env['date']})", ""]
    md.append("Medians of interleaved repeats after warm-up, in ms, as `median [min]`; ratios are "
              "convlab/reference from the same run (below 1 = convlab faster). `**err**` flags a result "
              f"further than {TOL['float32']:g} (float32) / {TOL['float64']:g} (float64) from the reference, "
              "relative to its largest value.")
    md.append("")
    md.append("## Targets")
    md.append("")
    rows = []
    for t in tgts:
        met = {True: "met", False: "**not met**", None: "n/a"}[t["met"]]
        rows.append([t["target"], t["dtype"], t["shown"], t.get("mins", ""), t["limit"], met])
    md.append(table(["target", "dtype", "measured (medians)", "same from mins", "goal", ""], rows))
    md.append("")

    devices = sorted({r.get("device", "cpu") for r in results if r["group"] == "layer"})
    for device in devices:
        lay = [r for r in results if r["group"] == "layer" and r.get("device", "cpu") == device]
        if not lay:
            continue
        title = "Layers (CPU)" if device == "cpu" else "Layers (GPU: CuPy vs PyTorch CUDA/cuDNN)"
        md += [f"## {title}", ""]
        md.append("Forward (`fwd`) and forward plus `*_backward` / `y.backward(g)` (`fwd+bwd`), with bias. "
                  "`auto/torch` and `direct/torch` are ratios of medians.")
        md.append("")
        rows = []
        keys = []
        for r in lay:
            k = (r["workload"], r["dtype"], r["phase"])
            if k not in keys:
                keys.append(k)
        for wl, dt, ph in keys:
            get = lambda impl: find(results, wl, dt, ph, impl, device)  # noqa: E731
            rows.append([wl, dt, ph, cell(get("convlab:auto")), cell(get("convlab:direct")),
                         cell(get("convlab:gemm")), cell(get("torch")),
                         ratio(get("convlab:auto"), get("torch")), ratio(get("convlab:direct"), get("torch"))])
        md.append(table(["workload", "dtype", "phase", "convlab auto", "convlab direct", "convlab gemm", "torch",
                         "auto/torch", "direct/torch"], rows))
        md.append("")
        md.append("Achieved GFLOP/s: forward = 2·N·C_out·(C_in/groups)·prod(K)·prod(out) flops / median time; "
                  "fwd+bwd counts 3x the forward. `matmul` = numpy (or CuPy) `A @ B` of the GEMM the forward "
                  "lowers to, (C_out x C_in·K) @ (C_in·K x N·P), same dtype, same run.")
        md.append("")
        rows = []
        for wl in dict.fromkeys(k[0] for k in keys):
            spec = next(s for s in LAYERS if s["name"] == wl)
            for dt in dict.fromkeys(k[1] for k in keys if k[0] == wl):
                g = lambda impl, ph="fwd": find(results, wl, dt, ph, impl, device)  # noqa: E731
                mm = g("matmul")

                def gf(r):
                    return "-" if r is None else f"{r['gflops']:.1f}"

                def pct(r):
                    return "-" if r is None or mm is None else f"{100 * r['gflops'] / mm['gflops']:.0f}%"

                m_, k_, n_ = gemm_shape(spec)
                rows.append([wl, dt, f"{layer_flops(spec) / 1e9:.2f}", f"{m_}x{k_} @ {k_}x{n_}", gf(mm),
                             gf(g("convlab:auto")), pct(g("convlab:auto")), gf(g("torch")), pct(g("torch")),
                             gf(g("convlab:auto", "fwd+bwd")), gf(g("torch", "fwd+bwd"))])
        md.append(table(["workload", "dtype", "fwd GFLOP", "GEMM", "matmul GFLOP/s", "convlab fwd GFLOP/s",
                         "% of matmul", "torch fwd GFLOP/s", "% of matmul", "convlab fwd+bwd GFLOP/s",
                         "torch fwd+bwd GFLOP/s"], rows))
        md.append("")

    for kind, title, cols in (
        ("convolve", "Long kernels: `convolve(x, w)` (full)",
         ["convlab:auto", "convlab:direct", "convlab:fft", "numpy.convolve", "scipy.oaconvolve", "scipy.convolve",
          "torch"]),
        ("conv1d", "Long kernels: `conv1d` on a (1, 1, L) batch, valid (no padding)",
         ["convlab:auto", "convlab:direct", "convlab:gemm", "convlab:fft", "numpy.convolve", "scipy.oaconvolve",
          "torch"]),
    ):
        rs = [r for r in results if r["group"] == f"long-{kind}"]
        if not rs:
            continue
        md += [f"## {title}", ""]
        md.append("References compute the same values (`conv1d` is a correlation: the references get the reversed "
                  "kernel and `mode='valid'`). `auto/oa` = convlab auto / scipy.signal.oaconvolve, "
                  "`auto/np` = convlab auto / numpy.convolve.")
        md.append("")
        keys = list(dict.fromkeys((r["L"], r["K"], r["dtype"]) for r in rs))
        rows = []
        for L, K, dt in keys:
            wl = f"long-{kind}-L{fmt_sci(L)}-K{K}"
            get = lambda impl: find(results, wl, dt, "fwd", impl)  # noqa: E731
            rows.append([fmt_sci(L), K, dt] + [cell(get(c)) for c in cols] +
                        [ratio(get("convlab:auto"), get("scipy.oaconvolve")),
                         ratio(get("convlab:auto"), get("numpy.convolve"))])
        md.append(table(["L", "K", "dtype"] + [c.replace("convlab:", "convlab ") for c in cols] +
                        ["auto/oa", "auto/np"], rows))
        md.append("")

    if memory:
        md += ["## Peak memory", ""]
        md.append("One fresh subprocess per row: build the inputs, reset the RSS high-water mark "
                  "(`/proc/self/clear_refs`), run ONE call. `RSS Δ` = peak RSS during the call minus RSS just "
                  "before it (outputs and temporaries; the inputs are not counted). `numpy peak` = peak of "
                  "tracemalloc-traced allocations during a second call (NumPy buffers; PyTorch does not report "
                  "to tracemalloc). `process peak` = the whole process's peak RSS (interpreter, libraries, "
                  "inputs). `first call` = that call's time, cold (not a benchmark figure).")
        md.append("")
        rows = []
        for m in memory:
            if "error" in m:
                rows.append([m["workload"], m["dtype"], m["phase"], m["label"], m["error"], "", "", ""])
                continue
            tm = m.get("tracemalloc_peak")
            rows.append([m["workload"], m["dtype"], m["phase"], m["label"], f"{m['rss_delta'] / MiB:.0f}",
                         "-" if tm is None else f"{tm / MiB:.0f}", f"{m['rss_peak'] / MiB:.0f}",
                         f"{m['seconds']:.3f} s"])
        md.append(table(["workload", "dtype", "phase", "impl", "RSS Δ MiB", "numpy peak MiB", "process peak MiB",
                         "first call"], rows))
        md.append("")

    if profile_text:
        md += ["## Profile (cProfile, top functions by own time)", "", "```", profile_text.rstrip(), "```", ""]

    md += ["## Environment", ""]
    bef = ", ".join(f"{k}={v}" for k, v in env["thread_env_before"].items() if v is not None) or "none set"
    mal = ", ".join(f"{k}={v}" for k, v in env["malloc_env"].items()) or "glibc defaults (no MALLOC_* set)"
    budget = "-" if env["memory_budget"] is None else f"{env['memory_budget'] / MiB:.0f} MiB"
    rows = [
        ["date", env["date"]],
        ["CPU", f"{env['cpu']}; {env['cores']} cores usable (os.cpu_count {env['cpu_count']})"],
        ["threads", f"{env['threads']} ({env['threads_source']}); OMP/OPENBLAS/MKL_NUM_THREADS set to it "
                    f"(before: {bef}); torch.get_num_threads() = {env['torch_threads']}"],
        ["allocator", f"{mal} (--malloc {env.get('malloc_mode', '?')}; memory subprocesses: glibc defaults "
                      "unless set by the user)"],
        ["load average", f"start {tuple(round(v, 2) for v in env['loadavg_start'])}, "
                         f"end {tuple(round(v, 2) for v in env.get('loadavg_end', ()))}, "
                         f"highest 1-min value seen {env.get('loadavg_max_1min', 0):.2f}; CPU steal during the run "
                         f"(/proc/stat): {env.get('cpu_steal_pct', float('nan')):.1f}%"],
        ["Python", f"{env['python']} ({env['platform']})"],
        ["NumPy", f"{env['numpy']}; BLAS {env['blas']}"],
        ["SciPy", env["scipy"] or "not installed"],
        ["PyTorch", env["torch"] or "not installed"],
        ["CuPy", env["cupy"] or "not installed / no GPU"],
        ["convlab", f"{env['convlab']} at {env['convlab_git']} ({env['convlab_file']}); method= keyword: "
                    f"{'yes' if env['convlab_method_kw'] else 'NO'}; memory budget: "
                    f"{budget}"],
        ["arguments", " ".join(env["argv"]) or "(none)"],
        ["runtime", f"{runtime_s:.0f} s"],
    ]
    md.append(table(["", ""], rows))
    md.append("")
    if notes:
        md += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(md)


# ---------------------------------------------------------------------------------------
# Profiling (--profile)
# ---------------------------------------------------------------------------------------


def profile_workloads(dtypes, selected, top=15):
    import cProfile
    import io
    import pstats

    texts = []
    for spec in LAYERS:
        if not selected(spec["name"]):
            continue
        for dtype in dtypes:
            arrays = layer_inputs(spec, dtype)
            fn = layer_impl(spec, arrays, "fwd+bwd", "convlab:auto" if layer_methods() != [None] else
                            "convlab:default")
            fn()
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(3):
                fn()
            prof.disable()
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
            body = "\n".join(l for l in buf.getvalue().splitlines() if l.strip())
            texts.append(f"--- {spec['name']} {dtype} fwd+bwd, convlab auto, 3 calls ---\n{body}")
    return "\n\n".join(texts)


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


LOADS: list[float] = []


def progress(msg):
    LOADS.append(os.getloadavg()[0])
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="smoke run (~1 min): 3 repeats, convlab auto only, small long-kernel grid")
    p.add_argument("--dtype", choices=("float32", "float64", "both"), default="both")
    p.add_argument("--workloads", default="",
                   help="comma-separated name substrings, e.g. conv2d,long-conv1d,mem (default: all). Names:\n"
                        "conv1d-B2-s1 conv1d-B2-s2 conv2d-C3 conv2d-C64 long-convolve-L<L>-K<K>\n"
                        "long-conv1d-L<L>-K<K> mem-convolve-L1e7-K1025")
    p.add_argument("--repeats", type=int, default=0, help="timed samples per implementation (default 7, quick 3)")
    p.add_argument("--budget", type=float, default=0.0,
                   help="seconds of timed samples per implementation before repeats are cut "
                        "(never below 5, quick 3; default 3, quick 0.5)")
    p.add_argument("--malloc", choices=("tuned", "default"), default="tuned",
                   help="tuned (default): re-run with fixed glibc MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_\n"
                        "unless either is set; default: glibc's dynamic thresholds")
    p.add_argument("--switch-pause", type=float, default=0.15,
                   help="seconds to sleep between a NumPy and a PyTorch call (spinning thread pools; default 0.15)")
    p.add_argument("--threads", type=int, default=0,
                   help="BLAS/OpenMP/torch threads (default: OMP_NUM_THREADS if set, else all cores)")
    p.add_argument("--out", default=str(HERE / "results"), help="directory for bench-<timestamp>.{md,json}")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    p.add_argument("--profile", action="store_true",
                   help="also cProfile convlab auto fwd+bwd on the selected layer workloads")
    p.add_argument("--_probe", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def reexec_with_malloc(argv):
    """glibc reads MALLOC_* only at start-up: run this script again with them set."""
    env = dict(os.environ, **TUNED_MALLOC)
    env[MALLOC_MARK] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, str(Path(__file__).resolve())] + list(argv), env)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args._probe:
        probe_main(args._probe)
        return 0
    user_malloc = [v for v in TUNED_MALLOC if v in os.environ and not os.environ.get(MALLOC_MARK)]
    if args.malloc == "tuned" and not user_malloc and not os.environ.get(MALLOC_MARK):
        reexec_with_malloc(argv)  # does not return
    start = time.perf_counter()
    threads, source, before = set_thread_env(args.threads)
    load_libraries(threads)
    cfg = Config(args)
    dtypes = ["float32", "float64"] if args.dtype == "both" else [args.dtype]
    subs = [s.strip() for s in args.workloads.split(",") if s.strip()]

    def selected(name):
        return not subs or any(s in name for s in subs)

    env = environment(threads, source, before, args)
    env["malloc_mode"] = ("user environment" if user_malloc else args.malloc)
    notes = list(LIB_NOTES)
    if user_malloc:
        notes.append(f"Allocator: {', '.join(user_malloc)} came from the environment; used as given")
    elif args.malloc == "tuned":
        notes.append("Allocator (--malloc tuned, the default): the timing process runs with "
                     + ", ".join(f"{k}={v}" for k, v in TUNED_MALLOC.items())
                     + ". With glibc's defaults PyTorch's times depend on the allocator's history in the "
                     "process (conv1d-B2-s1 fwd+bwd measured 28 or 48 ms in two runs); fixed thresholds make "
                     "them repeatable and give PyTorch its faster case. The memory subprocesses run with "
                     "glibc's defaults.")
    else:
        notes.append("Allocator: glibc defaults (--malloc default). PyTorch's times depend on glibc's dynamic "
                     "mmap threshold, i.e. on what ran before in the process: up to ~1.7x between runs on "
                     "conv1d-B2-s1; compare with --malloc tuned.")
    if not env["convlab_method_kw"]:
        notes.append("convlab has no method= keyword yet: every convlab figure is its default call "
                     "(the tap loop), shown in the `auto` column; direct/gemm/fft columns are empty")
    notes.append(f"Timing: time.perf_counter; per implementation 1 first call + 1 warm-up, then up to "
                 f"{cfg.repeats} samples (at least {cfg.min_repeats}; fewer than {cfg.repeats} only when "
                 f"{cfg.budget_s:g} s of samples would be exceeded), interleaved across implementations; "
                 f"calls under 5 ms are looped inside one sample; {cfg.switch_pause_s:g} s pause wherever the "
                 "thread pool changes between NumPy/OpenBLAS and PyTorch/OpenMP (spinning workers otherwise "
                 "slow the next call 2-4x). Sample counts are in the JSON.")
    results, memory = [], []
    progress(f"threads={threads}, dtypes={dtypes}, quick={args.quick}, torch={env['torch']}, "
             f"convlab method= {'yes' if env['convlab_method_kw'] else 'no'}")
    bench_layers(cfg, dtypes, selected, results, notes)
    bench_layers_gpu(cfg, dtypes, selected, results, notes)
    bench_long(cfg, dtypes, selected, results, notes)
    if not args.no_memory:
        bench_memory(cfg, dtypes, selected, memory, threads)
    profile_text = profile_workloads(dtypes, selected) if args.profile else ""
    env["loadavg_end"] = os.getloadavg()
    t0, t1 = env.pop("cpu_times_start"), cpu_times()
    if t0 and t1 and t1[2] > t0[2]:
        env["cpu_steal_pct"] = 100.0 * (t1[1] - t0[1]) / (t1[2] - t0[2])
    env["loadavg_max_1min"] = max(LOADS + [env["loadavg_end"][0]])
    if env["loadavg_max_1min"] > cores() + 1:  # this run alone accounts for about `threads`
        notes.insert(0, f"**The machine was busy**: the 1-minute load average reached {env['loadavg_max_1min']:.1f} "
                        f"on {cores()} cores during the run (this benchmark alone accounts for about {threads}). "
                        "Other processes competed for the CPU (multi-threaded BLAS degrades badly when "
                        "oversubscribed), so absolute times are unreliable and even "
                        "same-run ratios are noisier than usual; compare the `mins` column, or re-run when idle.")
    tgts = targets(results, memory, dtypes)
    runtime = time.perf_counter() - start
    env["runtime_s"] = runtime
    md = markdown(env, results, memory, tgts, notes, runtime, profile_text)
    print(md)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    payload = dict(environment=env, targets=tgts, results=results, memory=memory, notes=notes,
                   profile=profile_text)
    text = json.dumps(payload, indent=1, default=str)
    for stem in (f"bench-{stamp}", "latest"):
        (out / f"{stem}.md").write_text(md + "\n")
        (out / f"{stem}.json").write_text(text + "\n")
    progress(f"wrote {out / f'bench-{stamp}.md'} and .json ({runtime:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
