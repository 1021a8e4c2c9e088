"""conv1d_backward / conv2d_backward / conv3d_backward.

References: the scatter loops of ``reference.conv_nd_backward_naive``, PyTorch
autograd, central finite differences (``convlab.gradcheck`` and a loop written
here), and the adjoint identities ``<conv(x), g> == <x, grad_x(g)>`` and
``<conv(x; w), g> == <w, grad_w(g)>``.
"""

from __future__ import annotations

import numpy as np
import pytest

import convlab
from helpers import check, make, to_xp
from reference import (
    PADDING_MODES,
    conv_nd_backward_naive,
    conv_nd_naive,
    output_shape_naive,
    padding_pairs_naive,
)

CONV = {1: convlab.conv1d, 2: convlab.conv2d, 3: convlab.conv3d}
BACKWARD = {1: convlab.conv1d_backward, 2: convlab.conv2d_backward, 3: convlab.conv3d_backward}
TORCH_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}
# padding modes for which the padded signal is a linear function of x (median picks a data-dependent value)
LINEAR_MODES = tuple(m for m in PADDING_MODES if m != "median")


def grad_out_for(rng, x, w, **kw):
    """A random upstream gradient of the right shape (shape from the naive forward)."""
    return rng.standard_normal(conv_nd_naive(x, w, None, **kw).shape)


# --------------------------------------------------------------------------- cases
CASES = [
    ("1d-default", 1, {}, {}),
    ("1d-stride2", 1, {}, dict(stride=2)),
    ("1d-stride3-pad1", 1, {}, dict(stride=3, padding=1)),
    ("1d-tail-unused", 1, dict(spatial=(10,)), dict(stride=4)),
    ("1d-pad-pairs", 1, {}, dict(padding=((2, 0),))),
    ("1d-even-kernel", 1, dict(kernel=(4,)), dict(padding=1, stride=2)),
    ("1d-same-even", 1, dict(kernel=(4,)), dict(padding="same")),
    ("1d-same-even-dil2", 1, dict(kernel=(2,)), dict(padding="same", dilation=3)),
    ("1d-dil2", 1, {}, dict(dilation=2)),
    ("1d-dil2-stride2-pad3", 1, {}, dict(dilation=2, stride=2, padding=3)),
    ("1d-groups2", 1, dict(groups=2), dict(groups=2, padding=1)),
    ("1d-depthwise", 1, dict(groups=4, c_out=8), dict(groups=4)),
    ("1d-nobias", 1, dict(bias=False), dict(padding=1)),
    ("1d-k-equals-L", 1, dict(spatial=(4,), kernel=(4,)), {}),
    ("1d-k1-stride3", 1, dict(kernel=(1,)), dict(stride=3)),
    ("2d-default", 2, {}, {}),
    ("2d-stride-tail", 2, dict(spatial=(8, 7)), dict(stride=(3, 2))),
    ("2d-pairs", 2, {}, dict(padding=((1, 2), (0, 3)))),
    ("2d-same-even", 2, dict(kernel=(2, 4)), dict(padding="same")),
    ("2d-all", 2, dict(groups=2), dict(stride=(2, 3), padding=((1, 0), (2, 2)), dilation=(1, 2), groups=2)),
    ("2d-nobias", 2, dict(bias=False), dict(dilation=2, padding=1)),
    ("3d-default", 3, {}, {}),
    ("3d-stride-pad", 3, {}, dict(stride=2, padding=1)),
    ("3d-dil-groups", 3, dict(groups=2, c_out=4), dict(dilation=(1, 2, 1), groups=2, padding=((1, 0), (0, 1), (1, 1)))),
]
CASE_PARAMS = [pytest.param(*c[1:], id=c[0]) for c in CASES]


def _assert_backward_matches_naive(xp, rng, nd, overrides, kw, mode="zeros"):
    x, w, b = make(rng, nd, **overrides)
    g = grad_out_for(rng, x, w, padding_mode=mode, **kw)
    ex, ew, eb = conv_nd_backward_naive(g, x, w, b, padding_mode=mode, **kw)
    gx, gw, gb = BACKWARD[nd](*to_xp(xp, g, x, w, b), padding_mode=mode, **kw)
    check(xp, gx, ex)
    check(xp, gw, ew)
    if b is None:
        assert gb is None
    else:
        check(xp, gb, eb)


@pytest.mark.parametrize("nd, overrides, kw", CASE_PARAMS)
def test_matches_naive(xp, rng, nd, overrides, kw):
    _assert_backward_matches_naive(xp, rng, nd, overrides, kw)


MODE_CASES = [
    ("1d-pad2", 1, {}, dict(padding=2)),
    ("1d-pairs-stride2-tail", 1, dict(spatial=(10,)), dict(padding=((1, 3),), stride=4)),
    ("1d-same-even-dil2", 1, dict(kernel=(4,)), dict(padding="same", dilation=2)),
    ("1d-groups2", 1, dict(groups=2), dict(padding=((3, 1),), groups=2, dilation=2)),
    ("2d-pairs", 2, {}, dict(padding=((1, 2), (2, 0)))),
    ("2d-stride-dil", 2, dict(kernel=(2, 2)), dict(padding=(2, 1), dilation=(2, 1), stride=(1, 2))),
    ("3d-pad1", 3, dict(n=1), dict(padding=1)),
]
MODE_PARAMS = [pytest.param(*c[1:], id=c[0]) for c in MODE_CASES]


@pytest.mark.parametrize("mode", PADDING_MODES)
@pytest.mark.parametrize("nd, overrides, kw", MODE_PARAMS)
def test_padding_mode_matches_naive(xp, rng, mode, nd, overrides, kw):
    _assert_backward_matches_naive(xp, rng, nd, overrides, kw, mode)


def test_grad_b_is_none_without_bias(xp, rng):
    x, w, _ = make(rng, 1)
    g = grad_out_for(rng, x, w)
    gx, gw, gb = convlab.conv1d_backward(*to_xp(xp, g, x, w))
    assert gb is None
    assert xp.is_native(gx) and xp.is_native(gw)


def test_tail_gets_zero_gradient(xp, rng):
    """Stride 4 over 10 samples with k=3: windows cover 0..2 and 4..6; 3, 7, 8, 9 are never read."""
    x, w, b = make(rng, 1, spatial=(10,))
    g = grad_out_for(rng, x, w, stride=4)
    gx, _, _ = convlab.conv1d_backward(*to_xp(xp, g, x, w, b), stride=4)
    gx = xp.to_numpy(gx)
    np.testing.assert_array_equal(gx[..., [3, 7, 8, 9]], 0.0)
    assert np.all(np.abs(gx[..., [0, 1, 2, 4, 5, 6]]) > 0)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_float32_stays_float32(xp, rng, nd):
    x, w, b = (a.astype(np.float32) for a in make(rng, nd))
    g = grad_out_for(rng, x, w, padding=1).astype(np.float32)
    expected = conv_nd_backward_naive(g, x, w, b, padding=1)
    got = BACKWARD[nd](*to_xp(xp, g, x, w, b), padding=1)
    for out, exp in zip(got, expected):
        check(xp, out, exp, dtype=np.float32, tol=1e-4)


def test_integer_input_computed_in_float64(xp, rng):
    x = rng.integers(-4, 5, size=(2, 2, 8))
    w = rng.integers(-3, 4, size=(3, 2, 3))
    b = rng.integers(-3, 4, size=3)
    g = rng.integers(-3, 4, size=(2, 3, 6))
    expected = conv_nd_backward_naive(g, x, w, b)
    for out, exp in zip(convlab.conv1d_backward(*to_xp(xp, g, x, w, b)), expected):
        check(xp, out, exp, tol=0)


# --------------------------------------------------------------------------- PyTorch autograd
def torch_grads(g, x, w, b, nd, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = None if b is None else torch.tensor(b, requires_grad=True)
    pairs = padding_pairs_naive(padding, w.shape[2:], dilation, stride)
    flat = [p for pair in reversed(pairs) for p in pair]  # F.pad lists the last axis first
    xpad = F.pad(xt, flat, mode=TORCH_MODE[padding_mode]) if any(flat) else xt
    fn = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]
    y = fn(xpad, wt, bt, stride=stride, dilation=dilation, groups=groups)
    y.backward(torch.from_numpy(g))
    return xt.grad.numpy(), wt.grad.numpy(), None if b is None else bt.grad.numpy()


@pytest.mark.parametrize("nd, overrides, kw", CASE_PARAMS)
def test_matches_torch_autograd(rng, nd, overrides, kw):
    x, w, b = make(rng, nd, **overrides)
    g = grad_out_for(rng, x, w, **kw)
    expected = torch_grads(g, x, w, b, nd, **kw)
    for got, exp in zip(BACKWARD[nd](g, x, w, b, **kw), expected):
        if exp is None:
            assert got is None
        else:
            np.testing.assert_allclose(got, exp, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("nd, overrides, kw", MODE_PARAMS)
def test_padding_mode_matches_torch_autograd(rng, mode, nd, overrides, kw):
    x, w, b = make(rng, nd, **overrides)
    g = grad_out_for(rng, x, w, padding_mode=mode, **kw)
    expected = torch_grads(g, x, w, b, nd, padding_mode=mode, **kw)
    for got, exp in zip(BACKWARD[nd](g, x, w, b, padding_mode=mode, **kw), expected):
        np.testing.assert_allclose(got, exp, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- finite differences
def loss_and_grads(nd, g, kw):
    """f(x, w, b) -> (<conv(x, w, b), g>, (dL/dx, dL/dw, dL/db)) for convlab.gradcheck."""

    def f(x, w, b):
        y = CONV[nd](x, w, b, **kw)
        return float(np.sum(np.asarray(y) * g)), tuple(BACKWARD[nd](g, x, w, b, **kw))

    return f


FD_CASES = [
    ("1d-stride2-even", 1, dict(kernel=(4,), n=1), dict(stride=2, padding=1)),
    ("1d-same-even", 1, dict(kernel=(2,), n=1), dict(padding="same", dilation=3)),
    ("1d-groups-tail", 1, dict(groups=2, n=1, spatial=(10,)), dict(groups=2, stride=4)),
    ("2d-all", 2, dict(groups=2, n=1), dict(stride=(2, 1), padding=((1, 0), (2, 1)), dilation=(1, 2), groups=2)),
    ("3d", 3, dict(n=1, c_in=2, c_out=2, spatial=(4, 3, 4)), dict(padding=1, stride=(1, 2, 1))),
]
FD_PARAMS = [pytest.param(*c[1:], id=c[0]) for c in FD_CASES]


@pytest.mark.parametrize("mode", PADDING_MODES)
@pytest.mark.parametrize("nd, overrides, kw", FD_PARAMS)
def test_gradcheck(rng, mode, nd, overrides, kw):
    x, w, b = make(rng, nd, **overrides)
    kw = dict(kw, padding_mode=mode)
    g = grad_out_for(rng, x, w, **kw)
    err = convlab.gradcheck(loss_and_grads(nd, g, kw), x, w, b)
    assert 0 <= err < 1e-6


def test_gradcheck_catches_a_wrong_gradient(rng):
    """The check must be able to fail: a gradient scaled by 1.01 is reported."""
    x, w, b = make(rng, 1, n=1)
    g = grad_out_for(rng, x, w, stride=2)
    good = loss_and_grads(1, g, dict(stride=2))

    def bad(x, w, b):
        loss, (gx, gw, gb) = good(x, w, b)
        return loss, (gx, 1.01 * gw, gb)

    assert convlab.gradcheck(bad, x, w, b) > 1e-3


def _central_difference(fn, a, eps=1e-6):
    """d fn / d a for every element of a, by (fn(a + eps e_i) - fn(a - eps e_i)) / (2 eps)."""
    num = np.zeros(a.shape)
    for idx in np.ndindex(a.shape):
        plus, minus = a.copy(), a.copy()
        plus[idx] += eps
        minus[idx] -= eps
        num[idx] = (fn(plus) - fn(minus)) / (2 * eps)
    return num


@pytest.mark.parametrize("mode", PADDING_MODES)
@pytest.mark.parametrize("nd, overrides, kw", FD_PARAMS)
def test_finite_differences(rng, mode, nd, overrides, kw):
    x, w, b = make(rng, nd, **overrides)
    kw = dict(kw, padding_mode=mode)
    g = grad_out_for(rng, x, w, **kw)
    conv = CONV[nd]
    gx, gw, gb = BACKWARD[nd](g, x, w, b, **kw)
    num_x = _central_difference(lambda a: np.sum(conv(a, w, b, **kw) * g), x)
    num_w = _central_difference(lambda a: np.sum(conv(x, a, b, **kw) * g), w)
    num_b = _central_difference(lambda a: np.sum(conv(x, w, a, **kw) * g), b)
    for got, num in ((gx, num_x), (gw, num_w), (gb, num_b)):
        np.testing.assert_allclose(got, num, rtol=1e-6, atol=1e-6 * max(1.0, np.abs(num).max()))


# --------------------------------------------------------------------------- adjoint identities
def _inner(xp, a, b):
    return float(np.sum(xp.to_numpy(a) * b))


def _check_adjoint(xp, rng, mode, nd, overrides, kw, which):
    """<conv(x; w), g> == <a, grad_a(g)> for a = x (which=0) or a = w (which=1)."""
    x, w, _ = make(rng, nd, **overrides)
    kw = dict(kw, padding_mode=mode)
    g = grad_out_for(rng, x, w, **kw)
    xs, ws, gs = to_xp(xp, x, w, g)
    lhs = _inner(xp, CONV[nd](xs, ws, **kw), g)
    rhs = _inner(xp, BACKWARD[nd](gs, xs, ws, **kw)[which], (x, w)[which])
    assert lhs == pytest.approx(rhs, rel=1e-11, abs=1e-11)


@pytest.mark.parametrize("mode", LINEAR_MODES)
@pytest.mark.parametrize("nd, overrides, kw", MODE_PARAMS)
def test_adjoint_input(xp, rng, mode, nd, overrides, kw):
    """x -> conv(x; w) is linear for every mode but median, so <conv(x), g> == <x, grad_x(g)>."""
    _check_adjoint(xp, rng, mode, nd, overrides, kw, which=0)


@pytest.mark.parametrize("mode", PADDING_MODES)
@pytest.mark.parametrize("nd, overrides, kw", MODE_PARAMS)
def test_adjoint_weight(xp, rng, mode, nd, overrides, kw):
    """w -> conv(x; w) is linear for every mode (median included): <conv(x; w), g> == <w, grad_w(g)>."""
    _check_adjoint(xp, rng, mode, nd, overrides, kw, which=1)


def test_adjoint_bias(rng):
    """<conv(x; w, b) - conv(x; w), g> == <b, grad_b(g)>."""
    x, w, b = make(rng, 2)
    g = grad_out_for(rng, x, w, padding=1)
    lhs = np.sum((convlab.conv2d(x, w, b, padding=1) - convlab.conv2d(x, w, padding=1)) * g)
    rhs = np.sum(convlab.conv2d_backward(g, x, w, b, padding=1)[2] * b)
    assert lhs == pytest.approx(rhs, rel=1e-11)


def test_median_gradient_picks_middle_value():
    """For x = 5 1 3 (median 3 at index 2) a 'median' border sends its gradient to index 2 only."""
    x = np.array([[[5.0, 1.0, 3.0]]])
    w = np.array([[[1.0]]])
    g = np.array([[[1.0, 0.0, 0.0, 0.0, 1.0]]])  # only the two border positions
    gx, _, _ = convlab.conv1d_backward(g, x, w, padding=1, padding_mode="median")
    np.testing.assert_array_equal(gx, [[[0.0, 0.0, 2.0]]])


def test_mean_gradient_spreads_evenly():
    x = np.array([[[5.0, 1.0, 3.0, 7.0]]])
    w = np.array([[[1.0]]])
    g = np.array([[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0]]])
    gx, _, _ = convlab.conv1d_backward(g, x, w, padding=1, padding_mode="mean")
    np.testing.assert_allclose(gx, [[[0.25, 0.25, 0.25, 0.25]]], rtol=1e-15)


LARGE = [
    pytest.param(1, (8, 4, 20000), (8, 4, 9), dict(padding=4), id="1d-long"),
    pytest.param(1, (6, 6, 9001), (9, 2, 5), dict(padding=((3, 1),), stride=3, dilation=2, groups=3), id="1d-long-all"),
    pytest.param(2, (24, 16, 33, 31), (32, 16, 3, 3), dict(padding=1), id="2d-batch"),
    pytest.param(2, (17, 8, 40, 29), (12, 4, 4, 3), dict(padding=(2, 1), stride=(2, 1), dilation=(1, 2), groups=2), id="2d-all"),
    pytest.param(2, (16, 3, 30, 30), (8, 3, 3, 3), dict(padding=1, padding_mode="reflect"), id="2d-reflect"),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("nd, xshape, wshape, kw", LARGE)
def test_large_matches_torch_autograd(rng, dtype, nd, xshape, wshape, kw):
    """Shapes big enough to cross any internal blocking; reference in float64."""
    x = rng.standard_normal(xshape)
    w = rng.standard_normal(wshape)
    b = rng.standard_normal(wshape[0])
    per = lambda v: tuple(v) if isinstance(v, tuple) else (v,) * nd  # noqa: E731
    stride, dilation = per(kw.get("stride", 1)), per(kw.get("dilation", 1))
    pairs = padding_pairs_naive(kw.get("padding", 0), wshape[2:], dilation, stride)
    y_shape = output_shape_naive(xshape[2:], wshape[2:], stride, pairs, dilation)
    g = rng.standard_normal((xshape[0], wshape[0]) + y_shape)
    expected = torch_grads(g, x, w, b, nd, **kw)
    got = BACKWARD[nd](*(a.astype(dtype) for a in (g, x, w, b)), **kw)
    tol = 1e-10 if dtype == np.float64 else 1e-4
    for out, exp in zip(got, expected):
        assert out.dtype == dtype
        np.testing.assert_allclose(out, exp, rtol=tol, atol=tol * np.abs(exp).max())
