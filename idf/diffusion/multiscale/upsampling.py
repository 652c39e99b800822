"""Periodic upsampling of lattice fields (separable, any l ≤ L), and the exact
mode variances of an upsampled stationary field."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from idf.diffusion.options import Upsampling, choose, values

UPSAMPLERS = values(Upsampling)


def _spectral_axis(x: jax.Array, m: int, axis: int) -> jax.Array:
    """Zero-pad the FFT along ``axis`` from n to m; the coarse Nyquist bin (even
    n) is split in half between ±n/2 so the result stays real and the coarse
    sites are reproduced exactly."""
    n = x.shape[axis]
    if m == n:
        return x
    spec = jnp.moveaxis(jnp.fft.fft(x, axis=axis), axis, -1)
    zeros = jnp.zeros((*spec.shape[:-1], m - n - (1 if n % 2 == 0 else 0)), spec.dtype)
    if n % 2 == 0:
        half = n // 2
        nyq = spec[..., half : half + 1] / 2.0
        padded = jnp.concatenate([spec[..., :half], nyq, zeros, nyq, spec[..., half + 1 :]], axis=-1)
    else:
        half = (n + 1) // 2
        padded = jnp.concatenate([spec[..., :half], zeros, spec[..., half:]], axis=-1)
    out = jnp.fft.ifft(padded, axis=-1).real * (m / n)
    return jnp.moveaxis(out, -1, axis).astype(x.dtype)


def _bilinear_axis(x: jax.Array, m: int, axis: int) -> jax.Array:
    """Periodic linear interpolation along ``axis``; fine site i sits at coarse
    coordinate i·n/m (fine site 0 on coarse site 0)."""
    n = x.shape[axis]
    if m == n:
        return x
    u = np.arange(m) * (n / m)
    i0 = np.floor(u).astype(np.int64)
    frac = jnp.asarray(u - i0, x.dtype)
    shape = [1] * x.ndim
    shape[axis] = m
    frac = frac.reshape(shape)
    lo = jnp.take(x, i0 % n, axis=axis)
    hi = jnp.take(x, (i0 + 1) % n, axis=axis)
    return (1.0 - frac) * lo + frac * hi


_AXIS_UPSAMPLERS = {Upsampling.SPECTRAL: _spectral_axis, Upsampling.BILINEAR: _bilinear_axis}


def upsample(
    x: jax.Array, shape: tuple[int, int], upsampling: Upsampling | str = Upsampling.SPECTRAL
) -> jax.Array:
    """Periodic upsampling of fields [..., h, w] to [..., H, W] (H ≥ h, W ≥ w).

    "spectral": zero-padding in Fourier space (band-limited interpolation; the
    unitary modes are multiplied by √(HW/hw)); "bilinear": periodic bilinear.
    Both reproduce the coarse values on the coarse sites when H/h, W/w are
    integers.
    """
    upsampling = choose(Upsampling, upsampling, "upsampling")
    if shape[0] < x.shape[-2] or shape[1] < x.shape[-1]:
        raise ValueError(f"cannot upsample {x.shape[-2:]} to the smaller {tuple(shape)}")
    fn = _AXIS_UPSAMPLERS[upsampling]
    return fn(fn(x, shape[0], x.ndim - 2), shape[1], x.ndim - 1)


def upsample_power(
    power: np.ndarray, shape: tuple[int, int], upsampling: Upsampling | str = Upsampling.SPECTRAL
) -> np.ndarray:
    """Exact E|û_k|² [H, W] of the upsampled field when the coarse field's modes
    are uncorrelated with E|ĉ_q|² = power[q] [h, w] (any stationary field).

    Upsampling is separable, so its matrix in the unitary Fourier basis is
    T₀ ⊗ T₁ and E|û_k|² = Σ_q |T₀[k₁, q₁]|²·|T₁[k₂, q₂]|²·P(q).
    """
    axis_upsample = _AXIS_UPSAMPLERS[choose(Upsampling, upsampling, "upsampling")]
    power = np.asarray(power, np.float64)
    mats = []
    for n, m in zip(power.shape, shape, strict=True):
        real = np.asarray(axis_upsample(jnp.eye(n, dtype=jnp.float32), m, 0), np.float64)
        fourier = np.fft.fft(np.fft.ifft(np.eye(n), norm="ortho", axis=0).T @ real.T, norm="ortho", axis=1)
        mats.append(np.abs(fourier.T) ** 2)  # [m, n]
    return mats[0] @ power @ mats[1].T
