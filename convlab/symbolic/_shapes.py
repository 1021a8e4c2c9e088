"""Output lengths as SymPy expressions, so the size formulas can be manipulated and proved.

Unlike the rest of the package the arguments here may be symbols, so only the
concrete ones are range-checked.
"""

from __future__ import annotations

import sympy as sp

from .._shapes import check_choice

__all__ = ["output_size", "transposed_output_size"]


def _is_concrete(v):
    return isinstance(v, int) or (isinstance(v, sp.Basic) and v.is_Integer)


def _sym_arg(v, name):
    if isinstance(v, bool):
        raise TypeError(f"{name}={v!r} is invalid: {name} must be an int or a SymPy expression")
    try:
        return sp.sympify(v)
    except sp.SympifyError:
        raise TypeError(f"{name}={v!r} is invalid: {name} must be an int or a SymPy expression") from None


def _pad_arg(p):
    p = _sym_arg(p, "padding")
    if _is_concrete(p) and p < 0:
        raise ValueError(f"padding={p} is invalid: padding must be an int >= 0")
    return p

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
    ValueError
        For concrete values: stride, dilation or kernel_size below 1, negative
        padding, ``"same"`` with stride > 1, or a dilated kernel longer than the
        padded input.

    Examples
    --------
    >>> import sympy as sp
    >>> L, k, s, p, d = sp.symbols("L k s p d", integer=True, positive=True)
    >>> output_size(L, k, s, p, d)
    floor((L - d*(k - 1) + 2*p - 1)/s) + 1
    """
    L, k, s, d = (_sym_arg(v, name) for v, name in
                  ((input_size, "input_size"), (kernel_size, "kernel_size"), (stride, "stride"), (dilation, "dilation")))
    for v, name in ((L, "input_size"), (k, "kernel_size"), (s, "stride"), (d, "dilation")):
        if _is_concrete(v) and v < 1:
            raise ValueError(f"{name}={v} is invalid: {name} must be a positive int")
    if isinstance(padding, str):
        check_choice(padding, "padding", ("valid", "same"))
        if padding == "same" and _is_concrete(s) and s != 1:
            raise ValueError(f"padding='same' is not supported with stride={s} (same needs stride 1)")
        total = 0 if padding == "valid" else d * (k - 1)
    elif isinstance(padding, (tuple, list)):
        if len(padding) != 2:
            raise ValueError(f"padding={padding!r} is invalid: expected an int or a (left, right) pair")
        total = _pad_arg(padding[0]) + _pad_arg(padding[1])
    else:
        total = 2 * _pad_arg(padding)
    out = sp.floor((L + total - d * (k - 1) - 1) / s) + 1
    if _is_concrete(out) and out < 1:
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
    """
    L, k, s, p, op, d = (
        _sym_arg(v, name)
        for v, name in (
            (input_size, "input_size"),
            (kernel_size, "kernel_size"),
            (stride, "stride"),
            (padding, "padding"),
            (output_padding, "output_padding"),
            (dilation, "dilation"),
        )
    )
    return (L - 1) * s - 2 * p + d * (k - 1) + op + 1
