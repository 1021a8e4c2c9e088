"""The layers: Conv1d and Conv2d (one shared body), Linear, ReLU and Flatten.

Each ``forward`` stores what its gradient needs and the ``backward`` right
below it uses exactly that, so the two read as one derivation.
"""

from __future__ import annotations

import math

from .._backend import asarrays, is_array, namespace
from .._conv import conv1d, conv2d
from .._grad import conv1d_backward, conv2d_backward
from .._padding import check_mode
from .._shapes import as_tuple, check_int, padding_pairs
from ._init import PARAMETERS_DOC, init_parameters
from ._module import PARAMETERS_LIBRARY, Module, as_array


_CONV_DOC = """{ndim}-D convolution layer (cross-correlation, as ``torch.nn.Conv{ndim}d``).

    .. math:: y[n, o, {i}] = b[o] + \\sum_c \\sum_{{{k}}} x_{{pad}}[n, g C_g + c, {sik}] \\, w[o, c, {k}]

    where ``g = o // (C_out/groups)`` is the group of output channel ``o`` and
    ``C_g = C_in/groups``.

    Parameters
    ----------
    in_channels, out_channels : int
        ``C_in`` and ``C_out``; both divisible by ``groups``.
    kernel_size : int or tuple of {ndim} ints
    stride, dilation : int or tuple of {ndim} ints, default 1
    padding : int, tuple, tuple of (left, right) pairs, "valid" or "same", default 0
    groups : int, default 1
    padding_mode : str, default "zeros"
        Any mode of :func:`convlab.pad`; PyTorch has "zeros", "reflect", "replicate", "circular".
    {parameters}

    Raises
    ------
    ValueError, TypeError
        For an invalid argument (the message names it), and from ``forward`` for an
        input whose channel count is not ``in_channels``.
    """


def _conv_doc(ndim, i, k, sik, kshape):
    """The docstring of ConvNd: output index ``i``, kernel index ``k``, input index ``sik``, kernel shape ``kshape``."""
    parameters = PARAMETERS_DOC.format(
        w_shape=f"(C_out, C_in/groups, {kshape})", fan_in=f"C_in/groups * {kshape.replace(', ', ' * ')}", n_out="C_out"
    )
    return _CONV_DOC.format(ndim=ndim, i=i, k=k, sik=sik, parameters=parameters)


class _ConvNd(Module):
    """Shared body of Conv1d and Conv2d: one code path, ``_ndim`` spatial axes."""

    _ndim = 0
    _conv = None  # the functional forward: conv1d / conv2d
    _conv_backward = None  # ... and its gradient: conv1d_backward / conv2d_backward

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        *,
        rng,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        dtype="float64",
    ):
        n = self._ndim
        self.in_channels = check_int(in_channels, "in_channels", 1)
        self.out_channels = check_int(out_channels, "out_channels", 1)
        self.kernel_size = as_tuple(kernel_size, n, "kernel_size", 1)
        self.stride = as_tuple(stride, n, "stride", 1)
        self.dilation = as_tuple(dilation, n, "dilation", 1)
        self.groups = check_int(groups, "groups", 1)
        for name, count in (("in_channels", self.in_channels), ("out_channels", self.out_channels)):
            if count % self.groups:
                raise ValueError(f"{name}={count} is invalid: {name} must be divisible by groups={self.groups}")
        padding_pairs(padding, n, self.kernel_size, self.dilation, self.stride)  # validates only
        self.padding = padding  # kept as written: the functional conv normalises it again
        self.padding_mode = check_mode(padding_mode, "padding_mode")
        c_g = self.in_channels // self.groups
        self.weight, self.bias = init_parameters(
            rng, c_g * math.prod(self.kernel_size), (self.out_channels, c_g, *self.kernel_size), bias, dtype
        )

    def _options(self):
        return dict(
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=self.groups,
            padding_mode=self.padding_mode,
        )

    def forward(self, x):
        """``y[n, o, i] = b[o] + sum_c sum_k xpad[n, g*C_g + c, s*i + d*k] * w[o, c, k]`` (cross-correlation).

        ``x`` is ``(N, C_in, *spatial)``, or one unbatched sample ``(C_in, *spatial)``
        that gives an unbatched output, as ``torch.nn.Conv{1,2}d``.
        """
        name, n = type(self).__name__, self._ndim
        spatial = ("L", "H, W")[n - 1]
        expected = f"(N, C_in, {spatial}) or unbatched (C_in, {spatial})"
        xp, x = as_array(x, "x", name, expected, like=self.weight.value, like_what=PARAMETERS_LIBRARY)
        if x.ndim not in (n + 1, n + 2):
            raise ValueError(
                f"{name} expected input of shape {expected}, with {n + 2} or {n + 1} axes; "
                f"got x of shape {tuple(x.shape)}"
            )
        # An unbatched sample goes to the functional layer as it is: conv*d and conv*d_backward
        # accept (C_in, *spatial) and answer unbatched, as torch.nn.functional does.
        if x.shape[-n - 1] != self.in_channels:
            raise ValueError(
                f"{name} expected input with in_channels={self.in_channels} channels, "
                f"got {x.shape[-n - 1]} channels (x of shape {tuple(x.shape)})"
            )
        w = self.weight.value
        b = None if self.bias is None else self.bias.value
        y = type(self)._conv(x, w, b, **self._options())
        self._cache = (x, w, b, tuple(y.shape))
        return y

    def backward(self, grad_out):
        """``grad_x = conv_transpose(grad_out, w)``, ``grad_w = correlate(xpad, grad_out)``, ``grad_b = sum(grad_out)``.

        Adds ``grad_w`` and ``grad_b`` into ``weight.grad`` and ``bias.grad``; returns ``grad_x``
        (unbatched when the forward's input was).
        """
        x, w, b, y_shape = self._saved()
        _, g = self._grad_out(grad_out, y_shape, like=x)
        grad_x, grad_w, grad_b = type(self)._conv_backward(g, x, w, b, **self._options())
        self.weight.accumulate(grad_w)
        if self.bias is not None:
            self.bias.accumulate(grad_b)
        return grad_x

    def __repr__(self):
        extra = "" if self.padding_mode == "zeros" else f", padding_mode={self.padding_mode!r}"
        return (
            f"{type(self).__name__}({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding!r}, dilation={self.dilation}, groups={self.groups}, "
            f"bias={self.bias is not None}{extra})"
        )


class Conv1d(_ConvNd):
    __doc__ = _conv_doc(1, i="i", k="k", sik="s i + d k", kshape="K")
    _ndim = 1
    _conv = staticmethod(conv1d)
    _conv_backward = staticmethod(conv1d_backward)


class Conv2d(_ConvNd):
    __doc__ = _conv_doc(2, i="i, j", k="k, l", sik="s_0 i + d_0 k, s_1 j + d_1 l", kshape="K_h, K_w")
    _ndim = 2
    _conv = staticmethod(conv2d)
    _conv_backward = staticmethod(conv2d_backward)


class Linear(Module):
    __doc__ = f"""Fully connected layer, ``torch.nn.Linear``: y = x W^T + b.

    Parameters
    ----------
    in_features, out_features : int
    {PARAMETERS_DOC.format(w_shape="(out_features, in_features)", fan_in="in_features", n_out="out_features")}

    Notes
    -----
    Input has shape ``(*, in_features)``. With ``X`` and ``G`` the input and
    the output gradient flattened to ``(M, in_features)`` and ``(M, out_features)``:
    ``grad_X = G W``, ``grad_W = G^T X``, ``grad_b = sum_m G[m]``.
    """

    def __init__(self, in_features, out_features, *, rng, bias=True, dtype="float64"):
        self.in_features = check_int(in_features, "in_features", 1)
        self.out_features = check_int(out_features, "out_features", 1)
        self.weight, self.bias = init_parameters(
            rng, self.in_features, (self.out_features, self.in_features), bias, dtype
        )

    def forward(self, x):
        expected = f"(*, in_features={self.in_features})"
        xp, x = as_array(x, "x", "Linear", expected, like=self.weight.value, like_what=PARAMETERS_LIBRARY)
        shape = tuple(x.shape)
        if len(shape) < 1 or shape[-1] != self.in_features:
            raise ValueError(f"Linear expected input of shape {expected}, got x of shape {shape}")
        b = None if self.bias is None else self.bias.value
        xp, (x, w, b) = asarrays(x, self.weight.value, b, names=["x", "weight", "bias"])
        x2 = xp.reshape(x, (-1, self.in_features))
        y = x2 @ w.T
        if b is not None:
            y = y + b
        self._cache = (x2, w, shape)
        return xp.reshape(y, (*shape[:-1], self.out_features))

    def backward(self, grad_out):
        x2, w, shape = self._saved()
        xp, grad_out = self._grad_out(grad_out, (*shape[:-1], self.out_features), like=x2)
        g2 = xp.reshape(grad_out, (-1, self.out_features))
        self.weight.accumulate(g2.T @ x2)
        if self.bias is not None:
            self.bias.accumulate(xp.sum(g2, axis=0))
        return xp.reshape(g2 @ w, shape)

    def __repr__(self):
        return f"Linear({self.in_features}, {self.out_features}, bias={self.bias is not None})"


def _keep_dtype(value, name, owner, expected):
    """``(xp, x)`` for a layer that only selects or moves entries: a real array keeps its dtype, as in PyTorch.

    Lists and bools are converted as everywhere else (to float64); complex and
    non-numeric input are a TypeError naming ``owner`` and ``name``.
    """
    if is_array(value):
        xp = namespace(value)
        if xp.isdtype(value.dtype, ("integral", "real floating")):
            return xp, value
    return as_array(value, name, owner, expected)


class ReLU(Module):
    """y = max(x, 0), NaN kept;  grad_x = grad_y * [not x <= 0] (0 at exactly 0, as PyTorch).

    NaN is not ``<= 0``, so it passes through both ways, as in ``torch.relu``.
    Real input keeps its dtype.
    """

    def forward(self, x):
        xp, x = _keep_dtype(x, "x", "ReLU", None)
        off = x <= 0  # False for NaN: torch.relu(nan) is nan and passes its gradient
        self._cache = (off, tuple(x.shape))
        return xp.where(off, xp.zeros_like(x), x)

    def backward(self, grad_out):
        off, shape = self._saved()
        xp, grad_out = self._grad_out(grad_out, shape, like=off)
        return xp.where(off, xp.zeros_like(grad_out), grad_out)


class Flatten(Module):
    """Keep the batch axis, flatten the rest: ``(N, *rest) -> (N, prod(rest))``; backward reshapes back.

    As ``torch.nn.Flatten()`` (``start_dim=1``): the input needs at least two axes.
    """

    def forward(self, x):
        xp, x = _keep_dtype(x, "x", "Flatten", "(N, *rest)")
        shape = tuple(x.shape)
        if len(shape) < 2:
            # torch.nn.Flatten refuses these too (start_dim=1 is out of range); reshaping
            # a 1-D x to (N, 1) would silently treat every sample as a batch entry.
            raise ValueError(
                f"Flatten expected input of shape (N, *rest) with at least 2 axes, got x of shape {shape}"
            )
        self._cache = (shape, x)
        return xp.reshape(x, (shape[0], math.prod(shape[1:])))

    def backward(self, grad_out):
        shape, x = self._saved()
        xp, grad_out = self._grad_out(grad_out, (shape[0], math.prod(shape[1:])), like=x)
        return xp.reshape(grad_out, shape)
