"""The memory budget that the fast paths split their work to respect.

The GEMM path builds a windows matrix ("im2col") that is ``prod(kernel)``
times larger than the input, and the FFT path holds the spectra of many
segments at once. Both work through the input in blocks small enough that
this scratch space stays under the budget, so a 10-million-sample signal and
a 1025-tap kernel fit in well under a gigabyte.
"""

from __future__ import annotations

import os

from ._shapes import check_int

__all__ = ["memory_budget", "set_memory_budget"]

_MIB = 1 << 20
_budget = 256 * _MIB
# Blocks larger than this gain nothing: a windows matrix that outgrows the CPU
# cache makes each block slower, not faster (measured here: per-sample blocks of
# about 8 MB beat one batched windows matrix). The budget is the hard cap.
_CACHE_BLOCK = 8 * _MIB


def memory_budget() -> int:
    """Bytes of scratch space a single convolution may use (default 256 MiB)."""
    return _budget


def set_memory_budget(nbytes) -> int:
    """Set the scratch-space budget in bytes; return the previous budget.

    Smaller budgets mean more, smaller blocks: the results do not change, only
    speed and peak memory. The budget bounds the scratch space of the GEMM and
    FFT paths: every array a block allocates (windows matrix, ``W^T G``, FFT
    segments, their spectra and results) and the kernel's spectrum, all alive
    at once. It does not bound the input, the output, the gradients returned,
    nor the padded copy of the input for padding modes other than zeros (zero
    padding larger than the budget is never materialised). The smallest block
    is one output row (GEMM: ``C_in/groups * prod(kernel) * prod(out[1:])``
    values) or one FFT segment; a budget below that is exceeded by that block.

    Raises
    ------
    TypeError
        ``nbytes`` is not an int.
    ValueError
        ``nbytes`` is below 1 MiB.
    """
    global _budget
    nbytes = check_int(nbytes, "nbytes")
    if nbytes < _MIB:
        raise ValueError(f"nbytes={nbytes} is invalid: the memory budget must be at least 1 MiB ({_MIB} bytes)")
    previous, _budget = _budget, nbytes
    return previous


def _machine_memory():
    """Bytes of physical memory, or None where the system does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _human(nbytes: int) -> str:
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if nbytes >= size:
            return f"{nbytes / size:.1f} {unit}"
    return f"{nbytes} B"


def check_fits(nbytes: int, what: str) -> None:
    """MemoryError, before anything is allocated, when ``what`` needs more than the machine has.

    Requests that fit are left to the array library (which may still fail if
    the memory is in use); this only refuses what could never succeed here.
    """
    limit = _machine_memory()
    if limit is not None and nbytes > limit:
        raise MemoryError(
            f"{what} would need {nbytes} bytes ({_human(nbytes)}), more than this machine's "
            f"memory ({_human(limit)}); use smaller sizes"
        )


def usable() -> int:
    """The part of the budget the blocks' arrays may fill: 1/16 is kept for small temporaries
    (index lists, views, per-tap products), so that the whole scratch stays within the budget."""
    return _budget - _budget // 16


def blocks(n: int, rows: int, bytes_per_row: int, budget: int | None = None):
    """Split ``n`` samples x ``rows`` output rows into blocks within the budget.

    Yields ``(n0, n1, r0, r1)``: as many whole samples as fit in a cache-sized
    block, else one sample per block while it fits the budget, else one sample
    and as many output rows as fit (at least one). ``budget`` (default
    :func:`usable`) is a worker's share when several split the samples.
    """
    budget = usable() if budget is None else budget
    size = min(budget, _CACHE_BLOCK)
    per_sample = max(1, rows * bytes_per_row)
    if per_sample <= size:
        step = max(1, size // per_sample)
        for n0 in range(0, n, step):
            yield n0, min(n, n0 + step), 0, rows
        return
    if per_sample <= budget:  # one sample a block: over the cache size, but within the budget
        for n0 in range(n):
            yield n0, n0 + 1, 0, rows
        return
    step = max(1, budget // max(1, bytes_per_row))
    for n0 in range(n):
        for r0 in range(0, rows, step):
            yield n0, n0 + 1, r0, min(rows, r0 + step)
