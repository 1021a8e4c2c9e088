"""Layers, losses and an optimiser, small enough to read in one sitting.

Each layer is a :class:`Module` with a ``forward`` that stores what its
gradient needs and a ``backward`` right next to it that turns the gradient of
the loss with respect to the layer's output into the gradient with respect to
its input, adding the gradients of its parameters into ``Parameter.grad`` on
the way. There is no autograd graph: :class:`Sequential` simply calls the
``backward`` methods in reverse order, as the chain rule says.

Initialisation, shapes and update rules follow PyTorch (``torch.nn.Conv1d``,
``torch.nn.Linear``, ``torch.optim.SGD``), so a model built here and one built
there with the same weights compute the same numbers.

Compute goes through the array namespace of the inputs, so a model moved with
``model.to(xp)`` runs on that library (CuPy, PyTorch, ``array_api_strict``).
NumPy is used only to draw the initial weights from a seeded
``numpy.random.Generator``.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> model = Sequential(Conv1d(1, 2, 3, rng=rng), ReLU(), Flatten(), Linear(2 * 6, 1, rng=rng))
>>> x = rng.standard_normal((4, 1, 8))
>>> loss_fn = MSELoss()
>>> loss = loss_fn(model(x), np.zeros((4, 1)))
>>> grad_x = model.backward(loss_fn.backward())
>>> grad_x.shape, model.parameters()[0].grad.shape
((4, 1, 8), (2, 1, 3))
"""

from ._init import kaiming_uniform
from ._layers import Conv1d, Conv2d, Flatten, Linear, ReLU
from ._losses import CrossEntropyLoss, MSELoss
from ._module import Module, Parameter, Sequential
from ._optim import SGD
from ._pool import AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d

__all__ = [
    "Parameter",
    "Module",
    "Conv1d",
    "Conv2d",
    "ReLU",
    "Linear",
    "Flatten",
    "Sequential",
    "MSELoss",
    "CrossEntropyLoss",
    "SGD",
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "kaiming_uniform",
]

# The classes live in private modules; name the public path (convlab.nn.ReLU, not
# convlab.nn._layers.ReLU) in default reprs, pickles and generated docs, as before the split.
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
