"""The optimiser: SGD with momentum and weight decay, as ``torch.optim.SGD``."""

from __future__ import annotations

import math
import numbers

from .._backend import is_array
from ._module import Module, Parameter


class SGD:
    """Stochastic gradient descent with momentum and weight decay, as ``torch.optim.SGD``.

    For each parameter p with gradient g, one ``step()`` does::

        g = g + weight_decay * p
        b = g                  (first step)      b = momentum * b + g   (later steps)
        p = p - lr * b         (with momentum = 0: p = p - lr * g)

    Parameters whose ``.grad`` is None are skipped.

    Parameters
    ----------
    parameters : iterable of Parameter
        Usually ``model.parameters()``.
    lr : float
        Learning rate, > 0.
    momentum, weight_decay : float, default 0.0
        Both >= 0.
    """

    def __init__(self, parameters, lr, momentum=0.0, weight_decay=0.0):
        self.parameters = _check_parameters(parameters)
        self.lr = _check_real(lr, "lr", positive=True)
        self.momentum = _check_real(momentum, "momentum")
        self.weight_decay = _check_real(weight_decay, "weight_decay")
        self._buffers = [None] * len(self.parameters)

    def step(self):
        """Update every parameter that has a gradient."""
        for i, p in enumerate(self.parameters):
            if p.grad is None:
                continue
            g = p.grad
            if not is_array(g):
                raise TypeError(
                    f"SGD.step: parameters[{i}].grad={g!r} is invalid: expected an array or None"
                )
            if tuple(g.shape) != tuple(p.value.shape):
                # Broadcasting a wrong-shaped gradient would silently change every entry.
                raise ValueError(
                    f"SGD.step: parameters[{i}].grad of shape {tuple(g.shape)} is invalid: "
                    f"expected the parameter's shape {tuple(p.value.shape)}"
                )
            if self.weight_decay:
                g = g + self.weight_decay * p.value
            if self.momentum:
                b = self._buffers[i]
                b = g if b is None else self.momentum * b + g
                self._buffers[i] = b
                g = b
            p.value = p.value - self.lr * g

    def zero_grad(self):
        """Set every parameter's ``.grad`` to None."""
        for p in self.parameters:
            p.grad = None


def _check_parameters(parameters):
    """``parameters`` as a list of distinct :class:`Parameter`, or a TypeError/ValueError naming it."""
    what = "an iterable of convlab.nn.Parameter, such as model.parameters()"
    if isinstance(parameters, Module):
        shown = repr(parameters)
        if "\n" in shown or len(shown) > 60:
            shown = f"<{type(parameters).__name__} module>"
        raise TypeError(
            f"parameters={shown} is invalid: expected an iterable of convlab.nn.Parameter; "
            "pass the module's parameters, model.parameters(), not the module itself"
        )
    if isinstance(parameters, Parameter) or isinstance(parameters, (str, bytes, dict)) or parameters is None:
        raise TypeError(f"parameters={parameters!r} is invalid: expected {what}")
    try:
        found = list(parameters)
    except TypeError:
        raise TypeError(
            f"parameters={parameters!r} is invalid: expected {what}, got {type(parameters).__name__}"
        ) from None
    if not found:
        raise ValueError("SGD got an empty parameter list: parameters=[] is invalid, expected at least one Parameter")
    seen = {}
    for i, p in enumerate(found):
        if not isinstance(p, Parameter):
            raise TypeError(f"parameters[{i}]={p!r} is invalid: expected a convlab.nn.Parameter")
        if id(p) in seen:
            # It would be updated twice per step (PyTorch warns that this will become an error).
            raise ValueError(
                f"parameters[{i}]={p!r} is invalid: it is parameters[{seen[id(p)]}] again; "
                "list each Parameter once"
            )
        seen[id(p)] = i
    return found


def _check_real(value, name, positive=False):
    """``value`` as a finite float >= 0 (> 0 with ``positive``), or TypeError/ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}={value!r} is invalid: {name} must be a real number")
    if not math.isfinite(value):
        raise ValueError(f"{name}={value!r} is invalid: {name} must be finite")
    if positive and value <= 0:
        raise ValueError(f"{name}={value!r} is invalid: {name} must be > 0")
    if value < 0:
        raise ValueError(f"{name}={value!r} is invalid: {name} must be >= 0")
    return float(value)
