"""convlab.convolve / correlate / autocorrelate against numpy.convolve,
numpy.correlate, scipy.signal and scalings computed in this file."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convlab

MODES = ["full", "same", "valid"]
NORMALIZE = [None, "biased", "unbiased", "coeff"]


def check_native(xp, y, dtype=np.float64):
    assert xp.is_native(y), f"output type {type(y)} is not native to {xp.name}"
    assert xp.to_numpy(y).dtype == dtype


# Each signal function with its NumPy and SciPy counterparts.
PAIRS = {
    "convolve": (convlab.convolve, np.convolve, "convolve"),
    "correlate": (convlab.correlate, np.correlate, "correlate"),
}


@pytest.mark.parametrize("name", PAIRS)
@pytest.mark.parametrize("mode", MODES)
class TestAgainstReferences:
    def test_matches_numpy_every_length(self, xp, name, mode, rng):
        """Kernel lengths 1..8 against signal lengths 1..9: even kernels, kernels longer than x."""
        ours, numpy_ref, _ = PAIRS[name]
        for n, k in itertools.product(range(1, 10), range(1, 9)):
            x, w = rng.normal(size=n), rng.normal(size=k)
            y = ours(xp.asarray(x), xp.asarray(w), mode)
            np.testing.assert_allclose(
                xp.to_numpy(y), numpy_ref(x, w, mode), rtol=1e-12, atol=1e-12, err_msg=f"n={n} k={k}"
            )
        check_native(xp, y)

    def test_matches_scipy(self, name, mode, rng):
        import scipy.signal

        ours, _, scipy_name = PAIRS[name]
        # scipy's "same" keeps len(x) (numpy keeps max(len)): they agree for len(x) >= len(w).
        for n, k in itertools.product(range(1, 10), range(1, 9)):
            if mode == "same" and k > n:
                continue
            x, w = rng.normal(size=n), rng.normal(size=k)
            np.testing.assert_allclose(
                ours(x, w, mode), getattr(scipy.signal, scipy_name)(x, w, mode), rtol=1e-10, atol=1e-12
            )


class TestConvolve:
    def test_default_mode_is_full(self, rng):
        x, w = rng.normal(size=6), rng.normal(size=3)
        np.testing.assert_allclose(convlab.convolve(x, w), np.convolve(x, w, "full"), rtol=1e-12)

    def test_lists(self):
        y = convlab.convolve([1, 2, 3], [0, 1, 0.5])
        assert isinstance(y, np.ndarray)
        np.testing.assert_allclose(y, [0.0, 1.0, 2.5, 4.0, 1.5])

    @pytest.mark.parametrize("mode", MODES)
    def test_integer_input_gives_float64(self, xp, mode):
        x = np.array([3, -1, 4, 1, 5, 9], dtype=np.int64)
        w = np.array([2, 7, -1, 8], dtype=np.int64)
        y = convlab.convolve(xp.asarray(x), xp.asarray(w), mode)
        check_native(xp, y)
        np.testing.assert_array_equal(xp.to_numpy(y), np.convolve(x, w, mode).astype(np.float64))

    @pytest.mark.parametrize("mode", MODES)
    def test_float32_stays_float32(self, xp, mode, rng):
        x, w = rng.normal(size=9).astype(np.float32), rng.normal(size=4).astype(np.float32)
        y = convlab.convolve(xp.asarray(x), xp.asarray(w), mode)
        check_native(xp, y, np.float32)
        np.testing.assert_allclose(xp.to_numpy(y), np.convolve(x, w, mode), rtol=1e-5, atol=1e-5)

    def test_is_not_correlation(self):
        """An asymmetric kernel tells convolution (flipped) from correlation."""
        x, w = np.array([0.0, 1.0, 0.0, 0.0]), np.array([1.0, 2.0])
        np.testing.assert_array_equal(convlab.convolve(x, w, "valid"), [1.0, 2.0, 0.0])


class TestCorrelate:
    def test_default_mode_is_valid(self, rng):
        x, w = rng.normal(size=7), rng.normal(size=3)
        np.testing.assert_allclose(convlab.correlate(x, w), np.correlate(x, w, "valid"), rtol=1e-12)

    def test_lists_and_integers(self):
        y = convlab.correlate([1, 2, 3, 4], [1, -1], "full")
        assert isinstance(y, np.ndarray) and y.dtype == np.float64
        np.testing.assert_array_equal(y, np.correlate([1.0, 2, 3, 4], [1.0, -1], "full"))

    def test_is_not_convolution(self):
        x, w = np.array([0.0, 1.0, 0.0, 0.0]), np.array([1.0, 2.0])
        np.testing.assert_array_equal(convlab.correlate(x, w, "valid"), [2.0, 1.0, 0.0])
        np.testing.assert_array_equal(convlab.correlate(x, w, "full"), [0.0, 2.0, 1.0, 0.0, 0.0])


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    x=st.lists(st.integers(-20, 20), min_size=1, max_size=16),
    w=st.lists(st.integers(-20, 20), min_size=1, max_size=10),
    mode=st.sampled_from(MODES),
)
def test_convolve_and_correlate_match_numpy_hypothesis(x, w, mode):
    x = np.array(x, dtype=np.float64) / 4
    w = np.array(w, dtype=np.float64) / 4
    np.testing.assert_allclose(convlab.convolve(x, w, mode), np.convolve(x, w, mode), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(convlab.correlate(x, w, mode), np.correlate(x, w, mode), rtol=1e-12, atol=1e-12)


def expected_autocorrelation(x, mode, normalize, demean):
    """numpy.correlate(x, x, mode) with the scaling computed here from scipy's lags."""
    import scipy.signal

    x = np.asarray(x, dtype=np.float64)
    if demean:
        x = x - x.mean()
    L = len(x)
    lags = scipy.signal.correlation_lags(L, L, mode)
    r = np.correlate(x, x, mode)
    if normalize == "biased":
        r = r / L
    elif normalize == "unbiased":
        r = r / (L - np.abs(lags))
    elif normalize == "coeff":
        r = r / np.dot(x, x)
    return r, lags


class TestAutocorrelate:
    @pytest.mark.parametrize("mode", MODES)
    @pytest.mark.parametrize("normalize", NORMALIZE, ids=str)
    @pytest.mark.parametrize("demean", [False, True], ids=["raw", "demean"])
    def test_matches_numpy_and_scipy_lags(self, xp, mode, normalize, demean, rng):
        for L in range(2, 10):
            x = rng.normal(loc=1.5, size=L)
            r, lags = convlab.autocorrelate(xp.asarray(x), mode, normalize=normalize, demean=demean)
            r_expected, lags_expected = expected_autocorrelation(x, mode, normalize, demean)
            np.testing.assert_array_equal(xp.to_numpy(lags), lags_expected, err_msg=f"L={L}")
            np.testing.assert_allclose(xp.to_numpy(r), r_expected, rtol=1e-12, atol=1e-12, err_msg=f"L={L}")
        check_native(xp, r)
        assert xp.is_native(lags)

    def test_length_one(self):
        r, lags = convlab.autocorrelate(np.array([3.0]))
        np.testing.assert_array_equal(r, [9.0])
        np.testing.assert_array_equal(lags, [0])

    def test_coeff_is_one_at_lag_zero(self, rng):
        r, lags = convlab.autocorrelate(rng.normal(size=11), normalize="coeff")
        assert r[lags == 0][0] == pytest.approx(1.0, rel=1e-14)
        assert np.all(np.abs(r) <= 1 + 1e-12)

    def test_symmetric_in_lag(self, rng):
        r, lags = convlab.autocorrelate(rng.normal(size=8), "full")
        np.testing.assert_allclose(r, r[::-1], rtol=1e-12)
        np.testing.assert_array_equal(lags, -lags[::-1])

    def test_float32_stays_float32(self, xp, rng):
        x = rng.normal(size=12).astype(np.float32)
        r, _ = convlab.autocorrelate(xp.asarray(x), normalize="unbiased")
        check_native(xp, r, np.float32)
        np.testing.assert_allclose(xp.to_numpy(r), expected_autocorrelation(x, "full", "unbiased", False)[0], rtol=1e-4)

    def test_finds_period_of_noisy_sinusoid(self, xp):
        period = 23
        rng = np.random.default_rng(7)
        t = np.arange(400)
        x = 2.0 + np.sin(2 * np.pi * t / period + 0.4) + 0.5 * rng.normal(size=t.size)
        r, lags = convlab.autocorrelate(xp.asarray(x), "full", normalize="unbiased", demean=True)
        r, lags = xp.to_numpy(r), xp.to_numpy(lags)
        positive = r[lags > 0][:100]  # positive[i] is lag i + 1
        # The first peak: between r's return above zero and its next fall below zero.
        down = int(np.argmax(positive < 0))
        up = down + int(np.argmax(positive[down:] > 0))
        down_again = up + int(np.argmax(positive[up:] < 0))
        peak_lag = up + int(np.argmax(positive[up:down_again])) + 1
        assert abs(peak_lag - period) <= 1, peak_lag


class TestSignalErrors:
    @pytest.mark.parametrize("fn", ["convolve", "correlate"])
    def test_two_dimensional(self, xp, fn):
        with pytest.raises(ValueError, match="1-D"):
            getattr(convlab, fn)(xp.asarray(np.ones((2, 3))), xp.asarray(np.ones(2)))
        with pytest.raises(ValueError, match="1-D"):
            getattr(convlab, fn)(xp.asarray(np.ones(3)), xp.asarray(np.ones((1, 2))))

    @pytest.mark.parametrize("fn", ["convolve", "correlate"])
    def test_scalar(self, fn):
        with pytest.raises(ValueError, match="1-D"):
            getattr(convlab, fn)(np.float64(2.0), np.ones(2))

    @pytest.mark.parametrize("fn", ["convolve", "correlate"])
    def test_empty(self, xp, fn):
        with pytest.raises(ValueError, match="empty"):
            getattr(convlab, fn)(xp.asarray(np.ones(0)), xp.asarray(np.ones(2)))
        with pytest.raises(ValueError, match="empty"):
            getattr(convlab, fn)(xp.asarray(np.ones(3)), xp.asarray(np.ones(0)))

    @pytest.mark.parametrize("fn", ["convolve", "correlate"])
    def test_unknown_mode(self, fn):
        with pytest.raises(ValueError, match="mode"):
            getattr(convlab, fn)(np.ones(3), np.ones(2), "circular")

    def test_autocorrelate_two_dimensional(self, xp):
        with pytest.raises(ValueError, match="1-D"):
            convlab.autocorrelate(xp.asarray(np.ones((2, 3))))

    def test_autocorrelate_empty(self, xp):
        with pytest.raises(ValueError, match="empty"):
            convlab.autocorrelate(xp.asarray(np.ones(0)))

    def test_autocorrelate_unknown_mode(self):
        with pytest.raises(ValueError, match="mode"):
            convlab.autocorrelate(np.ones(3), "periodic")

    @pytest.mark.parametrize("normalize", ["coef", "Biased", 1], ids=repr)
    def test_autocorrelate_unknown_normalize(self, normalize):
        with pytest.raises(ValueError, match="normalize"):
            convlab.autocorrelate(np.ones(3), normalize=normalize)
