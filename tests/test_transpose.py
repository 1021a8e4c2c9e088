"""conv_transpose1d / 2d / 3d against the scatter loops, PyTorch, and the input gradient of conv."""

from __future__ import annotations

import numpy as np
import pytest

import convlab
from helpers import check, to_xp
from helpers import make as _make
from reference import conv_nd_backward_naive, conv_transpose_nd_naive

TRANSPOSE = {1: convlab.conv_transpose1d, 2: convlab.conv_transpose2d}
if hasattr(convlab, "conv_transpose3d"):
    TRANSPOSE[3] = convlab.conv_transpose3d
BACKWARD = {1: convlab.conv1d_backward, 2: convlab.conv2d_backward, 3: convlab.conv3d_backward}


def make(rng, nd, *, spatial=None, **kw):
    """x (N, C_in, *S) and the transposed-layout weight w (C_in, C_out/groups, *k)."""
    return _make(rng, nd, spatial=spatial or {1: (6,), 2: (4, 5), 3: (3, 4, 3)}[nd], transposed=True, **kw)


CASES = [
    ("1d-default", 1, {}, {}),
    ("1d-stride2", 1, {}, dict(stride=2)),
    ("1d-stride3-op2", 1, {}, dict(stride=3, output_padding=2)),
    ("1d-pad1", 1, {}, dict(padding=1)),
    ("1d-pad2-stride2-op1", 1, {}, dict(padding=2, stride=2, output_padding=1)),
    ("1d-dil2", 1, {}, dict(dilation=2)),
    ("1d-dil3-op2", 1, {}, dict(dilation=3, output_padding=2)),
    ("1d-even-kernel", 1, dict(kernel=(4,)), dict(stride=2, padding=1)),
    ("1d-groups2", 1, dict(groups=2), dict(groups=2, stride=2)),
    ("1d-depthwise", 1, dict(groups=4, c_out=4), dict(groups=4, padding=1)),
    ("1d-nobias", 1, dict(bias=False), dict(stride=2)),
    ("1d-k1", 1, dict(kernel=(1,)), dict(stride=2, output_padding=1)),
    ("2d-default", 2, {}, {}),
    ("2d-per-axis", 2, {}, dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), dilation=(2, 1))),
    ("2d-groups", 2, dict(groups=2), dict(groups=2, stride=2, padding=1, output_padding=1)),
    ("2d-nobias", 2, dict(bias=False), dict(dilation=2, padding=(0, 1))),
    ("3d-default", 3, {}, dict(stride=2, padding=1, output_padding=1)),
    ("3d-groups", 3, dict(groups=2, c_out=4), dict(groups=2, dilation=(1, 2, 1))),
]


PARAMS = [pytest.param(*c[1:], id=c[0]) for c in CASES]


@pytest.mark.parametrize("nd, overrides, kw", PARAMS)
def test_matches_naive(xp, rng, nd, overrides, kw):
    x, w, b = make(rng, nd, **overrides)
    expected = conv_transpose_nd_naive(x, w, b, **kw)
    out = TRANSPOSE[nd](*to_xp(xp, x, w, b), **kw)
    check(xp, out, expected)


@pytest.mark.parametrize("nd, overrides, kw", PARAMS)
def test_matches_torch(rng, nd, overrides, kw):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x, w, b = make(rng, nd, **overrides)
    fn = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[nd]
    expected = fn(
        torch.from_numpy(x), torch.from_numpy(w), None if b is None else torch.from_numpy(b), **kw
    ).numpy()
    np.testing.assert_allclose(TRANSPOSE[nd](x, w, b, **kw), expected, rtol=1e-12, atol=1e-12)


def test_reference_matches_torch(rng):
    """The scatter loop itself agrees with PyTorch (no convlab involved)."""
    torch = pytest.importorskip("torch")
    x, w, b = make(rng, 2, groups=2)
    kw = dict(stride=(2, 3), padding=(1, 1), output_padding=(1, 0), dilation=(1, 2), groups=2)
    expected = torch.nn.functional.conv_transpose2d(
        torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), **kw
    ).numpy()
    np.testing.assert_allclose(conv_transpose_nd_naive(x, w, b, **kw), expected, rtol=1e-12, atol=1e-12)


def test_output_length_formula(rng):
    """(L-1)s - 2p + d(k-1) + output_padding + 1."""
    for L, k, s, p, op, d in [(6, 3, 2, 1, 1, 1), (5, 4, 3, 0, 2, 1), (4, 2, 1, 0, 1, 2), (7, 5, 2, 3, 0, 1)]:
        x = rng.standard_normal((1, 1, L))
        w = rng.standard_normal((1, 1, k))
        out = convlab.conv_transpose1d(x, w, stride=s, padding=p, output_padding=op, dilation=d)
        assert out.shape == (1, 1, (L - 1) * s - 2 * p + d * (k - 1) + op + 1)


def test_hand_worked_example():
    """x = 1 2, w = 1 10 100, stride 2: each input scatters a scaled kernel two apart."""
    out = convlab.conv_transpose1d(np.array([[[1.0, 2.0]]]), np.array([[[1.0, 10.0, 100.0]]]), stride=2)
    np.testing.assert_array_equal(out, [[[1.0, 10.0, 102.0, 20.0, 200.0]]])


@pytest.mark.parametrize("nd", [1, 2])
def test_float32_stays_float32(xp, rng, nd):
    x, w, b = (a.astype(np.float32) for a in make(rng, nd))
    out = TRANSPOSE[nd](*to_xp(xp, x, w, b), stride=2, padding=1, output_padding=1)
    check(xp, out, conv_transpose_nd_naive(x, w, b, stride=2, padding=1, output_padding=1), np.float32, 1e-5)


def test_integer_input_computed_in_float64(xp, rng):
    x = rng.integers(-4, 5, size=(1, 2, 5))
    w = rng.integers(-3, 4, size=(2, 3, 3))
    out = convlab.conv_transpose1d(*to_xp(xp, x, w), stride=2)
    check(xp, out, conv_transpose_nd_naive(x, w, None, stride=2), tol=0)


# --------------------------------------------------------------------------- transpose == input gradient
GRAD_CASES = [
    # (id, nd, x spatial, kernel, c_in, c_out, groups, stride, padding, dilation)
    ("1d-plain", 1, (9,), (3,), 4, 6, 1, 1, 0, 1),
    ("1d-stride2-fits", 1, (9,), (3,), 4, 6, 1, 2, 1, 1),
    ("1d-stride3-tail", 1, (11,), (3,), 4, 6, 1, 3, 0, 1),
    ("1d-stride4-tail", 1, (10,), (3,), 2, 2, 1, 4, 0, 1),
    ("1d-dil2-stride2", 1, (12,), (4,), 4, 4, 2, 2, 2, 2),
    ("1d-even-pad", 1, (8,), (4,), 2, 3, 1, 2, 1, 1),
    ("2d", 2, (7, 8), (3, 2), 4, 6, 2, (2, 3), (1, 0), (1, 2)),
]


@pytest.mark.parametrize(
    "nd, spatial, kernel, c_in, c_out, groups, stride, padding, dilation",
    [pytest.param(*c[1:], id=c[0]) for c in GRAD_CASES],
)
def test_transpose_is_input_gradient(xp, rng, nd, spatial, kernel, c_in, c_out, groups, stride, padding, dilation):
    """conv_transpose(g, w, s, p, output_padding=op) == conv_backward(g, x, w, s, p)[0], zero padding.

    ``op`` makes up the tail of x that the strided windows did not reach.
    """
    x = rng.standard_normal((2, c_in) + spatial)
    w = rng.standard_normal((c_out, c_in // groups) + kernel)
    per = lambda v: v if isinstance(v, tuple) else (v,) * nd  # noqa: E731
    s, p, d = per(stride), per(padding), per(dilation)
    out_spatial = tuple((n + 2 * pp - dd * (k - 1) - 1) // ss + 1 for n, k, ss, pp, dd in zip(spatial, kernel, s, p, d))
    op = tuple(n - ((lo - 1) * ss - 2 * pp + dd * (k - 1) + 1) for n, lo, ss, pp, dd, k in zip(spatial, out_spatial, s, p, d, kernel))
    assert all(0 <= o < max(ss, dd) for o, ss, dd in zip(op, s, d)), "case does not line up"
    g = rng.standard_normal((2, c_out) + out_spatial)
    expected = conv_nd_backward_naive(g, x, w, None, stride=s, padding=p, dilation=d, groups=groups)[0]
    gs, xs, ws = to_xp(xp, g, x, w)
    via_transpose = TRANSPOSE[nd](gs, ws, stride=s, padding=p, output_padding=op, dilation=d, groups=groups)
    via_backward = BACKWARD[nd](gs, xs, ws, stride=s, padding=p, dilation=d, groups=groups)[0]
    check(xp, via_transpose, expected)
    check(xp, via_backward, expected)


def test_adjoint_of_conv(rng):
    """<conv(x; w), y> == <x, conv_transpose(y; w)> with the same w."""
    x = rng.standard_normal((2, 4, 10, 9))
    w = rng.standard_normal((6, 2, 3, 3))
    kw = dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)
    y = convlab.conv2d(x, w, **kw)
    gy = rng.standard_normal(y.shape)
    back = convlab.conv_transpose2d(gy, w, output_padding=(1, 0), **kw)
    assert back.shape == x.shape
    assert np.sum(y * gy) == pytest.approx(np.sum(x * back), rel=1e-11)


@pytest.mark.parametrize(
    "nd, xshape, wshape, kw",
    [
        pytest.param(1, (8, 8, 5000), (8, 4, 9), dict(stride=2, padding=3, output_padding=1), id="1d-long"),
        pytest.param(2, (16, 8, 20, 17), (8, 6, 3, 4), dict(stride=(2, 3), padding=1, groups=2, dilation=(1, 2)), id="2d"),
    ],
)
def test_large_matches_torch(rng, nd, xshape, wshape, kw):
    """Shapes big enough to cross any internal blocking."""
    torch = pytest.importorskip("torch")
    x, w = rng.standard_normal(xshape), rng.standard_normal(wshape)
    b = rng.standard_normal(wshape[1] * kw.get("groups", 1))
    fn = {1: torch.nn.functional.conv_transpose1d, 2: torch.nn.functional.conv_transpose2d}[nd]
    expected = fn(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), **kw).numpy()
    np.testing.assert_allclose(TRANSPOSE[nd](x, w, b, **kw), expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())
