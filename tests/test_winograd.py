"""``method="winograd"``: exact in exact arithmetic, equal to the references, its limits refused.

References are independent of convlab's paths: the naive loops of
``tests/reference.py`` and PyTorch autograd (when installed). The transform
matrices are checked in exact rational arithmetic (``fractions.Fraction``):
``F(m, 3)`` computes the correlation exactly, for every ``m`` provided.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convlab
from convlab import _winograd
from helpers import make, to_xp
from reference import PADDING_MODES, conv_nd_backward_naive, conv_nd_naive, conv_transpose_nd_naive

CONV = {1: convlab.conv1d, 2: convlab.conv2d}
BACKWARD = {1: convlab.conv1d_backward, 2: convlab.conv2d_backward}
TRANSPOSE = {1: convlab.conv_transpose1d, 2: convlab.conv_transpose2d}
HYPOTHESIS = dict(deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])


def _close(got, expected, tol):
    got = np.asarray(got, dtype=np.float64)
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * scale)


# ------------------------------------------------------------------ exact arithmetic
@pytest.mark.parametrize("m", [2, 4])
def test_transforms_are_exact_in_rationals(m):
    """``A^T [(G w) * (B^T d)] = correlate(d, w)`` for random rationals, with no rounding at all."""
    bt, g, at = ([[Fraction(v).limit_denominator(1000) for v in row] for row in mat] for mat in _winograd.matrices(m))
    rng = np.random.default_rng(m)
    for _ in range(5):
        d = [Fraction(int(v), 7) for v in rng.integers(-50, 50, m + 2)]
        w = [Fraction(int(v), 3) for v in rng.integers(-50, 50, 3)]
        u = [sum(a * b for a, b in zip(row, w)) for row in g]
        v = [sum(a * b for a, b in zip(row, d)) for row in bt]
        y = [sum(a * ui * vi for a, ui, vi in zip(row, u, v)) for row in at]
        assert y == [sum(d[i + k] * w[k] for k in range(3)) for i in range(m)]


def test_matrices_refuse_other_tiles():
    with pytest.raises(ValueError, match="F\\(2, 3\\) or F\\(4, 3\\)"):
        _winograd.matrices(3)


# ------------------------------------------------------------------ layers vs the naive loops
CASES = [
    (1, dict(spatial=(13,), kernel=(3,)), dict(padding=1)),
    (1, dict(spatial=(4,), kernel=(3,), n=1, c_in=1, c_out=1), {}),  # one tile, cropped
    (1, dict(spatial=(21,), kernel=(3,), groups=3, c_in=6, c_out=3), dict(groups=3, padding=((2, 0),))),
    (2, dict(spatial=(9, 7), kernel=(3, 3)), dict(padding=1)),
    (2, dict(spatial=(3, 3), kernel=(3, 3), n=1), {}),  # a single output
    (2, dict(spatial=(10, 13), kernel=(3, 3), groups=2, c_out=4), dict(groups=2, padding="same", padding_mode="reflect")),
]
IDS = [f"{nd}d-{i}" for i, (nd, _, _) in enumerate(CASES)]


@pytest.mark.parametrize("m", [2, 4])
@pytest.mark.parametrize("nd, over, kw", CASES, ids=IDS)
def test_forward_and_gradients_match_naive(rng, nd, over, kw, m, monkeypatch):
    monkeypatch.setattr(_winograd, "TILE", m)
    monkeypatch.setattr(_winograd.forward, "__defaults__", (m,))
    monkeypatch.setattr(_winograd.backward, "__defaults__", (m,))
    x, w, b = make(rng, nd, **over)
    _close(CONV[nd](x, w, b, method="winograd", **kw), conv_nd_naive(x, w, b, **kw), 1e-11)
    g = rng.standard_normal(conv_nd_naive(x, w, None, **kw).shape)
    got = BACKWARD[nd](g, x, w, b, method="winograd", **kw)
    for out, ref in zip(got, conv_nd_backward_naive(g, x, w, b, **kw)):
        _close(out, ref, 1e-11)


@pytest.mark.parametrize("nd, over, kw", CASES, ids=IDS)
def test_every_backend(xp, rng, nd, over, kw):
    """The generic array-API code (array_api_strict, torch, CuPy) gives the same numbers."""
    x, w, b = make(rng, nd, **over)
    out = CONV[nd](*to_xp(xp, x, w, b), method="winograd", **kw)
    _close(xp.to_numpy(out), conv_nd_naive(x, w, b, **kw), 1e-11)
    g = rng.standard_normal(conv_nd_naive(x, w, None, **kw).shape)
    got = BACKWARD[nd](*to_xp(xp, g, x, w, b), method="winograd", **kw)
    for out, ref in zip(got, conv_nd_backward_naive(g, x, w, b, **kw)):
        _close(xp.to_numpy(out), ref, 1e-11)


@pytest.mark.parametrize("nd", [1, 2])
def test_transpose(rng, nd):
    x, w, b = make(rng, nd, kernel=(3,) * nd, transposed=True, groups=2, c_out=4)
    kw = dict(padding=1, groups=2)
    _close(TRANSPOSE[nd](x, w, b, method="winograd", **kw), conv_transpose_nd_naive(x, w, b, **kw), 1e-11)


@pytest.mark.parametrize("mode", PADDING_MODES)
def test_every_padding_mode(rng, mode):
    x, w, b = make(rng, 2, spatial=(6, 7), kernel=(3, 3))
    kw = dict(padding=1, padding_mode=mode)
    _close(convlab.conv2d(x, w, b, method="winograd", **kw), conv_nd_naive(x, w, b, **kw), 1e-11)


def test_float32_error_is_within_1e_4_of_float64(rng):
    """The float32 error of every method, relative to the output's scale, against float64 naive loops."""
    x, w, b = make(rng, 2, n=2, c_in=32, c_out=8, spatial=(20, 20), kernel=(3, 3))
    ref = conv_nd_naive(x, w, b, padding=1)
    g = rng.standard_normal(ref.shape)
    grads = conv_nd_backward_naive(g, x, w, b, padding=1)
    f32 = [a.astype(np.float32) for a in (x, w, b, g)]
    for method in ("direct", "gemm", "winograd"):
        y = convlab.conv2d(*f32[:3], padding=1, method=method)
        assert y.dtype == np.float32
        outs = [y] + list(convlab.conv2d_backward(f32[3], *f32[:3], padding=1, method=method))
        for out, exp in zip(outs, [ref] + list(grads)):
            err = np.abs(out.astype(np.float64) - exp).max() / np.abs(exp).max()
            assert err <= 1e-4, (method, err)


def test_non_finite_input_keeps_pytorch_placement():
    """An inf in x makes one output column inf through the taps; a Winograd tile would spread NaN."""
    x = np.zeros((1, 1, 8, 8))
    x[0, 0, 4, 4] = np.inf
    w = np.ones((1, 1, 3, 3))
    y = convlab.conv2d(x, w, padding=1, method="winograd")
    np.testing.assert_array_equal(np.isinf(y[0, 0]), conv_nd_naive(np.isinf(x) * 1.0, w, None, padding=1)[0, 0] > 0)
    assert not np.isnan(y).any()


# ------------------------------------------------------------------ refusals and the auto rule
@pytest.mark.parametrize(
    "nd, kernel, kw",
    [
        (1, (5,), {}),
        (2, (3, 2), {}),
        (2, (3, 3), dict(stride=2)),
        (1, (3,), dict(dilation=2)),
    ],
)
def test_refused_where_it_does_not_apply(rng, nd, kernel, kw):
    x, w, b = make(rng, nd, kernel=kernel, spatial=(12,) * nd)
    with pytest.raises(ValueError, match="method='winograd' is not available"):
        CONV[nd](x, w, b, method="winograd", **kw)
    y = CONV[nd](x, w, b, **kw)
    with pytest.raises(ValueError, match="method='winograd' is not available"):
        BACKWARD[nd](np.ones_like(y), x, w, b, method="winograd", **kw)


def test_3d_refused(rng):
    x, w, b = make(rng, 3, kernel=(3, 3, 3), spatial=(5, 5, 5))
    with pytest.raises(ValueError, match="method='winograd' is not available"):
        convlab.conv3d(x, w, b, method="winograd")


def test_auto_rule():
    """The documented rule: 2-D 3x3, stride 1, dilation 1, enough channels and a large enough output."""
    c, side = _winograd.WINOGRAD_MIN_CHANNELS, _winograd.WINOGRAD_MIN_SIDE
    assert _winograd.wins((side, side), (8, c, 3, 3), (1, 1), (1, 1))
    assert not _winograd.wins((side, side), (8, c - 1, 3, 3), (1, 1), (1, 1))
    assert not _winograd.wins((side - 1, side), (8, c, 3, 3), (1, 1), (1, 1))
    assert not _winograd.wins((side, side), (8, c, 3, 3), (2, 1), (1, 1))
    assert not _winograd.wins((side,), (8, c, 3), (1,), (1,))  # 1-D: the GEMM is already narrow


# ------------------------------------------------------------------ Hypothesis: property against the loops
@st.composite
def problems(draw):
    nd = draw(st.integers(1, 2))
    groups = draw(st.sampled_from([1, 2]))
    c_in = groups * draw(st.integers(1, 3))
    c_out = groups * draw(st.integers(1, 3))
    pad = draw(st.integers(0, 2))
    spatial = tuple(draw(st.integers(max(1, 3 - 2 * pad), 11)) for _ in range(nd))
    mode = draw(st.sampled_from(["zeros", "circular", "replicate"]))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(1, 3))
    x, w, b = make(rng, nd, n=n, c_in=c_in, c_out=c_out, groups=groups, spatial=spatial, kernel=(3,) * nd)
    if mode == "circular":
        pad = min(pad, min(spatial))
    kw = dict(padding=pad, padding_mode=mode, groups=groups)
    return nd, x.astype(dtype), w.astype(dtype), b.astype(dtype), kw, rng


@settings(max_examples=60, **HYPOTHESIS)
@given(problem=problems())
def test_hypothesis_winograd_equals_naive(problem):
    nd, x, w, b, kw, rng = problem
    tol = 1e-4 if x.dtype == np.float32 else 1e-10
    x64, w64, b64 = (a.astype(np.float64) for a in (x, w, b))
    y = CONV[nd](x, w, b, method="winograd", **kw)
    assert y.dtype == x.dtype
    _close(y, conv_nd_naive(x64, w64, b64, **kw), tol)
    g = rng.standard_normal(y.shape)
    got = BACKWARD[nd](g.astype(x.dtype), x, w, b, method="winograd", **kw)
    for out, ref in zip(got, conv_nd_backward_naive(g, x64, w64, b64, **kw)):
        _close(out, ref, tol)


# ------------------------------------------------------------------ PyTorch autograd
def test_matches_torch_autograd(rng):
    torch = pytest.importorskip("torch")
    x, w, b = make(rng, 2, n=2, c_in=5, c_out=3, spatial=(11, 9), kernel=(3, 3))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, padding=1)
    g = rng.standard_normal(tuple(ty.shape))
    ty.backward(torch.tensor(g))
    _close(convlab.conv2d(x, w, b, padding=1, method="winograd"), ty.detach().numpy(), 1e-11)
    got = convlab.conv2d_backward(g, x, w, b, padding=1, method="winograd")
    for out, ref in zip(got, (tx.grad, tw.grad, tb.grad)):
        _close(out, ref.numpy(), 1e-11)
