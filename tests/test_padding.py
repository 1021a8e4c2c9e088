"""convlab.pad against numpy.pad, torch.nn.functional.pad and direct constructions,
and the padding backward (``convlab._padding.pad_plan`` / ``pad_backward``)
against central finite differences and torch autograd.

Every expected value comes from NumPy, PyTorch or an explicit construction in
this file; convlab only ever produces the value under test.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlab
from convlab._padding import pad_backward, pad_plan

# convlab mode -> (numpy.pad mode, extra numpy.pad keywords)
NUMPY_MODES = {
    "zeros": ("constant", {"constant_values": 0.0}),
    "constant": ("constant", {"constant_values": -2.5}),
    "mean": ("mean", {}),
    "median": ("median", {}),
    "reflect": ("reflect", {}),
    "symmetric": ("symmetric", {}),
    "replicate": ("edge", {}),
    "circular": ("wrap", {}),
}
STAT_LENGTHS = [None, 1, 2, 3, (1, 2), (3, 1)]
TORCH_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}
ALL_MODES = list(NUMPY_MODES) + ["first", "last"]


def convlab_kwargs(mode, stat_length=None):
    kwargs = {}
    if mode == "constant":
        kwargs["value"] = -2.5
    if stat_length is not None:
        kwargs["stat_length"] = stat_length
    return kwargs


def numpy_pad(x, pairs, mode, stat_length=None):
    """numpy.pad of the trailing len(pairs) axes, leading axes unpadded."""
    np_mode, kwargs = NUMPY_MODES[mode]
    kwargs = dict(kwargs)
    if stat_length is not None:
        kwargs["stat_length"] = stat_length
    widths = [(0, 0)] * (x.ndim - len(pairs)) + [tuple(p) for p in pairs]
    return np.pad(x, widths, mode=np_mode, **kwargs)


def first_last_pad(x, pairs, mode):
    """Direct construction: every padded value is the first (last) value along the axis.

    Axes are padded one after the other, leading axis first, so corners take the
    first/last value of the already padded array (as numpy.pad does for its modes).
    """
    y = np.asarray(x, dtype=np.float64)
    for axis, (left, right) in zip(range(y.ndim - len(pairs), y.ndim), pairs):
        if left == 0 and right == 0:
            continue
        n = y.shape[axis]
        edge = np.take(y, [0 if mode == "first" else n - 1], axis=axis)
        y = np.concatenate(
            [np.repeat(edge, left, axis=axis), y, np.repeat(edge, right, axis=axis)], axis=axis
        )
    return y


def reference_pad(x, pairs, mode, stat_length=None):
    if mode in ("first", "last"):
        return first_last_pad(x, pairs, mode)
    return numpy_pad(x, pairs, mode, stat_length)


def check_native(xp, y, dtype):
    assert xp.is_native(y), f"output type {type(y)} is not native to {xp.name}"
    assert xp.to_numpy(y).dtype == dtype


class TestPadMatchesNumpy:
    @pytest.mark.parametrize("mode", list(NUMPY_MODES))
    def test_1d_all_widths(self, xp, mode, rng):
        """Lengths 1..5 and every (left, right) pair up to 3x the length (pattern repetition)."""
        for n in range(1, 6):
            x = rng.normal(size=n)
            for left in range(3 * n + 1):
                for right in range(0, 3 * n + 1, 2 if n > 3 else 1):
                    y = convlab.pad(xp.asarray(x), ((left, right),), mode, **convlab_kwargs(mode))
                    expected = numpy_pad(x, [(left, right)], mode)
                    np.testing.assert_allclose(
                        xp.to_numpy(y), expected, rtol=1e-12, atol=1e-12, err_msg=f"n={n} pad=({left}, {right})"
                    )
        check_native(xp, y, np.float64)

    @pytest.mark.parametrize("mode", ["mean", "median"])
    @pytest.mark.parametrize("stat_length", STAT_LENGTHS, ids=str)
    def test_stat_length(self, xp, mode, stat_length, rng):
        for n in (1, 2, 5, 6):
            x = rng.normal(size=(2, n))
            for pair in [(1, 0), (0, 2), (2, 3), (n + 2, 1)]:
                y = convlab.pad(xp.asarray(x), (pair,), mode, stat_length=stat_length)
                np.testing.assert_allclose(
                    xp.to_numpy(y), numpy_pad(x, [pair], mode, stat_length), rtol=1e-12, atol=1e-12
                )

    @pytest.mark.parametrize("mode", list(NUMPY_MODES))
    def test_2d_trailing_axes_batch_channel_unpadded(self, xp, mode, rng):
        x = rng.normal(size=(2, 3, 4, 5))
        pairs = ((1, 3), (6, 2))  # asymmetric, wider than the axis on one side
        y = convlab.pad(xp.asarray(x), pairs, mode, **convlab_kwargs(mode))
        assert tuple(y.shape) == (2, 3, 4 + 4, 5 + 8)
        np.testing.assert_allclose(xp.to_numpy(y), numpy_pad(x, pairs, mode), rtol=1e-12, atol=1e-12)
        check_native(xp, y, np.float64)

    @pytest.mark.parametrize("mode", list(NUMPY_MODES))
    def test_3d_trailing_axes(self, xp, mode, rng):
        x = rng.normal(size=(2, 1, 3, 4, 2))
        pairs = ((0, 2), (3, 1), (2, 5))
        y = convlab.pad(xp.asarray(x), pairs, mode, **convlab_kwargs(mode))
        np.testing.assert_allclose(xp.to_numpy(y), numpy_pad(x, pairs, mode), rtol=1e-12, atol=1e-12)

    @pytest.mark.parametrize("mode", ["mean", "median"])
    def test_2d_stat_length_pair(self, xp, mode, rng):
        x = rng.normal(size=(3, 5, 6))
        pairs = ((2, 1), (1, 3))
        y = convlab.pad(xp.asarray(x), pairs, mode, stat_length=(2, 3))
        np.testing.assert_allclose(xp.to_numpy(y), numpy_pad(x, pairs, mode, (2, 3)), rtol=1e-12, atol=1e-12)

    @pytest.mark.parametrize("mode", list(NUMPY_MODES))
    def test_length_one_signal(self, xp, mode):
        x = np.array([[4.0]])
        y = convlab.pad(xp.asarray(x), ((0, 0), (3, 2)), mode, **convlab_kwargs(mode))
        np.testing.assert_array_equal(xp.to_numpy(y), numpy_pad(x, [(0, 0), (3, 2)], mode))

    def test_int_pad_width_pads_every_axis(self, xp, rng):
        x = rng.normal(size=(3, 4))
        y = convlab.pad(xp.asarray(x), 2, "reflect")
        np.testing.assert_array_equal(xp.to_numpy(y), np.pad(x, 2, mode="reflect"))

    def test_int_pad_width_with_ndim_pads_trailing_axes(self, xp, rng):
        x = rng.normal(size=(2, 3, 4))
        y = convlab.pad(xp.asarray(x), (1, 2), "circular", ndim=1)
        np.testing.assert_array_equal(xp.to_numpy(y), np.pad(x, ((0, 0), (0, 0), (1, 2)), mode="wrap"))

    def test_zero_width_is_identity(self, xp, rng):
        x = rng.normal(size=(2, 5))
        y = convlab.pad(xp.asarray(x), ((0, 0),), "reflect")
        np.testing.assert_array_equal(xp.to_numpy(y), x)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    data=st.data(),
    n=st.integers(1, 7),
    mode=st.sampled_from(list(NUMPY_MODES)),
    batch=st.integers(1, 2),
)
def test_pad_matches_numpy_pad_hypothesis(data, n, mode, batch):
    m = data.draw(st.integers(1, 4), label="second axis length")
    left = data.draw(st.integers(0, 3 * n), label="left")
    right = data.draw(st.integers(0, 3 * n), label="right")
    top = data.draw(st.integers(0, 3 * m), label="top")
    bottom = data.draw(st.integers(0, 3 * m), label="bottom")
    stat_length = None
    if mode in ("mean", "median"):
        stat_length = data.draw(
            st.one_of(st.none(), st.integers(1, 8), st.tuples(st.integers(1, 8), st.integers(1, 8))),
            label="stat_length",
        )
    values = np.random.default_rng(n * 100 + m).normal(size=(batch, m, n))
    pairs = ((top, bottom), (left, right))
    y = convlab.pad(values, pairs, mode, **convlab_kwargs(mode, stat_length))
    np.testing.assert_allclose(y, numpy_pad(values, pairs, mode, stat_length), rtol=1e-12, atol=1e-12)


class TestPadMatchesTorch:
    @pytest.mark.parametrize("mode", list(TORCH_MODES))
    @pytest.mark.parametrize("spatial", [(7,), (5, 6), (4, 5, 3)], ids=["1d", "2d", "3d"])
    def test_matches_torch_pad(self, xp, mode, spatial, rng):
        torch = pytest.importorskip("torch")
        F = torch.nn.functional
        x = rng.normal(size=(2, 3) + spatial)
        # torch limits: reflect pad < length, circular pad <= length.
        pairs = []
        for i, n in enumerate(spatial):
            widest = n - 1 if mode == "reflect" else n
            pairs.append((widest, (i + 1) % (widest + 1)))
        flat = [w for pair in reversed(pairs) for w in pair]  # torch: last axis first
        kwargs = {"value": -2.5} if mode == "constant" else {}
        expected = F.pad(torch.from_numpy(x), flat, mode=TORCH_MODES[mode], **kwargs).numpy()
        y = convlab.pad(xp.asarray(x), tuple(pairs), mode, **convlab_kwargs(mode))
        np.testing.assert_allclose(xp.to_numpy(y), expected, rtol=1e-12, atol=1e-12)
        check_native(xp, y, np.float64)


class TestFirstLast:
    @pytest.mark.parametrize("mode", ["first", "last"])
    def test_1d_direct_construction(self, xp, mode):
        x = np.array([3.0, -1.0, 2.0, 7.0])
        y = convlab.pad(xp.asarray(x), ((2, 3),), mode)
        edge = 3.0 if mode == "first" else 7.0
        expected = np.array([edge, edge, 3.0, -1.0, 2.0, 7.0, edge, edge, edge])
        np.testing.assert_array_equal(xp.to_numpy(y), expected)
        check_native(xp, y, np.float64)

    @pytest.mark.parametrize("mode", ["first", "last"])
    def test_2d_with_batch(self, xp, mode, rng):
        x = rng.normal(size=(2, 3, 4, 5))
        pairs = ((2, 1), (0, 6))
        y = convlab.pad(xp.asarray(x), pairs, mode)
        np.testing.assert_array_equal(xp.to_numpy(y), first_last_pad(x, pairs, mode))

    def test_first_differs_from_last(self):
        y_first = convlab.pad(np.array([1.0, 2.0]), ((1, 1),), "first")
        y_last = convlab.pad(np.array([1.0, 2.0]), ((1, 1),), "last")
        np.testing.assert_array_equal(y_first, [1.0, 1.0, 2.0, 1.0])
        np.testing.assert_array_equal(y_last, [2.0, 1.0, 2.0, 2.0])


class TestPadDtype:
    @pytest.mark.parametrize("mode", ALL_MODES)
    def test_float32_stays_float32(self, xp, mode, rng):
        x = rng.normal(size=(2, 5)).astype(np.float32)
        y = convlab.pad(xp.asarray(x), ((1, 2),), mode, **convlab_kwargs(mode))
        check_native(xp, y, np.float32)
        expected = reference_pad(x.astype(np.float64), [(1, 2)], mode)
        np.testing.assert_allclose(xp.to_numpy(y), expected, rtol=1e-6, atol=1e-6)

    @pytest.mark.parametrize("mode", ALL_MODES)
    def test_integer_input_gives_float64(self, xp, mode):
        x = np.array([[1, 4, 2, 8, 5]], dtype=np.int64)
        y = convlab.pad(xp.asarray(x), ((2, 3),), mode, **convlab_kwargs(mode))
        check_native(xp, y, np.float64)
        # numpy.pad would round mean/median to int; convlab computes in float64.
        expected = reference_pad(x.astype(np.float64), [(2, 3)], mode)
        np.testing.assert_allclose(xp.to_numpy(y), expected, rtol=1e-12)

    def test_list_input(self):
        y = convlab.pad([1, 2, 3], 2, "symmetric")
        assert isinstance(y, np.ndarray) and y.dtype == np.float64
        np.testing.assert_array_equal(y, [2.0, 1.0, 1.0, 2.0, 3.0, 3.0, 2.0])


# ---------------------------------------------------------------- backward


def central_differences(forward, x, g, eps=1e-6):
    """d/dx sum(forward(x) * g) by central differences in float64."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        plus = np.sum(forward(x) * g)
        x[idx] = old - eps
        minus = np.sum(forward(x) * g)
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * eps)
    return grad


def analytic_pad_grad(xp, x, pairs, mode, g, stat_length=(None, None)):
    value = -2.5 if mode == "constant" else 0.0
    y, plans = pad_plan(xp.ns, xp.asarray(x), pairs, mode, value, stat_length)
    assert tuple(y.shape) == g.shape
    grad = pad_backward(xp.ns, xp.asarray(g), plans)
    assert xp.is_native(grad)
    return xp.to_numpy(grad)


class TestPadBackward:
    @pytest.mark.parametrize("mode", ALL_MODES)
    @pytest.mark.parametrize(
        "shape, pairs",
        [((6,), ((2, 9),)), ((1,), ((2, 3),)), ((2, 4, 5), ((3, 1), (2, 6))), ((1, 3, 2, 3), ((1, 0), (0, 2), (4, 1)))],
        ids=["1d", "1d-len1", "2d", "3d"],
    )
    def test_matches_finite_differences(self, xp, mode, shape, pairs, rng):
        x = rng.normal(size=shape)  # continuous values: no ties for the median
        y_ref = reference_pad(x, pairs, mode)
        g = rng.normal(size=y_ref.shape)
        expected = central_differences(lambda v: reference_pad(v, pairs, mode), x, g)
        got = analytic_pad_grad(xp, x, pairs, mode, g)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)

    @pytest.mark.parametrize("mode", ["mean", "median"])
    @pytest.mark.parametrize("stat_length", [(2, 2), (3, 1), (4, 7)], ids=str)
    def test_stat_length_matches_finite_differences(self, xp, mode, stat_length, rng):
        x = rng.normal(size=(2, 7))
        pairs = ((3, 2),)
        g = rng.normal(size=(2, 12))
        expected = central_differences(lambda v: numpy_pad(v, pairs, mode, stat_length), x, g)
        got = analytic_pad_grad(xp, x, pairs, mode, g, stat_length)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)

    @pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
    @pytest.mark.parametrize("spatial", [(6,), (4, 5), (3, 4, 4)], ids=["1d", "2d", "3d"])
    def test_matches_torch_autograd(self, xp, mode, spatial, rng):
        torch = pytest.importorskip("torch")
        x = rng.normal(size=(2, 2) + spatial)
        pairs = tuple((n - 1, max(n - 3, 0)) for n in spatial)  # within torch's reflect limit
        flat = [w for pair in reversed(pairs) for w in pair]
        xt = torch.from_numpy(x).requires_grad_(True)
        yt = torch.nn.functional.pad(xt, flat, mode=mode)
        g = rng.normal(size=tuple(yt.shape))
        (yt * torch.from_numpy(g)).sum().backward()
        got = analytic_pad_grad(xp, x, pairs, mode, g)
        np.testing.assert_allclose(got, xt.grad.numpy(), rtol=1e-12, atol=1e-12)

    def test_constant_sends_nothing_back_from_border(self, xp):
        x = np.arange(4.0)
        g = np.array([10.0, 20.0, 1.0, 2.0, 3.0, 4.0, 30.0])
        got = analytic_pad_grad(xp, x, ((2, 1),), "zeros", g)
        np.testing.assert_array_equal(got, [1.0, 2.0, 3.0, 4.0])


# ---------------------------------------------------------------- errors


class TestPadErrors:
    def test_unknown_mode(self, xp):
        with pytest.raises(ValueError, match="mode"):
            convlab.pad(xp.asarray(np.ones(4)), 1, "mirror")

    @pytest.mark.parametrize("mode, ours", [("edge", "replicate"), ("wrap", "circular")])
    def test_numpy_mode_name_hints(self, mode, ours):
        with pytest.raises(ValueError, match=ours):
            convlab.pad(np.ones(4), 1, mode)

    @pytest.mark.parametrize("pad_width", [-1, ((-1, 2),), ((1, -3),)], ids=str)
    def test_negative_width(self, xp, pad_width):
        with pytest.raises(ValueError, match="pad_width"):
            convlab.pad(xp.asarray(np.ones(4)), pad_width, "zeros")

    def test_too_many_pairs(self, xp):
        with pytest.raises(ValueError, match="pad_width"):
            convlab.pad(xp.asarray(np.ones((3, 4))), ((1, 1), (1, 1), (1, 1)), "zeros")

    def test_pair_of_wrong_length(self):
        with pytest.raises(ValueError, match="pad_width"):
            convlab.pad(np.ones(4), ((1, 1, 1),), "zeros")

    @pytest.mark.parametrize("mode", ["zeros", "reflect", "mean", "circular"])
    def test_empty_axis(self, xp, mode):
        with pytest.raises(ValueError, match="empty"):
            convlab.pad(xp.asarray(np.ones((2, 0))), ((1, 1),), mode)

    @pytest.mark.parametrize("mode", ["mean", "median"])
    @pytest.mark.parametrize("x", [[np.nan, 1.0, 2.0, np.nan], [np.inf, 1.0, -np.inf], [1.0, np.inf, 2.0]])
    def test_non_finite_statistic_as_numpy(self, xp, mode, x):
        """A statistic over NaN or +-inf is what numpy.pad makes of it, not a refusal."""
        x = np.array(x)
        y = xp.to_numpy(convlab.pad(xp.asarray(x), ((1, 2),), mode))
        np.testing.assert_array_equal(y, np.pad(x, ((1, 2),), mode))

    @pytest.mark.parametrize("mode", ["first", "last"])
    def test_nan_first_or_last_is_copied(self, xp, mode):
        x = np.array([np.nan, 1.0, 2.0, np.nan])
        y = xp.to_numpy(convlab.pad(xp.asarray(x), ((1, 1),), mode))
        np.testing.assert_array_equal(y, [np.nan, np.nan, 1.0, 2.0, np.nan, np.nan])

    @pytest.mark.parametrize(
        "mode, x, pair, stat_length",
        [
            ("last", [np.nan, 1.0, 2.0, 3.0], (0, 1), None),
            ("first", [1.0, 2.0, np.nan], (1, 0), None),
            ("mean", [1.0, 2.0, np.nan, 4.0], (0, 1), 1),
            ("median", [np.nan, 2.0, 3.0], (0, 2), 2),
            ("last", [np.inf, 1.0, 2.0], (0, 1), None),
            ("first", [1.0, 2.0, -np.inf], (1, 1), None),
            ("mean", [1.0, 2.0, np.inf, 4.0], (1, 1), 1),
            ("mean", [1.0, 2.0, np.inf], (0, 2), None),
        ],
    )
    def test_nan_or_inf_outside_the_statistic_is_not_refused(self, mode, x, pair, stat_length):
        """NaN is refused only where the statistic uses it; Inf is never NaN.

        numpy.pad ignores values outside the statistic's window (first/last: one value;
        mean/median with stat_length: the window), so they must not turn the border NaN.
        """
        x = np.array(x)
        kwargs = {} if stat_length is None else {"stat_length": stat_length}
        y = convlab.pad(x, (pair,), mode, **kwargs)
        np.testing.assert_array_equal(y, reference_pad(x, [pair], mode, stat_length))

    @pytest.mark.parametrize("value", ["a", True, [1.0]], ids=repr)
    def test_non_numeric_value(self, value):
        with pytest.raises(TypeError, match="value"):
            convlab.pad(np.ones(4), 1, "constant", value=value)

    def test_constant_without_value_pads_zeros(self):
        np.testing.assert_array_equal(convlab.pad(np.ones(2), 1, "constant"), [0.0, 1.0, 1.0, 0.0])

    @pytest.mark.parametrize("mode", ["zeros", "reflect", "mean", "first"])
    def test_value_with_other_mode_is_refused(self, mode):
        with pytest.raises(ValueError, match="value=2.0 is only used by mode='constant'"):
            convlab.pad(np.ones(4), 1, mode, value=2.0)

    @pytest.mark.parametrize("mode", ["zeros", "constant", "reflect", "first", "last"])
    def test_stat_length_with_other_mode_is_refused(self, mode):
        with pytest.raises(ValueError, match="stat_length=2 is only used by mode='mean' or 'median'"):
            convlab.pad(np.ones(4), 1, mode, stat_length=2)

    def test_nan_in_copy_mode_is_copied(self):
        """NaN is only refused where a statistic is taken; copy modes copy it."""
        y = convlab.pad(np.array([np.nan, 1.0, 2.0]), ((1, 0),), "replicate")
        np.testing.assert_array_equal(y, [np.nan, np.nan, 1.0, 2.0])
