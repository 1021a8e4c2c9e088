"""matplotlib's JavaScript animation player, made to work from a file on disk with no network."""

from __future__ import annotations

import html
import re

__all__ = ["OfflineAnimation"]

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


# matplotlib's player is as wide as its frame (640 px and more) with a 374 px slider: on a
# phone its right half and buttons fall off the screen. This style, placed after matplotlib's,
# shrinks the player to the width it is given, frame and slider included (the buttons and
# the repeat choices then wrap onto more lines). It travels with the player, so JupyterLab
# shows it the same way as the book.
_FIT_STYLE = """<style>
.animation { max-width: 100%; }
.animation img { max-width: 100%; height: auto; }
.animation input[type=range].anim-slider { max-width: 100%; }
</style>
"""


class OfflineAnimation:
    """A matplotlib animation whose notebook display needs no network.

    It shows as matplotlib's self-contained JavaScript player (frames embedded
    as images), minus the one external stylesheet that player links to, and shrunk to the
    width it is given (a phone screen) rather than as wide as its frame.
    ``alt`` becomes the alt text of the player's image, for readers who cannot
    see it. ``.animation`` is the underlying :class:`matplotlib.animation.FuncAnimation`.
    """

    def __init__(self, animation, alt: str | None = None):
        self.animation = animation
        self.alt = alt

    def to_jshtml(self) -> str:
        out = self.animation.to_jshtml()
        out = re.sub(r'<link rel="stylesheet"\s*href="https?://[^"]*font-awesome[^"]*">', "", out)
        for icon, text in _BUTTON_TEXT.items():
            out = out.replace(f'<i class="{icon}"></i>', text)
        out = out.replace("</style>", "</style>\n" + _FIT_STYLE, 1)
        if self.alt:
            # The player has exactly one <img id="_anim_img...">; JavaScript swaps its src per frame.
            alt = html.escape(self.alt, quote=True)
            out = re.sub(r'<img id="(_anim_img\w+)">', rf'<img id="\1" alt="{alt}">', out, count=1)
        return out

    def _repr_html_(self) -> str:
        return self.to_jshtml()

    def __repr__(self) -> str:
        # No memory address: the plain-text output of a cell stays the same from run to run.
        return f"<OfflineAnimation: {len(list(self.animation.new_frame_seq()))} frames>"
