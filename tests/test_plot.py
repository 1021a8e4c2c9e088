"""convlab.plot: the animations' numbers, their offline HTML, the widgets and the palette (no pixels compared).

Every frame function is checked against an independent reference (NumPy, SciPy
or a loop here) and against convlab itself, so an animation can only show
numbers the library computes.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

pytest.importorskip("matplotlib")
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import convlab  # noqa: E402
from convlab import plot  # noqa: E402

# convlab mode -> numpy.pad mode, for an independent reference of padded layers
NUMPY_MODE = {"zeros": "constant", "replicate": "edge", "reflect": "reflect", "symmetric": "symmetric",
              "circular": "wrap"}


def layer_reference(x, w, stride=1, dilation=1, pads=(0, 0), mode="zeros"):
    """y_j = sum_k xp[s j + d k] w_k with numpy.pad and a loop: independent of convlab."""
    xp = np.pad(np.asarray(x, float), pads, mode=NUMPY_MODE[mode])
    span = dilation * (len(w) - 1)
    return np.array([sum(xp[s0 + dilation * k] * w[k] for k in range(len(w)))
                     for s0 in range(0, len(xp) - span, stride)])


def n_frames(anim):
    count = len(list(anim.animation.new_frame_seq()))
    anim.animation._draw_was_started = True  # silence matplotlib's "deleted without rendering" warning
    return count


class TestConvolutionFrames:
    @pytest.mark.parametrize("m", [1, 2, 5])
    @pytest.mark.parametrize("n", [1, 3, 4, 7])
    def test_defaults_build_numpy_convolve(self, rng, m, n):
        x, w = rng.standard_normal(m), rng.standard_normal(n)
        frames = plot.convolution_frames(x, w)
        np.testing.assert_allclose([f.value for f in frames], np.convolve(x, w), rtol=1e-12, atol=1e-12)

    def test_positions_are_the_flipped_kernel_window(self):
        frames = plot.convolution_frames([1.0, 2.0, 3.0], [10.0, 20.0])
        assert [list(f.positions) for f in frames] == [[-1, 0], [0, 1], [1, 2], [2, 3]]
        # y_1 = x_1 w_0 + x_0 w_1 = 2*10 + 1*20; the products are listed along the signal
        np.testing.assert_array_equal(frames[1].products, [1.0 * 20.0, 2.0 * 10.0])

    @pytest.mark.parametrize("stride, dilation, padding",
                             list(itertools.product((1, 2, 3), (1, 2, 3), (0, 1, (2, 0)))))
    def test_layer_frames_match_conv1d(self, rng, stride, dilation, padding):
        x, w = rng.standard_normal(11), rng.standard_normal(3)
        frames = plot.convolution_frames(x, w, stride=stride, dilation=dilation, padding=padding, flip=False)
        got = [f.value for f in frames]
        expected = convlab.conv1d(x[None, None], w[None, None], stride=stride, padding=padding, dilation=dilation)
        np.testing.assert_allclose(got, expected[0, 0], rtol=1e-12)
        pads = padding if isinstance(padding, tuple) else (padding, padding)
        np.testing.assert_allclose(got, layer_reference(x, w, stride, dilation, pads), rtol=1e-12)

    @pytest.mark.parametrize("stride, dilation", [(1, 2), (2, 1), (3, 2)])
    def test_positions_skip_by_dilation_and_jump_by_stride(self, stride, dilation):
        frames = plot.convolution_frames(np.arange(12.0), [1.0, 1.0, 1.0], stride=stride, dilation=dilation,
                                         padding=1, flip=False)
        for f in frames:  # tap k of output j reads padded position s j + d k, signal position s j + d k - p
            np.testing.assert_array_equal(f.positions, stride * f.j + dilation * np.arange(3) - 1)

    @pytest.mark.parametrize("dilation", [1, 2, 3])
    def test_flipped_full_is_numpy_convolve_with_the_dilated_kernel(self, rng, dilation):
        x, w = rng.standard_normal(6), rng.standard_normal(3)
        dilated = np.zeros(dilation * 2 + 1)
        dilated[::dilation] = w
        frames = plot.convolution_frames(x, w, dilation=dilation)
        np.testing.assert_allclose([f.value for f in frames], np.convolve(x, dilated), rtol=1e-12, atol=1e-12)

    def test_flipped_stride_keeps_every_sth_full_output(self, rng):
        x, w = rng.standard_normal(9), rng.standard_normal(4)
        frames = plot.convolution_frames(x, w, stride=3)
        np.testing.assert_allclose([f.value for f in frames], np.convolve(x, w)[::3], rtol=1e-12)

    @pytest.mark.parametrize("mode", sorted(NUMPY_MODE))
    def test_padding_modes_match_numpy_pad_and_conv1d(self, rng, mode):
        x, w = rng.standard_normal(7), rng.standard_normal(3)
        frames = plot.convolution_frames(x, w, stride=2, padding=2, padding_mode=mode, flip=False)
        got = [f.value for f in frames]
        np.testing.assert_allclose(got, layer_reference(x, w, 2, 1, (2, 2), mode), rtol=1e-12)
        expected = convlab.conv1d(x[None, None], w[None, None], stride=2, padding=2, padding_mode=mode)[0, 0]
        np.testing.assert_allclose(got, expected, rtol=1e-12)

    @settings(max_examples=60, deadline=None)
    @given(m=st.integers(1, 9), n=st.integers(1, 4), stride=st.integers(1, 3), dilation=st.integers(1, 3),
           left=st.integers(0, 3), right=st.integers(0, 3), mode=st.sampled_from(sorted(NUMPY_MODE)),
           flip=st.booleans(), seed=st.integers(0, 2**16))
    def test_any_layer_matches_the_reference(self, m, n, stride, dilation, left, right, mode, flip, seed):
        assume(dilation * (n - 1) + 1 <= m + left + right)  # at least one output fits
        assume(mode == "zeros" or max(left, right) < m)  # layers refuse mirrors/wraps wider than the signal
        rng = np.random.default_rng(seed)
        x, w = rng.standard_normal(m), rng.standard_normal(n)
        frames = plot.convolution_frames(x, w, stride=stride, dilation=dilation, padding=(left, right),
                                         padding_mode=mode, flip=flip)
        expected = layer_reference(x, w[::-1] if flip else w, stride, dilation, (left, right), mode)
        np.testing.assert_allclose([f.value for f in frames], expected, rtol=1e-12, atol=1e-12)
        assert [f.j for f in frames] == list(range(len(expected)))

    def test_same_padding_is_the_layers(self, rng):
        x, w = rng.standard_normal(8), rng.standard_normal(4)
        frames = plot.convolution_frames(x, w, padding="same", flip=False)
        np.testing.assert_allclose([f.value for f in frames],
                                   convlab.conv1d(x[None, None], w[None, None], padding="same")[0, 0])

    @pytest.mark.parametrize("x, w", [([], [1.0]), ([1.0], []), ([[1.0]], [1.0])])
    def test_bad_input(self, x, w):
        with pytest.raises(ValueError, match="1-D"):
            plot.convolution_frames(x, w)

    def test_bad_padding_names_the_choices(self):
        with pytest.raises(ValueError, match="'full', 'same' or 'valid'"):
            plot.convolution_frames([1.0, 2.0], [1.0], padding="half")

    def test_kernel_that_does_not_fit(self):
        with pytest.raises(ValueError, match="dilation=3"):
            plot.convolution_frames(np.ones(4), np.ones(3), dilation=3, padding=0)

    def test_caption_lists_products_without_negative_zero(self):
        frames = plot.convolution_frames([3.0, 1.0], [2.0, -1.0])
        # step 0: the flipped kernel [-1, 2] covers [0, 3] -> products 0*-1 and 3*2
        assert plot.sum_caption(frames[0]) == "0 + 6 = 6"


class TestConvolution2dFrames:
    @pytest.mark.parametrize("stride, padding, dilation",
                             [(1, 0, 1), ((2, 1), 1, 1), (2, ((1, 0), (0, 2)), 1), (1, 1, (2, 1)), (1, "same", 1)])
    def test_frames_match_conv2d(self, rng, stride, padding, dilation):
        image, kernel = rng.standard_normal((6, 5)), rng.standard_normal((3, 2))
        frames = plot.convolution2d_frames(image, kernel, stride=stride, padding=padding, dilation=dilation)
        expected = convlab.conv2d(image[None, None], kernel[None, None], stride=stride, padding=padding,
                                  dilation=dilation)[0, 0]
        got = np.zeros(expected.shape)
        for f in frames:
            got[f.index] = f.value
        assert len(frames) == expected.size
        np.testing.assert_allclose(got, expected, rtol=1e-12)

    def test_frames_match_scipy_correlate2d(self, rng):
        signal = pytest.importorskip("scipy.signal")
        image, kernel = rng.standard_normal((5, 5)), rng.standard_normal((3, 3))
        frames = plot.convolution2d_frames(image, kernel, stride=2, padding=1)
        expected = signal.correlate2d(np.pad(image, 1), kernel, mode="valid")[::2, ::2]
        np.testing.assert_allclose([f.value for f in frames], expected.ravel(), rtol=1e-12)

    def test_frames_go_row_by_row_and_read_the_window(self):
        image = np.arange(16.0).reshape(4, 4)
        frames = plot.convolution2d_frames(image, np.ones((2, 2)), stride=2)
        assert [f.index for f in frames] == [(0, 0), (0, 1), (1, 0), (1, 1)]
        np.testing.assert_array_equal(frames[1].rows, [0, 1])
        np.testing.assert_array_equal(frames[1].cols, [2, 3])
        np.testing.assert_array_equal(frames[1].inputs, image[0:2, 2:4])

    def test_bad_input(self):
        with pytest.raises(ValueError, match="2-D"):
            plot.convolution2d_frames(np.ones(4), np.ones((2, 2)))


class TestBackwardFrames:
    def test_worked_example(self):
        frames = plot.backward_frames(np.zeros(4), [2.0, -1.0], [1.0, -2.0, 3.0])
        assert [f.grad_x.tolist() for f in frames] == [[2, -1, 0, 0], [2, -5, 2, 0], [2, -5, 8, -3]]

    @pytest.mark.parametrize("stride, dilation, padding",
                             list(itertools.product((1, 2, 3), (1, 2), (0, 1, (2, 1)))))
    def test_last_frame_is_conv1d_backward(self, rng, stride, dilation, padding):
        x, w = rng.standard_normal((1, 1, 10)), rng.standard_normal((1, 1, 3))
        g = rng.standard_normal(convlab.conv1d(x, w, stride=stride, padding=padding, dilation=dilation).shape)
        frames = plot.backward_frames(x[0, 0], w[0, 0], g[0, 0], stride=stride, dilation=dilation, padding=padding)
        grad_x = convlab.conv1d_backward(g, x, w, stride=stride, padding=padding, dilation=dilation)[0]
        np.testing.assert_allclose(frames[-1].grad_x, grad_x[0, 0], rtol=1e-12, atol=1e-12)

    def test_each_frame_is_the_gradient_of_the_outputs_so_far(self, rng):
        x, w = rng.standard_normal((1, 1, 9)), rng.standard_normal((1, 1, 3))
        g = rng.standard_normal((1, 1, 4))
        frames = plot.backward_frames(x[0, 0], w[0, 0], g[0, 0], stride=2)
        for f in frames:
            g_so_far = g.copy()
            g_so_far[..., f.j + 1 :] = 0.0
            expected = convlab.conv1d_backward(g_so_far, x, w, stride=2)[0]
            np.testing.assert_allclose(f.grad_x, expected[0, 0], rtol=1e-12, atol=1e-12)

    def test_stride_one_is_full_convolution_of_g_with_w(self, rng):
        w, g = rng.standard_normal(4), rng.standard_normal(6)
        frames = plot.backward_frames(np.zeros(9), w, g)
        np.testing.assert_allclose(frames[-1].grad_x, np.convolve(g, w), rtol=1e-12)

    @pytest.mark.parametrize("mode", ["reflect", "symmetric", "replicate", "circular"])
    def test_copy_modes_send_pad_gradients_to_their_source(self, rng, mode):
        x, w = rng.standard_normal((1, 1, 7)), rng.standard_normal((1, 1, 3))
        g = rng.standard_normal((1, 1, 5))  # (7 + 2 + 2 - 3) // 2 + 1 outputs
        frames = plot.backward_frames(x[0, 0], w[0, 0], g[0, 0], stride=2, padding=2, padding_mode=mode)
        grad_x = convlab.conv1d_backward(g, x, w, stride=2, padding=2, padding_mode=mode)[0]
        np.testing.assert_allclose(frames[-1].grad_x, grad_x[0, 0], rtol=1e-12, atol=1e-12)

    def test_zero_pads_drop_their_share(self):
        frames = plot.backward_frames(np.zeros(3), [1.0, 1.0, 1.0], [1.0, 1.0, 1.0], padding=1)
        assert frames[0].targets.tolist() == [-1, 0, 1]
        assert frames[-1].grad_x.tolist() == [2.0, 3.0, 2.0]

    def test_wrong_number_of_output_gradients(self):
        with pytest.raises(ValueError, match="g has 2 values but the layer has 3 outputs"):
            plot.backward_frames(np.zeros(4), [1.0, 1.0], [1.0, 2.0])

    def test_statistic_padding_is_refused(self):
        with pytest.raises(ValueError, match="padding_mode='mean'"):
            plot.backward_frames(np.zeros(4), [1.0, 1.0], np.ones(5), padding=1, padding_mode="mean")


class TestAnimations:
    def test_one_frame_per_output(self):
        assert n_frames(plot.animate_convolution(np.arange(4.0), np.array([1.0, -1.0]))) == 4 + 2 - 1

    @pytest.mark.parametrize("stride, dilation, padding", [(2, 1, 0), (1, 2, 0), (2, 2, 1)])
    def test_stride_and_dilation_frames(self, stride, dilation, padding):
        anim = plot.animate_convolution(np.arange(10.0), [1.0, 2.0, -1.0], stride=stride, dilation=dilation,
                                        padding=padding, flip=False)
        assert n_frames(anim) == convlab.output_size(10, 3, stride, padding, dilation)

    def test_2d_frames_and_limit(self):
        anim = plot.animate_convolution2d(np.ones((5, 5)), np.ones((3, 3)), stride=2, padding=1)
        assert n_frames(anim) == 9
        with pytest.raises(ValueError, match="max_frames=36"):
            plot.animate_convolution2d(np.ones((9, 9)), np.ones((2, 2)))

    def test_backward_frames(self):
        assert n_frames(plot.animate_backward(np.zeros(6), [1.0, 2.0, -1.0], [1.0, -1.0], stride=2)) == 2

    @pytest.mark.parametrize("build", [
        lambda: plot.animate_convolution(np.arange(3.0), np.array([1.0, -1.0])),
        lambda: plot.animate_convolution(np.arange(6.0), [1.0, -1.0], stride=2, dilation=2, padding=1, flip=False,
                                         alt='taps "2 apart" & <skips>'),
        lambda: plot.animate_convolution2d(np.eye(3), np.ones((2, 2))),
        lambda: plot.animate_backward(np.zeros(3), [1.0, -1.0], [2.0, 1.0]),
    ], ids=["1d", "1d-stride-dilation", "2d", "backward"])
    def test_html_plays_offline(self, build):
        html = build()._repr_html_()
        assert "new Animation(" in html  # the JavaScript player is there
        assert not re.search(r"https?://", html), "the animation links to something outside the page"
        assert 'class="fa ' not in html  # every icon became plain text
        assert re.search(r'<img id="_anim_img\w+" alt="[^"<>]+">', html), "the player's image has no alt text"

    def test_repr_has_no_address(self):
        anim = plot.animate_convolution([1.0, 2.0], [1.0])
        assert repr(anim) == "<OfflineAnimation: 2 frames>"
        anim.animation._draw_was_started = True


class TestExplore:
    x = np.r_[np.linspace(1.0, 3.0, 6), np.full(5, 0.5)]
    kernels = {"average": np.ones(3) / 3, "difference": np.array([1.0, 0.0, -1.0]), "even": np.array([1.0, 2.0])}

    def expected(self, w, mode, stride):
        n = len(w)
        return layer_reference(self.x, w, stride, 1, ((n - 1) // 2, n - 1 - (n - 1) // 2), mode)

    def test_widget_computes_each_choice(self):
        pytest.importorskip("ipywidgets")
        modes, strides = ("zeros", "replicate", "reflect", "circular"), (1, 2, 3)
        ui = plot.explore_convolution(self.x, self.kernels, padding_modes=modes, strides=strides)
        controls = {c._kwarg: c for c in ui.kwargs_widgets}
        assert set(controls) == {"kernel", "padding_mode", "stride"}
        assert list(controls["kernel"].options) == list(self.kernels)
        for name, mode, stride in itertools.product(self.kernels, modes, strides):
            controls["kernel"].value, controls["padding_mode"].value = name, mode
            controls["stride"].value = stride
            ui.update()
            np.testing.assert_allclose(ui.result, self.expected(self.kernels[name], mode, stride), rtol=1e-12)
        plt.close("all")

    def test_grid_with_one_stride_names_the_modes_only(self):
        fig = plot.convolution_grid(self.x, self.kernels, padding_modes=("zeros", "reflect", "circular"), strides=(1,))
        assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["zeros", "reflect", "circular"]
        plt.close(fig)

    def test_widget_leaves_out_single_choices(self):
        widgets = pytest.importorskip("ipywidgets")
        ui = plot.explore_convolution(self.x, np.ones(3), strides=(2,))
        assert [c._kwarg for c in ui.kwargs_widgets if not isinstance(c, widgets.fixed)] == ["padding_mode"]
        plt.close("all")

    def test_grid_shows_every_choice(self):
        fig = plot.convolution_grid(self.x, self.kernels, padding_modes=("zeros", "circular"), strides=(1, 2))
        panels = [ax for ax in fig.axes if ax.get_visible()]
        assert [ax.get_title() for ax in panels] == ["zeros, stride 1", "zeros, stride 2",
                                                    "circular, stride 1", "circular, stride 2"]
        for ax in panels:
            mode, stride = ax.get_title().split(", stride ")
            outputs = {line.get_label(): line.get_ydata() for line in ax.get_lines()}
            for name, w in self.kernels.items():
                np.testing.assert_allclose(outputs[name], self.expected(w, mode, int(stride)), rtol=1e-12)
        plt.close(fig)


def test_palette_is_okabe_ito_hex():
    assert len(plot.PALETTE) == 8
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in plot.PALETTE.values())
    assert plot.PALETTE["vermillion"] == "#D55E00"


def test_use_style_sets_the_palette_cycle():
    with matplotlib.rc_context():
        plot.use_style()
        colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
        assert colours[0] == plot.PALETTE["blue"]
        assert matplotlib.rcParams["animation.html"] == "jshtml"


def test_named_colour_maps_exist_and_the_sequential_one_is_the_default():
    for name in (plot.SEQUENTIAL_CMAP, plot.DIVERGING_CMAP, plot.DIVERGING_CMAP + "_r"):
        matplotlib.colormaps[name]  # KeyError if matplotlib does not know it
    # Diverging: white in the middle, so 0 reads as "nothing"; the ends differ in lightness.
    middle = matplotlib.colormaps[plot.DIVERGING_CMAP](0.5)[:3]
    assert min(middle) > 0.9
    with matplotlib.rc_context():
        plot.use_style()
        assert matplotlib.rcParams["image.cmap"] == plot.SEQUENTIAL_CMAP
