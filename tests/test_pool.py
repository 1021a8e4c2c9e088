"""Pooling: max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool1d/2d, their gradients and layers.

References: loops over output positions written here (PyTorch's rules spelled
out one window at a time), PyTorch's ``torch.nn.functional`` forward and
autograd where torch is installed, central differences (``convlab.gradcheck``)
and the adjoint identity ``<pool(x), g> == <x, grad_x(g)>`` for the linear
poolings.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import convlab
from convlab import nn

SETTINGS = dict(deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
TOL = {np.float32: 2e-5, np.float64: 1e-12}

MAX = {1: convlab.max_pool1d, 2: convlab.max_pool2d}
MAX_BACKWARD = {1: convlab.max_pool1d_backward, 2: convlab.max_pool2d_backward}
AVG = {1: convlab.avg_pool1d, 2: convlab.avg_pool2d}
AVG_BACKWARD = {1: convlab.avg_pool1d_backward, 2: convlab.avg_pool2d_backward}
ADAPTIVE = {1: convlab.adaptive_avg_pool1d, 2: convlab.adaptive_avg_pool2d}
ADAPTIVE_BACKWARD = {1: convlab.adaptive_avg_pool1d_backward, 2: convlab.adaptive_avg_pool2d_backward}


# ----------------------------------------------------------------- naive references
def _tuple(v, nd):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * nd


def out_len(n, k, s, p, d, ceil_mode):
    """PyTorch's pooling output length, written out."""
    num = n + 2 * p - d * (k - 1) - 1
    o = (math.ceil(num / s) if ceil_mode else num // s) + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


def windows_naive(shape, kernel, stride, padding, dilation, ceil_mode):
    """For every output index: the list of input indices (None for padding) of its window, in scan order."""
    nd = len(shape)
    ks, ss, ps, ds = (_tuple(v, nd) for v in (kernel, stride or kernel, padding, dilation))
    outs = [out_len(n, k, s, p, d, ceil_mode) for n, k, s, p, d in zip(shape, ks, ss, ps, ds)]
    result = {}
    for i in itertools.product(*map(range, outs)):
        taps = []
        for k in itertools.product(*map(range, ks)):
            t = tuple(ii * s + kk * d - p for ii, kk, s, d, p in zip(i, k, ss, ds, ps))
            taps.append(t if all(0 <= a < n for a, n in zip(t, shape)) else None)
        result[i] = taps
    return tuple(outs), result


def max_pool_naive(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, g=None):
    """``(y, grad_x)``: PyTorch's CPU scan per window (take v if v > best or v is NaN)."""
    nd = x.ndim - 2
    outs, wins = windows_naive(x.shape[2:], kernel_size, stride, padding, dilation, ceil_mode)
    y = np.empty(x.shape[:2] + outs)
    grad = np.zeros_like(x, dtype=np.float64)
    for n, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
        for i, taps in wins.items():
            inside = [t for t in taps if t is not None]
            if not inside:  # dilation can make a window of padding only: -inf, no gradient
                y[(n, c) + i] = -np.inf
                continue
            best, where = -np.inf, inside[0]
            for t in inside:
                v = x[(n, c) + t]
                if v > best or np.isnan(v):
                    best, where = v, t
            y[(n, c) + i] = best
            if g is not None:
                grad[(n, c) + where] += g[(n, c) + i]
    assert nd in (1, 2)
    return y, grad


def avg_pool_naive(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, g=None):
    """``(y, grad_x)``: sum over the window's inputs divided by PyTorch's divisor."""
    shape = x.shape[2:]
    nd = len(shape)
    ks, ss, ps = (_tuple(v, nd) for v in (kernel_size, stride or kernel_size, padding))
    outs, wins = windows_naive(shape, kernel_size, stride, padding, 1, ceil_mode)
    y = np.empty(x.shape[:2] + outs)
    grad = np.zeros_like(x, dtype=np.float64)
    for i, taps in wins.items():
        inside = [t for t in taps if t is not None]
        if count_include_pad:  # the window clipped to input + padding, never past it
            start = [ii * s - p for ii, s, p in zip(i, ss, ps)]
            div = math.prod(min(a + k, n + p) - a for a, k, n, p in zip(start, ks, shape, ps))
        else:
            div = len(inside)
        for n, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
            y[(n, c) + i] = sum(x[(n, c) + t] for t in inside) / div
            if g is not None:
                for t in inside:
                    grad[(n, c) + t] += g[(n, c) + i] / div
    return y, grad


def adaptive_naive(x, sizes, g=None):
    shape = x.shape[2:]
    y = np.empty(x.shape[:2] + tuple(sizes))
    grad = np.zeros_like(x, dtype=np.float64)
    for i in itertools.product(*map(range, sizes)):
        box = tuple(
            slice(ii * n // o, -((-(ii + 1) * n) // o)) for ii, n, o in zip(i, shape, sizes)
        )
        region = x[(slice(None), slice(None)) + box]
        y[(slice(None), slice(None)) + i] = region.mean(axis=tuple(range(2, x.ndim)))
        if g is not None:
            count = math.prod(region.shape[2:])
            grad[(slice(None), slice(None)) + box] += (g[(slice(None), slice(None)) + i] / count)[
                (...,) + (None,) * len(shape)
            ]
    return y, grad


# ----------------------------------------------------------------- strategies
@st.composite
def pool_problems(draw, kind="max", dtypes=(np.float32, np.float64)):
    nd = draw(st.sampled_from((1, 2)))
    shape = tuple(draw(st.lists(st.integers(1, 9), min_size=nd, max_size=nd)))
    ks = tuple(draw(st.lists(st.integers(1, 4), min_size=nd, max_size=nd)))
    ss = draw(st.one_of(st.none(), st.tuples(*[st.integers(1, 3)] * nd)))
    ps = tuple(draw(st.integers(0, k // 2)) for k in ks)
    ds = tuple(draw(st.lists(st.integers(1, 3), min_size=nd, max_size=nd))) if kind == "max" else (1,) * nd
    ceil_mode = draw(st.booleans())
    sr = ss or ks
    outs = [out_len(n, k, s, p, d, ceil_mode) for n, k, s, p, d in zip(shape, ks, sr, ps, ds)]
    assume(all(n + 2 * p >= d * (k - 1) + 1 for n, k, p, d in zip(shape, ks, ps, ds)) and min(outs) >= 1)
    kw = dict(kernel_size=ks, stride=ss, padding=ps, ceil_mode=ceil_mode)
    if kind == "max":
        kw["dilation"] = ds
    else:
        kw["count_include_pad"] = draw(st.booleans())
    batch = (draw(st.integers(1, 2)), draw(st.integers(1, 3)))
    dtype = draw(st.sampled_from(dtypes))
    seed = draw(st.integers(0, 2**16))
    return nd, batch + shape, kw, dtype, seed


def _torch():
    return pytest.importorskip("torch")


def torch_pool(kind, x, kw, g):
    """PyTorch's forward and autograd input gradient for ``kind`` (max/avg) pooling."""
    torch = _torch()
    import torch.nn.functional as F

    nd = x.ndim - 2
    t = torch.tensor(x, requires_grad=True)
    f = getattr(F, f"{kind}_pool{nd}d")
    y = f(t, **kw)
    y.backward(torch.tensor(g, dtype=t.dtype))
    return y.detach().numpy(), t.grad.numpy()


# ----------------------------------------------------------------- forward and gradient
class TestMaxPool:
    @settings(max_examples=150, **SETTINGS)
    @given(problem=pool_problems("max"))
    def test_matches_naive_loop_and_its_gradient(self, problem):
        nd, shape, kw, dtype, seed = problem
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(shape).astype(dtype)
        y = MAX[nd](x, **kw)
        g = rng.standard_normal(y.shape).astype(dtype)
        y_ref, gx_ref = max_pool_naive(x, g=g, **kw)
        assert y.dtype == dtype
        np.testing.assert_allclose(y, y_ref, rtol=0, atol=0)
        np.testing.assert_allclose(MAX_BACKWARD[nd](g, x, **kw), gx_ref, rtol=TOL[dtype], atol=TOL[dtype])

    @settings(max_examples=100, **SETTINGS)
    @given(problem=pool_problems("max"))
    def test_matches_torch_forward_and_autograd(self, problem):
        nd, shape, kw, dtype, seed = problem
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(shape).astype(dtype)
        y = MAX[nd](x, **kw)
        g = rng.standard_normal(y.shape).astype(dtype)
        gx = MAX_BACKWARD[nd](g, x, **kw)
        if np.isneginf(y).any():
            # A window of padding only (dilation can make one): -inf, and its gradient goes
            # nowhere. PyTorch 2.13 returns an index past the end of the row for it, and its
            # backward writes that gradient outside the row (into the next channel, or past
            # the tensor: it crashed a test worker), so it is no reference there and is not
            # called; the naive loop is, and it sends that gradient nowhere.
            y_ref, gx_ref = max_pool_naive(x, g=g, **kw)
            np.testing.assert_array_equal(y, y_ref)
            np.testing.assert_allclose(gx, gx_ref, rtol=TOL[dtype], atol=TOL[dtype])
            return
        y_t, gx_t = torch_pool("max", x, kw, g)
        np.testing.assert_array_equal(y, y_t)
        np.testing.assert_allclose(gx, gx_t, rtol=TOL[dtype], atol=TOL[dtype])

    def test_padding_only_window_sends_its_gradient_nowhere(self):
        x = np.array([[[1.0], [2.0]]])  # (N, C, L) = (1, 2, 1)
        kw = dict(kernel_size=2, padding=1, dilation=2)  # the one window reads x_p[-1], x_p[1]
        assert convlab.max_pool1d(x, **kw).tolist() == [[[-np.inf], [-np.inf]]]
        gx = convlab.max_pool1d_backward(np.ones((1, 2, 1)), x, **kw)
        np.testing.assert_array_equal(gx, np.zeros_like(x))

    @pytest.mark.parametrize(
        "nd,kw",
        [
            (1, dict(kernel_size=3)),
            (1, dict(kernel_size=3, stride=2, padding=1, dilation=2)),
            (2, dict(kernel_size=2)),
            (2, dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), ceil_mode=True)),
        ],
    )
    def test_gradcheck_away_from_ties(self, nd, kw, rng):
        shape = (2, 2) + ((9,) if nd == 1 else (5, 6))
        x = rng.permutation(math.prod(shape)).reshape(shape) * 0.1  # distinct values, gaps >> eps
        g = rng.standard_normal(MAX[nd](x, **kw).shape)

        def f(x):
            return float(np.sum(MAX[nd](x, **kw) * g)), (MAX_BACKWARD[nd](g, x, **kw),)

        assert convlab.gradcheck(f, x) < 1e-8

    def test_ties_go_to_the_first_maximum_in_scan_order(self):
        x = np.array([[[1.0, 3.0, 3.0, 2.0, 3.0]]])
        grad = convlab.max_pool1d_backward(np.ones((1, 1, 3)), x, 3, stride=1)
        # windows [1 3 3], [3 3 2], [3 2 3]: each picks its first 3
        np.testing.assert_array_equal(grad, [[[0.0, 2.0, 1.0, 0.0, 0.0]]])

    def test_ties_in_2d_go_to_the_first_in_row_major_order(self):
        x = np.full((1, 1, 2, 2), 3.0)
        grad = convlab.max_pool2d_backward(np.ones((1, 1, 1, 1)), x, 2)
        np.testing.assert_array_equal(grad, [[[[1.0, 0.0], [0.0, 0.0]]]])

    def test_ties_match_torch(self, rng):
        x = rng.integers(0, 3, size=(2, 3, 8, 7)).astype(np.float64)  # many ties
        kw = dict(kernel_size=3, stride=2, padding=1, dilation=(1, 2))
        g = rng.standard_normal(convlab.max_pool2d(x, **kw).shape)
        y_t, gx_t = torch_pool("max", x, kw, g)
        np.testing.assert_allclose(convlab.max_pool2d_backward(g, x, **kw), gx_t, rtol=1e-13, atol=1e-13)

    def test_nan_is_the_maximum_and_the_last_nan_gets_the_gradient(self):
        x = np.array([[[1.0, np.nan, 3.0, np.nan, 2.0]]])
        assert np.isnan(convlab.max_pool1d(x, 5)[0, 0, 0])
        np.testing.assert_array_equal(
            convlab.max_pool1d_backward(np.ones((1, 1, 1)), x, 5), [[[0.0, 0.0, 0.0, 1.0, 0.0]]]
        )

    def test_nan_matches_torch(self, rng):
        x = rng.standard_normal((1, 2, 6, 6))
        x[x > 1.0] = np.nan
        kw = dict(kernel_size=2, stride=1, padding=1)
        y = convlab.max_pool2d(x, **kw)
        g = rng.standard_normal(y.shape)
        y_t, gx_t = torch_pool("max", x, kw, g)
        np.testing.assert_array_equal(y, y_t)
        np.testing.assert_allclose(convlab.max_pool2d_backward(g, x, **kw), gx_t, rtol=1e-13, atol=1e-13)

    def test_all_minus_inf_sends_gradient_to_first_input_not_padding(self):
        x = np.full((1, 1, 5), -np.inf)
        grad = convlab.max_pool1d_backward(np.ones((1, 1, 3)), x, 3, stride=2, padding=1)
        np.testing.assert_array_equal(grad, [[[1.0, 1.0, 0.0, 1.0, 0.0]]])  # as torch

    def test_window_of_padding_only_gives_minus_inf_and_no_gradient(self):
        x = np.array([[[0.5]]])  # dilation 2 puts both taps of the one window in the padding
        np.testing.assert_array_equal(convlab.max_pool1d(x, 2, padding=1, dilation=2), [[[-np.inf]]])
        np.testing.assert_array_equal(convlab.max_pool1d_backward(np.ones((1, 1, 1)), x, 2, 1, 1, 2), [[[0.0]]])

    def test_padding_never_wins(self):
        x = -np.ones((1, 1, 4))
        np.testing.assert_array_equal(convlab.max_pool1d(x, 2, padding=1), [[[-1.0, -1.0, -1.0]]])


class TestAvgPool:
    @settings(max_examples=150, **SETTINGS)
    @given(problem=pool_problems("avg"))
    def test_matches_naive_loop_and_its_gradient(self, problem):
        nd, shape, kw, dtype, seed = problem
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(shape).astype(dtype)
        y = AVG[nd](x, **kw)
        g = rng.standard_normal(y.shape).astype(dtype)
        y_ref, gx_ref = avg_pool_naive(x, g=g, **kw)
        assert y.dtype == dtype
        np.testing.assert_allclose(y, y_ref, rtol=TOL[dtype], atol=TOL[dtype])
        np.testing.assert_allclose(AVG_BACKWARD[nd](g, x, **kw), gx_ref, rtol=TOL[dtype], atol=TOL[dtype])

    @settings(max_examples=100, **SETTINGS)
    @given(problem=pool_problems("avg"))
    def test_matches_torch_forward_and_autograd(self, problem):
        nd, shape, kw, dtype, seed = problem
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(shape).astype(dtype)
        y = AVG[nd](x, **kw)
        g = rng.standard_normal(y.shape).astype(dtype)
        y_t, gx_t = torch_pool("avg", x, kw, g)
        np.testing.assert_allclose(y, y_t, rtol=TOL[dtype], atol=TOL[dtype])
        np.testing.assert_allclose(AVG_BACKWARD[nd](g, x, **kw), gx_t, rtol=TOL[dtype], atol=TOL[dtype])

    @settings(max_examples=60, **SETTINGS)
    @given(problem=pool_problems("avg", dtypes=(np.float64,)))
    def test_adjoint_identity(self, problem):
        nd, shape, kw, _, seed = problem
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(shape)
        y = AVG[nd](x, **kw)
        g = rng.standard_normal(y.shape)
        assert np.isclose(np.vdot(y, g), np.vdot(x, AVG_BACKWARD[nd](g, x, **kw)), rtol=1e-12, atol=1e-12)

    @pytest.mark.parametrize("count_include_pad", [True, False])
    @pytest.mark.parametrize("nd", [1, 2])
    def test_gradcheck(self, nd, count_include_pad, rng):
        kw = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=count_include_pad)
        x = rng.standard_normal((2, 2) + ((8,) if nd == 1 else (6, 5)))
        g = rng.standard_normal(AVG[nd](x, **kw).shape)

        def f(x):
            return float(np.sum(AVG[nd](x, **kw) * g)), (AVG_BACKWARD[nd](g, x, **kw),)

        assert convlab.gradcheck(f, x) < 1e-8

    def test_is_a_depthwise_convolution_with_a_constant_kernel(self, rng):
        x = rng.standard_normal((2, 3, 7, 8))
        w = np.full((3, 1, 2, 3), 1 / 6)
        expected = convlab.conv2d(x, w, stride=(2, 3), groups=3)
        np.testing.assert_allclose(convlab.avg_pool2d(x, (2, 3)), expected, rtol=1e-13, atol=1e-13)


class TestAdaptiveAvgPool:
    @pytest.mark.parametrize(
        "nd,shape,size",
        [(1, (2, 3, 10), 3), (1, (1, 2, 5), 7), (1, (2, 1, 6), 1), (2, (2, 3, 7, 9), (4, 5)),
         (2, (1, 2, 8, 8), 1), (2, (2, 2, 5, 6), (None, 4)), (2, (1, 1, 3, 4), (5, 6))],
    )
    def test_matches_naive_loop_and_torch(self, nd, shape, size, rng):
        x = rng.standard_normal(shape)
        y = ADAPTIVE[nd](x, size)
        g = rng.standard_normal(y.shape)
        sizes = tuple(n if o is None else o for o, n in zip(_tuple(size, nd), shape[2:]))
        y_ref, gx_ref = adaptive_naive(x, sizes, g)
        np.testing.assert_allclose(y, y_ref, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(ADAPTIVE_BACKWARD[nd](g, x, size), gx_ref, rtol=1e-13, atol=1e-13)
        torch = _torch()
        t = torch.tensor(x, requires_grad=True)
        y_t = getattr(torch.nn.functional, f"adaptive_avg_pool{nd}d")(t, size)
        y_t.backward(torch.tensor(g))
        np.testing.assert_allclose(y, y_t.detach().numpy(), rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(ADAPTIVE_BACKWARD[nd](g, x, size), t.grad.numpy(), rtol=1e-13, atol=1e-13)

    def test_global_pool_is_the_mean(self, rng):
        x = rng.standard_normal((2, 3, 5, 7))
        np.testing.assert_allclose(convlab.adaptive_avg_pool2d(x, 1)[..., 0, 0], x.mean(axis=(2, 3)))

    def test_divisible_sizes_equal_avg_pool(self, rng):
        x = rng.standard_normal((2, 3, 8, 9))
        np.testing.assert_allclose(convlab.adaptive_avg_pool2d(x, (4, 3)), convlab.avg_pool2d(x, (2, 3)))

    def test_gradcheck(self, rng):
        x = rng.standard_normal((1, 2, 5, 7))
        g = rng.standard_normal((1, 2, 3, 4))

        def f(x):
            y = convlab.adaptive_avg_pool2d(x, (3, 4))
            return float(np.sum(y * g)), (convlab.adaptive_avg_pool2d_backward(g, x, (3, 4)),)

        assert convlab.gradcheck(f, x) < 1e-8


# ----------------------------------------------------------------- backends, shapes
POOLS = [
    ("max1d", lambda x: convlab.max_pool1d(x, 3, 2, 1), lambda g, x: convlab.max_pool1d_backward(g, x, 3, 2, 1), 1),
    ("max2d", lambda x: convlab.max_pool2d(x, 2, 1, 1, 2), lambda g, x: convlab.max_pool2d_backward(g, x, 2, 1, 1, 2), 2),
    (
        "avg1d",
        lambda x: convlab.avg_pool1d(x, 3, 2, 1, True, False),
        lambda g, x: convlab.avg_pool1d_backward(g, x, 3, 2, 1, True, False),
        1,
    ),
    ("avg2d", lambda x: convlab.avg_pool2d(x, 3, 2, 1, True), lambda g, x: convlab.avg_pool2d_backward(g, x, 3, 2, 1, True), 2),
    ("adaptive1d", lambda x: convlab.adaptive_avg_pool1d(x, 3), lambda g, x: convlab.adaptive_avg_pool1d_backward(g, x, 3), 1),
    ("adaptive2d", lambda x: convlab.adaptive_avg_pool2d(x, (2, 3)), lambda g, x: convlab.adaptive_avg_pool2d_backward(g, x, (2, 3)), 2),
]


@pytest.mark.parametrize("name,forward,backward,nd", POOLS, ids=[p[0] for p in POOLS])
class TestBackends:
    def test_same_numbers_and_namespace_on_every_backend(self, xp, name, forward, backward, nd, rng):
        x = rng.standard_normal((2, 3) + ((9,) if nd == 1 else (6, 7)))
        y_ref = forward(x)
        g = rng.standard_normal(y_ref.shape)
        for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
            y = forward(xp.asarray(x, dtype))
            gx = backward(xp.asarray(g, dtype), xp.asarray(x, dtype))
            for out, ref in ((y, y_ref), (gx, backward(g, x))):
                assert xp.is_native(out), f"output left the {xp.name} namespace"
                got = xp.to_numpy(out)
                assert got.dtype == dtype
                np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)

    def test_unbatched_input_as_torch(self, name, forward, backward, nd, rng):
        x = rng.standard_normal((3,) + ((9,) if nd == 1 else (6, 7)))
        y = forward(x)
        np.testing.assert_allclose(y, forward(x[None])[0])
        g = rng.standard_normal(y.shape)
        np.testing.assert_allclose(backward(g, x), backward(g[None], x[None])[0])

    def test_integer_input_is_computed_in_float64(self, name, forward, backward, nd):
        x = np.arange(2 * 3 * (9 if nd == 1 else 42)).reshape((2, 3) + ((9,) if nd == 1 else (6, 7)))
        assert forward(x).dtype == np.float64


# ----------------------------------------------------------------- layers
class TestLayers:
    @pytest.mark.parametrize(
        "layer,fn,kw",
        [
            (nn.MaxPool1d, "max_pool1d", dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)),
            (nn.MaxPool2d, "max_pool2d", dict(kernel_size=(2, 3), stride=1, padding=1)),
            (nn.AvgPool1d, "avg_pool1d", dict(kernel_size=4, stride=3, padding=2, count_include_pad=False)),
            (nn.AvgPool2d, "avg_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
            (nn.AdaptiveAvgPool1d, "adaptive_avg_pool1d", dict(output_size=4)),
            (nn.AdaptiveAvgPool2d, "adaptive_avg_pool2d", dict(output_size=(3, None))),
        ],
    )
    def test_layer_matches_torch_module(self, layer, fn, kw, rng):
        torch = _torch()
        nd = 1 if fn.endswith("1d") else 2
        x = rng.standard_normal((2, 3) + ((10,) if nd == 1 else (7, 8)))
        module = layer(**kw)
        y = module(x)
        g = rng.standard_normal(y.shape)
        t = torch.tensor(x, requires_grad=True)
        theirs = getattr(torch.nn, layer.__name__)(**kw)
        y_t = theirs(t)
        y_t.backward(torch.tensor(g))
        np.testing.assert_allclose(y, y_t.detach().numpy(), rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(module.backward(g), t.grad.numpy(), rtol=1e-13, atol=1e-13)
        assert module.parameters() == []

    def test_in_a_sequential_model(self, rng):
        model = nn.Sequential(
            nn.Conv2d(1, 2, 3, rng=rng), nn.ReLU(), nn.MaxPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten()
        )
        x = rng.standard_normal((2, 1, 8, 8))
        y = model(x)
        assert y.shape == (2, 2)
        assert model.backward(np.ones_like(y)).shape == x.shape

    def test_backward_before_forward_is_an_error(self):
        with pytest.raises(RuntimeError, match="before forward"):
            nn.MaxPool2d(2).backward(np.ones((1, 1, 1, 1)))

    def test_repr_names_the_arguments(self):
        assert repr(nn.AvgPool1d(2)) == (
            "AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,), ceil_mode=False, count_include_pad=True)"
        )

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="padding"):
            nn.MaxPool2d(2, padding=2)
        with pytest.raises(ValueError, match="kernel_size"):
            nn.AvgPool1d(0)
        with pytest.raises(TypeError, match="ceil_mode"):
            nn.MaxPool1d(2, ceil_mode=1)
        with pytest.raises(ValueError, match="output_size"):
            nn.AdaptiveAvgPool2d((1, 2, 3))


# ----------------------------------------------------------------- errors
class TestErrors:
    x1 = np.zeros((1, 1, 5))

    @pytest.mark.parametrize(
        "kw,error,match",
        [
            (dict(kernel_size=0), ValueError, "kernel_size=0"),
            (dict(kernel_size=2, stride=0), ValueError, "stride=0"),
            (dict(kernel_size=2, padding=-1), ValueError, "padding=-1"),
            (dict(kernel_size=3, padding=2), ValueError, "padding=2 is invalid.*at most half"),
            (dict(kernel_size=2, dilation=0), ValueError, "dilation=0"),
            (dict(kernel_size=6), ValueError, "kernel_size=6"),
            (dict(kernel_size=2.5), TypeError, "kernel_size"),
            (dict(kernel_size=(2, 2)), ValueError, "kernel_size"),
            (dict(kernel_size=2, ceil_mode="yes"), TypeError, "ceil_mode"),
        ],
    )
    def test_bad_max_pool_arguments(self, kw, error, match):
        with pytest.raises(error, match=match):
            convlab.max_pool1d(self.x1, **kw)

    def test_bad_avg_pool_flags(self):
        with pytest.raises(TypeError, match="count_include_pad"):
            convlab.avg_pool1d(self.x1, 2, count_include_pad=None)

    @pytest.mark.parametrize("fn", [convlab.max_pool2d, convlab.avg_pool2d])
    def test_wrong_ndim(self, fn):
        with pytest.raises(ValueError, match=r"expected 4-D \(N, C, H, W\) or 3-D"):
            fn(np.zeros((4, 4)), 2)

    @pytest.mark.parametrize("bad", [None, "abc", {"a": 1}])
    def test_not_an_array(self, bad):
        with pytest.raises(TypeError, match="x"):
            convlab.max_pool1d(bad, 2)

    def test_empty_input(self):
        with pytest.raises(ValueError, match="empty"):
            convlab.avg_pool1d(np.zeros((1, 0, 5)), 2)

    @pytest.mark.parametrize("size", [0, -1, (2, 0), (1, 2, 3)])
    def test_bad_output_size(self, size):
        with pytest.raises(ValueError, match="output_size"):
            convlab.adaptive_avg_pool2d(np.zeros((1, 1, 4, 4)), size)

    def test_output_size_must_be_int(self):
        with pytest.raises(TypeError, match="output_size"):
            convlab.adaptive_avg_pool1d(self.x1, 2.0)

    def test_grad_out_of_wrong_shape(self):
        with pytest.raises(ValueError, match="grad_out has shape"):
            convlab.max_pool1d_backward(np.ones((1, 1, 3)), self.x1, 2)

    def test_mixed_libraries(self):
        strict = pytest.importorskip("array_api_strict")
        with pytest.raises(TypeError, match="different libraries"):
            convlab.avg_pool1d_backward(strict.ones((1, 1, 2), dtype=strict.float64), self.x1, 2)


# ----------------------------------------------------------------- fan-in initialisation
class TestKaimingUniform:
    @pytest.mark.parametrize("shape", [(8, 3, 5), (6, 4, 3, 3), (10, 7)])
    def test_bound_equals_torch_kaiming_uniform(self, shape, rng):
        torch = _torch()
        fan_in = math.prod(shape[1:])
        t = torch.empty(shape, dtype=torch.float64)
        torch.nn.init.kaiming_uniform_(t, a=math.sqrt(5))
        bound = math.sqrt(2 / (1 + 5)) * math.sqrt(3 / fan_in)
        assert torch.nn.init._calculate_fan_in_and_fan_out(t)[0] == fan_in
        w = nn.kaiming_uniform(rng, shape)
        assert w.shape == shape and w.dtype == np.float64
        assert np.abs(w).max() <= bound and np.abs(t.numpy()).max() <= bound

    def test_same_distribution_as_torch(self, rng):
        torch = _torch()
        from scipy import stats

        torch.manual_seed(0)
        shape, a = (200, 16, 3, 3), 1.0
        t = torch.empty(shape, dtype=torch.float64)
        torch.nn.init.kaiming_uniform_(t, a=a)
        w = nn.kaiming_uniform(rng, shape, a=a)
        bound = math.sqrt(2 / (1 + a**2)) * math.sqrt(3 / (16 * 9))
        assert stats.ks_2samp(w.ravel(), t.numpy().ravel()).pvalue > 1e-3
        assert stats.kstest(w.ravel(), stats.uniform(-bound, 2 * bound).cdf).pvalue > 1e-3
        assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound

    def test_explicit_fan_in_and_float32(self, rng):
        w = nn.kaiming_uniform(rng, (50000,), fan_in=4, dtype="float32")
        assert w.dtype == np.float32
        assert np.abs(w).max() <= np.float32(0.5) and np.abs(w).max() > 0.49

    def test_layers_draw_from_it(self):
        layer = nn.Conv2d(3, 4, (2, 5), rng=np.random.default_rng(7))
        rng = np.random.default_rng(7)
        w = nn.kaiming_uniform(rng, (4, 3, 2, 5))
        b = nn.kaiming_uniform(rng, (4,), fan_in=30)
        np.testing.assert_array_equal(layer.weight.value, w)
        np.testing.assert_array_equal(layer.bias.value, b)

    def test_torch_model_from_the_same_weights(self, rng):
        torch = _torch()
        ours = nn.Sequential(nn.Conv1d(2, 3, 3, rng=rng), nn.ReLU(), nn.MaxPool1d(2), nn.Flatten(), nn.Linear(27, 2, rng=rng))
        theirs = torch.nn.Sequential(
            torch.nn.Conv1d(2, 3, 3), torch.nn.ReLU(), torch.nn.MaxPool1d(2), torch.nn.Flatten(), torch.nn.Linear(27, 2)
        ).double()
        with torch.no_grad():
            for p, q in zip(ours.parameters(), theirs.parameters()):
                q.data = torch.from_numpy(np.asarray(p.value).copy())
        x = rng.standard_normal((4, 2, 20))
        np.testing.assert_allclose(ours(x), theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-13, atol=1e-13)

    @pytest.mark.parametrize(
        "kw,error,match",
        [
            (dict(rng=0), TypeError, "rng"),
            (dict(fan_in=0), ValueError, "fan_in"),
            (dict(dtype="int8"), ValueError, "dtype"),
        ],
    )
    def test_bad_arguments(self, kw, error, match):
        args = dict(rng=np.random.default_rng(0), shape=(2, 3), **{k: v for k, v in kw.items() if k != "rng"})
        if "rng" in kw:
            args["rng"] = kw["rng"]
        with pytest.raises(error, match=match):
            nn.kaiming_uniform(**args)
