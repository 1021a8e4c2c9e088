"""The base classes: Parameter (an array and its gradient), Module, and Sequential."""

from __future__ import annotations

from .._backend import asarrays, is_array, namespace

# Values that are never an array, though NumPy would wrap some of them (a str, a dict)
# in a 0-d object array: refused up front, so the message names the parameter.
_NOT_ARRAYS = (str, bytes, dict, set, frozenset)


def _short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def as_array(value, name, owner, expected, like=None, like_what="the last forward's input"):
    """``(xp, array)``: ``value`` as a real float array, or a TypeError naming ``owner``, ``name`` and the value.

    Arrays keep their library; lists, tuples and Python numbers are converted as
    the functional API converts them (NumPy, or the library and device of ``like``).
    An array of another library than ``like`` (``like_what`` in the message) is a
    TypeError. ``expected`` is the shape in words, for the message (None: any shape).
    """
    convertible = is_array(value) or (
        isinstance(value, (list, tuple, int, float)) and not isinstance(value, (bool, *_NOT_ARRAYS))
    )
    if value is None or not convertible:
        raise TypeError(
            f"{owner}: {name}={_short(value)} is invalid: expected an array"
            f"{'' if expected is None else f' of shape {expected}'}, got {type(value).__name__}"
        )
    if is_array(value) and like is not None:
        try:
            namespace(value, like)
        except TypeError:
            raise TypeError(
                f"{owner}: {name} of type {type(value).__module__}.{type(value).__name__} is invalid: "
                f"expected a {type(like).__module__.split('.')[0]} array, the library of {like_what}"
            ) from None
    if is_array(value) or like is None:
        xp, (a,) = asarrays(value, names=[f"{owner}: {name}"])
    else:  # a list meets the library and device of ``like``
        xp, (a, _) = asarrays(value, like, names=[f"{owner}: {name}", "stored"])
    return xp, a


# For a layer's input: the parameters' library.
PARAMETERS_LIBRARY = "the layer's parameters (move the model with model.to(xp))"


class Parameter:
    """A trainable array and the gradient of the loss with respect to it.

    Attributes
    ----------
    value : array
        The current value.
    grad : array or None
        The accumulated gradient ``dL/dvalue`` (same shape as ``value``),
        or None before the first ``backward`` and after ``zero_grad``.
    """

    def __init__(self, value):
        if not is_array(value):
            _, value = as_array(value, "value", "Parameter", None)
        self.value = value
        self.grad = None

    def accumulate(self, grad):
        """Add ``grad`` into ``.grad``: a parameter used twice gets the sum of both gradients."""
        shape = tuple(self.value.shape)
        _, grad = as_array(grad, "grad", "Parameter.accumulate", shape, like=self.value, like_what="the value")
        if tuple(grad.shape) != shape:
            # Broadcasting would silently add a wrong-shaped gradient into every entry.
            raise ValueError(
                f"Parameter.accumulate: grad of shape {tuple(grad.shape)} is invalid: "
                f"expected the parameter's shape {shape}"
            )
        if grad.dtype != self.value.dtype:
            # float64 input meeting a float32 layer computes in float64; casting the
            # gradient back keeps the optimiser from silently turning the parameter float64.
            grad = namespace(grad).astype(grad, self.value.dtype)
        self.grad = grad if self.grad is None else self.grad + grad

    def __repr__(self):
        return f"Parameter(shape={tuple(self.value.shape)}, dtype={self.value.dtype})"


class Module:
    """Base class: ``forward`` computes, ``backward`` propagates a gradient back through it.

    ``module(x)`` is ``module.forward(x)``. ``backward(grad_out)`` must follow a
    ``forward``; it returns ``grad_in`` and adds parameter gradients into their
    ``.grad`` (call :meth:`zero_grad` between steps, as in PyTorch).
    """

    # What the last forward stored for the backward; None until then, so that a
    # backward without a forward fails with a clear message (see _saved).
    _cache = None

    def __call__(self, *inputs):
        return self.forward(*inputs)

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__}.forward is not defined: a Module subclass defines it")

    def backward(self, grad_out):
        raise NotImplementedError(f"{type(self).__name__}.backward is not defined: a Module subclass defines it")

    def parameters(self):
        """All :class:`Parameter` objects of this module and its children, in definition order.

        A parameter shared by two layers (tied weights) is listed once, as in
        PyTorch, so that an optimiser updates it once per step.
        """
        found = []
        for value in vars(self).values():
            items = value if isinstance(value, (list, tuple)) else [value]
            for item in items:
                if isinstance(item, Parameter):
                    found.append(item)
                elif isinstance(item, Module):
                    found.extend(item.parameters())
        return list({id(p): p for p in found}.values())

    def zero_grad(self):
        """Forget accumulated gradients (set every ``.grad`` to None, PyTorch's default)."""
        for p in self.parameters():
            p.grad = None

    def to(self, xp, device=None):
        """Move every parameter to the array library ``xp`` (and ``device``), in place.

        Parameters
        ----------
        xp : array namespace
            For example ``array_api_compat.torch``, ``cupy`` or ``array_api_strict``;
            the values are converted with ``xp.asarray``.
        device : optional
            A device of that library, for example ``"cuda"`` for torch.

        Returns
        -------
        self
            So that ``model = Sequential(...).to(cupy)`` reads naturally.

        Notes
        -----
        The :class:`Parameter` objects stay the same objects, so an optimiser
        built before ``to`` still sees them; its momentum buffers, though, stay
        where they were: build the optimiser after moving the model.
        """
        if not callable(getattr(xp, "asarray", None)):
            raise TypeError(
                f"xp={_short(xp)} is invalid: expected an array namespace with an asarray function, "
                "for example array_api_compat.torch or cupy"
            )
        kwargs = {} if device is None else {"device": device}
        for p in self.parameters():
            p.value = xp.asarray(p.value, **kwargs)
            if p.grad is not None:
                p.grad = xp.asarray(p.grad, **kwargs)
        return self

    def _saved(self):
        """What the last ``forward`` stored, or a RuntimeError if there was none."""
        if self._cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward() was called before forward(): "
                "run the forward pass first, it stores what the gradient needs"
            )
        return self._cache

    def _grad_out(self, grad_out, expected, like):
        """``(xp, grad_out)`` as an array of the shape ``expected`` that the last forward returned.

        ``like`` is an array the forward stored: a list ``grad_out`` is put in its
        library, and an array from another library is a TypeError.
        """
        owner = f"{type(self).__name__}.backward"
        xp, g = as_array(grad_out, "grad_out", owner, tuple(expected), like=like)
        if tuple(g.shape) != tuple(expected):
            raise ValueError(
                f"{owner} got grad_out of shape {tuple(g.shape)}, "
                f"but the last forward returned shape {tuple(expected)}"
            )
        return xp, g

    def _check_grad_shape(self, grad_out, expected):
        """TypeError unless ``grad_out`` is an array, ValueError unless it has the shape ``expected``."""
        owner = f"{type(self).__name__}.backward"
        _, g = as_array(grad_out, "grad_out", owner, tuple(expected))
        if tuple(g.shape) != tuple(expected):
            raise ValueError(
                f"{owner} got grad_out of shape {tuple(g.shape)}, "
                f"but the last forward returned shape {tuple(expected)}"
            )


class Sequential(Module):
    """Layers applied in order; the gradient flows back through them in reverse (the chain rule).

    forward:  y = f_n(...f_2(f_1(x)))
    backward: grad_x = J_1^T (J_2^T (... J_n^T grad_y))
    """

    def __init__(self, *layers):
        seen = {}
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"layers[{i}]={layer!r} is invalid: expected a convlab.nn.Module")
            for inner in _modules(layer):
                if id(inner) in seen:
                    # A module keeps its last forward's input for backward: a second use would
                    # overwrite what the first use's gradient needs, and the gradient would be wrong.
                    raise ValueError(
                        f"layers[{i}]={inner!r} is invalid: the same module object is already in "
                        f"layers[{seen[id(inner)]}]; use a new instance (to share weights, give it the "
                        "same Parameter objects)"
                    )
                seen[id(inner)] = i
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, grad_out):
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def __repr__(self):
        inner = "".join(f"\n  {layer!r}," for layer in self.layers)
        return f"Sequential({inner}\n)"


def _modules(module):
    """``module`` and every module inside it."""
    yield module
    for value in vars(module).values():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, Module):
                yield from _modules(item)
