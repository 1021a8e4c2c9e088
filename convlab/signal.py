"""One signal, one kernel: convolution as signal processing defines it.

.. math:: (x * w)_j = \\sum_k x_{j-k} \\, w_k

with ``x`` taken as zero outside ``0 .. len(x)-1``. The three output modes are
slices of the ``full`` result (length ``m + n - 1``): ``same`` keeps
``max(m, n)`` values around the centre and ``valid`` keeps the
``max(m, n) - min(m, n) + 1`` values where the two overlap completely. Every
mode and every kernel length equals ``numpy.convolve`` / ``numpy.correlate``.

The neural-network layers (:func:`convlab.conv1d`) compute the
cross-correlation instead; here both are computed by the same layer core.
"""

from __future__ import annotations

from typing import NamedTuple

from . import _fft, _gemm, _taps
from ._backend import device, floats, restore
from ._conv import METHODS, all_finite, correlate_padded
from ._padding import pad_plan
from ._shapes import check_choice

__all__ = ["convolve", "correlate", "autocorrelate", "Autocorrelation"]

_MODES = ("full", "same", "valid")


def _signals(x, w, fn):
    xp, (x, w), dtype = floats(x, w, names=["x", "w"])
    for name, a in (("x", x), ("w", w)):
        if a.ndim != 1:
            raise ValueError(f"{fn}: {name} has shape {tuple(a.shape)}; expected a 1-D array")
        if a.shape[0] == 0:
            raise ValueError(f"{fn}: {name} is empty; expected at least one value")
    return xp, x, w, dtype


def _path(method, m, n):
    """``method`` checked; ``auto`` takes the FFT from 16 samples on and the GEMM below."""
    method = check_choice(method, "method", METHODS)
    if method != "auto":
        return method
    return "fft" if min(m, n) >= _fft.SIGNAL_FFT_MIN_TAPS else "gemm"


def _full_convolution(xp, x, w, method="auto"):
    """All ``m + n - 1`` values of ``x * w``: slide the reversed kernel over the zero-padded signal."""
    if w.shape[0] > x.shape[0]:
        x, w = w, x  # convolution commutes; loop over the shorter one's taps
    k = w.shape[0]
    out = x.shape[0] + k - 1
    x3, w3 = xp.reshape(x, (1, 1, x.shape[0])), xp.reshape(w, (1, 1, k))
    path = _path(method, x.shape[0], k)
    if not all_finite(xp, x, w):
        # numpy.convolve multiplies only overlapping samples: an FFT would spread a NaN or inf
        # over its whole block, and a padded product 0 * inf would make a NaN numpy never makes.
        y = _taps.forward(xp, x3, xp.flip(w3, axis=-1), (1,), (1,), 1, (out,), (k - 1,))
        return xp.reshape(y, (out,))
    if path == "fft":
        return xp.reshape(_fft.full_convolution(xp, x3, w3), (out,))
    x_pad, _ = pad_plan(xp, x3, ((k - 1, k - 1),), "zeros")
    core = correlate_padded if path == "direct" else _gemm.forward
    return xp.reshape(core(xp, x_pad, xp.flip(w3, axis=-1), (1,), (1,), 1, (out,)), (out,))


def _mode_slice(mode, m, n, start_same):
    longest, shortest = max(m, n), min(m, n)
    if mode == "full":
        return slice(0, m + n - 1)
    if mode == "valid":
        return slice(shortest - 1, longest)
    return slice(start_same, start_same + longest)


def convolve(x, w, mode="full", method="auto"):
    """Discrete linear convolution of two 1-D signals, as ``numpy.convolve``.

    .. math:: y_j = \\sum_k x_{j-k} \\, w_k \\quad (x \\text{ zero outside its range})

    Parameters
    ----------
    x, w : 1-D arrays (or lists)
    mode : {"full", "same", "valid"}
        ``full``: every overlap, length ``m + n - 1``. ``same``: length
        ``max(m, n)``, centred; for an even kernel the extra value is taken
        from the left end of ``full``, as NumPy does. ``valid``: only complete
        overlaps, length ``max(m, n) - min(m, n) + 1`` (``m - n + 1`` for a
        kernel no longer than the signal).
    method : {"auto", "direct", "gemm", "fft"}
        How to compute it; every method gives the same values. ``fft`` uses
        overlap-add FFTs (like ``scipy.signal.oaconvolve``); ``auto`` takes it
        when both sequences have at least 16 samples and ``gemm`` otherwise.

    Returns
    -------
    y : 1-D array in the library, device and float dtype of the input.

    Notes
    -----
    NaN and inf land exactly where ``numpy.convolve`` puts them, whatever the
    method: input that holds them is summed tap by tap over the overlap only
    (an FFT would spread them over a whole block).

    Examples
    --------
    >>> import numpy as np, convlab
    >>> convlab.convolve(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]))
    array([0. , 1. , 2.5, 4. , 1.5])
    """
    check_choice(mode, "mode", _MODES)
    xp, x, w, dtype = _signals(x, w, "convolve")
    m, n = x.shape[0], w.shape[0]
    return restore(xp, _full_convolution(xp, x, w, method)[_mode_slice(mode, m, n, (min(m, n) - 1) // 2)], dtype)


def correlate(x, w, mode="valid", method="auto"):
    """Cross-correlation of two 1-D signals, as ``numpy.correlate`` (real input).

    .. math:: c_j = \\sum_n x_{n + j} \\, w_n

    It is the convolution with the reversed kernel: ``correlate(x, w) ==
    convolve(x, w[::-1])``, except that in ``same`` mode with a kernel longer
    than an even-length signal NumPy centres the other way, and so does this.

    Parameters
    ----------
    x, w : 1-D arrays (or lists)
    mode : {"valid", "same", "full"}
        Output lengths as in :func:`convolve`. The ``full`` result holds lags
        ``-(n - 1) .. m - 1``.
    method : {"auto", "direct", "gemm", "fft"}
        How to compute it; every method gives the same values. ``fft`` uses
        overlap-add FFTs (like ``scipy.signal.oaconvolve``); ``auto`` takes it
        when both sequences have at least 16 samples and ``gemm`` otherwise.

    Returns
    -------
    c : 1-D array
    """
    check_choice(mode, "mode", _MODES)
    xp, x, w, dtype = _signals(x, w, "correlate")
    m, n = x.shape[0], w.shape[0]
    start = (min(m, n) - 1) // 2 if m >= n else min(m, n) // 2
    return restore(xp, _full_convolution(xp, x, xp.flip(w), method)[_mode_slice(mode, m, n, start)], dtype)


class Autocorrelation(NamedTuple):
    """Values of an autocorrelation and the lag of each value."""

    values: object
    lags: object


def autocorrelate(x, mode="full", *, normalize=None, demean=False, method="auto"):
    """Autocorrelation of a 1-D signal with the lag of every value.

    .. math:: r_\\ell = \\sum_n x_{n + \\ell} \\, x_n, \\qquad \\ell = -(m-1), \\dots, m-1

    Parameters
    ----------
    x : 1-D array
    mode : {"full", "same", "valid"}
        Which lags to return; ``lags`` equals
        ``scipy.signal.correlation_lags(m, m, mode)``.
    normalize : {None, "biased", "unbiased", "coeff"}
        ``biased`` divides by ``m``; ``unbiased`` by ``m - |lag|`` (the number
        of products in each sum); ``coeff`` by ``r_0`` so that lag 0 is 1.
    demean : bool
        Subtract the mean of ``x`` first (usual when looking for a period).
    method : {"auto", "direct", "gemm", "fft"}
        How to compute it; every method gives the same values. ``fft`` uses
        overlap-add FFTs (like ``scipy.signal.oaconvolve``); ``auto`` takes it
        when the signal has at least 16 samples and ``gemm`` otherwise.

    Returns
    -------
    Autocorrelation
        ``(values, lags)``, a named tuple; ``lags`` is an int64 array.

    Raises
    ------
    ValueError
        Unknown mode or normalisation; ``coeff`` of a signal whose values are all zero.
    """
    check_choice(mode, "mode", _MODES)
    if normalize is not None:
        check_choice(normalize, "normalize", ("biased", "unbiased", "coeff"))
    if not isinstance(demean, bool):
        raise TypeError(f"demean={demean!r} is invalid: expected True or False")
    xp, x, _, dtype = _signals(x, x, "autocorrelate")
    if demean:
        x = x - xp.mean(x)
    m = x.shape[0]
    full = _full_convolution(xp, x, xp.flip(x), method)
    lags = xp.arange(-(m - 1), m, dtype=xp.int64, device=device(x))
    if normalize == "biased":
        full = full / m
    elif normalize == "unbiased":
        full = full / xp.astype(m - xp.abs(lags), full.dtype)
    elif normalize == "coeff":
        energy = full[m - 1]
        if not bool(energy != 0):
            raise ValueError("normalize='coeff' divides by r at lag 0, which is 0 for this x (all values zero)")
        full = full / energy
    keep = _mode_slice(mode, m, m, (m - 1) // 2)
    return Autocorrelation(restore(xp, full[keep], dtype), lags[keep])
