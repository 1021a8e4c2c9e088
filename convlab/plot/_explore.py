"""Try kernel, padding mode and stride: sliders for a live notebook, a grid of the same choices for the book.

:func:`explore_convolution` needs a running kernel (ipywidgets); the static
HTML book cannot run it, so a chapter follows it with :func:`convolution_grid`,
which draws every choice the widgets offer as small multiples. Both draw each
choice with the same function, so the two can never disagree.
"""

from __future__ import annotations

import numpy as np

from .._conv import conv1d
from .._shapes import same_padding
from ._frames import pad_1d
from ._style import CYCLE, PALETTE

__all__ = ["explore_convolution", "convolution_grid"]

PADDING_MODES = ("zeros", "replicate", "reflect", "circular")
STRIDES = (1, 2, 3)


def _kernels(kernels) -> dict:
    if not isinstance(kernels, dict):
        kernels = {"$w$": kernels}
    if not kernels:
        raise ValueError("kernels is empty: give at least one kernel")
    return {name: np.asarray(w, dtype=float) for name, w in kernels.items()}


def choice_output(x, w, padding_mode="zeros", stride=1):
    """The output a choice shows: the layer with 'same'-sized padding in ``padding_mode``, at ``stride``.

    ``convlab.conv1d`` with ``padding=same_padding(n)`` (``r`` on each side for
    ``n = 2r + 1``) even when ``stride > 1``; output ``j`` is centred on sample ``s j``.
    """
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    return conv1d(x[None, None], w[None, None], stride=stride, padding=same_padding(w.size),
                  padding_mode=padding_mode)[0, 0]


def _draw_choice(ax, x, kernels, padding_mode, stride, legend=True):
    """One panel: the signal, its padding in ``padding_mode``, and each kernel's output at ``stride``."""
    m = x.size
    pads = [same_padding(w.size) for w in kernels.values()]
    reach = max(left for left, _ in pads), max(right for _, right in pads)  # the widest kernel's padding
    padded = pad_1d(x, *reach, padding_mode)
    size = 4.0 if m <= 30 else 2.0  # long signals: small markers, so the lines stay visible
    ax.plot(np.arange(m), x, "o", ms=size - 0.5, color=PALETTE["black"], label="signal $x$")
    ax.plot(np.r_[np.arange(-reach[0], 0), np.arange(m, m + reach[1])],
            np.r_[padded[: reach[0]], padded[reach[0] + m :]], "o", ms=size, mfc="none",
            color=PALETTE["black"], alpha=0.6, label=f"padding ({padding_mode})")
    outputs = {}
    for (name, w), colour in zip(kernels.items(), CYCLE):
        y = choice_output(x, w, padding_mode, stride)
        outputs[name] = y
        ax.plot(stride * np.arange(y.size), y, "s-", ms=size, lw=1.2, color=PALETTE[colour], label=name)
    ax.set_xlim(-reach[0] - 0.7, m + reach[1] - 0.3)
    if legend:
        ax.legend(fontsize=8, loc="best")
    return outputs


def explore_convolution(x, kernels, *, padding_modes=PADDING_MODES, strides=STRIDES, title=None):
    """Widgets to pick a kernel, a padding mode and a stride, redrawing the layer's output each time.

    Needs a running kernel with ipywidgets (``pip install convlab[plot]``):
    in the static book the widgets cannot run, so follow the cell with
    :func:`convolution_grid` on the same choices. A control with only one
    choice is left out.

    Parameters
    ----------
    x : 1-D array
    kernels : dict of name -> 1-D array (or one array)
    padding_modes : sequence of str
        Modes of :func:`convlab.pad`; each output uses 'same'-sized padding.
    strides : sequence of int

    Returns
    -------
    ipywidgets.interactive
        Its ``.result`` is the output array of the current choice.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    x = np.asarray(x, dtype=float)
    kernels = _kernels(kernels)
    padding_modes, strides = list(padding_modes), [int(s) for s in strides]

    def control(choices, make):
        return make(choices) if len(choices) > 1 else widgets.fixed(choices[0])

    def update(kernel, padding_mode, stride):
        fig, ax = plt.subplots(figsize=(7.0, 3.0), constrained_layout=True)
        y = _draw_choice(ax, x, {kernel: kernels[kernel]}, padding_mode, stride)[kernel]
        ax.set(xlabel="sample $i$ (output $y_j$ drawn at $i = s j$)", ylabel="value",
               title=f"{title + ': ' if title else ''}{padding_mode} padding, stride {stride}")
        plt.show()
        plt.close(fig)  # inline backends have shown it; anywhere else it would pile up, one per change
        return y

    return widgets.interactive(
        update,
        kernel=control(list(kernels), lambda c: widgets.Dropdown(options=c, description="kernel")),
        padding_mode=control(padding_modes, lambda c: widgets.Dropdown(options=c, description="padding")),
        stride=control(strides, lambda c: widgets.SelectionSlider(options=c, description="stride",
                                                                   continuous_update=False)),
    )


def convolution_grid(x, kernels, *, padding_modes=PADDING_MODES, strides=STRIDES, title=None):
    """Every choice of :func:`explore_convolution` at once: one panel per (padding mode, stride).

    Rows are padding modes and columns strides (with a single stride, the
    modes fill a grid of two columns); every panel shows each kernel's output.
    Returns the figure; end the cell with ``plt.show()``.
    """
    import matplotlib.pyplot as plt

    x = np.asarray(x, dtype=float)
    kernels = _kernels(kernels)
    padding_modes, strides = list(padding_modes), [int(s) for s in strides]
    choices = [(mode, s) for mode in padding_modes for s in strides]
    cols = len(strides) if len(strides) > 1 else min(2, len(choices))
    rows = -(-len(choices) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols + 1.0, 1.9 * rows + 0.6), sharex=True, sharey=True,
                             squeeze=False, constrained_layout=True)
    for ax, (mode, s) in zip(axes.flat, choices):
        _draw_choice(ax, x, kernels, mode, s, legend=False)
        ax.set_title(f"{mode}, stride {s}" if len(strides) > 1 else mode, fontsize=9)
    for ax in axes.flat[len(choices) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("sample $i$")
    for ax in axes[:, 0]:
        ax.set_ylabel("value")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    labels[1] = "padded values"
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
