"""Argument normalisation, validation and output shapes.

Every layer argument arrives here in whatever form a user wrote it (``3``,
``(3, 5)``, ``"same"``) and leaves as a tuple with one entry per spatial axis,
or as a clear error that names the parameter and the value.
"""

from __future__ import annotations

import operator

__all__ = ["output_size", "same_padding"]


def check_int(value, name: str, minimum: int | None = None) -> int:
    """``value`` as a Python int, or TypeError/ValueError naming ``name``."""
    if isinstance(value, bool):
        raise TypeError(f"{name}={value!r} is invalid: {name} must be an int, not a bool")
    try:
        as_int = operator.index(value)
    except TypeError:
        raise TypeError(f"{name}={value!r} is invalid: {name} must be an int") from None
    if minimum is not None and as_int < minimum:
        kind = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{name}={value!r} is invalid: {name} must be {kind}")
    return as_int


def as_tuple(value, ndim: int, name: str, minimum: int | None = None) -> tuple[int, ...]:
    """An int or a sequence of ``ndim`` ints, as a tuple of ``ndim`` ints."""
    if isinstance(value, (tuple, list)):
        if len(value) != ndim:
            raise ValueError(
                f"{name}={value!r} is invalid: expected one int or {ndim} ints (one per spatial axis)"
            )
        return tuple(check_int(v, name, minimum) for v in value)
    return (check_int(value, name, minimum),) * ndim


def check_choice(value, name: str, choices) -> str:
    """``value`` if it is one of ``choices``, else ValueError listing them."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name}={value!r} is invalid: expected one of {', '.join(map(repr, choices))}")
    return value


def same_padding(kernel_size, dilation=1):
    """Padding that keeps the output length equal to the input length at stride 1.

    The total padding is ``d*(k-1)``; the left side gets ``total // 2`` and the
    right side the rest, so an even kernel puts its extra element on the right,
    as PyTorch's ``padding="same"`` does. (``numpy.convolve(..., "same")`` makes
    the opposite choice for correlation; see the book's chapter on padding.)

    Parameters
    ----------
    kernel_size : int or tuple of int
    dilation : int or tuple of int

    Returns
    -------
    (left, right) for an int kernel size, or a tuple of such pairs, one per axis.
    """
    if isinstance(kernel_size, (tuple, list)):
        n = len(kernel_size)
        ks = as_tuple(kernel_size, n, "kernel_size", 1)
        ds = as_tuple(dilation, n, "dilation", 1)
        return tuple(same_padding(k, d) for k, d in zip(ks, ds))
    k = check_int(kernel_size, "kernel_size", 1)
    d = check_int(dilation, "dilation", 1)
    total = d * (k - 1)
    return (total // 2, total - total // 2)


def padding_pairs(padding, ndim: int, kernel_size, dilation, stride) -> tuple[tuple[int, int], ...]:
    """Normalise ``padding`` to one ``(left, right)`` pair per spatial axis.

    Accepts an int, one int per axis, one pair per axis, ``"valid"`` or ``"same"``;
    in 1-D a plain ``(left, right)`` is that axis's pair.
    """
    if isinstance(padding, str):
        check_choice(padding, "padding", ("valid", "same"))
        if padding == "valid":
            return ((0, 0),) * ndim
        strides = as_tuple(stride, ndim, "stride", 1)
        if any(s != 1 for s in strides):
            raise ValueError(
                f"padding='same' is not supported with stride={stride!r} (same needs stride 1)"
            )
        return tuple(same_padding(k, d) for k, d in zip(kernel_size, as_tuple(dilation, ndim, "dilation", 1)))
    if isinstance(padding, (tuple, list)):
        if ndim == 1 and len(padding) == 2 and not any(isinstance(p, (tuple, list)) for p in padding):
            padding = (tuple(padding),)  # in 1-D, (left, right) is the one axis's pair
        if len(padding) != ndim:
            raise ValueError(
                f"padding={padding!r} is invalid: expected an int, 'valid', 'same', "
                f"or {ndim} entries (one per spatial axis)"
            )
        pairs = []
        for p in padding:
            if isinstance(p, (tuple, list)):
                if len(p) != 2:
                    raise ValueError(f"padding={padding!r} is invalid: each pair must be (left, right)")
                pairs.append(tuple(check_int(v, "padding", 0) for v in p))
            else:
                v = check_int(p, "padding", 0)
                pairs.append((v, v))
        return tuple(pairs)
    v = check_int(padding, "padding", 0)
    return ((v, v),) * ndim


def output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    """Length of a convolution's output along each spatial axis.

    .. math:: L_{out} = \\left\\lfloor \\frac{L + p_l + p_r - d (k - 1) - 1}{s} \\right\\rfloor + 1

    with ``p_l = p_r = p`` for a symmetric padding. This is the formula of
    ``torch.nn.Conv1d`` and of Dumoulin and Visin's convolution arithmetic.

    Parameters
    ----------
    input_size, kernel_size : int or tuple of int
        Ints give an int; tuples (one entry per spatial axis) give a tuple.
    stride, dilation : int or tuple of int
    padding : int, tuple, tuple of (left, right) pairs, "valid" or "same"

    Returns
    -------
    int or tuple of int

    Raises
    ------
    ValueError
        If the dilated kernel is longer than the padded input (no output position fits).
    """
    scalar = not isinstance(input_size, (tuple, list))
    ndim = 1 if scalar else len(input_size)
    sizes = as_tuple(input_size, ndim, "input_size", 1)
    ks = as_tuple(kernel_size, ndim, "kernel_size", 1)
    ss = as_tuple(stride, ndim, "stride", 1)
    ds = as_tuple(dilation, ndim, "dilation", 1)
    pairs = padding_pairs(padding, ndim, ks, ds, stride)
    out = tuple(
        one_output_size(n, k, s, pl, pr, d, axis)
        for axis, (n, k, s, (pl, pr), d) in enumerate(zip(sizes, ks, ss, pairs, ds))
    )
    return out[0] if scalar else out


def one_output_size(n, k, s, pl, pr, d, axis):
    span = d * (k - 1) + 1
    padded = n + pl + pr
    if span > padded:
        raise ValueError(
            f"kernel_size={k} with dilation={d} spans {span} samples but the padded input along "
            f"spatial axis {axis} has only {padded} (input {n} + padding {pl}+{pr}); "
            "use a smaller kernel or more padding"
        )
    return (padded - span) // s + 1
