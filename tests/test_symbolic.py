"""Tests for convlab.symbolic: SymPy builders held against NumPy, PyTorch and closed forms.

The references are independent of the code under test: ``numpy.convolve``,
``numpy.correlate``, ``numpy.pad``, ``torch.nn.functional`` (float64), direct
constructions written out here, and brute-force counts. The symbolic proofs at
the end are the identities the book relies on, checked as exact expressions.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp

from convlab import symbolic as sym

RTOL, ATOL = 1e-12, 1e-12


# --------------------------------------------------------------------------- helpers


def flat(a):
    """The entries of an array, row-major."""
    a = sp.Array(a)
    return list(a.reshape(len(a)))


def to_numpy(a):
    """A sympy Array of numbers as a float64 NumPy array."""
    return np.array(sp.Array(a).tolist(), dtype=float)


def substitute(a, values):
    """Replace symbols by numbers (``values``: {Symbol: float}) and return a NumPy array."""
    return to_numpy(sp.Array(a).applyfunc(lambda e: e.xreplace(values)))


def random_values(rng, *arrays):
    """Random numbers for every symbol in ``arrays``."""
    symbols = [s for a in arrays for s in flat(a)]
    return dict(zip(symbols, map(sp.Float, rng.normal(size=len(symbols)))))


def assert_same_expressions(a, b):
    """Entry by entry, ``a - b`` expands to zero (and the shapes agree)."""
    a, b = sp.Array(a), sp.Array(b)
    assert a.shape == b.shape
    for ea, eb in zip(flat(a), flat(b)):
        assert sp.expand(ea - eb) == 0, (ea, eb)


@pytest.fixture
def torch_f():
    torch = pytest.importorskip("torch")
    return torch, torch.nn.functional


def t64(torch, a):
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64))


# --------------------------------------------------------------------------- symbols


class TestSymbols:
    def test_signal_names_and_assumptions(self):
        x = sym.signal("x", 4, start=-1)
        assert [str(s) for s in x] == ["x_-1", "x_0", "x_1", "x_2"]
        assert all(s.is_real for s in x)

    def test_centered_kernel_runs_from_minus_p_to_p(self):
        assert [str(s) for s in sym.kernel("w", 5, centered=True)] == ["w_-2", "w_-1", "w_0", "w_1", "w_2"]
        assert [str(s) for s in sym.kernel("w", 2)] == ["w_0", "w_1"]

    def test_centered_even_kernel_is_an_error(self):
        with pytest.raises(ValueError, match="centered"):
            sym.kernel("w", 4, centered=True)

    def test_tensor_names_join_indices(self):
        x = sym.tensor("x", (2, 3))
        assert x.shape == (2, 3)
        assert str(x[1, 2]) == "x_{1,2}"
        assert sp.latex(x[1, 2]) == "x_{1,2}"

    def test_tensor_1d_is_signal(self):
        assert list(sym.tensor("x", (3,))) == list(sym.signal("x", 3))
        assert sym.upstream("g", (2,)).shape == (2,)


# --------------------------------------------------------------------------- convolve / correlate


class TestConvolve:
    @pytest.mark.parametrize("mode", ["full", "same", "valid"])
    @pytest.mark.parametrize("name", ["convolve", "correlate"])
    def test_matches_numpy(self, rng, name, mode):
        ours, reference = getattr(sym, name), getattr(np, name)
        for n, m in itertools.product(range(1, 8), range(1, 7)):
            x, w = sym.signal("x", n), sym.kernel("w", m)
            values = random_values(rng, x, w)
            xn, wn = (np.array([float(values[s]) for s in a]) for a in (x, w))
            got = substitute(ours(x, w, mode), values)
            np.testing.assert_allclose(got, reference(xn, wn, mode), rtol=RTOL, atol=ATOL, err_msg=f"{n=} {m=}")

    def test_numbers_in_numbers_out(self, rng):
        x, w = rng.normal(size=6), rng.normal(size=4)
        np.testing.assert_allclose(to_numpy(sym.convolve(x, w, "same")), np.convolve(x, w, "same"), rtol=RTOL)
        np.testing.assert_allclose(to_numpy(sym.correlate(list(x), tuple(w))), np.correlate(x, w), rtol=RTOL)

    def test_defaults_match_numpy(self):
        x, w = sym.signal("x", 5), sym.kernel("w", 3)
        assert len(sym.convolve(x, w)) == 7  # numpy.convolve defaults to "full"
        assert len(sym.correlate(x, w)) == 3  # numpy.correlate defaults to "valid"

    def test_bad_mode(self):
        with pytest.raises(ValueError, match="mode='fulll'"):
            sym.convolve([1, 2], [1], mode="fulll")

    def test_empty_signal(self):
        with pytest.raises(ValueError, match="empty"):
            sym.correlate([], [1, 2])


# --------------------------------------------------------------------------- pad

NUMPY_PADS = [
    pytest.param("zeros", {}, "constant", {}, id="zeros"),
    pytest.param("constant", {"value": 2.5}, "constant", {"constant_values": 2.5}, id="constant"),
    pytest.param("mean", {}, "mean", {}, id="mean"),
    pytest.param("mean", {"stat_length": 2}, "mean", {"stat_length": 2}, id="mean-k2"),
    pytest.param("mean", {"stat_length": (1, 3)}, "mean", {"stat_length": (1, 3)}, id="mean-k13"),
    pytest.param("median", {}, "median", {}, id="median"),
    pytest.param("median", {"stat_length": 3}, "median", {"stat_length": 3}, id="median-k3"),
    pytest.param("reflect", {}, "reflect", {}, id="reflect"),
    pytest.param("symmetric", {}, "symmetric", {}, id="symmetric"),
    pytest.param("replicate", {}, "edge", {}, id="replicate"),
    pytest.param("circular", {}, "wrap", {}, id="circular"),
]


class TestPad:
    @pytest.mark.parametrize(("mode", "kwargs", "np_mode", "np_kwargs"), NUMPY_PADS)
    def test_matches_numpy(self, rng, mode, kwargs, np_mode, np_kwargs):
        for n in range(1, 5):
            x = rng.normal(size=n)
            for left, right in itertools.product(range(2 * n + 1), repeat=2):
                got = to_numpy(sym.pad(x, (left, right), mode, **kwargs))
                want = np.pad(x, (left, right), np_mode, **np_kwargs)
                np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=f"{n=} {left=} {right=}")

    @pytest.mark.parametrize("mode, np_mode", [("reflect", "reflect"), ("symmetric", "symmetric"),
                                               ("replicate", "edge"), ("circular", "wrap")])
    def test_copy_modes_copy_symbols(self, mode, np_mode):
        # numpy.pad of the indices 0..n-1 says which sample lands where.
        for n in range(1, 5):
            x = sym.signal("x", n)
            src = np.pad(np.arange(n), (2 * n, n + 1), np_mode)
            assert list(sym.pad(x, (2 * n, n + 1), mode)) == [x[int(i)] for i in src]

    @pytest.mark.parametrize(("mode", "kwargs", "np_mode", "np_kwargs"), NUMPY_PADS)
    def test_2d_matches_numpy(self, rng, mode, kwargs, np_mode, np_kwargs):
        # Axes are padded one after the other, so the corners of mean/median use padded rows.
        x = rng.normal(size=(3, 4))
        got = to_numpy(sym.pad(x, ((1, 2), (3, 1)), mode, **kwargs))
        np.testing.assert_allclose(got, np.pad(x, ((1, 2), (3, 1)), np_mode, **np_kwargs), rtol=RTOL, atol=ATOL)

    def test_trailing_axes_only(self, rng):
        x = rng.normal(size=(2, 3))
        got = to_numpy(sym.pad(x, ((1, 2),), "reflect"))
        np.testing.assert_allclose(got, np.pad(x, ((0, 0), (1, 2)), "reflect"))

    @pytest.mark.parametrize("mode", ["first", "last"])
    def test_first_last_fill_both_sides(self, mode):
        x = sym.signal("x", 4)
        edge = x[0] if mode == "first" else x[-1]
        assert list(sym.pad(x, (2, 3), mode)) == [edge] * 2 + list(x) + [edge] * 3

    def test_mean_of_symbols_is_exact(self):
        x = sym.signal("x", 4)
        y = sym.pad(x, (1, 1), "mean", stat_length=2)
        assert sp.simplify(y[0] - (x[0] + x[1]) / 2) == 0
        assert sp.simplify(y[-1] - (x[2] + x[3]) / 2) == 0

    def test_constant_may_be_a_symbol(self):
        c = sp.Symbol("c")
        assert list(sym.pad([1, 2], 1, "constant", value=c)) == [c, 1, 2, c]

    def test_median_of_symbols_is_an_error(self):
        with pytest.raises(ValueError, match="median"):
            sym.pad(sym.signal("x", 3), 1, "median")

    def test_numpy_name_gets_a_hint(self):
        with pytest.raises(ValueError, match="'replicate'"):
            sym.pad([1, 2], 1, "edge")

    def test_negative_width(self):
        with pytest.raises(ValueError, match="pad_width=-1"):
            sym.pad([1, 2], -1)

    def test_dilate_inserts_zeros(self):
        x = sym.signal("x", 3)
        assert list(sym.dilate(x, 3)) == [x[0], 0, 0, x[1], 0, 0, x[2]]
        assert sym.dilate(sym.tensor("w", (2, 3, 2)), 2, ndim=1).shape == (2, 3, 3)


# --------------------------------------------------------------------------- conv layers vs torch

CONV1D_CASES = [
    # C_in, C_out, L, K, stride, padding, dilation, groups, bias, padding_mode
    (1, 1, 7, 3, 1, 0, 1, 1, False, "zeros"),
    (2, 3, 9, 3, 2, 1, 1, 1, True, "zeros"),
    (4, 2, 10, 2, 1, 2, 2, 2, True, "zeros"),
    (4, 4, 8, 3, 3, (2, 1), 1, 4, False, "zeros"),
    (3, 2, 8, 4, 1, "same", 1, 1, True, "zeros"),
    (2, 2, 7, 2, 1, "same", 3, 1, False, "zeros"),
    (2, 2, 6, 3, 1, "valid", 1, 1, True, "zeros"),
    (1, 2, 3, 5, 1, 1, 1, 1, True, "zeros"),  # kernel longer than the signal, not than the padded signal
    (2, 2, 6, 3, 2, 2, 1, 1, True, "reflect"),
    (2, 4, 5, 3, 1, (4, 1), 2, 2, False, "reflect"),
    (2, 2, 4, 3, 1, 3, 1, 1, True, "replicate"),
    (2, 2, 6, 3, 2, (3, 1), 1, 1, False, "circular"),
    (1, 1, 4, 2, 1, 4, 1, 1, False, "circular"),  # padding == length is allowed
]


def torch_pad_mode(mode):
    return {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}[mode]


class TestConv1d:
    @pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")
    @pytest.mark.parametrize("case", CONV1D_CASES, ids=str)
    def test_matches_torch(self, rng, torch_f, case):
        torch, F = torch_f
        c_in, c_out, n, k, s, p, d, groups, bias, mode = case
        x = rng.normal(size=(c_in, n))
        w = rng.normal(size=(c_out, c_in // groups, k))
        b = rng.normal(size=c_out) if bias else None
        got = to_numpy(sym.conv1d(x, w, b, stride=s, padding=p, dilation=d, groups=groups, padding_mode=mode))
        bt = None if b is None else t64(torch, b)
        if isinstance(p, str):
            want = F.conv1d(t64(torch, x)[None], t64(torch, w), bt, stride=s, padding=p, dilation=d, groups=groups)
        else:
            pads = tuple(p) if isinstance(p, tuple) else (p, p)
            xt = F.pad(t64(torch, x)[None], pads, mode=torch_pad_mode(mode))
            want = F.conv1d(xt, t64(torch, w), bt, stride=s, dilation=d, groups=groups)
        np.testing.assert_allclose(got, want[0].numpy(), rtol=RTOL, atol=ATOL)

    @pytest.mark.parametrize("mode", ["symmetric", "mean", "median", "first", "last"])
    def test_numpy_padding_modes_match_torch_on_padded_input(self, rng, torch_f, mode):
        torch, F = torch_f
        x, w, b = rng.normal(size=(2, 6)), rng.normal(size=(3, 2, 3)), rng.normal(size=3)
        if mode in ("first", "last"):
            edge = x[:, :1] if mode == "first" else x[:, -1:]
            xp = np.concatenate([np.repeat(edge, 2, 1), x, np.repeat(edge, 1, 1)], axis=1)
        else:
            xp = np.pad(x, ((0, 0), (2, 1)), mode)
        got = to_numpy(sym.conv1d(x, w, b, stride=2, padding=(2, 1), padding_mode=mode))
        want = F.conv1d(t64(torch, xp)[None], t64(torch, w), t64(torch, b), stride=2)
        np.testing.assert_allclose(got, want[0].numpy(), rtol=RTOL, atol=ATOL)

    def test_symbols_give_the_defining_sum(self):
        x, w, b = sym.tensor("x", (2, 6)), sym.tensor("w", (1, 2, 2)), sym.signal("b", 1)
        y = sym.conv1d(x, w, b, stride=2, dilation=3)
        assert y.shape == (1, 2)
        for i in range(2):
            want = b[0] + sum(x[c, 2 * i + 3 * k] * w[0, c, k] for c in range(2) for k in range(2))
            assert sp.expand(y[0, i] - want) == 0

    @pytest.mark.parametrize(
        "kwargs, match",
        [
            ({"stride": 0}, "stride=0"),
            ({"dilation": 0}, "dilation=0"),
            ({"padding": -1}, "padding=-1"),
            ({"padding": (1, 2, 3)}, "padding="),
            ({"padding": "full"}, "padding='full'"),
            ({"padding": "same", "stride": 2}, "padding='same' is not supported with stride=2"),
            ({"padding_mode": "wrap"}, "padding_mode='wrap'.*'circular'"),
            ({"padding": 4, "padding_mode": "reflect"}, "reflect"),
            ({"padding": 5, "padding_mode": "circular"}, "circular"),
            ({"dilation": 3}, "kernel_size=3 with dilation=3"),
            ({"groups": 3}, "groups=3"),
            ({"groups": 0}, "groups=0"),
        ],
    )
    def test_bad_arguments(self, kwargs, match):
        x, w = sym.tensor("x", (2, 4)), sym.tensor("w", (2, 2, 3))
        with pytest.raises(ValueError, match=match):
            sym.conv1d(x, w, **kwargs)

    def test_channels_must_match_groups(self):
        with pytest.raises(ValueError, match=r"w.shape\[1\]=2 does not match C_in/groups"):
            sym.conv1d(sym.tensor("x", (4, 5)), sym.tensor("w", (4, 2, 3)), groups=4)

    def test_kernel_longer_than_padded_input(self):
        with pytest.raises(ValueError, match="kernel_size=6"):
            sym.conv1d(sym.tensor("x", (1, 3)), sym.tensor("w", (1, 1, 6)), padding=1)

    def test_rank_and_bias_shape(self):
        with pytest.raises(ValueError, match=r"x must have shape \(C_in, L\)"):
            sym.conv1d(sym.signal("x", 5), sym.tensor("w", (1, 1, 2)))
        with pytest.raises(ValueError, match="b must have shape"):
            sym.conv1d(sym.tensor("x", (1, 5)), sym.tensor("w", (2, 1, 2)), b=[1, 2, 3])

    def test_bool_stride_is_a_type_error(self):
        with pytest.raises(TypeError, match="stride=True"):
            sym.conv1d(sym.tensor("x", (1, 5)), sym.tensor("w", (1, 1, 2)), stride=True)


CONV2D_CASES = [
    # C_in, C_out, (H, W), (kH, kW), stride, padding, dilation, groups, bias, padding_mode
    (1, 1, (4, 5), (2, 3), 1, 0, 1, 1, False, "zeros"),
    (2, 4, (5, 6), (3, 2), (2, 1), (1, 2), (1, 2), 2, True, "zeros"),
    (2, 2, (5, 5), (2, 2), 1, "same", 1, 1, True, "zeros"),
    (2, 3, (4, 6), (3, 3), (1, 2), ((1, 0), (2, 1)), 1, 1, True, "zeros"),
    (2, 2, (4, 5), (3, 3), 2, (2, 1), 1, 1, False, "reflect"),
    (1, 2, (3, 4), (2, 3), 1, ((2, 0), (1, 3)), 1, 1, True, "replicate"),
    (2, 2, (4, 4), (3, 2), (1, 2), (3, 2), (1, 2), 2, True, "circular"),
]


def torch_pads_2d(p):
    """numpy-ordered padding (per axis) -> F.pad's last-axis-first flat tuple."""
    if isinstance(p, int):
        return (p, p, p, p)
    (top, bottom), (left, right) = ((q, q) if isinstance(q, int) else q for q in p)
    return (left, right, top, bottom)


class TestConv2d:
    @pytest.mark.parametrize("case", CONV2D_CASES, ids=str)
    def test_matches_torch(self, rng, torch_f, case):
        torch, F = torch_f
        c_in, c_out, hw, khw, s, p, d, groups, bias, mode = case
        x = rng.normal(size=(c_in, *hw))
        w = rng.normal(size=(c_out, c_in // groups, *khw))
        b = rng.normal(size=c_out) if bias else None
        got = to_numpy(sym.conv2d(x, w, b, stride=s, padding=p, dilation=d, groups=groups, padding_mode=mode))
        bt = None if b is None else t64(torch, b)
        if isinstance(p, str):
            want = F.conv2d(t64(torch, x)[None], t64(torch, w), bt, stride=s, padding=p, dilation=d, groups=groups)
        else:
            xt = F.pad(t64(torch, x)[None], torch_pads_2d(p), mode=torch_pad_mode(mode))
            want = F.conv2d(xt, t64(torch, w), bt, stride=s, dilation=d, groups=groups)
        np.testing.assert_allclose(got, want[0].numpy(), rtol=RTOL, atol=ATOL)

    def test_conv3d_matches_torch(self, rng, torch_f):
        torch, F = torch_f
        x, w, b = rng.normal(size=(2, 3, 4, 3)), rng.normal(size=(2, 2, 2, 2, 2)), rng.normal(size=2)
        got = to_numpy(sym.conv3d(x, w, b, stride=(1, 2, 1), padding=(1, 0, 1), dilation=(1, 1, 2)))
        want = F.conv3d(
            t64(torch, x)[None], t64(torch, w), t64(torch, b), stride=(1, 2, 1), padding=(1, 0, 1), dilation=(1, 1, 2)
        )
        np.testing.assert_allclose(got, want[0].numpy(), rtol=RTOL, atol=ATOL)

    def test_per_axis_arguments_are_checked(self):
        with pytest.raises(ValueError, match="stride"):
            sym.conv2d(sym.tensor("x", (1, 4, 4)), sym.tensor("w", (1, 1, 2, 2)), stride=(1, 2, 3))


CONV_T1D_CASES = [
    # C_in, C_out, L, K, stride, padding, output_padding, dilation, groups, bias
    (1, 1, 4, 3, 1, 0, 0, 1, 1, False),
    (2, 3, 5, 3, 2, 1, 1, 1, 1, True),
    (2, 2, 4, 2, 3, 0, 2, 2, 1, False),
    (4, 2, 3, 3, 2, 2, 0, 3, 2, True),
    (2, 2, 3, 2, 1, 1, 2, 3, 1, True),
]


class TestConvTranspose:
    @pytest.mark.parametrize("case", CONV_T1D_CASES, ids=str)
    def test_1d_matches_torch(self, rng, torch_f, case):
        torch, F = torch_f
        c_in, c_out, n, k, s, p, op, d, groups, bias = case
        x, w = rng.normal(size=(c_in, n)), rng.normal(size=(c_in, c_out // groups, k))
        b = rng.normal(size=c_out) if bias else None
        got = sym.conv_transpose1d(x, w, b, stride=s, padding=p, output_padding=op, dilation=d, groups=groups)
        want = F.conv_transpose1d(
            t64(torch, x)[None], t64(torch, w), None if b is None else t64(torch, b),
            stride=s, padding=p, output_padding=op, groups=groups, dilation=d,
        )[0].numpy()
        np.testing.assert_allclose(to_numpy(got), want, rtol=RTOL, atol=ATOL)
        assert got.shape[1] == sym.transposed_output_size(n, k, s, p, op, d)

    def test_2d_matches_torch(self, rng, torch_f):
        torch, F = torch_f
        x, w, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 2, 3)), rng.normal(size=3)
        kw = dict(stride=(2, 1), padding=(0, 1), output_padding=(1, 0), dilation=(1, 2))
        got = to_numpy(sym.conv_transpose2d(x, w, b, **kw))
        want = F.conv_transpose2d(t64(torch, x)[None], t64(torch, w), t64(torch, b), **kw)[0].numpy()
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)

    def test_output_padding_must_be_below_stride_or_dilation(self):
        with pytest.raises(ValueError, match="output_padding=2"):
            sym.conv_transpose1d(sym.tensor("x", (1, 3)), sym.tensor("w", (1, 1, 2)), stride=2, output_padding=2)

    def test_in_channels_must_match(self):
        with pytest.raises(ValueError, match=r"w.shape\[0\]=2"):
            sym.conv_transpose1d(sym.tensor("x", (1, 3)), sym.tensor("w", (2, 1, 2)))


# --------------------------------------------------------------------------- output sizes


def count_positions(n, k, s, p, d):
    """Brute force: how many windows of span d(k-1)+1, stepped by s, fit in n + 2p samples."""
    return sum(1 for i in range(n + 2 * p) if s * i + d * (k - 1) <= n + 2 * p - 1)


class TestOutputSize:
    def test_formula_counts_the_windows(self):
        L, k, s, p, d = sp.symbols("L k s p d", integer=True, positive=True)
        formula = sym.output_size(L, k, s, p, d)
        for case in itertools.product(range(1, 10), range(1, 5), range(1, 4), range(3), range(1, 4)):
            want = count_positions(*case)
            if want == 0:
                with pytest.raises(ValueError, match="kernel_size"):
                    sym.output_size(*case)
                continue
            assert sym.output_size(*case) == want
            assert formula.xreplace(dict(zip((L, k, s, p, d), map(sp.Integer, case)))) == want

    def test_formula_is_the_length_of_conv1d(self):
        for n, k, s, p, d in itertools.product(range(1, 7), range(1, 4), range(1, 4), range(2), range(1, 3)):
            if count_positions(n, k, s, p, d) == 0:
                continue
            y = sym.conv1d([list(range(n))], [[[1] * k]], stride=s, padding=p, dilation=d)
            assert y.shape[1] == sym.output_size(n, k, s, p, d)

    def test_same_and_asymmetric_padding(self):
        L, k, d = sp.symbols("L k d", integer=True, positive=True)
        assert sym.output_size(L, k, 1, "same", d) == L
        assert sym.output_size(7, 4, 2, (2, 1)) == count_positions(7 + 1, 4, 2, 1, 1)

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="stride=0"):
            sym.output_size(5, 3, 0)
        with pytest.raises(ValueError, match="padding=-1"):
            sym.output_size(5, 3, 1, -1)
        with pytest.raises(ValueError, match="padding='same' is not supported with stride=2"):
            sym.output_size(5, 3, 2, "same")


# --------------------------------------------------------------------------- symbolic proofs


class TestIdentities:
    def test_convolution_is_correlation_with_the_flipped_kernel(self):
        for n, m in itertools.product(range(1, 6), repeat=2):
            x, w = sym.signal("x", n), sym.kernel("w", m)
            flipped = list(w)[::-1]
            for mode in ("full", "valid", "same"):
                if mode == "same" and n < m:
                    continue  # see test_same_mode_window_moves_when_the_kernel_is_longer
                assert_same_expressions(sym.convolve(x, w, mode), sym.correlate(x, flipped, mode))

    def test_same_mode_window_moves_when_the_kernel_is_longer(self, rng):
        # numpy.correlate swaps a shorter first argument and reverses the result, so for an
        # even len(x) < len(w) its "same" window is one sample off numpy.convolve's.
        x, w = sym.signal("x", 2), sym.kernel("w", 3)
        conv, corr = sym.convolve(x, w, "same"), sym.correlate(x, list(w)[::-1], "same")
        assert list(conv) == list(sym.convolve(x, w, "full"))[0:3]
        assert list(corr) == list(sym.convolve(x, w, "full"))[1:4]
        xn, wn = rng.normal(size=2), rng.normal(size=3)
        assert not np.allclose(np.convolve(xn, wn, "same"), np.correlate(xn, wn[::-1], "same"))

    def test_convolution_commutes(self):
        for n, m in itertools.product(range(1, 6), repeat=2):
            x, w = sym.signal("x", n), sym.kernel("w", m)
            for mode in ("full", "same", "valid"):
                assert_same_expressions(sym.convolve(x, w, mode), sym.convolve(w, x, mode))

    def test_centered_kernel_in_same_mode(self):
        n, p = 6, 2
        x, w = sym.signal("x", n), sym.kernel("w", 2 * p + 1, centered=True)
        y = sym.convolve(x, w, "same")
        ws = {int(str(s).split("_")[1]): s for s in w}
        for j in range(n):
            want = sum(x[j - m] * ws[m] for m in range(-p, p + 1) if 0 <= j - m < n)
            assert sp.expand(y[j] - want) == 0

    def test_input_gradient_is_full_convolution_of_g_with_w(self):
        # y_i = sum_k x_{i+k} w_k  =>  dL/dx_t = sum_i g_i w_{t-i} = (g * w)_t
        for n in range(1, 7):
            for k in range(1, n + 1):
                x, w = sym.signal("x", n), sym.kernel("w", k)
                y = sym.conv1d([x], [[w]])
                g = sym.upstream("g", y.shape)
                grad = sym.gradient(sym.loss_dot(y, g), x)
                assert_same_expressions(grad, sym.convolve(g[0, :], w, "full"))

    def test_input_gradient_with_padding_crops_the_full_convolution(self):
        n, k, p = 5, 3, 2
        x, w = sym.signal("x", n), sym.kernel("w", k)
        y = sym.conv1d([x], [[w]], padding=p)
        g = sym.upstream("g", y.shape)
        full = sym.convolve(g[0, :], w, "full")
        assert_same_expressions(sym.gradient(sym.loss_dot(y, g), x), list(full)[p : p + n])

    @pytest.mark.parametrize("s, d, p", [(2, 1, 0), (2, 1, 1), (3, 1, 0), (2, 2, 1), (1, 3, 2)])
    def test_strided_input_gradient_scatters_g_into_zeros(self, s, d, p):
        # dL/dx = full convolution of (g with s-1 zeros between samples) and the dilated kernel,
        # zero-extended to the padded length and cropped back by p.
        for n in range(4, 9):
            x, w = sym.signal("x", n), sym.kernel("w", 2)
            y = sym.conv1d([x], [[w]], stride=s, padding=p, dilation=d)
            g = sym.upstream("g", y.shape)
            full = list(sym.convolve(sym.dilate(g[0, :], s), sym.dilate(w, d), "full"))
            full += [0] * (n + 2 * p - len(full))
            assert_same_expressions(sym.gradient(sym.loss_dot(y, g), x), full[p : p + n])

    @pytest.mark.parametrize("s, p, d, groups", [(1, 0, 1, 1), (2, 1, 1, 1), (3, 0, 2, 2), (2, 2, 1, 2)])
    def test_input_gradient_is_the_transposed_convolution(self, s, p, d, groups):
        n, k = 7, 3
        x, w = sym.tensor("x", (2, n)), sym.tensor("w", (4, 2 // groups, k))
        y = sym.conv1d(x, w, stride=s, padding=p, dilation=d, groups=groups)
        g = sym.upstream("g", y.shape)
        op = n - sym.transposed_output_size(y.shape[1], k, s, p, 0, d)
        back = sym.conv_transpose1d(g, w, stride=s, padding=p, output_padding=op, dilation=d, groups=groups)
        assert_same_expressions(sym.gradient(sym.loss_dot(y, g), x), back)

    @pytest.mark.parametrize("s, d", [(1, 1), (2, 1), (1, 2), (3, 2)])
    def test_weight_gradient_is_correlation_of_x_with_g(self, s, d):
        # dL/dw_k = sum_i g_i x_{s i + d k} = correlate(x, dilate(g, s), "valid")[d k]
        n, k = 9, 3
        x, w = sym.signal("x", n), sym.kernel("w", k)
        y = sym.conv1d([x], [[w]], stride=s, dilation=d)
        g = sym.upstream("g", y.shape)
        corr = sym.correlate(x, sym.dilate(g[0, :], s), "valid")
        assert_same_expressions(sym.gradient(sym.loss_dot(y, g), w), [corr[d * j] for j in range(k)])

    def test_bias_gradient_sums_g(self):
        x, w, b = sym.tensor("x", (2, 6)), sym.tensor("w", (3, 2, 2)), sym.signal("b", 3)
        y = sym.conv1d(x, w, b, stride=2)
        g = sym.upstream("g", y.shape)
        want = [sum(g[o, i] for i in range(y.shape[1])) for o in range(3)]
        assert_same_expressions(sym.gradient(sym.loss_dot(y, g), b), want)

    def test_adjoint_identity_2d(self):
        x, w = sym.tensor("x", (2, 4, 3)), sym.tensor("w", (2, 2, 2, 2))
        kw = dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2))
        y = sym.conv2d(x, w, **kw)
        g = sym.upstream("g", y.shape)
        op = tuple(
            n - sym.transposed_output_size(m, 2, s, p, 0, d)
            for n, m, s, p, d in zip(x.shape[1:], y.shape[1:], kw["stride"], kw["padding"], kw["dilation"])
        )
        back = sym.conv_transpose2d(g, w, output_padding=op, **kw)
        assert back.shape == x.shape
        assert sp.expand(sym.loss_dot(y, g) - sym.loss_dot(x, back)) == 0

    def test_dilation_is_a_kernel_with_zeros(self):
        x, w = sym.tensor("x", (1, 9)), sym.tensor("w", (1, 1, 3))
        assert_same_expressions(sym.conv1d(x, w, dilation=3), sym.conv1d(x, sym.dilate(w, 3, ndim=1)))

    def test_gradient_shapes(self):
        x = sym.tensor("x", (2, 3))
        assert sym.gradient(sym.loss_dot(x, x), x).shape == (2, 3)
        assert sym.gradient(x, x).shape == (2, 3, 2, 3)  # the Jacobian: expr.shape + wrt.shape
        assert sym.gradient(x[0, 0] ** 2, x[0, 0]) == 2 * x[0, 0]

    def test_gradient_needs_symbols(self):
        with pytest.raises(TypeError, match="wrt"):
            sym.gradient(sp.Symbol("a"), [sp.Symbol("a") + 1])

    def test_loss_dot_needs_equal_shapes(self):
        with pytest.raises(ValueError, match="same shape"):
            sym.loss_dot(sym.tensor("y", (2, 3)), sym.tensor("g", (3, 2)))


def test_equal_and_is_zero_prove_and_refute_identities():
    a, b = sp.symbols("a b")
    assert sym.is_zero([(a + b) ** 2 - a**2 - 2 * a * b - b**2, sp.Array([0, a - a])])
    assert not sym.is_zero([0, a - b])
    assert sym.equal(sp.Matrix([a * (b + 1), b]), [a * b + a, b])  # a column and a flat list
    assert sym.equal(sp.Array([[a, b], [b, a]]), [[a, b], [b, a]])
    assert not sym.equal(sp.Array([[a, b], [b, a]]), sp.Array([a, b, b, a]))  # shapes differ
    assert not sym.equal([a, b], [a])  # lengths differ
    assert not sym.equal([a, b], [b, a])  # order matters
    assert sym.equal((x for x in [a, b]), [a, b])  # generators are sequences too
    assert sym.equal(sp.Array([a, b]), sp.Matrix([a, b]))  # (2,) against a (2, 1) column
    assert not sym.equal(sp.Array([a, b]), sp.Matrix([[b, a]]))


# --------------------------------------------------------------------------- edge input (issue 12)


def _raised(f):
    try:
        f()
    except (TypeError, ValueError) as err:
        return type(err), str(err)
    return None


class TestSameValidationAsNumeric:
    """Arguments the numeric functions refuse are refused here too, with the same error and message."""

    @pytest.mark.parametrize(
        "args, kw",
        [
            (([1.0, 2.0, 3.0], 1, "reflect"), dict(value=5)),
            (([1.0, 2.0, 3.0], 1, "zeros"), dict(stat_length=2)),
            (([1.0, 2.0, 3.0], 1, "mean"), dict(stat_length=0)),
            (([1.0, 2.0, 3.0], 1, "mean"), dict(stat_length=(1, 2, 3))),
            (([1.0, 2.0, 3.0], -1), {}),
            (([1.0, 2.0, 3.0], 1.5), {}),
            (([1.0, 2.0, 3.0], ((1, 1), (1, 1))), {}),
            (([1.0, 2.0, 3.0], 1, ["zeros"]), {}),
            (([1.0, 2.0, 3.0], 1, "edge"), {}),
            (([1.0, 2.0, 3.0], 1, "constant"), dict(value="a")),
            (([1.0, 2.0, 3.0], 1, "constant"), dict(value=True)),
        ],
        ids=["value-reflect", "statlen-zeros", "statlen-0", "statlen-3", "neg-width", "float-width",
             "too-many-pairs", "list-mode", "numpy-name", "str-value", "bool-value"],
    )
    def test_pad(self, args, kw):
        import convlab

        numeric = _raised(lambda: convlab.pad(np.array(args[0]), *args[1:], **kw))
        symbolic = _raised(lambda: sym.pad(*args, **kw))
        assert numeric is not None and symbolic is not None
        assert symbolic[0] is numeric[0]
        # The same message, or (value=) the numeric one extended by "or a SymPy expression".
        assert symbolic[1].replace(" (or a SymPy expression)", "") == numeric[1]

    @pytest.mark.parametrize(
        "args",
        [(10.5, 3), (10, 3.0), ("10", 3), (True, 3), (10, 0), (10, 3, 0), (10, 3, 1, -1), (10, 3, 1, 1.5),
         (2, 3), (10, 3, 2, "same"), (10, 3, 1, "full"), (10, 3, 1, (1, 2, 3)), (sp.Float(10), 3),
         (sp.oo, 3), (sp.nan, 3), (10, 3, 1, 0, 0)],
        ids=str,
    )
    def test_output_size(self, args):
        import convlab

        numeric = _raised(lambda: convlab.output_size(*args))
        symbolic = _raised(lambda: sym.output_size(*args))
        assert numeric is not None and symbolic == numeric

    @pytest.mark.parametrize(
        "kw, match",
        [
            (dict(stride=0), "stride=0 is invalid"),
            (dict(input_size=10.5), "input_size=10.5 is invalid"),
            (dict(padding=-1), "padding=-1 is invalid"),
            (dict(output_padding=2, stride=2), "output_padding=2 must be smaller than stride=2"),
            (dict(padding=3, input_size=1, kernel_size=2), "padding=3 removes the whole output"),
            (dict(kernel_size="3"), "kernel_size='3' is invalid"),
        ],
    )
    def test_transposed_output_size(self, kw, match, torch_f):
        torch, F = torch_f
        args = dict(input_size=4, kernel_size=3, stride=1, padding=0, output_padding=0, dilation=1)
        args.update(kw)
        with pytest.raises((TypeError, ValueError), match=match):
            sym.transposed_output_size(**args)
        if all(isinstance(v, int) for v in args.values()):  # torch refuses the same numbers
            x = torch.zeros(1, 1, args["input_size"], dtype=torch.float64)
            w = torch.zeros(1, 1, args["kernel_size"], dtype=torch.float64)
            with pytest.raises((RuntimeError, ValueError)):
                F.conv_transpose1d(x, w, stride=args["stride"], padding=args["padding"],
                                   output_padding=args["output_padding"], dilation=args["dilation"])

    def test_transposed_output_size_matches_torch(self, torch_f):
        torch, F = torch_f
        for L, k, s, p, op, d in itertools.product((1, 4), (1, 3), (1, 2, 3), (0, 1), (0, 1), (1, 2)):
            if op >= max(s, d) or (L - 1) * s + d * (k - 1) + op + 1 - 2 * p < 1:
                continue
            y = F.conv_transpose1d(torch.zeros(1, 1, L), torch.zeros(1, 1, k), stride=s, padding=p,
                                   output_padding=op, dilation=d)
            assert sym.transposed_output_size(L, k, s, p, op, d) == y.shape[-1]

    def test_symbols_are_still_welcome(self):
        L, k, s, p = sp.symbols("L k s p", integer=True, positive=True)
        assert sym.output_size(L, k, s, p) == sp.floor((L + 2 * p - k) / s) + 1
        neg = sp.Symbol("q", negative=True)
        with pytest.raises(ValueError, match="stride=q is invalid"):
            sym.output_size(L, k, neg)
        with pytest.raises(TypeError, match="input_size=h is invalid"):
            sym.output_size(sp.Symbol("h", integer=False), k)


class TestNotAnArray:
    """What is not a sequence of numbers is a TypeError naming the parameter, never a recursion or a guess."""

    @pytest.mark.parametrize("bad", ["abc", {1: 2}, {1, 2}, None, b"ab", 3.5j], ids=repr)
    @pytest.mark.parametrize("f", [
        lambda v: sym.convolve(v, [1, 2]), lambda v: sym.correlate([1, 2], v, "full"),
        lambda v: sym.pad(v, 1), lambda v: sym.dilate(v, 2),
        lambda v: sym.loss_dot(v, [1, 2]),
    ], ids=["convolve-x", "correlate-w", "pad", "dilate", "loss_dot"])
    def test_signals(self, f, bad):
        with pytest.raises((TypeError, ValueError), match=r"=|scalar"):
            f(bad)

    def test_convolve_of_a_string_does_not_recurse(self):
        with pytest.raises(TypeError, match=r"x='abc' is invalid"):
            sym.convolve("abc", [1, 2])

    def test_strings_inside_a_list_are_not_parsed(self):
        with pytest.raises(TypeError, match=r"x='a' is invalid"):
            sym.convolve(["a", 1], [1, 2])

    def test_layers(self):
        with pytest.raises(TypeError, match=r"x=\{1: 2\} is invalid"):
            sym.conv1d({1: 2}, [[[1]]])
        with pytest.raises(TypeError, match=r"w='abc' is invalid"):
            sym.conv_transpose1d([[1, 2]], "abc")

    def test_calculus(self):
        x = sp.Symbol("x")
        with pytest.raises(TypeError, match="wrt='x' is invalid"):
            sym.gradient(x**2, "x")
        with pytest.raises(TypeError, match="expr='x\\*\\*2' is invalid"):
            sym.gradient("x**2", [x])
        with pytest.raises(TypeError, match="a=None is invalid"):
            sym.equal(None, [1])
        with pytest.raises(TypeError, match=r"a=\{0: 1\} is invalid"):
            sym.is_zero({0: 1})  # its keys are not its entries

    def test_bools_are_zero_and_one(self):
        assert list(sym.convolve([True, False], [1, 2])) == list(np.convolve([1, 0], [1, 2]))

    def test_complex_correlate_is_refused(self):
        with pytest.raises(TypeError, match="complex"):
            sym.correlate([1j, 2], [1, 2])

    def test_centered_must_be_a_bool(self):
        with pytest.raises(TypeError, match="centered='yes' is invalid"):
            sym.kernel("w", 3, centered="yes")


class TestNonFinite:
    """NaN and inf land where NumPy and PyTorch put them."""

    SPECIAL = [np.nan, 1.0, np.inf, -2.0, -np.inf, 0.5]

    @pytest.mark.parametrize("mode", ["full", "same", "valid"])
    def test_convolve_and_correlate(self, mode):
        x, w = np.array(self.SPECIAL), np.array([1.0, 0.0, -1.0])
        with np.errstate(invalid="ignore"):
            np.testing.assert_array_equal(to_numpy(sym.convolve(x, w, mode)), np.convolve(x, w, mode))
            np.testing.assert_array_equal(to_numpy(sym.correlate(x, w, mode)), np.correlate(x, w, mode))

    @pytest.mark.parametrize("mode", ["constant", "reflect", "symmetric", "replicate", "circular",
                                      "mean", "median"])
    def test_pad(self, mode):
        np_mode = {"replicate": "edge", "circular": "wrap"}.get(mode, mode)
        for x in (self.SPECIAL, [np.inf, 1.0, 2.0], [np.inf, -np.inf, 3.0]):
            with np.errstate(invalid="ignore"):
                expected = np.pad(np.array(x), 2, np_mode)
            np.testing.assert_array_equal(to_numpy(sym.pad(x, 2, mode)), expected)

    def test_conv1d_matches_torch(self, torch_f):
        torch, F = torch_f
        x = np.array([self.SPECIAL, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]])
        w = np.array([[[1.0, 2.0], [0.0, 1.0]], [[1.0, 0.0], [2.0, np.inf]]])
        got = to_numpy(sym.conv1d(x, w, padding=1))
        expected = F.conv1d(t64(torch, x[None]), t64(torch, w), padding=1)[0].numpy()
        np.testing.assert_array_equal(got, expected)

    def test_equal_never_passes_nan(self):
        assert not sym.equal([sp.nan], [sp.nan]) and not sym.is_zero(sp.nan)
        assert sym.equal([sp.oo, 1], [sp.oo, 1])  # as numpy: inf == inf


class TestSizes:
    """Requests of more entries than SymPy can build are refused at once, with the count."""

    @pytest.mark.parametrize("f, match", [
        (lambda: sym.pad([1, 2], 10**7, "reflect"), r"pad_width=10000000 is invalid.*20,000,002 entries"),
        (lambda: sym.conv1d([[1, 2, 3]], [[[1, 1]]], dilation=10**9, padding=10**9), "padding=1000000000"),
        (lambda: sym.conv_transpose1d([[1, 2]], [[[1]]], stride=10**7), "stride=10000000"),
        (lambda: sym.dilate([1, 2], 10**8), "factor=100000000"),
        (lambda: sym.signal("x", 10**8), "n=100000000"),
        (lambda: sym.tensor("x", (10**4, 10**4)), r"shape=\(10000, 10000\)"),
    ], ids=["pad", "conv1d", "conv_transpose1d", "dilate", "signal", "tensor"])
    def test_refused_early(self, f, match):
        with pytest.raises(ValueError, match=match):
            f()
