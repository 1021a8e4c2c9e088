"""convlab.output_size and convlab.same_padding against PyTorch's output shapes
and an independent count of valid window positions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import convlab


def count_windows(length, kernel, stride=1, pad_left=0, pad_right=0, dilation=1):
    """Brute force: start positions i*s whose dilated window ends inside the padded input."""
    padded = length + pad_left + pad_right
    count = 0
    while count * stride + dilation * (kernel - 1) < padded:
        count += 1
    return count


GRID = list(
    itertools.product(range(1, 11), range(1, 6), range(1, 4), range(0, 3), range(1, 4))
)  # length, kernel, stride, padding, dilation


class TestOutputSize:
    def test_matches_window_count(self):
        checked = 0
        for length, kernel, stride, padding, dilation in GRID:
            expected = count_windows(length, kernel, stride, padding, padding, dilation)
            if expected == 0:
                continue
            got = convlab.output_size(length, kernel, stride=stride, padding=padding, dilation=dilation)
            assert got == expected, (length, kernel, stride, padding, dilation)
            checked += 1
        assert checked > 500

    def test_asymmetric_pairs_match_window_count(self):
        for length, kernel, stride, left, right in itertools.product(range(1, 8), range(1, 5), range(1, 4), range(3), range(3)):
            expected = count_windows(length, kernel, stride, left, right)
            if expected == 0:
                continue
            got = convlab.output_size(length, kernel, stride=stride, padding=((left, right),))
            assert got == expected, (length, kernel, stride, left, right)

    def test_matches_torch_conv1d(self):
        torch = pytest.importorskip("torch")
        F = torch.nn.functional
        for length, kernel, stride, padding, dilation in GRID:
            x = torch.zeros(1, 1, length)
            w = torch.zeros(1, 1, kernel)
            try:
                expected = F.conv1d(x, w, stride=stride, padding=padding, dilation=dilation).shape[-1]
            except RuntimeError:  # kernel larger than padded input
                with pytest.raises(ValueError, match="kernel_size"):
                    convlab.output_size(length, kernel, stride=stride, padding=padding, dilation=dilation)
                continue
            got = convlab.output_size(length, kernel, stride=stride, padding=padding, dilation=dilation)
            assert got == expected, (length, kernel, stride, padding, dilation)

    @pytest.mark.parametrize(
        "size, kernel, stride, padding, dilation",
        [((7, 9), (3, 2), (2, 1), (1, 0), (1, 2)), ((5, 6), 3, 2, 1, 1), ((8, 5), (1, 4), 3, ((2, 1), (0, 3)), (2, 1))],
    )
    def test_tuples_match_torch_conv2d(self, size, kernel, stride, padding, dilation):
        torch = pytest.importorskip("torch")
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
        x = torch.zeros(1, 1, *size)
        if isinstance(padding, tuple) and isinstance(padding[0], tuple):
            (top, bottom), (left, right) = padding
            x = torch.nn.functional.pad(x, (left, right, top, bottom))
            torch_padding = 0
        else:
            torch_padding = padding
        expected = tuple(
            torch.nn.functional.conv2d(
                x, torch.zeros(1, 1, kh, kw), stride=stride, padding=torch_padding, dilation=dilation
            ).shape[-2:]
        )
        got = convlab.output_size(size, kernel, stride=stride, padding=padding, dilation=dilation)
        assert isinstance(got, tuple) and got == expected

    def test_int_in_int_out(self):
        got = convlab.output_size(10, 3)
        assert type(got) is int and got == 8

    def test_tuple_in_tuple_out(self):
        assert convlab.output_size((10, 6, 5), (3, 1, 5)) == (8, 6, 1)

    def test_valid_padding_is_zero(self):
        assert convlab.output_size(10, 4, stride=2, padding="valid") == count_windows(10, 4, 2)


class TestSamePadding:
    @pytest.mark.parametrize("kernel", range(1, 8))
    @pytest.mark.parametrize("dilation", [1, 2, 3])
    def test_same_keeps_length(self, kernel, dilation):
        for length in (1, 4, 9):
            assert convlab.output_size(length, kernel, padding="same", dilation=dilation) == length

    @pytest.mark.parametrize("kernel, dilation, expected", [(1, 1, (0, 0)), (3, 1, (1, 1)), (4, 1, (1, 2)),
                                                            (2, 1, (0, 1)), (4, 3, (4, 5)), (5, 2, (4, 4))])
    def test_extra_element_on_the_right(self, kernel, dilation, expected):
        assert convlab.same_padding(kernel, dilation) == expected

    def test_tuple_gives_pairs(self):
        assert convlab.same_padding((3, 4), (1, 2)) == ((1, 1), (3, 3))
        assert convlab.same_padding((2, 5)) == ((0, 1), (2, 2))

    @pytest.mark.filterwarnings("ignore:Using padding='same'")
    @pytest.mark.parametrize("kernel", range(1, 7))
    @pytest.mark.parametrize("dilation", [1, 2, 3])
    def test_placement_matches_torch_same(self, kernel, dilation, rng):
        """Padding x by same_padding then a valid conv equals torch's padding='same'."""
        torch = pytest.importorskip("torch")
        F = torch.nn.functional
        x = torch.from_numpy(rng.normal(size=(1, 1, 9)))
        w = torch.from_numpy(rng.normal(size=(1, 1, kernel)))
        expected = F.conv1d(x, w, padding="same", dilation=dilation)
        left, right = convlab.same_padding(kernel, dilation)
        got = F.conv1d(F.pad(x, (left, right)), w, dilation=dilation)
        assert expected.shape[-1] == 9 == convlab.output_size(9, kernel, padding="same", dilation=dilation)
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)

    @pytest.mark.filterwarnings("ignore:Using padding='same'")
    @pytest.mark.parametrize("kernel", [1, 2, 3, 4, 5])
    @pytest.mark.parametrize("dilation", [1, 2])
    def test_conv1d_same_matches_torch(self, xp, kernel, dilation, rng):
        torch = pytest.importorskip("torch")
        x = rng.normal(size=(2, 3, 8))
        w = rng.normal(size=(4, 3, kernel))
        expected = torch.nn.functional.conv1d(
            torch.from_numpy(x), torch.from_numpy(w), padding="same", dilation=dilation
        ).numpy()
        y = convlab.conv1d(xp.asarray(x), xp.asarray(w), padding="same", dilation=dilation)
        assert xp.is_native(y)
        np.testing.assert_allclose(xp.to_numpy(y), expected, rtol=1e-10, atol=1e-10)


class TestShapeErrors:
    def test_kernel_larger_than_padded_input(self):
        with pytest.raises(ValueError, match="kernel_size"):
            convlab.output_size(4, 6, padding=0)
        with pytest.raises(ValueError, match="kernel_size"):
            convlab.output_size(4, 3, dilation=3)

    def test_kernel_fits_exactly(self):
        assert convlab.output_size(4, 6, padding=1) == 1

    @pytest.mark.parametrize("name", ["stride", "dilation"])
    def test_zero(self, name):
        with pytest.raises(ValueError, match=name):
            convlab.output_size(10, 3, **{name: 0})

    @pytest.mark.parametrize("name", ["stride", "dilation"])
    def test_bool(self, name):
        with pytest.raises(TypeError, match=name):
            convlab.output_size(10, 3, **{name: True})

    def test_negative_padding(self):
        with pytest.raises(ValueError, match="padding"):
            convlab.output_size(10, 3, padding=-1)

    def test_float_kernel(self):
        with pytest.raises(TypeError, match="kernel_size"):
            convlab.output_size(10, 2.5)

    @pytest.mark.parametrize("name, value", [("kernel_size", (3, 3, 3)), ("stride", (1,)), ("padding", (1, 1, 1)),
                                             ("dilation", (1, 2, 3))])
    def test_wrong_tuple_length(self, name, value):
        kwargs = {"kernel_size": (3, 3)}
        kwargs[name] = value
        with pytest.raises(ValueError, match=name):
            convlab.output_size((8, 8), **kwargs)

    def test_same_with_stride_2(self):
        with pytest.raises(ValueError, match="same"):
            convlab.output_size(10, 3, stride=2, padding="same")

    def test_unknown_padding_string(self):
        with pytest.raises(ValueError, match="padding"):
            convlab.output_size(10, 3, padding="full")

    def test_same_padding_rejects_zero_kernel(self):
        with pytest.raises(ValueError, match="kernel_size"):
            convlab.same_padding(0)
