"""Derivatives of the expressions the other modules build, and the loss that gives a backward pass.

With ``L = <y, g>`` and ``g`` standing for ``dL/dy``, :func:`gradient` of ``L``
with respect to any input is the backward pass of whatever built ``y``; the
book derives every backward formula this way.
"""

from __future__ import annotations

import sympy as sp

from ._symbols import _as_array, _Dense, _shape

__all__ = ["gradient", "loss_dot"]


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
    else:
        wrt = _as_array(wrt, "wrt")
        wrt_shape, variables = _shape(wrt), _Dense.of(wrt).flat
    bad = [v for v in variables if not isinstance(v, sp.Symbol)]
    if bad:
        raise TypeError(f"wrt must hold symbols only; {bad[0]!r} is not a sympy.Symbol")
    if isinstance(expr, (sp.NDimArray, list, tuple)):
        expr = _as_array(expr, "expr")
        entries, expr_shape = _Dense.of(expr).flat, _shape(expr)
    else:
        entries, expr_shape = [sp.sympify(expr)], ()
    out = [sp.diff(e, v) for e in entries for v in variables]
    shape = expr_shape + wrt_shape
    return sp.Array(out, shape) if shape else out[0]
