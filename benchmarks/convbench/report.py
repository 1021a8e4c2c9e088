"""Targets and the Markdown report."""

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
from .runners import *  # noqa: F401,F403

# The array libraries, set by environment.load_libraries() in every convbench module
# (BLAS reads its thread variables at import, so nothing imports numpy before that).
np = convlab = sp_signal = torch = cupy = None

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
        ratio_target("1-D layer B2 fwd+bwd (stride 1), convlab/torch", "conv1d-B2-s1", dtype, "fwd+bwd", "torch", 1.25)
        ratio_target("1-D layer B2 fwd+bwd (stride 2), convlab/torch", "conv1d-B2-s2", dtype, "fwd+bwd", "torch", 1.25)
        ratio_target("2-D C64 (64->64) fwd+bwd, convlab/torch", "conv2d-C64", dtype, "fwd+bwd", "torch", 1.0)
        ratio_target("2-D C3 (3->64) fwd+bwd, convlab/torch", "conv2d-C3", dtype, "fwd+bwd", "torch", 0.75)
        a = find(results, "conv2d-C64", dtype, "fwd", "convlab:auto")
        m = find(results, "conv2d-C64", dtype, "fwd", "matmul")
        if a and m:
            frac = a["gflops"] / m["gflops"]
            out.append(dict(target="2-D C64 forward GFLOP/s / same-run matmul GFLOP/s", dtype=dtype, value=frac,
                            shown=f"{100 * frac:.0f}% ({a['gflops']:.0f} / {m['gflops']:.0f})", limit=">= 85%",
                            met=frac >= 0.85))
        ratio_target("long kernel 1e6 x 1025 convolve, convlab/oaconvolve", "long-convolve-L1e6-K1025", dtype, "fwd",
                     "scipy.oaconvolve", 1.0)
        ratio_target("long kernel 1e6 x 1025 conv1d (1 channel), convlab/oaconvolve", "long-conv1d-L1e6-K1025",
                     dtype, "fwd", "scipy.oaconvolve", 1.0)
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
    for r in results:
        if r["group"] == "accuracy":
            out.append(dict(target=f"float32 max rel. error vs {r['reference']}, {r['workload']} fwd+bwd, "
                                   f"{r['impl']}", dtype="float32", value=r["err"], shown=f"{r['err']:.1e}",
                            limit="<= 1e-4", met=r["err"] <= 1e-4))
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
    md.append(f"BLAS beside these numbers (threadpoolctl): {env.get('threadpools', '?')}.")
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
                         cell(get("convlab:gemm")), cell(get("convlab:winograd")), cell(get("torch")),
                         ratio(get("convlab:auto"), get("torch")), ratio(get("convlab:direct"), get("torch")),
                         ratio(get("convlab:gemm"), get("torch")), ratio(get("convlab:winograd"), get("torch"))])
        md.append(table(["workload", "dtype", "phase", "convlab auto", "convlab direct", "convlab gemm",
                         "convlab winograd", "torch", "auto/torch", "direct/torch", "gemm/torch",
                         "winograd/torch"], rows))
        md.append("")
        md.append("Achieved GFLOP/s: forward = 2·N·C_out·(C_in/groups)·prod(K)·prod(out) flops / median time; "
                  "fwd+bwd counts 3x the forward. `matmul` = numpy (or CuPy) `A @ B` of the GEMM the forward "
                  "lowers to, (C_out x C_in·K) @ (C_in·K x N·P), same dtype, same run. `GEMM floor/torch` = the "
                  "fwd+bwd flops at that matmul rate (the time an im2col design spends in its three GEMMs even "
                  "if nothing else cost anything) / PyTorch's whole fwd+bwd: above 1, no im2col design built on "
                  "this BLAS can match PyTorch on that layer.")
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

                def floor(r):  # (3 * flops / matmul rate) / torch time = torch GFLOP/s / matmul GFLOP/s
                    return "-" if r is None or mm is None else f"{r['gflops'] / mm['gflops']:.2f}"

                m_, k_, n_ = gemm_shape(spec)
                rows.append([wl, dt, f"{layer_flops(spec) / 1e9:.2f}", f"{m_}x{k_} @ {k_}x{n_}", gf(mm),
                             gf(g("convlab:auto")), pct(g("convlab:auto")), gf(g("torch")), pct(g("torch")),
                             gf(g("convlab:auto", "fwd+bwd")), gf(g("torch", "fwd+bwd")),
                             floor(g("torch", "fwd+bwd"))])
        md.append(table(["workload", "dtype", "fwd GFLOP", "GEMM", "matmul GFLOP/s", "convlab fwd GFLOP/s",
                         "% of matmul", "torch fwd GFLOP/s", "% of matmul", "convlab fwd+bwd GFLOP/s",
                         "torch fwd+bwd GFLOP/s", "GEMM floor/torch"], rows))
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
