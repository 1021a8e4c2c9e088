"""Shared fixtures: the array backends every convlab test runs on.

``xp`` covers NumPy and array_api_strict on every machine, CuPy when a GPU is
present (``cupy.cuda.is_available()``) and PyTorch tensors when torch is
installed. Tests build their data with NumPy (seeded) and move it with
``to_xp``; results come back with ``to_numpy`` for comparison.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

SEED = 20241124


def _cupy_ok() -> bool:
    if importlib.util.find_spec("cupy") is None:
        return False
    try:
        import cupy

        return bool(cupy.cuda.is_available())
    except Exception:
        return False


def _backend_params():
    params = [pytest.param("numpy", id="numpy"), pytest.param("array_api_strict", id="strict")]
    params.append(
        pytest.param(
            "cupy", id="cupy", marks=pytest.mark.skipif(not _cupy_ok(), reason="no CUDA device for CuPy")
        )
    )
    params.append(
        pytest.param(
            "torch",
            id="torch",
            marks=pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed"),
        )
    )
    return params


def namespace_of(name: str):
    if name == "numpy":
        import array_api_compat.numpy as xp
    elif name == "array_api_strict":
        import array_api_strict as xp
    elif name == "cupy":
        import array_api_compat.cupy as xp
    else:
        import array_api_compat.torch as xp
    return xp


class Backend:
    """One array library: its namespace plus conversions to and from NumPy."""

    def __init__(self, name: str):
        self.name = name
        self.ns = namespace_of(name)

    def __repr__(self):
        return f"Backend({self.name})"

    def asarray(self, a, dtype=None):
        a = np.asarray(a, dtype=dtype)
        if self.name == "torch":
            import torch

            return torch.from_numpy(np.ascontiguousarray(a))
        if self.name == "cupy":
            import cupy

            return cupy.asarray(a)
        return self.ns.asarray(a)

    def to_numpy(self, a):
        if a is None:
            return None
        if self.name == "torch":
            return a.detach().cpu().numpy()
        if self.name == "cupy":
            return a.get()
        if self.name == "array_api_strict":
            return np.from_dlpack(a)
        return np.asarray(a)

    def is_native(self, a) -> bool:
        """True when ``a`` is an array of this backend (output stayed in the input's library)."""
        import array_api_compat

        if self.name == "array_api_strict":
            return type(a).__module__.startswith("array_api_strict")
        if self.name == "numpy":
            return isinstance(a, np.ndarray)
        if self.name == "torch":
            return array_api_compat.is_torch_array(a)
        return array_api_compat.is_cupy_array(a)


@pytest.fixture(params=_backend_params())
def xp(request):
    """A :class:`Backend`; ``xp.asarray(numpy_array)`` / ``xp.to_numpy(result)``."""
    return Backend(request.param)


@pytest.fixture
def rng():
    return np.random.default_rng(SEED)
