"""Small helpers shared by the layer tests: seeded inputs and one comparison."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from reference import PADDING_MODES, padding_pairs_naive

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


@st.composite
def conv_problems(
    draw,
    nds=(1, 2),
    modes=PADDING_MODES,
    dtypes=(np.float64, np.float32),
    kernel_range=(1, 3),
    max_pad=2,
    extra=4,
    user_spelling=True,
):
    """Hypothesis: ``(nd, x, w, b, keywords, rng)`` for a valid convolution.

    Shapes, strides, dilations, groups, padding forms (pairs, ints, "same",
    "valid") and modes are drawn; the input is made just long enough for the
    kernel and the mode's limits, plus up to ``extra`` samples per axis (an int,
    or a dict by number of axes). With ``user_spelling`` a tuple of equal
    values is sometimes passed as one int, as a user might write it.
    """
    nd = draw(st.sampled_from(nds))
    mode = draw(st.sampled_from(modes))
    dtype = draw(st.sampled_from(dtypes))
    groups = draw(st.integers(1, 2))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    n = draw(st.integers(1, 2))
    form = draw(st.sampled_from(["pairs", "ints", "same", "valid"]))
    kernel = tuple(draw(st.integers(*kernel_range)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    stride = (1,) * nd if form == "same" else tuple(draw(st.integers(1, 3)) for _ in range(nd))
    if form == "pairs":
        padding = tuple((draw(st.integers(0, max_pad)), draw(st.integers(0, max_pad))) for _ in range(nd))
    elif form == "ints":
        padding = tuple(draw(st.integers(0, 2)) for _ in range(nd))
    else:
        padding = form
    pairs = padding_pairs_naive(padding, kernel, dilation, stride)
    spare = extra[nd] if isinstance(extra, dict) else extra
    spatial = []
    for k, d, (pl, pr) in zip(kernel, dilation, pairs):
        low = max(1, d * (k - 1) + 1 - pl - pr)
        if mode == "reflect":
            low = max(low, max(pl, pr) + 1)
        elif mode in ("circular", "symmetric"):
            low = max(low, pl, pr)
        spatial.append(draw(st.integers(low, low + spare)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((n, c_in, *spatial)).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, *kernel)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype) if draw(st.booleans()) else None

    def spell(t):
        return t[0] if user_spelling and len(set(t)) == 1 and draw(st.booleans()) else t

    kw = dict(stride=spell(stride), padding=padding, dilation=spell(dilation), groups=groups, padding_mode=mode)
    return nd, x, w, b, kw, rng


@st.composite
def transpose_problems(draw, nds=(1, 2), max_len=4, dtypes=(np.float64,)):
    """Hypothesis: ``(nd, x, w, b, keywords)`` for a valid transposed convolution.

    ``w`` has the transposed layout ``(C_in, C_out/groups, *k)``; ``output_padding``
    stays below ``max(stride, dilation)`` and ``padding`` keeps at least one output sample.
    """
    nd = draw(st.sampled_from(nds))
    groups = draw(st.integers(1, 2))
    c_in = groups * draw(st.integers(1, 2))
    og = draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    spatial = tuple(draw(st.integers(1, max_len)) for _ in range(nd))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    padding = []
    for n, k, s, d, op in zip(spatial, kernel, stride, dilation, output_padding):
        full = (n - 1) * s + d * (k - 1) + op + 1
        padding.append(draw(st.integers(0, (full - 1) // 2)))
    dtype = draw(st.sampled_from(dtypes))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((draw(st.integers(1, 2)), c_in, *spatial)).astype(dtype)
    w = rng.standard_normal((c_in, og, *kernel)).astype(dtype)
    b = rng.standard_normal(groups * og).astype(dtype) if draw(st.booleans()) else None
    kw = dict(stride=stride, padding=tuple(padding), output_padding=output_padding, dilation=dilation, groups=groups)
    return nd, x, w, b, kw
