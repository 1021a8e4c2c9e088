"""PyTorch's default initialisation of a layer's weight and bias, and the docstring text that states it."""

from __future__ import annotations

import math

from ._module import Parameter


def _check_rng(rng):
    import numpy as np

    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng={rng!r} is invalid: rng must be a numpy.random.Generator, "
            "for example numpy.random.default_rng(0) (convlab draws no hidden global randomness)"
        )


def _check_dtype(dtype):
    import numpy as np

    try:
        # np.dtype(None) means float64; a layer asks for its dtype by name instead.
        dt = None if dtype is None else np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt not in (np.dtype("float32"), np.dtype("float64")):
        raise ValueError(f"dtype={dtype!r} is invalid: expected 'float32' or 'float64'")
    return dt


def fan_in_of(shape):
    """PyTorch's fan-in of a weight: ``shape[1] * prod(shape[2:])`` (``shape[0]`` for a vector)."""
    if len(shape) < 2:
        return shape[0]
    return shape[1] * math.prod(shape[2:])


def kaiming_uniform(rng, shape, fan_in=None, a=math.sqrt(5), dtype="float64"):
    """Weights drawn from U(-bound, bound) with PyTorch's fan-in bound (``torch.nn.init.kaiming_uniform_``).

    .. math::

        \\text{gain} = \\sqrt{\\frac{2}{1 + a^2}}, \\qquad
        \\text{bound} = \\text{gain} \\sqrt{\\frac{3}{\\text{fan\\_in}}}

    (leaky-ReLU gain with negative slope ``a``). PyTorch's default for
    ``Conv1d``/``Conv2d``/``Linear`` weights is ``a = sqrt(5)``, which makes the
    bound ``1 / sqrt(fan_in)``; their biases use the same bound with the
    weight's fan-in. Every layer of :mod:`convlab.nn` draws its weight and bias
    here, weight first.

    Parameters
    ----------
    rng : numpy.random.Generator
        The source of randomness (no hidden global state).
    shape : tuple of int
        ``(C_out, C_in/groups, *kernel)`` for a convolution, ``(out, in)`` for Linear.
    fan_in : int, optional
        Defaults to ``shape[1] * prod(shape[2:])``, as PyTorch computes it.
    a : float
        Negative slope of the leaky ReLU the gain is computed for.
    dtype : "float64" or "float32"

    Returns
    -------
    numpy.ndarray of ``shape``
        Equal in distribution (not bit for bit) to ``kaiming_uniform_`` on a
        torch tensor of that shape.

    Examples
    --------
    Start a PyTorch model from the *same* weights as a convlab model: copy
    each :class:`Parameter` into the matching torch parameter's ``.data``.

    >>> import numpy as np, torch
    >>> from convlab import nn
    >>> ours = nn.Conv1d(2, 4, 3, rng=np.random.default_rng(0))
    >>> theirs = torch.nn.Conv1d(2, 4, 3, dtype=torch.float64)
    >>> with torch.no_grad():
    ...     for p, q in zip(ours.parameters(), theirs.parameters()):
    ...         q.data = torch.from_numpy(np.asarray(p.value).copy())
    >>> x = np.ones((1, 2, 5))
    >>> bool(np.allclose(ours(x), theirs(torch.from_numpy(x)).detach().numpy()))
    True

    (``parameters()`` lists weight then bias, layer by layer, the order of
    ``torch.nn.Module.parameters()`` for the same architecture.)
    """
    _check_rng(rng)
    dt = _check_dtype(dtype)
    shape = tuple(int(s) for s in shape)
    fan_in = fan_in_of(shape) if fan_in is None else fan_in
    if not (isinstance(fan_in, int) and not isinstance(fan_in, bool) and fan_in >= 1):
        raise ValueError(f"fan_in={fan_in!r} is invalid: expected a positive int")
    gain = math.sqrt(2.0 / (1 + a**2))  # torch.nn.init.calculate_gain("leaky_relu", a)
    bound = gain * math.sqrt(3.0 / fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(dt)


def init_parameters(rng, fan_in, weight_shape, bias, dtype):
    """``(weight, bias or None)``, drawn as PyTorch's ``reset_parameters`` does (in distribution, not bit for bit)."""
    if not isinstance(bias, bool):
        raise TypeError(f"bias={bias!r} is invalid: bias must be True or False")
    _check_rng(rng)
    _check_dtype(dtype)
    weight = Parameter(kaiming_uniform(rng, weight_shape, fan_in=fan_in, dtype=dtype))
    if not bias:
        return weight, None
    return weight, Parameter(kaiming_uniform(rng, weight_shape[:1], fan_in=fan_in, dtype=dtype))


# Shared by the layers that learn: the weight/bias/dtype arguments and attributes.
PARAMETERS_DOC = """rng : numpy.random.Generator
        Required keyword: the source of the initial weights (no hidden global randomness).
    bias : bool, default True
    dtype : "float64" or "float32"

    Attributes
    ----------
    weight : Parameter
        Shape ``{w_shape}``, drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        with ``fan_in = {fan_in}``, PyTorch's default initialisation
        (:func:`kaiming_uniform` with ``a = sqrt(5)``).
    bias : Parameter or None
        Shape ``({n_out},)``, same distribution."""
