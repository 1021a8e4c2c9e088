"""Timing (interleaved rounds), the layer/long-kernel/GPU runs, peak-memory probes and profiles."""

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
from .workloads import *  # noqa: F401,F403

# The array libraries, set by environment.load_libraries() in every convbench module
# (BLAS reads its thread variables at import, so nothing imports numpy before that).
np = convlab = sp_signal = torch = cupy = None

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
    """The threads an implementation computes on: each implementation counts as its own.

    PyTorch uses its OpenMP pool; convlab's ``direct`` path OpenBLAS's pool; the
    ``gemm`` and ``winograd`` paths split the samples over convlab's own worker
    threads with a one-thread BLAS (:mod:`convlab._parallel`). Any of them can
    find the cores taken by another's spinning workers, so every change of
    implementation pauses.
    """
    return name


class PoolSwitch:
    """Sleep before a call whose implementation differs from the previous call's.

    After a call, OpenBLAS's workers and PyTorch's OpenMP workers keep spinning for up to
    ~0.1 s before they sleep. A call on OTHER threads during that window shares the cores
    with spinning threads: measured here, PyTorch's conv2d ran 2-4x slower right after a NumPy
    matmul and vice versa, and convlab's GEMM path 1.5x slower right after its direct path;
    a 0.15 s pause removed it. Repeated calls of one implementation don't compete.
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
    with a pause wherever the implementation changes (:class:`PoolSwitch`).
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



def bench_layers(cfg, dtypes, selected, results, notes):
    for spec in LAYERS:
        if not selected(spec["name"]):
            continue
        methods = layer_methods_for(spec, layer_methods())
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
    cmd = [sys.executable, str(BENCH), "--_probe", json.dumps(spec)]
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


def bench_accuracy(selected, results):
    """float32 max relative error against float64, per method and for PyTorch, fwd+bwd outputs.

    The float64 reference is PyTorch's float64 autograd when PyTorch is there (independent of
    convlab), else convlab's ``direct`` in float64. Error = max |a - ref| / max |ref|, the
    worst of y, grad_x, grad_w, grad_b.
    """
    for spec in LAYERS:
        if not selected(spec["name"]):
            continue
        a64, a32 = layer_inputs(spec, "float64"), layer_inputs(spec, "float32")
        a64 = {k: v.astype(np.float64) for k, v in a32.items()}  # the same numbers, exactly
        ref_impl = "torch" if torch is not None else "convlab:direct"
        ref = [to_host(r) for r in _fwd_bwd_outputs(spec, a64, ref_impl)]
        impls = [impl_name(m) for m in layer_methods_for(spec, layer_methods()) if m is not None]
        impls += ["torch"] if torch is not None else []
        for name in impls:
            got = [to_host(r) for r in _fwd_bwd_outputs(spec, a32, name)]
            err = rel_err(got, ref)
            results.append(dict(group="accuracy", workload=spec["name"], dtype="float32", phase="accuracy",
                                impl=name, err=err, reference=f"{ref_impl} float64", median_s=None, min_s=None))
        progress(f"{spec['name']}: float32 errors against float64 measured")


def _fwd_bwd_outputs(spec, arrays, impl):
    y = layer_impl(spec, arrays, "fwd", impl)()[0]
    return [y] + list(layer_impl(spec, arrays, "fwd+bwd", impl)())
