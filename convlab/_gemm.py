"""The GEMM path: windows as a matrix, then one matrix product per group.

Stacking the strided view of every kernel tap gives, for each output
position ``p``, a column holding every input value that output reads
("im2col"). The forward pass, the weight gradient and the input gradient are
then three matrix products:

.. math::

    Y = W\\,X_{cols}, \\qquad
    \\frac{\\partial L}{\\partial W} = \\sum_n G_n X_{cols,n}^\\top, \\qquad
    \\frac{\\partial L}{\\partial X_{cols}} = W^\\top G,

and the last one is folded back into the padded input by adding each tap's
rows at the positions that tap read ("col2im"). The windows matrix is
``prod(kernel)`` times the input, so the work goes in blocks of samples (or of
output rows, for one huge sample) within :func:`convlab.memory_budget`.
"""

from __future__ import annotations

import itertools
import math

from . import _parallel
from ._backend import device, is_numpy, matmul_into
from ._memory import blocks, usable

__all__ = ["forward", "backward", "input_gradient"]


def tap_index(tap, stride, dilation, out_spatial, row0=0):
    """Index of the inputs that kernel tap ``tap`` reads for outputs ``row0 ..`` (first axis) and all others."""
    index = []
    for axis, (k, s, d, o) in enumerate(zip(tap, stride, dilation, out_spatial)):
        start = d * k + (s * row0 if axis == 0 else 0)
        index.append(slice(start, start + s * (o - 1) + 1, s))
    return (slice(None), slice(None)) + tuple(index)


def _taps(kernel):
    return list(itertools.product(*(range(k) for k in kernel)))


def _windows(xp, x_pad, kernel, stride, dilation, out_spatial, groups):
    """``(N, G, C_g * prod(k), P)``: column ``p`` lists every input value that output ``p`` reads."""
    n, c = x_pad.shape[:2]
    views = [x_pad[tap_index(tap, stride, dilation, out_spatial)] for tap in _taps(kernel)]
    cols = xp.stack(views, axis=2)  # (N, C, K, *out): image rows innermost, a cheap copy
    return xp.reshape(cols, (n, groups, (c // groups) * len(views), math.prod(out_spatial)))


def _row_span(r0, r1, k0, s0, d0):
    """Input rows (first spatial axis) that output rows ``r0 .. r1-1`` read."""
    return slice(r0 * s0, (r1 - 1) * s0 + d0 * (k0 - 1) + 1)


def _plan(x_shape, kernel, out_spatial, itemsize, copies=1, extra_channels=0):
    """Blocks whose scratch stays within the budget.

    One output row of a block holds ``copies`` windows matrices' rows
    (``C * prod(k)`` values per output position each: the windows, and in the
    backward also ``W^T G``) plus ``extra_channels`` values per position (the
    product ``W @ cols`` of a block that cannot be written in place).
    """
    c = x_shape[1]
    per_position = copies * c * math.prod(kernel) + extra_channels
    bytes_per_row = per_position * math.prod(out_spatial[1:]) * itemsize
    return blocks(x_shape[0], out_spatial[0], bytes_per_row)


def forward(xp, x_pad, w, stride, dilation, groups, out_spatial, b=None):
    """``y = W @ windows(x_pad) (+ b)`` for each group; ``(N, O, *out_spatial)``.

    With ``b`` the bias is added too: on NumPy to each block while it is still in
    the cache (one pass over ``y`` less), elsewhere by the caller's rule at the end.
    """
    o, cg = w.shape[:2]
    kernel = tuple(w.shape[2:])
    itemsize = xp.finfo(x_pad.dtype).bits // 8
    plan = _numpy_plan(xp, x_pad.shape, kernel, out_spatial, itemsize, _macs(x_pad.shape[0], w.shape, out_spatial))
    if plan:
        return _forward_numpy(xp, x_pad, w, stride, dilation, groups, out_spatial, plan, b)
    w_mat = xp.reshape(w, (groups, o // groups, cg * math.prod(kernel)))
    n, rest = x_pad.shape[0], math.prod(out_spatial[1:])
    out = xp.empty((n, groups, o // groups, out_spatial[0] * rest), dtype=x_pad.dtype, device=device(x_pad))
    for n0, n1, r0, r1 in _plan(x_pad.shape, kernel, out_spatial, itemsize, 1, o):
        rows = _row_span(r0, r1, kernel[0], stride[0], dilation[0])
        x_blk = x_pad[(slice(n0, n1), slice(None), rows, ...)]
        out_blk = (r1 - r0,) + tuple(out_spatial[1:])
        cols = _windows(xp, x_blk, kernel, stride, dilation, out_blk, groups)
        # Each block's product goes straight to its place in the output (on NumPy
        # without even a temporary): nothing is collected and concatenated.
        if not (r1 - r0 == out_spatial[0] and matmul_into(xp, w_mat, cols, out[n0:n1, ...])):
            out[n0:n1, :, :, r0 * rest : r1 * rest] = w_mat @ cols
        del cols  # freed before the next block's windows exist: one block of scratch at a time
    if b is not None:
        out += xp.reshape(b, (1, groups, o // groups, 1))
    return xp.reshape(out, (n, o) + tuple(out_spatial))


def backward(xp, g, x_pad, w, stride, dilation, groups):
    """``(dL/dx_pad, dL/dw)``: col2im of ``W^T G`` and ``sum_n G X_cols^T``, block by block."""
    o, cg = w.shape[:2]
    kernel = tuple(w.shape[2:])
    taps = _taps(kernel)
    og, ck = o // groups, cg * len(taps)
    w_mat = xp.reshape(w, (groups, og, ck))
    w_t = xp.matrix_transpose(w_mat)  # (G, C_g K, O_g)
    out_spatial = tuple(g.shape[2:])
    itemsize = xp.finfo(x_pad.dtype).bits // 8
    plan = _numpy_plan(xp, x_pad.shape, kernel, out_spatial, itemsize, 2 * _macs(x_pad.shape[0], w.shape, out_spatial))
    if plan:
        return _backward_numpy(xp, g, x_pad, w, stride, dilation, groups, plan)
    grad_x = xp.zeros(x_pad.shape, dtype=x_pad.dtype, device=device(x_pad))
    grad_w = xp.zeros((groups, og, ck), dtype=x_pad.dtype, device=device(x_pad))
    for n0, n1, r0, r1 in _plan(x_pad.shape, kernel, out_spatial, itemsize, 2, o):
        n_blk, out_blk = n1 - n0, (r1 - r0,) + out_spatial[1:]
        g_blk = g[(slice(n0, n1), slice(None), slice(r0, r1), ...)]
        g_mat = xp.reshape(g_blk, (n_blk, groups, og, math.prod(out_blk)))
        rows = _row_span(r0, r1, kernel[0], stride[0], dilation[0])
        x_blk = x_pad[(slice(n0, n1), slice(None), rows, ...)]
        cols = _windows(xp, x_blk, kernel, stride, dilation, out_blk, groups)
        grad_w = grad_w + xp.sum(g_mat @ xp.matrix_transpose(cols), axis=0)
        del cols  # the windows go before W^T G arrives: two blocks of scratch at most
        _col2im(xp, grad_x, w_t @ g_mat, taps, stride, dilation, out_blk, (n0, n1), r0)
    return grad_x, xp.reshape(grad_w, tuple(w.shape))


def _col2im(xp, grad_x, grad_cols, taps, stride, dilation, out_blk, batch, r0):
    """Add each tap's rows of ``dL/dX_cols`` back at the input positions that tap read."""
    n_blk = batch[1] - batch[0]
    c = grad_x.shape[1]
    per_tap = xp.reshape(grad_cols, (n_blk, c, len(taps)) + tuple(out_blk))
    for t, tap in enumerate(taps):
        index = tap_index(tap, stride, dilation, out_blk, row0=r0)
        index = (slice(*batch),) + index[1:]
        # Taps overlap wherever d*k collides with a stride step, so add, never assign
        # (in place where the library's slices are views: no temporary per tap).
        grad_x[index] += per_tap[:, :, t, ...]


def input_gradient(xp, g, w, stride, dilation, groups, target_spatial):
    """``dL/dx_p`` by col2im alone (the transposed convolution), for a padded input of ``target_spatial``."""
    o, cg = w.shape[:2]
    kernel = tuple(w.shape[2:])
    taps = _taps(kernel)
    w_t = xp.matrix_transpose(xp.reshape(w, (groups, o // groups, cg * len(taps))))
    shape = (g.shape[0], cg * groups) + tuple(target_spatial)
    out_spatial = tuple(g.shape[2:])
    itemsize = xp.finfo(g.dtype).bits // 8
    plan = _numpy_plan(xp, shape, kernel, out_spatial, itemsize, _macs(shape[0], w.shape, out_spatial))
    if plan:
        return _input_gradient_numpy(xp, g, w, stride, dilation, groups, shape, plan)
    grad_x = xp.zeros(shape, dtype=g.dtype, device=device(g))
    for n0, n1, r0, r1 in _plan(shape, kernel, out_spatial, itemsize, 1, o):
        out_blk = (r1 - r0,) + out_spatial[1:]
        g_blk = g[(slice(n0, n1), slice(None), slice(r0, r1), ...)]
        g_mat = xp.reshape(g_blk, (n1 - n0, groups, o // groups, math.prod(out_blk)))
        _col2im(xp, grad_x, w_t @ g_mat, taps, stride, dilation, out_blk, (n0, n1), r0)
    return grad_x


# --------------------------------------------------------------------------- NumPy fast path
# Measured on 2 cores (../shared/PERF-NOTES.md, "Second study"): building the
# windows with ``np.stack`` took 20% of a fwd+bwd and was done twice; the weight
# gradient as ``G Xᵀ`` per sample ran at a fifth of the speed of ``X Gᵀ``. On
# NumPy the path below fills ONE windows buffer per block of samples with one
# strided copy per kernel tap (``np.copyto``, no list of views, no stack),
# writes each forward product straight into the output (``out=``), accumulates
# the weight gradient as ``X_cols G^T`` (the fast orientation for BLAS: both
# operands read along rows) and reuses the windows buffer for ``W^T G`` before
# adding it back onto the input in place. The samples are split over worker
# threads (:mod:`convlab._parallel`), each with its own buffers and a share of
# the budget. Other libraries take the generic path above; both are tested
# against the same references.


def _numpy_plan(xp, x_shape, kernel, out_spatial, itemsize, macs):
    """``(workers, budget each, bytes per sample)`` for the per-sample path, or None.

    None when the library is not NumPy or one sample's windows exceed the budget
    (then the generic path splits the output rows). Workers never share a
    buffer, so each gets an equal share of the budget, and fewer workers run
    when a share would not hold one sample.
    """
    if not is_numpy(xp) or x_shape[0] == 0:
        return None
    per_sample = x_shape[1] * math.prod(kernel) * math.prod(out_spatial) * itemsize
    if per_sample > usable():
        return None
    k = max(1, min(_parallel.workers(xp, x_shape[0], macs), usable() // max(1, per_sample)))
    return k, usable() // k, per_sample


def _macs(n, w_shape, out_spatial):
    return n * math.prod(w_shape) * math.prod(out_spatial)


def _sample_blocks(n0, n1, per_sample, budget):
    return [(n0 + a, n0 + b) for a, b, _, _ in blocks(n1 - n0, 1, per_sample, budget)]


def _fill(np, cols, x_blk, taps, stride, dilation, out_spatial):
    """``cols[:, :, t] = x_blk[tap t's strided view]``: one copy per tap into the same buffer."""
    for t, tap in enumerate(taps):
        np.copyto(cols[:, :, t], x_blk[tap_index(tap, stride, dilation, out_spatial)])


def _forward_numpy(np, x_pad, w, stride, dilation, groups, out_spatial, plan, b=None):
    o, cg = w.shape[:2]
    taps = _taps(tuple(w.shape[2:]))
    n, c = x_pad.shape[:2]
    P = math.prod(out_spatial)
    w_mat = np.reshape(w, (groups, o // groups, cg * len(taps)))
    y = np.empty((n, groups, o // groups, P), dtype=x_pad.dtype)
    bias = None if b is None else np.reshape(b, (groups, o // groups, 1))
    k, budget, per_sample = plan

    def work(a, b):
        blks = _sample_blocks(a, b, per_sample, budget)
        buf = np.empty((max(n1 - n0 for n0, n1 in blks), c, len(taps)) + tuple(out_spatial), dtype=x_pad.dtype)
        for n0, n1 in blks:
            cols = buf[: n1 - n0]
            _fill(np, cols, x_pad[n0:n1], taps, stride, dilation, out_spatial)
            mat = np.reshape(cols, (n1 - n0, groups, cg * len(taps), P))
            np.matmul(w_mat, mat, out=y[n0:n1])
            if bias is not None:
                y[n0:n1] += bias

    _parallel.run(work, n, k)
    return np.reshape(y, (n, o) + tuple(out_spatial))


def _backward_numpy(np, g, x_pad, w, stride, dilation, groups, plan):
    o, cg = w.shape[:2]
    taps = _taps(tuple(w.shape[2:]))
    n, c = x_pad.shape[:2]
    og, ck = o // groups, cg * len(taps)
    out_spatial = tuple(g.shape[2:])
    P = math.prod(out_spatial)
    w_t = np.matrix_transpose(np.reshape(w, (groups, og, ck)))  # (G, C_g K, O_g), a view
    g_mat = np.reshape(g, (n, groups, og, P))
    grad_x = np.zeros(x_pad.shape, dtype=x_pad.dtype)  # zero-bordered: the padding's share is dropped later
    k, budget, per_sample = plan

    def work(a, b):
        """Input gradient of samples ``a .. b-1`` (disjoint rows of grad_x) and their share of dL/dW^T."""
        blks = _sample_blocks(a, b, per_sample, budget)
        step = max(n1 - n0 for n0, n1 in blks)
        buf = np.empty((step, c, len(taps)) + out_spatial, dtype=x_pad.dtype)
        part = np.empty((step, groups, ck, og), dtype=x_pad.dtype)
        grad_wt = np.zeros((groups, ck, og), dtype=x_pad.dtype)  # accumulated as X_cols G^T
        for n0, n1 in blks:
            nb = n1 - n0
            cols = buf[:nb]
            _fill(np, cols, x_pad[n0:n1], taps, stride, dilation, out_spatial)
            mat = np.reshape(cols, (nb, groups, ck, P))
            g_blk = g_mat[n0:n1]
            if nb == 1:  # straight into the sum, no temporary
                np.matmul(mat[0], np.matrix_transpose(g_blk[0]), out=part[0])
                grad_wt += part[0]
            else:
                np.matmul(mat, np.matrix_transpose(g_blk), out=part[:nb])
                grad_wt += np.sum(part[:nb], axis=0)
            np.matmul(w_t, g_blk, out=mat)  # the windows are spent: W^T G goes into their buffer
            _col2im(np, grad_x, mat, taps, stride, dilation, out_spatial, (n0, n1), 0)
        return grad_wt

    shares = _parallel.run(work, n, k)
    grad_wt = shares[0]
    for share in shares[1:]:
        grad_wt += share
    grad_w = np.reshape(np.matrix_transpose(grad_wt), tuple(w.shape))
    return grad_x, np.ascontiguousarray(grad_w)


def _input_gradient_numpy(np, g, w, stride, dilation, groups, shape, plan):
    o, cg = w.shape[:2]
    taps = _taps(tuple(w.shape[2:]))
    n, og, ck = g.shape[0], o // groups, cg * len(taps)
    out_spatial = tuple(g.shape[2:])
    P = math.prod(out_spatial)
    w_t = np.matrix_transpose(np.reshape(w, (groups, og, ck)))
    g_mat = np.reshape(g, (n, groups, og, P))
    grad_x = np.zeros(shape, dtype=g.dtype)
    k, budget, per_sample = plan

    def work(a, b):
        blks = _sample_blocks(a, b, per_sample, budget)
        buf = np.empty((max(n1 - n0 for n0, n1 in blks), groups, ck, P), dtype=g.dtype)
        for n0, n1 in blks:
            mat = buf[: n1 - n0]
            np.matmul(w_t, g_mat[n0:n1], out=mat)
            _col2im(np, grad_x, mat, taps, stride, dilation, out_spatial, (n0, n1), 0)

    _parallel.run(work, n, k)
    return grad_x
