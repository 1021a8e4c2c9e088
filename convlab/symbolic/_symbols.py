"""Named symbols (signals, kernels, tensors) and the array plumbing of the package.

Reading inputs as :class:`sympy.Array` and indexing them fast (:class:`_Dense`)
are shared by every other module here; the argument checks come from
``convlab._shapes``, as in the numeric package.
"""

from __future__ import annotations

import itertools
import math
import numbers

import sympy as sp

from .._shapes import check_int

# Every entry is a SymPy object built in Python: a million of them take seconds and
# hundreds of MB. Larger requests are refused before anything is built (the numeric
# package is the tool for large arrays).
MAX_ENTRIES = 10**6

__all__ = ["signal", "kernel", "tensor", "upstream"]


# --------------------------------------------------------------------------- symbols


def _symbol(name, index):
    """``x_3`` for one index, ``x_{0,1}`` for several (SymPy renders both as subscripts)."""
    if len(index) == 1:
        return sp.Symbol(f"{name}_{index[0]}", real=True)
    return sp.Symbol(f"{name}_{{{','.join(map(str, index))}}}", real=True)


def signal(name, n, start=0):
    """A 1-D signal of ``n`` real symbols ``name_start, ..., name_{start+n-1}``.

    Parameters
    ----------
    name : str
    n : int
        Number of samples (>= 1).
    start : int
        Index of the first sample; may be negative.

    Returns
    -------
    sympy.Array of shape (n,)

    Examples
    --------
    >>> signal("x", 3)
    [x_0, x_1, x_2]
    >>> signal("x", 3, start=-1)
    [x_-1, x_0, x_1]
    """
    _check_name(name)
    n = check_int(n, "n", 1)
    start = check_int(start, "start")
    check_entries(n, "n", n, "the signal")
    return sp.Array([_symbol(name, (start + i,)) for i in range(n)], (n,))


def kernel(name, n, centered=False):
    """A 1-D kernel of ``n`` real symbols.

    ``w_0 .. w_{n-1}`` by default; with ``centered=True`` an odd kernel
    ``n = 2r + 1`` is indexed ``w_{-r} .. w_r``, so that
    ``convolve(x, w, "same")`` reads ``y_j = sum_{k=-r}^{r} x_{j-k} w_k``.
    (The book calls the half-width ``r`` and keeps ``p`` for padding.)

    Raises
    ------
    ValueError
        If ``centered=True`` and ``n`` is even (an even kernel has no centre).

    Examples
    --------
    >>> kernel("w", 3, centered=True)
    [w_-1, w_0, w_1]
    """
    n = check_int(n, "n", 1)
    if not isinstance(centered, bool):
        raise TypeError(f"centered={centered!r} is invalid: centered must be True or False")
    if not centered:
        return signal(name, n)
    if n % 2 == 0:
        raise ValueError(f"n={n} is invalid with centered=True: a centred kernel needs an odd length 2r + 1")
    return signal(name, n, start=-(n // 2))


def tensor(name, shape):
    """An array of real symbols of the given shape, named ``name_{i,j,...}``.

    A 1-D shape gives the same symbols as :func:`signal` (``x_0, x_1, ...``),
    so the two can be mixed in one derivation.

    Examples
    --------
    >>> tensor("x", (2, 2))
    [[x_{0,0}, x_{0,1}], [x_{1,0}, x_{1,1}]]
    """
    _check_name(name)
    shape = _check_shape(shape)
    check_entries(math.prod(shape), "shape", shape, "the tensor")
    return sp.Array([_symbol(name, idx) for idx in _indices(shape)], shape)


def upstream(name, shape):
    """Symbols ``g = dL/dy`` for an output of the given shape (see :func:`loss_dot`).

    Any scalar loss ``L(y)`` has ``dL/dx = sum_i (dL/dy_i) dy_i/dx``, which is the
    gradient of ``<y, g>`` with ``g`` held fixed; so ``loss_dot(y, upstream("g", y.shape))``
    is the loss used to derive every backward formula.
    """
    return tensor(name, shape)


def _check_name(name):
    if not isinstance(name, str) or not name:
        raise TypeError(f"name={name!r} is invalid: name must be a non-empty str")


def _check_shape(shape):
    if isinstance(shape, (tuple, list, sp.Tuple)):
        if len(shape) == 0:
            raise ValueError(f"shape={shape!r} is invalid: expected at least one axis")
        return tuple(check_int(s, "shape", 1) for s in shape)
    return (check_int(shape, "shape", 1),)


def check_entries(count, name, value, what):
    """ValueError naming ``name=value`` when ``what`` would have more than :data:`MAX_ENTRIES` entries."""
    if count > MAX_ENTRIES:
        raise ValueError(
            f"{name}={value!r} is invalid: {what} would have {count:,} entries, and convlab.symbolic "
            f"builds each one as a SymPy expression (at most {MAX_ENTRIES:,}); "
            "use the numeric convlab functions for arrays this large"
        )


def _short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- arrays


def _entries_of(v, name):
    """``v`` as nested lists of SymPy-ready entries; a TypeError naming ``name`` for anything else.

    Only lists, tuples and arrays nest: a str, dict or set is not a sequence of
    samples (SymPy would parse a str, read a dict's keys, or recurse forever on
    ``'abc'``). Bools become 0 and 1, as the numeric package reads them.
    """
    if isinstance(v, (list, tuple)):
        return [_entries_of(e, name) for e in v]
    if isinstance(v, (sp.NDimArray, sp.MatrixBase)):
        return _entries_of(v.tolist(), name)
    if hasattr(v, "__array__") and not isinstance(v, (numbers.Number, sp.Basic)):
        import numpy as np

        a = np.asarray(v)
        return _entries_of(a.tolist(), name) if a.ndim else _entries_of(a.item(), name)
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return sp.Integer(int(v))
    if isinstance(v, (numbers.Number, sp.Expr)):
        return v
    raise TypeError(
        f"{name}={_short(v)} is invalid: expected numbers or SymPy expressions (in a list, tuple or array), "
        f"got {type(v).__name__}"
    )


def _as_array(x, name, rank=None, shape_doc=None):
    """``x`` as a sympy Array (numbers sympified), optionally of a given rank."""
    if isinstance(x, sp.NDimArray):
        a = sp.Array(x)
    else:
        if not isinstance(x, (list, tuple, sp.MatrixBase)) and not hasattr(x, "__array__"):
            raise TypeError(
                f"{name}={_short(x)} is invalid: expected a list, tuple or array of numbers or SymPy "
                f"expressions, got {type(x).__name__}"
            )
        entries = _entries_of(x, name)
        try:
            a = sp.Array(entries)
        except (TypeError, ValueError, sp.SympifyError) as err:  # ragged nesting, ...
            raise TypeError(f"{name}={_short(x)} could not be read as an array of SymPy expressions: {err}") from None
    if a.rank() == 0:
        raise ValueError(f"{name} must be an array, got a scalar {a!r}")
    if 0 in _shape(a):
        raise ValueError(f"{name} is empty (shape {_shape(a)})")
    if rank is not None and a.rank() != rank:
        raise ValueError(f"{name} must have shape {shape_doc} ({rank} axes), got shape {_shape(a)}")
    return a


def _shape(a):
    """The shape of a sympy Array as a tuple of Python ints (SymPy keeps a Tuple of Integers)."""
    return tuple(int(n) for n in a.shape)


def _as_vector(x, name):
    return list(_as_array(x, name, 1, "(n,)"))


def _indices(shape):
    return itertools.product(*(range(n) for n in shape))


class _Dense:
    """Row-major entries with tuple indexing; ``sympy.Array.__getitem__`` is too slow for the inner loops."""

    __slots__ = ("flat", "shape", "strides")

    def __init__(self, flat, shape):
        self.flat, self.shape = list(flat), tuple(shape)
        strides, step = [], 1
        for n in reversed(self.shape):
            strides.append(step)
            step *= n
        self.strides = tuple(reversed(strides))

    @classmethod
    def of(cls, a):
        return cls(a.reshape(len(a)), _shape(a))

    def __getitem__(self, idx):
        return self.flat[sum(i * s for i, s in zip(idx, self.strides))]

    def array(self):
        return sp.Array(self.flat, self.shape)
