"""The ``method=`` keyword ("direct", "gemm", "fft", "winograd", "auto") and the memory budget.

Every method is checked against an independent reference: the naive loops of
``tests/reference.py``, ``numpy.convolve`` / ``numpy.correlate``,
``scipy.signal`` and, for inputs too large for the loops, a vectorised NumPy
reference written here (``windows_conv_ref`` / ``windows_backward_ref``,
themselves checked against the loops in ``TestWindowsReference``). convlab's
own output is only ever the expected value when one method (or one memory
budget) is compared with another, and those tests also compare with a reference.

Sections: the references, the layers per method (on every backend), Hypothesis
(all methods agree), FFT for signals, blocking under a small memory budget,
peak memory (tracemalloc), and errors.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import subprocess
import sys
import tracemalloc
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from numpy.lib.stride_tricks import sliding_window_view

import convlab
from helpers import DEFAULT_KERNEL, check, make, to_xp
from helpers import conv_problems as shared_conv_problems
from helpers import transpose_problems as shared_transpose_problems
from reference import (
    PADDING_MODES,
    conv_nd_backward_naive,
    conv_nd_naive,
    conv_transpose_nd_naive,
    pad_naive,
    padding_pairs_naive,
)

CONV = {1: convlab.conv1d, 2: convlab.conv2d, 3: convlab.conv3d}
BACKWARD = {1: convlab.conv1d_backward, 2: convlab.conv2d_backward, 3: convlab.conv3d_backward}
TRANSPOSE = {1: convlab.conv_transpose1d, 2: convlab.conv_transpose2d, 3: convlab.conv_transpose3d}

LAYER_METHODS = ("direct", "gemm", "auto")
SIGNAL_METHODS = ("fft", "auto", "direct")
DTYPES = [pytest.param(np.float64, id="float64"), pytest.param(np.float32, id="float32")]
# tolerance relative to the scale of the expected values (max(1, max |expected|))
TOL = {np.float64: 1e-11, np.float32: 1e-4}
MIB = 1 << 20
DEFAULT_BUDGET = 256 * MIB

HYPOTHESIS = dict(deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])


def _per_axis(value, nd):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * nd


def _seed(*parts) -> int:
    return zlib.crc32("/".join(map(str, parts)).encode())


def assert_matches(xp, out, expected, dtype, tol=None):
    """``out`` is native to ``xp``, of ``dtype``, and equals ``expected`` relative to its scale."""
    tol = TOL[dtype] if tol is None else tol
    scale = max(1.0, float(np.abs(expected).max()))
    check(xp, out, expected, dtype=dtype, tol=tol * scale)


def assert_close_np(got, expected, dtype, tol=None, err_msg=""):
    """NumPy-only comparison with an absolute tolerance relative to the output's max abs."""
    tol = TOL[dtype] if tol is None else tol
    got = np.asarray(got)
    assert got.dtype == dtype, f"dtype {got.dtype}, expected {np.dtype(dtype)} {err_msg}"
    assert got.shape == expected.shape, f"shape {got.shape}, expected {expected.shape} {err_msg}"
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * scale, err_msg=err_msg)


@contextlib.contextmanager
def budget(nbytes):
    """Run the block with ``convlab.set_memory_budget(nbytes)``; restore the previous budget after."""
    prev = convlab.set_memory_budget(nbytes)
    try:
        yield prev
    finally:
        convlab.set_memory_budget(prev)


# =========================================================================== vectorised references
_NUMPY_INDEX_MODE = {"reflect": "reflect", "symmetric": "symmetric", "replicate": "edge", "circular": "wrap"}


def _windows(xpad, kernel, stride, dilation):
    """View ``(N, C, *P, *k)`` of the padded input: window ``p``, tap ``k`` is ``xpad[s*p + d*k]``."""
    nd = len(kernel)
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    v = sliding_window_view(xpad, spans, axis=tuple(range(2, 2 + nd)))
    index = (slice(None),) * 2 + tuple(slice(None, None, s) for s in stride) + tuple(slice(None, None, d) for d in dilation)
    return v[index]


def _letters(nd):
    return "pqr"[:nd], "klm"[:nd]


def windows_conv_ref(x, w, b=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """Forward convolution with sliding_window_view + einsum (no convlab), float64."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    nd = w.ndim - 2
    kernel = w.shape[2:]
    stride, dilation = _per_axis(stride, nd), _per_axis(dilation, nd)
    pairs = padding_pairs_naive(padding, kernel, dilation, stride)
    v = _windows(pad_naive(x, pairs, padding_mode), kernel, stride, dilation)
    n, c_in = x.shape[:2]
    c_out = w.shape[0]
    cg, og = c_in // groups, c_out // groups
    p, k = _letters(nd)
    y = np.empty((n, c_out) + v.shape[2 : 2 + nd])
    for g in range(groups):
        y[:, g * og : (g + 1) * og] = np.einsum(
            f"nc{p}{k},oc{k}->no{p}", v[:, g * cg : (g + 1) * cg], w[g * og : (g + 1) * og]
        )
    if b is not None:
        y += np.asarray(b, dtype=np.float64).reshape((1, -1) + (1,) * nd)
    return y


def windows_backward_ref(grad_out, x, w, b=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """(grad_x, grad_w, grad_b) with einsum and one scatter per tap; index-copy padding modes only."""
    assert padding_mode == "zeros" or padding_mode in _NUMPY_INDEX_MODE
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    g_out = np.asarray(grad_out, dtype=np.float64)
    nd = w.ndim - 2
    kernel = w.shape[2:]
    stride, dilation = _per_axis(stride, nd), _per_axis(dilation, nd)
    pairs = padding_pairs_naive(padding, kernel, dilation, stride)
    xpad = pad_naive(x, pairs, padding_mode)
    v = _windows(xpad, kernel, stride, dilation)
    out_spatial = g_out.shape[2:]
    assert v.shape[2 : 2 + nd] == out_spatial
    n, c_in = x.shape[:2]
    c_out = w.shape[0]
    cg, og = c_in // groups, c_out // groups
    p, k = _letters(nd)
    grad_w = np.empty(w.shape)
    grad_xpad = np.zeros(xpad.shape)
    for g in range(groups):
        go = g_out[:, g * og : (g + 1) * og]
        wg = w[g * og : (g + 1) * og]
        grad_w[g * og : (g + 1) * og] = np.einsum(f"no{p},nc{p}{k}->oc{k}", go, v[:, g * cg : (g + 1) * cg])
        for tap in np.ndindex(*kernel):
            dst = tuple(slice(d * t, d * t + s * (o - 1) + 1, s) for t, s, d, o in zip(tap, stride, dilation, out_spatial))
            grad_xpad[(slice(None), slice(g * cg, (g + 1) * cg)) + dst] += np.einsum(
                f"no{p},oc->nc{p}", go, wg[(slice(None), slice(None)) + tap]
            )
    # fold the padded gradient back: each padded position copies one input position
    grad = grad_xpad
    for j in reversed(range(nd)):
        axis = 2 + j
        left, right = pairs[j]
        length = x.shape[axis]
        if padding_mode == "zeros":
            source = np.concatenate([np.full(left, -1), np.arange(length), np.full(right, -1)])
        else:
            source = np.pad(np.arange(length), (left, right), mode=_NUMPY_INDEX_MODE[padding_mode])
        moved = np.moveaxis(grad, axis, 0)
        folded = np.zeros((length,) + moved.shape[1:])
        keep = source >= 0
        np.add.at(folded, source[keep], moved[keep])
        grad = np.moveaxis(folded, 0, axis)
    grad_b = None if b is None else g_out.sum(axis=(0,) + tuple(range(2, g_out.ndim)))
    return grad, grad_w, grad_b


class TestWindowsReference:
    """The vectorised references above agree with the loops of reference.py (no convlab involved)."""

    CASES = [
        (1, {}, dict(stride=2, padding=((2, 1),), dilation=2)),
        (1, dict(groups=2, c_out=4), dict(groups=2, padding=3, padding_mode="reflect", stride=3)),
        (2, dict(groups=2, c_out=4), dict(groups=2, stride=(2, 1), dilation=(1, 2), padding=((1, 2), (0, 3)), padding_mode="circular")),
        (3, dict(spatial=(4, 5, 4)), dict(stride=(1, 2, 1), padding=((1, 0), (0, 1), (1, 1)), padding_mode="symmetric")),
    ]

    @pytest.mark.parametrize("nd, over, kw", CASES)
    def test_forward(self, rng, nd, over, kw):
        x, w, b = make(rng, nd, **over)
        np.testing.assert_allclose(windows_conv_ref(x, w, b, **kw), conv_nd_naive(x, w, b, **kw), rtol=1e-12, atol=1e-12)

    @pytest.mark.parametrize("mode", PADDING_MODES)
    def test_forward_modes(self, rng, mode):
        x, w, b = make(rng, 2)
        kw = dict(padding=((2, 1), (1, 2)), padding_mode=mode)
        np.testing.assert_allclose(windows_conv_ref(x, w, b, **kw), conv_nd_naive(x, w, b, **kw), rtol=1e-12, atol=1e-12)

    @pytest.mark.parametrize("nd, over, kw", CASES)
    def test_backward(self, rng, nd, over, kw):
        x, w, b = make(rng, nd, **over)
        g = rng.standard_normal(conv_nd_naive(x, w, None, **kw).shape)
        for got, exp in zip(windows_backward_ref(g, x, w, b, **kw), conv_nd_backward_naive(g, x, w, b, **kw)):
            np.testing.assert_allclose(got, exp, rtol=1e-12, atol=1e-12)


# =========================================================================== layers, per method
# (nd, make() overrides, conv keywords)
FORWARD_CASES = {
    "1d-plain": (1, {}, {}),
    "1d-stride2-dil2-pair": (1, {}, dict(stride=2, dilation=2, padding=((2, 1),))),
    "1d-same-even-dil2": (1, dict(kernel=(4,)), dict(padding="same", dilation=2)),
    "1d-groups-stride3-reflect": (1, dict(groups=2, c_out=4), dict(groups=2, stride=3, padding=2, padding_mode="reflect")),
    "1d-depthwise-circular-nobias": (
        1,
        dict(c_in=4, c_out=8, groups=4, bias=False),
        dict(groups=4, dilation=3, padding=((3, 0),), padding_mode="circular"),
    ),
    "1d-median": (1, {}, dict(padding=((1, 2),), padding_mode="median")),
    "1d-first-last-pairs": (1, dict(kernel=(5,)), dict(padding=((0, 4),), stride=2, padding_mode="last")),
    "1d-k1-stride2": (1, dict(kernel=(1,)), dict(stride=2)),
    "1d-kernel-covers-input": (1, dict(spatial=(5,), kernel=(5,)), {}),
    "1d-k3-reflect": (1, dict(kernel=(3,), spatial=(13,)), dict(padding=1, padding_mode="reflect")),
    "1d-k3-groups-pairs": (1, dict(kernel=(3,), groups=2, c_out=4, spatial=(9,)), dict(groups=2, padding=((2, 0),))),
    "2d-plain": (2, {}, {}),
    "2d-stride-dil-pairs": (2, {}, dict(stride=(2, 1), dilation=(1, 2), padding=((1, 0), (2, 1)))),
    "2d-same-even-groups-replicate": (
        2,
        dict(kernel=(2, 4), groups=2, c_out=4),
        dict(groups=2, padding="same", padding_mode="replicate"),
    ),
    "2d-mean-nobias-stride2": (2, dict(bias=False), dict(stride=2, padding=1, padding_mode="mean")),
    "2d-first": (2, {}, dict(padding=((0, 2), (1, 0)), padding_mode="first")),
    "2d-k3-same-circular": (2, dict(kernel=(3, 3), spatial=(7, 10)), dict(padding="same", padding_mode="circular")),
    "2d-k3-groups-valid-nobias": (
        2,
        dict(kernel=(3, 3), spatial=(6, 5), groups=2, c_out=4, bias=False),
        dict(groups=2),
    ),
    "3d-plain": (3, dict(c_in=2, c_out=3), {}),
    "3d-groups-stride-symmetric": (
        3,
        dict(groups=2, c_out=4),
        dict(groups=2, stride=(1, 2, 1), dilation=(2, 1, 1), padding=((1, 0), (0, 1), (1, 1)), padding_mode="symmetric"),
    ),
    "3d-same-last": (3, dict(c_in=2, c_out=2, bias=False), dict(padding="same", padding_mode="last")),
}


def _cast(dtype, *arrays):
    return [None if a is None else a.astype(dtype) for a in arrays]


@functools.lru_cache(maxsize=None)
def forward_case(case_id, dtype):
    nd, over, kw = FORWARD_CASES[case_id]
    x, w, b = _cast(dtype, *make(np.random.default_rng(_seed(case_id)), nd, **over))
    return x, w, b, conv_nd_naive(x, w, b, **kw)


@functools.lru_cache(maxsize=None)
def backward_case(case_id, dtype):
    nd, over, kw = FORWARD_CASES[case_id]
    rng = np.random.default_rng(_seed(case_id, "backward"))
    x, w, b = _cast(dtype, *make(rng, nd, **over))
    g = rng.standard_normal(conv_nd_naive(x, w, None, **kw).shape).astype(dtype)
    return x, w, b, g, conv_nd_backward_naive(g, x, w, b, **kw)


def _winograd_fits(nd, over, kw):
    """True when ``method="winograd"`` accepts the case: 3-tap/3x3, stride 1, dilation 1, 1-D or 2-D."""
    kernel = over.get("kernel") or DEFAULT_KERNEL[nd]
    ones = (1,) * nd
    return nd < 3 and set(kernel) == {3} and all(
        _per_axis(kw.get(key, 1), nd) == ones for key in ("stride", "dilation")
    )


def _forward_params():
    for case_id, (nd, over, kw) in FORWARD_CASES.items():
        methods = LAYER_METHODS + (("fft",) if nd == 1 else ())
        methods += ("winograd",) if _winograd_fits(nd, over, kw) else ()
        for method in methods:
            yield pytest.param(case_id, method, id=f"{case_id}-{method}")


def _backward_params(cases):
    for case_id, (nd, over, kw) in cases.items():
        for method in LAYER_METHODS + (("winograd",) if _winograd_fits(nd, over, kw) else ()):
            yield pytest.param(case_id, method, id=f"{case_id}-{method}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case_id, method", list(_forward_params()))
def test_layer_forward_matches_naive(xp, case_id, method, dtype):
    nd, _, kw = FORWARD_CASES[case_id]
    x, w, b, expected = forward_case(case_id, dtype)
    out = CONV[nd](*to_xp(xp, x, w, b), method=method, **kw)
    assert_matches(xp, out, expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case_id, method", list(_backward_params(FORWARD_CASES)))
def test_layer_backward_matches_naive(xp, case_id, method, dtype):
    nd, _, kw = FORWARD_CASES[case_id]
    x, w, b, g, expected = backward_case(case_id, dtype)
    got = BACKWARD[nd](*to_xp(xp, g, x, w, b), method=method, **kw)
    assert len(got) == 3
    for name, out, exp in zip(("grad_x", "grad_w", "grad_b"), got, expected):
        if exp is None:
            assert out is None, f"{name} should be None without a bias"
            continue
        assert_matches(xp, out, exp, dtype)


TRANSPOSE_CASES = {
    "1d-plain": (1, {}, {}),
    "1d-stride3-pad-outpad": (1, {}, dict(stride=3, padding=1, output_padding=2)),
    "1d-groups-dil2-outpad": (1, dict(groups=2, c_out=4), dict(groups=2, dilation=2, output_padding=1, padding=2)),
    "2d-stride-dil-groups-nobias": (
        2,
        dict(groups=2, c_out=4, bias=False),
        dict(groups=2, stride=(2, 1), dilation=(1, 2), padding=(1, 0), output_padding=(1, 1)),
    ),
    "3d-stride2": (3, dict(c_in=2, c_out=3, spatial=(3, 4, 3)), dict(stride=2, padding=(1, 0, 1), output_padding=(1, 0, 0))),
    "1d-k3-pad1": (1, dict(kernel=(3,), spatial=(11,)), dict(padding=1)),
    "2d-k3-groups": (2, dict(kernel=(3, 3), groups=2, c_out=4, spatial=(5, 6)), dict(groups=2)),
}


@functools.lru_cache(maxsize=None)
def transpose_case(case_id, dtype):
    nd, over, kw = TRANSPOSE_CASES[case_id]
    x, w, b = _cast(dtype, *make(np.random.default_rng(_seed(case_id, "t")), nd, transposed=True, **over))
    return x, w, b, conv_transpose_nd_naive(x, w, b, **kw)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case_id, method", list(_backward_params(TRANSPOSE_CASES)))
def test_conv_transpose_matches_naive(xp, case_id, method, dtype):
    nd, _, kw = TRANSPOSE_CASES[case_id]
    x, w, b, expected = transpose_case(case_id, dtype)
    out = TRANSPOSE[nd](*to_xp(xp, x, w, b), method=method, **kw)
    assert_matches(xp, out, expected, dtype)


@functools.lru_cache(maxsize=None)
def long_kernel_case(dtype):
    """A conv1d whose kernel is long enough (70 taps) for "auto" to consider the FFT."""
    rng = np.random.default_rng(_seed("long-kernel"))
    x, w, b = _cast(dtype, *make(rng, 1, n=2, c_in=4, c_out=6, groups=2, spatial=(260,), kernel=(70,)))
    kw = dict(stride=2, dilation=2, padding=((5, 3),), groups=2)
    return x, w, b, kw, conv_nd_naive(x, w, b, **kw)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", ("fft", "auto", "gemm", "direct"))
def test_conv1d_long_kernel_stride_dilation_groups(xp, method, dtype):
    x, w, b, kw, expected = long_kernel_case(dtype)
    out = convlab.conv1d(*to_xp(xp, x, w, b), method=method, **kw)
    assert_matches(xp, out, expected, dtype)


@pytest.mark.parametrize("mode", PADDING_MODES)
@pytest.mark.parametrize("method", ("fft", "auto"))
def test_conv1d_fft_every_padding_mode(rng, mode, method):
    x, w, b = make(rng, 1, spatial=(40,), kernel=(6,), groups=2, c_out=4)
    kw = dict(padding=((4, 3),), stride=2, dilation=3, groups=2, padding_mode=mode)
    assert_close_np(convlab.conv1d(x, w, b, method=method, **kw), conv_nd_naive(x, w, b, **kw), np.float64)


# =========================================================================== Hypothesis: methods agree
def conv_problems(nds=(1, 2, 3), kernel_range=(1, 3), dtypes=(np.float64, np.float32)):
    """The shared strategy, with wider pairs and longer inputs than test_properties draws."""
    return shared_conv_problems(
        nds=nds, kernel_range=kernel_range, dtypes=dtypes, max_pad=3, extra={1: 6, 2: 6, 3: 3}, user_spelling=False
    )


def _methods(nd, kernel=(), kw=None):
    winograd = kw is not None and convlab._winograd.applicable(
        kernel, _per_axis(kw.get("stride", 1), nd), _per_axis(kw.get("dilation", 1), nd)
    )
    return ("direct", "gemm", "auto") + (("fft",) if nd == 1 else ()) + (("winograd",) if winograd else ())


@settings(max_examples=300, **HYPOTHESIS)
@given(problem=conv_problems())
def test_hypothesis_forward_methods_agree(problem):
    nd, x, w, b, kw, _ = problem
    dtype = x.dtype.type
    outs = {m: CONV[nd](x, w, b, method=m, **kw) for m in _methods(nd, w.shape[2:], kw)}
    for m, out in outs.items():
        assert_close_np(out, np.asarray(outs["direct"], dtype=np.float64), dtype, err_msg=f"{m} vs direct")
    if nd < 3:  # the loops are cheap at these sizes
        assert_close_np(outs["direct"], conv_nd_naive(x, w, b, **kw), dtype, err_msg="direct vs naive")


@settings(max_examples=200, **HYPOTHESIS)
@given(problem=conv_problems())
def test_hypothesis_backward_methods_agree(problem):
    nd, x, w, b, kw, rng = problem
    dtype = x.dtype.type
    g = rng.standard_normal(windows_conv_ref(x, w, None, **kw).shape).astype(dtype)
    methods = [m for m in _methods(nd, w.shape[2:], kw) if m != "fft"]
    outs = {m: BACKWARD[nd](g, x, w, b, method=m, **kw) for m in methods}
    expected = conv_nd_backward_naive(g, x, w, b, **kw) if nd < 3 else None
    for m, got in outs.items():
        for i, (out, ref) in enumerate(zip(got, outs["direct"])):
            if b is None and i == 2:
                assert out is None
                continue
            assert_close_np(out, np.asarray(ref, dtype=np.float64), dtype, err_msg=f"{m} vs direct, output {i}")
            if expected is not None:
                assert_close_np(out, expected[i], dtype, err_msg=f"{m} vs naive, output {i}")


@settings(max_examples=60, **HYPOTHESIS)
@given(problem=conv_problems(nds=(1,), kernel_range=(60, 90)))
def test_hypothesis_conv1d_long_kernels_methods_agree(problem):
    """Kernels of 60-90 taps, where "auto" may pick the FFT: every method equals the windows reference."""
    _, x, w, b, kw, _ = problem
    expected = windows_conv_ref(x, w, b, **kw)
    for m in ("fft", "auto", "gemm", "direct"):
        assert_close_np(convlab.conv1d(x, w, b, method=m, **kw), expected, x.dtype.type, err_msg=m)


def transpose_problems():
    return shared_transpose_problems(max_len=5, dtypes=(np.float64, np.float32))


@settings(max_examples=150, **HYPOTHESIS)
@given(problem=transpose_problems())
def test_hypothesis_transpose_methods_agree(problem):
    nd, x, w, b, kw = problem
    expected = conv_transpose_nd_naive(x, w, b, **kw)
    for m in LAYER_METHODS:
        assert_close_np(TRANSPOSE[nd](x, w, b, method=m, **kw), expected, x.dtype.type, err_msg=m)


# =========================================================================== FFT: signals
MODES = ("full", "same", "valid")
LENGTHS = [
    (1, 1), (1, 6), (6, 1), (2, 2), (4, 6), (6, 4), (7, 7), (8, 3), (3, 8), (9, 4),
    (63, 64), (64, 64), (64, 65), (100, 64), (64, 100), (128, 127), (500, 300), (300, 500),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m, n", LENGTHS, ids=[f"{m}x{n}" for m, n in LENGTHS])
@pytest.mark.parametrize("fn", ["convolve", "correlate"])
@pytest.mark.parametrize("method", ["fft", "auto"])
def test_signal_matches_numpy(xp, fn, method, m, n, dtype):
    rng = np.random.default_rng(_seed(fn, m, n))
    x = rng.standard_normal(m).astype(dtype)
    w = rng.standard_normal(n).astype(dtype)
    for mode in MODES:
        expected = getattr(np, fn)(x.astype(np.float64), w.astype(np.float64), mode)
        out = getattr(convlab, fn)(xp.asarray(x), xp.asarray(w), mode, method=method)
        assert xp.is_native(out), f"{mode}: output left {xp.name}"
        assert_close_np(xp.to_numpy(out), expected, dtype, err_msg=f"mode={mode}")


LONG = [(3000, 257), (257, 3000), (4096, 1024), (10007, 513), (2000, 2000)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("m, n", LONG, ids=[f"{m}x{n}" for m, n in LONG])
def test_long_kernels_match_numpy_and_scipy(m, n, dtype):
    signal = pytest.importorskip("scipy.signal")
    rng = np.random.default_rng(_seed("long", m, n))
    x = rng.standard_normal(m).astype(dtype)
    w = rng.standard_normal(n).astype(dtype)
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    for mode in MODES:
        conv_np = np.convolve(x64, w64, mode)
        # the references agree (scipy's "same" is centred on its first argument: pass the longer one first)
        longer, shorter = (x64, w64) if m >= n else (w64, x64)
        np.testing.assert_allclose(signal.oaconvolve(longer, shorter, mode), conv_np, rtol=1e-9, atol=1e-9)
        corr_np = np.correlate(x64, w64, mode)
        for method in SIGNAL_METHODS:
            msg = f"mode={mode}, method={method}"
            assert_close_np(convlab.convolve(x, w, mode, method=method), conv_np, dtype, err_msg="convolve " + msg)
            assert_close_np(convlab.correlate(x, w, mode, method=method), corr_np, dtype, err_msg="correlate " + msg)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("length", [1, 2, 7, 64, 200, 1001])
@pytest.mark.parametrize("method", ["fft", "auto"])
def test_autocorrelate_fft(xp, method, length, dtype):
    rng = np.random.default_rng(_seed("auto", length))
    x = (rng.standard_normal(length) + 0.5).astype(dtype)
    expected = np.correlate(x.astype(np.float64), x.astype(np.float64), "full")
    r, lags = convlab.autocorrelate(xp.asarray(x), method=method)
    assert xp.is_native(r)
    assert_close_np(xp.to_numpy(r), expected, dtype)
    np.testing.assert_array_equal(xp.to_numpy(lags), np.arange(-(length - 1), length))
    for mode in ("same", "valid"):
        r_mode, _ = convlab.autocorrelate(xp.asarray(x), mode, method=method)
        assert_close_np(xp.to_numpy(r_mode), np.correlate(x.astype(np.float64), x.astype(np.float64), mode), dtype,
                        err_msg=mode)


def test_autocorrelate_fft_normalized(rng):
    x = rng.standard_normal(300) + 2.0
    xd = x - x.mean()
    full = np.correlate(xd, xd, "full")
    lags = np.arange(-299, 300)
    r, _ = convlab.autocorrelate(x, normalize="unbiased", demean=True, method="fft")
    assert_close_np(r, full / (300 - np.abs(lags)), np.float64)
    r, _ = convlab.autocorrelate(x, normalize="coeff", demean=True, method="fft")
    assert_close_np(r, full / np.dot(xd, xd), np.float64)


@pytest.mark.parametrize("method", SIGNAL_METHODS)
def test_integer_signals_computed_in_float64(method):
    rng = np.random.default_rng(_seed("int"))
    x = rng.integers(-50, 50, size=200)
    w = rng.integers(-50, 50, size=90)
    y = convlab.convolve(x, w, "full", method=method)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, np.convolve(x, w, "full").astype(np.float64), rtol=0, atol=1e-8)


# =========================================================================== blocking under a small budget
# (x shape, w shape, keywords): windows matrices several MB, so 1 MiB forces many blocks
BLOCK_CASES = {
    "1d-brief": ((5, 3, 5000), (4, 3, 9), dict(padding=4)),
    "1d-all": ((3, 6, 20011), (9, 2, 5), dict(padding=((3, 1),), stride=3, dilation=2, groups=3, padding_mode="reflect")),
    "1d-batch-blocks": ((200, 2, 300), (3, 2, 5), dict(padding=((0, 2),), padding_mode="circular")),
    "2d-all": ((3, 4, 120, 100), (6, 2, 3, 3), dict(padding=((1, 2), (0, 3)), stride=(2, 1), dilation=(1, 2), groups=2)),
    "3d": ((2, 2, 24, 24, 24), (3, 2, 3, 3, 3), dict(padding=1, padding_mode="replicate")),
}


@functools.lru_cache(maxsize=None)
def block_case(case_id, dtype):
    xs, ws, kw = BLOCK_CASES[case_id]
    rng = np.random.default_rng(_seed("block", case_id))
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal(ws).astype(dtype)
    b = rng.standard_normal(ws[0]).astype(dtype)
    return x, w, b, kw


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case_id", list(BLOCK_CASES))
def test_gemm_forward_blocked(case_id, dtype):
    x, w, b, kw = block_case(case_id, dtype)
    nd = x.ndim - 2
    expected = windows_conv_ref(x, w, b, **kw)
    unblocked = CONV[nd](x, w, b, method="gemm", **kw)  # default budget: one block, or a few
    with budget(MIB):
        blocked = CONV[nd](x, w, b, method="gemm", **kw)
        auto = CONV[nd](x, w, b, method="auto", **kw)
    assert_close_np(unblocked, expected, dtype, err_msg="default budget vs reference")
    assert_close_np(blocked, expected, dtype, err_msg="1 MiB budget vs reference")
    assert_close_np(auto, expected, dtype, err_msg="auto, 1 MiB budget vs reference")
    tight = 1e-13 if dtype == np.float64 else 1e-5
    assert_close_np(blocked, np.asarray(unblocked, dtype=np.float64), dtype, tol=tight, err_msg="blocked vs unblocked")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case_id", list(BLOCK_CASES))
def test_gemm_backward_blocked(case_id, dtype):
    x, w, b, kw = block_case(case_id, dtype)
    nd = x.ndim - 2
    g = np.random.default_rng(_seed("g", case_id)).standard_normal(windows_conv_ref(x, w, None, **kw).shape).astype(dtype)
    expected = windows_backward_ref(g, x, w, b, **kw)
    unblocked = BACKWARD[nd](g, x, w, b, method="gemm", **kw)
    with budget(MIB):
        blocked = BACKWARD[nd](g, x, w, b, method="gemm", **kw)
    tight = 1e-12 if dtype == np.float64 else 1e-5
    for name, u, bl, exp in zip(("grad_x", "grad_w", "grad_b"), unblocked, blocked, expected):
        assert_close_np(u, exp, dtype, err_msg=f"{name}: default budget vs reference")
        assert_close_np(bl, exp, dtype, err_msg=f"{name}: 1 MiB budget vs reference")
        assert_close_np(bl, np.asarray(u, dtype=np.float64), dtype, tol=tight, err_msg=f"{name}: blocked vs unblocked")


@pytest.mark.parametrize("case_id", ["1d-brief", "1d-batch-blocks", "2d-all"])
def test_gemm_blocked_every_backend(xp, case_id):
    """Blocks put back together on every library (NumPy writes into the output, others concatenate)."""
    x, w, b, kw = block_case(case_id, np.float64)
    nd = x.ndim - 2
    expected = windows_conv_ref(x, w, b, **kw)
    g = np.random.default_rng(_seed("g", case_id)).standard_normal(expected.shape)
    expected_back = windows_backward_ref(g, x, w, b, **kw)
    # conv_transpose(g, w) is the input gradient of an unpadded convolution of an input of its output size
    tkw = {k: v for k, v in kw.items() if k in ("stride", "dilation", "groups")}
    stride, dilation = _per_axis(kw.get("stride", 1), nd), _per_axis(kw.get("dilation", 1), nd)
    t_spatial = tuple((o - 1) * s + d * (k - 1) + 1 for o, s, d, k in zip(g.shape[2:], stride, dilation, w.shape[2:]))
    expected_t = windows_backward_ref(g, np.zeros(x.shape[:2] + t_spatial), w, **tkw)[0]
    with budget(MIB):
        out = CONV[nd](*to_xp(xp, x, w, b), method="gemm", **kw)
        grads = BACKWARD[nd](*to_xp(xp, g, x, w, b), method="gemm", **kw)
        transposed = TRANSPOSE[nd](*to_xp(xp, g, w), method="gemm", **tkw)
    assert_matches(xp, out, expected, np.float64)
    for got, exp in zip(grads, expected_back):
        assert_matches(xp, got, exp, np.float64)
    assert_matches(xp, transposed, expected_t, np.float64)


SMALL_BLOCK_CASES = [
    # small enough for the loops; the budget is the minimum, so these exercise the same code with few blocks
    ((3, 4, 40), (6, 2, 3), dict(stride=2, dilation=2, padding=((2, 1),), groups=2, padding_mode="median")),
    ((2, 2, 9, 8), (4, 2, 2, 3), dict(stride=(1, 2), padding=((1, 0), (2, 2)), padding_mode="mean")),
]


@pytest.mark.parametrize("xs, ws, kw", SMALL_BLOCK_CASES)
def test_small_budget_small_case_matches_naive(rng, xs, ws, kw):
    x = rng.standard_normal(xs)
    w = rng.standard_normal(ws)
    b = rng.standard_normal(ws[0])
    nd = x.ndim - 2
    expected = conv_nd_naive(x, w, b, **kw)
    g = rng.standard_normal(expected.shape)
    expected_back = conv_nd_backward_naive(g, x, w, b, **kw)
    with budget(MIB):
        for m in LAYER_METHODS + (("fft",) if nd == 1 else ()):
            assert_close_np(CONV[nd](x, w, b, method=m, **kw), expected, np.float64, err_msg=m)
        for m in LAYER_METHODS:
            for i, (out, exp) in enumerate(zip(BACKWARD[nd](g, x, w, b, method=m, **kw), expected_back)):
                assert_close_np(out, exp, np.float64, err_msg=f"{m} output {i}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", ["convolve", "correlate"])
def test_fft_signal_blocked(xp, fn, dtype):
    rng = np.random.default_rng(_seed("fftblock", fn))
    x = rng.standard_normal(400_003).astype(dtype)
    w = rng.standard_normal(257).astype(dtype)
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    xx, ww = xp.asarray(x), xp.asarray(w)
    for mode in MODES if xp.name == "numpy" else ("full",):  # the modes are slices of one blocked result
        expected = getattr(np, fn)(x64, w64, mode)
        unblocked = getattr(convlab, fn)(xx, ww, mode, method="fft")
        with budget(MIB):
            blocked = getattr(convlab, fn)(xx, ww, mode, method="fft")
            auto = getattr(convlab, fn)(xx, ww, mode)
        assert xp.is_native(blocked) and xp.is_native(auto)
        unblocked, blocked, auto = (xp.to_numpy(a) for a in (unblocked, blocked, auto))
        assert_close_np(unblocked, expected, dtype, err_msg=f"{mode}: default budget")
        assert_close_np(blocked, expected, dtype, err_msg=f"{mode}: 1 MiB budget")
        assert_close_np(auto, expected, dtype, err_msg=f"{mode}: auto, 1 MiB budget")
        assert_close_np(blocked, np.asarray(unblocked, dtype=np.float64), dtype, err_msg=f"{mode}: blocked vs unblocked")


def test_fft_signal_blocked_kernel_longer_than_signal():
    signal = pytest.importorskip("scipy.signal")
    rng = np.random.default_rng(_seed("fftblock-long-kernel"))
    x = rng.standard_normal(3001)
    w = rng.standard_normal(200_000)
    for mode in MODES:
        expected = signal.fftconvolve(w, x, mode)  # scipy centres "same" on its first (here the longer) argument
        with budget(MIB):
            assert_close_np(convlab.convolve(x, w, mode, method="fft"), expected, np.float64, tol=1e-10, err_msg=mode)
            assert_close_np(convlab.correlate(x, w, mode, method="fft"), np.correlate(x, w, mode), np.float64,
                            tol=1e-10, err_msg=mode)


def test_fft_autocorrelate_blocked():
    signal = pytest.importorskip("scipy.signal")
    x = np.random.default_rng(_seed("autoblock")).standard_normal(60_000)
    expected = signal.fftconvolve(x, x[::-1], "full")
    with budget(MIB):
        r, lags = convlab.autocorrelate(x, method="fft")
    assert_close_np(r, expected, np.float64, tol=1e-10)
    np.testing.assert_array_equal(lags, np.arange(-59_999, 60_000))


@pytest.mark.parametrize("dtype", DTYPES)
def test_fft_conv1d_blocked(dtype):
    rng = np.random.default_rng(_seed("fft-conv1d-block"))
    x = rng.standard_normal((4, 3, 30_000)).astype(dtype)
    w = rng.standard_normal((6, 3, 129)).astype(dtype)
    b = rng.standard_normal(6).astype(dtype)
    kw = dict(stride=2, dilation=1, padding=((64, 30),), padding_mode="reflect")
    expected = windows_conv_ref(x, w, b, **kw)
    unblocked = convlab.conv1d(x, w, b, method="fft", **kw)
    with budget(MIB):
        blocked = convlab.conv1d(x, w, b, method="fft", **kw)
    assert_close_np(unblocked, expected, dtype)
    assert_close_np(blocked, expected, dtype)
    assert_close_np(blocked, np.asarray(unblocked, dtype=np.float64), dtype)


# --------------------------------------------------------------------------- the budget itself
@pytest.fixture
def restore_budget():
    prev = convlab.memory_budget()
    try:
        yield prev
    finally:
        convlab.set_memory_budget(prev)


def test_default_budget_is_256_mib():
    """In a fresh interpreter (no other test can have changed it)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(convlab.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run(
        [sys.executable, "-c", "import convlab; print(repr(convlab.memory_budget()))"],
        capture_output=True, text=True, env=env, check=True,
    )
    assert out.stdout.strip() == str(DEFAULT_BUDGET)


def test_set_returns_previous_and_get_returns_set(restore_budget):
    assert isinstance(restore_budget, int) and not isinstance(restore_budget, bool)
    assert convlab.set_memory_budget(3 * MIB) == restore_budget
    assert convlab.memory_budget() == 3 * MIB
    assert type(convlab.memory_budget()) is int
    assert convlab.set_memory_budget(MIB) == 3 * MIB  # exactly 1 MiB is allowed
    assert convlab.memory_budget() == MIB
    assert convlab.set_memory_budget(2**40) == MIB
    assert convlab.memory_budget() == 2**40


@pytest.mark.parametrize("bad", [0, -1, 1, MIB - 1, -(2**30)], ids=str)
def test_budget_below_one_mib_rejected(restore_budget, bad):
    convlab.set_memory_budget(5 * MIB)
    with pytest.raises(ValueError, match="memory|nbytes") as info:
        convlab.set_memory_budget(bad)
    assert str(bad) in str(info.value) or "1 MiB" in str(info.value) or str(MIB) in str(info.value)
    assert convlab.memory_budget() == 5 * MIB  # unchanged


@pytest.mark.parametrize("bad", [2.0 * MIB, "2097152", None, [MIB]], ids=["float", "str", "None", "list"])
def test_budget_non_int_rejected(restore_budget, bad):
    convlab.set_memory_budget(5 * MIB)
    with pytest.raises((TypeError, ValueError), match="memory|nbytes"):
        convlab.set_memory_budget(bad)
    assert convlab.memory_budget() == 5 * MIB


# =========================================================================== peak memory (tracemalloc)
def _peak_bytes(fn, warm_up=None):
    """Peak bytes allocated (NumPy reports its buffers to tracemalloc) while ``fn()`` runs, and its result.

    ``warm_up()`` runs first, untraced, so that lazy imports and caches of a first call are not counted.
    """
    if warm_up is not None:
        warm_up()
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, result


def test_tracemalloc_sees_numpy_buffers():
    """The measurement below can fail: a 4 MiB NumPy temporary shows up in the peak."""
    peak, _ = _peak_bytes(lambda: float(np.ones(MIB // 2).sum()))
    assert peak >= 4 * MIB


PEAK_FORWARD = [
    # (x shape, w shape): both windows matrices are ~4 MiB, four times the 1 MiB budget
    pytest.param((2, 4, 8192), (4, 4, 8), id="batch"),
    # as many output channels as window rows: the output (4 MiB) is as large as the windows matrix,
    # and one sample is over the budget, so the blocks split the output positions
    pytest.param((2, 1, 1 << 16), (4, 1, 4), id="wide-output"),
]


@pytest.mark.parametrize("xs, ws", PEAK_FORWARD)
def test_gemm_forward_peak_memory(xs, ws):
    rng = np.random.default_rng(_seed("peak-forward", xs))
    x = rng.standard_normal(xs)
    w = rng.standard_normal(ws)
    l_out = xs[2] - ws[2] + 1
    windows = xs[0] * xs[1] * ws[2] * l_out * 8  # bytes of the full (N, C*k, L_out) windows matrix
    assert windows >= 4 * MIB - 64 * 1024
    expected = windows_conv_ref(x, w)
    with budget(MIB):
        peak, y = _peak_bytes(lambda: convlab.conv1d(x, w, method="gemm"),
                              warm_up=lambda: convlab.conv1d(x[:, :, :40], w, method="gemm"))
    limit = 2 * MIB + x.nbytes + y.nbytes + 64 * 1024  # + 64 KiB for small Python objects
    assert peak <= limit, (
        f"peak {peak / MIB:.2f} MiB > {limit / MIB:.2f} MiB (full windows: {windows / MIB:.2f} MiB, "
        f"input {x.nbytes / MIB:.2f} MiB, output {y.nbytes / MIB:.2f} MiB)"
    )
    assert peak >= y.nbytes  # the output itself was seen
    assert_close_np(y, expected, np.float64)


def test_gemm_backward_peak_memory():
    rng = np.random.default_rng(_seed("peak-backward"))
    x = rng.standard_normal((4, 4, 8192))
    w = rng.standard_normal((4, 4, 8))
    g = rng.standard_normal((4, 4, 8192 - 7))
    windows = 4 * 4 * 8 * (8192 - 7) * 8  # ~8 MiB
    expected = windows_backward_ref(g, x, w)
    with budget(MIB):
        peak, (gx, gw, gb) = _peak_bytes(
            lambda: convlab.conv1d_backward(g, x, w, method="gemm"),
            warm_up=lambda: convlab.conv1d_backward(g[:, :, :33], x[:, :, :40], w, method="gemm"),
        )
    limit = 3 * MIB + 2 * x.nbytes + g.nbytes + 64 * 1024
    assert peak <= limit, f"peak {peak / MIB:.2f} MiB > {limit / MIB:.2f} MiB (full windows: {windows / MIB:.2f} MiB)"
    assert gb is None
    assert_close_np(gx, expected[0], np.float64)
    assert_close_np(gw, expected[1], np.float64)


@pytest.mark.parametrize("fn", ["convolve", "conv1d"])
def test_fft_peak_memory(fn):
    """1 Mi samples, 257 taps: the overlap-add segments in flight stay within a few budgets."""
    rng = np.random.default_rng(_seed("peak-fft"))
    x = rng.standard_normal(1 << 20)
    w = rng.standard_normal(257)
    if fn == "convolve":
        call = lambda a: convlab.convolve(a, w, method="fft")  # noqa: E731
        expected = np.convolve(x, w)
    else:
        w3 = w.reshape(1, 1, -1)
        call = lambda a: convlab.conv1d(a.reshape(1, 1, -1), w3, method="fft")  # noqa: E731
        expected = np.correlate(x, w, "valid").reshape(1, 1, -1)
    with budget(MIB):
        peak, y = _peak_bytes(lambda: call(x), warm_up=lambda: call(x[:3000]))
    # the unblocked transform holds several spectra of the whole signal (~9 times the input here)
    limit = 3 * MIB + x.nbytes + y.nbytes + 64 * 1024
    assert peak <= limit, f"peak {peak / MIB:.2f} MiB > {limit / MIB:.2f} MiB"
    assert_close_np(y, expected, np.float64)


def test_fft_convolve_ten_million_samples_under_1gb():
    signal = pytest.importorskip("scipy.signal")
    rng = np.random.default_rng(_seed("ten-million"))
    x = rng.standard_normal(10_000_000)
    w = rng.standard_normal(1025)
    peak, y = _peak_bytes(lambda: convlab.convolve(x, w, method="auto"),
                          warm_up=lambda: convlab.convolve(x[:5000], w, method="auto"))
    assert peak < 1_000_000_000, f"peak {peak / 1e9:.2f} GB"
    assert y.shape == (10_000_000 + 1024,)
    # spot-check against the direct sum at a few positions, and all of it against scipy
    for j in (0, 1, 1023, 1024, 5_000_000, 10_000_000 + 1023):
        lo, hi = max(0, j - 1024), min(j, x.size - 1)
        direct = sum(x[i] * w[j - i] for i in range(lo, hi + 1))
        assert y[j] == pytest.approx(direct, rel=1e-9, abs=1e-9)
    assert_close_np(y, signal.oaconvolve(x, w), np.float64, tol=1e-10)


# =========================================================================== errors
def _calls():
    """(name, callable(method)) for every function that takes ``method``, with valid arguments."""
    rng = np.random.default_rng(_seed("errors"))
    x1, w1, _ = make(rng, 1)
    x2, w2, _ = make(rng, 2)
    x3, w3, _ = make(rng, 3)
    xt1, wt1, _ = make(rng, 1, transposed=True)
    xt2, wt2, _ = make(rng, 2, transposed=True)
    xt3, wt3, _ = make(rng, 3, transposed=True)
    g1, g2, g3 = (conv_nd_naive(x, w).shape for x, w in ((x1, w1), (x2, w2), (x3, w3)))
    s, k = rng.standard_normal(20), rng.standard_normal(5)
    return {
        "conv1d": lambda m: convlab.conv1d(x1, w1, method=m),
        "conv2d": lambda m: convlab.conv2d(x2, w2, method=m),
        "conv3d": lambda m: convlab.conv3d(x3, w3, method=m),
        "conv1d_backward": lambda m: convlab.conv1d_backward(np.ones(g1), x1, w1, method=m),
        "conv2d_backward": lambda m: convlab.conv2d_backward(np.ones(g2), x2, w2, method=m),
        "conv3d_backward": lambda m: convlab.conv3d_backward(np.ones(g3), x3, w3, method=m),
        "conv_transpose1d": lambda m: convlab.conv_transpose1d(xt1, wt1, method=m),
        "conv_transpose2d": lambda m: convlab.conv_transpose2d(xt2, wt2, method=m),
        "conv_transpose3d": lambda m: convlab.conv_transpose3d(xt3, wt3, method=m),
        "convolve": lambda m: convlab.convolve(s, k, method=m),
        "correlate": lambda m: convlab.correlate(s, k, method=m),
        "autocorrelate": lambda m: convlab.autocorrelate(s, method=m),
    }


CALLS = _calls()
NO_FFT = ["conv2d", "conv3d", "conv1d_backward", "conv2d_backward", "conv3d_backward",
          "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]


@pytest.mark.parametrize("bad", ["fast", "im2col", "", "direct "])
@pytest.mark.parametrize("name", list(CALLS))
def test_unknown_method(name, bad):
    with pytest.raises(ValueError, match="method") as info:
        CALLS[name](bad)
    assert repr(bad) in str(info.value) or bad in str(info.value)


@pytest.mark.parametrize("name", list(CALLS))
def test_valid_methods_accepted(name):
    """The error tests mean something: these calls work with every method they support."""
    for m in ("direct", "gemm", "auto") + (() if name in NO_FFT else ("fft",)):
        if name in ("convolve", "correlate", "autocorrelate") and m == "gemm":
            continue  # the spec names direct, fft and auto for signals
        CALLS[name](m)


@pytest.mark.parametrize("name", NO_FFT)
def test_fft_unavailable(name):
    with pytest.raises(ValueError, match="fft"):
        CALLS[name]("fft")
