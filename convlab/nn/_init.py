"""PyTorch's default initialisation of a layer's weight and bias, and the docstring text that states it."""

from __future__ import annotations

import math

from ._module import Parameter


def init_parameters(rng, fan_in, weight_shape, bias, dtype):
    """``(weight, bias or None)``, drawn as PyTorch's ``reset_parameters`` does (in distribution, not bit for bit)."""
    import numpy as np  # only to draw initial weights; compute never touches numpy

    if not isinstance(bias, bool):
        raise TypeError(f"bias={bias!r} is invalid: bias must be True or False")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng={rng!r} is invalid: rng must be a numpy.random.Generator, "
            "for example numpy.random.default_rng(0) (convlab draws no hidden global randomness)"
        )
    try:
        # np.dtype(None) means float64; a layer asks for its dtype by name instead.
        dt = None if dtype is None else np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt not in (np.dtype("float32"), np.dtype("float64")):
        raise ValueError(f"dtype={dtype!r} is invalid: expected 'float32' or 'float64'")
    # kaiming_uniform_(a=sqrt(5)) gives the bound gain * sqrt(3 / fan_in) with
    # gain = sqrt(2 / (1 + 5)), i.e. 1 / sqrt(fan_in); the bias uses the same bound.
    bound = 1.0 / math.sqrt(fan_in)

    def draw(shape):
        return Parameter(rng.uniform(-bound, bound, size=shape).astype(dt))

    return draw(weight_shape), (draw(weight_shape[:1]) if bias else None)


# Shared by the layers that learn: the weight/bias/dtype arguments and attributes.
PARAMETERS_DOC = """rng : numpy.random.Generator
        Required keyword: the source of the initial weights (no hidden global randomness).
    bias : bool, default True
    dtype : "float64" or "float32"

    Attributes
    ----------
    weight : Parameter
        Shape ``{w_shape}``, drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        with ``fan_in = {fan_in}``, PyTorch's default initialisation.
    bias : Parameter or None
        Shape ``({n_out},)``, same distribution."""
