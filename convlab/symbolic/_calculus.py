"""Derivatives of the expressions the other modules build, and the loss that gives a backward pass.

With ``L = <y, g>`` and ``g`` standing for ``dL/dy``, :func:`gradient` of ``L``
with respect to any input is the backward pass of whatever built ``y``; the
book derives every backward formula this way.
"""

from __future__ import annotations

import numbers

import sympy as sp

from ._symbols import _as_array, _Dense, _entries_of, _shape, _short

__all__ = ["gradient", "loss_dot", "equal", "is_zero"]


def loss_dot(y, g):
    """The scalar ``L = <y, g> = sum_i y_i g_i`` over all entries.

    With ``g = upstream("g", y.shape)`` standing for ``dL/dy``, the gradient of
    this ``L`` with respect to any input is the backward pass of whatever built ``y``.

    Raises
    ------
    ValueError
        If ``y`` and ``g`` have different shapes.
    """
    y, g = _as_array(y, "y"), _as_array(g, "g")
    if _shape(y) != _shape(g):
        raise ValueError(f"y and g must have the same shape, got {_shape(y)} and {_shape(g)}")
    return sp.Add(*(a * b for a, b in zip(_Dense.of(y).flat, _Dense.of(g).flat)))


def gradient(expr, wrt):
    """Derivatives of ``expr`` with respect to every symbol in ``wrt``, by ``sympy.diff``.

    .. math:: G[j] = \\partial\\, expr / \\partial\\, wrt[j]

    Parameters
    ----------
    expr : SymPy expression or array
        A scalar gives an array of ``wrt``'s shape; an array gives the Jacobian
        of shape ``expr.shape + wrt.shape`` (``J[i, j] = d expr[i] / d wrt[j]``).
    wrt : SymPy Symbol, or array / sequence of symbols
        A single symbol gives a scalar (or an array of ``expr``'s shape).

    Returns
    -------
    sympy.Expr or sympy.Array
    """
    if isinstance(wrt, sp.Basic) and not isinstance(wrt, sp.NDimArray):
        wrt_shape, variables = (), [wrt]
    elif isinstance(wrt, (str, bytes)) or wrt is None:
        raise TypeError(f"wrt={wrt!r} is invalid: expected a sympy.Symbol or an array of symbols")
    else:
        wrt = _as_array(wrt, "wrt")
        wrt_shape, variables = _shape(wrt), _Dense.of(wrt).flat
    bad = [v for v in variables if not isinstance(v, sp.Symbol)]
    if bad:
        raise TypeError(f"wrt must hold symbols only; {bad[0]!r} is not a sympy.Symbol")
    if isinstance(expr, (sp.NDimArray, sp.MatrixBase, list, tuple)):
        expr = _as_array(expr, "expr")
        entries, expr_shape = _Dense.of(expr).flat, _shape(expr)
    elif isinstance(expr, (sp.Expr, numbers.Number)) and not isinstance(expr, bool):
        entries, expr_shape = [sp.sympify(expr)], ()
    else:  # a str would be parsed, None or a dict cannot be differentiated
        raise TypeError(
            f"expr={_short(expr)} is invalid: expected a SymPy expression or an array of them, "
            f"got {type(expr).__name__}"
        )
    out = [sp.diff(e, v) for e in entries for v in variables]
    shape = expr_shape + wrt_shape
    return sp.Array(out, shape) if shape else out[0]


def _entries(a, name):
    """The entries of a SymPy expression, array or matrix, or a (nested) sequence, in order.

    A str (SymPy would parse it), a dict or set (no order of entries) and None
    are a TypeError naming ``name``.
    """
    if isinstance(a, sp.MatrixBase):
        return list(a)
    if isinstance(a, sp.NDimArray):
        return sp.flatten(a.tolist()) if a.shape else [a[()]]
    if isinstance(a, (str, bytes, dict, set, frozenset)) or a is None:
        raise TypeError(
            f"{name}={_short(a)} is invalid: expected a SymPy expression, array or matrix, "
            f"or a sequence of them, got {type(a).__name__}"
        )
    if isinstance(a, (list, tuple)) or (hasattr(a, "__iter__") and not isinstance(a, sp.Basic)):
        return [entry for item in a for entry in _entries(item, name)]
    return [sp.sympify(_entries_of(a, name))]


def _same(p, q):
    """``p == q`` as an identity: NaN equals nothing (as in NumPy), and ``oo == oo`` (``oo - oo`` is NaN)."""
    if p.has(sp.nan) or q.has(sp.nan):
        return False
    if p == q:
        return True
    return sp.expand(p - q) == 0


def _squeezed(shape):
    return tuple(n for n in shape if n != 1)


def is_zero(a):
    """True when every entry of ``a`` expands to zero: the check that ends a derivation.

    ``a`` is an expression, a SymPy array or matrix, or a (nested) sequence of them.
    The test is ``sympy.expand(entry) == 0``, so it proves identities between
    polynomials in the symbols (every formula of a convolution layer is one); it
    does not try ``simplify``, which is slower and can hide a mistake behind a
    rewriting it cannot finish.

    >>> import sympy as sp
    >>> a, b = sp.symbols("a b")
    >>> is_zero([(a + b) ** 2 - a**2 - 2 * a * b - b**2, 0])
    True
    >>> is_zero(a - b)
    False
    """
    return all(not entry.has(sp.nan) and sp.expand(entry) == 0 for entry in _entries(a, "a"))


def equal(a, b):
    """True when ``a`` and ``b`` have as many entries and agree entry by entry.

    .. math:: a_i - b_i \\equiv 0 \\quad \\text{for every } i

    Arrays, matrices and nested sequences are compared in row-major order of
    their entries (a matrix column and a flat list of the same entries are
    equal); when both are SymPy arrays or matrices their shapes must match too,
    apart from axes of length 1 (an ``Array`` of shape ``(n,)`` equals a
    ``Matrix`` column of shape ``(n, 1)``).

    >>> import sympy as sp
    >>> x0, x1 = sp.symbols("x0 x1")
    >>> equal([x0 * (x1 + 1), x1], [x0 * x1 + x0, x1])
    True
    >>> equal([x0, x1], [x0])
    False
    """
    shaped = (sp.NDimArray, sp.MatrixBase)
    if isinstance(a, shaped) and isinstance(b, shaped) and _squeezed(a.shape) != _squeezed(b.shape):
        return False
    left, right = _entries(a, "a"), _entries(b, "b")
    return len(left) == len(right) and all(_same(p, q) for p, q in zip(left, right))
