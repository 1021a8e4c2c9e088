"""Tests for convlab.nn: layers, losses and SGD.

References are independent of the code under test: central finite differences
written here, PyTorch's own layers/losses/optimiser where torch is installed,
and ``numpy.correlate`` for the training target.
"""

from __future__ import annotations

import numpy as np
import pytest

from convlab import nn

EPS = 1e-6
GRAD_TOL = 1e-7


# --------------------------------------------------------------------------- helpers


def numerical_gradient(f, a, eps=EPS):
    """Central differences of the scalar ``f()`` with respect to ``a``, perturbed in place."""
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + eps
        f_plus = f()
        a[idx] = old - eps
        f_minus = f()
        a[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(numeric, analytic):
    analytic = np.asarray(analytic)
    assert analytic.shape == numeric.shape
    return np.max(np.abs(numeric - analytic)) / max(np.max(np.abs(numeric)), 1e-300)


def check_layer_gradients(layer, x, rng, tol=GRAD_TOL):
    """backward() against finite differences of L = sum(layer(x) * g), for x and every parameter."""
    y = layer(x)
    g = rng.standard_normal(y.shape)
    layer.zero_grad()
    grad_x = layer.backward(g)
    analytic = [np.array(p.grad, copy=True) for p in layer.parameters()]

    def loss():
        return float(np.sum(layer.forward(x) * g))

    assert relative_error(numerical_gradient(loss, x), grad_x) < tol
    for p, grad_p in zip(layer.parameters(), analytic):
        assert relative_error(numerical_gradient(loss, p.value), grad_p) < tol


def torch_twin(layer, torch, *args, **kw):
    """The torch.nn layer built from the same arguments as ``layer``, with its weights (float64).

    The configuration comes from the arguments, not from ``layer``'s attributes,
    so a layer that stores its options wrongly cannot hand the same mistake to torch.
    """
    kw = {k: v for k, v in kw.items() if k != "dtype"}
    cls = {nn.Linear: torch.nn.Linear, nn.Conv1d: torch.nn.Conv1d, nn.Conv2d: torch.nn.Conv2d}[type(layer)]
    twin = cls(*args, dtype=torch.float64, **kw)
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(layer.weight.value))
        if layer.bias is not None:
            twin.bias.copy_(torch.from_numpy(layer.bias.value))
    return twin


def compare_with_torch(cls, args, kw, x, rng):
    """Forward and all gradients of ``cls(*args, **kw)`` against its torch twin."""
    torch = pytest.importorskip("torch")
    layer = cls(*args, rng=rng, **kw)
    twin = torch_twin(layer, torch, *args, **kw)
    y = layer(x)
    g = rng.standard_normal(y.shape)
    layer.zero_grad()
    grad_x = layer.backward(g)

    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    yt = twin(xt)
    yt.backward(torch.from_numpy(g))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad_x, xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, twin.weight.grad.numpy(), rtol=1e-12, atol=1e-12)
    if layer.bias is not None:
        np.testing.assert_allclose(layer.bias.grad, twin.bias.grad.numpy(), rtol=1e-12, atol=1e-12)


CONV1D_CASES = [
    pytest.param(dict(), id="plain"),
    pytest.param(dict(stride=2), id="stride2"),
    pytest.param(dict(dilation=2), id="dilation2"),
    pytest.param(dict(kernel_size=4), id="even-kernel"),
    pytest.param(dict(kernel_size=4, stride=3, padding=2, dilation=2), id="stride3-dil2-pad2-even"),
    pytest.param(dict(padding=2, padding_mode="reflect"), id="reflect"),
    pytest.param(dict(padding=3, padding_mode="circular"), id="circular"),
    pytest.param(dict(padding=2, padding_mode="replicate", stride=2), id="replicate-stride2"),
    pytest.param(dict(groups=2), id="groups2"),
    pytest.param(dict(padding="same", kernel_size=4), id="same-even"),
    pytest.param(dict(bias=False, padding=1), id="no-bias"),
]

CONV2D_CASES = [
    pytest.param(dict(), id="plain"),
    pytest.param(dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 2)), id="rect-stride"),
    pytest.param(dict(dilation=(1, 2), padding=1, padding_mode="reflect"), id="dilated-reflect"),
    pytest.param(dict(groups=2, padding=2, padding_mode="circular"), id="groups-circular"),
    pytest.param(dict(bias=False, stride=2), id="no-bias-stride2"),
]



def conv1d(rng, **kw):
    kw = {"kernel_size": 3, **kw}
    return nn.Conv1d(4, 6, rng=rng, **kw)


def conv2d(rng, **kw):
    kw = {"kernel_size": 3, **kw}
    return nn.Conv2d(2, 4, rng=rng, **kw)


def small_model(rng):
    """conv -> relu -> flatten -> linear on (N, 2, 8) input."""
    return nn.Sequential(
        nn.Conv1d(2, 3, 3, rng=rng, padding=1, padding_mode="reflect"),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(3 * 8, 4, rng=rng),
    )


# --------------------------------------------------------------------------- gradients vs finite differences


class TestFiniteDifferences:
    @pytest.mark.parametrize("kw", CONV1D_CASES)
    def test_conv1d(self, kw, rng):
        check_layer_gradients(conv1d(rng, **kw), rng.standard_normal((2, 4, 11)), rng)

    def test_conv1d_asymmetric_padding(self, rng):
        layer = conv1d(rng, padding=((1, 3),), padding_mode="symmetric", stride=2)
        check_layer_gradients(layer, rng.standard_normal((2, 4, 9)), rng)

    @pytest.mark.parametrize("kw", CONV2D_CASES)
    def test_conv2d(self, kw, rng):
        check_layer_gradients(conv2d(rng, **kw), rng.standard_normal((2, 2, 6, 7)), rng)

    @pytest.mark.parametrize("shape", [(5, 7), (2, 3, 7)], ids=["2d", "leading-axes"])
    def test_linear(self, shape, rng):
        check_layer_gradients(nn.Linear(7, 3, rng=rng), rng.standard_normal(shape), rng)

    def test_linear_without_bias(self, rng):
        check_layer_gradients(nn.Linear(7, 3, rng=rng, bias=False), rng.standard_normal((4, 7)), rng)

    def test_relu_away_from_zero(self, rng):
        # |x| >= 0.1 keeps every +-eps perturbation on one side of the kink.
        x = rng.uniform(0.1, 1.0, (3, 4, 5)) * rng.choice([-1.0, 1.0], (3, 4, 5))
        check_layer_gradients(nn.ReLU(), x, rng)

    def test_flatten(self, rng):
        check_layer_gradients(nn.Flatten(), rng.standard_normal((3, 2, 4)), rng)

    def test_sequential_conv_relu_flatten_linear(self, rng):
        check_layer_gradients(small_model(rng), rng.standard_normal((3, 2, 8)), rng, tol=1e-6)

    def test_mse_loss(self, rng):
        pred, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
        loss = nn.MSELoss()
        loss(pred, target)
        analytic = loss.backward()
        numeric = numerical_gradient(lambda: float(loss.forward(pred, target)), pred)
        assert relative_error(numeric, analytic) < GRAD_TOL

    def test_cross_entropy_loss(self, rng):
        logits, labels = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
        loss = nn.CrossEntropyLoss()
        loss(logits, labels)
        analytic = loss.backward()
        numeric = numerical_gradient(lambda: float(loss.forward(logits, labels)), logits)
        assert relative_error(numeric, analytic) < 1e-6


# --------------------------------------------------------------------------- against PyTorch


class TestAgainstTorch:
    @pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
    @pytest.mark.parametrize("kw", CONV1D_CASES)
    def test_conv1d(self, kw, rng):
        kw = {"kernel_size": 3, **kw}
        compare_with_torch(nn.Conv1d, (4, 6), kw, rng.standard_normal((2, 4, 11)), rng)

    @pytest.mark.parametrize("kw", CONV2D_CASES)
    def test_conv2d(self, kw, rng):
        kw = {"kernel_size": 3, **kw}
        compare_with_torch(nn.Conv2d, (2, 4), kw, rng.standard_normal((2, 2, 6, 7)), rng)

    @pytest.mark.parametrize("bias", [True, False])
    def test_linear(self, bias, rng):
        compare_with_torch(nn.Linear, (7, 3), dict(bias=bias), rng.standard_normal((5, 7)), rng)

    def test_mse_loss(self, rng):
        torch = pytest.importorskip("torch")
        pred, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
        loss = nn.MSELoss()
        value = loss(pred, target)
        pt = torch.from_numpy(pred.copy()).requires_grad_(True)
        expected = torch.nn.MSELoss()(pt, torch.from_numpy(target))
        expected.backward()
        assert value.shape == ()
        np.testing.assert_allclose(value, expected.item(), rtol=1e-13)
        np.testing.assert_allclose(loss.backward(), pt.grad.numpy(), rtol=1e-13, atol=1e-15)

    @pytest.mark.parametrize("scale", [1.0, 1000.0], ids=["moderate", "large-logits"])
    def test_cross_entropy_loss(self, scale, rng):
        torch = pytest.importorskip("torch")
        logits, labels = scale * rng.standard_normal((6, 5)), rng.integers(0, 5, 6)
        loss = nn.CrossEntropyLoss()
        value = loss(logits, labels)
        lt = torch.from_numpy(logits.copy()).requires_grad_(True)
        expected = torch.nn.CrossEntropyLoss()(lt, torch.from_numpy(labels))
        expected.backward()
        assert value.shape == () and np.isfinite(value)
        np.testing.assert_allclose(value, expected.item(), rtol=1e-12)
        np.testing.assert_allclose(loss.backward(), lt.grad.numpy(), rtol=1e-12, atol=1e-15)

    @pytest.mark.parametrize(
        "momentum, weight_decay", [(0.0, 0.0), (0.9, 0.0), (0.0, 0.1), (0.9, 0.01)], ids=str
    )
    def test_sgd_three_steps(self, momentum, weight_decay, rng):
        torch = pytest.importorskip("torch")
        model = small_model(rng)
        twins = [
            torch_twin(model[0], torch, 2, 3, 3, padding=1, padding_mode="reflect"),
            torch_twin(model[3], torch, 3 * 8, 4),
        ]
        opt = nn.SGD(model.parameters(), lr=0.05, momentum=momentum, weight_decay=weight_decay)
        t_params = [p for twin in twins for p in twin.parameters()]
        t_opt = torch.optim.SGD(t_params, lr=0.05, momentum=momentum, weight_decay=weight_decay)
        loss_fn = nn.MSELoss()
        for _ in range(3):
            # fresh data each step, so momentum carries information between steps
            x, target = rng.standard_normal((3, 2, 8)), rng.standard_normal((3, 4))
            opt.zero_grad()
            loss_fn(model(x), target)
            model.backward(loss_fn.backward())
            opt.step()

            t_opt.zero_grad()
            h = torch.relu(twins[0](torch.from_numpy(x))).flatten(1)
            torch.nn.functional.mse_loss(twins[1](h), torch.from_numpy(target)).backward()
            t_opt.step()
        for p, tp in zip(model.parameters(), t_params):
            np.testing.assert_allclose(p.value, tp.detach().numpy(), rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------- initialisation


class TestInitialisation:
    @pytest.mark.parametrize(
        "make, w_shape, fan_in",
        [
            (lambda rng: nn.Conv1d(4, 6, 3, rng=rng, groups=2), (6, 2, 3), 6),
            (lambda rng: nn.Conv2d(3, 5, (2, 4), rng=rng), (5, 3, 2, 4), 24),
            (lambda rng: nn.Linear(10, 7, rng=rng), (7, 10), 10),
        ],
        ids=["conv1d-groups", "conv2d", "linear"],
    )
    def test_shape_and_bound(self, make, w_shape, fan_in, rng):
        layer = make(rng)
        bound = 1 / np.sqrt(fan_in)
        assert layer.weight.value.shape == w_shape
        assert layer.bias.value.shape == (w_shape[0],)
        assert layer.weight.value.dtype == np.float64
        for p in layer.parameters():
            assert np.all(np.abs(p.value) <= bound)
        # not merely inside: the draws reach out to the bound (catches a too-small scale)
        assert np.max(np.abs(layer.weight.value)) > 0.5 * bound

    def test_same_seed_same_weights(self):
        a = nn.Conv2d(3, 4, 3, rng=np.random.default_rng(7))
        b = nn.Conv2d(3, 4, 3, rng=np.random.default_rng(7))
        for p, q in zip(a.parameters(), b.parameters()):
            np.testing.assert_array_equal(p.value, q.value)

    def test_different_seed_different_weights(self):
        a = nn.Conv1d(3, 4, 3, rng=np.random.default_rng(7))
        b = nn.Conv1d(3, 4, 3, rng=np.random.default_rng(8))
        assert not np.allclose(a.weight.value, b.weight.value)
        assert not np.allclose(a.bias.value, b.bias.value)

    def test_weight_std_is_bound_over_sqrt3(self, rng):
        layer = nn.Conv2d(64, 128, 3, rng=rng)  # fan_in 576, 73728 weights
        bound = 1 / np.sqrt(64 * 9)
        w = layer.weight.value
        assert abs(w.std() - bound / np.sqrt(3)) < 0.02 * bound / np.sqrt(3)
        assert abs(w.mean()) < 0.01 * bound

    def test_bias_std_uses_fan_in(self, rng):
        layer = nn.Linear(4, 20000, rng=rng)  # bias bound 1/sqrt(in_features) = 0.5
        assert abs(layer.bias.value.std() - 0.5 / np.sqrt(3)) < 0.02 * 0.5 / np.sqrt(3)

    def test_std_matches_torch(self, rng):
        torch = pytest.importorskip("torch")
        torch.manual_seed(0)
        ours = nn.Conv1d(32, 64, 5, rng=rng, groups=4).weight.value
        theirs = torch.nn.Conv1d(32, 64, 5, groups=4, dtype=torch.float64).weight.detach().numpy()
        assert ours.shape == theirs.shape
        assert abs(ours.std() / theirs.std() - 1) < 0.1

    def test_float32(self, rng):
        layer = nn.Conv1d(2, 3, 3, rng=rng, dtype="float32")
        assert all(p.value.dtype == np.float32 for p in layer.parameters())

    def test_no_bias(self, rng):
        layer = nn.Conv1d(2, 3, 3, rng=rng, bias=False)
        assert layer.bias is None
        assert layer.parameters() == [layer.weight]


# --------------------------------------------------------------------------- module mechanics


class TestModule:
    def test_parameters_in_order(self, rng):
        model = small_model(rng)
        expected = [model[0].weight, model[0].bias, model[3].weight, model[3].bias]
        assert len(model.parameters()) == 4
        assert all(p is q for p, q in zip(model.parameters(), expected))

    def test_gradients_accumulate_until_zero_grad(self, rng):
        model = small_model(rng)
        x, g = rng.standard_normal((2, 2, 8)), rng.standard_normal((2, 4))
        model(x)
        model.backward(g)
        once = [np.array(p.grad, copy=True) for p in model.parameters()]
        model.backward(g)
        for p, grad in zip(model.parameters(), once):
            np.testing.assert_allclose(p.grad, 2 * grad, rtol=1e-14)
        model.zero_grad()
        assert all(p.grad is None for p in model.parameters())

    def test_call_is_forward(self, rng):
        layer = nn.Linear(3, 2, rng=rng)
        x = rng.standard_normal((4, 3))
        np.testing.assert_array_equal(layer(x), layer.forward(x))

    def test_relu_output(self):
        np.testing.assert_array_equal(nn.ReLU()(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])

    def test_sgd_skips_parameters_without_grad(self):
        p, q = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
        q.grad = np.array([1.0, -1.0])
        nn.SGD([p, q], lr=0.5).step()
        np.testing.assert_array_equal(p.value, [1.0, 1.0])
        np.testing.assert_array_equal(q.value, [0.5, 1.5])

    def test_float32_input_float32_layer(self, rng):
        layer = nn.Conv1d(2, 3, 3, rng=rng, dtype="float32")
        y = layer(rng.standard_normal((1, 2, 6)).astype(np.float32))
        assert y.dtype == np.float32
        assert layer.backward(np.ones(y.shape, np.float32)).dtype == np.float32

    def test_float32_parameters_stay_float32(self, rng):
        layer = nn.Linear(3, 2, rng=rng, dtype="float32")
        layer(rng.standard_normal((4, 3)))  # float64 input: computed in float64
        layer.backward(rng.standard_normal((4, 2)))
        assert layer.weight.grad.dtype == np.float32
        nn.SGD(layer.parameters(), lr=0.1, momentum=0.9).step()
        assert all(p.value.dtype == np.float32 for p in layer.parameters())


# --------------------------------------------------------------------------- backends


class TestBackends:
    def test_sequential_forward_backward(self, xp, rng):
        seed = int(rng.integers(2**31))
        reference = small_model(np.random.default_rng(seed))
        model = small_model(np.random.default_rng(seed)).to(xp.ns)
        assert all(xp.is_native(p.value) for p in model.parameters())
        x, g = rng.standard_normal((3, 2, 8)), rng.standard_normal((3, 4))

        y = model(xp.asarray(x))
        grad_x = model.backward(xp.asarray(g))
        y_ref = reference(x)
        grad_x_ref = reference.backward(g)

        assert xp.is_native(y) and xp.is_native(grad_x)
        np.testing.assert_allclose(xp.to_numpy(y), y_ref, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(xp.to_numpy(grad_x), grad_x_ref, rtol=1e-12, atol=1e-12)
        for p, p_ref in zip(model.parameters(), reference.parameters()):
            assert xp.is_native(p.grad)
            np.testing.assert_allclose(xp.to_numpy(p.grad), p_ref.grad, rtol=1e-12, atol=1e-12)

    def test_training_step(self, xp, rng):
        seed = int(rng.integers(2**31))
        reference = small_model(np.random.default_rng(seed))
        model = small_model(np.random.default_rng(seed)).to(xp.ns)
        x, labels = rng.standard_normal((5, 2, 8)), rng.integers(0, 4, 5)
        results = []
        for net, conv in ((reference, np.asarray), (model, xp.asarray)):
            loss_fn = nn.CrossEntropyLoss()
            opt = nn.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
            for _ in range(2):
                opt.zero_grad()
                loss = loss_fn(net(conv(x)), conv(labels))
                net.backward(loss_fn.backward())
                opt.step()
            results.append((loss, [p.value for p in net.parameters()]))
        (loss_ref, values_ref), (loss, values) = results
        assert xp.is_native(loss) and loss.shape == ()
        np.testing.assert_allclose(xp.to_numpy(loss), loss_ref, rtol=1e-12)
        for v, v_ref in zip(values, values_ref):
            assert xp.is_native(v)
            np.testing.assert_allclose(xp.to_numpy(v), v_ref, rtol=1e-12, atol=1e-14)

    def test_mse_loss(self, xp, rng):
        pred, target = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
        loss_fn = nn.MSELoss()
        value = loss_fn(xp.asarray(pred), xp.asarray(target))
        grad = loss_fn.backward()
        assert xp.is_native(value) and xp.is_native(grad)
        np.testing.assert_allclose(xp.to_numpy(value), np.mean((pred - target) ** 2), rtol=1e-13)
        np.testing.assert_allclose(xp.to_numpy(grad), 2 * (pred - target) / 6, rtol=1e-13)


# --------------------------------------------------------------------------- training smoke test


def test_sgd_recovers_a_known_kernel():
    rng = np.random.default_rng(2024)
    true_kernel = np.array([0.5, -1.0, 0.25, 0.75])
    x = rng.standard_normal((16, 1, 40))
    # the target is built with numpy.correlate, not with convlab
    y = np.stack([np.correlate(row[0], true_kernel, mode="valid") for row in x])[:, None, :] + 0.3

    layer = nn.Conv1d(1, 1, 4, rng=rng)
    loss_fn = nn.MSELoss()
    opt = nn.SGD(layer.parameters(), lr=0.1, momentum=0.9)
    for _ in range(300):
        opt.zero_grad()
        loss = loss_fn(layer(x), y)
        layer.backward(loss_fn.backward())
        opt.step()
    assert loss < 1e-10
    np.testing.assert_allclose(layer.weight.value.ravel(), true_kernel, atol=1e-5)
    np.testing.assert_allclose(layer.bias.value, [0.3], atol=1e-5)


# --------------------------------------------------------------------------- errors


class TestErrors:
    @pytest.mark.parametrize(
        "kw, exc, match",
        [
            (dict(in_channels=0), ValueError, "in_channels=0"),
            (dict(out_channels=2.5), TypeError, "out_channels"),
            (dict(kernel_size=0), ValueError, "kernel_size=0"),
            (dict(kernel_size=(3, 3)), ValueError, "kernel_size"),
            (dict(stride=0), ValueError, "stride=0"),
            (dict(dilation=-1), ValueError, "dilation=-1"),
            (dict(groups=3), ValueError, "groups=3"),
            (dict(padding=-1), ValueError, "padding=-1"),
            (dict(padding="same", stride=2), ValueError, "same"),
            (dict(padding_mode="edge"), ValueError, "padding_mode='edge'"),
            (dict(bias=1), TypeError, "bias=1"),
            (dict(dtype="int32"), ValueError, "dtype='int32'"),
            (dict(dtype="foo"), ValueError, "dtype='foo'"),
            (dict(dtype=None), ValueError, "dtype=None"),
            (dict(rng=np.random.RandomState(0)), TypeError, "rng=.*numpy.random.Generator"),
            (dict(rng=0), TypeError, "rng=0"),
        ],
    )
    def test_conv_constructor(self, kw, exc, match):
        args = dict(in_channels=4, out_channels=6, kernel_size=3, rng=np.random.default_rng(0))
        args.update(kw)
        with pytest.raises(exc, match=match):
            nn.Conv1d(**args)

    def test_conv1d_channel_mismatch_names_layer_and_counts(self, rng):
        with pytest.raises(ValueError, match=r"Conv1d.*in_channels=4.*got 3 channels"):
            nn.Conv1d(4, 2, 3, rng=rng)(np.zeros((1, 3, 8)))

    def test_conv2d_channel_mismatch(self, rng):
        with pytest.raises(ValueError, match=r"Conv2d.*in_channels=2.*got 5 channels"):
            nn.Conv2d(2, 2, 3, rng=rng)(np.zeros((1, 5, 8, 8)))

    def test_conv2d_wrong_number_of_axes(self, rng):
        with pytest.raises(ValueError, match=r"Conv2d expected input of shape \(N, C_in, H, W\).*x of shape \(8, 8\)"):
            nn.Conv2d(2, 2, 3, rng=rng)(np.zeros((8, 8)))

    def test_conv_reflect_padding_too_long(self, rng):
        with pytest.raises(ValueError, match="reflect"):
            nn.Conv1d(1, 1, 3, rng=rng, padding=4, padding_mode="reflect")(np.zeros((1, 1, 4)))

    def test_linear_feature_mismatch(self, rng):
        with pytest.raises(ValueError, match=r"Linear expected .*in_features=3.*\(4, 5\)"):
            nn.Linear(3, 2, rng=rng)(np.zeros((4, 5)))

    def test_linear_needs_rng(self):
        with pytest.raises(TypeError, match="rng"):
            nn.Linear(3, 2, rng=None)

    @pytest.mark.parametrize(
        "make",
        [
            lambda rng: nn.Conv1d(1, 1, 3, rng=rng),
            lambda rng: nn.Conv2d(1, 1, 3, rng=rng),
            lambda rng: nn.Linear(1, 1, rng=rng),
            lambda rng: nn.ReLU(),
            lambda rng: nn.Flatten(),
            lambda rng: nn.Sequential(nn.ReLU()),
        ],
        ids=["conv1d", "conv2d", "linear", "relu", "flatten", "sequential"],
    )
    def test_backward_before_forward(self, make, rng):
        with pytest.raises(RuntimeError, match=r"backward\(\) was called before forward\(\)"):
            make(rng).backward(np.zeros((1, 1, 1)))

    @pytest.mark.parametrize("loss", [nn.MSELoss, nn.CrossEntropyLoss])
    def test_loss_backward_before_forward(self, loss):
        with pytest.raises(RuntimeError, match="before forward"):
            loss().backward()

    def test_grad_out_shape_mismatch(self, rng):
        layer = nn.Conv1d(1, 2, 3, rng=rng)
        layer(np.zeros((1, 1, 8)))
        with pytest.raises(ValueError, match=r"grad_out of shape \(1, 2, 5\).*\(1, 2, 6\)"):
            layer.backward(np.zeros((1, 2, 5)))

    def test_mse_shape_mismatch(self):
        with pytest.raises(ValueError, match=r"pred of shape \(2, 3\) and target of shape \(3, 2\)"):
            nn.MSELoss()(np.zeros((2, 3)), np.zeros((3, 2)))

    def test_cross_entropy_float_labels(self):
        with pytest.raises(TypeError, match="integer class labels"):
            nn.CrossEntropyLoss()(np.zeros((2, 3)), np.zeros(2))

    def test_cross_entropy_label_out_of_range(self):
        with pytest.raises(ValueError, match=r"\[0, 2\]"):
            nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 3]))

    def test_cross_entropy_label_shape(self):
        with pytest.raises(ValueError, match=r"labels of shape \(2,\)"):
            nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 1, 2]))

    def test_sequential_rejects_non_module(self):
        with pytest.raises(TypeError, match="layers\\[1\\]"):
            nn.Sequential(nn.ReLU(), lambda x: x)

    @pytest.mark.parametrize(
        "kw, exc, match",
        [
            (dict(lr=0.0), ValueError, "lr=0.0.*> 0"),
            (dict(lr=-0.1), ValueError, "lr=-0.1"),
            (dict(lr="0.1"), TypeError, "lr='0.1'"),
            (dict(lr=float("inf")), ValueError, "lr=inf"),
            (dict(lr=0.1, momentum=-0.5), ValueError, "momentum=-0.5"),
            (dict(lr=0.1, weight_decay=-1.0), ValueError, "weight_decay=-1.0"),
        ],
    )
    def test_sgd_hyperparameters(self, kw, exc, match):
        with pytest.raises(exc, match=match):
            nn.SGD([nn.Parameter(np.zeros(2))], **kw)

    def test_sgd_empty_parameters(self):
        with pytest.raises(ValueError, match="empty parameter list"):
            nn.SGD([], lr=0.1)

    def test_sgd_non_parameter(self):
        with pytest.raises(TypeError, match=r"parameters\[0\]"):
            nn.SGD([np.zeros(2)], lr=0.1)


# --------------------------------------------------------------------------- edge input (issue 12)


class TestEdgeInputAgainstTorch:
    """NaN/inf, empty batches and unbatched samples: the same numbers as PyTorch on the same input."""

    SPECIAL = np.array([np.nan, -1.0, 0.0, -0.0, 2.0, np.inf, -np.inf])

    def test_relu_keeps_nan_forward_and_backward(self):
        torch = pytest.importorskip("torch")
        relu = nn.ReLU()
        g = np.arange(1.0, 8.0)
        y, grad_x = relu(self.SPECIAL), None
        grad_x = relu.backward(g)
        xt = torch.from_numpy(self.SPECIAL.copy()).requires_grad_(True)
        yt = torch.relu(xt)
        yt.backward(torch.from_numpy(g))
        np.testing.assert_array_equal(y, yt.detach().numpy())  # NaN where torch has NaN
        np.testing.assert_array_equal(grad_x, xt.grad.numpy())  # the NaN position passes its gradient

    @pytest.mark.parametrize(
        "logits, label",
        [
            ([[0.0, -np.inf, 1.0]], [0]),  # a masked logit: finite loss
            ([[0.0, -np.inf, 1.0]], [1]),  # the target masked: inf
            ([[0.0, np.inf, 1.0]], [1]),  # +inf: NaN
            ([[np.nan, 0.0], [1.0, 2.0]], [1, 0]),  # NaN stays in its row
            ([[1e308, -1e308]], [1]),
        ],
        ids=["masked-other", "masked-target", "plus-inf", "nan-row", "huge"],
    )
    def test_cross_entropy_non_finite_logits(self, logits, label):
        torch = pytest.importorskip("torch")
        z, t = np.array(logits), np.array(label)
        ce = nn.CrossEntropyLoss()
        loss, grad = ce(z, t), ce.backward()
        zt = torch.from_numpy(z.copy()).requires_grad_(True)
        lt = torch.nn.CrossEntropyLoss()(zt, torch.from_numpy(t))
        lt.backward()
        np.testing.assert_allclose(loss, lt.item(), rtol=1e-12)
        np.testing.assert_allclose(grad, zt.grad.numpy(), rtol=1e-12, atol=1e-15)

    def test_cross_entropy_unbatched_and_empty(self):
        torch = pytest.importorskip("torch")
        z = np.array([0.5, -1.0, 2.0])
        ce = nn.CrossEntropyLoss()
        loss, grad = ce(z, np.array(2)), ce.backward()
        zt = torch.from_numpy(z.copy()).requires_grad_(True)
        torch.nn.CrossEntropyLoss()(zt, torch.tensor(2)).backward()
        np.testing.assert_allclose(grad, zt.grad.numpy(), rtol=1e-12)
        assert grad.shape == (3,) and loss.shape == ()
        empty = ce(np.zeros((0, 3)), np.zeros(0, dtype=np.int64))
        assert np.isnan(empty) and ce.backward().shape == (0, 3)  # torch: nan and an empty gradient

    def test_mse_empty_is_nan_with_an_empty_gradient(self):
        mse = nn.MSELoss()
        assert np.isnan(mse(np.zeros((0, 2)), np.zeros((0, 2))))
        assert mse.backward().shape == (0, 2)

    @pytest.mark.parametrize("cls, shape", [(nn.Conv1d, (2, 9)), (nn.Conv2d, (2, 6, 5))], ids=["1d", "2d"])
    def test_conv_unbatched(self, cls, shape, rng):
        torch = pytest.importorskip("torch")
        args, kw = (2, 3, 3), dict(padding=1, padding_mode="reflect")
        layer = cls(*args, rng=rng, **kw)
        twin = torch_twin(layer, torch, *args, **kw)
        x = rng.standard_normal(shape)
        y = layer(x)
        g = rng.standard_normal(y.shape)
        grad_x = layer.backward(g)
        xt = torch.from_numpy(x.copy()).requires_grad_(True)
        yt = twin(xt)
        yt.backward(torch.from_numpy(g))
        assert y.shape == tuple(yt.shape) and grad_x.shape == shape
        np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(grad_x, xt.grad.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(layer.weight.grad, twin.weight.grad.numpy(), rtol=1e-12, atol=1e-12)

    @pytest.mark.parametrize("make, shape", [
        (lambda rng: nn.Conv1d(2, 3, 3, rng=rng), (0, 2, 7)),
        (lambda rng: nn.Conv2d(2, 3, 3, rng=rng), (0, 2, 5, 5)),
        (lambda rng: nn.Linear(4, 2, rng=rng), (0, 4)),
        (lambda rng: nn.Flatten(), (0, 3, 2)),
        (lambda rng: nn.ReLU(), (0, 3)),
    ], ids=["conv1d", "conv2d", "linear", "flatten", "relu"])
    def test_empty_batch(self, make, shape, rng):
        torch = pytest.importorskip("torch")
        layer = make(rng)
        y = layer(np.zeros(shape))
        twin = {nn.Conv1d: lambda: torch.nn.Conv1d(2, 3, 3), nn.Conv2d: lambda: torch.nn.Conv2d(2, 3, 3),
                nn.Linear: lambda: torch.nn.Linear(4, 2), nn.Flatten: torch.nn.Flatten, nn.ReLU: torch.nn.ReLU}
        assert y.shape == tuple(twin[type(layer)]()(torch.zeros(shape)).shape)
        grad_x = layer.backward(np.zeros(y.shape))
        assert grad_x.shape == shape
        for p in layer.parameters():
            np.testing.assert_array_equal(p.grad, np.zeros(p.value.shape))  # nothing flowed back

    def test_flatten_needs_a_batch_axis(self):
        torch = pytest.importorskip("torch")
        with pytest.raises(IndexError):
            torch.nn.Flatten()(torch.ones(3))  # torch refuses it too
        with pytest.raises(ValueError, match=r"Flatten.*x of shape \(3,\)"):
            nn.Flatten()(np.ones(3))

    def test_lists_are_read_as_numpy_arrays(self, rng):
        layer = nn.Linear(2, 1, rng=rng)
        np.testing.assert_array_equal(layer([[1.0, 2.0]]), layer(np.array([[1.0, 2.0]])))
        np.testing.assert_array_equal(nn.ReLU()([-1.0, 2.0]), [0.0, 2.0])
        assert float(nn.MSELoss()([1.0, 2.0], [1.0, 4.0])) == 2.0


class TestNamedErrors:
    """Wrong types and shapes: a TypeError/ValueError that names the parameter and the value."""

    def test_backward_none(self, rng):
        model = small_model(rng)
        model(rng.standard_normal((2, 2, 8)))
        with pytest.raises(TypeError, match=r"Linear.backward: grad_out=None is invalid: expected an array of shape \(2, 4\)"):
            model.backward(None)

    @pytest.mark.parametrize("bad", [None, "abc", {"a": 1}], ids=["none", "str", "dict"])
    @pytest.mark.parametrize("make", [
        lambda rng: nn.Conv1d(1, 1, 3, rng=rng),
        lambda rng: nn.Linear(1, 1, rng=rng),
        lambda rng: nn.ReLU(),
        lambda rng: nn.Flatten(),
    ], ids=["conv1d", "linear", "relu", "flatten"])
    def test_layer_input_not_an_array(self, make, bad, rng):
        with pytest.raises(TypeError, match=r"x=.* is invalid: expected an array"):
            make(rng)(bad)

    @pytest.mark.parametrize("loss, args, match", [
        (nn.MSELoss, (None, [1.0]), "pred=None"),
        (nn.MSELoss, ([1.0], "abc"), "target='abc'"),
        (nn.CrossEntropyLoss, ("z", [0]), "logits='z'"),
        (nn.CrossEntropyLoss, ([[1.0, 2.0]], None), "labels=None"),
        (nn.CrossEntropyLoss, ([[1.0, 2.0]], [0.5]), "labels of dtype float64"),
        (nn.CrossEntropyLoss, ([[1.0, 2.0], [0.0, 0.0]], [0, 7]), r"labels\[1\]=7 is invalid"),
        (nn.CrossEntropyLoss, (np.zeros((2, 0)), [0, 0]), r"logits of shape \(2, 0\)"),
    ])
    def test_losses(self, loss, args, match):
        with pytest.raises((TypeError, ValueError), match=match):
            loss()(*args)

    def test_sgd_given_the_model(self, rng):
        with pytest.raises(TypeError, match=r"parameters=Linear\(2, 1, bias=True\) is invalid.*model.parameters\(\)"):
            nn.SGD(nn.Linear(2, 1, rng=rng), lr=0.1)

    @pytest.mark.parametrize("bad", [None, 3, "ab"])
    def test_sgd_parameters_not_iterable(self, bad):
        with pytest.raises(TypeError, match=f"parameters={bad!r} is invalid"):
            nn.SGD(bad, lr=0.1)

    def test_sgd_duplicate_parameter(self):
        p = nn.Parameter(np.zeros(2))
        with pytest.raises(ValueError, match=r"parameters\[1\]=.* is parameters\[0\] again"):
            nn.SGD([p, p], lr=0.1)

    def test_wrong_shaped_gradient_is_not_broadcast(self):
        p = nn.Parameter(np.zeros(3))
        with pytest.raises(ValueError, match=r"grad of shape \(1,\) is invalid.*\(3,\)"):
            p.accumulate(np.ones(1))
        p.grad = np.ones(1)
        with pytest.raises(ValueError, match=r"parameters\[0\].grad of shape \(1,\)"):
            nn.SGD([p], lr=0.1).step()

    def test_to_needs_a_namespace(self, rng):
        with pytest.raises(TypeError, match="xp=None is invalid"):
            nn.Linear(1, 1, rng=rng).to(None)

    def test_sequential_refuses_one_module_twice(self):
        relu = nn.ReLU()  # it keeps its last input for backward: a second use would overwrite it
        with pytest.raises(ValueError, match=r"layers\[2\]=.* already in layers\[0\]"):
            nn.Sequential(relu, nn.Flatten(), relu)

    def test_tied_parameter_is_listed_once(self, rng):
        a, b = nn.Linear(2, 2, rng=rng), nn.Linear(2, 2, rng=rng)
        b.weight = a.weight
        params = nn.Sequential(a, nn.ReLU(), b).parameters()
        assert len(params) == 3 and params[0] is a.weight
        nn.SGD(params, lr=0.1)  # no duplicate: SGD accepts it
