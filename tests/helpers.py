"""Small helpers shared by the layer tests: seeded inputs and one comparison."""

from __future__ import annotations

import numpy as np

DEFAULT_SPATIAL = {1: (11,), 2: (7, 6), 3: (5, 4, 5)}
DEFAULT_KERNEL = {1: (3,), 2: (3, 2), 3: (2, 3, 2)}


def make(rng, nd, *, n=2, c_in=4, c_out=6, groups=1, spatial=None, kernel=None, bias=True, transposed=False):
    """Seeded ``x (N, C_in, *S)``, ``w`` and ``b``.

    ``w`` is ``(C_out, C_in/groups, *k)``, or with ``transposed=True`` the
    transposed-convolution layout ``(C_in, C_out/groups, *k)``.
    """
    spatial = spatial or DEFAULT_SPATIAL[nd]
    kernel = kernel or DEFAULT_KERNEL[nd]
    x = rng.standard_normal((n, c_in) + tuple(spatial))
    w_lead = (c_in, c_out // groups) if transposed else (c_out, c_in // groups)
    w = rng.standard_normal(w_lead + tuple(kernel))
    b = rng.standard_normal(c_out) if bias else None
    return x, w, b


def to_xp(xp, *arrays):
    return [None if a is None else xp.asarray(a) for a in arrays]


def check(xp, out, expected, dtype=np.float64, tol=1e-11):
    """``out`` is a native array of ``dtype`` equal to ``expected``."""
    assert xp.is_native(out), f"output left the {xp.name} namespace: {type(out)}"
    got = xp.to_numpy(out)
    assert got.dtype == dtype, f"dtype {got.dtype}, expected {np.dtype(dtype)}"
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)
