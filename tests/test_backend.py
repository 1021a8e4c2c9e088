"""Backend rules of the public API: outputs stay in the input's library and dtype,
libraries are never mixed silently, float32 meets float64 as float64, complex
input is refused and lists are NumPy input."""

from __future__ import annotations

import numpy as np
import pytest

import convlab


def check_native(xp, y, dtype):
    assert xp.is_native(y), f"output type {type(y)} is not native to {xp.name}"
    assert xp.to_numpy(y).dtype == dtype


def numpy_conv1d(x, w, b=None):
    """Naive cross-correlation, stride 1, no padding: y[n, o, i] = b[o] + sum_c sum_k x[n, c, i + k] w[o, c, k]."""
    N, C, L = x.shape
    O, _, K = w.shape
    y = np.zeros((N, O, L - K + 1))
    for n in range(N):
        for o in range(O):
            for i in range(L - K + 1):
                y[n, o, i] = np.sum(x[n, :, i : i + K] * w[o]) + (0.0 if b is None else b[o])
    return y


DTYPES = [np.float32, np.float64]
TOL = {np.float32: 1e-5, np.float64: 1e-12}


class TestOutputStaysInLibrary:
    @pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
    def test_pad(self, xp, dtype, rng):
        x = rng.normal(size=(2, 5)).astype(dtype)
        y = convlab.pad(xp.asarray(x), ((1, 2),), "reflect")
        check_native(xp, y, dtype)
        np.testing.assert_allclose(xp.to_numpy(y), np.pad(x, ((0, 0), (1, 2)), mode="reflect"))

    @pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
    @pytest.mark.parametrize("fn", ["convolve", "correlate"])
    def test_convolve_correlate(self, xp, dtype, fn, rng):
        x, w = rng.normal(size=7).astype(dtype), rng.normal(size=3).astype(dtype)
        y = getattr(convlab, fn)(xp.asarray(x), xp.asarray(w), "full")
        check_native(xp, y, dtype)
        expected = getattr(np, fn)(x.astype(np.float64), w.astype(np.float64), "full")
        np.testing.assert_allclose(xp.to_numpy(y), expected, rtol=TOL[dtype], atol=TOL[dtype])

    @pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
    def test_conv1d(self, xp, dtype, rng):
        x = rng.normal(size=(2, 3, 9)).astype(dtype)
        w = rng.normal(size=(4, 3, 3)).astype(dtype)
        b = rng.normal(size=4).astype(dtype)
        y = convlab.conv1d(xp.asarray(x), xp.asarray(w), xp.asarray(b))
        check_native(xp, y, dtype)
        np.testing.assert_allclose(
            xp.to_numpy(y), numpy_conv1d(x.astype(np.float64), w, b), rtol=TOL[dtype], atol=TOL[dtype]
        )

    def test_autocorrelate(self, xp, rng):
        r, lags = convlab.autocorrelate(xp.asarray(rng.normal(size=6)))
        check_native(xp, r, np.float64)
        assert xp.is_native(lags)

    @pytest.mark.parametrize("dtype", [np.int32, np.int64, np.bool_], ids=["int32", "int64", "bool"])
    def test_integer_and_bool_compute_in_float64(self, xp, dtype):
        x = np.array([1, 0, 1, 1, 0, 1]).astype(dtype)
        w = np.array([1, 1, 0]).astype(dtype)
        y = convlab.convolve(xp.asarray(x), xp.asarray(w))
        check_native(xp, y, np.float64)
        np.testing.assert_array_equal(xp.to_numpy(y), np.convolve(x.astype(float), w.astype(float)))


class TestPromotion:
    def test_float32_and_float64_give_float64(self, xp, rng):
        x = rng.normal(size=8).astype(np.float32)
        w = rng.normal(size=3)
        y = convlab.convolve(xp.asarray(x), xp.asarray(w))
        check_native(xp, y, np.float64)
        # computed in float64 from the float32 values, not rounded through float32
        np.testing.assert_allclose(xp.to_numpy(y), np.convolve(x.astype(np.float64), w), rtol=1e-12, atol=1e-12)

    def test_conv1d_float32_input_float64_weight(self, xp, rng):
        x = rng.normal(size=(1, 2, 6)).astype(np.float32)
        w = rng.normal(size=(3, 2, 2))
        y = convlab.conv1d(xp.asarray(x), xp.asarray(w))
        check_native(xp, y, np.float64)


class TestMixedLibraries:
    @pytest.mark.parametrize("fn", ["convolve", "correlate"])
    def test_numpy_and_strict(self, fn):
        strict = pytest.importorskip("array_api_strict")
        with pytest.raises(TypeError, match=r"(?s)(numpy.*array_api_strict|array_api_strict.*numpy)"):
            getattr(convlab, fn)(np.ones(5), strict.asarray([1.0, 2.0]))
        with pytest.raises(TypeError, match=r"(?s)(numpy.*array_api_strict|array_api_strict.*numpy)"):
            getattr(convlab, fn)(strict.asarray([1.0, 2.0, 3.0]), np.ones(2))

    def test_conv1d_numpy_and_strict(self):
        strict = pytest.importorskip("array_api_strict")
        x = np.ones((1, 1, 5))
        w = strict.asarray(np.ones((1, 1, 2)))
        with pytest.raises(TypeError, match=r"(?s)(numpy.*array_api_strict|array_api_strict.*numpy)"):
            convlab.conv1d(x, w)

    def test_conv1d_bias_from_other_library(self):
        strict = pytest.importorskip("array_api_strict")
        with pytest.raises(TypeError, match=r"(?s)(numpy.*array_api_strict|array_api_strict.*numpy)"):
            convlab.conv1d(np.ones((1, 1, 5)), np.ones((2, 1, 2)), strict.asarray([0.0, 1.0]))

    def test_numpy_and_torch(self):
        torch = pytest.importorskip("torch")
        with pytest.raises(TypeError, match=r"(?s)(numpy.*torch|torch.*numpy)"):
            convlab.convolve(np.ones(5), torch.ones(2, dtype=torch.float64))

    def test_list_with_strict_array_is_not_mixing(self):
        """A list is not an array of another library: it joins the array's library."""
        strict = pytest.importorskip("array_api_strict")
        y = convlab.convolve(strict.asarray([1.0, 2.0, 3.0]), [1.0, -1.0])
        assert type(y).__module__.startswith("array_api_strict")
        np.testing.assert_array_equal(np.from_dlpack(y), [1.0, 1.0, 1.0, -3.0])


class TestRefusedInput:
    def test_complex_pad(self, xp):
        with pytest.raises(TypeError, match="complex"):
            convlab.pad(xp.asarray(np.ones(4, dtype=np.complex128)), 1)

    def test_complex_convolve(self, xp):
        with pytest.raises(TypeError, match="complex"):
            convlab.convolve(xp.asarray(np.ones(4, dtype=np.complex128)), xp.asarray(np.ones(2)))

    def test_complex_conv1d_weight(self, xp):
        with pytest.raises(TypeError, match="complex"):
            convlab.conv1d(xp.asarray(np.ones((1, 1, 4))), xp.asarray(np.ones((1, 1, 2), dtype=np.complex64)))

    def test_complex_list(self):
        with pytest.raises(TypeError, match="complex"):
            convlab.convolve([1 + 1j, 2.0], [1.0])

    def test_string_input(self):
        with pytest.raises(TypeError):
            convlab.convolve("abc", [1.0])


class TestLists:
    def test_convolve_lists_are_numpy(self):
        y = convlab.convolve([1, 2, 3], [0, 1])
        assert isinstance(y, np.ndarray) and y.dtype == np.float64
        np.testing.assert_array_equal(y, [0.0, 1.0, 2.0, 3.0])

    def test_pad_list_is_numpy(self):
        y = convlab.pad([[1.0, 2.0]], ((0, 0), (1, 1)), "circular")
        assert isinstance(y, np.ndarray)
        np.testing.assert_array_equal(y, [[2.0, 1.0, 2.0, 1.0]])

    def test_conv1d_nested_lists(self):
        x = [[[1.0, 2.0, 3.0, 4.0]]]
        w = [[[1.0, -1.0]]]
        y = convlab.conv1d(x, w)
        assert isinstance(y, np.ndarray)
        np.testing.assert_array_equal(y, [[[-1.0, -1.0, -1.0]]])

    def test_autocorrelate_list(self):
        r, lags = convlab.autocorrelate([1, 2])
        assert isinstance(r, np.ndarray)
        np.testing.assert_array_equal(r, [2.0, 5.0, 2.0])
        np.testing.assert_array_equal(lags, [-1, 0, 1])
