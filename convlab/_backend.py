"""The one place where array libraries are told apart.

Every public function calls :func:`namespace` (or :func:`asarrays`) first and
then computes only through the namespace it returns, so the same code runs on
NumPy, CuPy, PyTorch tensors and ``array_api_strict``.
"""

from __future__ import annotations

import array_api_compat as _compat

__all__ = ["namespace", "asarrays", "floats", "restore", "device", "is_array", "matmul_into"]


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


def _native(xp, a):
    """``a`` in its platform's byte order (NumPy can hold big-endian data; other libraries cannot)."""
    dtype = getattr(a, "dtype", None)
    if _compat.is_numpy_namespace(xp) and not dtype.isnative:
        return a.astype(dtype.newbyteorder("="))
    return a


def _promote(xp, a, name):
    """``(a_computed, result_dtype)``: the dtype convlab computes ``a`` in and the one it returns.

    The rule, one for every dtype: float32 and float64 are computed and returned
    as they are; half precision (float16, bfloat16) is computed in float32 and
    returned in its own dtype, as PyTorch does on the CPU; integers and bools
    are computed and returned in float64; wider floats (NumPy's longdouble) and
    complex numbers are refused, since convlab computes only in the array API's
    two real floating dtypes.
    """
    a = _native(xp, a)
    dtype = a.dtype
    if dtype == xp.float32 or dtype == xp.float64:
        return a, dtype
    if xp.isdtype(dtype, "complex floating"):
        raise TypeError(f"{name} has dtype {dtype}; convlab computes with real floats only")
    if xp.isdtype(dtype, ("integral", "bool")):
        # Integers are exact inputs but not exact outputs of a convolution
        # divided by anything, so they are computed in float64, like numpy.convolve on floats.
        return xp.astype(a, xp.float64), xp.float64
    if xp.isdtype(dtype, "real floating"):
        bits = _bits(xp, dtype)
        if bits is not None and bits < 32:  # float16, bfloat16: accumulate in float32
            return xp.astype(a, xp.float32), dtype
        raise TypeError(
            f"{name} has dtype {dtype}; convlab computes in float32 or float64 only "
            "(convert it, e.g. x.astype(numpy.float64), and accept the rounding)"
        )
    raise TypeError(f"{name} has dtype {dtype}; expected a real number dtype")


def _bits(xp, dtype):
    try:
        return xp.finfo(dtype).bits
    except Exception:  # dtypes the namespace's finfo does not know
        return None


def _result_dtype(xp, dtypes):
    """The dtype returned for inputs of ``dtypes``: the widest, two different half types give float32."""
    dtypes = list(dict.fromkeys(dtypes))
    if not dtypes:
        return None
    if len(dtypes) == 1:
        return dtypes[0]
    if any(d == xp.float64 for d in dtypes):
        return xp.float64
    return xp.float32


def floats(*arrays, names=None, optional=()):
    """Return ``(xp, converted, result_dtype)``: like :func:`asarrays`, plus the dtype to return.

    ``names`` in ``optional`` may be ``None``; any other ``None`` is a TypeError
    naming the parameter. See :func:`_promote` for the dtype rule.
    """
    names = names or [f"argument {i}" for i in range(len(arrays))]
    for a, name in zip(arrays, names):
        if a is None and name not in optional:
            raise TypeError(f"{name}=None is invalid: expected an array")
    libraries = {_library(a) for a in arrays if is_array(a)}
    if len(libraries) > 1:
        where = ", ".join(f"{name} is {_library(a)}" for a, name in zip(arrays, names) if is_array(a))
        raise TypeError(
            f"arrays come from different libraries ({where}); "
            "convert them to one library first (for example all NumPy or all CuPy)"
        )
    xp = namespace(*arrays)
    dev = next((device(a) for a in arrays if is_array(a)), None)
    out, results = [], []
    for a, name in zip(arrays, names):
        if a is None:
            out.append(None)
            continue
        if not is_array(a):
            if not isinstance(a, (list, tuple, int, float)) or isinstance(a, bool):
                raise TypeError(
                    f"{name} must be an array (or a list of numbers), got {type(a).__name__} {_short(a)}"
                )
            try:
                a = xp.asarray(a, device=dev) if dev is not None else xp.asarray(a)
            except Exception as exc:  # ragged lists, objects, ...
                raise TypeError(
                    f"{name}={_short(a)} could not be converted to an array ({type(a).__name__}): {exc}"
                ) from None
        a, result = _promote(xp, a, name)
        out.append(a)
        results.append(result)
    computed = {a.dtype for a in out if a is not None}
    if len(computed) > 1:
        out = [None if a is None else xp.astype(a, xp.float64) for a in out]
    return xp, out, _result_dtype(xp, results)


def _short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def asarrays(*arrays, names=None):
    """Return ``(xp, converted)``: the shared namespace and the arrays as real floats.

    ``None`` passes through unchanged. Lists, tuples and scalars are converted
    with the namespace (and onto the device) of the array arguments. Integer and
    boolean input becomes float64; float32 stays float32; half precision becomes
    float32; if float32 and float64 meet, both become float64 (the array API's
    promotion rule). :func:`floats` also returns the dtype to give results back in.

    Raises
    ------
    TypeError
        Mixed libraries, complex or longdouble input, or input that is not numeric.
    """
    names = names or [f"argument {i}" for i in range(len(arrays))]
    xp, out, _ = floats(*arrays, names=names, optional=set(names))
    return xp, out


def restore(xp, y, dtype):
    """``y`` in the dtype the caller gets back (a no-op unless the input was half precision)."""
    if y is None or dtype is None or y.dtype == dtype:
        return y
    return xp.astype(y, dtype)


def is_numpy(xp) -> bool:
    """True for NumPy's namespace: the fast paths that need ``out=`` or in-place views check it."""
    return _compat.is_numpy_namespace(xp)


def matmul_into(xp, a, b, out) -> bool:
    """Write ``a @ b`` into ``out`` without a temporary where the library allows it.

    Returns False when it could not (then the caller keeps ``a @ b`` itself).
    Only NumPy's ``matmul`` takes an ``out=`` argument; it saves one full copy
    of every GEMM block.
    """
    if not is_numpy(xp):
        return False
    import numpy as np

    np.matmul(a, b, out=out)
    return True
