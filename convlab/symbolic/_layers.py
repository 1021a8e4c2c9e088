"""Convolution and transposed convolution layers for one sample, from their defining sums.

``conv{1,2,3}d`` gather (every output is a sum over the window it sees) and
``conv_transpose{1,2,3}d`` scatter (every input spreads itself through the
kernel); neither is derived from the other, so their adjointness is a check.
Arguments are normalised and checked by ``convlab._shapes`` and
``convlab._padding``, as in the numeric layers.
"""

from __future__ import annotations

import math

import sympy as sp

from .._padding import check_layer_padding, check_mode
from .._shapes import as_tuple, check_int, padding_pairs
from ._signal import _pad
from ._symbols import _as_array, _Dense, _indices, _shape, check_entries

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]

# Spatial axes of the input and of the kernel, for messages and docstrings (index: nd - 1).
_AXES = ("L", "H, W", "D, H, W")
_KERNEL_AXES = ("K", "kH, kW", "kD, kH, kW")
_OUT_AXES = ("L_out", "H_out, W_out", "D_out, H_out, W_out")


def _check_bias(b, c_out):
    if b is None:
        return None
    b = _as_array(b, "b", 1, "(C_out,)")
    if _shape(b) != (c_out,):
        raise ValueError(f"b must have shape (C_out,) = ({c_out},), got shape {_shape(b)}")
    return b


def _conv_nd(nd, x, w, b, stride, padding, dilation, groups, padding_mode):
    """y[o, i] = b[o] + sum_c sum_k xpad[g*Cg + c, s*i + d*k] w[o, c, k]  (i, k: nd-tuples)."""
    x = _as_array(x, "x", nd + 1, f"(C_in, {_AXES[nd - 1]})")
    w = _as_array(w, "w", nd + 2, f"(C_out, C_in/groups, {_KERNEL_AXES[nd - 1]})")
    c_in, spatial = _shape(x)[0], _shape(x)[1:]
    c_out, cg, ks = _shape(w)[0], _shape(w)[1], _shape(w)[2:]
    groups = check_int(groups, "groups", 1)
    if c_in % groups or c_out % groups:
        raise ValueError(f"groups={groups} must divide both C_in={c_in} and C_out={c_out}")
    if cg != c_in // groups:
        raise ValueError(
            f"w.shape[1]={cg} does not match C_in/groups = {c_in}/{groups} = {c_in // groups} (x has shape {_shape(x)})"
        )
    b = _check_bias(b, c_out)
    ss = as_tuple(stride, nd, "stride", 1)
    ds = as_tuple(dilation, nd, "dilation", 1)
    pairs = padding_pairs(padding, nd, ks, dilation, stride)
    mode = check_mode(padding_mode, "padding_mode")
    check_layer_padding(pairs, spatial, mode)
    out_shape = []
    for axis, (n, k, s, (pl, pr), d) in enumerate(zip(spatial, ks, ss, pairs, ds)):
        span, padded = d * (k - 1) + 1, n + pl + pr
        if span > padded:
            raise ValueError(
                f"kernel_size={k} with dilation={d} spans {span} samples but the padded input along "
                f"spatial axis {axis} has only {padded} (input {n} + padding {pl}+{pr})"
            )
        out_shape.append((padded - span) // s + 1)
    padded_shape = tuple(n + pl + pr for n, (pl, pr) in zip(spatial, pairs))
    check_entries(c_in * math.prod(padded_shape), "padding", padding, f"the padded input of shape {(c_in, *padded_shape)}")
    xpad = _pad(_Dense.of(x), pairs, "zeros" if mode == "constant" else mode)
    w = _Dense.of(w)
    per_group = c_out // groups
    taps = list(_indices(ks))
    out = []
    for o in range(c_out):
        first = (o // per_group) * cg
        for i in _indices(out_shape):
            terms = [
                xpad[(first + c,) + tuple(s * ii + d * kk for s, ii, d, kk in zip(ss, i, ds, k))] * w[(o, c) + k]
                for c in range(cg)
                for k in taps
            ]
            out.append(sp.Add(*terms) + (0 if b is None else b[o]))
    return sp.Array(out, (c_out, *out_shape))


_CONV_DOC = """{nd}-D cross-correlation layer for ONE sample, as ``torch.nn.functional.conv{nd}d``.

    .. math:: y[o, i] = b[o] + \\sum_c \\sum_k x_{{pad}}[g C_g + c,\\; s i + d k]\\, w[o, c, k]

    with ``i`` and ``k`` running over the {nd} spatial axes, ``g = o // (C_out/groups)``
    the group of output channel ``o`` and ``C_g = C_in/groups``.

    Parameters
    ----------
    x : array of shape (C_in, {axes})
    w : array of shape (C_out, C_in/groups, {kdoc})
    b : array of shape (C_out,), optional
    stride, dilation : int or tuple of {nd} ints
    padding : int, tuple of {nd} ints, tuple of {nd} (left, right) pairs, "valid" or "same"
        {pair}``"same"`` pads ``d (k - 1)`` per axis, the extra sample of an even
        kernel on the right (PyTorch), and needs stride 1.
    groups : int
    padding_mode : str
        Any :func:`pad` mode (``constant`` means zeros here). As PyTorch,
        ``reflect`` needs padding < length and ``circular``/``symmetric``
        padding <= length.

    Returns
    -------
    sympy.Array of shape (C_out, {outs})
        ``L_out = floor((L + p_l + p_r - d (k - 1) - 1) / s) + 1`` per axis (:func:`output_size`).

    Raises
    ------
    ValueError
        Wrong ranks, channels that do not match ``groups``, stride or dilation
        below 1, negative padding, ``"same"`` with stride > 1, an unknown
        ``padding_mode``, or a dilated kernel longer than the padded input.
    """


def conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    return _conv_nd(1, x, w, b, stride, padding, dilation, groups, padding_mode)


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    return _conv_nd(2, x, w, b, stride, padding, dilation, groups, padding_mode)


def conv3d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    return _conv_nd(3, x, w, b, stride, padding, dilation, groups, padding_mode)


for _nd, _f in enumerate((conv1d, conv2d, conv3d), start=1):
    _f.__doc__ = _CONV_DOC.format(
        nd=_nd, axes=_AXES[_nd - 1], kdoc=_KERNEL_AXES[_nd - 1], outs=_OUT_AXES[_nd - 1],
        pair="A flat (left, right) pair is accepted too. " if _nd == 1 else "",
    )


def _conv_transpose_nd(nd, x, w, b, stride, padding, output_padding, dilation, groups):
    """Scatter: out[g*C_og + o, s*i + d*k - p] += x[c, i] w[c, o, k]  (i, k: nd-tuples)."""
    x = _as_array(x, "x", nd + 1, f"(C_in, {_AXES[nd - 1]})")
    w = _as_array(w, "w", nd + 2, f"(C_in, C_out/groups, {_KERNEL_AXES[nd - 1]})")
    c_in, spatial = _shape(x)[0], _shape(x)[1:]
    cog, ks = _shape(w)[1], _shape(w)[2:]
    groups = check_int(groups, "groups", 1)
    if c_in % groups:
        raise ValueError(f"groups={groups} must divide C_in={c_in}")
    if _shape(w)[0] != c_in:
        raise ValueError(f"w.shape[0]={_shape(w)[0]} does not match C_in={c_in} (w has shape (C_in, C_out/groups, ...))")
    c_out = cog * groups
    b = _check_bias(b, c_out)
    ss = as_tuple(stride, nd, "stride", 1)
    ds = as_tuple(dilation, nd, "dilation", 1)
    ps = as_tuple(padding, nd, "padding", 0)
    ops = as_tuple(output_padding, nd, "output_padding", 0)
    for op, s, d in zip(ops, ss, ds):
        if op >= max(s, d):
            raise ValueError(
                f"output_padding={output_padding!r} is invalid: it must be smaller than stride or dilation "
                f"(got stride={stride!r}, dilation={dilation!r})"
            )
    out_shape = tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, s, p, d, k, op in zip(spatial, ss, ps, ds, ks, ops))
    if any(n < 1 for n in out_shape):
        raise ValueError(f"padding={padding!r} is too large: the output would have spatial shape {out_shape}")
    check_entries(c_out * math.prod(out_shape), "stride", stride, f"the output of shape {(c_out, *out_shape)}")
    in_per_group = c_in // groups
    x, w = _Dense.of(x), _Dense.of(w)
    terms = {}
    for c in range(c_in):
        first = (c // in_per_group) * cog
        for i in _indices(spatial):
            for o in range(cog):
                for k in _indices(ks):
                    pos = tuple(s * ii + d * kk - p for s, ii, d, kk, p in zip(ss, i, ds, k, ps))
                    if all(0 <= q < n for q, n in zip(pos, out_shape)):
                        terms.setdefault((first + o,) + pos, []).append(x[(c,) + i] * w[(c, o) + k])
    out = [
        sp.Add(*terms.get((o,) + j, ())) + (0 if b is None else b[o]) for o in range(c_out) for j in _indices(out_shape)
    ]
    return sp.Array(out, (c_out, *out_shape))


_CONV_T_DOC = """{nd}-D transposed convolution for ONE sample, as ``torch.nn.functional.conv_transpose{nd}d``.

    Built from its scatter definition: every input sample spreads itself over
    the output through the kernel,

    .. math:: out[g C_{{og}} + o,\\; s i + d k - p] \\mathrel{{+}}= x[c, i]\\, w[c, o, k]

    (``g`` the group of input channel ``c``), plus ``b[o]``. It is the adjoint
    of the convolution with the same ``w``: ``<conv(x), y> = <x, conv_transpose(y)>``,
    so it is also the input gradient of that convolution.

    Parameters
    ----------
    x : array of shape (C_in, {axes})
    w : array of shape (C_in, C_out/groups, {kdoc})
    b : array of shape (C_out,), optional
    stride, padding, output_padding, dilation : int or tuple of {nd} ints
        ``output_padding`` adds samples at the end and must be smaller than
        stride or dilation (PyTorch's rule).
    groups : int

    Returns
    -------
    sympy.Array of shape (C_out, {outs})
        ``(L - 1) s - 2 p + d (k - 1) + output_padding + 1`` per axis
        (:func:`transposed_output_size`).

    Raises
    ------
    ValueError
        Wrong ranks or channels, stride or dilation below 1, negative padding,
        ``output_padding`` too large, or padding that leaves no output.
    """


def conv_transpose1d(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    return _conv_transpose_nd(1, x, w, b, stride, padding, output_padding, dilation, groups)


def conv_transpose2d(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    return _conv_transpose_nd(2, x, w, b, stride, padding, output_padding, dilation, groups)


def conv_transpose3d(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    return _conv_transpose_nd(3, x, w, b, stride, padding, output_padding, dilation, groups)


for _nd, _f in enumerate((conv_transpose1d, conv_transpose2d, conv_transpose3d), start=1):
    _f.__doc__ = _CONV_T_DOC.format(nd=_nd, axes=_AXES[_nd - 1], kdoc=_KERNEL_AXES[_nd - 1], outs=_OUT_AXES[_nd - 1])
del _nd, _f
