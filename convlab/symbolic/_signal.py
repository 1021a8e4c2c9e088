"""1-D convolution and correlation, padding and dilation, entry by entry.

The sums and the padded values are written out from their definitions; the
argument checks (modes, widths, ``stat_length``) and the index a copy mode
takes its value from are those of the numeric package.
"""

from __future__ import annotations

import math
import numbers

import sympy as sp

from .._padding import _CONSTANT_MODES, _COPY_MODES, pad_pairs, source_index, check_mode, stat_pair
from .._shapes import as_tuple, check_choice, check_int
from ._symbols import _as_array, _as_vector, _Dense, _indices, _shape, check_entries

__all__ = ["convolve", "correlate", "pad", "dilate"]

_SIGNAL_MODES = ("full", "same", "valid")


# --------------------------------------------------------------------------- convolve / correlate


def _operands(x, w, mode):
    """The two sequences as lists, and ``mode`` checked."""
    return _as_vector(x, "x"), _as_vector(w, "w"), check_choice(mode, "mode", _SIGNAL_MODES)


def _check_real(values, name):
    """TypeError for a concrete complex number: ``numpy.correlate`` would conjugate it (convlab refuses complex)."""
    for v in values:
        v = sp.sympify(v)
        if v.is_number and v.is_extended_real is False and v is not sp.nan and v is not sp.zoo:
            raise TypeError(
                f"{name} holds the complex number {v}; correlate is defined for real sequences "
                "(numpy.correlate conjugates w, and convlab.correlate refuses complex input)"
            )


def _crop(full, m, n, mode, same_start):
    """The ``mode`` part of a full-length result (``m``, ``n``: the two input lengths), as an Array."""
    short, long_ = min(m, n), max(m, n)
    if mode == "valid":
        full = full[short - 1 : long_]
    elif mode == "same":
        full = full[same_start : same_start + long_]
    return sp.Array(full, (len(full),))


def convolve(x, w, mode="full"):
    """Discrete linear convolution of two 1-D sequences, as ``numpy.convolve``.

    .. math:: y_j = \\sum_k x_{j-k} w_k, \\qquad j = 0, \\dots, m + n - 2

    with ``x`` zero outside ``0 .. m-1`` (``m = len(x)``, ``n = len(w)``, as in the book).

    Parameters
    ----------
    x, w : sequence of SymPy expressions or numbers
        Either may be the longer one (convolution is commutative).
    mode : {"full", "valid", "same"}
        ``full``: all ``m + n - 1`` outputs. ``valid``: the ``max - min + 1``
        outputs where the shorter sequence lies inside the longer.
        ``same``: ``max(m, n)`` outputs starting at index ``(min(m, n) - 1) // 2``
        of the full result; for an odd kernel this centres it, for an even
        kernel of length ``2q`` the window starts ``q - 1`` samples in.

    Returns
    -------
    sympy.Array of shape (len_out,)

    Raises
    ------
    ValueError
        Unknown ``mode`` or an empty sequence.
    """
    x, w, mode = _operands(x, w, mode)
    m, n = len(x), len(w)
    full = [sp.Add(*(x[j - k] * w[k] for k in range(n) if 0 <= j - k < m)) for j in range(m + n - 1)]
    return _crop(full, m, n, mode, (min(m, n) - 1) // 2)


def correlate(x, w, mode="valid"):
    """Cross-correlation of two real 1-D sequences, as ``numpy.correlate``.

    .. math:: z_k = \\sum_i x_{i + k - (n - 1)} w_i, \\qquad k = 0, \\dots, m + n - 2

    in ``full`` mode (``m = len(x)``, ``n = len(w)``), so ``z_{n-1+t} = sum_i x_{i+t} w_i``
    is ``w`` slid to lag ``t``.
    The full result equals ``convolve(x, w[::-1], "full")``.

    Parameters
    ----------
    x, w : sequence of SymPy expressions or numbers
    mode : {"valid", "same", "full"}
        As :func:`convolve`, except the ``same`` window: it starts at
        ``(n - 1) // 2`` of the full result when ``len(x) >= len(w)`` but at
        ``m // 2`` when ``w`` is the longer one. (NumPy swaps the arguments
        and reverses the output in that case, which moves the window by one
        for an even ``len(x)``; this reproduces it exactly.)

    Returns
    -------
    sympy.Array of shape (len_out,)

    Raises
    ------
    ValueError
        Unknown ``mode`` or an empty sequence.
    """
    x, w, mode = _operands(x, w, mode)
    _check_real(x, "x")
    _check_real(w, "w")
    m, n = len(x), len(w)
    full = [
        sp.Add(*(x[i + k - (n - 1)] * w[i] for i in range(n) if 0 <= i + k - (n - 1) < m)) for k in range(m + n - 1)
    ]
    return _crop(full, m, n, mode, (n - 1) // 2 if m >= n else m // 2)


# --------------------------------------------------------------------------- padding


def _statistic(line, side, k, mode):
    """The value that a statistic mode puts on one side of one line."""
    if mode == "first":
        return line[0]
    if mode == "last":
        return line[-1]
    n = len(line)
    k = n if k is None else min(k, n)
    window = line[:k] if side == "left" else line[n - k :]
    if mode == "mean":
        return sp.Add(*window) / k
    if any(v is sp.nan for v in window):  # numpy.median: NaN anywhere gives NaN
        return sp.nan
    unordered = [v for v in window if not v.is_comparable]
    if unordered:
        raise ValueError(
            f"mode='median' needs numbers, but the values it uses include {unordered[0]}, "
            "which cannot be ordered; substitute numbers first"
        )
    ordered = sorted(window, key=lambda v: sp.Float(v, 30))
    return ordered[k // 2] if k % 2 else (ordered[k // 2 - 1] + ordered[k // 2]) / 2


def _pad_axis(a, axis, left, right, mode, value, stats):
    """Pad one axis of ``a`` (a :class:`_Dense`)."""
    n = a.shape[axis]
    shape = list(a.shape)
    shape[axis] = n + left + right
    cache = {}

    def at(idx, t):
        return a[idx[:axis] + (t,) + idx[axis + 1 :]]

    out = []
    for idx in _indices(shape):
        t = idx[axis] - left
        if 0 <= t < n:
            out.append(at(idx, t))
        elif mode in _CONSTANT_MODES:
            out.append(value)
        elif mode in _COPY_MODES:
            out.append(at(idx, source_index(t, n, mode)))
        else:
            side = "left" if t < 0 else "right"
            key = (idx[:axis], idx[axis + 1 :], side)
            if key not in cache:
                line = [at(idx, j) for j in range(n)]
                cache[key] = _statistic(line, side, stats[0 if side == "left" else 1], mode)
            out.append(cache[key])
    return _Dense(out, shape)


def _pad(a, pairs, mode, value=sp.S.Zero, stats=(None, None)):
    """Pad the trailing ``len(pairs)`` axes of the :class:`_Dense` ``a``, leading axis first."""
    rank = len(a.shape)
    for axis, (left, right) in zip(range(rank - len(pairs), rank), pairs):
        if left or right:
            a = _pad_axis(a, axis, left, right, mode, value, stats)
    return a


def pad(x, pad_width, mode="zeros", *, value=None, stat_length=None, ndim=None):
    """Pad the trailing axes of ``x``, with the semantics of ``numpy.pad``.

    Along one axis of length ``n`` padded by ``(l, r)``: ``y[t + l] = x[t]`` for
    ``0 <= t < n``; outside, ``y[t + l]`` is ``x[src(t)]`` (copy modes), a constant,
    or a statistic of ``x`` (mean, median, first, last). Axes are padded one
    after another, leading axis first, as ``numpy.pad`` does.

    Parameters
    ----------
    x : sequence or array of SymPy expressions or numbers
    pad_width : int, (left, right), or ((left, right), ...)
        An int or one pair pads every axis (or the last ``ndim`` axes); a
        sequence of pairs pads the trailing axes, leading axis first.
    mode : str
        ``zeros``; ``constant`` (``value``, may be a symbol); ``mean`` and
        ``median`` of the whole axis or of the ``stat_length`` samples nearest
        each end (``median`` needs numbers); ``first``/``last`` (both sides get
        the first/last sample); ``reflect`` (``3 2 | 1 2 3``, NumPy ``reflect``);
        ``symmetric`` (``2 1 | 1 2 3``); ``replicate`` (NumPy ``edge``);
        ``circular`` (NumPy ``wrap``).
    value : SymPy expression or number, optional
        The constant for ``mode="constant"`` (default 0); an error with other
        modes, as in :func:`convlab.pad`.
    stat_length : None, int or (int, int)
        Window for ``mean``/``median``; ``None`` uses the whole axis. An error
        with other modes, as in :func:`convlab.pad`.
    ndim : int, optional
        Number of trailing axes to pad when ``pad_width`` is an int or one pair.

    Returns
    -------
    sympy.Array

    Notes
    -----
    Widths larger than the signal repeat the reflect/symmetric/circular
    pattern, as ``numpy.pad`` does. The mean is exact (``numpy.pad`` rounds it
    to the dtype of an integer array). The arguments are checked in the order and
    with the messages of :func:`convlab.pad`.

    Raises
    ------
    ValueError
        Unknown mode, negative widths, more pairs than axes, ``value`` or
        ``stat_length`` with a mode that does not use them, ``median`` of
        entries that cannot be ordered (symbols), or an output of more than a
        million entries.
    TypeError
        ``x`` not a sequence or array of numbers or expressions, a ``value`` that
        is not one number or expression.
    """
    a = _as_array(x, "x")
    mode = check_mode(mode)
    pairs = pad_pairs(pad_width, a.rank(), ndim)
    if len(pairs) > a.rank():
        raise ValueError(f"pad_width={pad_width!r} pads {len(pairs)} axes but x has only {a.rank()} (shape {_shape(a)})")
    # As convlab.pad (and numpy.pad): refuse options the mode would silently ignore.
    if value is not None and mode != "constant":
        raise ValueError(f"value={value!r} is only used by mode='constant', not mode={mode!r}")
    if stat_length is not None and mode not in ("mean", "median"):
        raise ValueError(f"stat_length={stat_length!r} is only used by mode='mean' or 'median', not mode={mode!r}")
    value = _pad_value(value)
    shape = list(_shape(a))
    for axis, (left, right) in zip(range(len(shape) - len(pairs), len(shape)), pairs):
        shape[axis] += left + right
    check_entries(math.prod(shape), "pad_width", pad_width, f"the padded output of shape {tuple(shape)}")
    return _pad(_Dense.of(a), pairs, mode, value, stat_pair(stat_length)).array()


def _pad_value(value):
    """The fill value: 0 for None, else one real number or SymPy expression (as convlab.pad, symbols allowed)."""
    if value is None:
        return sp.S.Zero
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, sp.Expr)):
        raise TypeError(f"value={value!r} is invalid: value must be a real number (or a SymPy expression)")
    value = sp.sympify(value)
    if value.is_number and value.is_extended_real is False and value is not sp.nan:
        raise TypeError(f"value={value!r} is invalid: value must be a real number (or a SymPy expression)")
    return value


# --------------------------------------------------------------------------- dilation


def dilate(x, factor, ndim=None):
    """Insert ``factor - 1`` zeros between neighbouring samples of the trailing axes.

    ``y[factor * i] = x[i]`` and zero elsewhere, so a length ``n`` becomes
    ``factor * (n - 1) + 1``. Two uses in the book: a dilated kernel is
    ``dilate(w, d)``, and the gradient of a stride-``s`` convolution scatters
    ``g`` with ``dilate(g, s)`` before convolving it.

    Parameters
    ----------
    x : sequence or array
    factor : int or tuple of int
        One per dilated axis (>= 1).
    ndim : int, optional
        Number of trailing axes to dilate; default: all of them (or
        ``len(factor)`` for a tuple).
    """
    a = _as_array(x, "x")
    if ndim is None:
        ndim = len(factor) if isinstance(factor, (tuple, list)) else a.rank()
    ndim = check_int(ndim, "ndim", 1)
    if ndim > a.rank():
        raise ValueError(f"ndim={ndim} is invalid: x has only {a.rank()} axes (shape {_shape(a)})")
    factors = (1,) * (a.rank() - ndim) + as_tuple(factor, ndim, "factor", 1)
    shape = tuple(f * (n - 1) + 1 for f, n in zip(factors, _shape(a)))
    check_entries(math.prod(shape), "factor", factor, f"the dilated output of shape {shape}")
    a = _Dense.of(a)
    out = []
    for idx in _indices(shape):
        if all(i % f == 0 for i, f in zip(idx, factors)):
            out.append(a[tuple(i // f for i, f in zip(idx, factors))])
        else:
            out.append(sp.S.Zero)
    return sp.Array(out, shape)
