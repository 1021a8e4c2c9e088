"""One palette and one matplotlib style for every figure of the book."""

from __future__ import annotations

__all__ = ["PALETTE", "SEQUENTIAL_CMAP", "DIVERGING_CMAP", "use_style"]

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

#: Colour map for maps of values of one sign (images, counts): cividis varies in lightness
#: and stays readable under red-green colour blindness and in greyscale.
SEQUENTIAL_CMAP = "cividis"

#: Colour map for signed values centred on 0 (feature maps, gradients, weights): purple to
#: orange through white, with no red-green contrast. Centre it with vmin=-v, vmax=v.
DIVERGING_CMAP = "PuOr"

# The order colours are used in when a plot has several lines (yellow last: weak on white).
CYCLE = ["blue", "orange", "green", "vermillion", "purple", "sky_blue", "black", "yellow"]

# Neutral fills for table-like figures (padding cells, empty cells): greys carry no hue,
# so they never compete with the palette.
PAD_FILL = "#E6E6E6"
GRID_EDGE = "#9A9A9A"


def use_style():
    """Set matplotlib's defaults for the book: palette, colour map, sizes, grid, and JavaScript animations."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(
        {
            "axes.prop_cycle": cycler(color=[PALETTE[c] for c in CYCLE]),
            "image.cmap": SEQUENTIAL_CMAP,
            "figure.figsize": (7.0, 3.2),
            "figure.dpi": 90,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 11,
            # No text smaller than 9 pt, even in multi-panel figures (readable on a phone).
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "xtick.labelsize": 9,
            "ytick.labelsize": 9,
            "legend.fontsize": 9,
            # Animations become self-contained HTML+JavaScript: they play in the built book with no kernel.
            "animation.html": "jshtml",
        }
    )
    _retina_figures()


def _retina_figures():
    """Store notebook figures as PNGs of twice their display size, sharp on high-density screens.

    The PNG carries its display width and height, which the book and Jupyter honour. Outside
    IPython (a script, the tests) there is nothing to set.
    """
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")
