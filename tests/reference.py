"""Naive loop references for convolution, its gradients and its transpose.

NumPy only, float64, obvious over fast. Nothing here imports ``convlab``: every
expected value in the test suite comes from these loops, from NumPy/SciPy or
from PyTorch.

Definitions (PyTorch's cross-correlation, ``g = o // (C_out / groups)``)::

    y[n, o, i]  = b[o] + sum_c sum_k xpad[n, g*Cg + c, s*i + d*k] * w[o, c, k]
    out[n, g*Og + o, s*i + d*k - p] += x[n, g*Cg + c, i] * w[g*Cg + c, o, k]    (transpose)

Padding is applied one spatial axis at a time, leading axis first (as
``numpy.pad`` does), so corner values of the statistic modes are statistics of
already padded rows.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = [
    "PADDING_MODES",
    "pad_naive",
    "padding_pairs_naive",
    "output_shape_naive",
    "conv_nd_naive",
    "conv_nd_backward_naive",
    "conv_transpose_nd_naive",
    "pad_matrix",
]

PADDING_MODES = ("zeros", "reflect", "symmetric", "replicate", "circular", "mean", "median", "first", "last")

# convlab mode -> numpy.pad mode (the statistic modes first/last have no numpy name)
_NUMPY_MODE = {
    "zeros": "constant",
    "reflect": "reflect",
    "symmetric": "symmetric",
    "replicate": "edge",
    "circular": "wrap",
    "mean": "mean",
    "median": "median",
}


def _per_axis(value, nd):
    if isinstance(value, (tuple, list)):
        assert len(value) == nd
        return tuple(int(v) for v in value)
    return (int(value),) * nd


def padding_pairs_naive(padding, kernel, dilation, stride=1):
    """One (left, right) pair per axis: int, per-axis ints, pairs, 'valid' or 'same'."""
    nd = len(kernel)
    dilation = _per_axis(dilation, nd)
    if padding == "valid":
        return ((0, 0),) * nd
    if padding == "same":
        assert all(s == 1 for s in _per_axis(stride, nd))
        pairs = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            pairs.append((total // 2, total - total // 2))  # extra element on the right, as torch
        return tuple(pairs)
    if isinstance(padding, (tuple, list)):
        assert len(padding) == nd
        return tuple((int(p[0]), int(p[1])) if isinstance(p, (tuple, list)) else (int(p), int(p)) for p in padding)
    return ((int(padding), int(padding)),) * nd


def _pad_axis(x, axis, left, right, mode):
    """Pad one axis of ``x``; numpy.pad where it has the mode, explicit otherwise."""
    if left == 0 and right == 0:
        return x
    if mode in ("first", "last"):
        n = x.shape[axis]
        edge = np.take(x, [0 if mode == "first" else n - 1], axis=axis)
        lpart = np.repeat(edge, left, axis=axis)
        rpart = np.repeat(edge, right, axis=axis)
        return np.concatenate([lpart, x, rpart], axis=axis)
    widths = [(0, 0)] * x.ndim
    widths[axis] = (left, right)
    return np.pad(x, widths, mode=_NUMPY_MODE[mode])


def pad_naive(x, pairs, mode="zeros"):
    """Pad the trailing ``len(pairs)`` axes of ``x``, leading axis first."""
    x = np.asarray(x, dtype=np.float64)
    first = x.ndim - len(pairs)
    for j, (left, right) in enumerate(pairs):
        x = _pad_axis(x, first + j, left, right, mode)
    return x


def pad_matrix(v, left, right, mode):
    """Matrix ``A`` (left + n + right, n) with ``pad(v) == A @ v`` for one 1-D fibre ``v``.

    This is the padding written as an explicit linear map (for ``median`` the
    map picks the middle value(s) of this particular ``v``). The backward
    reference folds a gradient back with ``A.T``.
    """
    v = np.asarray(v, dtype=np.float64)
    n = v.shape[0]
    a = np.zeros((left + n + right, n))
    if mode in ("reflect", "symmetric", "replicate", "circular"):
        # numpy.pad of the index vector says where each padded value was copied from
        source = np.pad(np.arange(n), (left, right), mode=_NUMPY_MODE[mode])
        a[np.arange(left + n + right), source] = 1.0
        return a
    a[np.arange(left, left + n), np.arange(n)] = 1.0
    outside = [r for r in range(left + n + right) if not left <= r < left + n]
    for r in outside:
        if mode == "zeros":
            continue
        if mode == "mean":
            a[r, :] = 1.0 / n
        elif mode == "median":
            order = np.argsort(v, kind="stable")
            if n % 2:
                a[r, order[n // 2]] = 1.0
            else:
                a[r, order[n // 2 - 1]] = 0.5
                a[r, order[n // 2]] = 0.5
        elif mode == "first":
            a[r, 0] = 1.0
        elif mode == "last":
            a[r, n - 1] = 1.0
        else:
            raise ValueError(mode)
    return a


def _fibres(shape, axis):
    """Every index tuple of ``shape`` with ``slice(None)`` at ``axis``."""
    others = [range(s) if i != axis else [slice(None)] for i, s in enumerate(shape)]
    return itertools.product(*others)


def _pad_backward_naive(grad_padded, stages, pairs, mode):
    """Fold the gradient of the padded array back onto the input, one axis at a time in reverse."""
    g = grad_padded
    first = g.ndim - len(pairs)
    for j in reversed(range(len(pairs))):
        axis = first + j
        left, right = pairs[j]
        before = stages[j]  # the array as it was before this axis was padded
        if left == 0 and right == 0:
            continue
        out = np.zeros(before.shape)
        for idx in _fibres(before.shape, axis):
            a = pad_matrix(before[idx], left, right, mode)
            out[idx] = a.T @ g[idx]
        g = out
    return g


def output_shape_naive(spatial, kernel, stride, pairs, dilation):
    return tuple(
        (n + pl + pr - d * (k - 1) - 1) // s + 1
        for n, k, s, (pl, pr), d in zip(spatial, kernel, stride, pairs, dilation)
    )


def _setup(x, w, stride, padding, dilation):
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    nd = w.ndim - 2
    kernel = w.shape[2:]
    stride = _per_axis(stride, nd)
    dilation = _per_axis(dilation, nd)
    pairs = padding_pairs_naive(padding, kernel, dilation, stride)
    return x, w, nd, kernel, stride, dilation, pairs


def conv_nd_naive(x, w, b=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """N-d convolution (cross-correlation) by explicit loops over every index."""
    x, w, nd, kernel, stride, dilation, pairs = _setup(x, w, stride, padding, dilation)
    xpad = pad_naive(x, pairs, padding_mode)
    n_batch, c_in = x.shape[:2]
    c_out = w.shape[0]
    cg, og = c_in // groups, c_out // groups
    assert w.shape[1] == cg
    out_spatial = output_shape_naive(x.shape[2:], kernel, stride, pairs, dilation)
    y = np.zeros((n_batch, c_out) + out_spatial)
    for n, o in itertools.product(range(n_batch), range(c_out)):
        g = o // og
        for pos in itertools.product(*map(range, out_spatial)):
            acc = 0.0 if b is None else float(b[o])
            for c in range(cg):
                for k in itertools.product(*map(range, kernel)):
                    src = tuple(s * i + d * kk for s, i, d, kk in zip(stride, pos, dilation, k))
                    acc += xpad[(n, g * cg + c) + src] * w[(o, c) + k]
            y[(n, o) + pos] = acc
    return y


def conv_nd_backward_naive(grad_out, x, w, b=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """(grad_x, grad_w, grad_b) by the scatter definition; grad_b is None when b is None."""
    x, w, nd, kernel, stride, dilation, pairs = _setup(x, w, stride, padding, dilation)
    g_out = np.asarray(grad_out, dtype=np.float64)
    stages = []
    xpad = x
    for j, (left, right) in enumerate(pairs):
        stages.append(xpad)
        xpad = _pad_axis(xpad, x.ndim - nd + j, left, right, padding_mode)
    n_batch, c_in = x.shape[:2]
    c_out = w.shape[0]
    cg, og = c_in // groups, c_out // groups
    out_spatial = output_shape_naive(x.shape[2:], kernel, stride, pairs, dilation)
    assert g_out.shape == (n_batch, c_out) + out_spatial
    grad_xpad = np.zeros(xpad.shape)
    grad_w = np.zeros(w.shape)
    for n, o in itertools.product(range(n_batch), range(c_out)):
        g = o // og
        for pos in itertools.product(*map(range, out_spatial)):
            go = g_out[(n, o) + pos]
            for c in range(cg):
                for k in itertools.product(*map(range, kernel)):
                    src = tuple(s * i + d * kk for s, i, d, kk in zip(stride, pos, dilation, k))
                    grad_xpad[(n, g * cg + c) + src] += go * w[(o, c) + k]
                    grad_w[(o, c) + k] += go * xpad[(n, g * cg + c) + src]
    grad_x = _pad_backward_naive(grad_xpad, stages, pairs, padding_mode)
    grad_b = None if b is None else g_out.sum(axis=(0,) + tuple(range(2, g_out.ndim)))
    return grad_x, grad_w, grad_b


def conv_transpose_nd_naive(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution by the scatter definition (PyTorch's conv_transposeNd)."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    nd = w.ndim - 2
    kernel = w.shape[2:]
    stride, padding, output_padding, dilation = (
        _per_axis(v, nd) for v in (stride, padding, output_padding, dilation)
    )
    n_batch, c_in = x.shape[:2]
    cg, og = c_in // groups, w.shape[1]
    assert w.shape[0] == c_in
    out_spatial = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        for n, s, p, d, k, op in zip(x.shape[2:], stride, padding, dilation, kernel, output_padding)
    )
    out = np.zeros((n_batch, groups * og) + out_spatial)
    for n, ci in itertools.product(range(n_batch), range(c_in)):
        g, c = divmod(ci, cg)
        for i in itertools.product(*map(range, x.shape[2:])):
            xv = x[(n, ci) + i]
            for o in range(og):
                for k in itertools.product(*map(range, kernel)):
                    dst = tuple(s * ii + d * kk - p for s, ii, d, kk, p in zip(stride, i, dilation, k, padding))
                    if all(0 <= t < L for t, L in zip(dst, out_spatial)):
                        out[(n, g * og + o) + dst] += xv * w[(g * cg + c, o) + k]
    if b is not None:
        out += np.asarray(b, dtype=np.float64).reshape((1, -1) + (1,) * nd)
    return out
