"""Thread and allocator environment, the libraries, and what the report records about them."""

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

HERE = Path(__file__).resolve().parent.parent  # benchmarks/
ROOT = HERE.parent
BENCH = HERE / "bench.py"  # the entry point, re-run for the memory probes

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
            LIB_NOTES.append("PyTorch is not installed: torch columns skipped (make bench installs it: requirements.txt)")
    try:
        import cupy as c

        if c.cuda.is_available():
            cupy = c
    except Exception:  # not installed, or no driver
        pass
    share_libraries()


def has_method(fn) -> bool:
    try:
        return "method" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def layer_methods():
    """convlab methods timed for the layers; [None] (the default call) without method=."""
    if has_method(convlab.conv1d) and has_method(convlab.conv1d_backward):
        winograd = ["winograd"] if "winograd" in getattr(convlab._conv, "METHODS", ()) else []
        return ["auto", "direct", "gemm"] + winograd
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
        "threadpools": threadpools(),
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


def threadpools() -> str:
    """What threadpoolctl sees: each BLAS/OpenMP library, its kernel (architecture) and thread count.

    The OpenBLAS kernel matters: ``OPENBLAS_CORETYPE=Haswell`` instead of SkylakeX moved
    convlab's ratios by 20-30% in one study (see benchmarks/README.md).
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    parts = []
    for info in threadpool_info():
        arch = f" {info['architecture']}" if info.get("architecture") else ""
        parts.append(f"{info['internal_api']} {info.get('version') or ''}{arch}, "
                     f"{info['num_threads']} threads ({Path(info['filepath']).name})")
    core = os.environ.get("OPENBLAS_CORETYPE")
    return "; ".join(parts) + (f"; OPENBLAS_CORETYPE={core}" if core else "; OPENBLAS_CORETYPE unset")


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



LOADS: list[float] = []


def progress(msg):
    LOADS.append(os.getloadavg()[0])
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def share_libraries():
    """Give every convbench module the libraries load_libraries() imported (they start as None)."""
    for name, mod in list(sys.modules.items()):
        if name.startswith(__package__ + ".") and mod is not None:
            for lib in ("np", "convlab", "sp_signal", "torch", "cupy"):
                setattr(mod, lib, globals()[lib])
