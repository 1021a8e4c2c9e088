"""convlab.gradcheck accepts correct gradients and rejects wrong ones."""

from __future__ import annotations

import array_api_compat
import numpy as np
import pytest

import convlab


def sin_times_w(x, w):
    """loss = sum(sin(x) * w); d/dx = cos(x) * w, d/dw = sin(x)."""
    ns = array_api_compat.array_namespace(x, w)
    return ns.sum(ns.sin(x) * w), (ns.cos(x) * w, ns.sin(x))


def sign_flipped(x, w):
    ns = array_api_compat.array_namespace(x, w)
    return ns.sum(ns.sin(x) * w), (-ns.cos(x) * w, ns.sin(x))


def swapped(x, w):
    ns = array_api_compat.array_namespace(x, w)
    return ns.sum(ns.sin(x) * w), (ns.sin(x), ns.cos(x) * w)


def missing_factor(x, w):
    """Forgets the chain-rule factor w in d/dx."""
    ns = array_api_compat.array_namespace(x, w)
    return ns.sum(ns.sin(x) * w), (ns.cos(x), ns.sin(x))


@pytest.fixture
def points(rng):
    return rng.normal(size=(3, 4)), rng.normal(size=(3, 4))


class TestGradcheck:
    def test_correct_gradient_is_small(self, xp, points):
        x, w = points
        err = convlab.gradcheck(sin_times_w, xp.asarray(x), xp.asarray(w))
        assert isinstance(err, float)
        assert 0 <= err < 1e-7

    @pytest.mark.parametrize("wrong", [sign_flipped, swapped, missing_factor], ids=lambda f: f.__name__)
    def test_wrong_gradient_is_large(self, xp, points, wrong):
        x, w = points
        err = convlab.gradcheck(wrong, xp.asarray(x), xp.asarray(w))
        assert err > 1e-2

    def test_float32_input_is_checked_in_float64(self, xp, points):
        """At eps=1e-6 float32 central differences would be noise; float64 ones are exact enough."""
        x, w = points
        err = convlab.gradcheck(sin_times_w, xp.asarray(x.astype(np.float32)), xp.asarray(w.astype(np.float32)))
        assert err < 1e-7

    def test_one_wrong_entry_gives_its_relative_error(self):
        """Linear loss sum(a * x): the exact gradient is a; one entry off by delta gives delta / max|a|."""
        a = np.array([[1.0, -4.0, 2.0], [0.5, 3.0, -1.0]])
        delta = 0.02

        def f(x):
            wrong = a.copy()
            wrong[1, 2] += delta
            return float(np.sum(a * x)), (wrong,)

        err = convlab.gradcheck(f, np.zeros((2, 3)))
        assert err == pytest.approx(delta / 4.0, rel=1e-6)

    def test_error_in_second_array_is_seen(self, rng):
        x = rng.normal(size=5)
        w = rng.normal(size=5)

        def f(x, w):
            gw = np.sin(x).copy()
            gw[3] *= 1.5
            return float(np.sum(np.sin(x) * w)), (np.cos(x) * w, gw)

        assert convlab.gradcheck(f, x, w) > 1e-2

    def test_inputs_not_modified(self, points):
        x, w = points
        x0, w0 = x.copy(), w.copy()
        convlab.gradcheck(sign_flipped, x, w)
        np.testing.assert_array_equal(x, x0)
        np.testing.assert_array_equal(w, w0)

    def test_checks_a_convolution_gradient(self, rng):
        """A real use: d/dw sum(g * correlate(x, w)) computed by hand (valid mode)."""
        x = rng.normal(size=9)
        g = rng.normal(size=6)

        def loss(w):
            y = np.array([np.dot(x[i : i + 4], w) for i in range(6)])
            grad_w = np.array([np.dot(g, x[k : k + 6]) for k in range(4)])
            return float(np.dot(g, y)), (grad_w,)

        assert convlab.gradcheck(loss, rng.normal(size=4)) < 1e-7

    def test_eps_must_be_positive(self, points):
        with pytest.raises(ValueError, match="eps"):
            convlab.gradcheck(sin_times_w, *points, eps=0.0)

    def test_wrong_number_of_gradients(self, points):
        with pytest.raises(ValueError):
            convlab.gradcheck(lambda x, w: (0.0, (x,)), *points)
