"""Samples in parallel on NumPy: one worker thread per BLAS thread, each with a one-thread BLAS.

A layer's GEMM path spends a third of its time outside the matrix products:
filling the windows buffer, adding ``W^T G`` back onto the input, padding.
NumPy runs those copies on one thread, so a BLAS with two threads leaves one
core idle for that third, and its threads wake and sleep between the small
products of every sample. Splitting the batch into one contiguous range of
samples per worker, and giving each worker a BLAS of one thread for the
duration of the call, keeps every core on its own samples, copies included
(NumPy releases the interpreter lock in both). Measured on 2 cores (float32,
fwd+bwd, medians of four separate processes each way, BLAS's own two threads ->
two workers): B2 54-88 -> 48-62 ms, C64 152-217 -> 130-148 ms, C3 14-20 -> 12-16 ms;
the spread without workers is OpenBLAS's spinning (the window copies after a
2-thread GEMM took 5-18 ms, after a 1-thread GEMM 2.7-3.7 ms).

The number of workers is the number of threads NumPy's BLAS has when the call
starts, so a program that limits BLAS to one thread (``threadpoolctl``,
``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``) gets the one-thread code path
unchanged. The BLAS setting is changed only while a call runs and restored
after it, also when calls overlap from several threads (a counter, so the
last call to finish restores what the first one found). Without
``threadpoolctl`` installed everything runs on the calling thread.
"""

from __future__ import annotations

import os
import threading

__all__ = ["workers", "run"]

#: Below this many multiply-adds a call runs on one thread: starting a thread
#: (~50 us) and splitting the batch cost more than they save.
MIN_WORK = 20_000_000

_lock = threading.Lock()
_depth = 0
_saved: list = []
_controller = None  # None: not looked up yet; False: no threadpoolctl or no BLAS found


def _after_fork_in_child():
    # A fork while another thread was inside a call would leave the lock held forever in
    # the child, and the counter above zero; the child has none of those threads.
    global _lock, _depth
    _lock, _depth = threading.Lock(), 0
    _saved.clear()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _blas():
    """The BLAS libraries loaded in this process (threadpoolctl's controllers), or ``[]``."""
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # optional: then convlab runs each call on the calling thread
            _controller = False
        else:
            libs = [lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"]
            _controller = libs or False
    return _controller or []


def workers(xp, n_items: int, work: float) -> int:
    """How many threads to split ``n_items`` samples (``work`` multiply-adds in all) over.

    One for libraries other than NumPy (CuPy runs on the GPU; the others gain
    nothing that has been measured), for a single sample and for small work.
    """
    if n_items < 2 or work < MIN_WORK:
        return 1
    from ._backend import is_numpy

    if not is_numpy(xp):
        return 1
    libs = _blas()
    if not libs:
        return 1
    threads = max(lib.num_threads for lib in libs)
    return max(1, min(n_items, threads, cores()))


def cores() -> int:
    """The cores this process may run on (its affinity mask where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on every platform
        return os.cpu_count() or 1


def _enter():
    global _depth
    with _lock:
        if _depth == 0:
            _saved[:] = [(lib, lib.num_threads) for lib in _blas()]
            for lib, _ in _saved:
                lib.set_num_threads(1)
        _depth += 1


def _exit():
    global _depth
    with _lock:
        _depth -= 1
        if _depth == 0:
            for lib, threads in _saved:
                lib.set_num_threads(threads)
            _saved.clear()


def ranges(n: int, parts: int):
    """``parts`` contiguous ``(start, stop)`` ranges covering ``0 .. n``, sizes differing by at most one."""
    bounds = [n * i // parts for i in range(parts + 1)]
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def run(fn, n: int, parts: int):
    """``[fn(start, stop) for each range]``, the ranges on ``parts`` threads (the caller's among them).

    The first exception raised by any worker is raised here, after every worker
    has finished (none is left writing into shared arrays).
    """
    spans = ranges(n, parts) or [(0, 0)]  # an empty batch: one call on an empty range
    if len(spans) == 1:
        return [fn(*spans[0])]
    results = [None] * len(spans)
    errors = []

    def task(i):
        try:
            results[i] = fn(*spans[i])
        except BaseException as exc:  # noqa: BLE001 (re-raised in the caller)
            errors.append(exc)

    _enter()
    try:
        threads = [threading.Thread(target=task, args=(i,), daemon=True) for i in range(1, len(spans))]
        for t in threads:
            t.start()
        task(0)
        for t in threads:
            t.join()
    finally:
        _exit()
    if errors:
        raise errors[0]
    return results
