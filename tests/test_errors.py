"""Every bad argument raises ValueError or TypeError, and the message names the parameter."""

from __future__ import annotations

import numpy as np
import pytest

import convlab

X1 = np.zeros((1, 2, 5))
W1 = np.zeros((3, 2, 3))
B1 = np.zeros(3)
X2 = np.zeros((1, 2, 5, 5))
W2 = np.zeros((3, 2, 3, 3))
WT1 = np.zeros((2, 3, 3))  # transposed layout (C_in, C_out/groups, k)

LAYERS = {
    "conv1d": (convlab.conv1d, X1, W1),
    "conv2d": (convlab.conv2d, X2, W2),
    "conv3d": (convlab.conv3d, np.zeros((1, 2, 4, 4, 4)), np.zeros((3, 2, 2, 2, 2))),
}


def _bad_layer_cases():
    """(id, exception, match, x, w, keyword arguments) for conv1d."""
    return [
        ("x-1d", ValueError, r"\bx\b.*3-D", np.zeros(5), W1, {}),
        ("x-4d", ValueError, r"\bx\b.*3-D", np.zeros((1, 1, 2, 5)), W1, {}),
        ("w-2d", ValueError, r"\bw\b.*3-D", X1, np.zeros((3, 2)), {}),
        ("w-4d", ValueError, r"\bw\b.*3-D", X1, np.zeros((3, 2, 3, 1)), {}),
        ("b-2d", ValueError, r"\bb\b.*shape", X1, W1, dict(b=np.zeros((3, 1)))),
        ("b-wrong-length", ValueError, r"\bb\b.*shape", X1, W1, dict(b=np.zeros(4))),
        ("c_in-mismatch", ValueError, r"C_in", X1, np.zeros((3, 1, 3)), {}),
        ("c_in-mismatch-groups", ValueError, r"C_in", np.zeros((1, 4, 5)), np.zeros((4, 1, 3)), dict(groups=2)),
        ("c_in-not-divisible", ValueError, r"groups", np.zeros((1, 3, 5)), np.zeros((4, 1, 3)), dict(groups=2)),
        ("c_out-not-divisible", ValueError, r"groups", np.zeros((1, 4, 5)), np.zeros((3, 2, 3)), dict(groups=2)),
        ("groups-0", ValueError, r"groups", X1, W1, dict(groups=0)),
        ("groups-float", TypeError, r"groups", X1, W1, dict(groups=1.0)),
        ("groups-bool", TypeError, r"groups", X1, W1, dict(groups=True)),
        ("stride-0", ValueError, r"stride", X1, W1, dict(stride=0)),
        ("stride-negative", ValueError, r"stride", X1, W1, dict(stride=-1)),
        ("stride-float", TypeError, r"stride", X1, W1, dict(stride=1.5)),
        ("stride-whole-float", TypeError, r"stride", X1, W1, dict(stride=2.0)),
        ("stride-bool", TypeError, r"stride", X1, W1, dict(stride=True)),
        ("stride-str", TypeError, r"stride", X1, W1, dict(stride="2")),
        ("stride-tuple-length", ValueError, r"stride", X1, W1, dict(stride=(1, 1, 1))),
        ("dilation-0", ValueError, r"dilation", X1, W1, dict(dilation=0)),
        ("dilation-float", TypeError, r"dilation", X1, W1, dict(dilation=2.0)),
        ("dilation-bool", TypeError, r"dilation", X1, W1, dict(dilation=False)),
        ("padding-negative", ValueError, r"padding", X1, W1, dict(padding=-1)),
        ("padding-negative-pair", ValueError, r"padding", X1, W1, dict(padding=((1, -1),))),
        ("padding-float", TypeError, r"padding", X1, W1, dict(padding=1.5)),
        ("padding-bool", TypeError, r"padding", X1, W1, dict(padding=True)),
        ("padding-tuple-length", ValueError, r"padding", X1, W1, dict(padding=(1, 1, 1))),
        ("padding-triple", ValueError, r"padding", X1, W1, dict(padding=((1, 2, 3),))),
        ("padding-unknown-string", ValueError, r"padding", X1, W1, dict(padding="full")),
        ("padding-same-stride2", ValueError, r"padding='same'.*stride", X1, W1, dict(padding="same", stride=2)),
        ("padding_mode-unknown", ValueError, r"padding_mode", X1, W1, dict(padding=1, padding_mode="foo")),
        ("padding_mode-none", ValueError, r"padding_mode", X1, W1, dict(padding_mode=None)),
        ("padding_mode-edge-hint", ValueError, r"padding_mode='edge'.*'replicate'", X1, W1, dict(padding_mode="edge")),
        ("padding_mode-wrap-hint", ValueError, r"padding_mode='wrap'.*'circular'", X1, W1, dict(padding_mode="wrap")),
        ("kernel-too-long", ValueError, r"kernel", X1, np.zeros((3, 2, 6)), {}),
        ("dilated-kernel-too-long", ValueError, r"kernel.*dilation", X1, W1, dict(dilation=3)),
        ("kernel-too-long-strided", ValueError, r"kernel", X1, np.zeros((3, 2, 8)), dict(padding=1, stride=2)),
        ("reflect-pad-equals-length", ValueError, r"padding.*reflect", X1, W1, dict(padding=5, padding_mode="reflect")),
        ("reflect-right-pad-too-big", ValueError, r"padding.*reflect", X1, W1, dict(padding=((0, 6),), padding_mode="reflect")),
        ("circular-pad-too-big", ValueError, r"padding.*circular", X1, W1, dict(padding=6, padding_mode="circular")),
        ("symmetric-pad-too-big", ValueError, r"padding.*symmetric", X1, W1, dict(padding=6, padding_mode="symmetric")),
        ("x-empty-length", ValueError, r"\bx\b.*empty", np.zeros((1, 2, 0)), W1, {}),
        ("w-empty", ValueError, r"\bw\b.*empty", X1, np.zeros((0, 2, 3)), {}),
        ("complex-x", TypeError, r"\bx\b.*complex", X1.astype(complex), W1, {}),
        ("complex-w", TypeError, r"\bw\b.*complex", X1, W1.astype(complex), {}),
        ("complex-b", TypeError, r"\bb\b.*complex", X1, W1, dict(b=B1.astype(complex))),
        ("x-string", TypeError, r"\bx\b", "abc", W1, {}),
    ]


@pytest.mark.parametrize(
    "exc, match, x, w, kw", [pytest.param(*c[1:], id=c[0]) for c in _bad_layer_cases()]
)
def test_conv1d_rejects(exc, match, x, w, kw):
    with pytest.raises(exc, match=match):
        convlab.conv1d(x, w, **kw)


@pytest.mark.parametrize(
    "exc, match, x, w, kw", [pytest.param(*c[1:], id=c[0]) for c in _bad_layer_cases()]
)
def test_conv1d_backward_rejects_the_same(exc, match, x, w, kw):
    """The backward validates its arguments exactly as the forward does."""
    length = 5 if kw.get("padding") == 1 else 3  # the output length where the shapes are valid (NaN cases)
    grad_out = np.zeros((1, 3, length))
    with pytest.raises(exc, match=match):
        convlab.conv1d_backward(grad_out, x, w, **kw)


@pytest.mark.parametrize("name", ["conv2d", "conv3d"])
@pytest.mark.parametrize(
    "exc, match, kw",
    [
        (ValueError, r"padding", dict(padding=(1, 1, 1, 1))),
        (ValueError, r"padding", dict(padding=((1, 1),))),
        (ValueError, r"stride", dict(stride=(1, 1, 1, 1))),
        (ValueError, r"dilation", dict(dilation=(1, 0, 1)[: 2])),
        (ValueError, r"padding='same'.*stride", dict(padding="same", stride=(1, 2, 1)[:2])),
        (ValueError, r"padding", dict(padding=((0, -1), (0, 0), (0, 0))[:2])),
        (ValueError, r"padding_mode", dict(padding_mode="reflection")),
    ],
)
def test_nd_rejects(name, exc, match, kw):
    fn, x, w = LAYERS[name]
    nd = x.ndim - 2
    kw = dict(kw)
    for key, value in list(kw.items()):  # stretch the 2-D test values to 3-D where they are per-axis
        if nd == 3 and isinstance(value, tuple) and len(value) == 2:
            kw[key] = value + (value[-1],)
    with pytest.raises(exc, match=match):
        fn(x, w, **kw)


@pytest.mark.parametrize("name", ["conv1d", "conv2d", "conv3d"])
def test_wrong_ndim_of_x_for_each_layer(name):
    fn, x, w = LAYERS[name]
    with pytest.raises(ValueError, match=r"\bx\b"):
        fn(x[0, 0], w)  # (C, *spatial) is an unbatched sample; one axis fewer is an error
    with pytest.raises(ValueError, match=r"\bw\b"):
        fn(x, w[0])


def test_reflect_on_one_sample_axis():
    """A length-1 axis cannot be reflected at all, even by 1."""
    with pytest.raises(ValueError, match=r"padding.*reflect"):
        convlab.conv2d(np.zeros((1, 1, 1, 5)), np.zeros((1, 1, 1, 1)), padding=1, padding_mode="reflect")


# --------------------------------------------------------------------------- mixed libraries
def _strict(a):
    xps = pytest.importorskip("array_api_strict")
    return xps.asarray(a)


@pytest.mark.parametrize("which", ["x", "w", "b"])
def test_mixing_numpy_and_strict_is_a_type_error(which):
    args = {"x": X1, "w": W1, "b": B1}
    args[which] = _strict(args[which])
    with pytest.raises(TypeError, match=r"librar"):
        convlab.conv1d(args["x"], args["w"], args["b"])


def test_mixing_in_backward_is_a_type_error():
    with pytest.raises(TypeError, match=r"librar"):
        convlab.conv1d_backward(_strict(np.zeros((1, 3, 3))), X1, W1)
    with pytest.raises(TypeError, match=r"librar"):
        convlab.conv1d_backward(np.zeros((1, 3, 3)), _strict(X1), _strict(W1))


def test_mixing_in_transpose_is_a_type_error():
    with pytest.raises(TypeError, match=r"librar"):
        convlab.conv_transpose1d(_strict(X1), WT1)


def test_mixing_numpy_and_torch_is_a_type_error():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"librar"):
        convlab.conv1d(torch.zeros(1, 2, 5, dtype=torch.float64), W1)


# --------------------------------------------------------------------------- backward
@pytest.mark.parametrize(
    "grad_out",
    [np.zeros((1, 3, 4)), np.zeros((1, 3)), np.zeros((2, 3, 3)), np.zeros((1, 2, 3)), np.zeros((1, 3, 3, 1))],
    ids=["length", "ndim-2", "batch", "channels", "ndim-4"],
)
def test_backward_rejects_grad_out_of_wrong_shape(grad_out):
    with pytest.raises(ValueError, match=r"grad_out"):
        convlab.conv1d_backward(grad_out, X1, W1, B1)


def test_backward_rejects_complex_grad_out():
    with pytest.raises(TypeError, match=r"grad_out.*complex"):
        convlab.conv1d_backward(np.zeros((1, 3, 3), dtype=complex), X1, W1)


def test_backward_2d_rejects_grad_out_of_wrong_shape():
    with pytest.raises(ValueError, match=r"grad_out"):
        convlab.conv2d_backward(np.zeros((1, 3, 3, 2)), X2, W2, stride=1)


# --------------------------------------------------------------------------- transpose
@pytest.mark.parametrize(
    "exc, match, x, w, kw",
    [
        pytest.param(ValueError, r"output_padding", X1, WT1, dict(stride=2, output_padding=2), id="op-equals-stride"),
        pytest.param(ValueError, r"output_padding", X1, WT1, dict(output_padding=1), id="op-stride1"),
        pytest.param(
            ValueError, r"output_padding", X1, WT1, dict(stride=1, dilation=2, output_padding=2), id="op-equals-dil"
        ),
        pytest.param(ValueError, r"output_padding", X1, WT1, dict(output_padding=-1), id="op-negative"),
        pytest.param(TypeError, r"output_padding", X1, WT1, dict(output_padding=True), id="op-bool"),
        pytest.param(ValueError, r"\bb\b", X1, WT1, dict(b=np.zeros(2)), id="b-shape"),
        pytest.param(ValueError, r"\bw\b|C_in", X1, np.zeros((3, 3, 3)), {}, id="w-c_in"),
        pytest.param(ValueError, r"\bw\b", X1, np.zeros((2, 3)), {}, id="w-ndim"),
        pytest.param(ValueError, r"\bx\b", np.zeros(5), WT1, {}, id="x-ndim"),
        pytest.param(ValueError, r"groups", np.zeros((1, 3, 5)), np.zeros((3, 1, 3)), dict(groups=2), id="groups"),
        pytest.param(ValueError, r"padding", X1, WT1, dict(padding=-1), id="padding-negative"),
        pytest.param(ValueError, r"padding", X1, WT1, dict(padding=5), id="padding-eats-output"),
        pytest.param(TypeError, r"padding", X1, WT1, dict(padding="same"), id="padding-same"),
        pytest.param(ValueError, r"stride", X1, WT1, dict(stride=0), id="stride-0"),
        pytest.param(ValueError, r"dilation", X1, WT1, dict(dilation=0), id="dilation-0"),
        pytest.param(ValueError, r"\bx\b.*empty", np.zeros((1, 2, 0)), WT1, {}, id="x-empty"),
        pytest.param(TypeError, r"\bx\b.*complex", X1.astype(complex), WT1, {}, id="complex"),
    ],
)
def test_conv_transpose1d_rejects(exc, match, x, w, kw):
    with pytest.raises(exc, match=match):
        convlab.conv_transpose1d(x, w, **kw)


def test_conv_transpose2d_output_padding_per_axis():
    with pytest.raises(ValueError, match=r"output_padding"):
        convlab.conv_transpose2d(X2, np.zeros((2, 3, 3, 3)), stride=(2, 1), output_padding=(1, 1))


# --------------------------------------------------------------------------- output_size / same_padding
@pytest.mark.parametrize(
    "exc, match, args, kw",
    [
        pytest.param(ValueError, r"kernel", (5, 7), {}, id="kernel-too-long"),
        pytest.param(ValueError, r"kernel.*dilation", (5, 3), dict(dilation=3), id="dilated-too-long"),
        pytest.param(ValueError, r"stride", (5, 3), dict(stride=0), id="stride-0"),
        pytest.param(TypeError, r"stride", (5, 3), dict(stride=1.5), id="stride-float"),
        pytest.param(ValueError, r"padding", (5, 3), dict(padding=-1), id="padding-negative"),
        pytest.param(ValueError, r"padding", (5, 3), dict(padding="full"), id="padding-string"),
        pytest.param(ValueError, r"padding='same'.*stride", (5, 3), dict(padding="same", stride=2), id="same-stride"),
        pytest.param(ValueError, r"dilation", (5, 3), dict(dilation=0), id="dilation-0"),
        pytest.param(ValueError, r"input_size", (0, 3), {}, id="input-0"),
        pytest.param(ValueError, r"kernel_size", (5, 0), {}, id="kernel-0"),
        pytest.param(TypeError, r"kernel_size", (5, 2.5), {}, id="kernel-float"),
        pytest.param(ValueError, r"kernel_size", ((5, 5), (3,)), {}, id="kernel-length"),
        pytest.param(ValueError, r"stride", ((5, 5), (3, 3)), dict(stride=(1, 1, 1)), id="stride-length"),
        pytest.param(ValueError, r"padding", ((5, 5), (3, 3)), dict(padding=(1, 1, 1)), id="padding-length"),
    ],
)
def test_output_size_rejects(exc, match, args, kw):
    with pytest.raises(exc, match=match):
        convlab.output_size(*args, **kw)


@pytest.mark.parametrize(
    "exc, match, args",
    [
        pytest.param(ValueError, r"kernel_size", (0,), id="kernel-0"),
        pytest.param(TypeError, r"kernel_size", (3.0,), id="kernel-float"),
        pytest.param(TypeError, r"kernel_size", (True,), id="kernel-bool"),
        pytest.param(ValueError, r"dilation", (3, 0), id="dilation-0"),
        pytest.param(ValueError, r"dilation", ((3, 3), (1, 1, 1)), id="dilation-length"),
    ],
)
def test_same_padding_rejects(exc, match, args):
    with pytest.raises(exc, match=match):
        convlab.same_padding(*args)


def test_messages_name_the_value():
    """The contract's example message: the parameter, its value and what was expected."""
    with pytest.raises(ValueError, match=r"stride=0.*positive int"):
        convlab.conv1d(X1, W1, stride=0)
    with pytest.raises(ValueError, match=r"padding='same' is not supported with stride=.*2"):
        convlab.conv1d(X1, W1, padding="same", stride=2)
