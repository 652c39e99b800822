"""Lattice helpers shared by the energies: periodic differences, the lattice
Laplacian's spectrum, Fourier-space Gaussian sampling, and the document's
Shannon entropy of a field.

Fourier conventions: the unitary 2-D FFT (``norm="ortho"``), so a field of
i.i.d. N(0, 1) sites has E|x̂_k|² = 1 in every mode.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def laplacian_eigenvalues(shape: tuple[int, int]) -> np.ndarray:
    """λ_k = 4 sin²(k₁/2) + 4 sin²(k₂/2) on the periodic lattice, shape [H, W].

    These are the eigenvalues of −Δ (forward differences, periodic), in the
    same layout as ``jnp.fft.fft2`` output.
    """
    h, w = shape
    k1 = 2.0 * np.pi * np.fft.fftfreq(h)
    k2 = 2.0 * np.pi * np.fft.fftfreq(w)
    return (4.0 * np.sin(k1 / 2.0) ** 2)[:, None] + (4.0 * np.sin(k2 / 2.0) ** 2)[None, :]


def kinetic(x: jax.Array) -> jax.Array:
    """½ Σ_μ Σ_x (x_{x+μ} − x_x)² for a periodic field x of shape [H, W]."""
    dx0 = jnp.roll(x, -1, axis=0) - x
    dx1 = jnp.roll(x, -1, axis=1) - x
    return 0.5 * (jnp.sum(dx0**2) + jnp.sum(dx1**2))


def neighbour_products(x: jax.Array) -> jax.Array:
    """Σ_⟨ij⟩ x_i x_j over nearest-neighbour pairs (each pair once), periodic."""
    return jnp.sum(x * jnp.roll(x, -1, axis=0)) + jnp.sum(x * jnp.roll(x, -1, axis=1))


def shannon_entropy(x: jax.Array, eps: float = 1e-10) -> jax.Array:
    """The design document's S(x): shift x to be non-negative, normalise it to
    sum to one, and take −Σ p ln(p + eps). Bounded: 0 ≤ S ≤ ln N.

    Works on the last two axes, so a batch [B, H, W] gives [B].
    """
    flat = x.reshape(*x.shape[:-2], -1)
    shifted = flat - jnp.min(flat, axis=-1, keepdims=True)
    p = shifted / (jnp.sum(shifted, axis=-1, keepdims=True) + eps)
    return -jnp.sum(p * jnp.log(p + eps), axis=-1)


def gaussian_from_spectrum(
    key: jax.Array, variance: jax.Array, num_samples: int
) -> jax.Array:
    """Exact samples [n, H, W] of the stationary Gaussian field whose unitary
    Fourier modes have E|x̂_k|² = variance[k] (variance must be symmetric under
    k → −k, which every real isotropic spectrum is).

    Colouring white noise in Fourier space keeps the result real.
    """
    shape = (num_samples, *variance.shape)
    white = jax.random.normal(key, shape, dtype=variance.dtype)
    coloured = jnp.fft.fft2(white, norm="ortho") * jnp.sqrt(variance)
    return jnp.fft.ifft2(coloured, norm="ortho").real.astype(variance.dtype)


def power_spectrum(x: jax.Array) -> jax.Array:
    """|x̂_k|² of fields [..., H, W] with the unitary FFT (same shape)."""
    return jnp.abs(jnp.fft.fft2(x, norm="ortho")) ** 2
