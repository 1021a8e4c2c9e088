"""convlab.plot: the animation's numbers and the palette (no pixels compared)."""

from __future__ import annotations

import re

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from convlab import plot  # noqa: E402


@pytest.mark.parametrize("m", [1, 2, 5])
@pytest.mark.parametrize("n", [1, 3, 4, 7])
def test_frames_build_numpy_convolve(rng, m, n):
    x, w = rng.standard_normal(m), rng.standard_normal(n)
    frames = plot.convolution_frames(x, w)
    np.testing.assert_allclose([f.value for f in frames], np.convolve(x, w), rtol=1e-12, atol=1e-12)


def test_frame_positions_are_the_flipped_kernel_window():
    frames = plot.convolution_frames([1.0, 2.0, 3.0], [10.0, 20.0])
    assert [list(f.positions) for f in frames] == [[-1, 0], [0, 1], [1, 2], [2, 3]]
    # y_1 = x_1 w_0 + x_0 w_1 = 2*10 + 1*20; the products are listed along the signal
    np.testing.assert_array_equal(frames[1].products, [1.0 * 20.0, 2.0 * 10.0])


def test_animation_has_one_frame_per_output():
    anim = plot.animate_convolution(np.arange(4.0), np.array([1.0, -1.0]))
    assert len(list(anim.animation.new_frame_seq())) == 4 + 2 - 1
    anim.animation._draw_was_started = True  # silence matplotlib's "deleted without rendering" warning


def test_animation_html_needs_no_network():
    html = plot.animate_convolution(np.arange(3.0), np.array([1.0, -1.0]))._repr_html_()
    assert "new Animation(" in html  # the JavaScript player is there
    assert not re.search(r"https?://", html), "the animation links to something outside the page"
    assert 'class="fa ' not in html  # every icon became plain text


def test_palette_is_okabe_ito_hex():
    assert len(plot.PALETTE) == 8
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in plot.PALETTE.values())
    assert plot.PALETTE["vermillion"] == "#D55E00"


def test_use_style_sets_the_palette_cycle():
    import matplotlib as mpl

    with mpl.rc_context():
        plot.use_style()
        colours = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
        assert colours[0] == plot.PALETTE["blue"]
        assert mpl.rcParams["animation.html"] == "jshtml"


@pytest.mark.parametrize("x, w", [([], [1.0]), ([1.0], []), ([[1.0]], [1.0])])
def test_bad_input(x, w):
    with pytest.raises(ValueError, match="1-D"):
        plot.convolution_frames(x, w)


def test_caption_lists_products_without_negative_zero():
    frames = plot.convolution_frames([3.0, 1.0], [2.0, -1.0])
    # step 0: the flipped kernel [-1, 2] covers [0, 3] -> products 0*-1 and 3*2
    assert plot.sum_caption(frames[0]) == "0 + 6 = 6"
