"""The numbers behind the animations: one frame per output, in plain NumPy.

Each function lists, for every output of a layer, where the kernel sits, what
it reads and what it produces. The animations only draw these frames, and the
tests check the frames against ``convlab.conv1d``/``conv2d``/``conv1d_backward``
and NumPy, so a picture can never show a number the library would not compute.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._padding import pad
from .._shapes import as_tuple, output_size, padding_pairs

__all__ = [
    "ConvolutionFrame",
    "convolution_frames",
    "sum_caption",
    "Convolution2dFrame",
    "convolution2d_frames",
    "BackwardFrame",
    "backward_frames",
]

# Padding modes whose padded values are copies of single input samples, so that the
# gradient of a padded value goes back to exactly one sample (the index trick below).
_COPY_MODES = ("reflect", "symmetric", "replicate", "circular", "first", "last")


class ConvolutionFrame(NamedTuple):
    """One step of the sliding kernel: where it sits and what it produces."""

    j: int  # output index
    positions: np.ndarray  # signal indices under the taps, left to right (< 0 or >= m: padding)
    products: np.ndarray  # inputs * taps
    value: float  # their sum: y_j
    taps: np.ndarray  # the kernel values in the order they lie along the signal
    inputs: np.ndarray  # the (padded) signal values the taps multiply


def _vector(a, name):
    a = np.asarray(a, dtype=float)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {a.shape}")
    return a


def padding_1d(padding, n, stride=1, dilation=1):
    """``padding`` as one ``(left, right)`` pair; ``"full"`` is ``d(n-1)`` on each side."""
    if isinstance(padding, str):
        if padding not in ("full", "same", "valid"):
            raise ValueError(
                f"padding={padding!r} is invalid: expected an int, (left, right), 'full', 'same' or 'valid'"
            )
        if padding == "full":
            return (dilation * (n - 1),) * 2
    ((left, right),) = padding_pairs(padding, 1, (n,), dilation, stride)
    return left, right


def pad_1d(x, left, right, mode="zeros"):
    """``x`` with ``left``/``right`` padded values in ``mode``: :func:`convlab.pad` on a 1-D array."""
    return np.asarray(pad(np.asarray(x, dtype=float), (left, right), mode), dtype=float)


def convolution_frames(x, w, *, stride=1, dilation=1, padding="full", padding_mode="zeros", flip=True):
    """The steps of a 1-D convolution, one per output.

    With ``v`` the kernel as it lies along the signal (``w`` reversed when
    ``flip``, else ``w``) and ``x~`` the signal padded by ``padding`` in
    ``padding_mode``, output ``j`` is

        y_j = sum_k x~[s j + d k] v_k,

    that is ``convlab.conv1d(x, v, stride=s, padding=..., dilation=d,
    padding_mode=...)``. The defaults (``flip=True``, ``padding="full"``) give
    the full convolution ``y_j = sum_k x_{j-k} w_k`` of ``numpy.convolve``.

    Parameters
    ----------
    x, w : 1-D arrays
    stride, dilation : int
        The window moves ``stride`` samples per output; taps sit ``dilation`` apart.
    padding : int, (left, right), "full", "same" or "valid"
        ``"full"`` pads ``d(n-1)`` on each side, so every overlap is an output.
    padding_mode : str
        Any mode of :func:`convlab.pad`.
    flip : bool
        ``True``: a convolution (the kernel is reversed before it slides);
        ``False``: the layer's cross-correlation.

    Returns
    -------
    list of ConvolutionFrame

    Examples
    --------
    >>> [f.value for f in convolution_frames([3, 1, 4, 2], [2, 1, -1])]
    [6.0, 5.0, 6.0, 7.0, -2.0, -2.0]
    >>> frames = convolution_frames(np.arange(9), [1, 1, 1], stride=2, dilation=2, padding=0, flip=False)
    >>> [f.positions.tolist() for f in frames]
    [[0, 2, 4], [2, 4, 6], [4, 6, 8]]
    """
    x, w = _vector(x, "x"), _vector(w, "w")
    if not isinstance(flip, bool):
        raise TypeError(f"flip={flip!r} is invalid: flip must be True or False")
    m, n = x.size, w.size
    left, right = padding_1d(padding, n, stride, dilation)
    count = output_size(m, n, stride, (left, right), dilation)
    padded = pad_1d(x, left, right, padding_mode)
    taps = w[::-1] if flip else w
    frames = []
    for j in range(count):
        at = stride * j + dilation * np.arange(n)  # indices into the padded signal
        inputs = padded[at]
        products = inputs * taps
        frames.append(ConvolutionFrame(j, at - left, products, float(products.sum()), taps, inputs))
    return frames


def sum_caption(frame: ConvolutionFrame) -> str:
    """``"6 + 0 + -3 = 3"``: the products of one step and their sum, as the animation titles them."""
    # Adding 0.0 turns -0.0 (a zero times a negative tap) into 0, which reads better.
    terms = " + ".join(f"{p + 0.0:.2g}" for p in frame.products)
    return f"{terms} = {frame.value + 0.0:.3g}"


class Convolution2dFrame(NamedTuple):
    """One position of a 2-D kernel window and the output it produces."""

    index: tuple  # (i, j): the output row and column
    rows: np.ndarray  # image rows read by the kernel rows (< 0 or >= H: padding)
    cols: np.ndarray  # image columns read by the kernel columns
    inputs: np.ndarray  # (kh, kw) padded image values under the taps
    products: np.ndarray  # inputs * kernel
    value: float  # their sum: y[i, j]


def convolution2d_frames(image, kernel, *, stride=1, padding=0, dilation=1, padding_mode="zeros"):
    """The steps of a 2-D convolution layer (cross-correlation), one per output, row by row.

        y[i, j] = sum_a sum_b x~[s_h i + d_h a, s_w j + d_w b] w[a, b]

    with ``x~`` the padded image: ``convlab.conv2d`` on one image and one kernel.

    Parameters
    ----------
    image, kernel : 2-D arrays
    stride, dilation : int or (int, int)
    padding : int, (int, int), ((top, bottom), (left, right)), "same" or "valid"
    padding_mode : str
        Any mode of :func:`convlab.pad`.

    Returns
    -------
    list of Convolution2dFrame

    Examples
    --------
    >>> frames = convolution2d_frames(np.arange(9).reshape(3, 3), np.ones((2, 2)))
    >>> [(f.index, f.value) for f in frames]
    [((0, 0), 8.0), ((0, 1), 12.0), ((1, 0), 20.0), ((1, 1), 24.0)]
    """
    x, w = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if x.ndim != 2 or w.ndim != 2 or x.size == 0 or w.size == 0:
        raise ValueError(
            f"image and kernel must be non-empty 2-D arrays, got shapes {x.shape} and {w.shape}"
        )
    strides = as_tuple(stride, 2, "stride", 1)
    dilations = as_tuple(dilation, 2, "dilation", 1)
    pairs = padding_pairs(padding, 2, w.shape, dilations, strides)
    rows_out, cols_out = output_size(x.shape, w.shape, strides, pairs, dilations)
    padded = np.asarray(pad(x, pairs, padding_mode), dtype=float)
    (top, _), (left, _) = pairs
    frames = []
    for i in range(rows_out):
        for j in range(cols_out):
            r = strides[0] * i + dilations[0] * np.arange(w.shape[0])
            c = strides[1] * j + dilations[1] * np.arange(w.shape[1])
            inputs = padded[np.ix_(r, c)]
            products = inputs * w
            frames.append(Convolution2dFrame((i, j), r - top, c - left, inputs, products, float(products.sum())))
    return frames


class BackwardFrame(NamedTuple):
    """One output gradient ``g_j`` sent back through the taps that produced ``y_j``."""

    j: int  # output index
    positions: np.ndarray  # signal positions output j read, tap order (< 0 or >= m: padding)
    contributions: np.ndarray  # g_j * w_k, one per tap
    targets: np.ndarray  # the input sample each contribution is added to; -1: a zero pad (lost)
    grad_x: np.ndarray  # dL/dx after outputs 0..j have sent theirs back


def backward_frames(x, w, g, *, stride=1, dilation=1, padding=0, padding_mode="zeros"):
    """The input gradient of a 1-D layer, built up one output gradient at a time.

    Output ``j`` read padded position ``s j + d k`` through tap ``k``, so the chain
    rule adds ``g_j w_k`` to ``dL/dx`` there; a padded copy passes its share on to
    the sample it copies, and a zero pad drops it. After the last frame,
    ``grad_x`` is ``convlab.conv1d_backward(g, x, w, ...)[0]``.

    Parameters
    ----------
    x : 1-D array
        The layer's input (only its length matters: the input gradient does not depend on x).
    w : 1-D array
        The kernel, as the layer applies it (cross-correlation, no flip).
    g : 1-D array
        The output gradient ``dL/dy``, one value per output.
    stride, dilation, padding :
        As for ``convlab.conv1d`` (padding: int, (left, right), "same" or "valid").
    padding_mode : str
        ``zeros``/``constant`` or a copy mode: ``reflect``, ``symmetric``,
        ``replicate``, ``circular``, ``first``, ``last``.

    Returns
    -------
    list of BackwardFrame

    Examples
    --------
    >>> frames = backward_frames(np.zeros(4), [2, -1], [1, -2, 3])
    >>> frames[-1].grad_x.tolist()
    [2.0, -5.0, 8.0, -3.0]
    """
    x, w, g = _vector(x, "x"), _vector(w, "w"), _vector(g, "g")
    m, n = x.size, w.size
    if isinstance(padding, str) and padding == "full":
        raise ValueError("padding='full' is invalid here: a layer takes an int, (left, right), 'same' or 'valid'")
    left, right = padding_1d(padding, n, stride, dilation)
    count = output_size(m, n, stride, (left, right), dilation)
    if g.size != count:
        raise ValueError(f"g has {g.size} values but the layer has {count} outputs")
    if padding_mode in ("zeros", "constant"):
        source = np.concatenate([np.full(left, -1), np.arange(m), np.full(right, -1)])
    elif padding_mode in _COPY_MODES:
        source = np.asarray(pad(np.arange(m, dtype=float), (left, right), padding_mode)).astype(int)
    else:
        raise ValueError(
            f"padding_mode={padding_mode!r} is invalid here: its padded values mix several samples; "
            f"use 'zeros' or a copy mode ({', '.join(_COPY_MODES)})"
        )
    grad = np.zeros(m)
    frames = []
    for j in range(count):
        at = stride * j + dilation * np.arange(n)
        contributions = g[j] * w
        targets = source[at]
        kept = targets >= 0
        np.add.at(grad, targets[kept], contributions[kept])
        frames.append(BackwardFrame(j, at - left, contributions, targets, grad.copy()))
    return frames
