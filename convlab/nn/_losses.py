"""Losses: a ``forward(pred, target)`` that returns a 0-d array and a ``backward()`` with no argument.

A loss ends the chain, so its ``backward`` starts it: ``dL/dL = 1`` is implied
and the gradient with respect to the prediction is returned.
"""

from __future__ import annotations

import math

from .._backend import asarrays, device, is_array, namespace
from ._module import Module, _short, as_array


class MSELoss(Module):
    """Mean squared error, ``torch.nn.MSELoss()``: L = mean((pred - target)^2).

    ``forward(pred, target)`` returns a 0-d array; ``backward()`` returns
    ``dL/dpred = 2 (pred - target) / numel``. ``pred`` and ``target`` must have
    the same shape (PyTorch broadcasts them with a warning; that is almost always
    a bug). Empty input gives NaN, as in PyTorch.
    """

    def forward(self, pred, target):
        xp, pred = as_array(pred, "pred", "MSELoss", None)
        _, target = as_array(target, "target", "MSELoss", f"{tuple(pred.shape)} (the shape of pred)", like=pred)
        if tuple(pred.shape) != tuple(target.shape):
            raise ValueError(
                f"MSELoss got pred of shape {tuple(pred.shape)} and target of shape "
                f"{tuple(target.shape)}; they must match"
            )
        xp, (pred, target) = asarrays(pred, target, names=["pred", "target"])
        diff = pred - target
        self._cache = diff
        if math.prod(diff.shape) == 0:  # the mean of nothing, without NumPy's warning
            return xp.full((), math.nan, dtype=diff.dtype, device=device(diff))
        # asarray: NumPy reductions return a scalar, the contract is a 0-d array
        return xp.asarray(xp.mean(diff * diff))

    def backward(self):
        diff = self._saved()
        count = math.prod(diff.shape)
        return diff * (2.0 / count) if count else diff * 1.0


class CrossEntropyLoss(Module):
    """Softmax cross-entropy over classes, ``torch.nn.CrossEntropyLoss()``.

    .. math:: L = -\\frac{1}{N} \\sum_n \\log \\operatorname{softmax}(z_n)[t_n]
                = \\frac{1}{N} \\sum_n \\left(\\operatorname{logsumexp}(z_n) - z_n[t_n]\\right)

    ``forward(logits, labels)`` takes logits of shape ``(N, K)`` and integer
    class indices of shape ``(N,)`` (or one unbatched sample: ``(K,)`` and a 0-d
    label, as PyTorch) and returns a 0-d array; ``backward()`` returns
    ``dL/dlogits = (softmax(z) - onehot(t)) / N`` in the shape of ``logits``. The
    log-sum-exp is computed after subtracting each row's maximum, so large logits
    do not overflow, and only the target's log-probability enters the sum, so a
    masked logit of ``-inf`` elsewhere in the row gives a finite loss, as in PyTorch.
    An empty batch gives NaN, as in PyTorch.
    """

    def forward(self, logits, labels):
        owner = "CrossEntropyLoss"
        xp, logits = as_array(logits, "logits", owner, "(N, K) or unbatched (K,)")
        labels = _labels(xp, labels, logits, owner)
        unbatched = logits.ndim == 1
        if unbatched:
            if labels.ndim != 0:
                raise ValueError(
                    f"{owner} expected a 0-d label for unbatched logits of shape {tuple(logits.shape)}, "
                    f"got labels of shape {tuple(labels.shape)}"
                )
            logits, labels = logits[None, :], xp.reshape(labels, (1,))
        if logits.ndim != 2:
            raise ValueError(
                f"{owner} expected logits of shape (N, K) or unbatched (K,), got logits of shape {tuple(logits.shape)}"
            )
        n, k = logits.shape
        if k == 0:
            raise ValueError(f"{owner}: logits of shape {tuple(logits.shape)} is invalid: expected K >= 1 classes")
        if tuple(labels.shape) != (n,):
            raise ValueError(
                f"{owner} expected labels of shape ({n},) for logits of shape {tuple(logits.shape)}, "
                f"got shape {tuple(labels.shape)}"
            )
        bad = (labels < 0) | (labels >= k)
        if n and bool(xp.any(bad)):
            i = int(xp.argmax(xp.astype(bad, xp.int8)))
            raise ValueError(
                f"{owner}: labels[{i}]={int(labels[i])} is invalid: "
                f"labels must be class indices in [0, {k - 1}] (K={k} classes)"
            )
        shifted = logits - xp.max(logits, axis=1, keepdims=True)
        log_probs = shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))
        classes = xp.arange(k, device=device(labels))
        target = labels[:, None] == classes[None, :]
        self._cache = (log_probs, xp.astype(target, log_probs.dtype), unbatched)
        if n == 0:  # the mean of nothing, without NumPy's warning
            return xp.full((), math.nan, dtype=log_probs.dtype, device=device(log_probs))
        # Pick the target's log-probability with where, not onehot * log_probs: 0 * -inf is NaN.
        picked = xp.where(target, log_probs, xp.zeros_like(log_probs))
        return xp.asarray(-xp.sum(picked) / n)

    def backward(self):
        log_probs, onehot, unbatched = self._saved()
        xp = namespace(log_probs)
        grad = (xp.exp(log_probs) - onehot) / max(log_probs.shape[0], 1)
        return grad[0, ...] if unbatched else grad


def _labels(xp, labels, logits, owner):
    """``labels`` as an integer array of the library and device of ``logits``, or a named TypeError."""
    if not is_array(labels):
        ok = isinstance(labels, (list, tuple, int)) and not isinstance(labels, bool)
        if not ok:
            raise TypeError(
                f"{owner}: labels={_short(labels)} is invalid: expected an array of integer class indices, "
                f"got {type(labels).__name__}"
            )
        try:
            labels = xp.asarray(labels, device=device(logits))
        except Exception as exc:  # ragged lists, ...
            raise TypeError(f"{owner}: labels={_short(labels)} could not be converted to an array: {exc}") from None
    namespace(logits, labels)  # TypeError if they come from different libraries
    if not xp.isdtype(labels.dtype, "integral"):
        raise TypeError(f"{owner} expected integer class labels, got labels of dtype {labels.dtype}")
    return labels
