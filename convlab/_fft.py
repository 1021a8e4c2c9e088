"""The FFT path: overlap-add convolution for long kernels (1-D).

Convolving with an ``n``-tap kernel costs ``n`` multiply-adds per output
directly, but about ``log(nfft)`` per output through the FFT, which wins once
``n`` reaches a few dozen. One FFT of a whole long signal would be large and
its length awkward, so the signal is cut into segments of ``B`` samples, each
segment is convolved through an FFT of ``nfft = B + n - 1`` points, and the
``n - 1``-sample tails that spill into the next segment are added on
("overlap-add", as ``scipy.signal.oaconvolve`` does). Channels are summed in
the frequency domain: for every frequency the channel mixing is one small
matrix product.
"""

from __future__ import annotations


from ._backend import device, is_numpy
from ._memory import usable

__all__ = ["full_convolution"]


def _segment_length(taps: int, length: int) -> tuple[int, int]:
    """``(nfft, B)``: an FFT size (a power of two) about 4 times the kernel, and the segment it fits."""
    whole = 1 << (length + taps - 2).bit_length()  # one FFT for the whole signal
    nfft = min(whole, max(64, 1 << (4 * taps - 1).bit_length()))
    return nfft, nfft - taps + 1


def full_convolution(xp, x, h):
    """``out[n, o] = sum_c x[n, c] * h[o, c]`` (full linear convolution), all ``L + K - 1`` samples.

    ``x`` is ``(N, C, L)``, ``h`` is ``(O, C, K)``; the result is ``(N, O, L + K - 1)``
    in the dtype of ``x``.
    """
    n, c, length = x.shape
    o, _, taps = h.shape
    nfft, seg = _segment_length(taps, length)
    total = length + taps - 1
    n_seg = -(-length // seg)
    rfft, irfft = _transforms(xp, n * max(c, o) * n_seg * nfft * max(1, nfft.bit_length()))
    # Spectrum of the kernel, laid out (F, C, O) for the per-frequency channel mixing.
    h_f = xp.permute_dims(rfft(h, n=nfft, axis=-1), (2, 1, 0))
    out = xp.zeros((n, o, n_seg * seg + taps - 1), dtype=x.dtype, device=device(x))
    # Scratch of one segment, counted generously (every temporary of the loop below as
    # if all were alive at once): the segment and its zero-padded copy inside rfft,
    # the input spectra and their transposed copy, the mixed spectra, the nfft-point
    # results and the heads/tails of the overlap-add. The kernel's spectrum is paid once.
    itemsize = xp.finfo(x.dtype).bits // 8
    per_segment = n * (4 * c + 4 * o) * nfft * itemsize
    spectrum = o * c * (nfft // 2 + 1) * 2 * itemsize
    chunk = max(1, (usable() - spectrum) // max(1, per_segment))
    whole = length // seg  # segments that need no zeros: reshaped views of x, no copy
    starts = [(s0, min(whole, s0 + chunk)) for s0 in range(0, whole, chunk)]
    if whole < n_seg:  # the last, short segment alone: zeros to a whole segment (a copy of < seg samples)
        starts.append((whole, n_seg))
    add = _overlap_add_numpy if is_numpy(xp) else _overlap_add
    for s0, s1 in starts:
        piece = x[..., s0 * seg : min(length, s1 * seg)]
        short = (s1 - s0) * seg - piece.shape[-1]
        if short:
            piece = xp.concat([piece, xp.zeros((n, c, short), dtype=x.dtype, device=device(x))], axis=-1)
        x_f = rfft(xp.reshape(piece, (n, c, s1 - s0, seg)), n=nfft, axis=-1)  # (N, C, S, F)
        del piece
        if c == 1:  # one input channel: a plain product, not millions of 1 x 1 matrix products
            y_f = x_f * xp.permute_dims(h_f[:, 0, :], (1, 0))[None, :, None, :]
        else:
            mixed = xp.permute_dims(x_f, (0, 2, 3, 1))[..., None, :] @ h_f  # (N, S, F, 1, C) @ (F, C, O)
            y_f = xp.permute_dims(mixed[..., 0, :], (0, 3, 1, 2))  # (N, O, S, F)
            del mixed
        del x_f
        y = xp.astype(irfft(y_f, n=nfft, axis=-1), x.dtype, copy=False)  # (N, O, S, nfft)
        del y_f
        add(xp, out, y, s0 * seg, seg)
        del y
    return out[..., :total]


def _transforms(xp, work):
    """``(rfft, irfft)``: SciPy's on NumPy arrays when SciPy is installed, else the library's own.

    Measured here (float32, 140 rows of 8192 points, one thread): ``scipy.fft``
    took 4.0 ms for rfft + irfft where ``numpy.fft`` took 7.2 (both are
    pocketfft; SciPy's keeps float32 in float32 and caches its plans). SciPy also
    splits the rows over threads (``workers``), as many as :mod:`convlab._parallel`
    would start for the layers.
    """
    if is_numpy(xp):
        try:
            import scipy.fft as sfft
        except ImportError:  # optional: numpy.fft gives the same numbers, more slowly
            pass
        else:
            from . import _parallel

            workers = _parallel.workers(xp, 2, work)

            def rfft(a, n, axis):
                return sfft.rfft(a, n=n, axis=axis, workers=workers)

            def irfft(a, n, axis):
                return sfft.irfft(a, n=n, axis=axis, workers=workers)

            return rfft, irfft
    return xp.fft.rfft, xp.fft.irfft


def _overlap_add_numpy(np, out, y, start, seg):
    """:func:`_overlap_add` in place on NumPy: ``out``'s segments as a reshaped view, no temporaries.

    Measured (1e6 samples, 1025 taps, float32): the copies of the generic version
    (heads, zero-padded tails, the sums) took 9 of 25 ms; the FFTs took 11.
    """
    n, o, s, nfft = y.shape
    tail = nfft - seg
    if tail > seg:  # a long kernel on a short signal: the generic loop
        return _overlap_add(np, out, y, start, seg)
    heads = np.reshape(out[..., start : start + s * seg], (n, o, s, seg))  # a view: splits one axis
    heads += y[..., :seg]
    if tail == 0:
        return None
    if s > 1:  # tail of segment i onto the head of segment i + 1
        nxt = np.reshape(out[..., start + seg : start + s * seg], (n, o, s - 1, seg))
        nxt[..., :tail] += y[:, :, : s - 1, seg:]
    last = start + s * seg
    out[..., last : last + tail] += y[:, :, s - 1, seg:]
    return None


def _overlap_add(xp, out, y, start, seg):
    """Add segment results ``y`` (N, O, S, nfft) into ``out`` at ``start + i * seg``."""
    n, o, s, nfft = y.shape
    heads = xp.reshape(y[..., :seg], (n, o, s * seg))
    stop = start + s * seg
    out[..., start:stop] = out[..., start:stop] + heads
    tail = nfft - seg
    if tail == 0:
        return
    if tail <= seg:
        # The tail of segment i lands on the head of segment i + 1: pad every tail to a whole
        # segment and add them all, shifted by one segment, in a single operation.
        zeros = xp.zeros((n, o, s, seg - tail), dtype=y.dtype, device=device(y))
        tails = xp.reshape(xp.concat([y[..., seg:], zeros], axis=-1), (n, o, s * seg))
        a = start + seg
        width = min(s * seg, out.shape[-1] - a)
        out[..., a : a + width] = out[..., a : a + width] + tails[..., :width]
        return
    for i in range(s):  # short signal, long kernel: one segment whose tail spans several
        a = start + (i + 1) * seg
        out[..., a : a + tail] = out[..., a : a + tail] + y[:, :, i, seg:]


#: A layer (``conv1d``) takes the FFT with ``method="auto"`` from this many taps:
#: below it one BLAS product over all channels beats the FFT's per-frequency mixing.
FFT_MIN_TAPS = 64
#: ``convolve``/``correlate`` take the FFT from this many taps (measured here: at
#: 1e5 samples it beats convlab's own direct and GEMM sums from about 16 taps).
SIGNAL_FFT_MIN_TAPS = 16


def correlate_padded(xp, x_pad, w, stride, dilation, groups, out_spatial):
    """A 1-D layer's forward pass through the FFT: the same result as the direct path.

    Dilation becomes zeros between the kernel taps, the correlation becomes a
    convolution with the reversed kernel, and the stride keeps every ``s``-th
    value of the stride-1 result.
    """
    (s,), (d,), (out,) = stride, dilation, out_spatial
    o, cg, k = w.shape
    span = d * (k - 1) + 1
    if d > 1:
        spread = xp.zeros((o, cg, span), dtype=w.dtype, device=device(w))
        spread[..., ::d] = w
        w = spread
    w = xp.flip(w, axis=-1)
    og, length = o // groups, x_pad.shape[-1]
    parts = []
    for g in range(groups):
        full = full_convolution(xp, x_pad[:, g * cg : (g + 1) * cg, ...], w[g * og : (g + 1) * og, ...])
        parts.append(full[..., span - 1 : length][..., ::s][..., :out])  # the valid part, strided
    return xp.concat(parts, axis=1) if groups > 1 else parts[0]
