"""Gradient checking by central differences."""

from __future__ import annotations

import math
import numbers

from ._backend import floats

__all__ = ["gradcheck"]


def gradcheck(f, *arrays, eps=1e-6):
    """Worst relative error between analytic gradients and central differences.

    ``f(*arrays)`` must return ``(loss, grads)``: a scalar loss and one analytic
    gradient per array. Every array element is nudged by ``±eps`` (in float64,
    whatever the input dtype) and

    .. math:: \\hat g_i = \\frac{L(a + \\epsilon e_i) - L(a - \\epsilon e_i)}{2 \\epsilon}

    is compared with the analytic ``g_i``. The error is normwise over all arrays
    together, ``max_i |g_i - ĝ_i| / max_i max(|g_i|, |ĝ_i|)``, so gradients that
    are exactly zero somewhere do not inflate it. A correct gradient gives about
    ``1e-9`` or less; a wrong one gives order 1.

    Parameters
    ----------
    f : callable
        ``f(*arrays) -> (loss, grads)``.
    *arrays : arrays
        The points at which to check (not modified).
    eps : float
        Step of the central differences.

    Returns
    -------
    float
        NaN when any analytic gradient, any difference quotient or any loss
        is NaN or infinite (a NaN is never below a tolerance, so a check
        ``gradcheck(...) < tol`` fails on it, as it must).

    Raises
    ------
    TypeError
        ``f`` is not callable, ``eps`` is not a real number (a bool is not),
        ``f`` does not return ``(loss, grads)`` with one array per input.
    ValueError
        ``eps`` is not positive and finite; ``f`` returns the wrong number of
        gradients or a gradient of the wrong shape.

    Examples
    --------
    >>> import numpy as np, convlab
    >>> x = np.array([1.0, 2.0]); w = np.array([0.5, -1.0])
    >>> err = convlab.gradcheck(lambda x, w: (float((x * w).sum()), (w, x)), x, w)
    >>> err < 1e-9
    True
    """
    if not callable(f):
        raise TypeError(
            f"f={f!r} is invalid: expected a callable f(*arrays) -> (loss, grads), got {type(f).__name__}"
        )
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise TypeError(f"eps={eps!r} is invalid: expected a positive finite real number, got {type(eps).__name__}")
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"eps={eps!r} is invalid: expected a positive finite real number")
    eps = float(eps)
    if not arrays:
        raise ValueError("gradcheck needs at least one array to differentiate with respect to")
    names = [f"arrays[{i}]" for i in range(len(arrays))]
    xp, arrays, _ = floats(*arrays, names=names)
    arrays = [xp.astype(a, xp.float64) for a in arrays]
    loss, grads = _call(f, arrays)
    if not isinstance(grads, (tuple, list)):
        raise TypeError(
            f"f returned grads of type {type(grads).__name__}; expected a tuple or list with one gradient per array"
        )
    if len(grads) != len(arrays):
        raise ValueError(f"f returned {len(grads)} gradients for {len(arrays)} arrays")
    diffs, scales = [], []
    for i, (a, g) in enumerate(zip(arrays, grads)):
        _, (g,), _ = floats(g, names=[f"grads[{i}]"]) if g is not None else _none_gradient(i)
        if tuple(g.shape) != tuple(a.shape):
            raise ValueError(f"gradient {i} has shape {tuple(g.shape)}; expected {tuple(a.shape)}")
        g = xp.reshape(xp.astype(g, xp.float64), (-1,))
        for j in range(math.prod(a.shape)):
            num = (_loss_at(f, arrays, i, j, eps, xp) - _loss_at(f, arrays, i, j, -eps, xp)) / (2 * eps)
            ana = float(g[j])
            diffs.append(abs(num - ana))
            scales.extend((abs(num), abs(ana)))
    # Python's max() skips NaN when it is not first: check explicitly, a NaN must never pass.
    if not all(math.isfinite(v) for v in diffs + scales) or not math.isfinite(float(loss)):
        return math.nan
    worst_diff, scale = max(diffs, default=0.0), max(scales, default=0.0)
    return worst_diff / scale if scale > 0 else worst_diff


def _none_gradient(i):
    raise TypeError(f"grads[{i}]=None is invalid: f must return one gradient array per input array")


def _call(f, arrays):
    out = f(*arrays)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(
            f"f returned {type(out).__name__} {_short(out)}; expected a pair (loss, grads)"
        )
    loss = out[0]
    try:
        float(loss)
    except (TypeError, ValueError):
        raise TypeError(f"f returned loss={_short(loss)}; expected a scalar (a float or a 1-element array)") from None
    return out


def _short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _loss_at(f, arrays, i, j, step, xp):
    flat = xp.reshape(arrays[i], (-1,))  # reshape may share memory: copy before writing
    flat = xp.asarray(flat, copy=True)
    flat[j] = flat[j] + step
    moved = list(arrays)
    moved[i] = xp.reshape(flat, tuple(arrays[i].shape))
    loss, _ = _call(f, moved)
    return float(loss)
