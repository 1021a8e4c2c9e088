r"""The operations of convlab as SymPy expressions, built from their defining sums.

Every function here builds its output entry by entry from the definition, for
example the 1-D convolution

.. math:: y_j = \sum_k x_{j-k}\, w_k \qquad (x_i = 0 \text{ outside } 0 \le i < m)

so the result is exact and holds whatever the inputs hold: symbols, to derive
gradients with ``sympy.diff``, or numbers, to hold against the numeric
package. The computation (the sums, the padding values, the size formulas, the
derivatives) is written out here and never calls convlab's numeric code: it is
an independent implementation, and the tests use it as a reference. Only the
argument checking is shared (``convlab._shapes``, ``convlab._padding``), so the
two accept the same arguments and reject the others with the same messages.

Arrays come back as ``sympy.Array``. Inputs may be SymPy Arrays, nested
lists or tuples, or NumPy arrays; numbers in them become SymPy numbers.

Examples
--------
A three-sample signal, a two-tap kernel and the gradient of ``L = <y, g>``:

>>> from convlab import symbolic as sym
>>> x, w = sym.signal("x", 3), sym.kernel("w", 2)
>>> sym.convolve(x, w)
[w_0*x_0, w_0*x_1 + w_1*x_0, w_0*x_2 + w_1*x_1, w_1*x_2]
>>> y = sym.conv1d([x], [[w]])          # one channel in, one out: y_i = x_i w_0 + x_{i+1} w_1
>>> y
[[w_0*x_0 + w_1*x_1, w_0*x_1 + w_1*x_2]]
>>> g = sym.upstream("g", y.shape)
>>> sym.gradient(sym.loss_dot(y, g), x)
[g_{0,0}*w_0, g_{0,0}*w_1 + g_{0,1}*w_0, g_{0,1}*w_1]
>>> sym.convolve(g[0, :], w)            # the same thing: dL/dx is the full convolution of g with w
[g_{0,0}*w_0, g_{0,0}*w_1 + g_{0,1}*w_0, g_{0,1}*w_1]
"""

from .._padding import PAD_MODES
from ._calculus import equal, gradient, is_zero, loss_dot
from ._layers import conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d
from ._shapes import output_size, transposed_output_size
from ._signal import convolve, correlate, dilate, pad
from ._symbols import kernel, signal, tensor, upstream

__all__ = [
    "signal",
    "kernel",
    "tensor",
    "upstream",
    "convolve",
    "correlate",
    "pad",
    "dilate",
    "output_size",
    "transposed_output_size",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "gradient",
    "loss_dot",
    "equal",
    "is_zero",
    "PAD_MODES",
]
