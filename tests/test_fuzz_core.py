"""Fuzz table and properties over the public numeric API: a named error or the reference's answer.

Every *kind* of bad or edge input below is classified as one of two outcomes:

* ``error``: the call raises the named exception, and its message names the
  parameter and shows the value (``x=None``, ``eps=inf``, ``mode=['full']``);
* ``equal``: the result equals NumPy's / SciPy's / PyTorch's on the SAME input,
  NaN and inf positions (and signs) included, in the promised dtype and shape.

References are NumPy, SciPy and PyTorch, never another convlab path. The
table is followed by Hypothesis properties (NaN/inf anywhere, every method,
padding modes and widths, dtypes) that generalise its rows. The whole file
runs in well under a minute on one core.
"""

from __future__ import annotations

import math
import time
import tracemalloc
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import convlab

torch = pytest.importorskip("torch")
# NaN and inf inputs make NumPy warn ("invalid value encountered"): expected here, the values are checked.
pytestmark = [
    pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning"),
]
F = torch.nn.functional

SETTINGS = dict(deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
RNG_SEED = 20261206


# --------------------------------------------------------------------------- comparison
def same(got, ref, dtype=None, rtol=1e-10, atol=1e-10):
    """``got`` equals ``ref``: shape, dtype (if given), NaN positions, inf positions and signs, values."""
    if isinstance(got, torch.Tensor):
        got = got.detach().numpy()
    if isinstance(ref, torch.Tensor):
        ref = ref.detach().numpy()
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape, f"shape {got.shape}, reference {ref.shape}"
    if dtype is not None:
        assert got.dtype == np.dtype(dtype), f"dtype {got.dtype}, expected {np.dtype(dtype)}"
    g64, r64 = got.astype(np.float64), ref.astype(np.float64)
    assert np.array_equal(np.isnan(g64), np.isnan(r64)), (
        f"NaN at {np.argwhere(np.isnan(g64)).ravel().tolist()}, reference {np.argwhere(np.isnan(r64)).ravel().tolist()}"
    )
    assert np.array_equal(np.isposinf(g64), np.isposinf(r64)), "+inf positions differ"
    assert np.array_equal(np.isneginf(g64), np.isneginf(r64)), "-inf positions differ"
    finite = np.isfinite(r64)
    np.testing.assert_allclose(g64[finite], r64[finite], rtol=rtol, atol=atol)


def t(a, dtype=None):
    """A torch tensor of ``a`` (float64 unless said)."""
    return torch.from_numpy(np.ascontiguousarray(np.asarray(a, dtype=dtype or np.float64)))


def torch_grads(fn, g, x, w, b=None, unbatched=False, **kw):
    """``(grad_x, grad_w, grad_b)`` by PyTorch autograd through ``fn`` (an F.conv*d) at ``x, w, b``."""
    xt, wt = t(x).requires_grad_(), t(w).requires_grad_()
    bt = None if b is None else t(b).requires_grad_()
    y = fn(xt, wt, bt, **kw)
    y.backward(t(g))
    return xt.grad, wt.grad, None if bt is None else bt.grad


def torch_pad_then(fn, x, w, pad, mode, **kw):
    """PyTorch's layer with a non-zero padding mode: F.pad, then the convolution unpadded."""
    return fn(F.pad(x, pad, mode=mode), w, **kw)


def rng():
    return np.random.default_rng(RNG_SEED)


def signal_with(values_at, n=200, seed=0):
    x = np.random.default_rng(seed).standard_normal(n)
    for i, v in values_at.items():
        x[i] = v
    return x


# --------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class Case:
    id: str
    outcome: str  # "error" or "equal"
    run: Callable  # the convlab call
    ref: Callable | None = None  # equal: () -> (expected, dtype or None, tolerance)
    exc: type | None = None  # error: the exception type
    names: tuple = ()  # error: strings the message must contain (parameter and value)


def err(id, run, exc, *names):
    return Case(id, "error", run, exc=exc, names=names)


def eq(id, run, ref):
    return Case(id, "equal", run, ref=ref)


X1 = np.arange(10.0).reshape(1, 2, 5)
W1 = np.ones((3, 2, 3))
G1 = np.ones((1, 3, 3))
X2 = np.arange(50.0).reshape(1, 2, 5, 5)
W2 = np.ones((3, 2, 3, 3))
WT1 = np.ones((2, 3, 3))


def _nan_signal():
    return signal_with({100: np.nan})


def _inf_signal():
    return signal_with({50: np.inf, 120: -np.inf})


def _be(a):
    return np.asarray(a, dtype=">f8")


def _fortran():
    return np.asfortranarray(np.arange(12.0).reshape(3, 4))


def _grad_case(mode, g_values, pad=2, n=7):
    """conv1d_backward through copy padding with non-finite values in grad_out, against torch autograd."""
    r = rng()
    x, w = r.standard_normal((1, 2, n)), r.standard_normal((3, 2, 3))
    out = n + 2 * pad - 2
    g = r.standard_normal((1, 3, out))
    for (c, i), v in g_values.items():
        g[0, c, i] = v

    def run():
        return convlab.conv1d_backward(g, x, w, padding=pad, padding_mode=mode)

    def ref():
        torch_mode = {"zeros": "constant"}.get(mode, mode)
        xt, wt = t(x).requires_grad_(), t(w).requires_grad_()
        F.conv1d(F.pad(xt, (pad, pad), mode=torch_mode), wt).backward(t(g))
        return (xt.grad, wt.grad, None)

    return run, ref


def _gradcheck_nan_gradient():
    return convlab.gradcheck(lambda a: (float(np.sum(a**2)), (np.where(a > 0, np.nan, 2 * a),)), np.array([-1.0, 1.0]))


def _mean_stat():
    x = np.random.default_rng(3).standard_normal((40, 9)) * 1e3
    return x


def table():
    r = rng()
    cases = [
        # ---- convolve / correlate / autocorrelate against numpy
        eq("convolve-nan-auto-fft", lambda: convlab.convolve(_nan_signal(), np.ones(16)),
           lambda: (np.convolve(_nan_signal(), np.ones(16)), np.float64, 1e-9)),
        eq("convolve-inf-auto-fft", lambda: convlab.convolve(_inf_signal(), np.arange(1.0, 21.0)),
           lambda: (np.convolve(_inf_signal(), np.arange(1.0, 21.0)), np.float64, 1e-9)),
        eq("convolve-inf-in-kernel", lambda: convlab.convolve(np.arange(40.0), signal_with({3: -np.inf}, 20)),
           lambda: (np.convolve(np.arange(40.0), signal_with({3: -np.inf}, 20)), np.float64, 1e-9)),
        eq("correlate-nan-method-fft", lambda: convlab.correlate(_nan_signal(), np.ones(30), "same", method="fft"),
           lambda: (np.correlate(_nan_signal(), np.ones(30), "same"), np.float64, 1e-9)),
        eq("autocorrelate-inf", lambda: convlab.autocorrelate(_inf_signal()[:40]).values,
           lambda: (np.correlate(_inf_signal()[:40], _inf_signal()[:40], "full"), np.float64, 1e-9)),
        eq("convolve-big-endian", lambda: convlab.convolve(_be(np.arange(5.0) / 3), _be([1.0, 1 / 3, 0.7])),
           lambda: (np.convolve(np.arange(5.0) / 3, [1.0, 1 / 3, 0.7]), np.float64, 1e-15)),
        eq("convolve-float16", lambda: convlab.convolve(np.ones(20, np.float16) / 3, np.ones(17, np.float16)),
           lambda: (np.convolve(np.ones(20, np.float16) / 3, np.ones(17, np.float16)), np.float16, 1e-2)),
        eq("convolve-int-lists", lambda: convlab.convolve([1, 2, 3], [0, 1]),
           lambda: (np.convolve([1.0, 2.0, 3.0], [0.0, 1.0]), np.float64, 0)),
        eq("convolve-bool", lambda: convlab.convolve(np.array([True, False, True]), np.array([True, True])),
           lambda: (np.convolve([1.0, 0.0, 1.0], [1.0, 1.0]), np.float64, 0)),
        eq("correlate-same-long-kernel", lambda: convlab.correlate(np.arange(4.0), np.arange(7.0), "same"),
           lambda: (np.correlate(np.arange(4.0), np.arange(7.0), "same"), np.float64, 1e-12)),
        eq("convolve-float32-stays", lambda: convlab.convolve(np.ones(30, np.float32), np.ones(20, np.float32)),
           lambda: (np.convolve(np.ones(30, np.float32), np.ones(20, np.float32)), np.float32, 1e-5)),
        err("convolve-longdouble", lambda: convlab.convolve(np.ones(5, np.longdouble), np.ones(3)), TypeError, "x", "float128"),
        err("convolve-x-none", lambda: convlab.convolve(None, np.ones(3)), TypeError, "x=None"),
        err("convolve-w-none", lambda: convlab.convolve(np.ones(3), None), TypeError, "w=None"),
        err("convolve-dict", lambda: convlab.convolve({"a": 1}, np.ones(3)), TypeError, "x", "dict"),
        err("convolve-object", lambda: convlab.convolve(object(), np.ones(3)), TypeError, "x", "object"),
        err("convolve-complex", lambda: convlab.convolve(np.ones(3, complex), np.ones(3)), TypeError, "x", "complex"),
        err("convolve-mode-list", lambda: convlab.convolve(np.ones(3), np.ones(3), ["full"]), ValueError, "mode", "['full']"),
        err("convolve-method-typo", lambda: convlab.convolve(np.ones(3), np.ones(3), method="ff"), ValueError, "method", "'ff'"),
        err("convolve-2d", lambda: convlab.convolve(np.ones((2, 3)), np.ones(3)), ValueError, "x", "(2, 3)"),
        err("convolve-empty", lambda: convlab.convolve(np.ones(0), np.ones(3)), ValueError, "x", "empty"),
        err("correlate-ragged", lambda: convlab.correlate([1.0, [2.0]], np.ones(3)), TypeError, "x", "[1.0, [2.0]]"),
        err("autocorrelate-coeff-zeros", lambda: convlab.autocorrelate(np.zeros(4), normalize="coeff"), ValueError, "normalize", "'coeff'"),
        err("autocorrelate-demean-int", lambda: convlab.autocorrelate(np.ones(4), demean=1), TypeError, "demean", "1"),
        err("autocorrelate-normalize-typo", lambda: convlab.autocorrelate(np.ones(4), normalize="coef"), ValueError, "normalize", "'coef'"),
        # ---- pad against numpy.pad / torch F.pad
        eq("pad-zero-width-is-copy", lambda: _pad_zero_width_copy(), lambda: (np.arange(4.0), np.float64, 0)),
        eq("pad-fortran-order", lambda: _fortran_flag(convlab.pad(_fortran(), ((0, 0), (1, 2)), "reflect")),
           lambda: (_fortran_flag(np.pad(_fortran(), ((0, 0), (1, 2)), "reflect")), np.float64, 0)),
        eq("pad-mean-bitwise", lambda: convlab.pad(_mean_stat(), ((0, 0), (2, 3)), "mean", stat_length=(4, 7)),
           lambda: (np.pad(_mean_stat(), ((0, 0), (2, 3)), "mean", stat_length=(4, 7)), np.float64, 0)),
        eq("pad-mean-inf", lambda: convlab.pad(np.array([np.inf, 1.0, 2.0]), 2, "mean"),
           lambda: (np.pad(np.array([np.inf, 1.0, 2.0]), 2, "mean"), np.float64, 0)),
        eq("pad-mean-plus-minus-inf", lambda: convlab.pad(np.array([np.inf, 1.0, -np.inf]), 1, "mean"),
           lambda: (np.pad(np.array([np.inf, 1.0, -np.inf]), 1, "mean"), np.float64, 0)),
        eq("pad-median-nan", lambda: convlab.pad(np.array([np.nan, 1.0, 2.0, 4.0]), 2, "median", stat_length=3),
           lambda: (np.pad(np.array([np.nan, 1.0, 2.0, 4.0]), 2, "median", stat_length=3), np.float64, 0)),
        eq("pad-reflect-wide", lambda: convlab.pad(np.arange(3.0), (11, 7), "reflect"),
           lambda: (np.pad(np.arange(3.0), (11, 7), "reflect"), np.float64, 0)),
        eq("pad-symmetric-wide", lambda: convlab.pad(np.arange(3.0), (11, 7), "symmetric"),
           lambda: (np.pad(np.arange(3.0), (11, 7), "symmetric"), np.float64, 0)),
        eq("pad-circular-wide", lambda: convlab.pad(np.arange(3.0), (11, 7), "circular"),
           lambda: (np.pad(np.arange(3.0), (11, 7), "wrap"), np.float64, 0)),
        eq("pad-reflect-length-1", lambda: convlab.pad(np.array([2.0]), 3, "reflect"),
           lambda: (np.pad(np.array([2.0]), 3, "reflect"), np.float64, 0)),
        eq("pad-reflect-huge-as-fast-as-numpy", lambda: _as_fast_as(
               lambda: convlab.pad(np.arange(5.0), 10**6, "reflect"),
               lambda: np.pad(np.arange(5.0), 10**6, "reflect")),
           lambda: (np.pad(np.arange(5.0), 10**6, "reflect"), np.float64, 0)),
        eq("pad-list-input", lambda: convlab.pad([1, 2, 3], 1, "replicate"),
           lambda: (np.pad(np.array([1.0, 2.0, 3.0]), 1, "edge"), np.float64, 0)),
        eq("pad-big-endian", lambda: convlab.pad(_be([1.0, 2.0, 3.0]), 2, "symmetric"),
           lambda: (np.pad(np.array([1.0, 2.0, 3.0]), 2, "symmetric"), np.float64, 0)),
        eq("pad-float16", lambda: convlab.pad(np.array([1.0, 2.5], np.float16), 1, "constant", value=0.5),
           lambda: (np.pad(np.array([1.0, 2.5], np.float16), 1, "constant", constant_values=0.5), np.float16, 0)),
        eq("pad-nan-replicate", lambda: convlab.pad(np.array([np.nan, 1.0]), 2, "replicate"),
           lambda: (np.pad(np.array([np.nan, 1.0]), 2, "edge"), np.float64, 0)),
        eq("pad-constant-inf-value", lambda: convlab.pad(np.ones(2), 1, "constant", value=-np.inf),
           lambda: (np.pad(np.ones(2), 1, "constant", constant_values=-np.inf), np.float64, 0)),
        eq("pad-torch-reflect-2d", lambda: convlab.pad(t(np.arange(12.0).reshape(1, 3, 4)), 2, "reflect", ndim=2),
           lambda: (F.pad(t(np.arange(12.0).reshape(1, 1, 3, 4)), (2, 2, 2, 2), mode="reflect")[0], np.float64, 0)),
        eq("pad-width-array", lambda: convlab.pad(np.arange(3.0), np.array([1, 2]), "symmetric"),
           lambda: (np.pad(np.arange(3.0), np.array([1, 2]), "symmetric"), np.float64, 0)),
        err("conv1d-mixed-libraries", lambda: convlab.conv1d(X1, t(W1)), TypeError, "x is numpy", "w is torch"),
        err("pad-mode-list", lambda: convlab.pad(np.ones(3), 1, ["reflect"]), ValueError, "mode", "['reflect']"),
        err("pad-mode-edge-hint", lambda: convlab.pad(np.ones(3), 1, "edge"), ValueError, "mode", "'edge'", "'replicate'"),
        err("pad-mode-none", lambda: convlab.pad(np.ones(3), 1, None), ValueError, "mode", "None"),
        err("pad-value-huge-int", lambda: convlab.pad(np.ones(3), 1, "constant", value=10**400), ValueError, "value=1000", "too large"),
        err("pad-ndim-too-many", lambda: convlab.pad(np.ones(3), 1, ndim=10**30), ValueError, "ndim=1000", "x has only 1"),
        eq("conv1d-stride-2-63", lambda: convlab.conv1d(X1, W1, stride=2**63 - 1),
           lambda: (F.conv1d(t(X1), t(W1), stride=2**63 - 1), np.float64, 1e-12)),
        err("pad-value-bool", lambda: convlab.pad(np.ones(3), 1, "constant", value=True), TypeError, "value", "True"),
        err("pad-value-with-reflect", lambda: convlab.pad(np.ones(3), 1, "reflect", value=2.0), ValueError, "value", "2.0"),
        err("pad-stat-length-with-zeros", lambda: convlab.pad(np.ones(3), 1, stat_length=2), ValueError, "stat_length", "2"),
        err("pad-stat-length-0", lambda: convlab.pad(np.ones(3), 1, "mean", stat_length=0), ValueError, "stat_length", "0"),
        err("pad-width-negative", lambda: convlab.pad(np.ones(3), -1), ValueError, "pad_width", "-1"),
        err("pad-width-float", lambda: convlab.pad(np.ones(3), 1.5), TypeError, "pad_width", "1.5"),
        err("pad-width-too-many-pairs", lambda: convlab.pad(np.ones(3), ((1, 1), (1, 1))), ValueError, "pad_width", "x has only 1"),
        err("pad-huge-refused-early", lambda: convlab.pad(np.ones(5), 10**12, "reflect"), MemoryError, "pad", "bytes"),
        err("pad-x-none", lambda: convlab.pad(None, 1), TypeError, "x=None"),
        err("pad-x-str", lambda: convlab.pad("abc", 1), TypeError, "x", "'abc'"),
        err("pad-empty-axis", lambda: convlab.pad(np.ones((2, 0)), 1, "reflect"), ValueError, "x", "empty"),
        # ---- layers against torch
        eq("conv1d-nan-fft", lambda: convlab.conv1d(_nan_signal()[None, None], np.ones((1, 1, 64))),
           lambda: (F.conv1d(t(_nan_signal()[None, None]), t(np.ones((1, 1, 64)))), np.float64, 1e-9)),
        eq("conv1d-inf-fft-dilated", lambda: convlab.conv1d(_inf_signal()[None, None], np.ones((2, 1, 64)), dilation=2),
           lambda: (F.conv1d(t(_inf_signal()[None, None]), t(np.ones((2, 1, 64))), dilation=2), np.float64, 1e-9)),
        eq("conv1d-unbatched", lambda: convlab.conv1d(X1[0], W1, padding=1),
           lambda: (F.conv1d(t(X1[0]), t(W1), padding=1), np.float64, 1e-12)),
        eq("conv2d-unbatched", lambda: convlab.conv2d(X2[0], W2, stride=2),
           lambda: (F.conv2d(t(X2[0]), t(W2), stride=2), np.float64, 1e-12)),
        eq("conv3d-unbatched", lambda: convlab.conv3d(np.ones((2, 3, 3, 3)), np.ones((1, 2, 2, 2, 2))),
           lambda: (F.conv3d(t(np.ones((2, 3, 3, 3))), t(np.ones((1, 2, 2, 2, 2)))), np.float64, 1e-12)),
        eq("conv1d-empty-batch", lambda: convlab.conv1d(np.ones((0, 2, 5)), W1, np.ones(3)),
           lambda: (F.conv1d(t(np.ones((0, 2, 5))), t(W1), t(np.ones(3))), np.float64, 0)),
        eq("conv2d-empty-batch", lambda: convlab.conv2d(np.ones((0, 2, 5, 5)), W2, padding=1),
           lambda: (F.conv2d(t(np.ones((0, 2, 5, 5))), t(W2), padding=1), np.float64, 0)),
        eq("conv1d-huge-dilation-padding", lambda: _timed(lambda: convlab.conv1d(np.arange(1.0, 6.0)[None, None], np.ones((1, 1, 3)), dilation=10**9, padding=10**9), 2.0),
           lambda: (F.conv1d(t(np.arange(1.0, 6.0)[None, None]), t(np.ones((1, 1, 3))), dilation=10**9, padding=10**9), np.float64, 0)),
        eq("conv2d-huge-padding-stride", lambda: _timed(lambda: convlab.conv2d(X2, W2, stride=10**6, padding=(10**7, 1)), 2.0),
           lambda: (F.conv2d(t(X2), t(W2), stride=10**6, padding=(10**7, 1)), np.float64, 0)),
        eq("conv1d-float16", lambda: convlab.conv1d(np.ones((1, 2, 9), np.float16), np.ones((3, 2, 3), np.float16) / 3),
           lambda: (F.conv1d(t(np.ones((1, 2, 9)), np.float32), t(np.ones((3, 2, 3)) / 3, np.float32)).to(torch.float16), np.float16, 1e-3)),
        eq("conv1d-big-endian", lambda: convlab.conv1d(_be(X1 / 7), _be(W1 / 3)),
           lambda: (F.conv1d(t(X1 / 7), t(W1 / 3)), np.float64, 1e-15)),
        eq("conv1d-list-input", lambda: convlab.conv1d(X1.tolist(), W1.tolist()),
           lambda: (F.conv1d(t(X1), t(W1)), np.float64, 1e-12)),
        eq("conv1d-nan-reflect", lambda: convlab.conv1d(_with(X1, (0, 0, 0), np.nan), W1, padding=2, padding_mode="reflect"),
           lambda: (torch_pad_then(F.conv1d, t(_with(X1, (0, 0, 0), np.nan)), t(W1), (2, 2), "reflect"), np.float64, 1e-12)),
        eq("conv_transpose1d-unbatched", lambda: convlab.conv_transpose1d(X1[0], WT1, stride=2),
           lambda: (F.conv_transpose1d(t(X1[0]), t(WT1), stride=2), np.float64, 1e-12)),
        eq("conv_transpose2d-empty-batch", lambda: convlab.conv_transpose2d(np.ones((0, 2, 3, 3)), np.ones((2, 1, 2, 2))),
           lambda: (F.conv_transpose2d(t(np.ones((0, 2, 3, 3))), t(np.ones((2, 1, 2, 2)))), np.float64, 0)),
        eq("conv_transpose1d-huge-dilation-padding", lambda: _timed(lambda: convlab.conv_transpose1d(X1, WT1, dilation=10**9, padding=10**9), 2.0),
           lambda: (F.conv_transpose1d(t(X1), t(WT1), dilation=10**9, padding=10**9), np.float64, 0)),
        eq("conv_transpose1d-inf", lambda: convlab.conv_transpose1d(_with(X1, (0, 1, 2), np.inf), WT1, stride=2),
           lambda: (F.conv_transpose1d(t(_with(X1, (0, 1, 2), np.inf)), t(WT1), stride=2), np.float64, 1e-12)),
        err("conv1d-longdouble", lambda: convlab.conv1d(X1.astype(np.longdouble), W1), TypeError, "x", "float128"),
        err("conv1d-x-none", lambda: convlab.conv1d(None, W1), TypeError, "x=None"),
        err("conv1d-w-none", lambda: convlab.conv1d(X1, None), TypeError, "w=None"),
        err("conv1d-x-1d", lambda: convlab.conv1d(np.ones(5), W1), ValueError, "x", "(5,)"),
        err("conv1d-padding-mode-list", lambda: convlab.conv1d(X1, W1, padding=1, padding_mode=["reflect"]), ValueError, "padding_mode", "['reflect']"),
        err("conv1d-stride-0", lambda: convlab.conv1d(X1, W1, stride=0), ValueError, "stride", "0"),
        err("conv1d-groups-float", lambda: convlab.conv1d(X1, W1, groups=1.5), TypeError, "groups", "1.5"),
        err("conv1d-padding-str", lambda: convlab.conv1d(X1, W1, padding="2"), ValueError, "padding", "'2'"),
        err("conv1d-output-too-big", lambda: convlab.conv1d(X1, W1, padding=10**12), MemoryError, "conv1d", "bytes"),
        err("conv1d-replicate-copy-too-big", lambda: convlab.conv1d(X1, W1, stride=10**12, padding=10**12, padding_mode="replicate"), MemoryError, "padding_mode='replicate'", "bytes"),
        err("conv2d-method-fft", lambda: convlab.conv2d(X2, W2, method="fft"), ValueError, "method", "'fft'"),
        err("conv1d-x-int-scalar", lambda: convlab.conv1d(3, W1), ValueError, "x", "()"),
        err("conv_transpose1d-x-none", lambda: convlab.conv_transpose1d(None, WT1), TypeError, "x=None"),
        err("conv_transpose1d-output-padding", lambda: convlab.conv_transpose1d(X1, WT1, output_padding=1), ValueError, "output_padding", "1"),
        # ---- backward against torch autograd
        eq("conv1d_backward-reflect-nan-border", *_grad_pair("reflect", {(0, 0): np.nan})),
        eq("conv1d_backward-replicate-nan-border", *_grad_pair("replicate", {(1, 8): np.nan})),
        eq("conv1d_backward-circular-inf-border", *_grad_pair("circular", {(2, 0): np.inf, (0, 8): -np.inf})),
        eq("conv1d_backward-reflect-inside-nan", *_grad_pair("reflect", {(0, 4): np.nan})),
        eq("conv1d_backward-unbatched", lambda: convlab.conv1d_backward(G1[0], X1[0], W1, np.ones(3)),
           lambda: (torch_grads(F.conv1d, G1[0], X1[0], W1, np.ones(3)), None, 1e-12)),
        eq("conv2d_backward-empty-batch", lambda: convlab.conv2d_backward(np.ones((0, 3, 3, 3)), np.ones((0, 2, 5, 5)), W2, np.ones(3)),
           lambda: (torch_grads(F.conv2d, np.ones((0, 3, 3, 3)), np.ones((0, 2, 5, 5)), W2, np.ones(3)), None, 0)),
        eq("conv1d_backward-huge-dilation", lambda: convlab.conv1d_backward(np.ones((1, 3, 5)), X1, W1, dilation=10**9, padding=10**9),
           lambda: (torch_grads(F.conv1d, np.ones((1, 3, 5)), X1, W1, dilation=10**9, padding=10**9), None, 0)),
        eq("conv1d_backward-grad-list", lambda: convlab.conv1d_backward(G1.tolist(), X1, W1),
           lambda: (torch_grads(F.conv1d, G1, X1, W1), None, 1e-12)),
        err("conv1d_backward-grad-none", lambda: convlab.conv1d_backward(None, X1, W1), TypeError, "grad_out=None"),
        err("conv1d_backward-grad-shape", lambda: convlab.conv1d_backward(np.ones((1, 3, 4)), X1, W1), ValueError, "grad_out", "(1, 3, 4)"),
        err("conv1d_backward-grad-str", lambda: convlab.conv1d_backward("g", X1, W1), TypeError, "grad_out", "'g'"),
        # ---- output_size / same_padding against torch's shapes
        eq("output_size-torch", lambda: convlab.output_size(11, 3, stride=2, padding=(1, 2), dilation=2),
           lambda: (F.conv1d(F.pad(torch.ones(1, 1, 11), (1, 2)), torch.ones(1, 1, 3), stride=2, dilation=2).shape[-1], None, 0)),
        eq("same_padding-torch", lambda: sum(convlab.same_padding(4, 3)) + 11 - 3 * 3,
           lambda: (F.conv1d(torch.ones(1, 1, 11), torch.ones(1, 1, 4), padding="same", dilation=3).shape[-1], None, 0)),
        err("output_size-float", lambda: convlab.output_size(10.5, 3), TypeError, "input_size", "10.5"),
        err("output_size-stride-bool", lambda: convlab.output_size(5, 3, stride=True), TypeError, "stride", "True"),
        err("output_size-kernel-too-long", lambda: convlab.output_size(5, 7), ValueError, "kernel_size=7", "5"),
        err("output_size-none", lambda: convlab.output_size(None, 3), TypeError, "input_size", "None"),
        err("same_padding-0", lambda: convlab.same_padding(0), ValueError, "kernel_size", "0"),
        err("same_padding-list-of-str", lambda: convlab.same_padding(["3"]), TypeError, "kernel_size", "'3'"),
        # ---- gradcheck: never passes a NaN
        eq("gradcheck-nan-gradient-is-nan", lambda: _gradcheck_nan_gradient(), lambda: (np.nan, None, 0)),
        eq("gradcheck-nan-point-is-nan", lambda: convlab.gradcheck(lambda a: (float(np.sum(a**2)), (2 * a,)), np.array([np.nan, 1.0])),
           lambda: (np.nan, None, 0)),
        eq("gradcheck-list-gradient", lambda: convlab.gradcheck(lambda a: (float(np.sum(a**2)), [list(2 * a)]), np.array([1.0, -2.0])) < 1e-8,
           lambda: (True, None, 0)),
        eq("gradcheck-correct", lambda: convlab.gradcheck(lambda a: (float(np.sum(np.sin(a))), (np.cos(a),)), np.array([0.3, -1.2])) < 1e-8,
           lambda: (True, None, 0)),
        err("gradcheck-eps-inf", lambda: convlab.gradcheck(lambda a: (0.0, (a,)), np.ones(2), eps=math.inf), ValueError, "eps", "inf"),
        err("gradcheck-eps-nan", lambda: convlab.gradcheck(lambda a: (0.0, (a,)), np.ones(2), eps=math.nan), ValueError, "eps", "nan"),
        err("gradcheck-eps-true", lambda: convlab.gradcheck(lambda a: (0.0, (a,)), np.ones(2), eps=True), TypeError, "eps", "True"),
        err("gradcheck-eps-zero", lambda: convlab.gradcheck(lambda a: (0.0, (a,)), np.ones(2), eps=0), ValueError, "eps", "0"),
        err("gradcheck-eps-str", lambda: convlab.gradcheck(lambda a: (0.0, (a,)), np.ones(2), eps="1e-6"), TypeError, "eps", "'1e-6'"),
        err("gradcheck-f-int", lambda: convlab.gradcheck(3, np.ones(2)), TypeError, "f", "3"),
        err("gradcheck-gradient-none", lambda: convlab.gradcheck(lambda a: (0.0, (None,)), np.ones(2)), TypeError, "grads[0]=None"),
        err("gradcheck-returns-scalar", lambda: convlab.gradcheck(lambda a: 0.0, np.ones(2)), TypeError, "f returned", "(loss, grads)"),
        err("gradcheck-no-arrays", lambda: convlab.gradcheck(lambda: (0.0, ())), ValueError, "gradcheck", "array"),
        err("gradcheck-array-none", lambda: convlab.gradcheck(lambda a: (0.0, (a,)), None), TypeError, "arrays[0]=None"),
        # ---- the memory budget
        err("set_memory_budget-bool", lambda: convlab.set_memory_budget(True), TypeError, "nbytes", "True"),
        err("set_memory_budget-small", lambda: convlab.set_memory_budget(10), ValueError, "nbytes", "10"),
        err("set_memory_budget-float", lambda: convlab.set_memory_budget(2.5e6), TypeError, "nbytes", "2500000.0"),
        eq("memory-budget-bounds-gemm-scratch", lambda: _scratch_within_budget("gemm"), lambda: (True, None, 0)),
        eq("memory-budget-bounds-fft-scratch", lambda: _scratch_within_budget("fft"), lambda: (True, None, 0)),
        eq("memory-budget-bounds-gemm-backward-scratch", lambda: _scratch_within_budget("gemm-backward"), lambda: (True, None, 0)),
        eq("pad-backward-reflect-linear-memory", lambda: _pad_backward_memory_linear(), lambda: (True, None, 0)),
    ]
    del r
    return cases


def _with(a, index, value):
    a = np.array(a, dtype=np.float64)
    a[index] = value
    return a


def _grad_pair(mode, g_values):
    run, ref = _grad_case(mode, g_values)
    return run, lambda: (ref(), None, 1e-12)


def _pad_zero_width_copy():
    x = np.arange(4.0)
    y = convlab.pad(x, 0, "reflect")
    assert y is not x and not np.shares_memory(x, y), "pad(x, 0) must return a new array"
    return y


def _fortran_flag(y):
    """The values plus a marker column: 1 where the array is Fortran-ordered and not C-ordered."""
    return np.concatenate([np.asarray(y).ravel(), [float(np.asarray(y).flags.fnc)]])


def _timed(call, limit):
    start = time.perf_counter()
    out = call()
    assert time.perf_counter() - start < limit, f"took over {limit} s"
    return out


def _as_fast_as(call, reference, factor=5.0, slack=0.2):
    """``call()``, asserting it takes at most ``factor`` times ``reference()`` (plus ``slack`` seconds)."""
    start = time.perf_counter()
    reference()
    limit = factor * (time.perf_counter() - start) + slack
    return _timed(call, limit)


def _scratch_within_budget(method):
    """Peak of NumPy allocations of one call, minus input and output, stays within a 1 MiB budget."""
    budget = 1 << 20
    previous = convlab.set_memory_budget(budget)
    try:
        r = np.random.default_rng(1)
        if method.startswith("gemm"):  # C * k * L_out * 8 = 16 * 9 * 3000 * 8 ~ 3.3 MiB of windows in one piece
            x, w = r.standard_normal((2, 16, 3008)), r.standard_normal((8, 16, 9))
        else:  # 20000 samples through a 128-tap FFT
            x, w = r.standard_normal((1, 4, 20000)), r.standard_normal((4, 4, 128))
        out_bytes = 8 * x.shape[0] * w.shape[0] * (x.shape[-1] - w.shape[-1] + 1)
        g = r.standard_normal((x.shape[0], w.shape[0], x.shape[-1] - w.shape[-1] + 1))
        convlab.conv1d(x[:1, :, :300], w, method=method[:4] if method != "fft" else "fft")  # imports and caches outside the measurement
        tracemalloc.start()
        if method == "gemm-backward":
            got = convlab.conv1d_backward(g, x, w, method="gemm")
            out_bytes = x.nbytes + w.nbytes
        else:
            got = convlab.conv1d(x, w, method=method)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        if method == "gemm-backward":
            for a, e in zip(got, torch_grads(F.conv1d, g, x, w)):
                same(a, e, rtol=1e-9, atol=1e-9)
        else:
            np.testing.assert_allclose(got, F.conv1d(t(x), t(w)).numpy(), rtol=1e-9, atol=1e-9)
        scratch = peak - out_bytes
        assert scratch <= budget, f"scratch {scratch} bytes over the budget {budget}"
        return True
    finally:
        convlab.set_memory_budget(previous)


def _pad_backward_memory_linear():
    """Backward through reflect padding: peak NumPy memory grows with the length, not length x width."""
    peaks = []
    for n in (20_000, 80_000):
        x, w = np.ones((1, 1, n)), np.ones((1, 1, 3))
        pad = n // 3
        g = np.ones((1, 1, n + 2 * pad - 2))
        tracemalloc.start()
        convlab.conv1d_backward(g, x, w, padding=pad, padding_mode="reflect")
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    ratio = peaks[1] / peaks[0]
    assert ratio < 6, f"4x the length used {ratio:.1f}x the memory (a one-hot matrix would use 16x)"
    assert peaks[1] < 200 * 80_000, f"{peaks[1]} bytes for 80,000 samples"
    return True


CASES = table()


def test_table_has_at_least_seventy_kinds():
    kinds = {c.outcome for c in CASES}
    assert kinds == {"error", "equal"}
    assert len({c.id for c in CASES}) == len(CASES) >= 70


@pytest.mark.parametrize("case", [c for c in CASES if c.outcome == "error"], ids=lambda c: c.id)
def test_named_error(case):
    with pytest.raises(case.exc) as info:
        case.run()
    message = str(info.value)
    for name in case.names:
        assert name in message, f"{name!r} not in the message: {message}"


@pytest.mark.parametrize("case", [c for c in CASES if c.outcome == "equal"], ids=lambda c: c.id)
def test_equals_reference(case):
    got = case.run()
    expected, dtype, tol = case.ref()
    if isinstance(expected, tuple):  # gradients (grad_x, grad_w, grad_b)
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            if b is None:
                assert a is None
            else:
                same(a, b, rtol=tol, atol=tol)
        return
    same(got, expected, dtype=dtype, rtol=tol, atol=tol)


# --------------------------------------------------------------------------- properties
finite_or_not = st.sampled_from([np.nan, np.inf, -np.inf, 1e300, 0.0])


@settings(max_examples=40, **SETTINGS)
@given(
    n=st.integers(1, 90),
    k=st.integers(1, 40),
    spots=st.lists(st.tuples(st.integers(0, 129), finite_or_not), max_size=3),
    method=st.sampled_from(["auto", "direct", "gemm", "fft"]),
    fn=st.sampled_from(["convolve", "correlate"]),
    mode=st.sampled_from(["full", "same", "valid"]),
)
def test_signal_non_finite_as_numpy(n, k, spots, method, fn, mode):
    """NaN/inf anywhere in x or w: every method puts them where numpy does."""
    r = np.random.default_rng(n * 1000 + k)
    x, w = r.standard_normal(n), r.standard_normal(k)
    for i, v in spots:
        (x if i % 2 else w)[(i // 2) % (n if i % 2 else k)] = v
    if any(abs(v) == 1e300 for _, v in spots):
        return  # overflow is order-dependent in any summation; not a NaN-placement question
    got = getattr(convlab, fn)(x, w, mode, method=method)
    ref = getattr(np, fn)(x, w, mode)
    same(got, ref, dtype=np.float64, rtol=1e-8, atol=1e-8 * max(1.0, np.nanmax(np.abs(ref[np.isfinite(ref)]), initial=1.0)))


@settings(max_examples=20, **SETTINGS)
@given(
    n=st.integers(2, 12),
    pad=st.integers(0, 11),
    mode=st.sampled_from(["reflect", "replicate", "circular", "zeros"]),
    bad=st.lists(st.tuples(st.integers(0, 200), finite_or_not.filter(lambda v: abs(v) != 1e300)), max_size=3),
)
def test_backward_through_padding_nan_as_torch(n, pad, mode, bad):
    """grad_x, grad_w through every PyTorch padding mode with NaN/inf in grad_out: equal to autograd."""
    if mode == "reflect":
        pad = min(pad, n - 1)
    elif mode == "circular":
        pad = min(pad, n)
    r = np.random.default_rng(n * 100 + pad)
    x, w = r.standard_normal((2, 2, n)), r.standard_normal((3, 2, 2))
    out = n + 2 * pad - 1
    g = r.standard_normal((2, 3, out))
    for i, v in bad:
        g.reshape(-1)[i % g.size] = v
    got = convlab.conv1d_backward(g, x, w, padding=pad, padding_mode=mode)
    xt, wt = t(x).requires_grad_(), t(w).requires_grad_()
    torch_mode = "constant" if mode == "zeros" else mode
    F.conv1d(F.pad(xt, (pad, pad), mode=torch_mode), wt).backward(t(g))
    same(got[0], xt.grad, rtol=1e-10, atol=1e-10)
    same(got[1], wt.grad, rtol=1e-10, atol=1e-10)


@settings(max_examples=40, **SETTINGS)
@given(
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    widths=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), min_size=1, max_size=3),
    mode=st.sampled_from(["zeros", "constant", "mean", "median", "reflect", "symmetric", "replicate", "circular"]),
    order=st.sampled_from(["C", "F"]),
    dtype=st.sampled_from([np.float64, np.float32, ">f8", np.float16, np.int32]),
    bad=st.booleans(),
)
def test_pad_as_numpy(shape, widths, mode, order, dtype, bad):
    """pad equals numpy.pad bit for bit (values, order, dtype rule), NaN/inf included."""
    widths = widths[: len(shape)]
    pairs = [(0, 0)] * (len(shape) - len(widths)) + widths
    x = np.asarray(np.random.default_rng(len(shape)).standard_normal(shape) * 10, order=order)
    if bad:
        x.reshape(-1, order="A")[0] = np.nan
        x.reshape(-1, order="A")[-1] = np.inf
    x = x.astype(dtype) if np.dtype(dtype).kind == "f" else np.nan_to_num(x, posinf=7).astype(dtype)
    if mode == "reflect" and 1 in [s for s, p in zip(shape, pairs) if p != (0, 0)]:
        pass  # numpy and convlab both reflect a length-1 axis as a copy of it
    np_mode = {"zeros": "constant", "replicate": "edge", "circular": "wrap"}.get(mode, mode)
    expect_dtype = np.float64 if np.dtype(dtype).kind == "i" else np.dtype(dtype).newbyteorder("=")
    with np.errstate(invalid="ignore"):
        got = convlab.pad(x, pairs, mode, ndim=len(shape))
        ref = np.pad(x.astype(expect_dtype), pairs, np_mode)
    same(got, ref, dtype=expect_dtype, rtol=0, atol=0)
    assert got.flags.f_contiguous == ref.flags.f_contiguous or got.ndim < 2


@settings(max_examples=25, **SETTINGS)
@given(
    nd=st.sampled_from([1, 2]),
    unbatched=st.booleans(),
    n=st.integers(0, 2),
    dtype=st.sampled_from([np.float64, np.float32, np.float16, ">f8"]),
    bad=st.sampled_from([None, np.nan, np.inf]),
)
def test_layer_shapes_dtypes_as_torch(nd, unbatched, n, dtype, bad):
    """conv forward/backward/transpose: unbatched, empty batches and every float dtype as PyTorch."""
    r = np.random.default_rng(nd * 10 + n)
    spatial = (6,) * nd
    x = r.standard_normal(((2,) if unbatched else (n, 2)) + spatial)
    w = r.standard_normal((3, 2) + (3,) * nd)
    if bad is not None and x.size:
        x.reshape(-1)[x.size // 2] = bad
    fn = {1: F.conv1d, 2: F.conv2d}[nd]
    conv = {1: convlab.conv1d, 2: convlab.conv2d}[nd]
    out_dtype = np.dtype(dtype).newbyteorder("=")
    compute = np.float32 if out_dtype == np.float16 else out_dtype
    y = conv(x.astype(dtype), w.astype(dtype), padding=1)
    ref = fn(t(x.astype(dtype), compute), t(w.astype(dtype), compute), padding=1).numpy().astype(out_dtype)
    tol = {np.float64: 1e-10, np.float32: 1e-4, np.float16: 1e-2}[out_dtype.type]
    same(y, ref, dtype=out_dtype, rtol=tol, atol=tol)
    g = r.standard_normal(ref.shape)
    grads = {1: convlab.conv1d_backward, 2: convlab.conv2d_backward}[nd](g, x, w, padding=1)
    expected = torch_grads(fn, g, x, w, padding=1)
    same(grads[0], expected[0], rtol=1e-10, atol=1e-10)
    same(grads[1], expected[1], rtol=1e-10, atol=1e-10)
    wt = r.standard_normal((2, 3) + (2,) * nd)
    tr = {1: convlab.conv_transpose1d, 2: convlab.conv_transpose2d}[nd](x, wt, stride=2)
    same(tr, {1: F.conv_transpose1d, 2: F.conv_transpose2d}[nd](t(x), t(wt), stride=2), rtol=1e-10, atol=1e-10)


@settings(max_examples=20, **SETTINGS)
@given(
    n=st.integers(1, 6),
    k=st.integers(1, 4),
    stride=st.integers(1, 10**6),
    dilation=st.integers(1, 10**8),
    padding=st.integers(0, 10**8),
)
def test_huge_padding_and_dilation_as_torch(n, k, stride, dilation, padding):
    """Any padding and dilation PyTorch answers cheaply, convlab answers too, with the same numbers."""
    span = dilation * (k - 1) + 1
    assume(span <= n + 2 * padding)  # PyTorch refuses it too
    out = (n + 2 * padding - span) // stride + 1
    assume(out <= 10**5)  # the output itself is large: not what this property is about
    r = np.random.default_rng(n + k)
    x, w, b = r.standard_normal((1, 2, n)), r.standard_normal((2, 2, k)), r.standard_normal(2)
    kw = dict(stride=stride, padding=padding, dilation=dilation)
    same(convlab.conv1d(x, w, b, **kw), F.conv1d(t(x), t(w), t(b), **kw), rtol=1e-10, atol=1e-10)
    g = r.standard_normal((1, 2, out))
    got = convlab.conv1d_backward(g, x, w, b, **kw)
    for a, e in zip(got, torch_grads(F.conv1d, g, x, w, b, **kw)):
        same(a, e, rtol=1e-10, atol=1e-10)


@settings(max_examples=25, **SETTINGS)
@given(
    n=st.integers(1, 5),
    k=st.integers(1, 3),
    stride=st.integers(1, 10**6),
    dilation=st.integers(1, 10**8),
    cut=st.floats(0, 1),
)
def test_huge_transposed_as_torch(n, k, stride, dilation, cut):
    """conv_transpose1d with a huge uncropped output cropped back by padding: PyTorch's numbers."""
    full = (n - 1) * stride + dilation * (k - 1) + 1
    padding = int(cut * (full - 1) / 2)
    if full - 2 * padding > 10**5:
        padding = (full - 10**5) // 2 + 1
    assume(full - 2 * padding >= 1)
    r = np.random.default_rng(n * 10 + k)
    x, w, b = r.standard_normal((2, 2, n)), r.standard_normal((2, 3, k)), r.standard_normal(3)
    kw = dict(stride=stride, padding=padding, dilation=dilation)
    same(convlab.conv_transpose1d(x, w, b, **kw), F.conv_transpose1d(t(x), t(w), t(b), **kw), rtol=1e-10, atol=1e-10)


@settings(max_examples=40, **SETTINGS)
@given(
    value=st.one_of(
        st.none(),
        st.booleans(),
        st.text(max_size=3),
        st.floats(allow_nan=True),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.text(max_size=1), st.integers(), max_size=1),
    ),
    where=st.sampled_from(["stride", "padding", "dilation", "groups", "padding_mode", "method"]),
)
def test_bad_layer_parameters_are_named(value, where):
    """Any junk in a layer parameter: TypeError or ValueError naming the parameter, never a crash."""
    try:
        convlab.conv1d(X1, W1, **{where: value})
    except (TypeError, ValueError, MemoryError) as exc:
        assert where in str(exc), str(exc)
    else:  # accepted: then it must have been a legal value (e.g. padding=[1, 1], groups=True refused)
        assert not isinstance(value, (type(None), dict, float)) or where in ("padding",), (where, value)
