"""Convolution layers, backward pass, and the transposed convolution.

With ``L = <y, g>`` for an upstream gradient ``g = dL/dy`` the chain rule
gives, for the forward pass of :mod:`convlab._conv`:

* bias: ``dL/db[o] = sum_n sum_i g[n, o, i]`` (one bias per filter, broadcast
  over positions, so its gradient sums over them);
* weights: ``dL/dw[o, c, k] = sum_n sum_i g[n, o, i] x_p[n, c, s i + d k]``,
  a correlation of the padded input with the output gradient;
* input: ``dL/dx_p[n, c, t] = sum_o sum_k z[n, o, t - d k] w[o, c, k]`` where
  ``z`` is ``g`` scattered into zeros at every ``s``-th position: the output
  gradient *convolved* with the kernel, i.e. correlated with the reversed
  kernel. This map from ``g`` to ``dL/dx`` is the transposed convolution.
  Finally the gradient of every padded position flows back to the input
  position it was copied from (:func:`convlab._padding.pad_backward`).
"""

from __future__ import annotations

import dataclasses
import itertools
import math

from . import _gemm, _taps, _winograd
from ._backend import device, floats, restore
from ._conv import (
    _check_shapes,
    add_bias,
    all_finite,
    choose_method,
    correlate_padded,
    finish,
    padded_input,
    prepare,
    skip_padding,
    tap_view,
    unbatch,
)
from ._memory import check_fits, memory_budget
from ._padding import pad_plan, pad_backward
from ._shapes import as_tuple, check_int

__all__ = [
    "conv1d_backward",
    "conv2d_backward",
    "conv3d_backward",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
]


def scatter_strided(xp, g, stride):
    """Place ``g`` at every ``s``-th position of a zero array: ``z[s*i] = g[i]``."""
    out = tuple(s * (n - 1) + 1 for n, s in zip(g.shape[2:], stride))
    if out == tuple(g.shape[2:]):
        return g
    z = xp.zeros(tuple(g.shape[:2]) + out, dtype=g.dtype, device=device(g))
    z[(slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride)] = g
    return z


def input_gradient(xp, g, w, stride, dilation, groups, target_spatial):
    """``dL/dx_p`` for ``y = correlate_padded(x_p, w)``: the transposed convolution of ``g``.

    Scatter ``g`` into zeros by the stride, pad by ``d*(k-1)`` on both sides
    (plus the tail of ``x_p`` that no window reached), and correlate with the
    kernel reversed along every spatial axis, its in/out channels swapped per group.
    """
    spatial_axes = tuple(range(2, w.ndim))
    ks = tuple(w.shape[2:])
    z = scatter_strided(xp, g, stride)
    pairs = []
    for n_z, k, d, n_target in zip(z.shape[2:], ks, dilation, target_spatial):
        reach = d * (k - 1)
        pairs.append((reach, reach + n_target - (n_z + reach)))
    z, _ = pad_plan(xp, z, tuple(pairs), "zeros")
    o, cg = w.shape[:2]
    og = o // groups
    # (O, C_g, *k) -> (G, O_g, C_g, *k) -> (G, C_g, O_g, *k) -> (C, O_g, *k), reversed in space.
    w_t = xp.reshape(w, (groups, og, cg) + ks)
    w_t = xp.permute_dims(w_t, (0, 2, 1) + tuple(range(3, 3 + len(ks))))
    w_t = xp.flip(xp.reshape(w_t, (groups * cg, og) + ks), axis=spatial_axes)
    return correlate_padded(xp, z, w_t, (1,) * len(ks), dilation, groups, tuple(target_spatial))


def direct_input_gradient(xp, g, w, stride, dilation, groups, target_spatial):
    """:func:`input_gradient`, except for a NaN or inf in ``w``: then tap by tap over ``g``.

    The formula correlates the zero-scattered ``g`` with ``w``, so an inf tap
    meets the scattered zeros (0 * inf = NaN) where PyTorch, which adds each
    ``g`` value's scaled kernel into place, leaves numbers.
    """
    if all_finite(xp, w):
        return input_gradient(xp, g, w, stride, dilation, groups, target_spatial)
    zeros = (0,) * len(target_spatial)
    return _taps.input_gradient(xp, g, w, stride, dilation, groups, tuple(target_spatial), zeros)


def weight_gradient(xp, g, x_pad, w_shape, stride, dilation, groups):
    """``dL/dw[o, c, k] = sum_n sum_i g[n, o, i] x_p[n, c, s i + d k]``, one tap at a time."""
    n = g.shape[0]
    o, cg = w_shape[:2]
    og, P = o // groups, math.prod(g.shape[2:])
    g_groups = xp.reshape(g, (n, groups, og, P))
    taps = []
    for tap in itertools.product(*(range(k) for k in w_shape[2:])):
        window = xp.reshape(tap_view(xp, x_pad, tap, stride, dilation, g.shape[2:]), (n, groups, cg, P))
        # (N, G, O_g, P) @ (N, G, P, C_g), summed over the batch: (G, O_g, C_g)
        taps.append(xp.sum(g_groups @ xp.matrix_transpose(window), axis=0))
    grad = xp.stack(taps, axis=-1)  # (G, O_g, C_g, prod(k)), taps in C order
    return xp.reshape(grad, tuple(w_shape))


def conv_nd_backward(grad_out, x, w, b, stride, padding, dilation, groups, padding_mode, method, ndim, fn):
    if grad_out is None:
        raise TypeError(f"grad_out=None is invalid: {fn}_backward needs an array of the shape of y")
    xp, x, w, b, spec = prepare(x, w, b, stride, padding, dilation, groups, padding_mode, ndim, fn)
    path = choose_method(
        method, f"{fn}_backward", ndim, tuple(w.shape[2:]), spec.stride, allow_fft=False,
        dilation=spec.dilation, shapes=(spec.out_spatial, tuple(w.shape)),
    )
    _, (_, g), g_dtype = floats(x, grad_out, names=["x", "grad_out"])  # TypeError if from another library
    g = xp.astype(g, x.dtype, copy=False)
    want = (x.shape[0], w.shape[0]) + spec.out_spatial
    if spec.unbatched and tuple(g.shape) == want[1:]:
        g = xp.expand_dims(g, axis=0)
    if tuple(g.shape) != want:
        shown = want[1:] if spec.unbatched else want
        raise ValueError(f"{fn}_backward: grad_out has shape {tuple(g.shape)}; expected {shown}, the shape of y")
    grad_b = None if b is None else xp.sum(g, axis=(0,) + tuple(range(2, g.ndim)))
    if x.shape[0] == 0:
        grad_x = xp.zeros(tuple(x.shape), dtype=x.dtype, device=device(x))
        grad_w = xp.zeros(tuple(w.shape), dtype=x.dtype, device=device(x))
    elif skip_padding(xp, x, spec):  # huge zero padding: only what reads data
        lefts = tuple(l for l, _ in spec.padding)
        grad_x, grad_w = _taps.backward(xp, g, x, w, spec.stride, spec.dilation, spec.groups, lefts)
    else:
        x_pad, plans = padded_input(xp, x, spec, fn)
        if path == "winograd" and not all_finite(xp, g, x_pad, w):
            path = "gemm"  # a NaN or inf stays where PyTorch puts it, not spread over a tile
        if path == "winograd":
            grad_x_pad, grad_w = _winograd.backward(xp, g, x_pad, w, spec.stride, spec.dilation, spec.groups)
        elif path == "gemm":
            grad_x_pad, grad_w = _gemm.backward(xp, g, x_pad, w, spec.stride, spec.dilation, spec.groups)
        else:  # the formulas as the book derives them, one tap at a time
            grad_w = weight_gradient(xp, g, x_pad, w.shape, spec.stride, spec.dilation, spec.groups)
            grad_x_pad = direct_input_gradient(xp, g, w, spec.stride, spec.dilation, spec.groups, x_pad.shape[2:])
        grad_x = pad_backward(xp, grad_x_pad, plans)
    batched = dataclasses.replace(spec, unbatched=False)
    return finish(xp, grad_x, spec), finish(xp, grad_w, batched), finish(xp, grad_b, batched)


_BACKWARD_DOC = """Gradients of :func:`conv{n}d` with respect to ``x``, ``w`` and ``b``.

Given ``grad_out = dL/dy``, with ``z`` the output gradient scattered into zeros
at every ``s``-th position and ``x_p`` the padded input:

.. math::

    \\frac{{\\partial L}}{{\\partial b_o}} = \\sum_{{n, i}} g[n, o, i], \\qquad
    \\frac{{\\partial L}}{{\\partial w[o, c, k]}} = \\sum_{{n, i}} g[n, o, i]\\, x_p[n, c, s i + d k],

.. math::

    \\frac{{\\partial L}}{{\\partial x_p[n, c, t]}} = \\sum_o \\sum_k z[n, o, t - d k]\\, w[o, c, k],

then every padded position's gradient flows back to the input position it
copies (``reflect``, ``circular``, ...) or averages (``mean``, ...). The input
gradient equals :func:`conv_transpose{n}d` of ``grad_out`` for zero padding.

Parameters
----------
grad_out : array, shape of ``conv{n}d(x, w, b, ...)``
x, w, b, stride, padding, dilation, groups, padding_mode
    Exactly as passed to :func:`conv{n}d`.
method : {{"auto", "direct", "gemm", "winograd"}}
    ``winograd`` (3-tap or 3x3, stride 1, dilation 1; what ``auto`` picks
    where :func:`conv{n}d` does) computes both gradients with F(4, 3) tiles;
    ``direct`` computes the formulas above one kernel tap at a time;
    ``gemm`` (what ``auto`` picks) computes the weight gradient as one matrix
    product with the windows matrix and the input gradient by folding
    ``W^T G`` back onto the input ("col2im"), in blocks within
    :func:`memory_budget`. ``fft`` is not available here.

Returns
-------
grad_x, grad_w, grad_b : arrays
    Shapes of ``x``, ``w``, ``b``; ``grad_b`` is None when ``b`` is None.
    Equal to PyTorch autograd through ``torch.nn.functional.conv{n}d``.
"""


def conv1d_backward(
    grad_out, x, w, b=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros", method="auto"
):
    return conv_nd_backward(grad_out, x, w, b, stride, padding, dilation, groups, padding_mode, method, 1, "conv1d")


def conv2d_backward(
    grad_out, x, w, b=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros", method="auto"
):
    return conv_nd_backward(grad_out, x, w, b, stride, padding, dilation, groups, padding_mode, method, 2, "conv2d")


def conv3d_backward(
    grad_out, x, w, b=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros", method="auto"
):
    return conv_nd_backward(grad_out, x, w, b, stride, padding, dilation, groups, padding_mode, method, 3, "conv3d")


def conv_transpose_nd(x, w, b, stride, padding, output_padding, dilation, groups, method, ndim, fn):
    xp, (x, w, b), dtype = floats(x, w, b, names=["x", "w", "b"], optional={"b"})
    groups = check_int(groups, "groups", 1)
    x, unbatched = unbatch(xp, x, ndim, fn, w_layout="transpose")
    _check_shapes(x, w, b, ndim, groups, fn, w_layout="transpose")
    ks = tuple(w.shape[2:])
    ss = as_tuple(stride, ndim, "stride", 1)
    ds = as_tuple(dilation, ndim, "dilation", 1)
    ps = as_tuple(padding, ndim, "padding", 0)
    ops = as_tuple(output_padding, ndim, "output_padding", 0)
    full = []
    for axis, (n, k, s, d, p, op) in enumerate(zip(x.shape[2:], ks, ss, ds, ps, ops)):
        if op >= max(s, d):
            raise ValueError(
                f"{fn}: output_padding={op} must be smaller than stride={s} or dilation={d} (axis {axis})"
            )
        length = (n - 1) * s + d * (k - 1) + 1 + op
        if length - 2 * p < 1:
            raise ValueError(
                f"{fn}: padding={p} removes the whole output along spatial axis {axis} "
                f"(uncropped length {length}); use padding < {(length + 1) // 2}"
            )
        full.append(length)
    # The transposed convolution *is* the input gradient of a convolution whose
    # weight has the (C_in, C_out/groups) layout that PyTorch stores here.
    path = choose_method(method, fn, ndim, ks, ss, allow_fft=False, dilation=ds)
    if path == "winograd" and not all_finite(xp, x, w):
        path = "gemm"
    c_out = w.shape[1] * groups
    cropped = tuple(n - 2 * p for p, n in zip(ps, full))
    itemsize = xp.finfo(x.dtype).bits // 8
    check_fits(
        x.shape[0] * c_out * math.prod(cropped) * itemsize,
        f"{fn} with stride={stride!r}, padding={padding!r}, dilation={dilation!r}: "
        f"the output of shape {(x.shape[0], c_out) + cropped}",
    )
    if x.shape[0] == 0:
        y = xp.zeros((0, c_out) + cropped, dtype=x.dtype, device=device(x))
    elif x.shape[0] * c_out * math.prod(full) * itemsize > memory_budget() and full != list(cropped):
        # Padding crops a huge uncropped output: compute only the kept positions.
        y = _taps.input_gradient(xp, x, w, ss, ds, groups, cropped, ps)
    else:
        gradient = {"gemm": _gemm.input_gradient, "winograd": _winograd.input_gradient}.get(
            path, direct_input_gradient
        )
        y = gradient(xp, x, w, ss, ds, groups, tuple(full))
        crop = tuple(slice(p, n - p) for p, n in zip(ps, full))
        y = y[(slice(None), slice(None)) + crop]
    y = add_bias(xp, y, b)
    if unbatched:
        y = y[0, ...]
    return restore(xp, y, dtype)


_TRANSPOSE_DOC = """{n}-D transposed convolution, as ``torch.nn.functional.conv_transpose{n}d``.

Every input value scatters a scaled copy of the kernel into the output:

.. math::

    y[n, g O_g + o, s i + d k - p] \\mathrel{{+}}= x[n, g C_g + c, i] \\, w[g C_g + c, o, k]

plus ``b[o]``, with output size ``(L - 1) s - 2 p + d (k - 1) + output_padding + 1``
per axis. It is the input gradient of :func:`conv{n}d` with the same ``w``:
``conv_transpose{n}d(g, w, stride=s, padding=p, ...)`` equals
``conv{n}d_backward(g, x, w, stride=s, padding=p, ...)[0]``.

Parameters
----------
x : array, shape (N, C_in, *spatial)
w : array, shape (C_in, C_out/groups, *kernel)
b : array, shape (C_out,), optional
stride, padding, dilation : int or tuple of {n} ints
output_padding : int or tuple of {n} ints
    Extra length on the right; must be smaller than ``stride`` or ``dilation``.
groups : int
method : {{"auto", "direct", "gemm", "winograd"}}
    As in :func:`conv{n}d_backward`: ``direct`` scatters the input into zeros
    and correlates with the reversed kernel; ``gemm`` (``auto``) folds ``W^T X``
    back onto the output (col2im).

Returns
-------
y : array, shape (N, C_out, *out)
"""


def conv_transpose1d(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1, method="auto"):
    return conv_transpose_nd(
        x, w, b, stride, padding, output_padding, dilation, groups, method, 1, "conv_transpose1d"
    )


def conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1, method="auto"):
    return conv_transpose_nd(
        x, w, b, stride, padding, output_padding, dilation, groups, method, 2, "conv_transpose2d"
    )


def conv_transpose3d(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1, method="auto"):
    return conv_transpose_nd(
        x, w, b, stride, padding, output_padding, dilation, groups, method, 3, "conv_transpose3d"
    )


for _n in (1, 2, 3):
    globals()[f"conv{_n}d_backward"].__doc__ = _BACKWARD_DOC.format(n=_n)
    globals()[f"conv_transpose{_n}d"].__doc__ = _TRANSPOSE_DOC.format(n=_n)
