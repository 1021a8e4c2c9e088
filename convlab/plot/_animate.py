"""Animations that play in the static HTML book: the kernel sliding (1-D, 2-D) and the gradient flowing back.

Each builder draws the frames of :mod:`._frames` and returns an
:class:`OfflineAnimation`, which a notebook shows as self-contained JavaScript.
"""

from __future__ import annotations

import numpy as np

from .._padding import pad
from .._shapes import as_tuple, padding_pairs
from ._frames import (
    backward_frames,
    convolution2d_frames,
    convolution_frames,
    pad_1d,
    padding_1d,
    sum_caption,
)
from ._offline import OfflineAnimation
from ._style import GRID_EDGE, PAD_FILL, PALETTE

__all__ = ["animate_convolution", "animate_convolution2d", "animate_backward"]


def _short(values, limit=12) -> str:
    """``[3, 1, 4]`` for alt text: numbers as short as they print, at most ``limit`` of them."""
    shown = ", ".join(f"{v + 0.0:.3g}" for v in values[:limit])
    return f"[{shown}{', ...' if len(values) > limit else ''}]"


# Legends sit right of the axes, where they can never hide a sample.
_OUTSIDE = dict(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0.0)


def _limits(values, margin=0.2):
    lo, hi = min(np.min(values), 0.0), max(np.max(values), 0.0)
    extra = margin * (hi - lo) if hi > lo else 1.0
    return lo - extra, hi + extra


def _finish(fig, draw, count, interval, alt):
    from matplotlib.animation import FuncAnimation
    import matplotlib.pyplot as plt

    # Lay the figure out once, with the first frame's texts in place, then freeze it: the
    # layout engine would otherwise run again for every frame, which dominates the time.
    draw(0)
    fig.canvas.draw()
    fig.set_layout_engine("none")
    # Saving a frame draws the figure anyway; the extra redraw that FuncAnimation asks for
    # after each frame (meant for on-screen players) would double the time for nothing.
    fig.canvas.draw_idle = lambda *args, **kwargs: None
    anim = FuncAnimation(fig, draw, frames=count, interval=interval, blit=False)
    plt.close(fig)  # show the animation only, not a static copy of its last frame
    return OfflineAnimation(anim, alt=alt)


def animate_convolution(
    x,
    w,
    *,
    stride=1,
    dilation=1,
    padding="full",
    padding_mode="zeros",
    flip=True,
    interval=700,
    title=None,
    alt=None,
):
    """An animation of the kernel sliding along ``x``, one frame per output.

    Top: the signal (stems), any padded values (hollow), and the kernel's taps
    at the current step; with ``dilation > 1`` the samples the taps read are
    ringed, so the ones between them are visibly skipped. Bottom: the outputs
    so far, each drawn at the sample under tap ``w_0``; with ``stride > 1`` the
    positions the window jumps over are marked as skipped. The numbers are
    :func:`convolution_frames` with the same arguments: the defaults animate
    the full convolution of ``numpy.convolve``, ``flip=False`` the layer
    (``convlab.conv1d``).

    Returns an :class:`OfflineAnimation`: in a notebook it displays as
    self-contained JavaScript, so it also plays in the static HTML book, with
    no network. ``alt`` is the alt text of the player (a description is made
    from the numbers if it is not given).
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    frames = convolution_frames(
        x, w, stride=stride, dilation=dilation, padding=padding, padding_mode=padding_mode, flip=flip
    )
    m, n = x.size, w.size
    left, right = padding_1d(padding, n, stride, dilation)
    padded = pad_1d(x, left, right, padding_mode)
    y = np.array([f.value for f in frames])
    # y_j is drawn at the sample under tap w_0: the last tap of a flipped kernel, the first otherwise.
    k0 = n - 1 if flip else 0
    where = np.array([f.positions[k0] for f in frames])
    every = where[0] + np.arange(len(padded) - dilation * (n - 1))  # where the stride-1 outputs would sit
    skipped = every[(every - where[0]) % stride != 0]
    aligned = bool(np.all(where == np.arange(len(frames))))
    span = (min(-left, every.min()) - 0.5, max(m + right - 1, every.max()) + 0.5)

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 4.4), sharex=True, constrained_layout=True)
    top.stem(np.arange(m), x, linefmt=PALETTE["blue"], markerfmt="o", basefmt=" ", label="signal $x$")
    if left or right:
        outside = np.r_[np.arange(-left, 0), np.arange(m, m + right)]
        top.plot(outside, np.r_[padded[:left], padded[left + m :]], "o", mfc="none", color=PALETTE["black"],
                 alpha=0.6, label=f"padding ({padding_mode})")
        for a, b in ((-left, 0), (m, m + right)):
            if b > a:
                top.axvspan(a - 0.5, b - 0.5, color=PAD_FILL, zorder=0)
    (kernel_line,) = top.plot([], [], "s--" if dilation == 1 else "s", color=PALETTE["orange"],
                              label="flipped kernel" if flip else "kernel $w$")
    read = None
    if dilation > 1:
        (read,) = top.plot([], [], "o", ms=13, mfc="none", mew=2, color=PALETTE["vermillion"],
                           label=f"samples read ({dilation} apart)")
    top.set_xlim(*span)
    top.set_ylim(*_limits(np.r_[padded, w], margin=0.25))
    top.set_ylabel("value")
    top.legend(**_OUTSIDE)

    (out_line,) = bottom.plot([], [], "o-", color=PALETTE["green"],
                              label="output $y_j$" if aligned else "output $y_j$ (under tap $w_0$)")
    gap_line = None
    if stride > 1:
        (gap_line,) = bottom.plot([], [], "x", ms=8, mew=2, color=PALETTE["black"], alpha=0.5,
                                  label=f"skipped (stride {stride})")
    labels = []
    if not aligned:
        labels = [bottom.annotate(f"$y_{{{f.j}}}$", (p, v), xytext=(0, 7), textcoords="offset points",
                                  ha="center", fontsize=9, visible=False) for f, p, v in zip(frames, where, y)]
    bottom.set_xlim(*span)
    bottom.set_ylim(*_limits(y, margin=0.3))
    bottom.set_xlabel("index" if aligned else "input position $i$")
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.set_ylabel("$y_j$")
    bottom.legend(**_OUTSIDE)
    caption = top.set_title(title or "", fontsize=10)

    def draw(i):
        f = frames[i]
        kernel_line.set_data(f.positions, f.taps)
        if read is not None:
            read.set_data(f.positions, f.inputs)
        out_line.set_data(where[: i + 1], y[: i + 1])
        if gap_line is not None:
            gone = skipped[skipped < where[i]] if i < len(frames) - 1 else skipped
            gap_line.set_data(gone, np.zeros(gone.size))
        for t, label in enumerate(labels):
            label.set_visible(t <= i)
        caption.set_text(f"{title + ': ' if title else ''}$y_{{{f.j}}}$ = {sum_caption(f)}")
        return kernel_line, out_line, caption

    if alt is None:
        what = "flipped kernel" if flip else "kernel"
        settings = ", ".join(
            s for s, on in [(f"stride {stride}", stride > 1), (f"dilation {dilation}", dilation > 1),
                            (f"padding {left}+{right} ({padding_mode})", left or right)] if on
        )
        alt = (f"Animation, one frame per output: the {what} {_short(w)} slides along the signal "
               f"{_short(x)}{' with ' + settings if settings else ''}; each frame adds one output, "
               f"giving {_short(y)}.")
    return _finish(fig, draw, len(frames), interval, alt)


def _per_sample(frame):
    """(sample, total added) for each sample a backward frame reaches, in order; copies are summed."""
    totals = {}
    for t, c in zip(frame.targets.tolist(), frame.contributions.tolist()):
        if t >= 0:
            totals[t] = totals.get(t, 0.0) + c
    return list(totals.items())


def _cell_text(v) -> str:
    v = float(v) + 0.0
    return f"{v:.0f}" if v == round(v) else f"{v:.2g}"


def _table(ax, values, origin, fill, edge=GRID_EDGE, fontsize=8, text_colour="black"):
    """Draw ``values`` as a grid of numbered cells with row/column ``origin``; return the texts."""
    from matplotlib.patches import Rectangle

    rows, cols = values.shape
    texts = np.empty(values.shape, dtype=object)
    for r in range(rows):
        for c in range(cols):
            y0, x0 = origin[0] + r, origin[1] + c
            colour = fill(y0, x0) if callable(fill) else fill
            ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), 1, 1, facecolor=colour, edgecolor=edge, lw=0.8))
            ink = text_colour(y0, x0) if callable(text_colour) else text_colour
            texts[r, c] = ax.text(x0, y0, _cell_text(values[r, c]), ha="center", va="center",
                                  fontsize=fontsize, color=ink)
    ax.set_xlim(origin[1] - 0.5, origin[1] + cols - 0.5)
    ax.set_ylim(origin[0] + rows - 0.5, origin[0] - 0.5)  # row 0 at the top, as in a matrix
    ax.set_aspect("equal")
    ax.grid(False)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.set_xticks(range(origin[1], origin[1] + cols))
    ax.set_yticks(range(origin[0], origin[0] + rows))
    ax.tick_params(length=0, labelsize=7, pad=2)
    return texts


def animate_convolution2d(
    image,
    kernel,
    *,
    stride=1,
    padding=0,
    dilation=1,
    padding_mode="zeros",
    interval=700,
    title=None,
    alt=None,
    max_frames=36,
):
    """An animation of a 2-D kernel window sliding over ``image`` while the output map fills in.

    Left: the (padded) image with the cells under the kernel's taps shaded and
    the window outlined; middle: the kernel; right: the output, one cell per
    frame, row by row. The numbers are :func:`convolution2d_frames` (the layer,
    ``convlab.conv2d``). Keep images small: every frame is an embedded picture,
    so more than ``max_frames`` outputs is an error.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Rectangle

    x, w = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    frames = convolution2d_frames(
        x, w, stride=stride, padding=padding, dilation=dilation, padding_mode=padding_mode
    )
    if len(frames) > max_frames:
        raise ValueError(
            f"the animation would have {len(frames)} frames (one per output) but max_frames={max_frames}: "
            "use a smaller image, a larger stride, or raise max_frames"
        )
    strides, dilations = as_tuple(stride, 2, "stride", 1), as_tuple(dilation, 2, "dilation", 1)
    (top, bottom), (left, right) = padding_pairs(padding, 2, w.shape, dilations, strides)
    padded = np.asarray(pad(x, ((top, bottom), (left, right)), padding_mode), dtype=float)
    rows_out = frames[-1].index[0] + 1
    cols_out = frames[-1].index[1] + 1
    y = np.zeros((rows_out, cols_out))
    for f in frames:
        y[f.index] = f.value

    H, W = x.shape
    inside = lambda r, c: 0 <= r < H and 0 <= c < W  # noqa: E731
    fig, (ax_x, ax_w, ax_y) = plt.subplots(
        1, 3, figsize=(7.5, 3.4), constrained_layout=True,
        gridspec_kw={"width_ratios": [padded.shape[1], w.shape[1] + 0.5, cols_out + 0.5]},
    )
    _table(ax_x, padded, (-top, -left), lambda r, c: "white" if inside(r, c) else PAD_FILL,
           text_colour=lambda r, c: "black" if inside(r, c) else "#555555")
    padded_any = top + bottom + left + right > 0
    ax_x.set(xlabel="column", ylabel="row", title="image" + (f" (padding: {padding_mode})" if padded_any else ""))
    _table(ax_w, w, (0, 0), to_rgba(PALETTE["orange"], 0.45))
    ax_w.set(xlabel="column", ylabel="row", title="kernel $w$")
    out_texts = _table(ax_y, y, (0, 0), "white")
    for t in out_texts.flat:
        t.set_visible(False)
    ax_y.set(xlabel="column $j$", ylabel="row $i$", title="output $y$")
    for ax in (ax_x, ax_w, ax_y):
        ax.title.set_fontsize(9)
        ax.xaxis.label.set_fontsize(8)
        ax.yaxis.label.set_fontsize(8)

    taps = [Rectangle((0, 0), 1, 1, facecolor=PALETTE["orange"], alpha=0.5, lw=0) for _ in range(w.size)]
    for patch in taps:
        ax_x.add_patch(patch)
    window = Rectangle((0, 0), 1, 1, fill=False, edgecolor=PALETTE["vermillion"], lw=2.5)
    ax_x.add_patch(window)
    done = [Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor=PALETTE["green"], alpha=0.3, lw=0, visible=False)
            for r in range(rows_out) for c in range(cols_out)]
    for patch in done:
        ax_y.add_patch(patch)
    current = Rectangle((0, 0), 1, 1, fill=False, edgecolor=PALETTE["vermillion"], lw=2.5)
    ax_y.add_patch(current)
    caption = fig.suptitle(title or "", fontsize=10)

    def draw(i):
        f = frames[i]
        for patch, (r, c) in zip(taps, ((r, c) for r in f.rows for c in f.cols)):
            patch.set_xy((c - 0.5, r - 0.5))
        window.set_xy((f.cols[0] - 0.5, f.rows[0] - 0.5))
        window.set_width(f.cols[-1] - f.cols[0] + 1)
        window.set_height(f.rows[-1] - f.rows[0] + 1)
        for t, (patch, text) in enumerate(zip(done, out_texts.flat)):
            patch.set_visible(t <= i)
            text.set_visible(t <= i)
        current.set_xy((f.index[1] - 0.5, f.index[0] - 0.5))
        caption.set_text(f"{title + ': ' if title else ''}$y_{{{f.index[0]},{f.index[1]}}}$ = "
                         f"sum of {w.size} products = {_cell_text(f.value)}")
        return (*taps, window, current, caption)

    if alt is None:
        alt = (f"Animation, one frame per output: a {w.shape[0]} by {w.shape[1]} kernel window slides over a "
               f"{H} by {W} image, left to right and top to bottom, and the {rows_out} by {cols_out} output map "
               "fills in one cell per frame; every cell shows its number.")
    return _finish(fig, draw, len(frames), interval, alt)


def animate_backward(
    x,
    w,
    g,
    *,
    stride=1,
    dilation=1,
    padding=0,
    padding_mode="zeros",
    interval=900,
    title=None,
    alt=None,
):
    """An animation of the output gradient flowing back into the input gradient, one output per frame.

    Top: the output gradient ``g_j`` (each drawn at the sample under tap
    ``w_0``), the current one highlighted and its window shaded. Bottom:
    ``dL/dx`` so far (bars) and, as arrows, what ``g_j`` adds to each sample it
    touched, ``g_j w_k``. The numbers are :func:`backward_frames`; the last
    frame is ``convlab.conv1d_backward(g, x, w, ...)[0]``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import MaxNLocator

    x, w, g = (np.asarray(a, dtype=float) for a in (x, w, g))
    frames = backward_frames(x, w, g, stride=stride, dilation=dilation, padding=padding, padding_mode=padding_mode)
    m = x.size
    left, right = padding_1d(padding, w.size, stride, dilation)
    where = np.array([f.positions[0] for f in frames])
    history = np.vstack([np.zeros(m)] + [f.grad_x for f in frames])
    span = (-left - 0.5, m + right - 0.5)

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 4.4), sharex=True, constrained_layout=True)
    for ax in (top, bottom):
        for a, b in ((-left, 0), (m, m + right)):
            if b > a:
                ax.axvspan(a - 0.5, b - 0.5, color=PAD_FILL, zorder=0)
    shade = [Rectangle((0, 0), 1, 1, transform=ax.get_xaxis_transform(), facecolor=PALETTE["orange"],
                       alpha=0.18, lw=0, zorder=0) for ax in (top, bottom)]
    top.add_patch(shade[0])
    bottom.add_patch(shade[1])
    stems = top.stem(where, g, linefmt=PALETTE["black"], markerfmt="o", basefmt=" ")
    stems.markerline.set_alpha(0.35)
    stems.stemlines.set_alpha(0.35)
    (now,) = top.plot([], [], "o", ms=10, color=PALETTE["vermillion"], label="current $g_j$")
    top.set_ylim(*_limits(g, margin=0.3))
    top.set_ylabel("$g_j$")
    top.legend(handles=[Line2D([], [], marker="o", ls="none", color=PALETTE["black"], alpha=0.35,
                               label="output gradient $g_j$ (under tap $w_0$)"), now],
               **_OUTSIDE)

    bars = bottom.bar(np.arange(m), np.zeros(m), color=PALETTE["blue"], width=0.6)
    (lost,) = bottom.plot([], [], "x", ms=8, mew=2, color=PALETTE["black"], alpha=0.6)
    bottom.set_xlim(*span)
    bottom.set_ylim(*_limits(history, margin=0.25))
    bottom.set_xlabel("input position $i$")
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.set_ylabel(r"$\partial L / \partial x_i$")
    handles = [Rectangle((0, 0), 1, 1, color=PALETTE["blue"], label=r"$\partial L/\partial x_i$ so far"),
               Line2D([], [], color=PALETTE["orange"], lw=2, marker="^", label="added by $g_j$: $g_j w_k$")]
    if left or right:
        handles.append(Line2D([], [], marker="x", ls="none", mew=2, color=PALETTE["black"], alpha=0.6,
                              label="into a zero pad: lost" if padding_mode in ("zeros", "constant")
                              else f"from a pad: to its source ({padding_mode})"))
    bottom.legend(handles=handles, **_OUTSIDE)
    caption = top.set_title(title or "", fontsize=10)
    arrows = []

    def draw(i):
        f = frames[i]
        before, after = history[i], history[i + 1]
        for bar, v in zip(bars, after):
            bar.set_height(v)
        while arrows:
            arrows.pop().remove()
        for t in np.unique(f.targets[f.targets >= 0]):
            arrows.append(bottom.annotate(
                "", xy=(t, after[t]), xytext=(t, before[t]),
                arrowprops=dict(arrowstyle="-|>", color=PALETTE["orange"], lw=2.5, shrinkA=0, shrinkB=0)))
        padded_at = f.positions[(f.positions < 0) | (f.positions >= m)]
        lost.set_data(padded_at, np.zeros(padded_at.size))
        now.set_data([where[i]], [g[i]])
        for patch in shade:
            patch.set_xy((f.positions[0] - 0.5, 0))
            patch.set_width(f.positions[-1] - f.positions[0] + 1)
        gains = ", ".join(f"$x_{{{t}}}$ {'+' if c >= 0 else '-'}= {abs(c) + 0.0:.2g}" for t, c in _per_sample(f))
        caption.set_text(f"{title + ': ' if title else ''}$g_{{{f.j}}}$ = {g[i] + 0.0:.2g} flows back: {gains}")
        return (*bars, lost, now, caption)

    if alt is None:
        alt = (f"Animation, one frame per output: each output gradient of {_short(g)} flows back through the "
               f"kernel {_short(w)} into the input samples its output read; arrows show what it adds, and the "
               f"bars of the input gradient grow to {_short(frames[-1].grad_x)}.")
    return _finish(fig, draw, len(frames), interval, alt)
