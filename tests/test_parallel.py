"""Samples split over worker threads (``convlab._parallel``): same numbers, BLAS settings restored.

The layers in the other tests are too small to start threads (``MIN_WORK``);
here the threshold is lowered so that the GEMM and Winograd paths run on two
and three workers, and their results are held to the naive loops of
``tests/reference.py``. The worker count, the restored BLAS thread counts,
errors raised inside a worker and the memory budget are checked directly.
"""

from __future__ import annotations

import gc
import os
import threading
import tracemalloc

import array_api_compat
import numpy as np
import pytest

import convlab
from convlab import _gemm, _parallel, _winograd
from convlab._backend import is_numpy
from helpers import make
from reference import conv_nd_backward_naive, conv_nd_naive, conv_transpose_nd_naive

threadpoolctl = pytest.importorskip("threadpoolctl")

CONV = {1: convlab.conv1d, 2: convlab.conv2d, 3: convlab.conv3d}
BACKWARD = {1: convlab.conv1d_backward, 2: convlab.conv2d_backward, 3: convlab.conv3d_backward}
TRANSPOSE = {1: convlab.conv_transpose1d, 2: convlab.conv_transpose2d}
MIB = 1 << 20


def _close(got, expected, tol=1e-11):
    got = np.asarray(got, dtype=np.float64)
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * scale)


def _blas_threads():
    return [lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]


@pytest.fixture(params=[2, 3])
def forced(request, monkeypatch):
    """Every NumPy call of more than one sample splits over ``k`` workers, however small."""
    k = request.param
    monkeypatch.setattr(_parallel, "workers", lambda xp, n, work: min(n, k) if is_numpy(xp) else 1)
    return k


# ------------------------------------------------------------------ the split itself
@pytest.mark.parametrize("n", [1, 2, 3, 7, 16, 33])
@pytest.mark.parametrize("parts", [1, 2, 3, 5, 8])
def test_ranges_cover_every_sample_once(n, parts):
    spans = _parallel.ranges(n, parts)
    assert [i for a, b in spans for i in range(a, b)] == list(range(n))
    sizes = [b - a for a, b in spans]
    assert len(spans) == min(n, parts)
    assert max(sizes) - min(sizes) <= 1


def test_run_keeps_order_and_uses_threads():
    together = threading.Barrier(3)

    def fn(a, b):
        together.wait(timeout=10)  # passes only if all three ranges run at the same time
        return list(range(a, b))

    assert _parallel.run(fn, 10, 3) == [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]]


def test_run_raises_a_workers_error_after_all_finish():
    done = []

    def fn(a, b):
        if a == 0:
            raise ValueError("worker 0 failed")
        threading.Event().wait(0.05)
        done.append(a)

    with pytest.raises(ValueError, match="worker 0 failed"):
        _parallel.run(fn, 6, 3)
    assert sorted(done) == [2, 4]  # the others ran to the end before the error came back


def test_blas_threads_restored_after_a_call_and_after_an_error():
    before = _blas_threads()
    if not before:
        pytest.skip("no BLAS library visible to threadpoolctl")
    inside = []
    _parallel.run(lambda a, b: inside.append(_blas_threads()), 4, 2)
    assert all(t == 1 for seen in inside for t in seen)  # one BLAS thread per worker while it runs
    assert _blas_threads() == before
    with pytest.raises(RuntimeError):
        _parallel.run(lambda a, b: (_ for _ in ()).throw(RuntimeError("boom")), 4, 2)
    assert _blas_threads() == before


def test_overlapping_calls_from_threads_restore_the_setting():
    before = _blas_threads()
    if not before:
        pytest.skip("no BLAS library visible to threadpoolctl")
    gate = threading.Barrier(3)

    def fn(a, b):
        if a == 0:
            gate.wait(timeout=5)  # the first worker of each call waits for the others: the calls overlap

    callers = [threading.Thread(target=_parallel.run, args=(fn, 4, 2)) for _ in range(3)]
    for t in callers:
        t.start()
    for t in callers:
        t.join()
    assert _blas_threads() == before


def test_workers_follow_the_blas_setting_and_the_size():
    np_ns = array_api_compat.array_namespace(np.ones(1))
    assert _parallel.workers(np_ns, 1, 1e12) == 1  # one sample
    assert _parallel.workers(np_ns, 64, 10) == 1  # too little work
    if not _blas_threads():
        pytest.skip("no BLAS library visible to threadpoolctl")
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        assert _parallel.workers(np_ns, 64, 1e12) == 1  # the program asked for one thread
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        assert _parallel.workers(np_ns, 64, 1e12) == min(2, _parallel.cores())


def test_other_libraries_get_one_worker():
    xps = pytest.importorskip("array_api_strict")
    ns = array_api_compat.array_namespace(xps.ones(1))
    assert _parallel.workers(ns, 64, 1e12) == 1


# ------------------------------------------------------------------ numbers on several workers
GEMM_CASES = [
    (1, dict(n=5, spatial=(37,), kernel=(5,)), dict(padding=2, stride=2)),
    (1, dict(n=7, spatial=(40,), kernel=(4,), groups=2, c_in=4, c_out=6), dict(groups=2, dilation=3)),
    (2, dict(n=3, spatial=(11, 9), kernel=(3, 2)), dict(padding=1, stride=(1, 2))),
    (2, dict(n=4, spatial=(8, 10), kernel=(3, 3), groups=2, c_out=4), dict(groups=2, padding="same", padding_mode="circular")),
    (3, dict(n=3, spatial=(5, 6, 4), kernel=(2, 3, 2)), dict(padding=1)),
]


@pytest.mark.parametrize("nd, over, kw", GEMM_CASES, ids=[f"{c[0]}d-{i}" for i, c in enumerate(GEMM_CASES)])
@pytest.mark.parametrize("budget", [None, 1], ids=["default-budget", "1MiB"])
def test_gemm_on_workers_matches_naive(forced, rng, nd, over, kw, budget):
    x, w, b = make(rng, nd, **over)
    previous = convlab.set_memory_budget(budget * MIB) if budget else None
    try:
        _close(CONV[nd](x, w, b, method="gemm", **kw), conv_nd_naive(x, w, b, **kw))
        g = rng.standard_normal(conv_nd_naive(x, w, None, **kw).shape)
        for got, ref in zip(BACKWARD[nd](g, x, w, b, method="gemm", **kw), conv_nd_backward_naive(g, x, w, b, **kw)):
            _close(got, ref)
    finally:
        if previous is not None:
            convlab.set_memory_budget(previous)


@pytest.mark.parametrize("nd", [1, 2])
def test_transpose_on_workers_matches_naive(forced, rng, nd):
    x, w, b = make(rng, nd, n=5, transposed=True)
    kw = dict(stride=2, padding=1, output_padding=1)
    _close(TRANSPOSE[nd](x, w, b, method="gemm", **kw), conv_transpose_nd_naive(x, w, b, **kw))


WINOGRAD_CASES = [
    (1, dict(n=5, spatial=(23,), kernel=(3,)), dict(padding=1)),
    (2, dict(n=3, spatial=(9, 14), kernel=(3, 3)), dict(padding=1)),
    (2, dict(n=4, spatial=(10, 7), kernel=(3, 3), groups=2, c_out=4), dict(groups=2, padding_mode="reflect", padding=1)),
]


@pytest.mark.parametrize("m", [2, 4])
@pytest.mark.parametrize("nd, over, kw", WINOGRAD_CASES, ids=[f"{c[0]}d-{i}" for i, c in enumerate(WINOGRAD_CASES)])
def test_winograd_on_workers_matches_naive(forced, rng, nd, over, kw, m, monkeypatch):
    monkeypatch.setattr(_winograd.forward, "__defaults__", (m,))
    monkeypatch.setattr(_winograd.backward, "__defaults__", (m,))
    x, w, b = make(rng, nd, **over)
    _close(CONV[nd](x, w, b, method="winograd", **kw), conv_nd_naive(x, w, b, **kw))
    g = rng.standard_normal(conv_nd_naive(x, w, None, **kw).shape)
    for got, ref in zip(BACKWARD[nd](g, x, w, b, method="winograd", **kw), conv_nd_backward_naive(g, x, w, b, **kw)):
        _close(got, ref)


def test_float32_on_workers_matches_one_worker(rng, monkeypatch):
    """Splitting the batch changes only the order of the weight gradient's sum over samples."""
    x = rng.standard_normal((6, 8, 12, 12)).astype(np.float32)
    w = rng.standard_normal((5, 8, 3, 3)).astype(np.float32)
    g = rng.standard_normal((6, 5, 12, 12)).astype(np.float32)
    one = [convlab.conv2d(x, w, padding=1, method="gemm")] + list(
        convlab.conv2d_backward(g, x, w, padding=1, method="gemm")[:2]
    )
    monkeypatch.setattr(_parallel, "workers", lambda xp, n, work: min(n, 3))
    many = [convlab.conv2d(x, w, padding=1, method="gemm")] + list(
        convlab.conv2d_backward(g, x, w, padding=1, method="gemm")[:2]
    )
    np.testing.assert_array_equal(many[0], one[0])  # each output is computed by one worker, as before
    np.testing.assert_array_equal(many[1], one[1])
    np.testing.assert_allclose(many[2], one[2], rtol=1e-5, atol=1e-4)


# ------------------------------------------------------------------ the budget is shared, not multiplied
def test_workers_share_the_memory_budget(monkeypatch):
    monkeypatch.setattr(_parallel, "workers", lambda xp, n, work: min(n, 2))
    rng = np.random.default_rng(20261207)
    x = rng.standard_normal((4, 4, 8192))
    w = rng.standard_normal((4, 4, 8))
    previous = convlab.set_memory_budget(MIB)
    try:
        convlab.conv1d(x[:, :, :40], w, method="gemm")  # imports and caches outside the measurement
        gc.collect()
        tracemalloc.start()
        tracemalloc.reset_peak()
        y = convlab.conv1d(x, w, method="gemm")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        convlab.set_memory_budget(previous)
    windows = x.shape[0] * x.shape[1] * w.shape[2] * y.shape[2] * 8
    assert windows >= 4 * MIB - 64 * 1024  # four times the budget if built at once
    assert peak <= 2 * MIB + x.nbytes + y.nbytes + 64 * 1024
    _close(y, conv_nd_naive(x, w))


def test_plan_gives_each_worker_a_share(monkeypatch):
    monkeypatch.setattr(_parallel, "workers", lambda xp, n, work: min(n, 4))
    np_ns = array_api_compat.array_namespace(np.ones(1))
    previous = convlab.set_memory_budget(4 * MIB)
    try:
        k, share, per_sample = _gemm._numpy_plan(np_ns, (8, 4, 1000), (8,), (1000,), 8, 1e9)
        assert (k, per_sample) == (4, 4 * 8 * 1000 * 8)
        assert k * share <= convlab._memory.usable()
        # one sample's windows (1.9 MiB) leave room for one worker only
        k, share, _ = _gemm._numpy_plan(np_ns, (8, 4, 8000), (8,), (8000,), 8, 1e9)
        assert k == 1 and share == convlab._memory.usable()
    finally:
        convlab.set_memory_budget(previous)


# ------------------------------------------------------------------ the in-place transforms
@pytest.mark.parametrize("m", [2, 4])
def test_in_place_transform_equals_the_matrix(rng, m):
    bt = np.array(_winograd.matrices(m)[0])
    views = [rng.standard_normal((3, 5)) for _ in range(m + 2)]
    expected = np.tensordot(bt, np.stack(views), axes=1)
    out = np.empty((m + 2, 3, 5))
    _winograd._combine(np, _winograd.matrices(m)[0], views, out, np.empty((3, 5)))
    np.testing.assert_allclose(out, expected, rtol=1e-14, atol=1e-13)
    if m == 4:
        fast = np.empty_like(out)
        _winograd._bt4(np, views, fast, (np.empty((3, 5)), np.empty((3, 5))))
        np.testing.assert_allclose(fast, expected, rtol=1e-14, atol=1e-13)


@pytest.mark.parametrize("method", ["gemm", "winograd"])
def test_empty_batch_on_workers(forced, rng, method):
    x = np.zeros((0, 4, 9, 9))
    w = rng.standard_normal((5, 4, 3, 3))
    assert convlab.conv2d(x, w, padding=1, method=method).shape == (0, 5, 9, 9)
    gx, gw, _ = convlab.conv2d_backward(np.zeros((0, 5, 9, 9)), x, w, padding=1, method=method)
    assert gx.shape == x.shape and not gw.any()


# ------------------------------------------------------------------ the FFT path's fast pieces
@pytest.mark.parametrize("scipy_fft", [True, False], ids=["scipy.fft", "numpy.fft"])
@pytest.mark.parametrize("budget", [None, 1], ids=["default-budget", "1MiB"])
def test_overlap_add_in_place_matches_numpy_convolve(rng, monkeypatch, scipy_fft, budget):
    """Every segment layout: one segment, many, a short last one, a tail longer than a segment."""
    from convlab import _fft

    if not scipy_fft:
        monkeypatch.setitem(__import__("sys").modules, "scipy.fft", None)  # import fails: numpy.fft
    monkeypatch.setattr(_parallel, "MIN_WORK", 0)  # SciPy's workers too
    previous = convlab.set_memory_budget(budget * MIB) if budget else None
    np_ns = array_api_compat.array_namespace(np.ones(1))
    try:
        for length, taps in [(5, 3), (64, 64), (1000, 17), (4097, 100), (30000, 129), (50, 400), (70000, 1025)]:
            for c, o in [(1, 1), (2, 3)]:
                x = rng.standard_normal((2, c, length))
                h = rng.standard_normal((o, c, taps))
                got = _fft.full_convolution(np_ns, x, h)
                want = np.stack([
                    np.stack([sum(np.convolve(x[i, k], h[j, k]) for k in range(c)) for j in range(o)])
                    for i in range(2)
                ])
                _close(got, want, 1e-10)
    finally:
        if previous is not None:
            convlab.set_memory_budget(previous)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_fork_during_a_call_leaves_the_child_usable():
    """A fork taken while another thread is inside a call (the lock held, the counter above
    zero) must not leave the child's calls waiting for a thread it does not have."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    with _parallel._lock:  # what a thread entering or leaving a call holds
        pool = ctx.Pool(1)
    try:
        result = pool.apply_async(_child_split)
        assert result.get(timeout=30) == [[0, 1], [2, 3]]
    finally:
        pool.terminate()
        pool.join()


def _child_split():
    return _parallel.run(lambda a, b: list(range(a, b)), 4, 2)
