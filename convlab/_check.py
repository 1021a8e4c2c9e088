"""Gradient checking by central differences."""

from __future__ import annotations

import math

from ._backend import asarrays

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

    Raises
    ------
    ValueError
        If ``f`` returns the wrong number of gradients or a gradient of the wrong shape.

    Examples
    --------
    >>> import numpy as np, convlab
    >>> x = np.array([1.0, 2.0]); w = np.array([0.5, -1.0])
    >>> err = convlab.gradcheck(lambda x, w: (float((x * w).sum()), (w, x)), x, w)
    >>> err < 1e-9
    True
    """
    if not (isinstance(eps, (int, float)) and eps > 0):
        raise ValueError(f"eps={eps!r} is invalid: expected a positive float")
    if not arrays:
        raise ValueError("gradcheck needs at least one array to differentiate with respect to")
    xp, arrays = asarrays(*arrays, names=[f"arrays[{i}]" for i in range(len(arrays))])
    arrays = [xp.astype(a, xp.float64) for a in arrays]
    _, grads = f(*arrays)
    if len(grads) != len(arrays):
        raise ValueError(f"f returned {len(grads)} gradients for {len(arrays)} arrays")
    worst_diff, scale = 0.0, 0.0
    for i, (a, g) in enumerate(zip(arrays, grads)):
        if tuple(g.shape) != tuple(a.shape):
            raise ValueError(f"gradient {i} has shape {tuple(g.shape)}; expected {tuple(a.shape)}")
        g = xp.reshape(xp.astype(g, xp.float64), (-1,))
        for j in range(math.prod(a.shape)):
            num = (_loss_at(f, arrays, i, j, eps, xp) - _loss_at(f, arrays, i, j, -eps, xp)) / (2 * eps)
            ana = float(g[j])
            worst_diff = max(worst_diff, abs(num - ana))
            scale = max(scale, abs(num), abs(ana))
    return worst_diff / scale if scale > 0 else worst_diff


def _loss_at(f, arrays, i, j, step, xp):
    flat = xp.reshape(arrays[i], (-1,))  # reshape may share memory: copy before writing
    flat = xp.asarray(flat, copy=True)
    flat[j] = flat[j] + step
    moved = list(arrays)
    moved[i] = xp.reshape(flat, tuple(arrays[i].shape))
    loss, _ = f(*moved)
    return float(loss)
