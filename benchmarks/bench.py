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

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the convbench package beside this file

from convbench.environment import *  # noqa: E402,F401,F403
from convbench.workloads import *  # noqa: E402,F401,F403
from convbench.runners import *  # noqa: E402,F401,F403
from convbench.report import *  # noqa: E402,F401,F403

# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


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
                   help="seconds to sleep between calls of two different implementations (spinning thread pools; default 0.15)")
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
                 "implementation changes (OpenBLAS's, OpenMP's or convlab's spinning or busy workers otherwise "
                 "slow the next call 1.5-4x). Sample counts are in the JSON.")
    results, memory = [], []
    progress(f"threads={threads}, dtypes={dtypes}, quick={args.quick}, torch={env['torch']}, "
             f"convlab method= {'yes' if env['convlab_method_kw'] else 'no'}")
    bench_layers(cfg, dtypes, selected, results, notes)
    if "float32" in dtypes:
        bench_accuracy(selected, results)
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
