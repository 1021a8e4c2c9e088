"""Pooling layers: MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d.

No parameters: ``forward`` stores the input (the windows and, for max
pooling, the winners are found again from it) and ``backward``, right below,
hands the output gradient to the functional gradient in :mod:`convlab._pool`.
"""

from __future__ import annotations

from .. import _pool
from .._shapes import as_tuple, check_int
from ._module import Module


class _Pool(Module):
    """Shared body: keep the arguments, check the input, cache it, call the functional pair."""

    _ndim = 0
    _forward = None
    _backward = None

    def _options(self):  # pragma: no cover - every pooling layer overrides it
        raise NotImplementedError

    def forward(self, x):
        """``y = pool(x)``; stores ``x`` and the output shape for :meth:`backward`."""
        y = type(self)._forward(x, **self._options())
        self._cache = (x, tuple(y.shape))
        return y

    def backward(self, grad_out):
        """``grad_x`` of the same pooling (see the functional ``*_backward``); no parameters to update."""
        x, y_shape = self._saved()
        self._check_grad_shape(grad_out, y_shape)
        return type(self)._backward(grad_out, x, **self._options())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._options().items())
        return f"{type(self).__name__}({args})"

    def _set_window(self, kernel_size, stride, padding, **flags):
        """Kernel, stride (default: the kernel), padding per axis and boolean flags, validated.

        Padding may be at most half the kernel (PyTorch's rule), so no window sees padding only.
        """
        n = self._ndim
        self.kernel_size = as_tuple(kernel_size, n, "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else as_tuple(stride, n, "stride", 1)
        self.padding = as_tuple(padding, n, "padding", 0)
        for name, flag in flags.items():
            if not isinstance(flag, bool):
                raise TypeError(f"{name}={flag!r} is invalid: expected True or False")
            setattr(self, name, flag)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(
                f"padding={padding!r} is invalid: padding must be at most half of "
                f"kernel_size={kernel_size!r}"
            )


class _MaxPoolNd(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        self._set_window(kernel_size, stride, padding, ceil_mode=ceil_mode)
        self.dilation = as_tuple(dilation, self._ndim, "dilation", 1)

    def _options(self):
        return dict(
            kernel_size=self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            ceil_mode=self.ceil_mode,
        )


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling, ``torch.nn.MaxPool1d``: ``y[n, c, i] = max_k x_p[n, c, s i + d k]``.

    Arguments as :func:`convlab.max_pool1d` (``stride`` defaults to
    ``kernel_size``). The gradient goes to each window's maximum; ties to the
    first maximal input, as PyTorch on the CPU (see :func:`convlab.max_pool1d_backward`).
    """

    _ndim = 1
    _forward = staticmethod(_pool.max_pool1d)
    _backward = staticmethod(_pool.max_pool1d_backward)


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling, ``torch.nn.MaxPool2d``: ``y[n, c, i, j] = max_{k, l} x_p[n, c, s_0 i + d_0 k, s_1 j + d_1 l]``.

    Arguments as :func:`convlab.max_pool2d`; gradient as :func:`convlab.max_pool2d_backward`.
    """

    _ndim = 2
    _forward = staticmethod(_pool.max_pool2d)
    _backward = staticmethod(_pool.max_pool2d_backward)


class _AvgPoolNd(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        self._set_window(kernel_size, stride, padding, ceil_mode=ceil_mode,
                         count_include_pad=count_include_pad)

    def _options(self):
        return dict(
            kernel_size=self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            ceil_mode=self.ceil_mode,
            count_include_pad=self.count_include_pad,
        )


class AvgPool1d(_AvgPoolNd):
    """1-D average pooling, ``torch.nn.AvgPool1d``: a depthwise convolution with a constant kernel.

    ``y[n, c, i] = (1 / D_i) sum_k x_p[n, c, s i + k]``; arguments as :func:`convlab.avg_pool1d`.
    """

    _ndim = 1
    _forward = staticmethod(_pool.avg_pool1d)
    _backward = staticmethod(_pool.avg_pool1d_backward)


class AvgPool2d(_AvgPoolNd):
    """2-D average pooling, ``torch.nn.AvgPool2d``; arguments as :func:`convlab.avg_pool2d`."""

    _ndim = 2
    _forward = staticmethod(_pool.avg_pool2d)
    _backward = staticmethod(_pool.avg_pool2d_backward)


class _AdaptiveAvgPoolNd(_Pool):
    def __init__(self, output_size):
        n = self._ndim
        if isinstance(output_size, (tuple, list)):
            if len(output_size) != n:
                raise ValueError(f"output_size={output_size!r} is invalid: expected one int or {n} ints")
            self.output_size = tuple(None if o is None else check_int(o, "output_size", 1) for o in output_size)
        else:
            self.output_size = check_int(output_size, "output_size", 1)

    def _options(self):
        return dict(output_size=self.output_size)


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """``torch.nn.AdaptiveAvgPool1d``: average over ``output_size`` near-equal windows.

    ``AdaptiveAvgPool1d(1)`` is global average pooling. See :func:`convlab.adaptive_avg_pool1d`.
    """

    _ndim = 1
    _forward = staticmethod(_pool.adaptive_avg_pool1d)
    _backward = staticmethod(_pool.adaptive_avg_pool1d_backward)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """``torch.nn.AdaptiveAvgPool2d``; ``AdaptiveAvgPool2d(1)`` is global average pooling.

    See :func:`convlab.adaptive_avg_pool2d`.
    """

    _ndim = 2
    _forward = staticmethod(_pool.adaptive_avg_pool2d)
    _backward = staticmethod(_pool.adaptive_avg_pool2d_backward)
