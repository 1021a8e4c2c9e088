"""conv1d / conv2d / conv3d against naive loops, PyTorch and the shape formula.

Every expected value comes from ``tests/reference.py`` (explicit loops),
``numpy.pad`` or ``torch.nn.functional``; none is produced by convlab.
"""

from __future__ import annotations

import numpy as np
import pytest

import convlab
from helpers import check, make, to_xp
from reference import (
    PADDING_MODES,
    conv_nd_naive,
    pad_matrix,
    pad_naive,
    padding_pairs_naive,
)

CONV = {1: convlab.conv1d, 2: convlab.conv2d, 3: convlab.conv3d}
TORCH_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def torch_conv(x, w, b, nd, stride, pairs, dilation, groups, padding_mode):
    """PyTorch's result for an explicit (left, right) padding, through F.pad."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    xt = torch.from_numpy(x)
    flat = [p for pair in reversed(pairs) for p in pair]  # F.pad: last axis first
    if any(flat):
        mode = TORCH_MODE[padding_mode]
        xt = F.pad(xt, flat, mode=mode) if mode != "constant" else F.pad(xt, flat)
    fn = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]
    bt = None if b is None else torch.from_numpy(b)
    return fn(xt, torch.from_numpy(w), bt, stride=stride, dilation=dilation, groups=groups).numpy()


# --------------------------------------------------------------------------- reference sanity
class TestReference:
    """The loops in reference.py agree with numpy.pad and PyTorch (no convlab involved)."""

    @pytest.mark.parametrize("mode", PADDING_MODES)
    def test_pad_matrix_matches_pad_naive(self, rng, mode):
        v = rng.standard_normal(5)
        expected = pad_naive(v[None], ((3, 2),), mode)[0]
        np.testing.assert_allclose(pad_matrix(v, 3, 2, mode) @ v, expected, rtol=1e-15, atol=1e-15)

    def test_first_last_by_hand(self):
        v = np.array([[1.0, 2.0, 3.0]])
        np.testing.assert_array_equal(pad_naive(v, ((2, 1),), "first"), [[1, 1, 1, 2, 3, 1]])
        np.testing.assert_array_equal(pad_naive(v, ((2, 1),), "last"), [[3, 3, 1, 2, 3, 3]])

    @pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
    def test_naive_matches_torch(self, rng, mode):
        x, w, b = make(rng, 2, groups=2)
        pairs = ((1, 2), (2, 0))
        kw = dict(stride=(2, 1), dilation=(1, 2), groups=2)
        expected = torch_conv(x, w, b, 2, kw["stride"], pairs, kw["dilation"], 2, mode)
        got = conv_nd_naive(x, w, b, padding=pairs, padding_mode=mode, **kw)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- the cases
# (id, nd, make() overrides, conv keywords)
CASES = [
    ("1d-default", 1, {}, {}),
    ("1d-stride2", 1, {}, dict(stride=2)),
    ("1d-stride3-pad1", 1, {}, dict(stride=3, padding=1)),
    ("1d-pad2", 1, {}, dict(padding=2)),
    ("1d-pad-tuple", 1, {}, dict(padding=(1,))),
    ("1d-pad-pair", 1, {}, dict(padding=((2, 0),))),
    ("1d-pad-pair-right-stride2", 1, {}, dict(padding=((0, 3),), stride=2)),
    ("1d-valid", 1, {}, dict(padding="valid")),
    ("1d-same-odd", 1, {}, dict(padding="same")),
    ("1d-same-even", 1, dict(kernel=(4,)), dict(padding="same")),
    ("1d-same-even-dil2", 1, dict(kernel=(4,)), dict(padding="same", dilation=2)),
    ("1d-same-odd-dil3", 1, {}, dict(padding="same", dilation=3)),
    ("1d-same-k1", 1, dict(kernel=(1,)), dict(padding="same")),
    ("1d-dil2", 1, {}, dict(dilation=2)),
    ("1d-dil3-stride2-pad2", 1, {}, dict(dilation=3, stride=2, padding=2)),
    ("1d-groups2", 1, dict(groups=2), dict(groups=2)),
    ("1d-depthwise", 1, dict(groups=4, c_out=8), dict(groups=4)),
    ("1d-nobias", 1, dict(bias=False), {}),
    ("1d-k-equals-L", 1, dict(spatial=(5,), kernel=(5,)), {}),
    ("1d-tail-unused", 1, dict(spatial=(10,)), dict(stride=4)),
    ("2d-default", 2, {}, {}),
    ("2d-stride-per-axis", 2, {}, dict(stride=(2, 1))),
    ("2d-pad-per-axis", 2, {}, dict(padding=(2, 1))),
    ("2d-pad-pairs", 2, {}, dict(padding=((1, 2), (0, 3)))),
    ("2d-valid", 2, {}, dict(padding="valid")),
    ("2d-same-odd-even", 2, {}, dict(padding="same")),
    ("2d-same-dilated", 2, dict(kernel=(2, 3)), dict(padding="same", dilation=(3, 2))),
    ("2d-dil-per-axis", 2, {}, dict(dilation=(2, 1), padding=1)),
    ("2d-all", 2, dict(groups=2), dict(stride=(2, 3), padding=((1, 0), (2, 2)), dilation=(1, 2), groups=2)),
    ("2d-nobias-groups2", 2, dict(groups=2, bias=False), dict(groups=2, stride=2)),
    ("3d-default", 3, {}, {}),
    ("3d-stride-pad", 3, {}, dict(stride=2, padding=1)),
    ("3d-pairs", 3, {}, dict(padding=((1, 0), (0, 1), (2, 1)))),
    ("3d-same", 3, {}, dict(padding="same")),
    ("3d-dil-groups", 3, dict(groups=2, c_out=4), dict(dilation=(1, 2, 1), groups=2, padding=1)),
]


@pytest.mark.parametrize("nd, overrides, kw", [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_matches_naive(xp, rng, nd, overrides, kw):
    x, w, b = make(rng, nd, **overrides)
    expected = conv_nd_naive(x, w, b, **kw)
    out = CONV[nd](*to_xp(xp, x, w, b), **kw)
    check(xp, out, expected)


@pytest.mark.parametrize("nd, overrides, kw", [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_matches_torch(rng, nd, overrides, kw):
    x, w, b = make(rng, nd, **overrides)
    stride = kw.get("stride", 1)
    dilation = kw.get("dilation", 1)
    pairs = padding_pairs_naive(kw.get("padding", 0), w.shape[2:], dilation, stride)
    expected = torch_conv(x, w, b, nd, stride, pairs, dilation, kw.get("groups", 1), "zeros")
    np.testing.assert_allclose(CONV[nd](x, w, b, **kw), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("kernel, dilation", [(3, 1), (4, 1), (4, 2), (2, 3), (5, 2)])
def test_same_matches_torch_same(rng, kernel, dilation):
    """PyTorch's own padding='same' (extra element on the right for an even span)."""
    torch = pytest.importorskip("torch")
    x, w, b = make(rng, 1, kernel=(kernel,))
    expected = torch.nn.functional.conv1d(
        torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), padding="same", dilation=dilation
    ).numpy()
    out = convlab.conv1d(x, w, b, padding="same", dilation=dilation)
    assert out.shape[-1] == x.shape[-1]
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- padding modes
MODE_CASES = [
    ("1d-pad2", 1, {}, dict(padding=2)),
    ("1d-pairs-stride2", 1, {}, dict(padding=((1, 3),), stride=2)),
    ("1d-same-even-dil2", 1, dict(kernel=(4,)), dict(padding="same", dilation=2)),
    ("2d-pairs", 2, {}, dict(padding=((1, 2), (2, 0)))),
    ("2d-groups-dil", 2, dict(groups=2), dict(padding=(2, 1), dilation=(2, 1), groups=2, stride=(1, 2))),
    ("3d-pad1", 3, {}, dict(padding=1)),
]


@pytest.mark.parametrize("mode", PADDING_MODES)
@pytest.mark.parametrize("nd, overrides, kw", [pytest.param(*c[1:], id=c[0]) for c in MODE_CASES])
def test_padding_mode_matches_naive(xp, rng, mode, nd, overrides, kw):
    x, w, b = make(rng, nd, **overrides)
    expected = conv_nd_naive(x, w, b, padding_mode=mode, **kw)
    out = CONV[nd](*to_xp(xp, x, w, b), padding_mode=mode, **kw)
    check(xp, out, expected)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("nd, overrides, kw", [pytest.param(*c[1:], id=c[0]) for c in MODE_CASES])
def test_padding_mode_matches_torch(rng, mode, nd, overrides, kw):
    x, w, b = make(rng, nd, **overrides)
    stride = kw.get("stride", 1)
    dilation = kw.get("dilation", 1)
    pairs = padding_pairs_naive(kw.get("padding", 0), w.shape[2:], dilation, stride)
    expected = torch_conv(x, w, b, nd, stride, pairs, dilation, kw.get("groups", 1), mode)
    np.testing.assert_allclose(CONV[nd](x, w, b, padding_mode=mode, **kw), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["symmetric", "mean", "median"])
def test_numpy_pad_modes_match_numpy_pad(rng, mode):
    """symmetric / mean / median equal numpy.pad followed by an unpadded convolution."""
    x, w, b = make(rng, 2)
    pairs = ((2, 1), (1, 2))
    xpad = np.pad(x, ((0, 0), (0, 0)) + pairs, mode=mode)
    expected = conv_nd_naive(xpad, w, b)
    np.testing.assert_allclose(
        convlab.conv2d(x, w, b, padding=pairs, padding_mode=mode), expected, rtol=1e-12, atol=1e-12
    )


def test_first_last_by_hand():
    """A kernel picking one tap shows the padded signal itself: 1 2 3 -> first: 1 1 | 1 2 3 | 1 1."""
    x = np.array([[[1.0, 2.0, 3.0]]])
    w = np.array([[[1.0]]])
    np.testing.assert_array_equal(convlab.conv1d(x, w, padding=2, padding_mode="first")[0, 0], [1, 1, 1, 2, 3, 1, 1])
    np.testing.assert_array_equal(convlab.conv1d(x, w, padding=2, padding_mode="last")[0, 0], [3, 3, 1, 2, 3, 3, 3])
    np.testing.assert_array_equal(convlab.conv1d(x, w, padding=2, padding_mode="reflect")[0, 0], [3, 2, 1, 2, 3, 2, 1])
    np.testing.assert_array_equal(
        convlab.conv1d(x, w, padding=2, padding_mode="symmetric")[0, 0], [2, 1, 1, 2, 3, 3, 2]
    )


def test_reflect_at_limit(rng):
    """reflect padding of length - 1 is the widest PyTorch allows; circular may equal the length."""
    x, w, b = make(rng, 1, spatial=(4,))
    for mode, p in (("reflect", 3), ("circular", 4), ("symmetric", 4), ("replicate", 6)):
        expected = conv_nd_naive(x, w, b, padding=p, padding_mode=mode)
        np.testing.assert_allclose(convlab.conv1d(x, w, b, padding=p, padding_mode=mode), expected, rtol=1e-12)


# --------------------------------------------------------------------------- dtypes and backends
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_float32_stays_float32(xp, rng, nd):
    x, w, b = (a.astype(np.float32) for a in make(rng, nd))
    expected = conv_nd_naive(x, w, b, padding=1, stride=2)
    out = CONV[nd](*to_xp(xp, x, w, b), padding=1, stride=2)
    check(xp, out, expected, dtype=np.float32, tol=1e-5)


@pytest.mark.parametrize("mode", ["reflect", "mean", "median"])
def test_float32_stays_float32_with_padding_mode(xp, rng, mode):
    x, w, b = (a.astype(np.float32) for a in make(rng, 2))
    expected = conv_nd_naive(x, w, b, padding=1, padding_mode=mode)
    out = convlab.conv2d(*to_xp(xp, x, w, b), padding=1, padding_mode=mode)
    check(xp, out, expected, dtype=np.float32, tol=1e-5)


def test_float32_meets_float64_gives_float64(xp, rng):
    x, w, b = make(rng, 1)
    out = convlab.conv1d(*to_xp(xp, x.astype(np.float32), w, b))
    check(xp, out, conv_nd_naive(x.astype(np.float32), w, b), dtype=np.float64)


def test_integer_input_computed_in_float64(xp, rng):
    x = rng.integers(-5, 6, size=(2, 2, 9))
    w = rng.integers(-3, 4, size=(3, 2, 3))
    expected = conv_nd_naive(x, w, None, padding=1)
    out = convlab.conv1d(*to_xp(xp, x, w), padding=1)
    check(xp, out, expected, dtype=np.float64, tol=0)


def test_bool_input_computed_in_float64(xp):
    x = np.array([[[True, False, True, True]]])
    w = np.array([[[True, True]]])
    out = convlab.conv1d(*to_xp(xp, x, w))
    check(xp, out, np.array([[[1.0, 1.0, 2.0]]]), dtype=np.float64, tol=0)


def test_large_integer_values_not_wrapped(xp):
    """int8 input must not overflow: 100 * 100 * 3 is far beyond int8's range."""
    x = np.full((1, 1, 3), 100, dtype=np.int8)
    w = np.full((1, 1, 3), 100, dtype=np.int8)
    out = convlab.conv1d(*to_xp(xp, x, w))
    check(xp, out, np.array([[[30000.0]]]), dtype=np.float64, tol=0)


def test_hand_worked_example():
    """x = 1 2 3 4, w = 1 0 -1 (cross-correlation, no flip): y = x[i] - x[i+2] = -2 -2."""
    y = convlab.conv1d(np.array([[[1.0, 2.0, 3.0, 4.0]]]), np.array([[[1.0, 0.0, -1.0]]]), np.array([10.0]))
    np.testing.assert_array_equal(y, [[[8.0, 8.0]]])


def test_single_channel_matches_numpy_correlate(rng):
    x = rng.standard_normal(20)
    w = rng.standard_normal(5)
    out = convlab.conv1d(x[None, None], w[None, None])[0, 0]
    np.testing.assert_allclose(out, np.correlate(x, w, mode="valid"), rtol=1e-12, atol=1e-12)


def test_2d_single_channel_matches_scipy(rng):
    signal = pytest.importorskip("scipy.signal")
    x = rng.standard_normal((9, 8))
    w = rng.standard_normal((3, 4))
    out = convlab.conv2d(x[None, None], w[None, None])[0, 0]
    np.testing.assert_allclose(out, signal.correlate2d(x, w, mode="valid"), rtol=1e-12, atol=1e-12)


def test_input_not_modified(xp, rng):
    x, w, b = make(rng, 2)
    xs, ws, bs = to_xp(xp, x, w, b)
    convlab.conv2d(xs, ws, bs, padding=2, padding_mode="reflect", stride=2)
    np.testing.assert_array_equal(xp.to_numpy(xs), x)
    np.testing.assert_array_equal(xp.to_numpy(ws), w)
    np.testing.assert_array_equal(xp.to_numpy(bs), b)


def test_non_contiguous_input(rng):
    x, w, b = make(rng, 2, spatial=(14, 6))
    xs = x[:, :, ::2, :]  # a strided view
    ws = np.asfortranarray(w)
    np.testing.assert_allclose(convlab.conv2d(xs, ws, b, padding=1), conv_nd_naive(xs, w, b, padding=1), rtol=1e-12)


def test_batch_of_one_and_single_output_position(xp, rng):
    x, w, b = make(rng, 2, n=1, spatial=(3, 2), kernel=(3, 2))
    out = convlab.conv2d(*to_xp(xp, x, w, b))
    check(xp, out, conv_nd_naive(x, w, b))
    assert out.shape == (1, 6, 1, 1)


# --------------------------------------------------------------------------- shapes
@pytest.mark.parametrize("nd, overrides, kw", [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_output_shape_equals_output_size(rng, nd, overrides, kw):
    x, w, b = make(rng, nd, **overrides)
    size = convlab.output_size(
        x.shape[2:], w.shape[2:], kw.get("stride", 1), kw.get("padding", 0), kw.get("dilation", 1)
    )
    assert isinstance(size, tuple) and len(size) == nd
    assert CONV[nd](x, w, b, **kw).shape == (x.shape[0], w.shape[0]) + size


@pytest.mark.parametrize(
    "L, k, s, p, d",
    [(10, 3, 1, 0, 1), (10, 3, 2, 1, 1), (10, 4, 3, 2, 2), (7, 7, 1, 0, 1), (5, 2, 5, 0, 1), (9, 3, 2, (1, 2), 3)],
)
def test_output_size_formula(L, k, s, p, d):
    pl, pr = (p, p) if isinstance(p, int) else p
    expected = (L + pl + pr - d * (k - 1) - 1) // s + 1
    got = convlab.output_size(L, k, s, p if isinstance(p, int) else (p,), d)
    assert got == expected
    assert isinstance(got, int)


def test_output_size_matches_torch():
    torch = pytest.importorskip("torch")
    for L, k, s, p, d in [(13, 3, 2, 1, 1), (13, 4, 3, 0, 2), (8, 2, 1, 3, 3), (20, 5, 4, 2, 1)]:
        expected = torch.nn.functional.conv1d(
            torch.zeros(1, 1, L), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d
        ).shape[-1]
        assert convlab.output_size(L, k, s, p, d) == expected


def test_output_size_tuples_and_strings():
    assert convlab.output_size((7, 6), (3, 2), (2, 1), (1, 0), (1, 2)) == (4, 4)
    assert convlab.output_size((7, 6), (3, 2), 1, ((0, 2), (1, 1)), 1) == (7, 7)
    assert convlab.output_size((7, 6), (3, 4), 1, "valid", 1) == (5, 3)
    assert convlab.output_size((7, 6), (3, 4), 1, "same", 2) == (7, 6)
    assert convlab.output_size(9, 4, 1, "same", 1) == 9


@pytest.mark.parametrize(
    "k, d, expected", [(1, 1, (0, 0)), (3, 1, (1, 1)), (4, 1, (1, 2)), (2, 1, (0, 1)), (4, 2, (3, 3)), (2, 3, (1, 2))]
)
def test_same_padding(k, d, expected):
    assert tuple(convlab.same_padding(k, d)) == expected


def test_same_padding_tuple():
    got = convlab.same_padding((3, 4), (1, 1))
    assert tuple(map(tuple, got)) == ((1, 1), (1, 2))


# --------------------------------------------------------------------------- 1-D, 2-D, 3-D agree
@pytest.mark.parametrize("mode", PADDING_MODES)
def test_conv2d_with_unit_axis_equals_conv1d(xp, rng, mode):
    x, w, b = make(rng, 1, groups=2)
    kw = dict(stride=2, dilation=2, groups=2)
    one = convlab.conv1d(*to_xp(xp, x, w, b), padding=((1, 2),), padding_mode=mode, **kw)
    two = convlab.conv2d(
        *to_xp(xp, x[:, :, None, :], w[:, :, None, :], b), padding=((0, 0), (1, 2)), padding_mode=mode,
        stride=(1, 2), dilation=(1, 2), groups=2,
    )
    expected = conv_nd_naive(x, w, b, padding=((1, 2),), padding_mode=mode, **kw)
    check(xp, one, expected)
    check(xp, two, expected[:, :, None, :])


def test_conv3d_with_unit_axes_equals_conv2d(xp, rng):
    x, w, b = make(rng, 2)
    two = convlab.conv2d(*to_xp(xp, x, w, b), padding=(1, 2), stride=(2, 1))
    three = convlab.conv3d(*to_xp(xp, x[:, :, None], w[:, :, None], b), padding=(0, 1, 2), stride=(3, 2, 1))
    np.testing.assert_allclose(xp.to_numpy(three)[:, :, 0], xp.to_numpy(two), rtol=1e-12, atol=1e-12)
    assert three.shape[2] == 1


def test_separable_kernel_is_two_1d_passes(rng):
    """A rank-one 2-D kernel u v^T equals a 1-D pass along rows then along columns."""
    x = rng.standard_normal((1, 1, 8, 9))
    u, v = rng.standard_normal(3), rng.standard_normal(4)
    full = convlab.conv2d(x, np.outer(u, v)[None, None])
    rows = convlab.conv2d(x, v[None, None, None, :])
    both = convlab.conv2d(rows, u[None, None, :, None])
    np.testing.assert_allclose(full, both, rtol=1e-12, atol=1e-12)


def test_linearity_in_x_and_w(rng):
    x1, w1, _ = make(rng, 2, bias=False)
    x2, w2, _ = make(rng, 2, bias=False)
    kw = dict(padding=1, stride=2, padding_mode="reflect")
    np.testing.assert_allclose(
        convlab.conv2d(2 * x1 - 3 * x2, w1, **kw),
        2 * convlab.conv2d(x1, w1, **kw) - 3 * convlab.conv2d(x2, w1, **kw),
        rtol=1e-10, atol=1e-10,
    )
    np.testing.assert_allclose(
        convlab.conv2d(x1, w1 + w2, **kw), convlab.conv2d(x1, w1, **kw) + convlab.conv2d(x1, w2, **kw),
        rtol=1e-10, atol=1e-10,
    )


def test_translation_equivariance_circular(rng):
    """With circular padding and stride 1, shifting x shifts the output."""
    x, w, b = make(rng, 1)
    k = w.shape[-1]
    y = convlab.conv1d(x, w, b, padding=((0, k - 1),), padding_mode="circular")
    ys = convlab.conv1d(np.roll(x, 3, axis=-1), w, b, padding=((0, k - 1),), padding_mode="circular")
    np.testing.assert_allclose(ys, np.roll(y, 3, axis=-1), rtol=1e-12, atol=1e-12)


def test_groups_equal_separate_convolutions(rng):
    x, w, b = make(rng, 2, groups=2)
    out = convlab.conv2d(x, w, b, groups=2, padding=1)
    lo = convlab.conv2d(x[:, :2], w[:3], b[:3], padding=1)
    hi = convlab.conv2d(x[:, 2:], w[3:], b[3:], padding=1)
    np.testing.assert_allclose(out, np.concatenate([lo, hi], axis=1), rtol=1e-12, atol=1e-12)


def test_padding_mode_constant_means_zeros(xp, rng):
    """A layer has no fill value, so padding_mode='constant' pads with 0 like 'zeros'."""
    x, w, b = make(rng, 2)
    out = convlab.conv2d(*to_xp(xp, x, w, b), padding=((1, 2), (2, 0)), padding_mode="constant")
    check(xp, out, conv_nd_naive(x, w, b, padding=((1, 2), (2, 0)), padding_mode="zeros"))


def test_1d_plain_pair_is_left_right(rng):
    """In 1-D, padding=(left, right) is that axis's pair (there is no second axis to give it to)."""
    x, w, b = make(rng, 1)
    expected = conv_nd_naive(x, w, b, padding=((1, 3),))
    np.testing.assert_allclose(convlab.conv1d(x, w, b, padding=(1, 3)), expected, rtol=1e-12, atol=1e-12)
    assert convlab.output_size(11, 3, 1, (1, 3)) == expected.shape[-1]


LARGE = [
    # shapes big enough to cross any internal blocking (several MB of windows)
    pytest.param(1, (8, 4, 20000), (8, 4, 9), dict(padding=4, stride=1), id="1d-long"),
    pytest.param(1, (6, 6, 9001), (9, 2, 5), dict(padding=((3, 1),), stride=3, dilation=2, groups=3), id="1d-long-all"),
    pytest.param(2, (24, 16, 33, 31), (32, 16, 3, 3), dict(padding=1), id="2d-batch"),
    pytest.param(2, (17, 8, 40, 29), (12, 4, 4, 3), dict(padding=(2, 1), stride=(2, 1), dilation=(1, 2), groups=2), id="2d-all"),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("nd, xshape, wshape, kw", LARGE)
def test_large_matches_torch(rng, dtype, nd, xshape, wshape, kw):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal(xshape).astype(dtype)
    w = rng.standard_normal(wshape).astype(dtype)
    b = rng.standard_normal(wshape[0]).astype(dtype)
    pairs = padding_pairs_naive(kw.get("padding", 0), wshape[2:], kw.get("dilation", 1))
    flat = [p for pair in reversed(pairs) for p in pair]
    fn = {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d}[nd]
    t = lambda a: torch.from_numpy(a.astype(np.float64))  # noqa: E731  reference in float64
    expected = fn(torch.nn.functional.pad(t(x), flat), t(w), t(b), stride=kw.get("stride", 1),
                  dilation=kw.get("dilation", 1), groups=kw.get("groups", 1)).numpy()
    out = CONV[nd](x, w, b, **kw)
    assert out.dtype == dtype
    tol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol * np.abs(expected).max())
