"""The one place where array libraries are told apart.

Every public function calls :func:`namespace` (or :func:`asarrays`) first and
then computes only through the namespace it returns, so the same code runs on
NumPy, CuPy, PyTorch tensors and ``array_api_strict``.
"""

from __future__ import annotations

import array_api_compat as _compat

__all__ = ["namespace", "asarrays", "device", "is_array", "matmul_into"]


def is_array(obj) -> bool:
    """True for an array of any library that array-api-compat knows."""
    return _compat.is_array_api_obj(obj)


def device(x):
    """The device ``x`` lives on, in the form its library expects back."""
    return _compat.device(x)


def _library(a) -> str:
    return type(a).__module__.split(".")[0]


def namespace(*arrays):
    """Return the array namespace shared by ``arrays`` (``None`` entries and Python scalars skipped).

    Raises
    ------
    TypeError
        If the arrays come from different libraries (for example NumPy and CuPy),
        or if there is no array at all.
    """
    found = [a for a in arrays if is_array(a)]
    if not found:
        # Lists, tuples and scalars are treated as NumPy input, like numpy.convolve does.
        import numpy as np

        return _compat.array_namespace(np.asarray(0.0))
    libraries = sorted({_library(a) for a in found})
    if len(libraries) > 1:
        raise TypeError(
            f"arrays come from different libraries ({', '.join(libraries)}); "
            "convert them to one library first (for example all NumPy or all CuPy)"
        )
    return _compat.array_namespace(*found)


def _promote(xp, a, name):
    dtype = a.dtype
    if dtype in (xp.float32, xp.float64):
        return a
    if xp.isdtype(dtype, "complex floating"):
        raise TypeError(f"{name} has dtype {dtype}; convlab computes with real floats only")
    if xp.isdtype(dtype, ("integral", "bool")):
        # Integers are exact inputs but not exact outputs of a convolution
        # divided by anything, so they are computed in float64, like numpy.convolve on floats.
        return xp.astype(a, xp.float64)
    if xp.isdtype(dtype, "real floating"):  # float16 and friends: compute in float32
        return xp.astype(a, xp.float32)
    raise TypeError(f"{name} has dtype {dtype}; expected a real number dtype")


def asarrays(*arrays, names=None):
    """Return ``(xp, converted)``: the shared namespace and the arrays as real floats.

    ``None`` passes through unchanged. Lists, tuples and scalars are converted
    with the namespace (and onto the device) of the array arguments. Integer and
    boolean input becomes float64; float32 stays float32; if float32 and float64
    meet, both become float64 (the array API's promotion rule).

    Raises
    ------
    TypeError
        Mixed libraries, complex input, or input that is not numeric.
    """
    names = names or [f"argument {i}" for i in range(len(arrays))]
    xp = namespace(*arrays)
    dev = next((device(a) for a in arrays if is_array(a)), None)
    out = []
    for a, name in zip(arrays, names):
        if a is None:
            out.append(None)
            continue
        if not is_array(a):
            if isinstance(a, (str, bytes, dict, set)):
                raise TypeError(f"{name} must be an array, got {type(a).__name__} {a!r}")
            try:
                a = xp.asarray(a, device=dev) if dev is not None else xp.asarray(a)
            except Exception as exc:  # ragged lists, objects, ...
                raise TypeError(f"{name} could not be converted to an array: {exc}") from None
        out.append(_promote(xp, a, name))
    floats = {a.dtype for a in out if a is not None}
    if len(floats) > 1:
        out = [None if a is None else xp.astype(a, xp.float64) for a in out]
    return xp, out


def matmul_into(xp, a, b, out) -> bool:
    """Write ``a @ b`` into ``out`` without a temporary where the library allows it.

    Returns False when it could not (then the caller keeps ``a @ b`` itself).
    Only NumPy's ``matmul`` takes an ``out=`` argument; it saves one full copy
    of every GEMM block.
    """
    if not _compat.is_numpy_namespace(xp):
        return False
    import numpy as np

    np.matmul(a, b, out=out)
    return True
