"""Bad and edge input for every public name of convlab.nn and convlab.symbolic.

Each kind of input is classified before it is run, and the test holds the
library to that class:

* ``Named(exc, *fragments)``: a TypeError/ValueError/RuntimeError whose message
  contains the parameter's name and the offending value (for an array, its
  shape or dtype);
* ``Same(reference)``: a result equal to PyTorch's or NumPy's on the same input,
  NaN and inf in the same positions (``assert_allclose`` with ``equal_nan``
  checks the positions), computed independently of convlab.

The table at the top covers the kinds one by one; the Hypothesis tests at the
end draw NaN/inf/empty/unbatched inputs at random against the same references.
``test_every_public_name_is_fuzzed`` fails when a public name has no case.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convlab
from convlab import nn
from convlab import symbolic as sym

torch = pytest.importorskip("torch")

# NumPy warns about inf - inf on the way to the NaN that PyTorch also returns; the values are checked.
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered", "ignore:overflow encountered")
F = torch.nn.functional

NAN, INF = float("nan"), float("inf")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- expectations


@dataclasses.dataclass
class Named:
    """An error of type ``exc`` whose message contains every fragment (parameter name, value)."""

    exc: type | tuple
    fragments: tuple

    def __init__(self, exc, *fragments):
        self.exc, self.fragments = exc, fragments


@dataclasses.dataclass
class Same:
    """A result equal to ``reference()`` (a NumPy/PyTorch computation on the same input)."""

    reference: Callable


@dataclasses.dataclass
class Case:
    kind: str  # the id
    cls: str  # the class of input: type, value, shape, order, nonfinite, empty, unbatched, dtype, size
    names: tuple  # the public names it exercises
    run: Callable
    expect: object
    xfail: str = ""  # a known gap left to another file, with the reason


def as_numpy(a):
    """A result (NumPy, torch, SymPy array, scalar, or a tuple of them) as NumPy arrays for comparison."""
    if isinstance(a, (tuple, list)) and not isinstance(a, sp.NDimArray):
        return tuple(as_numpy(v) for v in a)
    if isinstance(a, torch.Tensor):
        return a.detach().numpy()
    if isinstance(a, sp.NDimArray):
        return np.array([float(v) for v in sp.flatten(a.tolist())]).reshape(tuple(a.shape))
    if isinstance(a, sp.Basic):
        return np.array(float(a))
    return np.asarray(a)


def check(case):
    if isinstance(case.expect, Named):
        with pytest.raises(case.expect.exc) as info:
            case.run()
        message = str(info.value)
        for fragment in case.expect.fragments:
            assert fragment in message, f"{fragment!r} not in the message {message!r}"
        return
    got, expected = as_numpy(case.run()), as_numpy(case.expect.reference())
    if not isinstance(got, tuple):
        got, expected = (got,), (expected,)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape, (g.shape, e.shape)
        with np.errstate(invalid="ignore"):
            np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12, equal_nan=True)


# --------------------------------------------------------------------------- nn helpers


def rng():
    return np.random.default_rng(12)


def torch_twin(layer):
    """The torch.nn layer with ``layer``'s configuration and weights, in float64."""
    if isinstance(layer, (nn.Conv1d, nn.Conv2d)):
        cls = torch.nn.Conv1d if isinstance(layer, nn.Conv1d) else torch.nn.Conv2d
        twin = cls(layer.in_channels, layer.out_channels, layer.kernel_size, stride=layer.stride,
                   padding=layer.padding, dilation=layer.dilation, groups=layer.groups,
                   bias=layer.bias is not None, padding_mode=layer.padding_mode, dtype=torch.float64)
    else:
        twin = torch.nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None,
                               dtype=torch.float64)
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(layer.weight.value))
        if layer.bias is not None:
            twin.bias.copy_(torch.from_numpy(layer.bias.value))
    return twin


def ours(layer, x, g=None):
    """``(y, grad_x, *parameter grads)`` of a convlab layer, ``g`` defaulting to ones."""
    y = layer(x)
    layer.zero_grad()
    grad_x = layer.backward(np.ones(np.shape(y)) if g is None else g)
    return (y, grad_x, *[p.grad for p in layer.parameters()])


def theirs(module, x, g=None):
    """The same from a torch module (or function) on the same input."""
    xt = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    y = module(xt)
    y.backward(torch.ones_like(y) if g is None else torch.from_numpy(np.asarray(g, dtype=np.float64)))
    params = list(module.parameters()) if isinstance(module, torch.nn.Module) else []
    return (y, xt.grad, *[p.grad for p in params])


def layer_case(kind, cls, make, x, g=None, torch_make=None):
    """A Same case: ``make()`` on ``x`` against its torch twin (or ``torch_make()``)."""
    holder = {}

    def run():
        holder["layer"] = make()
        return ours(holder["layer"], x, g)

    def reference():
        module = torch_make() if torch_make else torch_twin(holder["layer"])
        return theirs(module, x, g)

    name = type(make()).__name__
    return Case(kind, cls, (name,), run, Same(reference))


def loss_case(kind, cls, loss, torch_loss, pred, target, name, as_lists=False):
    """A Same case: the loss and its gradient against torch's (NumPy arrays unless ``as_lists``)."""

    def run():
        f = loss()
        if as_lists:
            return f(pred, target), f.backward()
        return f(np.asarray(pred), np.asarray(target)), f.backward()

    def reference():
        p = torch.tensor(np.asarray(pred, dtype=np.float64), requires_grad=True)
        t = torch.tensor(np.asarray(target)) if name == "CrossEntropyLoss" else torch.tensor(
            np.asarray(target, dtype=np.float64))
        value = torch_loss()(p, t)
        value.backward()
        return value, p.grad

    return Case(kind, cls, (name,), run, Same(reference))


def after_forward(make, x):
    layer = make()
    layer(x)
    return layer


def conv1d():
    return nn.Conv1d(2, 3, 3, rng=rng(), padding=1)


def conv2d():
    return nn.Conv2d(2, 3, (2, 3), rng=rng())


def linear():
    return nn.Linear(4, 2, rng=rng())


def small_model():
    return nn.Sequential(nn.Conv1d(1, 2, 3, rng=rng()), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4, 1, rng=rng()))


X1 = rng().standard_normal((2, 2, 7))
X2 = rng().standard_normal((2, 2, 5, 6))
SPECIAL = np.array([NAN, -1.0, 0.0, -0.0, 2.0, INF, -INF, 3.0])


def spiked(x, *entries):
    x = x.copy()
    for idx, v in entries:
        x[idx] = v
    return x


def tied_ours():
    """Two Linear layers sharing one weight Parameter: the gradient is the sum of both uses."""
    a, b = nn.Linear(3, 3, rng=rng()), nn.Linear(3, 3, rng=rng())
    b.weight = a.weight
    model = nn.Sequential(a, nn.ReLU(), b)
    x = rng().standard_normal((2, 3))
    model(x)
    model.backward(np.ones((2, 3)))
    return len(model.parameters()), a.weight.grad


def tied_torch():
    ours = nn.Linear(3, 3, rng=rng())
    a = torch_twin(ours)
    b = torch.nn.Linear(3, 3, dtype=torch.float64)
    with torch.no_grad():
        b.bias.copy_(torch.from_numpy(nn.Linear(3, 3, rng=rng()).bias.value))
    b.weight = a.weight
    model = torch.nn.Sequential(a, torch.nn.ReLU(), b)
    model(torch.from_numpy(rng().standard_normal((2, 3)))).sum().backward()
    return len(list(model.parameters())), a.weight.grad


def stepped_sgd(grad):
    p = nn.Parameter(np.zeros(3))
    p.grad = grad
    nn.SGD([p], lr=0.1).step()


NN_CASES = [
    # ---- not an array where an array is expected
    Case("conv1d-x-none", "type", ("Conv1d",), lambda: conv1d()(None), Named(TypeError, "x=None")),
    Case("conv2d-x-str", "type", ("Conv2d",), lambda: conv2d()("abc"), Named(TypeError, "x='abc'")),
    Case("linear-x-dict", "type", ("Linear",), lambda: linear()({"a": 1}), Named(TypeError, "x={'a': 1}")),
    Case("relu-x-none", "type", ("ReLU",), lambda: nn.ReLU()(None), Named(TypeError, "x=None")),
    Case("flatten-x-none", "type", ("Flatten",), lambda: nn.Flatten()(None), Named(TypeError, "x=None")),
    Case("module-backward-none", "type", ("Module", "Sequential"),
         lambda: after_forward(small_model, np.ones((2, 1, 6))).backward(None), Named(TypeError, "grad_out=None")),
    Case("conv1d-backward-strings", "type", ("Conv1d",),
         lambda: after_forward(conv1d, X1).backward([["a"]]), Named(TypeError, "grad_out", "<U1")),
    Case("backward-other-library", "type", ("ReLU",),
         lambda: after_forward(nn.ReLU, np.ones(3)).backward(torch.ones(3)),
         Named(TypeError, "grad_out of type torch.Tensor", "expected a numpy array")),
    Case("model-not-moved", "type", ("Linear", "Module"), lambda: linear()(torch.ones(1, 4, dtype=torch.float64)),
         Named(TypeError, "x of type torch.Tensor", "numpy array", "model.to(xp)")),
    Case("mse-target-none", "type", ("MSELoss",), lambda: nn.MSELoss()([1.0], None), Named(TypeError, "target=None")),
    Case("ce-logits-str", "type", ("CrossEntropyLoss",), lambda: nn.CrossEntropyLoss()("z", [0]),
         Named(TypeError, "logits='z'")),
    Case("ce-labels-none", "type", ("CrossEntropyLoss",), lambda: nn.CrossEntropyLoss()([[1.0, 2.0]], None),
         Named(TypeError, "labels=None")),
    Case("ce-labels-float", "dtype", ("CrossEntropyLoss",),
         lambda: nn.CrossEntropyLoss()(np.zeros((2, 3)), np.zeros(2)), Named(TypeError, "labels of dtype float64")),
    Case("sgd-given-the-model", "type", ("SGD",), lambda: nn.SGD(linear(), lr=0.1),
         Named(TypeError, "parameters=Linear(4, 2, bias=True)", "model.parameters()")),
    Case("sgd-none", "type", ("SGD",), lambda: nn.SGD(None, lr=0.1), Named(TypeError, "parameters=None")),
    Case("sgd-one-parameter", "type", ("SGD", "Parameter"), lambda: nn.SGD(nn.Parameter(np.zeros(2)), lr=0.1),
         Named(TypeError, "parameters=Parameter(shape=(2,)")),
    Case("sequential-non-module", "type", ("Sequential",), lambda: nn.Sequential(abs),
         Named(TypeError, "layers[0]=<built-in function abs>")),
    Case("parameter-none", "type", ("Parameter",), lambda: nn.Parameter(None), Named(TypeError, "value=None")),
    Case("module-to-none", "type", ("Module",), lambda: linear().to(None), Named(TypeError, "xp=None")),
    Case("sgd-grad-not-array", "type", ("SGD",), lambda: stepped_sgd("abc"),
         Named(TypeError, "parameters[0].grad='abc'")),
    # ---- invalid arguments
    Case("conv-kernel-0", "value", ("Conv1d",), lambda: nn.Conv1d(1, 1, 0, rng=rng()), Named(ValueError, "kernel_size=0")),
    Case("conv-mode-list", "value", ("Conv2d",), lambda: nn.Conv2d(1, 1, 3, rng=rng(), padding_mode=["zeros"]),
         Named(ValueError, "padding_mode=['zeros']")),
    Case("conv-bias-int", "value", ("Conv1d",), lambda: nn.Conv1d(1, 1, 3, rng=rng(), bias=1), Named(TypeError, "bias=1")),
    Case("linear-features-float", "value", ("Linear",), lambda: nn.Linear(2.5, 1, rng=rng()),
         Named(TypeError, "in_features=2.5")),
    Case("sgd-lr-nan", "value", ("SGD",), lambda: nn.SGD(linear().parameters(), lr=NAN), Named(ValueError, "lr=nan")),
    Case("sgd-momentum-str", "value", ("SGD",), lambda: nn.SGD(linear().parameters(), lr=0.1, momentum="0.9"),
         Named(TypeError, "momentum='0.9'")),
    Case("maxpool-kernel-0", "value", ("MaxPool1d",), lambda: nn.MaxPool1d(0), Named(ValueError, "kernel_size=0")),
    Case("maxpool2d-ceil-str", "value", ("MaxPool2d",), lambda: nn.MaxPool2d(2, ceil_mode="yes"),
         Named(TypeError, "ceil_mode='yes'")),
    Case("avgpool-stride-0", "value", ("AvgPool1d",), lambda: nn.AvgPool1d(2, stride=0), Named(ValueError, "stride=0")),
    Case("avgpool2d-padding-neg", "value", ("AvgPool2d",), lambda: nn.AvgPool2d(2, padding=-1),
         Named(ValueError, "padding=-1")),
    Case("adaptive-size-str", "value", ("AdaptiveAvgPool1d",), lambda: nn.AdaptiveAvgPool1d("a"),
         Named(TypeError, "output_size='a'")),
    Case("adaptive2d-size-0", "value", ("AdaptiveAvgPool2d",), lambda: nn.AdaptiveAvgPool2d(0),
         Named(ValueError, "output_size=0")),
    Case("kaiming-rng-none", "value", ("kaiming_uniform",), lambda: nn.kaiming_uniform(None, (2, 3)),
         Named(TypeError, "rng=None")),
    # ---- shapes that do not fit
    Case("conv1d-channels", "shape", ("Conv1d",), lambda: conv1d()(np.zeros((1, 3, 7))),
         Named(ValueError, "in_channels=2", "got 3 channels")),
    Case("conv1d-one-axis", "shape", ("Conv1d",), lambda: conv1d()(np.zeros(5)), Named(ValueError, "x of shape (5,)")),
    Case("conv1d-backward-shape", "shape", ("Conv1d",), lambda: after_forward(conv1d, X1).backward(np.ones((2, 3, 6))),
         Named(ValueError, "grad_out of shape (2, 3, 6)", "(2, 3, 7)")),
    Case("linear-features", "shape", ("Linear",), lambda: linear()(np.zeros((2, 5))),
         Named(ValueError, "in_features=4", "x of shape (2, 5)")),
    Case("linear-0d", "shape", ("Linear",), lambda: nn.Linear(1, 1, rng=rng())(np.float64(1.0)),
         Named(ValueError, "x of shape ()")),
    Case("mse-shapes", "shape", ("MSELoss",), lambda: nn.MSELoss()(np.ones((2, 1)), np.ones(2)),
         Named(ValueError, "pred of shape (2, 1)", "target of shape (2,)")),
    Case("ce-label-range", "shape", ("CrossEntropyLoss",),
         lambda: nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 5])), Named(ValueError, "labels[1]=5")),
    Case("ce-no-classes", "shape", ("CrossEntropyLoss",),
         lambda: nn.CrossEntropyLoss()(np.zeros((2, 0)), np.array([0, 0])), Named(ValueError, "logits of shape (2, 0)")),
    Case("flatten-1d", "shape", ("Flatten",), lambda: nn.Flatten()(np.ones(3)), Named(ValueError, "x of shape (3,)")),
    Case("flatten-backward-shape", "shape", ("Flatten",),
         lambda: after_forward(nn.Flatten, np.ones((2, 3))).backward(np.ones((3, 2))),
         Named(ValueError, "grad_out of shape (3, 2)")),
    Case("accumulate-shape", "shape", ("Parameter",), lambda: nn.Parameter(np.zeros(3)).accumulate(np.ones(4)),
         Named(ValueError, "grad of shape (4,)", "(3,)")),
    Case("sgd-grad-shape", "shape", ("SGD",), lambda: stepped_sgd(np.ones(1)),
         Named(ValueError, "parameters[0].grad of shape (1,)")),
    Case("sgd-duplicate", "shape", ("SGD",), lambda: nn.SGD([nn.Parameter(np.zeros(1))] * 2, lr=0.1),
         Named(ValueError, "parameters[1]=", "parameters[0] again")),
    Case("avgpool-backward-shape", "shape", ("AvgPool1d",),
         lambda: after_forward(lambda: nn.AvgPool1d(2), X1).backward(np.ones(3)),
         Named(ValueError, "grad_out of shape (3,)")),
    # ---- backward before forward
    Case("relu-backward-first", "order", ("ReLU",), lambda: nn.ReLU().backward(np.ones(1)),
         Named(RuntimeError, "ReLU.backward()", "before forward()")),
    Case("ce-backward-first", "order", ("CrossEntropyLoss",), lambda: nn.CrossEntropyLoss().backward(),
         Named(RuntimeError, "CrossEntropyLoss.backward()", "before forward()")),
    Case("maxpool2d-backward-first", "order", ("MaxPool2d",), lambda: nn.MaxPool2d(2).backward(np.ones((1, 1, 1, 1))),
         Named(RuntimeError, "MaxPool2d.backward()", "before forward()")),
    # ---- NaN and inf: PyTorch's numbers, in PyTorch's positions
    layer_case("relu-nan-inf", "nonfinite", nn.ReLU, SPECIAL, g=np.arange(1.0, 9.0), torch_make=torch.nn.ReLU),
    loss_case("ce-masked-logit", "nonfinite", nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss,
              [[0.0, -INF, 1.0], [2.0, 1.0, -INF]], [0, 1], "CrossEntropyLoss"),
    loss_case("ce-target-masked", "nonfinite", nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss,
              [[0.0, -INF, 1.0]], [1], "CrossEntropyLoss"),
    loss_case("ce-plus-inf-and-nan", "nonfinite", nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss,
              [[0.0, INF, 1.0], [NAN, 0.0, 0.0], [1.0, 2.0, 3.0]], [1, 2, 0], "CrossEntropyLoss"),
    loss_case("mse-inf", "nonfinite", nn.MSELoss, torch.nn.MSELoss, [[INF, 1.0], [2.0, 3.0]], [[1.0, 1.0], [2.0, -INF]],
              "MSELoss"),
    layer_case("conv1d-nan-x", "nonfinite", conv1d, spiked(X1, ((0, 1, 3), NAN), ((1, 0, 0), INF))),
    layer_case("conv2d-inf-x", "nonfinite", conv2d, spiked(X2, ((1, 1, 2, 2), -INF))),
    layer_case("linear-nan-x", "nonfinite", linear, spiked(rng().standard_normal((3, 4)), ((1, 2), NAN))),
    layer_case("maxpool1d-nan", "nonfinite", lambda: nn.MaxPool1d(2), spiked(X1, ((0, 0, 1), NAN), ((1, 1, 4), INF)),
               torch_make=lambda: torch.nn.MaxPool1d(2)),
    layer_case("avgpool2d-inf", "nonfinite", lambda: nn.AvgPool2d(2), spiked(X2, ((0, 1, 1, 1), INF)),
               torch_make=lambda: torch.nn.AvgPool2d(2)),
    layer_case("adaptive1d-nan", "nonfinite", lambda: nn.AdaptiveAvgPool1d(3), spiked(X1, ((0, 0, 2), NAN)),
               torch_make=lambda: torch.nn.AdaptiveAvgPool1d(3)),
    # ---- empty batches
    layer_case("conv1d-empty-batch", "empty", conv1d, np.zeros((0, 2, 7))),
    layer_case("conv2d-empty-batch", "empty", conv2d, np.zeros((0, 2, 5, 6))),
    layer_case("linear-empty-batch", "empty", linear, np.zeros((0, 4))),
    layer_case("flatten-empty-batch", "empty", nn.Flatten, np.zeros((0, 3, 2)), torch_make=torch.nn.Flatten),
    loss_case("ce-empty-batch", "empty", nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss, np.zeros((0, 3)),
              np.zeros(0, dtype=np.int64), "CrossEntropyLoss"),
    loss_case("mse-empty", "empty", nn.MSELoss, torch.nn.MSELoss, np.zeros((0, 2)), np.zeros((0, 2)), "MSELoss"),
    layer_case("maxpool1d-empty-batch", "empty", lambda: nn.MaxPool1d(2), np.zeros((0, 2, 6)),
               torch_make=lambda: torch.nn.MaxPool1d(2)),
    layer_case("avgpool2d-empty-batch", "empty", lambda: nn.AvgPool2d(2), np.zeros((0, 2, 4, 6)),
               torch_make=lambda: torch.nn.AvgPool2d(2)),
    layer_case("adaptive2d-empty-batch", "empty", lambda: nn.AdaptiveAvgPool2d(2), np.zeros((0, 2, 4, 6)),
               torch_make=lambda: torch.nn.AdaptiveAvgPool2d(2)),
    layer_case("adaptive2d-inf", "nonfinite", lambda: nn.AdaptiveAvgPool2d((2, 3)),
               spiked(X2, ((0, 1, 1, 1), INF)), torch_make=lambda: torch.nn.AdaptiveAvgPool2d((2, 3))),
    # ---- one unbatched sample, as torch.nn accepts it
    layer_case("conv1d-unbatched", "unbatched", lambda: nn.Conv1d(2, 3, 3, rng=rng(), padding=2,
                                                                   padding_mode="circular"), X1[0]),
    layer_case("conv2d-unbatched", "unbatched", conv2d, X2[1]),
    loss_case("ce-unbatched", "unbatched", nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss, [0.5, -1.0, 2.0],
              np.array(2), "CrossEntropyLoss"),
    layer_case("maxpool1d-unbatched", "unbatched", lambda: nn.MaxPool1d(3, stride=2), X1[0],
               torch_make=lambda: torch.nn.MaxPool1d(3, stride=2)),
    # ---- dtypes and lists
    Case("relu-int-keeps-dtype", "dtype", ("ReLU",), lambda: nn.ReLU()(np.array([3, -2, 0])),
         Same(lambda: torch.relu(torch.tensor([3, -2, 0])))),
    Case("relu-bool", "dtype", ("ReLU",), lambda: nn.ReLU()(np.array([True, False])),
         Same(lambda: np.array([1.0, 0.0]))),  # torch refuses bool; convlab reads it as 0/1 in float64
    Case("conv1d-complex", "dtype", ("Conv1d",), lambda: conv1d()(X1.astype(complex)),
         Named(TypeError, "x", "complex128")),
    layer_case("linear-int-x", "dtype", linear, np.arange(8).reshape(2, 4)),
    loss_case("ce-int-logits", "dtype", nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss, np.array([[1, 2, 3]]),
              [2], "CrossEntropyLoss"),
    layer_case("conv1d-list-x", "dtype", conv1d, X1.tolist()),
    loss_case("mse-lists", "dtype", nn.MSELoss, torch.nn.MSELoss, [1.0, 2.0], [1.0, 4.0], "MSELoss", as_lists=True),
    loss_case("ce-lists", "dtype", nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss, [[1.0, 2.0, 0.5]], [1],
              "CrossEntropyLoss", as_lists=True),
    Case("sequential-same-module-twice", "value", ("Sequential",),
         lambda: (lambda relu: nn.Sequential(relu, nn.Flatten(), relu))(nn.ReLU()),
         Named(ValueError, "layers[2]=", "already in layers[0]")),
    Case("module-base-forward", "order", ("Module",), lambda: nn.Module()(np.ones(2)),
         Named(NotImplementedError, "Module.forward")),
    Case("tied-weights-like-torch", "value", ("Sequential", "Parameter", "Linear"), lambda: tied_ours(),
         Same(lambda: tied_torch())),
    Case("kaiming-shape-and-bound", "value", ("kaiming_uniform",),
         lambda: np.abs(nn.kaiming_uniform(rng(), (400, 3, 5))).max() <= 1 / np.sqrt(15),
         Same(lambda: np.array(True))),
]


# --------------------------------------------------------------------------- symbolic cases


def sym_numbers(a):
    return np.array([float(v) for v in sp.flatten(sp.Array(a).tolist())]).reshape(tuple(sp.Array(a).shape))


def t64(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


S6 = [NAN, 1.0, INF, -2.0, -INF, 0.5]
x_sym = sym.signal("x", 3)

SYM_CASES = [
    # ---- not a sequence of numbers
    Case("convolve-str", "type", ("convolve",), lambda: sym.convolve("abc", [1, 2]), Named(TypeError, "x='abc'")),
    Case("convolve-dict", "type", ("convolve",), lambda: sym.convolve({1: 2}, [1, 2]), Named(TypeError, "x={1: 2}")),
    Case("correlate-set", "type", ("correlate",), lambda: sym.correlate([1, 2], {3}), Named(TypeError, "w={3}")),
    Case("pad-none", "type", ("pad",), lambda: sym.pad(None, 1), Named(TypeError, "x=None")),
    Case("conv1d-str-entry", "type", ("conv1d",), lambda: sym.conv1d([["a", 1]], [[[1]]]), Named(TypeError, "x='a'")),
    Case("dilate-str", "type", ("dilate",), lambda: sym.dilate("ab", 2), Named(TypeError, "x='ab'")),
    Case("conv_transpose2d-w-str", "type", ("conv_transpose2d",), lambda: sym.conv_transpose2d([[[1]]], "w"),
         Named(TypeError, "w='w'")),
    Case("gradient-wrt-str", "type", ("gradient",), lambda: sym.gradient(x_sym[0] ** 2, "x"),
         Named(TypeError, "wrt='x'")),
    Case("gradient-expr-none", "type", ("gradient",), lambda: sym.gradient(None, x_sym), Named(TypeError, "expr=None")),
    Case("loss_dot-dict", "type", ("loss_dot",), lambda: sym.loss_dot({0: 1}, [1]), Named(TypeError, "y={0: 1}")),
    Case("equal-none", "type", ("equal",), lambda: sym.equal(None, [1]), Named(TypeError, "a=None")),
    Case("is_zero-dict", "type", ("is_zero",), lambda: sym.is_zero({0: 1}), Named(TypeError, "a={0: 1}")),
    Case("signal-name-int", "type", ("signal",), lambda: sym.signal(3, 2), Named(TypeError, "name=3")),
    Case("tensor-shape-str", "type", ("tensor",), lambda: sym.tensor("x", "ab"), Named(TypeError, "shape='ab'")),
    Case("upstream-shape-none", "type", ("upstream",), lambda: sym.upstream("g", None), Named(TypeError, "shape=None")),
    # ---- the numeric side's validation
    Case("pad-value-reflect", "value", ("pad",), lambda: sym.pad([1, 2, 3], 1, "reflect", value=5),
         Named(ValueError, "value=5", "mode='reflect'")),
    Case("pad-statlen-zeros", "value", ("pad",), lambda: sym.pad([1, 2, 3], 1, "zeros", stat_length=2),
         Named(ValueError, "stat_length=2", "mode='zeros'")),
    Case("pad-statlen-0", "value", ("pad",), lambda: sym.pad([1, 2, 3], 1, "mean", stat_length=0),
         Named(ValueError, "stat_length=0")),
    Case("pad-mode-list", "value", ("pad", "PAD_MODES"), lambda: sym.pad([1, 2], 1, ["zeros"]),
         Named(ValueError, "mode=['zeros']", "'circular'")),
    Case("pad-value-str", "value", ("pad",), lambda: sym.pad([1, 2], 1, "constant", value="a"),
         Named(TypeError, "value='a'")),
    Case("output_size-float", "value", ("output_size",), lambda: sym.output_size(10.5, 3),
         Named(TypeError, "input_size=10.5")),
    Case("output_size-str", "value", ("output_size",), lambda: sym.output_size("10", 3),
         Named(TypeError, "input_size='10'")),
    Case("output_size-bool", "value", ("output_size",), lambda: sym.output_size(10, True),
         Named(TypeError, "kernel_size=True")),
    Case("output_size-same-stride", "value", ("output_size",), lambda: sym.output_size(10, 3, 2, "same"),
         Named(ValueError, "padding='same'", "stride=2")),
    Case("output_size-kernel-too-long", "value", ("output_size",), lambda: sym.output_size(2, 3),
         Named(ValueError, "kernel_size=3", "spans 3")),
    Case("transposed-stride-0", "value", ("transposed_output_size",), lambda: sym.transposed_output_size(10, 3, 0),
         Named(ValueError, "stride=0")),
    Case("transposed-output-padding", "value", ("transposed_output_size",),
         lambda: sym.transposed_output_size(4, 3, 2, 0, 2), Named(ValueError, "output_padding=2", "stride=2")),
    Case("transposed-padding-too-large", "value", ("transposed_output_size",),
         lambda: sym.transposed_output_size(1, 2, 1, 3), Named(ValueError, "padding=3")),
    Case("kernel-centered-str", "value", ("kernel",), lambda: sym.kernel("w", 3, centered="yes"),
         Named(TypeError, "centered='yes'")),
    Case("kernel-centered-even", "value", ("kernel",), lambda: sym.kernel("w", 4, centered=True),
         Named(ValueError, "n=4")),
    Case("dilate-factor-0", "value", ("dilate",), lambda: sym.dilate([1, 2], 0), Named(ValueError, "factor=0")),
    Case("conv1d-stride-float", "value", ("conv1d",), lambda: sym.conv1d([[1, 2, 3]], [[[1]]], stride=1.5),
         Named(TypeError, "stride=1.5")),
    Case("conv1d-mode-edge", "value", ("conv1d",), lambda: sym.conv1d([[1, 2, 3]], [[[1]]], padding_mode="edge"),
         Named(ValueError, "padding_mode='edge'", "'replicate'")),
    Case("conv2d-groups", "value", ("conv2d",), lambda: sym.conv2d([[[1]]] * 3, [[[[1]]]] * 2, groups=2),
         Named(ValueError, "groups=2")),
    Case("conv_transpose1d-output-padding", "value", ("conv_transpose1d",),
         lambda: sym.conv_transpose1d([[1, 2]], [[[1]]], output_padding=1), Named(ValueError, "output_padding=1")),
    Case("tensor-no-axes", "value", ("tensor",), lambda: sym.tensor("x", ()), Named(ValueError, "shape=()")),
    # ---- shapes
    Case("conv1d-batched", "shape", ("conv1d",), lambda: sym.conv1d([[[1, 2, 3]]], [[[1]]]),
         Named(ValueError, "x must have shape (C_in, L)", "(1, 1, 3)")),
    Case("conv1d-bias-shape", "shape", ("conv1d",), lambda: sym.conv1d([[1, 2, 3]], [[[1]]], b=[1, 2]),
         Named(ValueError, "b must have shape", "(2,)")),
    Case("loss_dot-shapes", "shape", ("loss_dot",), lambda: sym.loss_dot([1, 2], [1, 2, 3]),
         Named(ValueError, "y and g", "(2,) and (3,)")),
    Case("convolve-2d", "shape", ("convolve",), lambda: sym.convolve([[1, 2]], [1, 2]),
         Named(ValueError, "x must have shape (n,)", "(1, 2)")),
    Case("convolve-ragged", "shape", ("convolve",), lambda: sym.convolve([[1, 2], [3]], [1]),
         Named(TypeError, "x=[[1, 2], [3]]")),
    Case("convolve-empty", "empty", ("convolve",), lambda: sym.convolve([], [1, 2]), Named(ValueError, "x is empty")),
    Case("pad-empty", "empty", ("pad",), lambda: sym.pad([[]], 1), Named(ValueError, "x is empty", "(1, 0)")),
    Case("conv_transpose3d-empty", "empty", ("conv_transpose3d",),
         lambda: sym.conv_transpose3d(np.zeros((1, 0, 2, 2)), np.ones((1, 1, 1, 1, 1))),
         Named(ValueError, "x is empty")),
    # ---- NaN and inf where NumPy / PyTorch put them
    Case("convolve-nan-inf", "nonfinite", ("convolve",), lambda: sym.convolve(S6, [1.0, 0.0, -1.0]),
         Same(lambda: np.convolve(S6, [1.0, 0.0, -1.0]))),
    Case("correlate-nan-inf", "nonfinite", ("correlate",), lambda: sym.correlate(S6, [2.0, INF], "same"),
         Same(lambda: np.correlate(S6, [2.0, INF], "same"))),
    Case("pad-mean-inf", "nonfinite", ("pad",), lambda: sym.pad([INF, 1.0, -INF, 2.0], (2, 1), "mean", stat_length=2),
         Same(lambda: np.pad([INF, 1.0, -INF, 2.0], (2, 1), "mean", stat_length=2))),
    Case("pad-median-nan", "nonfinite", ("pad",), lambda: sym.pad([NAN, 1.0, 2.0], 2, "median"),
         Same(lambda: np.pad([NAN, 1.0, 2.0], 2, "median"))),
    Case("pad-reflect-nan", "nonfinite", ("pad",), lambda: sym.pad([[NAN, 1.0, INF]], ((1, 0), (2, 2)), "reflect"),
         Same(lambda: np.pad([[NAN, 1.0, INF]], ((1, 0), (2, 2)), "reflect"))),
    Case("conv1d-nan-inf", "nonfinite", ("conv1d",),
         lambda: sym.conv1d([S6, S6[::-1]], [[[1.0, 2.0], [0.0, INF]]], padding=1),
         Same(lambda: F.conv1d(t64([[S6, S6[::-1]]]), t64([[[1.0, 2.0], [0.0, INF]]]), padding=1)[0])),
    Case("conv3d-nan", "nonfinite", ("conv3d",),
         lambda: sym.conv3d(spiked(np.ones((1, 2, 2, 3)), ((0, 1, 0, 2), NAN)), np.ones((1, 1, 1, 2, 2))),
         Same(lambda: F.conv3d(t64(spiked(np.ones((1, 1, 2, 2, 3)), ((0, 0, 1, 0, 2), NAN))),
                               t64(np.ones((1, 1, 1, 2, 2))))[0])),
    Case("conv_transpose1d-inf", "nonfinite", ("conv_transpose1d",),
         lambda: sym.conv_transpose1d([[1.0, INF, 2.0]], [[[1.0, -1.0]]], stride=2),
         Same(lambda: F.conv_transpose1d(t64([[[1.0, INF, 2.0]]]), t64([[[1.0, -1.0]]]), stride=2)[0])),
    Case("conv_transpose3d-nan", "nonfinite", ("conv_transpose3d",),
         lambda: sym.conv_transpose3d([[[[NAN, 1.0]]]], np.ones((1, 1, 1, 1, 2))),
         Same(lambda: F.conv_transpose3d(t64([[[[[NAN, 1.0]]]]]), t64(np.ones((1, 1, 1, 1, 2))))[0])),
    Case("conv2d-reflect-inf", "nonfinite", ("conv2d",),
         lambda: sym.conv2d([[[1.0, INF, 2.0], [3.0, 4.0, 5.0]]], [[[[1.0, 1.0]]]], padding=(0, 1),
                            padding_mode="reflect"),
         Same(lambda: F.conv2d(F.pad(t64([[[[1.0, INF, 2.0], [3.0, 4.0, 5.0]]]]), (1, 1, 0, 0), mode="reflect"),
                               t64([[[[1.0, 1.0]]]]))[0])),
    Case("equal-nan", "nonfinite", ("equal",), lambda: sym.equal([sp.nan, 1], [sp.nan, 1]),
         Same(lambda: np.array_equal([NAN, 1.0], [NAN, 1.0]))),
    Case("equal-inf", "nonfinite", ("equal",), lambda: sym.equal([sp.oo, 1], [sp.oo, 1]),
         Same(lambda: np.array_equal([INF, 1.0], [INF, 1.0]))),
    Case("is_zero-nan", "nonfinite", ("is_zero",), lambda: sym.is_zero([0, sp.nan]),
         Same(lambda: np.all(np.array([0.0, NAN]) == 0))),
    Case("gradient-of-inf-coefficient", "nonfinite", ("gradient", "loss_dot"),
         lambda: sym.gradient(sym.loss_dot(x_sym, [1, sp.oo, 2]), x_sym), Same(lambda: np.array([1.0, INF, 2.0]))),
    # ---- sizes that cannot be built
    Case("pad-huge", "size", ("pad",), lambda: sym.pad([1, 2], 10**7, "reflect"),
         Named(ValueError, "pad_width=10000000", "20,000,002 entries")),
    Case("conv1d-huge-dilation", "size", ("conv1d",),
         lambda: sym.conv1d([[1, 2, 3]], [[[1, 1]]], dilation=10**9, padding=10**9),
         Named(ValueError, "padding=1000000000", "entries")),
    Case("signal-huge", "size", ("signal",), lambda: sym.signal("x", 10**8), Named(ValueError, "n=100000000")),
    Case("conv_transpose2d-huge-stride", "size", ("conv_transpose2d",),
         lambda: sym.conv_transpose2d([[[1, 2], [3, 4]]], [[[[1]]]], stride=10**4), Named(ValueError, "stride=10000")),
    # ---- dtypes
    Case("convolve-bools", "dtype", ("convolve",), lambda: sym.convolve([True, False, True], [1, 2]),
         Same(lambda: np.convolve([1, 0, 1], [1, 2]))),
    Case("correlate-complex", "dtype", ("correlate",), lambda: sym.correlate([1j, 2], [1, 2]),
         Named(TypeError, "x holds the complex number")),
    Case("pad-value-complex", "dtype", ("pad",), lambda: sym.pad([1, 2], 1, "constant", value=1j),
         Named(TypeError, "value=1j")),
    Case("conv2d-int-array", "dtype", ("conv2d",), lambda: sym.conv2d(np.arange(12).reshape(1, 3, 4),
                                                                     np.array([[[[1, -2], [0, 3]]]])),
         Same(lambda: F.conv2d(t64(np.arange(12).reshape(1, 1, 3, 4)), t64([[[[1, -2], [0, 3]]]]))[0])),
    Case("output_size-numpy-int", "dtype", ("output_size",),
         lambda: sym.output_size(np.int64(11), 4, 2, (1, 2), 2),
         Same(lambda: F.conv1d(F.pad(torch.zeros(1, 1, 11), (1, 2)), torch.zeros(1, 1, 4), stride=2,
                               dilation=2).shape[-1])),
    Case("every-pad-mode-like-numpy", "value", ("PAD_MODES", "pad"),
         lambda: tuple(sym.pad([[3.0, -1.0, INF], [2.0, 0.5, 4.0]], (1, 2), m) for m in sym.PAD_MODES
                       if m not in ("first", "last")),
         Same(lambda: tuple(np.pad([[3.0, -1.0, INF], [2.0, 0.5, 4.0]], ((1, 2), (1, 2)),
                                   {"zeros": "constant", "replicate": "edge", "circular": "wrap"}.get(m, m))
                            for m in sym.PAD_MODES if m not in ("first", "last")))),
]

CASES = NN_CASES + SYM_CASES


def _param(case):
    marks = [pytest.mark.xfail(reason=case.xfail, strict=False)] if case.xfail else []
    return pytest.param(case, id=f"{case.cls}:{case.kind}", marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_case(case):
    check(case)


def test_kinds_are_distinct_and_many():
    kinds = [c.kind for c in CASES]
    assert len(kinds) == len(set(kinds))
    assert len(kinds) >= 40


def test_every_public_name_is_fuzzed():
    covered = {name for case in CASES for name in case.names}
    missing = (set(nn.__all__) | set(sym.__all__)) - covered
    assert not missing, f"public names without a fuzz case: {sorted(missing)}"


# --------------------------------------------------------------------------- Hypothesis

specials = st.sampled_from([NAN, INF, -INF, 0.0, -0.0])
finite = st.floats(-5, 5, allow_nan=False, allow_infinity=False, width=32)


@st.composite
def arrays_with_specials(draw, shape):
    """A float64 array of ``shape``: finite values with a few NaN/±inf/±0 at random positions."""
    size = int(np.prod(shape))
    values = draw(st.lists(finite, min_size=size, max_size=size))
    spikes = draw(st.lists(st.tuples(st.integers(0, max(size - 1, 0)), specials), max_size=3)) if size else []
    a = np.array(values, dtype=np.float64)
    for i, v in spikes:
        a[i] = v
    return a.reshape(shape)


@SETTINGS
@given(data=st.data())
def test_relu_matches_torch(data):
    x = data.draw(arrays_with_specials((data.draw(st.integers(0, 4)), data.draw(st.integers(1, 4)))))
    g = data.draw(arrays_with_specials(x.shape))
    check(layer_case("relu", "nonfinite", nn.ReLU, x, g=g, torch_make=torch.nn.ReLU))


@SETTINGS
@given(data=st.data())
def test_cross_entropy_matches_torch(data):
    n, k = data.draw(st.integers(0, 3)), data.draw(st.integers(1, 4))
    z = data.draw(arrays_with_specials((n, k)))
    labels = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)), dtype=np.int64)
    check(loss_case("ce", "nonfinite", nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss, z, labels,
                    "CrossEntropyLoss"))


@SETTINGS
@given(data=st.data())
def test_conv1d_layer_matches_torch(data):
    """NaN/inf, unbatched samples and empty batches through Conv1d, forward and backward."""
    mode = data.draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    stride, padding = data.draw(st.integers(1, 2)), data.draw(st.integers(0, 2))
    lead = data.draw(st.sampled_from([(), (0,), (1,), (2,)]))
    x = data.draw(arrays_with_specials(lead + (2, data.draw(st.integers(4, 7)))))
    make = lambda: nn.Conv1d(2, 2, 3, rng=rng(), stride=stride, padding=padding, padding_mode=mode)  # noqa: E731
    check(layer_case("conv1d", "nonfinite", make, x))


@SETTINGS
@given(data=st.data())
def test_linear_and_mse_match_torch(data):
    x = data.draw(arrays_with_specials((data.draw(st.integers(0, 3)), 4)))
    check(layer_case("linear", "nonfinite", linear, x))
    t = data.draw(arrays_with_specials(x.shape))
    check(loss_case("mse", "nonfinite", nn.MSELoss, torch.nn.MSELoss, x, t, "MSELoss"))


@SETTINGS
@given(data=st.data())
def test_symbolic_convolve_correlate_match_numpy(data):
    x = data.draw(arrays_with_specials((data.draw(st.integers(1, 6)),)))
    w = data.draw(arrays_with_specials((data.draw(st.integers(1, 4)),)))
    mode = data.draw(st.sampled_from(["full", "same", "valid"]))
    check(Case("convolve", "nonfinite", ("convolve",), lambda: sym.convolve(x, w, mode),
               Same(lambda: np.convolve(x, w, mode))))
    check(Case("correlate", "nonfinite", ("correlate",), lambda: sym.correlate(x, w, mode),
               Same(lambda: np.correlate(x, w, mode))))


NUMPY_MODE = {"zeros": "constant", "replicate": "edge", "circular": "wrap"}


@SETTINGS
@given(data=st.data())
def test_symbolic_pad_matches_numpy(data):
    mode = data.draw(st.sampled_from([m for m in sym.PAD_MODES if m not in ("first", "last")]))
    x = data.draw(arrays_with_specials((data.draw(st.integers(1, 2)), data.draw(st.integers(1, 4)))))
    width = (data.draw(st.integers(0, 5)), data.draw(st.integers(0, 5)))
    kw = {}
    if mode in ("mean", "median"):
        kw["stat_length"] = data.draw(st.one_of(st.none(), st.integers(1, 4)))
    if mode == "constant":
        kw["value"] = data.draw(st.one_of(finite, specials))
    np_kw = {"constant_values": kw["value"]} if mode == "constant" else dict(kw)
    check(Case("pad", "nonfinite", ("pad",), lambda: sym.pad(x, width, mode, **kw),
               Same(lambda: np.pad(x, width, NUMPY_MODE.get(mode, mode), **np_kw))))  # one pair: every axis


sizes = st.one_of(st.integers(-2, 12), st.sampled_from([0.5, 10.0, "3", True, None, sp.Rational(3, 2), sp.oo]))


@SETTINGS
@given(L=sizes, k=sizes, s=sizes, p=st.one_of(sizes, st.sampled_from(["same", "valid", "full", (1, 2), (1, -1)])),
       d=sizes)
def test_symbolic_output_size_agrees_with_numeric_and_torch(L, k, s, p, d):
    """Any arguments: the same error as convlab.output_size, or the length torch's conv1d returns."""
    try:
        expected = convlab.output_size(L, k, s, p, d)
    except (TypeError, ValueError) as err:
        with pytest.raises(type(err)) as info:
            sym.output_size(L, k, s, p, d)
        assert str(info.value) == str(err)
        return
    assert sym.output_size(L, k, s, p, d) == expected
    pairs = convlab.same_padding(k, d) if p == "same" else (0, 0) if p == "valid" else (
        tuple(p) if isinstance(p, tuple) else (p, p))
    y = F.conv1d(F.pad(torch.zeros(1, 1, L), pairs), torch.zeros(1, 1, k), stride=s, dilation=d)
    assert expected == y.shape[-1]
