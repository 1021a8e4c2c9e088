"""Hypothesis: convolution, its gradients and its transpose over random configurations.

Shapes, strides, paddings (every form), dilations, groups, padding modes and
dtypes are drawn by Hypothesis; the array values come from a NumPy generator
seeded by Hypothesis (continuous values, so the median of a window is unique
and its gradient well defined). Runs are deterministic (``derandomize=True``,
no example database).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import convlab
from helpers import conv_problems, transpose_problems
from reference import (
    PADDING_MODES,
    conv_nd_backward_naive,
    conv_nd_naive,
    conv_transpose_nd_naive,
)

CONV = {1: convlab.conv1d, 2: convlab.conv2d, 3: convlab.conv3d}
BACKWARD = {1: convlab.conv1d_backward, 2: convlab.conv2d_backward, 3: convlab.conv3d_backward}
TRANSPOSE = {1: convlab.conv_transpose1d, 2: convlab.conv_transpose2d, 3: convlab.conv_transpose3d}
TOL = {np.float32: 2e-4, np.float64: 1e-10}

SETTINGS = dict(deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=200, **SETTINGS)
@given(problem=conv_problems())
def test_conv_matches_naive(problem):
    nd, x, w, b, kw, _ = problem
    out = CONV[nd](x, w, b, **kw)
    assert out.dtype == x.dtype
    np.testing.assert_allclose(out, conv_nd_naive(x, w, b, **kw), rtol=TOL[x.dtype.type], atol=TOL[x.dtype.type])


@settings(max_examples=40, **SETTINGS)
@given(problem=conv_problems(nds=(3,), dtypes=(np.float64,)))
def test_conv3d_matches_naive(problem):
    nd, x, w, b, kw, _ = problem
    np.testing.assert_allclose(CONV[nd](x, w, b, **kw), conv_nd_naive(x, w, b, **kw), rtol=1e-10, atol=1e-10)


@settings(max_examples=150, **SETTINGS)
@given(problem=conv_problems())
def test_backward_matches_naive(problem):
    nd, x, w, b, kw, rng = problem
    g = rng.standard_normal(conv_nd_naive(x, w, None, **kw).shape).astype(x.dtype)
    expected = conv_nd_backward_naive(g, x, w, b, **kw)
    got = BACKWARD[nd](g, x, w, b, **kw)
    tol = TOL[x.dtype.type]
    for out, exp in zip(got, expected):
        if exp is None:
            assert out is None
            continue
        assert out.dtype == x.dtype
        np.testing.assert_allclose(out, exp, rtol=tol, atol=tol * max(1.0, np.abs(exp).max()))


LINEAR_MODES = tuple(m for m in PADDING_MODES if m != "median")


@settings(max_examples=150, **SETTINGS)
@given(problem=conv_problems(nds=(1, 2, 3), modes=LINEAR_MODES, dtypes=(np.float64,)))
def test_adjoint_identities(problem):
    """<conv(x; w), g> == <x, grad_x(g)> == <w, grad_w(g)> for every mode linear in x."""
    nd, x, w, _, kw, rng = problem
    y = CONV[nd](x, w, **kw)
    g = rng.standard_normal(y.shape)
    gx, gw, gb = BACKWARD[nd](g, x, w, **kw)
    assert gb is None
    lhs = float(np.sum(y * g))
    assert lhs == pytest.approx(float(np.sum(x * gx)), rel=1e-10, abs=1e-10)
    assert lhs == pytest.approx(float(np.sum(w * gw)), rel=1e-10, abs=1e-10)


@settings(max_examples=60, **SETTINGS)
@given(problem=conv_problems(modes=("median",), dtypes=(np.float64,)))
def test_adjoint_weight_median(problem):
    """conv is linear in w even when the padding is a median of x."""
    nd, x, w, _, kw, rng = problem
    y = CONV[nd](x, w, **kw)
    g = rng.standard_normal(y.shape)
    gw = BACKWARD[nd](g, x, w, **kw)[1]
    assert float(np.sum(y * g)) == pytest.approx(float(np.sum(w * gw)), rel=1e-10, abs=1e-10)


@settings(max_examples=150, **SETTINGS)
@given(problem=transpose_problems())
def test_transpose_matches_naive(problem):
    nd, x, w, b, kw = problem
    np.testing.assert_allclose(TRANSPOSE[nd](x, w, b, **kw), conv_transpose_nd_naive(x, w, b, **kw), rtol=1e-10, atol=1e-10)


@settings(max_examples=50, **SETTINGS)
@given(problem=conv_problems(nds=(1, 2)))
def test_array_api_strict_matches_naive(problem):
    """The generic (non-NumPy) code path, forward and backward, on array_api_strict."""
    xps = pytest.importorskip("array_api_strict")
    nd, x, w, b, kw, rng = problem
    to = lambda a: None if a is None else xps.asarray(a)  # noqa: E731
    back = lambda a: None if a is None else np.from_dlpack(a)  # noqa: E731
    y = CONV[nd](to(x), to(w), to(b), **kw)
    assert type(y).__module__.startswith("array_api_strict")
    tol = TOL[x.dtype.type]
    np.testing.assert_allclose(back(y), conv_nd_naive(x, w, b, **kw), rtol=tol, atol=tol)
    g = rng.standard_normal(y.shape).astype(x.dtype)
    got = BACKWARD[nd](to(g), to(x), to(w), to(b), **kw)
    for out, exp in zip(got, conv_nd_backward_naive(g, x, w, b, **kw)):
        if exp is not None:
            np.testing.assert_allclose(back(out), exp, rtol=tol, atol=tol * max(1.0, np.abs(exp).max()))
