"""convlab: convolution for neural networks, derived and checked.

One N-d code path over the array API (NumPy, CuPy, PyTorch tensors,
array_api_strict). The public names:

* signal processing (1-D): :func:`convolve`, :func:`correlate`, :func:`autocorrelate`
* padding: :func:`pad`
* layers: :func:`conv1d`, :func:`conv2d`, :func:`conv3d` and their ``*_backward``,
  :func:`conv_transpose1d`, :func:`conv_transpose2d`, :func:`conv_transpose3d`
* pooling: :func:`max_pool1d`, :func:`max_pool2d`, :func:`avg_pool1d`, :func:`avg_pool2d`,
  :func:`adaptive_avg_pool1d`, :func:`adaptive_avg_pool2d` and their ``*_backward``
* shapes: :func:`output_size`, :func:`same_padding`
* checking: :func:`gradcheck`
* speed: every convolution takes ``method="auto" | "direct" | "gemm" | "fft"``;
  :func:`memory_budget` / :func:`set_memory_budget` bound their scratch space
* submodules: :mod:`convlab.nn` (layers that learn), :mod:`convlab.symbolic` (SymPy)
"""

from ._check import gradcheck
from ._conv import conv1d, conv2d, conv3d
from ._memory import memory_budget, set_memory_budget
from ._grad import (
    conv1d_backward,
    conv2d_backward,
    conv3d_backward,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)
from ._padding import PAD_MODES, pad
from ._pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool1d_backward,
    adaptive_avg_pool2d,
    adaptive_avg_pool2d_backward,
    avg_pool1d,
    avg_pool1d_backward,
    avg_pool2d,
    avg_pool2d_backward,
    max_pool1d,
    max_pool1d_backward,
    max_pool2d,
    max_pool2d_backward,
)
from ._shapes import output_size, same_padding
from .signal import Autocorrelation, autocorrelate, convolve, correlate

__version__ = "0.1.0"

__all__ = [
    "PAD_MODES",
    "Autocorrelation",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool1d_backward",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool2d_backward",
    "autocorrelate",
    "avg_pool1d",
    "avg_pool1d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "conv1d",
    "conv1d_backward",
    "conv2d",
    "conv2d_backward",
    "conv3d",
    "conv3d_backward",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "convolve",
    "correlate",
    "gradcheck",
    "max_pool1d",
    "max_pool1d_backward",
    "max_pool2d",
    "max_pool2d_backward",
    "memory_budget",
    "output_size",
    "pad",
    "same_padding",
    "set_memory_budget",
]
