"""Plotting helpers shared by every chapter: one style, one palette, one animation.

The palette is Okabe and Ito's, designed to stay distinguishable under the
common forms of colour blindness. Chapters call :func:`use_style` once and
take colours from :data:`PALETTE` by name, so no notebook defines its own.

This module needs matplotlib (``pip install convlab[plot]``); the rest of
convlab does not import it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

__all__ = [
    "PALETTE",
    "use_style",
    "ConvolutionFrame",
    "convolution_frames",
    "OfflineAnimation",
    "animate_convolution",
]

#: Okabe-Ito colour-blind-safe palette, by name.
PALETTE = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}

# The order colours are used in when a plot has several lines (yellow last: weak on white).
_CYCLE = ["blue", "orange", "green", "vermillion", "purple", "sky_blue", "black", "yellow"]


def use_style():
    """Set matplotlib's defaults for the book: palette, sizes, grid, and JavaScript animations."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(
        {
            "axes.prop_cycle": cycler(color=[PALETTE[c] for c in _CYCLE]),
            "figure.figsize": (7.0, 3.2),
            "figure.dpi": 90,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 11,
            # Animations become self-contained HTML+JavaScript: they play in the built book with no kernel.
            "animation.html": "jshtml",
        }
    )


# matplotlib's JavaScript player draws its buttons with Font Awesome from a CDN;
# offline those icons vanish. These characters need no font download.
_BUTTON_TEXT = {
    "fa fa-minus": "&minus;",
    "fa fa-fast-backward": "|&#9664;",
    "fa fa-step-backward": "&#9665;",
    "fa fa-play fa-flip-horizontal": "&#9664;",
    "fa fa-pause": "&#8214;",
    "fa fa-play": "&#9654;",
    "fa fa-step-forward": "&#9655;",
    "fa fa-fast-forward": "&#9654;|",
    "fa fa-plus": "+",
}


class OfflineAnimation:
    """A matplotlib animation whose notebook display needs no network.

    It shows as matplotlib's self-contained JavaScript player (frames embedded
    as images), minus the one external stylesheet that player links to.
    ``.animation`` is the underlying :class:`matplotlib.animation.FuncAnimation`.
    """

    def __init__(self, animation):
        self.animation = animation

    def to_jshtml(self) -> str:
        html = self.animation.to_jshtml()
        html = re.sub(r'<link rel="stylesheet"\s*href="https?://[^"]*font-awesome[^"]*">', "", html)
        for icon, text in _BUTTON_TEXT.items():
            html = html.replace(f'<i class="{icon}"></i>', text)
        return html

    def _repr_html_(self) -> str:
        return self.to_jshtml()


class ConvolutionFrame(NamedTuple):
    """One step of the sliding kernel: where it sits and what it produces."""

    j: int  # output index in the full convolution
    positions: np.ndarray  # signal indices under the flipped kernel
    products: np.ndarray  # x[positions] * w_flipped (zero where outside the signal)
    value: float  # their sum: y_full[j]


def convolution_frames(x, w):
    """The steps of the full convolution ``y_j = sum_k x_{j-k} w_k``, one per output.

    At step ``j`` the flipped kernel covers signal positions ``j-n+1 .. j``;
    positions outside ``0 .. m-1`` hold zeros. Plain NumPy, so the animation's
    numbers can be tested against ``numpy.convolve``.
    """
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    if x.ndim != 1 or w.ndim != 1 or x.size == 0 or w.size == 0:
        raise ValueError(f"x and w must be non-empty 1-D arrays, got shapes {x.shape} and {w.shape}")
    m, n = x.size, w.size
    padded = np.concatenate([np.zeros(n - 1), x, np.zeros(n - 1)])
    frames = []
    for j in range(m + n - 1):
        positions = np.arange(j - n + 1, j + 1)
        products = padded[j : j + n] * w[::-1]
        frames.append(ConvolutionFrame(j, positions, products, float(products.sum())))
    return frames


def sum_caption(frame: ConvolutionFrame) -> str:
    """``"6 + 0 + -3 = 3"``: the products of one step and their sum, as the animation titles them."""
    # Adding 0.0 turns -0.0 (a zero times a negative tap) into 0, which reads better.
    terms = " + ".join(f"{p + 0.0:.2g}" for p in frame.products)
    return f"{terms} = {frame.value + 0.0:.3g}"


def animate_convolution(x, w, *, interval=700, title=None):
    """An animation of the flipped kernel sliding along ``x``, building the full output.

    Top: the signal (stems) with the flipped kernel under it at the current
    step, bottom: the output so far. Returns an :class:`OfflineAnimation`:
    in a notebook it displays as self-contained JavaScript, so it also plays
    in the static HTML book, with no network.
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    frames = convolution_frames(x, w)
    m, n = x.size, w.size
    y = np.array([f.value for f in frames])
    span = (-(n - 1) - 0.5, m + n - 1.5)

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.0, 4.4), sharex=True, constrained_layout=True)
    top.stem(np.arange(m), x, linefmt=PALETTE["blue"], markerfmt="o", basefmt=" ", label="signal $x$")
    (kernel_line,) = top.plot([], [], "s--", color=PALETTE["orange"], label="flipped kernel")
    top.set_xlim(*span)
    lo = min(x.min(), w.min(), 0.0)
    hi = max(x.max(), w.max(), 0.0)
    top.set_ylim(lo - 0.2 * (hi - lo + 1e-9), hi + 0.3 * (hi - lo + 1e-9))
    top.set_ylabel("value")
    top.legend(loc="upper right", fontsize=9)
    (out_line,) = bottom.plot([], [], "o-", color=PALETTE["green"], label="output $y_j$")
    bottom.set_xlim(*span)
    pad_y = 0.15 * (np.ptp(y) + 1e-9)
    bottom.set_ylim(min(y.min(), 0.0) - pad_y, max(y.max(), 0.0) + pad_y)
    bottom.set_xlabel("index")
    bottom.set_ylabel("$y_j$")
    caption = top.set_title(title or "")

    def draw(i):
        f = frames[i]
        kernel_line.set_data(f.positions, w[::-1])
        out_line.set_data(np.arange(i + 1), y[: i + 1])
        caption.set_text(f"{title + ': ' if title else ''}$y_{{{f.j}}}$ = {sum_caption(f)}")
        return kernel_line, out_line, caption

    anim = FuncAnimation(fig, draw, frames=len(frames), interval=interval, blit=False)
    plt.close(fig)  # show the animation only, not a static copy of its last frame
    return OfflineAnimation(anim)
