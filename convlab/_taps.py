"""Zero padding without the zeros: one kernel tap at a time, over the data only.

With zero padding a tap ``k`` of output ``i`` reads the input at
``r = s*i + d*k - p`` (unpadded coordinates) and contributes nothing when
``r`` falls in the padding. For each tap the outputs whose read lands on data
form one strided range, ``i0 <= i <= i1`` with ``r`` stepping by ``s``, so

* forward:  ``y[..., i0:i1+1] += W_k @ x[..., r0::s]``,
* weights:  ``dL/dW_k = sum_n g[..., i0:i1+1] @ x[..., r0::s]^T``,
* input:    ``dL/dx[..., r0::s] += W_k^T @ g[..., i0:i1+1]``,

and a tap whose reads all land in the padding is skipped. Nothing of the size
of the padded input is ever allocated, which is what makes
``conv1d(x, w, dilation=10**9, padding=10**9)`` on five samples as cheap as
PyTorch makes it (the layers switch here when the padded copy would outgrow
:func:`convlab.memory_budget`). The transposed convolution is the input
gradient, so it comes here too when its uncropped output would be huge.
"""

from __future__ import annotations

import itertools
import math

from ._backend import device

__all__ = ["forward", "backward", "input_gradient"]


def _reach(n, out, k, s, d, p):
    """``(i0, i1, r0)`` for one axis and tap ``k``: outputs ``i0..i1`` read data from ``r0`` on, or None."""
    lo = -((d * k - p) // s)  # ceil((p - d k) / s): first output whose read is >= 0
    hi = (n - 1 + p - d * k) // s  # last output whose read is <= n - 1
    i0, i1 = max(0, lo), min(out - 1, hi)
    if i0 > i1:
        return None
    return i0, i1, s * i0 + d * k - p


def _tap_slices(tap, sizes, out_spatial, stride, dilation, lefts):
    """``(out_index, data_index)`` for ``tap``, or None if every read lands in the padding."""
    outs, data = [], []
    for k, n, o, s, d, p in zip(tap, sizes, out_spatial, stride, dilation, lefts):
        r = _reach(n, o, k, s, d, p)
        if r is None:
            return None
        i0, i1, r0 = r
        outs.append(slice(i0, i1 + 1))
        data.append(slice(r0, r0 + s * (i1 - i0) + 1, s))
    lead = (slice(None), slice(None))
    return lead + tuple(outs), lead + tuple(data)


def _taps(kernel):
    return itertools.product(*(range(k) for k in kernel))


def forward(xp, x, w, stride, dilation, groups, out_spatial, lefts):
    """``correlate_padded`` of ``x`` zero-padded by ``lefts`` (and enough on the right), without padding it."""
    n, c = x.shape[:2]
    o, cg = w.shape[:2]
    og = o // groups
    w_groups = xp.reshape(w, (groups, og, cg) + tuple(w.shape[2:]))
    y = xp.zeros((n, groups, og) + tuple(out_spatial), dtype=x.dtype, device=device(x))
    for tap in _taps(w.shape[2:]):
        where = _tap_slices(tap, x.shape[2:], out_spatial, stride, dilation, lefts)
        if where is None:
            continue
        out_idx, data_idx = where
        part = x[data_idx]
        sub = tuple(part.shape[2:])
        window = xp.reshape(part, (n, groups, cg, math.prod(sub)))
        contrib = xp.reshape(w_groups[(...,) + tap] @ window, (n, groups, og) + sub)
        idx = (slice(None),) + out_idx  # y has the extra group axis
        y[idx] = y[idx] + contrib
    return xp.reshape(y, (n, o) + tuple(out_spatial))


def backward(xp, g, x, w, stride, dilation, groups, lefts):
    """``(dL/dx, dL/dw)`` for :func:`forward`: the input gradient of the unpadded ``x`` directly."""
    return (
        input_gradient(xp, g, w, stride, dilation, groups, tuple(x.shape[2:]), lefts),
        weight_gradient(xp, g, x, tuple(w.shape), stride, dilation, groups, lefts),
    )


def weight_gradient(xp, g, x, w_shape, stride, dilation, groups, lefts):
    n = g.shape[0]
    o, cg = w_shape[:2]
    og = o // groups
    out_spatial = tuple(g.shape[2:])
    taps = []
    for tap in _taps(w_shape[2:]):
        where = _tap_slices(tap, x.shape[2:], out_spatial, stride, dilation, lefts)
        if where is None:
            taps.append(xp.zeros((groups, og, cg), dtype=g.dtype, device=device(g)))
            continue
        out_idx, data_idx = where
        part = x[data_idx]
        size = math.prod(part.shape[2:])
        window = xp.reshape(part, (n, groups, cg, size))
        g_part = xp.reshape(g[out_idx], (n, groups, og, size))
        taps.append(xp.sum(g_part @ xp.matrix_transpose(window), axis=0))
    return xp.reshape(xp.stack(taps, axis=-1), tuple(w_shape))


def input_gradient(xp, g, w, stride, dilation, groups, target_spatial, lefts):
    """``dL/dx`` of the unpadded input of size ``target_spatial``: each tap's share added where it read."""
    n = g.shape[0]
    o, cg = w.shape[:2]
    og = o // groups
    w_t = xp.reshape(w, (groups, og, cg) + tuple(w.shape[2:]))
    w_t = xp.permute_dims(w_t, (0, 2, 1) + tuple(range(3, w_t.ndim)))  # (G, C_g, O_g, *k)
    grad = xp.zeros((n, groups, cg) + tuple(target_spatial), dtype=g.dtype, device=device(g))
    out_spatial = tuple(g.shape[2:])
    for tap in _taps(w.shape[2:]):
        where = _tap_slices(tap, target_spatial, out_spatial, stride, dilation, lefts)
        if where is None:
            continue
        out_idx, data_idx = where
        g_part = g[out_idx]
        sub = tuple(g_part.shape[2:])
        contrib = w_t[(...,) + tap] @ xp.reshape(g_part, (n, groups, og, math.prod(sub)))
        idx = (slice(None),) + data_idx
        # Within one tap every read position is distinct (stride s >= 1), so add the block at once.
        grad[idx] = grad[idx] + xp.reshape(contrib, (n, groups, cg) + sub)
    return xp.reshape(grad, (n, groups * cg) + tuple(target_spatial))
