"""Winograd's minimal filtering: 3-tap (1-D) and 3x3 (2-D) layers with fewer multiplies.

``F(m, 3)`` computes ``m`` outputs of a 3-tap correlation from a tile of
``m + 2`` inputs with ``m + 2`` multiplications instead of ``3 m``:

.. math::

    y = A^\\top \\big[(G w) \\odot (B^\\top d)\\big]

``B^T``, ``G`` and ``A^T`` come from polynomial interpolation at the points
``0, 1, -1`` (``F(2, 3)``) or ``0, 1, -1, 2, -2`` (``F(4, 3)``) plus infinity
(the book derives them in SymPy). In several dimensions the transforms act
along each axis in turn (they are separable), and the multiplication becomes,
for each of the ``(m + 2)^d`` transformed positions, one channel GEMM
``(C_out x C_in) @ (C_in x tiles)``: ``F(4x4, 3x3)`` does 36 of them where
im2col does the work of 144 (4x fewer multiplies in the GEMMs).

The three passes of a layer, all at stride 1 and dilation 1:

* forward: the algorithm above, tile by tile (tiles overlap by 2 inputs);
* input gradient: the same routine on ``g`` padded by 2 with the kernel
  flipped and its channels swapped (a full correlation);
* weight gradient: the transposed algorithm: with ``V = B^T d`` (the same
  input transform as the forward) and the output gradient's tiles taken to
  ``A g``, ``dL/d(Gw) = sum over tiles of (A g) V^T`` (one channel GEMM per
  transformed position), then ``dL/dw = G^T (...) G``.

Accuracy: the transforms add and subtract values of different sizes, so
float32 results carry errors about 10-30x larger than a direct sum (measured
5e-6 to 2e-5 relative to float64 for ``F(4, 3)``; ``F(2, 3)`` is near the
direct sum). Use ``method="gemm"`` when PyTorch-level float32 accuracy
matters.
"""

from __future__ import annotations

import math

from . import _parallel
from ._backend import device, is_numpy
from ._memory import _CACHE_BLOCK, usable

__all__ = ["forward", "backward", "input_gradient", "applicable", "matrices"]

# Lavin & Gray (2016), "Fast algorithms for convolutional neural networks":
# points 0, 1, -1 (and infinity) for F(2, 3); 0, 1, -1, 2, -2 (and infinity) for F(4, 3).
_MATRICES = {
    2: (
        [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
        [[1, 0, 0], [1 / 2, 1 / 2, 1 / 2], [1 / 2, -1 / 2, 1 / 2], [0, 0, 1]],
        [[1, 1, 1, 0], [0, 1, -1, -1]],
    ),
    4: (
        [
            [4, 0, -5, 0, 1, 0],
            [0, -4, -4, 1, 1, 0],
            [0, 4, -4, -1, 1, 0],
            [0, -2, -1, 2, 1, 0],
            [0, 2, -1, -2, 1, 0],
            [0, 4, 0, -5, 0, 1],
        ],
        [
            [1 / 4, 0, 0],
            [-1 / 6, -1 / 6, -1 / 6],
            [-1 / 6, 1 / 6, -1 / 6],
            [1 / 24, 1 / 12, 1 / 6],
            [1 / 24, -1 / 12, 1 / 6],
            [0, 0, 1],
        ],
        [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
    ),
}
TILE = 4  # F(4, 3): the measured faster of the two (F(2, 3) does 2.25x the GEMM work of F(4, 3))


def matrices(m=TILE):
    """``(B^T, G, A^T)`` of ``F(m, 3)`` as nested lists of floats (``m`` is 2 or 4)."""
    if m not in _MATRICES:
        raise ValueError(f"m={m!r} is invalid: Winograd tiles here are F(2, 3) or F(4, 3)")
    return _MATRICES[m]


def applicable(kernel, stride, dilation) -> bool:
    """Winograd here needs 3 taps on every axis, 1 or 2 axes, stride 1 and dilation 1."""
    return len(kernel) in (1, 2) and all(k == 3 for k in kernel) and all(
        s == 1 for s in stride
    ) and all(d == 1 for d in dilation)


def check(fn, kernel, stride, dilation):
    """ValueError naming what ``method='winograd'`` cannot do."""
    if not applicable(kernel, stride, dilation):
        raise ValueError(
            f"method='winograd' is not available for {fn} with kernel {tuple(kernel)}, stride "
            f"{tuple(stride)}, dilation {tuple(dilation)}: it needs a 3-tap or 3x3 kernel at stride 1 "
            "and dilation 1; use 'gemm' or 'direct'"
        )


# The crossover, measured (2 cores; both paths splitting the samples over two worker
# threads; glibc's default allocator; float32 fwd+bwd, C_out = C_in, N * H * W = 16384,
# min of 5 alternating runs; benchmarks/winograd_crossover.py; two runs a few minutes apart
# differed by up to 0.2):
#
#   Winograd time / gemm time    8x8    16x16   32x32   64x64   (output side)
#   C_in =  16                   1.26   1.85    1.31    1.32
#   C_in =  32                   1.38   1.28    1.12    1.21
#   C_in =  64                   0.92   1.06    0.89    1.04
#   C_in = 128                   0.65   0.75    0.66    0.62
#
# The per-sample GEMM path (convlab._gemm) runs the 3x3 layers near the matmul rate, so
# Winograd's transforms (memory-bound, about 1.2 ms per 64-channel 64x64 sample) eat what
# its 4x fewer GEMM flops save until the channel GEMMs are large; at 64 channels the two
# are level within the noise. Rule: auto -> winograd iff 2-D 3x3, stride 1, dilation 1,
# C_in/groups >= WINOGRAD_MIN_CHANNELS and every output side >= WINOGRAD_MIN_SIDE.
WINOGRAD_MIN_CHANNELS = 128
WINOGRAD_MIN_SIDE = 16


def wins(out_spatial, w_shape, stride, dilation) -> bool:
    """The ``auto`` rule (see the constants above): True where Winograd measured faster than GEMM."""
    kernel = tuple(w_shape[2:])
    if len(kernel) != 2 or not applicable(kernel, stride, dilation):
        return False
    return w_shape[1] >= WINOGRAD_MIN_CHANNELS and min(out_spatial) >= WINOGRAD_MIN_SIDE


def _as(xp, rows, like):
    return xp.asarray(rows, dtype=like.dtype, device=device(like))


def _front(xp, a, t):
    """``a @ t`` along t's first axis: ``(r, s) x (s, ...) -> (r, ...)``."""
    rest = tuple(t.shape[1:])
    return xp.reshape(a @ xp.reshape(t, (t.shape[0], math.prod(rest))), (a.shape[0],) + rest)


def _at(xp, a, t, axis):
    """``a @ t`` along t's axis ``axis`` (a leading axis): a batched product, no transpose."""
    pre, n, post = tuple(t.shape[:axis]), t.shape[axis], tuple(t.shape[axis + 1 :])
    t3 = xp.reshape(t, (math.prod(pre), n, math.prod(post)))
    return xp.reshape(a @ t3, pre + (a.shape[0],) + post)


def _combine(np, mat, views, out, scratch):
    """``out[r] = sum_j mat[r][j] * views[j]`` in place, zeros skipped and +-1 as adds (NumPy).

    ``B^T`` of ``F(4, 3)`` has 23 non-zero entries out of 36, most of them 1 or
    -1 in size: 28 in-place array operations per axis instead of a gather of
    ``m + 2`` strided copies and a GEMM over them (measured: the input
    transform of a C64 layer 8.7 -> 4.5 ms per two samples).
    """
    for r, row in enumerate(mat):
        terms = [(c, views[j]) for j, c in enumerate(row) if c != 0]
        (c0, v0), rest = terms[0], terms[1:]
        np.multiply(v0, c0, out=out[r])
        for c, v in rest:
            if c == 1:
                out[r] += v
            elif c == -1:
                out[r] -= v
            else:
                np.multiply(v, c, out=scratch)
                out[r] += scratch


def _bt4(np, views, out, scratch):
    """``B^T`` of ``F(4, 3)`` applied to six views, in 19 in-place operations (``_combine``
    needs 28) by sharing the differences that its rows have in common:

    ``4 d0 - 5 d2 + d4``; ``(d4 - 4 d2) +- (d3 - 4 d1)``; ``(d4 - d2) +- 2 (d3 - d1)``;
    ``4 d1 - 5 d3 + d5``. ``tests/test_parallel.py`` holds both to the matrix.
    """
    d0, d1, d2, d3, d4, d5 = views
    t1, t2 = scratch
    np.multiply(d2, -5, out=t1)
    t1 += d4
    np.multiply(d0, 4, out=out[0])
    out[0] += t1
    np.multiply(d2, -4, out=t1)
    t1 += d4
    np.multiply(d1, -4, out=t2)
    t2 += d3
    np.add(t1, t2, out=out[1])
    np.subtract(t1, t2, out=out[2])
    np.subtract(d4, d2, out=t1)
    np.subtract(d3, d1, out=t2)
    t2 *= 2
    np.add(t1, t2, out=out[3])
    np.subtract(t1, t2, out=out[4])
    np.multiply(d3, -5, out=t1)
    t1 += d5
    np.multiply(d1, 4, out=out[5])
    out[5] += t1


def _buffer(np, ws, key, shape, dtype):
    """An array from the worker's workspace ``ws``, allocated once per shape: its pages are
    touched once per call, not once per block (fresh allocations of a few MiB measured
    0.2-0.5 ms of page faults each)."""
    arr = ws.get(key)
    if arr is None or arr.shape != tuple(shape) or arr.dtype != dtype:
        arr = ws[key] = np.empty(shape, dtype=dtype)
    return arr


def _input_transform_numpy(np, xc, bt_rows, m, tiles, ws=None):
    """:func:`_input_transform` on NumPy, computed channels-last.

    Every tile reads every ``m``-th input along each axis. With the channels
    innermost (one copy of the block, ``(N, *spatial, C)``), each of those
    strided views is a run of ``C`` contiguous values per position, so the
    in-place operations stream through memory instead of hopping 16 bytes at a
    time (measured for one 64-channel 64x64 sample: 0.1 ms for the copy plus
    0.8 ms, against 1.5 ms channels-first). The result is the transposed view of
    a ``(alpha^d, N * tiles, C)`` array: the channel GEMMs read it with BLAS's
    transpose flag, the weight gradient's as it is, with no copy either way.
    """
    a, d = m + 2, len(tiles)
    c, n = xc.shape[:2]
    ws = {} if ws is None else ws
    dt = xc.dtype
    last = _buffer(np, ws, "last", (n,) + tuple(xc.shape[2:]) + (c,), dt)
    np.copyto(last, np.permute_dims(xc, tuple(range(1, 2 + d)) + (0,)))

    def taps_along(src, axis, k):
        views = []
        for r in range(a):
            index = [slice(None)] * src.ndim
            index[axis] = slice(r, r + m * (k - 1) + 1, m)
            views.append(src[tuple(index)])
        return views

    def apply(views, out, key):
        shape = tuple(views[0].shape)
        scratch = (_buffer(np, ws, key + "1", shape, dt), _buffer(np, ws, key + "2", shape, dt))
        if m == 4:
            _bt4(np, views, out, scratch)
        else:
            _combine(np, bt_rows, views, out, scratch[0])

    # the last spatial axis first (its index leads in V, as in the generic path)
    t = _buffer(np, ws, "t", (a, n) + tuple(xc.shape[2:-1]) + (tiles[-1], c), dt)
    apply(taps_along(last, d, tiles[-1]), t, "s")
    if d == 2:
        v = _buffer(np, ws, "v", (a, a, n) + tuple(tiles) + (c,), dt)
        for nu in range(a):  # V[nu, xi]
            apply(taps_along(t[nu], 1, tiles[0]), v[nu], "r")
        t = v
    return np.matrix_transpose(np.reshape(t, (a**d, n * math.prod(tiles), c)))


def _input_transform(xp, xc, bt, m, tiles, ws=None):
    """``V``: ``(alpha^d, C, N * prod(tiles))`` from ``xc`` of shape ``(C, N, *spatial)``.

    Per spatial axis: ``m + 2`` strided slices (tile starts every ``m`` inputs)
    stacked on a new leading axis, then ``B^T`` along it (one small GEMM).
    """
    if is_numpy(xp):
        return _input_transform_numpy(xp, xc, matrices(m)[0], m, tiles, ws)
    a = m + 2
    t = xc
    for axis, n_tiles in enumerate(tiles):
        ax = t.ndim - len(tiles) + axis
        views = []
        for r in range(a):
            index = [slice(None)] * t.ndim
            index[ax] = slice(r, r + m * (n_tiles - 1) + 1, m)
            views.append(t[tuple(index)])
        t = _front(xp, bt, xp.stack(views, axis=0))  # (alpha, ..., C, N, ..., tiles, ...)
    d = len(tiles)
    c = xc.shape[0]
    return xp.reshape(t, (a**d, c, math.prod(t.shape[d + 1 :])))


def _weight_transform(xp, w, g_mat):
    """``U``: ``(alpha^d, O, C)``, in the order of the input transform's leading axes."""
    d = w.ndim - 2
    # (O, C, k_1 .. k_d) -> (k_d .. k_1, O, C): the last spatial axis is transformed last, so leads.
    t = xp.permute_dims(w, tuple(range(w.ndim - 1, 1, -1)) + (0, 1))
    for axis in range(d):  # the axis of k_(d-axis) sits at position `axis`
        t = _at(xp, g_mat, t, axis)
    a = g_mat.shape[0]
    return xp.reshape(t, (a**d,) + tuple(w.shape[:2]))


def _output_transform(xp, mm, at, m, n, o, tiles, out_spatial):
    """``y``: ``(N, O, *out_spatial)`` from ``M`` of shape ``(alpha^d, O, N * prod(tiles))``."""
    d = len(tiles)
    a = m + 2
    t = xp.reshape(mm, (a,) * d + (o, n) + tuple(tiles))
    for axis in range(d):
        t = _at(xp, at, t, axis)  # (m_d .. m_1, O, N, t_1 .. t_d)
    # -> (N, O, t_1, m_1, .., t_d, m_d)
    order = [d + 1, d]
    for axis in range(d):
        order += [d + 2 + axis, d - 1 - axis]
    t = xp.permute_dims(t, tuple(order))
    t = xp.reshape(t, (n, o) + tuple(k * m for k in tiles))
    crop = tuple(slice(0, s) for s in out_spatial)
    return t[(slice(None), slice(None)) + crop]


def _output_transform_numpy(np, mm, at, m, o, tiles, y_blk, ws):
    """:func:`_output_transform` on NumPy, written into ``y_blk`` (``(N_b, O, *out_spatial)``).

    The two ``A^T`` products go into the worker's buffers and the tiles are
    copied once, straight to their place in ``y`` (the generic version copies
    them into a tile-major array first and then into ``y``).
    """
    d, a = len(tiles), m + 2
    n = y_blk.shape[0]
    rest = mm.shape[1] * mm.shape[2]  # O * N_b * tiles
    shape = (m, a ** (d - 1) * rest)
    t = np.matmul(at, np.reshape(mm, (a,) + shape[1:]), out=_buffer(np, ws, "o1", shape, mm.dtype))
    if d == 2:
        t = np.matmul(at, np.reshape(t, (m, a, rest)), out=_buffer(np, ws, "o2", (m, m, rest), mm.dtype))
    # t is (m_d .. m_1, O, N_b, t_1 .. t_d): tile position j along axis d leads
    t = np.reshape(t, (m,) * d + (o, n) + tuple(tiles))
    order = [d + 1, d]
    for axis in range(d):
        order += [d + 2 + axis, d - 1 - axis]
    src = np.permute_dims(t, tuple(order))  # (N_b, O, t_1, m_1, .., t_d, m_d)
    full = tuple(k * m for k in tiles)
    split = tuple(v for k in tiles for v in (k, m))
    if tuple(y_blk.shape[2:]) == full:  # whole tiles: straight into y
        np.copyto(np.reshape(y_blk, (n, o) + split), src)
        return
    whole = _buffer(np, ws, "o3", (n, o) + full, mm.dtype)  # the last tiles overhang: crop
    np.copyto(np.reshape(whole, (n, o) + split), src)
    y_blk[...] = whole[(slice(None), slice(None)) + tuple(slice(0, s) for s in y_blk.shape[2:])]


def _tiles(out_spatial, m):
    return tuple(-(-s // m) for s in out_spatial)


def _padded_to_tiles(xp, x, tiles, m):
    """``x`` with zeros at the end of each spatial axis up to ``tiles * m + 2`` (a copy only when short)."""
    want = tuple(k * m + 2 for k in tiles)
    have = tuple(x.shape[2:])
    if want == have:
        return x
    # cut first (inputs past the last tile are never read), then pad
    cut = x[(slice(None), slice(None)) + tuple(slice(0, min(a, b)) for a, b in zip(want, have))]
    if tuple(cut.shape[2:]) == want:
        return cut
    z = xp.zeros(tuple(x.shape[:2]) + want, dtype=x.dtype, device=device(x))
    z[(slice(None), slice(None)) + tuple(slice(0, s) for s in cut.shape[2:])] = cut
    return z


def _split(xp, n, per_sample_bytes, macs):
    """``(workers, samples per block)``: blocks of about a cache's size, the budget shared by the workers.

    Measured on 2 cores (C64, float32): blocks as large as the budget left the
    tiles in memory between the transforms and the channel GEMMs (213 ms
    fwd+bwd); blocks of one or two samples keep them in the cache.
    """
    k = _parallel.workers(xp, n, macs)
    share = usable() // k
    step = max(1, min(n, min(share, _CACHE_BLOCK) // max(1, per_sample_bytes)))
    return k, step


def _correlate_groups(xp, x_pad, w, groups, out_spatial, m):
    o = w.shape[0]
    if groups == 1:
        return _correlate(xp, x_pad, w, out_spatial, m)
    cg, og = x_pad.shape[1] // groups, o // groups
    parts = [
        _correlate(xp, x_pad[:, i * cg : (i + 1) * cg, ...], w[i * og : (i + 1) * og, ...], out_spatial, m)
        for i in range(groups)
    ]
    return xp.concat(parts, axis=1)


def _correlate(xp, x_pad, w, out_spatial, m):
    """Valid 3-tap correlation ``(N, C, *S) x (O, C, 3, ..) -> (N, O, *out_spatial)`` by ``F(m, 3)``."""
    bt, gm, at = (_as(xp, r, x_pad) for r in matrices(m))
    n, c = x_pad.shape[:2]
    o = w.shape[0]
    d = len(out_spatial)
    tiles = _tiles(out_spatial, m)
    u = _weight_transform(xp, w, gm)  # (alpha^d, O, C)
    x_pad = _padded_to_tiles(xp, x_pad, tiles, m)
    itemsize = xp.finfo(x_pad.dtype).bits // 8
    # the worker's buffers: the channels-last copy, both transform passes, V, the GEMM output and
    # the two A^T products, counted generously (about 2.1 C + 2.6 O values per transformed point)
    per_sample = (m + 2) ** d * (3 * c + 3 * o) * math.prod(tiles) * itemsize
    k, step = _split(xp, n, per_sample, n * o * c * 3**d * math.prod(out_spatial))
    y = xp.empty((n, o) + tuple(out_spatial), dtype=x_pad.dtype, device=device(x_pad))
    numpy = is_numpy(xp)

    def work(a, b):  # samples a .. b-1: rows of y no other worker writes
        ws = {}  # this worker's buffers, reused from block to block
        for n0 in range(a, b, step):
            n1 = min(b, n0 + step)
            xc = xp.permute_dims(x_pad[n0:n1, ...], (1, 0) + tuple(range(2, 2 + d)))
            v = _input_transform(xp, xc, bt, m, tiles, ws)  # (alpha^d, C, N_b * tiles)
            if numpy:  # the channel GEMMs into the worker's buffer (no fresh pages per block)
                mm = xp.matmul(u, v, out=_buffer(xp, ws, "mm", (v.shape[0], o, v.shape[2]), v.dtype))
            else:
                mm = u @ v  # (alpha^d, O, N_b * tiles): the channel GEMMs
            del v
            if numpy:
                _output_transform_numpy(xp, mm, at, m, o, tiles, y[n0:n1, ...], ws)
            else:
                y[n0:n1, ...] = _output_transform(xp, mm, at, m, n1 - n0, o, tiles, out_spatial)

    _parallel.run(work, n, k)
    return y


def forward(xp, x_pad, w, stride, dilation, groups, out_spatial, m=TILE):
    """``y`` for a padded input, as :func:`convlab._conv.correlate_padded` (3-tap or 3x3, stride 1)."""
    check("the forward pass", tuple(w.shape[2:]), stride, dilation)
    return _correlate_groups(xp, x_pad, w, groups, tuple(out_spatial), m)


def _flipped_transposed(xp, w, groups):
    """``(C, O_g, *k)``: each group's in/out channels swapped and the kernel reversed in space."""
    o, cg = w.shape[:2]
    ks = tuple(w.shape[2:])
    og = o // groups
    w_t = xp.reshape(w, (groups, og, cg) + ks)
    w_t = xp.permute_dims(w_t, (0, 2, 1) + tuple(range(3, 3 + len(ks))))
    return xp.flip(xp.reshape(w_t, (groups * cg, og) + ks), axis=tuple(range(2, 2 + len(ks))))


def input_gradient(xp, g, w, stride, dilation, groups, target_spatial, m=TILE):
    """``dL/dx_p`` of shape ``(N, C, *target_spatial)``: ``g`` padded by 2, flipped kernel, same routine."""
    check("the input gradient", tuple(w.shape[2:]), stride, dilation)
    d = g.ndim - 2
    pad = [(2, t - s) for s, t in zip(g.shape[2:], target_spatial)]  # t - s = 2 + unread tail
    shape = tuple(g.shape[:2]) + tuple(s + lo + hi for s, (lo, hi) in zip(g.shape[2:], pad))
    z = xp.zeros(shape, dtype=g.dtype, device=device(g))
    z[(slice(None), slice(None)) + tuple(slice(2, 2 + s) for s in g.shape[2:])] = g
    del d
    return _correlate_groups(xp, z, _flipped_transposed(xp, w, groups), groups, tuple(target_spatial), m)


def _output_grad_transform(xp, g, a_mat, m, tiles):
    """``(alpha^d, O, N * prod(tiles))``: each ``m``-tile of ``g`` (zeros past the end) taken to ``A g``."""
    n, o = g.shape[:2]
    d = len(tiles)
    want = tuple(k * m for k in tiles)
    if tuple(g.shape[2:]) != want:
        z = xp.zeros((n, o) + want, dtype=g.dtype, device=device(g))
        z[(slice(None), slice(None)) + tuple(slice(0, s) for s in g.shape[2:])] = g
        g = z
    split = []
    for k in tiles:
        split += [k, m]
    t = xp.reshape(g, (n, o) + tuple(split))  # (N, O, t_1, m_1, .., t_d, m_d)
    # -> (m_d .. m_1, O, N, t_1 .. t_d), the layout of the input transform
    order = [3 + 2 * (d - 1 - i) for i in range(d)] + [1, 0] + [2 + 2 * i for i in range(d)]
    t = xp.permute_dims(t, tuple(order))
    for axis in range(d):
        t = _at(xp, a_mat, t, axis)
    return xp.reshape(t, ((m + 2) ** d, o, n * math.prod(tiles)))


def weight_gradient(xp, g, x_pad, w_shape, groups, m=TILE):
    """``dL/dw`` by the transposed algorithm: ``G^T [sum_tiles (A g) (B^T d)^T] G`` per group."""
    o, cg = w_shape[:2]
    if groups > 1:
        og = o // groups
        parts = [
            weight_gradient(
                xp, g[:, i * og : (i + 1) * og, ...], x_pad[:, i * cg : (i + 1) * cg, ...],
                (og, cg) + tuple(w_shape[2:]), 1, m,
            )
            for i in range(groups)
        ]
        return xp.concat(parts, axis=0)
    bt, gm, at = (_as(xp, r, x_pad) for r in matrices(m))
    a_mat = xp.matrix_transpose(at)  # (alpha, m)
    n = x_pad.shape[0]
    out_spatial = tuple(g.shape[2:])
    d = len(out_spatial)
    tiles = _tiles(out_spatial, m)
    x_pad = _padded_to_tiles(xp, x_pad, tiles, m)
    itemsize = xp.finfo(x_pad.dtype).bits // 8
    per_sample = (m + 2) ** d * (3 * cg + 3 * o) * math.prod(tiles) * itemsize  # as in _correlate
    k, step = _split(xp, n, per_sample, n * o * cg * 3**d * math.prod(out_spatial))

    def work(a, b):  # this worker's share of the sum over tiles
        du = xp.zeros(((m + 2) ** d, o, cg), dtype=x_pad.dtype, device=device(x_pad))
        ws = {}
        for n0 in range(a, b, step):
            n1 = min(b, n0 + step)
            xc = xp.permute_dims(x_pad[n0:n1, ...], (1, 0) + tuple(range(2, 2 + d)))
            v = _input_transform(xp, xc, bt, m, tiles, ws)  # (alpha^d, C, P)
            ag = _output_grad_transform(xp, g[n0:n1, ...], a_mat, m, tiles)  # (alpha^d, O, P)
            du = du + ag @ xp.matrix_transpose(v)
        return du

    shares = _parallel.run(work, n, k)
    du = shares[0]
    for share in shares[1:]:
        du = du + share
    # G^T along each transformed axis: (alpha_d .. alpha_1, O, C) -> (k_d .. k_1, O, C)
    t = xp.reshape(du, (m + 2,) * d + (o, cg))
    g_t = xp.matrix_transpose(gm)
    for axis in range(d):
        t = _at(xp, g_t, t, axis)
    return xp.permute_dims(t, (d, d + 1) + tuple(range(d - 1, -1, -1)))


def backward(xp, g, x_pad, w, stride, dilation, groups, m=TILE):
    """``(dL/dx_pad, dL/dw)``, as :func:`convlab._gemm.backward`."""
    check("the backward pass", tuple(w.shape[2:]), stride, dilation)
    grad_x = input_gradient(xp, g, w, stride, dilation, groups, tuple(x_pad.shape[2:]), m)
    return grad_x, weight_gradient(xp, g, x_pad, tuple(w.shape), groups, m)
