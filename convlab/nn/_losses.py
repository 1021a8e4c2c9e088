"""Losses: a ``forward(pred, target)`` that returns a 0-d array and a ``backward()`` with no argument.

A loss ends the chain, so its ``backward`` starts it: ``dL/dL = 1`` is implied
and the gradient with respect to the prediction is returned.
"""

from __future__ import annotations

import math

from .._backend import asarrays, device, namespace
from ._module import Module


class MSELoss(Module):
    """Mean squared error, ``torch.nn.MSELoss()``: L = mean((pred - target)^2).

    ``forward(pred, target)`` returns a 0-d array; ``backward()`` returns
    ``dL/dpred = 2 (pred - target) / numel``.
    """

    def forward(self, pred, target):
        if tuple(pred.shape) != tuple(getattr(target, "shape", ())):
            raise ValueError(
                f"MSELoss got pred of shape {tuple(pred.shape)} and target of shape "
                f"{tuple(getattr(target, 'shape', ()))}; they must match"
            )
        xp, (pred, target) = asarrays(pred, target, names=["pred", "target"])
        diff = pred - target
        self._cache = diff
        # asarray: NumPy reductions return a scalar, the contract is a 0-d array
        return xp.asarray(xp.mean(diff * diff))

    def backward(self):
        diff = self._saved()
        return diff * (2.0 / math.prod(diff.shape))


class CrossEntropyLoss(Module):
    """Softmax cross-entropy over classes, ``torch.nn.CrossEntropyLoss()``.

    .. math:: L = -\\frac{1}{N} \\sum_n \\log \\operatorname{softmax}(z_n)[t_n]
                = \\frac{1}{N} \\sum_n \\left(\\operatorname{logsumexp}(z_n) - z_n[t_n]\\right)

    ``forward(logits, labels)`` takes logits of shape ``(N, K)`` and integer
    class indices of shape ``(N,)`` and returns a 0-d array; ``backward()``
    returns ``dL/dlogits = (softmax(z) - onehot(t)) / N``. The log-sum-exp is
    computed after subtracting each row's maximum, so large logits do not overflow.
    """

    def forward(self, logits, labels):
        xp = namespace(logits, labels)
        if logits.ndim != 2:
            raise ValueError(f"CrossEntropyLoss expected logits of shape (N, K), got shape {tuple(logits.shape)}")
        n, k = logits.shape
        if not xp.isdtype(labels.dtype, "integral"):
            raise TypeError(f"CrossEntropyLoss expected integer class labels, got dtype {labels.dtype}")
        if tuple(labels.shape) != (n,):
            raise ValueError(
                f"CrossEntropyLoss expected labels of shape ({n},) for logits of shape {tuple(logits.shape)}, "
                f"got shape {tuple(labels.shape)}"
            )
        if n and (bool(xp.any(labels < 0)) or bool(xp.any(labels >= k))):
            raise ValueError(f"CrossEntropyLoss labels must be class indices in [0, {k - 1}] (K={k} classes)")
        xp, (logits,) = asarrays(logits, names=["logits"])
        shifted = logits - xp.max(logits, axis=1, keepdims=True)
        log_probs = shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))
        classes = xp.arange(k, device=device(labels))
        onehot = xp.astype(labels[:, None] == classes[None, :], log_probs.dtype)
        self._cache = (log_probs, onehot)
        return xp.asarray(-xp.sum(onehot * log_probs) / n)

    def backward(self):
        log_probs, onehot = self._saved()
        xp = namespace(log_probs)
        return (xp.exp(log_probs) - onehot) / log_probs.shape[0]
