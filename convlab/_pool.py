"""Pooling: a reduction over the same windows the convolutions build.

A pooling layer reads exactly the windows of a convolution with the same
kernel size, stride, padding and dilation: for every output position ``i``
the input values ``x_p[s i + d k]``, ``k = 0 .. K-1``. It only replaces the
weighted sum over ``k`` by another reduction, per channel:

.. math::

    \\text{max: } y[n, c, i] = \\max_k x_p[n, c, s i + d k], \\qquad
    \\text{average: } y[n, c, i] = \\frac{1}{D_i} \\sum_k x_p[n, c, s i + k]

So the windows come from the convolution's own machinery (one strided view
per kernel tap, :func:`convlab._gemm.tap_index`, stacked by the GEMM path's
``_windows``), and both gradients go back through the convolution's
``col2im`` fold:

* max: the output gradient is routed to the one input that won its window
  (an argmax scatter), then folded back;
* average: a depthwise convolution (``groups = C``) with the constant kernel
  ``1`` followed by a division by ``D_i``; its gradient is the transposed
  convolution of ``g / D`` with the same constant kernel.

Ties (several inputs equal to a window's maximum) send the whole gradient to
the first of them in the window's scan order (row-major over the kernel's
taps); NaN counts as the maximum, and among several NaN the *last* one gets
the gradient. Both rules are PyTorch's on the CPU.

Adaptive average pooling has windows of varying length
(``floor(i L / L_out)`` to ``ceil((i + 1) L / L_out)``), so it is not one
strided view: it is the linear map ``A`` of shape ``(L_out, L)`` applied along each
spatial axis (computed one window at a time, so a NaN stays in its own windows),
and its gradient is ``A^T`` applied the same way. When ``L_out``
divides ``L`` it equals :func:`avg_pool1d` with kernel and stride ``L / L_out``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import _gemm
from ._backend import asarrays, device
from ._padding import pad_backward, pad_plan
from ._shapes import as_tuple, check_int

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "max_pool1d_backward",
    "max_pool2d_backward",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool1d_backward",
    "avg_pool2d_backward",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool1d_backward",
    "adaptive_avg_pool2d_backward",
]


@dataclass(frozen=True)
class PoolSpec:
    """A pooling layer's geometry, validated, one entry per spatial axis."""

    kernel: tuple
    stride: tuple
    padding: tuple  # (left, right) per axis; right includes ceil_mode's extra reach
    dilation: tuple
    out_spatial: tuple
    in_spatial: tuple
    pad: tuple  # the symmetric padding as given (what avg's divisor counts)


def _input(x, ndim, fn, name="x"):
    """``(xp, x as (N, C, *spatial) float, batched)``; unbatched ``(C, *spatial)`` gets N = 1."""
    if x is None:
        raise TypeError(f"{fn}: {name}=None is invalid: expected an array")
    xp, (x,) = asarrays(x, names=[name])
    if x.ndim not in (ndim + 1, ndim + 2):
        letters = {1: "L", 2: "H, W"}[ndim]
        raise ValueError(
            f"{fn}: {name} has shape {tuple(x.shape)} ({x.ndim}-D); expected {ndim + 2}-D "
            f"(N, C, {letters}) or {ndim + 1}-D (C, {letters})"
        )
    # An empty batch is fine (the result is empty too, as in PyTorch); an empty channel or
    # spatial axis has no windows to pool.
    if math.prod(x.shape[-(ndim + 1):]) == 0:
        raise ValueError(f"{fn}: {name} is empty (shape {tuple(x.shape)})")
    batched = x.ndim == ndim + 2
    return xp, (x if batched else x[None, ...]), batched


def _grad_input(xp, x, grad_out, batched, want, fn):
    """``grad_out`` checked against the forward's output shape and batched like ``x``."""
    if grad_out is None:
        raise TypeError(f"{fn}: grad_out=None is invalid: expected an array")
    _, (_, g) = asarrays(x, grad_out, names=["x", "grad_out"])
    g = xp.astype(g, x.dtype, copy=False)
    shape = want if batched else want[1:]
    if tuple(g.shape) != shape:
        raise ValueError(f"{fn}: grad_out has shape {tuple(g.shape)}; expected {shape}, the shape of y")
    return g if batched else g[None, ...]


def pool_spec(spatial, kernel_size, stride, padding, dilation, ceil_mode, fn):
    """PyTorch's output size and its two rules, per axis.

    ``L_out = floor_or_ceil((L + 2p - d (k - 1) - 1) / s) + 1``; with
    ``ceil_mode`` the last window must still start inside the input or the
    left padding (``(L_out - 1) s < L + p``), else it is dropped. Padding may
    be at most half the kernel, so that no window sees padding only.
    """
    n = len(spatial)
    ks = as_tuple(kernel_size, n, "kernel_size", 1)
    ss = ks if stride is None else as_tuple(stride, n, "stride", 1)
    ps = as_tuple(padding, n, "padding", 0)
    ds = as_tuple(dilation, n, "dilation", 1)
    if not isinstance(ceil_mode, bool):
        raise TypeError(f"{fn}: ceil_mode={ceil_mode!r} is invalid: expected True or False")
    out, pairs = [], []
    for axis, (length, k, s, p, d) in enumerate(zip(spatial, ks, ss, ps, ds)):
        if 2 * p > k:
            raise ValueError(
                f"{fn}: padding={padding!r} is invalid: padding must be at most half of "
                f"kernel_size={k} (got {p} on spatial axis {axis})"
            )
        span = d * (k - 1) + 1
        steps = length + 2 * p - span
        o = (-(-steps // s) if ceil_mode else steps // s) + 1
        if ceil_mode and (o - 1) * s >= length + p:
            o -= 1
        if steps < 0 or o < 1:
            raise ValueError(
                f"{fn}: kernel_size={k} with dilation={d} spans {span} samples but the padded "
                f"input along spatial axis {axis} has only {length + 2 * p} (input {length} + "
                f"padding {p}+{p}); use a smaller kernel or more padding"
            )
        # The right side is padded as far as the last window reaches: with
        # ceil_mode that can be past the padding p, and it can stop short of it.
        pairs.append((p, max((o - 1) * s + span - length - p, 0)))
        out.append(o)
    return PoolSpec(ks, ss, tuple(pairs), ds, tuple(out), tuple(spatial), ps)


def windows(xp, x_pad, spec):
    """``(N, C, K, P)``: for output ``p``, the ``K = prod(kernel)`` inputs of its window, in tap order."""
    c = x_pad.shape[1]
    cols = _gemm._windows(xp, x_pad, spec.kernel, spec.stride, spec.dilation, spec.out_spatial, groups=c)
    return xp.reshape(cols, (x_pad.shape[0], c, math.prod(spec.kernel), math.prod(spec.out_spatial)))


def fold(xp, grad_cols, spec, pad_shape):
    """col2im: add each tap's gradient back at the input positions that tap read."""
    grad_x = xp.zeros(pad_shape, dtype=grad_cols.dtype, device=device(grad_cols))
    per_tap = xp.reshape(grad_cols, tuple(grad_cols.shape[:3]) + spec.out_spatial)
    _gemm._col2im(
        xp, grad_x, per_tap, _gemm._taps(spec.kernel), spec.stride, spec.dilation,
        spec.out_spatial, (0, pad_shape[0]), 0,
    )
    return grad_x


# --- max pooling -----------------------------------------------------------------


def _winner(xp, cols, valid):
    """Tap index that receives the gradient of each window: PyTorch's CPU rule.

    PyTorch scans a window's in-bounds inputs in order and takes ``v`` when
    ``v > best or isnan(v)``: the first of tied maxima, the last NaN, and the
    first in-bounds input when every value is ``-inf``.
    """
    k = cols.shape[2]
    best = xp.max(cols, axis=2, keepdims=True)  # NaN propagates: NaN is the maximum
    nan = xp.isnan(cols)
    hit = xp.astype((cols == best) & valid, xp.int8)
    first_hit = xp.argmax(hit, axis=2)
    last_nan = (k - 1) - xp.argmax(xp.flip(xp.astype(nan, xp.int8), axis=2), axis=2)
    return xp.where(xp.any(nan, axis=2), last_nan, first_hit)


def _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, ndim, fn):
    xp, x, batched = _input(x, ndim, fn)
    spec = pool_spec(tuple(x.shape[2:]), kernel_size, stride, padding, dilation, ceil_mode, fn)
    x_pad, plans = pad_plan(xp, x, spec.padding, "constant", value=-math.inf)
    cols = windows(xp, x_pad, spec)
    return xp, x, batched, spec, x_pad, plans, cols


def max_pool_nd(x, kernel_size, stride, padding, dilation, ceil_mode, ndim, fn):
    xp, x, batched, spec, _, _, cols = _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, ndim, fn)
    y = xp.reshape(xp.max(cols, axis=2), tuple(x.shape[:2]) + spec.out_spatial)
    return y if batched else y[0, ...]


def max_pool_nd_backward(grad_out, x, kernel_size, stride, padding, dilation, ceil_mode, ndim, fn):
    xp, x, batched, spec, x_pad, plans, cols = _max_pool(
        x, kernel_size, stride, padding, dilation, ceil_mode, ndim, fn
    )
    g = _grad_input(xp, x, grad_out, batched, tuple(x.shape[:2]) + spec.out_spatial, fn)
    # Padded positions may hold -inf like a real input; only in-bounds ones may win.
    inside = xp.zeros((1, 1) + tuple(x.shape[2:]), dtype=x.dtype, device=device(x))
    inside, _ = pad_plan(xp, inside + 1, spec.padding, "zeros")
    valid = windows(xp, inside, spec) > 0
    winner = _winner(xp, cols, valid)
    taps = xp.reshape(xp.arange(cols.shape[2], device=device(x)), (1, 1, -1, 1))
    g_flat = xp.reshape(g, (g.shape[0], g.shape[1], 1, math.prod(spec.out_spatial)))
    routed = xp.where(taps == winner[:, :, None, :], g_flat, xp.zeros_like(g_flat))
    grad_x = pad_backward(xp, fold(xp, routed, spec, tuple(x_pad.shape)), plans)
    return grad_x if batched else grad_x[0, ...]


# --- average pooling -------------------------------------------------------------


def _divisor(xp, x, spec, count_include_pad, divisor_override=None):
    """``D_i``: how many positions window ``i`` averages over, shape ``(1, 1, P)``.

    The windows of a mask: ones over the input (``count_include_pad=False``)
    or over input and padding ``p`` (``True``), zeros over ceil_mode's extra
    reach, which PyTorch never counts.
    """
    ones = xp.ones((1, 1) + spec.in_spatial, dtype=x.dtype, device=device(x))
    if count_include_pad:
        mask, _ = pad_plan(xp, ones, tuple((p, p) for p in spec.pad), "constant", value=1.0)
        extra = tuple((0, max(r - p, 0)) for (_, r), p in zip(spec.padding, spec.pad))
        mask, _ = pad_plan(xp, mask, extra, "zeros")  # windows stop where they stop: a longer mask is fine
    else:
        mask, _ = pad_plan(xp, ones, spec.padding, "zeros")
    return xp.sum(windows(xp, mask, spec), axis=2)


def _constant_kernel(xp, x, spec):
    """The depthwise kernel of average pooling before the division: ones, ``(C, 1, *k)``."""
    return xp.ones((x.shape[1], 1) + spec.kernel, dtype=x.dtype, device=device(x))


def _avg_pool(x, kernel_size, stride, padding, ceil_mode, ndim, fn):
    xp, x, batched = _input(x, ndim, fn)
    spec = pool_spec(tuple(x.shape[2:]), kernel_size, stride, padding, 1, ceil_mode, fn)
    return xp, x, batched, spec


def avg_pool_nd(x, kernel_size, stride, padding, ceil_mode, count_include_pad, ndim, fn):
    xp, x, batched, spec = _avg_pool(x, kernel_size, stride, padding, ceil_mode, ndim, fn)
    x_pad, _ = pad_plan(xp, x, spec.padding, "zeros")
    c = x.shape[1]
    total = _gemm.forward(xp, x_pad, _constant_kernel(xp, x, spec), spec.stride, spec.dilation, c, spec.out_spatial)
    div = xp.reshape(_divisor(xp, x, spec, _flag(count_include_pad, fn)), (1, 1) + spec.out_spatial)
    y = total / div
    return y if batched else y[0, ...]


def avg_pool_nd_backward(grad_out, x, kernel_size, stride, padding, ceil_mode, count_include_pad, ndim, fn):
    xp, x, batched, spec = _avg_pool(x, kernel_size, stride, padding, ceil_mode, ndim, fn)
    g = _grad_input(xp, x, grad_out, batched, tuple(x.shape[:2]) + spec.out_spatial, fn)
    div = xp.reshape(_divisor(xp, x, spec, _flag(count_include_pad, fn)), (1, 1) + spec.out_spatial)
    pad_spatial = tuple(l + n + r for (l, r), n in zip(spec.padding, spec.in_spatial))
    grad_pad = _gemm.input_gradient(
        xp, g / div, _constant_kernel(xp, x, spec), spec.stride, spec.dilation, x.shape[1], pad_spatial
    )
    _, plans = pad_plan(xp, x[:1, :1, ...], spec.padding, "zeros")
    grad_x = pad_backward(xp, grad_pad, plans)
    return grad_x if batched else grad_x[0, ...]


def _flag(value, fn, name="count_include_pad"):
    if not isinstance(value, bool):
        raise TypeError(f"{fn}: {name}={value!r} is invalid: expected True or False")
    return value


# --- adaptive average pooling ----------------------------------------------------


def _adaptive_sizes(output_size, spatial, fn):
    n = len(spatial)
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != n:
            raise ValueError(
                f"{fn}: output_size={output_size!r} is invalid: expected one int or {n} ints"
            )
        return tuple(s if o is None else check_int(o, "output_size", 1) for o, s in zip(output_size, spatial))
    if output_size is None:
        raise TypeError(f"{fn}: output_size=None is invalid: expected an int or {n} ints")
    return (check_int(output_size, "output_size", 1),) * n


def adaptive_windows(length, out):
    """``[(start, stop), ...]``: output ``i`` averages ``x[floor(i L / out) : ceil((i+1) L / out)]``."""
    return [((i * length) // out, -((-(i + 1) * length) // out)) for i in range(out)]


def _mean_along(xp, x, axis, windows):
    """``y[..., i, ...]`` = the mean of ``x`` over window ``i`` of ``axis``.

    One slice per output position (adaptive outputs are small), not a weight matrix: a
    matrix would multiply a NaN or inf by the zeros of windows that do not hold it and
    spread it to them, where PyTorch keeps it in its own windows.
    """
    x = xp.moveaxis(x, axis, -1)
    parts = [xp.mean(x[..., a:b], axis=-1, keepdims=True) for a, b in windows]
    return xp.moveaxis(xp.concat(parts, axis=-1), -1, axis)


def _spread_along(xp, g, axis, windows, length):
    """The adjoint of :func:`_mean_along`: each ``g_i / len_i`` added back over its window."""
    g = xp.moveaxis(g, axis, -1)
    out = xp.zeros(tuple(g.shape[:-1]) + (length,), dtype=g.dtype, device=device(g))
    for i, (a, b) in enumerate(windows):
        out[..., a:b] = out[..., a:b] + g[..., i : i + 1] / (b - a)
    return xp.moveaxis(out, -1, axis)


def _adaptive(x, output_size, ndim, fn):
    xp, x, batched = _input(x, ndim, fn)
    sizes = _adaptive_sizes(output_size, tuple(x.shape[2:]), fn)
    windows = [adaptive_windows(n, o) for n, o in zip(x.shape[2:], sizes)]
    return xp, x, batched, sizes, windows


def adaptive_avg_pool_nd(x, output_size, ndim, fn):
    xp, x, batched, _, windows = _adaptive(x, output_size, ndim, fn)
    # A rectangle's mean is the mean over rows of the means over columns: one axis at a time.
    y = x
    for a, w in enumerate(windows):
        y = _mean_along(xp, y, 2 + a, w)
    return y if batched else y[0, ...]


def adaptive_avg_pool_nd_backward(grad_out, x, output_size, ndim, fn):
    xp, x, batched, sizes, windows = _adaptive(x, output_size, ndim, fn)
    g = _grad_input(xp, x, grad_out, batched, tuple(x.shape[:2]) + sizes, fn)
    for a, w in enumerate(windows):
        g = _spread_along(xp, g, 2 + a, w, x.shape[2 + a])
    return g if batched else g[0, ...]


# --- public functions and their docstrings --------------------------------------

_SHAPES = {1: ("L", "k"), 2: ("H, W", "k_h, k_w")}

_MAX_DOC = """{n}-D max pooling, as ``torch.nn.functional.max_pool{n}d``.

.. math:: y[n, c, i] = \\max_k x_p[n, c, s i + d k]

over the same windows as :func:`conv{n}d` with this kernel size, stride,
padding and dilation, with ``x_p`` the input padded by ``-inf`` (padding never
wins). Output size per axis ``floor((L + 2p - d (k - 1) - 1) / s) + 1``, or
the ceiling with ``ceil_mode`` (then a last window that would start in the
right padding is dropped). NaN propagates: a window holding NaN gives NaN.

Parameters
----------
x : array, shape (N, C, {shape}) or (C, {shape})
kernel_size : int or tuple of {n} ints
stride : int or tuple of {n} ints, optional
    Defaults to ``kernel_size`` (windows side by side), as in PyTorch.
padding : int or tuple of {n} ints
    At most ``kernel_size / 2`` per axis.
dilation : int or tuple of {n} ints
ceil_mode : bool

Returns
-------
y : array, shape (N, C, {oshape}) (no N for unbatched input)

Raises
------
ValueError
    Wrong number of dimensions, empty input, kernel_size/stride/dilation < 1,
    negative padding or padding over half the kernel, no window that fits.
TypeError
    Non-array or complex input, non-integer parameters, non-bool ceil_mode.

See Also
--------
max_pool{n}d_backward : the gradient, routed to each window's maximum.
"""

_MAX_BACKWARD_DOC = """Gradient of :func:`max_pool{n}d` with respect to ``x``.

Each window's output gradient goes to the one input that is the window's
maximum, and the windows' contributions add up where windows overlap:

.. math:: \\frac{{\\partial L}}{{\\partial x[t]}} = \\sum_i g[i] \\, [t = s i + d k^*_i - p]

with ``k*_i`` the winning tap of window ``i``. Ties go to the **first**
maximal input in the window's scan order (row-major over the kernel's
taps); if the window holds NaN, the **last** NaN wins; if every in-bounds
value is ``-inf``, the first in-bounds input. These are PyTorch's rules on the
CPU, so the result equals autograd through ``torch.nn.functional.max_pool{n}d``.

Parameters
----------
grad_out : array, the shape of ``max_pool{n}d(x, ...)``
x, kernel_size, stride, padding, dilation, ceil_mode
    Exactly as passed to :func:`max_pool{n}d`.

Returns
-------
grad_x : array, the shape of ``x``
"""

_AVG_DOC = """{n}-D average pooling, as ``torch.nn.functional.avg_pool{n}d``.

.. math:: y[n, c, i] = \\frac{{1}}{{D_i}} \\sum_k x_p[n, c, s i + k]

with ``x_p`` the input padded by zeros. The sum is a *depthwise convolution
with a constant kernel*: ``conv{n}d(x, ones((C, 1, {kshape})), stride=s,
padding=p, groups=C)``, computed by the convolution's own GEMM path. The
divisor ``D_i`` is the kernel's size ``prod(k)``, except where the window
leaves the input: with ``count_include_pad=False`` it counts only input
positions, and with ``ceil_mode`` the part of a last window past the padding
is never counted (PyTorch's rules).

Parameters
----------
x : array, shape (N, C, {shape}) or (C, {shape})
kernel_size : int or tuple of {n} ints
stride : int or tuple of {n} ints, optional
    Defaults to ``kernel_size``.
padding : int or tuple of {n} ints
    At most ``kernel_size / 2`` per axis.
ceil_mode : bool
count_include_pad : bool
    Whether zero padding counts in the divisor.

Returns
-------
y : array, shape (N, C, {oshape}) (no N for unbatched input)

Raises
------
ValueError, TypeError
    As :func:`max_pool{n}d`.

See Also
--------
avg_pool{n}d_backward : the gradient, a transposed convolution with the same constant kernel.
"""

_AVG_BACKWARD_DOC = """Gradient of :func:`avg_pool{n}d` with respect to ``x``.

Every input of window ``i`` gets ``g[i] / D_i``:

.. math:: \\frac{{\\partial L}}{{\\partial x_p[t]}} = \\sum_i \\sum_k \\frac{{g[i]}}{{D_i}} \\, [t = s i + k]

which is the transposed convolution (:func:`conv_transpose{n}d`) of ``g / D``
with the constant kernel of ones, then cropped to the input.

Parameters
----------
grad_out : array, the shape of ``avg_pool{n}d(x, ...)``
x, kernel_size, stride, padding, ceil_mode, count_include_pad
    Exactly as passed to :func:`avg_pool{n}d`.

Returns
-------
grad_x : array, the shape of ``x``
"""

_ADAPTIVE_DOC = """{n}-D adaptive average pooling, as ``torch.nn.functional.adaptive_avg_pool{n}d``.

Output ``i`` of an axis of length ``L`` pooled to ``L_out`` averages
``x[floor(i L / L_out) : ceil((i + 1) L / L_out)]``. The windows differ in
length, so this is a linear map ``A`` (``L_out x L``) applied along each spatial
axis; ``output_size=1`` is *global average pooling*, the mean over all
positions. When ``L_out`` divides ``L`` the result equals
:func:`avg_pool{n}d` with kernel and stride ``L / L_out``.

Parameters
----------
x : array, shape (N, C, {shape}) or (C, {shape})
output_size : int or tuple of {n} ints (an entry None keeps that axis's size)

Returns
-------
y : array, shape (N, C, *output_size)
"""

_ADAPTIVE_BACKWARD_DOC = """Gradient of :func:`adaptive_avg_pool{n}d`: ``A^T`` applied along each spatial axis.

Parameters
----------
grad_out : array, shape (N, C, *output_size)
x, output_size
    Exactly as passed to :func:`adaptive_avg_pool{n}d`.

Returns
-------
grad_x : array, the shape of ``x``
"""


def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return max_pool_nd(x, kernel_size, stride, padding, dilation, ceil_mode, 1, "max_pool1d")


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return max_pool_nd(x, kernel_size, stride, padding, dilation, ceil_mode, 2, "max_pool2d")


def max_pool1d_backward(grad_out, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return max_pool_nd_backward(
        grad_out, x, kernel_size, stride, padding, dilation, ceil_mode, 1, "max_pool1d_backward"
    )


def max_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return max_pool_nd_backward(
        grad_out, x, kernel_size, stride, padding, dilation, ceil_mode, 2, "max_pool2d_backward"
    )


def avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return avg_pool_nd(x, kernel_size, stride, padding, ceil_mode, count_include_pad, 1, "avg_pool1d")


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return avg_pool_nd(x, kernel_size, stride, padding, ceil_mode, count_include_pad, 2, "avg_pool2d")


def avg_pool1d_backward(grad_out, x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return avg_pool_nd_backward(
        grad_out, x, kernel_size, stride, padding, ceil_mode, count_include_pad, 1, "avg_pool1d_backward"
    )


def avg_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return avg_pool_nd_backward(
        grad_out, x, kernel_size, stride, padding, ceil_mode, count_include_pad, 2, "avg_pool2d_backward"
    )


def adaptive_avg_pool1d(x, output_size):
    return adaptive_avg_pool_nd(x, output_size, 1, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(x, output_size):
    return adaptive_avg_pool_nd(x, output_size, 2, "adaptive_avg_pool2d")


def adaptive_avg_pool1d_backward(grad_out, x, output_size):
    return adaptive_avg_pool_nd_backward(grad_out, x, output_size, 1, "adaptive_avg_pool1d_backward")


def adaptive_avg_pool2d_backward(grad_out, x, output_size):
    return adaptive_avg_pool_nd_backward(grad_out, x, output_size, 2, "adaptive_avg_pool2d_backward")


for _n in (1, 2):
    _fmt = dict(
        n=_n,
        shape=_SHAPES[_n][0],
        kshape=_SHAPES[_n][1],
        oshape=", ".join(c + "_out" for c in _SHAPES[_n][0].split(", ")),
    )
    globals()[f"max_pool{_n}d"].__doc__ = _MAX_DOC.format(**_fmt)
    globals()[f"max_pool{_n}d_backward"].__doc__ = _MAX_BACKWARD_DOC.format(**_fmt)
    globals()[f"avg_pool{_n}d"].__doc__ = _AVG_DOC.format(**_fmt)
    globals()[f"avg_pool{_n}d_backward"].__doc__ = _AVG_BACKWARD_DOC.format(**_fmt)
    globals()[f"adaptive_avg_pool{_n}d"].__doc__ = _ADAPTIVE_DOC.format(**_fmt)
    globals()[f"adaptive_avg_pool{_n}d_backward"].__doc__ = _ADAPTIVE_BACKWARD_DOC.format(**_fmt)
