"""Convolution layers, forward pass: one N-d code path for 1-D, 2-D and 3-D.

Neural-network libraries compute a cross-correlation and call it convolution:

.. math::

    y[n, o, i] = b[o] + \\sum_{c} \\sum_{k} x_p[n, gC_g + c, s i + d k] \\, w[o, c, k]

where ``x_p`` is the padded input, ``s`` the stride, ``d`` the dilation and
``g = o // O_g`` the group of output channel ``o`` (``C_g = C_in / groups``
input channels and ``O_g = C_out / groups`` output channels per group). With
several spatial axes, ``i``, ``k``, ``s`` and ``d`` are tuples and the products
are taken per axis.

Three paths compute the same sum (``method=``):

* ``direct``, here: the sum over ``k`` is a loop over the kernel's taps (a
  handful), and the sum over ``c`` a matrix product: each tap's strided view of
  the input times that tap's ``(O_g, C_g)`` weight matrix. It is the definition,
  and the reference the other paths are tested against.
* ``gemm`` (:mod:`convlab._gemm`): the tap views stacked into a windows matrix,
  then one matrix product per group, in blocks within the memory budget.
* ``fft`` (:mod:`convlab._fft`, 1-D): overlap-add FFTs, for long kernels.

No Python loop ever runs over output positions.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from . import _fft, _gemm, _taps, _winograd
from ._backend import device, floats, restore
from ._fft import FFT_MIN_TAPS
from ._gemm import tap_index
from ._memory import check_fits, memory_budget
from ._padding import check_layer_padding, check_mode, pad_plan
from ._shapes import as_tuple, check_choice, check_int, one_output_size, padding_pairs

__all__ = ["conv1d", "conv2d", "conv3d"]


@dataclass(frozen=True)
class ConvSpec:
    """Everything a convolution needs besides its arrays, validated and one entry per axis."""

    stride: tuple
    padding: tuple  # (left, right) per spatial axis
    dilation: tuple
    groups: int
    padding_mode: str
    out_spatial: tuple
    unbatched: bool = False  # x came as (C, *spatial): results go back without the batch axis
    dtype: object = None  # the dtype results are returned in (see convlab._backend._promote)


def unbatch(xp, x, ndim, fn, w_layout="conv"):
    """``(x, unbatched)``: an unbatched input ``(C, *spatial)`` gets a batch axis of one, as in PyTorch."""
    letters = ", ".join({1: "L", 2: "HW", 3: "DHW"}[ndim])
    c = "C_in"
    if x.ndim == ndim + 1:
        return xp.expand_dims(x, axis=0), True
    if x.ndim != ndim + 2:
        raise ValueError(
            f"{fn}: x has shape {tuple(x.shape)} ({x.ndim}-D); expected {ndim + 2}-D (N, {c}, {letters}) "
            f"or {ndim + 1}-D ({c}, {letters}) for one unbatched sample"
        )
    return x, False


def _check_shapes(x, w, b, ndim, groups, fn, w_layout="conv"):
    letters = {1: "L", 2: "HW", 3: "DHW"}[ndim]
    if x.ndim != ndim + 2:
        raise ValueError(
            f"{fn}: x has shape {tuple(x.shape)} ({x.ndim}-D); expected {ndim + 2}-D (N, C_in, {', '.join(letters)})"
        )
    if w.ndim != ndim + 2:
        want = "(C_out, C_in/groups, " if w_layout == "conv" else "(C_in, C_out/groups, "
        raise ValueError(
            f"{fn}: w has shape {tuple(w.shape)} ({w.ndim}-D); expected {ndim + 2}-D {want}{', '.join('k' + c for c in letters)})"
        )
    if math.prod(x.shape[1:]) == 0:  # N = 0 is an empty batch, answered with an empty result
        raise ValueError(f"{fn}: x is empty (shape {tuple(x.shape)}); only the batch axis may be 0")
    if math.prod(w.shape) == 0:
        raise ValueError(f"{fn}: w is empty (shape {tuple(w.shape)})")
    c_in = x.shape[1]
    if w_layout == "conv":
        c_out, per_group = w.shape[0], w.shape[1]
        if c_in % groups or c_out % groups:
            raise ValueError(
                f"{fn}: groups={groups} must divide C_in={c_in} and C_out={c_out}"
            )
        if per_group * groups != c_in:
            raise ValueError(
                f"{fn}: w.shape[1]={per_group} with groups={groups} expects C_in={per_group * groups}, "
                f"but x has C_in={c_in} channels (x.shape={tuple(x.shape)})"
            )
    else:  # transposed: w is (C_in, C_out/groups, *k)
        if w.shape[0] != c_in:
            raise ValueError(
                f"{fn}: w.shape[0]={w.shape[0]} must equal C_in={c_in} (x.shape={tuple(x.shape)}); "
                "transposed convolutions store weights as (C_in, C_out/groups, *kernel)"
            )
        if c_in % groups:
            raise ValueError(f"{fn}: groups={groups} must divide C_in={c_in}")
        c_out = w.shape[1] * groups
    if b is not None and (b.ndim != 1 or b.shape[0] != c_out):
        raise ValueError(f"{fn}: b has shape {tuple(b.shape)}; expected ({c_out},), one bias per output channel")


def prepare(x, w, b, stride, padding, dilation, groups, padding_mode, ndim, fn):
    """Validate and normalise a convolution's arguments; return ``(xp, x, w, b, spec)``."""
    xp, (x, w, b), dtype = floats(x, w, b, names=["x", "w", "b"], optional={"b"})
    groups = check_int(groups, "groups", 1)
    x, unbatched = unbatch(xp, x, ndim, fn)
    _check_shapes(x, w, b, ndim, groups, fn)
    ks = tuple(w.shape[2:])
    ss = as_tuple(stride, ndim, "stride", 1)
    ds = as_tuple(dilation, ndim, "dilation", 1)
    pairs = padding_pairs(padding, ndim, ks, ds, stride)  # raw stride: errors show what the user wrote
    mode = check_mode(padding_mode, "padding_mode")
    mode = "zeros" if mode == "constant" else mode  # a layer has no fill value: constant means 0
    spatial = tuple(x.shape[2:])
    if any(l or r for l, r in pairs):
        check_layer_padding(pairs, spatial, mode)
    out = tuple(
        one_output_size(n, k, s, l, r, d, axis)
        for axis, (n, k, s, (l, r), d) in enumerate(zip(spatial, ks, ss, pairs, ds))
    )
    itemsize = xp.finfo(x.dtype).bits // 8
    check_fits(
        x.shape[0] * w.shape[0] * math.prod(out) * itemsize,
        f"{fn} with stride={stride!r}, padding={padding!r}, dilation={dilation!r}: "
        f"the output of shape {(x.shape[0], w.shape[0]) + out}",
    )
    return xp, x, w, b, ConvSpec(ss, pairs, ds, groups, mode, out, unbatched, dtype)


def finish(xp, y, spec):
    """The result as the caller gets it: in the input's dtype, without a batch axis if none came in."""
    if y is None:
        return None
    if spec.unbatched:
        y = y[0, ...]
    return restore(xp, y, spec.dtype)


def skip_padding(xp, x, spec) -> bool:
    """True when zero padding should not be materialised: the padded copy would outgrow the budget.

    Then :mod:`convlab._taps` computes only the products that read data,
    whatever the padding and dilation (the layers' answer to
    ``conv1d(x, w, dilation=10**9, padding=10**9)``).
    """
    if spec.padding_mode != "zeros" or not any(l or r for l, r in spec.padding):
        return False
    padded = math.prod(n + l + r for n, (l, r) in zip(x.shape[2:], spec.padding))
    itemsize = xp.finfo(x.dtype).bits // 8
    return x.shape[0] * x.shape[1] * padded * itemsize > memory_budget()


def padded_input(xp, x, spec, fn):
    """``pad_plan`` for a layer, refused early (with the bytes) when the padded copy cannot fit."""
    padded = tuple(n + l + r for n, (l, r) in zip(x.shape[2:], spec.padding))
    itemsize = xp.finfo(x.dtype).bits // 8
    check_fits(
        x.shape[0] * x.shape[1] * math.prod(padded) * itemsize,
        f"{fn}: padding={spec.padding!r} with padding_mode={spec.padding_mode!r} copies x into a padded input of shape "
        f"{tuple(x.shape[:2]) + padded}, which",
    )
    return pad_plan(xp, x, spec.padding, spec.padding_mode)


def all_finite(xp, *arrays) -> bool:
    """One pass over the data: the FFT spreads a NaN or inf over a whole block, the sums do not."""
    return all(bool(xp.all(xp.isfinite(a))) for a in arrays)


def tap_view(xp, xp_pad, tap, stride, dilation, out_spatial):
    """The input values that kernel tap ``tap`` multiplies, for every output position.

    Along each axis this is ``x_p[s*i + d*k]`` for ``i = 0 .. L_out - 1``: a strided slice.
    """
    return xp_pad[tap_index(tap, stride, dilation, out_spatial)]


METHODS = ("auto", "direct", "gemm", "fft", "winograd")


def choose_method(method, fn, ndim, kernel, stride, allow_fft=True, dilation=None, shapes=None):
    """The path to take: ``method`` checked, and ``"auto"`` resolved.

    ``auto`` takes the FFT for a 1-D forward pass with at least ``FFT_MIN_TAPS``
    taps at stride 1 (where the FFT's cost per output no longer grows with the
    kernel), Winograd where :func:`convlab._winograd.wins` for ``shapes =
    (out_spatial, w.shape)`` (3x3, stride 1, many channels: the rule and its
    measurements are next to that function) and the GEMM path everywhere else.
    """
    method = check_choice(method, "method", METHODS)
    if method == "fft" and not (allow_fft and ndim == 1):
        where = f"{fn}" if allow_fft else f"{fn} (the backward pass and transposed convolutions)"
        raise ValueError(f"method='fft' is not available for {where}; use 'gemm' or 'direct'")
    dilation = (1,) * ndim if dilation is None else tuple(dilation)
    if method == "winograd":
        _winograd.check(fn, kernel, stride, dilation)
    if method != "auto":
        return method
    if allow_fft and ndim == 1 and kernel[0] >= FFT_MIN_TAPS and tuple(stride) == (1,):
        return "fft"
    if shapes is not None and _winograd.wins(shapes[0], shapes[1], tuple(stride), dilation):
        return "winograd"
    return "gemm"


def correlate_padded(xp, x_pad, w, stride, dilation, groups, out_spatial):
    """Grouped cross-correlation of an already padded input: the heart of every layer.

    ``x_pad`` is ``(N, C, *S)``, ``w`` is ``(O, C/groups, *k)``; returns ``(N, O, *out_spatial)``.
    """
    n, c = x_pad.shape[:2]
    o, cg = w.shape[:2]
    og, P = o // groups, math.prod(out_spatial)
    w_groups = xp.reshape(w, (groups, og, cg) + tuple(w.shape[2:]))
    y = xp.zeros((n, groups, og, P), dtype=x_pad.dtype, device=device(x_pad))
    for tap in itertools.product(*(range(k) for k in w.shape[2:])):
        window = xp.reshape(tap_view(xp, x_pad, tap, stride, dilation, out_spatial), (n, groups, cg, P))
        # (G, O_g, C_g) @ (N, G, C_g, P): the sum over input channels, one tap at a time.
        y = y + w_groups[(...,) + tap] @ window
    return xp.reshape(y, (n, o) + tuple(out_spatial))


def add_bias(xp, y, b):
    """``y[n, o, ...] += b[o]``, in place: ``y`` is always a fresh result, never the caller's array."""
    if b is None:
        return y
    y += xp.reshape(b, (1, b.shape[0]) + (1,) * (y.ndim - 2))
    return y


_FORWARD = {
    "direct": correlate_padded,
    "gemm": _gemm.forward,
    "fft": _fft.correlate_padded,
    "winograd": _winograd.forward,
}


def conv_nd(x, w, b, stride, padding, dilation, groups, padding_mode, method, ndim, fn):
    xp, x, w, b, spec = prepare(x, w, b, stride, padding, dilation, groups, padding_mode, ndim, fn)
    shapes = (spec.out_spatial, tuple(w.shape))
    path = choose_method(method, fn, ndim, tuple(w.shape[2:]), spec.stride, dilation=spec.dilation, shapes=shapes)
    if x.shape[0] == 0:  # an empty batch, as PyTorch answers it
        return finish(xp, xp.zeros((0, w.shape[0]) + spec.out_spatial, dtype=x.dtype, device=device(x)), spec)
    if skip_padding(xp, x, spec):
        lefts = tuple(l for l, _ in spec.padding)
        y = _taps.forward(xp, x, w, spec.stride, spec.dilation, spec.groups, spec.out_spatial, lefts)
        return finish(xp, add_bias(xp, y, b), spec)
    if path in ("fft", "winograd") and not all_finite(xp, x, w):
        path = "gemm"  # NaN/inf where PyTorch puts them, not smeared over an FFT block or a tile
    x_pad, _ = padded_input(xp, x, spec, fn)
    if path == "gemm":  # the bias goes in block by block, while each block is in the cache
        y = _gemm.forward(xp, x_pad, w, spec.stride, spec.dilation, spec.groups, spec.out_spatial, b)
        return finish(xp, y, spec)
    y = _FORWARD[path](xp, x_pad, w, spec.stride, spec.dilation, spec.groups, spec.out_spatial)
    return finish(xp, add_bias(xp, y, b), spec)


_DOC = """{n}-D convolution layer (cross-correlation, as ``torch.nn.functional.conv{n}d``).

.. math::

    y[n, o, {i}] = b[o] + \\sum_c \\sum_{{{k}}} x_p[n, g C_g + c, {idx}] \\, w[o, c, {k}]

with ``x_p`` the input padded by ``padding`` in ``padding_mode``, ``g`` the
group of ``o``, and the output size per axis
``floor((L + p_left + p_right - d*(k-1) - 1) / s) + 1`` (see :func:`output_size`).

Parameters
----------
x : array, shape (N, C_in, {shape}) or unbatched (C_in, {shape})
    Integer input is computed in float64; float32 stays float32; float16
    is computed in float32 and returned as float16. An unbatched input gives
    an unbatched output, and a batch of N = 0 an empty one, as in PyTorch.
w : array, shape (C_out, C_in/groups, {kshape})
b : array, shape (C_out,), optional
stride, dilation : int or tuple of {n} ints
padding : int, tuple of {n} ints, tuple of {n} (left, right) pairs, "valid" or "same"
    ``"same"`` keeps the size at stride 1; an even kernel's extra padding goes
    on the right, as in PyTorch. ``"same"`` with ``stride > 1`` is an error.
groups : int
    Split channels into ``groups`` independent convolutions.
padding_mode : str
    Any mode of :func:`pad`: ``zeros``, ``reflect``, ``symmetric``,
    ``replicate``, ``circular``, ``mean``, ``median``, ``first``, ``last``.
    As in PyTorch, ``reflect`` needs padding < input length and ``circular``
    (and ``symmetric``) padding <= input length.
method : {{"auto", "direct", "gemm", "fft", "winograd"}}
    How to compute the same result. ``direct`` sums one strided view per
    kernel tap (the definition); ``gemm`` builds the windows matrix and does
    one matrix product per group, in blocks within :func:`memory_budget`;
    ``fft`` (1-D only) uses overlap-add FFTs, fastest for long kernels.
    ``winograd`` (3-tap or 3x3 kernels, stride 1, dilation 1) multiplies
    less: F(4, 3) tiles, fewer flops, but float32 errors near 1e-5 of the
    output's scale (float64 near 1e-14); use ``gemm`` for PyTorch-level
    float32 accuracy. ``auto`` picks ``fft`` for a 1-D kernel of at least
    64 taps at stride 1, ``winograd`` for 2-D 3x3 layers at stride 1 with at
    least 128 input channels per group and outputs of at least 16x16, and
    ``gemm`` otherwise. Input holding NaN or inf never takes the FFT
    (it would spread them over a block): it goes through ``gemm``.
    Zero padding whose padded copy would exceed :func:`memory_budget` is
    never built: only the products that read data are computed. On NumPy,
    ``gemm`` and ``winograd`` split the batch over one worker thread per
    BLAS thread, each with a one-thread BLAS while the call lasts, and
    ``fft`` uses ``scipy.fft`` when SciPy is installed (README, "Threads").

Returns
-------
y : array, shape (N, C_out, {oshape}) (or (C_out, {oshape}) for unbatched ``x``)
    In the library, device and dtype of ``x``.

Raises
------
ValueError
    Wrong number of dimensions, channel counts that do not match ``groups``,
    ``stride``/``dilation`` < 1, negative padding, unknown modes, ``"same"``
    with stride > 1, a kernel larger than the padded input, empty arrays.
TypeError
    Arrays from different libraries, complex or longdouble input, ``None`` or
    a non-array for ``x``/``w``, non-integer parameters.
MemoryError
    The output (or a padded copy of ``x``, for modes other than zeros) would
    not fit in this machine's memory; the message gives the bytes.

See Also
--------
conv{n}d_backward : gradients with respect to ``x``, ``w`` and ``b``.
conv_transpose{n}d : the transposed convolution (the input gradient).
"""


def _doc(n):
    names = {1: ("i", "k", "L"), 2: ("i, j", "k, l", "H, W"), 3: ("h, i, j", "m, k, l", "D, H, W")}[n]
    taps = names[1].split(", ")
    outs = names[0].split(", ")
    idx = ", ".join(f"s {a} + d {t}" for a, t in zip(outs, taps))
    shape = names[2]
    kshape = ", ".join("k_" + c for c in shape.split(", "))
    oshape = ", ".join(c + "_out" for c in shape.split(", "))
    return _DOC.format(n=n, i=names[0], k=names[1], idx=idx, shape=shape, kshape=kshape, oshape=oshape)


def conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros", method="auto"):
    return conv_nd(x, w, b, stride, padding, dilation, groups, padding_mode, method, 1, "conv1d")


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros", method="auto"):
    return conv_nd(x, w, b, stride, padding, dilation, groups, padding_mode, method, 2, "conv2d")


def conv3d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros", method="auto"):
    return conv_nd(x, w, b, stride, padding, dilation, groups, padding_mode, method, 3, "conv3d")


for _n, _f in ((1, conv1d), (2, conv2d), (3, conv3d)):
    _f.__doc__ = _doc(_n)
