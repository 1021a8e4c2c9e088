"""Plotting helpers shared by every chapter: one style, one palette, the animations and the widgets.

The palette is Okabe and Ito's, designed to stay distinguishable under the
common forms of colour blindness. Chapters call :func:`use_style` once and
take colours from :data:`PALETTE` by name, so no notebook defines its own.

* style: :data:`PALETTE`, :func:`use_style`
* animations that play in the static HTML book (no kernel, no network):
  :func:`animate_convolution` (1-D, with stride, dilation and padding),
  :func:`animate_convolution2d`, :func:`animate_backward`; their numbers come
  from :func:`convolution_frames`, :func:`convolution2d_frames` and
  :func:`backward_frames`, which the tests check against convlab
* live notebooks: :func:`explore_convolution` (ipywidgets), with
  :func:`convolution_grid` as its static counterpart in the book

This module needs matplotlib, and the widgets ipywidgets
(``pip install convlab[plot]``); the rest of convlab imports neither.
"""

from ._animate import animate_backward, animate_convolution, animate_convolution2d
from ._explore import convolution_grid, explore_convolution
from ._frames import (
    BackwardFrame,
    Convolution2dFrame,
    ConvolutionFrame,
    backward_frames,
    convolution2d_frames,
    convolution_frames,
    sum_caption,
)
from ._offline import OfflineAnimation
from ._style import DIVERGING_CMAP, PALETTE, SEQUENTIAL_CMAP, use_style

from . import _animate, _explore, _frames, _offline, _style

# The public names are each private module's __all__, listed once, where they are defined.
__all__ = [*_style.__all__, *_offline.__all__, *_frames.__all__, *_animate.__all__, *_explore.__all__]
