"""Output lengths as SymPy expressions, so the size formulas can be manipulated and proved.

Unlike the rest of the package the arguments here may be symbols. Concrete
arguments are checked by the numeric package's own validators
(``convlab._shapes``), so both accept the same numbers and refuse the others
with the same messages; a symbol is refused only when its assumptions rule it
out (``integer=False``, or known to be below the minimum).
"""

from __future__ import annotations

import sympy as sp

from .. import _shapes as numeric
from .._shapes import check_choice, check_int

__all__ = ["output_size", "transposed_output_size"]


def _has_symbols(v):
    return isinstance(v, sp.Basic) and bool(v.free_symbols)


def _size_arg(v, name, minimum):
    """``v`` as a SymPy expression: concrete values through ``check_int``, symbols by their assumptions."""
    if not _has_symbols(v):
        if isinstance(v, sp.Basic) and not isinstance(v, sp.Expr):
            raise TypeError(f"{name}={v!r} is invalid: {name} must be an int or a SymPy expression")
        return sp.Integer(check_int(v, name, minimum))
    if not isinstance(v, sp.Expr):
        raise TypeError(f"{name}={v!r} is invalid: {name} must be an int or a SymPy expression")
    if v.is_integer is False:
        raise TypeError(f"{name}={v} is invalid: {name} must be an int (or an integer-valued expression)")
    if minimum is not None and (v - minimum).is_negative:
        raise ValueError(f"{name}={v} is invalid: {name} is known to be below {minimum}")
    return v


def _padding_total(padding, k, s, d, stride):
    """``p_l + p_r`` for the one axis (padding as an int, a pair, "valid" or "same")."""
    if isinstance(padding, str):
        check_choice(padding, "padding", ("valid", "same"))
        if padding == "valid":
            return sp.S.Zero
        if not _has_symbols(s) and s != 1:
            raise ValueError(f"padding='same' is not supported with stride={stride!r} (same needs stride 1)")
        return d * (k - 1)
    if isinstance(padding, (tuple, list)):
        if len(padding) == 1:  # one entry for the one axis, as the numeric output_size accepts
            return _padding_total(padding[0], k, s, d, stride)
        if len(padding) != 2:
            raise ValueError(f"padding={padding!r} is invalid: expected an int or a (left, right) pair")
        return _size_arg(padding[0], "padding", 0) + _size_arg(padding[1], "padding", 0)
    return 2 * _size_arg(padding, "padding", 0)


def _all_concrete(*values):
    def concrete(v):
        if isinstance(v, (tuple, list)):
            return all(concrete(e) for e in v)
        return not _has_symbols(v)

    return all(concrete(v) for v in values)


def output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    """Output length of a convolution along one axis, as a SymPy expression.

    .. math:: L_{out} = \\left\\lfloor \\frac{L + p_l + p_r - d (k - 1) - 1}{s} \\right\\rfloor + 1

    Every argument may be a SymPy symbol (declare it ``integer=True``), so the
    formula can be manipulated and proved; with integers it evaluates to a
    SymPy Integer.

    Parameters
    ----------
    input_size, kernel_size, stride, dilation : int or SymPy expression
    padding : int, SymPy expression, (left, right) pair, "valid" or "same"
        ``"same"`` pads ``d (k - 1)`` in total (stride 1 only).

    Returns
    -------
    sympy.Expr

    Raises
    ------
    TypeError
        A concrete argument that is not an int (``10.5``, ``"10"``, ``True``).
    ValueError
        For concrete values: stride, dilation or kernel_size below 1, negative
        padding, ``"same"`` with stride > 1, or a dilated kernel longer than the
        padded input. Numbers are checked by :func:`convlab.output_size` itself,
        so the two raise the same errors.

    Examples
    --------
    >>> import sympy as sp
    >>> L, k, s, p, d = sp.symbols("L k s p d", integer=True, positive=True)
    >>> output_size(L, k, s, p, d)
    floor((L - d*(k - 1) + 2*p - 1)/s) + 1
    """
    args = (input_size, kernel_size, stride, padding, dilation)
    if _all_concrete(*args) and not isinstance(input_size, (tuple, list)):
        # Numbers only: the numeric output_size checks them, with its messages (the value is not used).
        numeric.output_size(*(v if isinstance(v, (str, tuple, list)) else _plain(v) for v in args))
    L = _size_arg(input_size, "input_size", 1)
    k = _size_arg(kernel_size, "kernel_size", 1)
    s = _size_arg(stride, "stride", 1)
    d = _size_arg(dilation, "dilation", 1)
    total = _padding_total(padding, k, s, d, stride)
    out = sp.floor((L + total - d * (k - 1) - 1) / s) + 1
    if out.is_number and out < 1:
        raise ValueError(
            f"kernel_size={k} with dilation={d} spans {d * (k - 1) + 1} samples but the padded input "
            f"has only {L + total}; use a smaller kernel or more padding"
        )
    return out


def transposed_output_size(input_size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """Output length of a transposed convolution, as a SymPy expression.

    .. math:: L_{out} = (L - 1) s - 2 p + d (k - 1) + \\text{output_padding} + 1

    It inverts :func:`output_size`: for any ``L_out`` that a convolution with
    these parameters maps from ``L``, some ``output_padding < s`` gives back ``L``.

    Raises
    ------
    TypeError, ValueError
        For concrete values, as ``convlab.conv_transpose1d``: sizes, stride and
        dilation below 1, negative padding or output_padding, ``output_padding``
        not smaller than stride or dilation, or padding that removes the whole output.
    """
    L = _size_arg(input_size, "input_size", 1)
    k = _size_arg(kernel_size, "kernel_size", 1)
    s = _size_arg(stride, "stride", 1)
    p = _size_arg(padding, "padding", 0)
    op = _size_arg(output_padding, "output_padding", 0)
    d = _size_arg(dilation, "dilation", 1)
    if not _has_symbols(op) and not _has_symbols(s) and not _has_symbols(d) and op >= max(s, d):
        raise ValueError(f"output_padding={op} must be smaller than stride={s} or dilation={d}")
    length = (L - 1) * s + d * (k - 1) + op + 1
    out = length - 2 * p
    if out.is_number and out < 1:
        raise ValueError(
            f"padding={p} removes the whole output (uncropped length {length}); use padding < {(length + 1) // 2}"
        )
    return out


def _plain(v):
    """A concrete SymPy Integer as a Python int, anything else unchanged (for the numeric validators)."""
    return int(v) if isinstance(v, sp.Integer) else v
