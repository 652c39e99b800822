"""The target at a coarse scale: the Fourier truncation of the fine free field
(``TruncatedSpectrum``), and how far it is from the same GFF sampled on the
coarse lattice (``coarse_lattice_mismatch``). See ``idf.diffusion.multiscale``
for why the two differ."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from idf._pytree import pytree_dataclass, static
from idf.energy import GaussianFreeField, QuadraticEnergy


@pytree_dataclass
class TruncatedSpectrum(QuadraticEnergy):
    """The Fourier truncation of ``fine`` (a free field on ``fine_shape``) to a
    coarser lattice: E|x̂_q|² = P_fine(q)·(hw/HW) for the coarse wavenumbers q
    (see ``idf.diffusion.multiscale``). At ``fine_shape`` it equals ``fine``.
    """

    fine: QuadraticEnergy
    fine_shape: tuple[int, int] = static()

    @property
    def kT(self):
        return self.fine.kT

    def covariance_spectrum(self, shape: tuple[int, int]) -> jax.Array:
        (h, w), (hf, wf) = shape, self.fine_shape
        if h > hf or w > wf:
            raise ValueError(f"a truncation of {self.fine_shape} cannot have the larger shape {tuple(shape)}")
        p_fine = self.fine.covariance_spectrum(self.fine_shape)
        rows = (np.fft.fftfreq(h) * h).astype(np.int64) % hf
        cols = (np.fft.fftfreq(w) * w).astype(np.int64) % wf
        return p_fine[np.ix_(rows, cols)] * (h * w / (hf * wf))

    def spectrum(self, shape: tuple[int, int]) -> jax.Array:
        return self.kT / self.covariance_spectrum(shape)

    def energy(self, x: jax.Array) -> jax.Array:
        x_hat = jnp.fft.fft2(x, norm="ortho")
        return 0.5 * jnp.sum(self.spectrum(x.shape) * jnp.abs(x_hat) ** 2)


def scale_target(energy: QuadraticEnergy, fine_shape: tuple[int, int], shape: tuple[int, int]) -> QuadraticEnergy:
    """The target at ``shape``: ``energy`` itself at the finest scale, else its truncation."""
    return energy if tuple(shape) == tuple(fine_shape) else TruncatedSpectrum(energy, tuple(fine_shape))


def coarse_lattice_mismatch(mass2: float, kT: float, fine: int, coarse: int, *, matched: bool = False) -> float:
    """max_q |P_trunc(q)/P_GFF(q) − 1| between the truncated target at side
    ``coarse`` and a GFF sampled on that lattice: with the same m²
    (``matched=False``; off by 1/r² at q = 0 alone), or with the mass matched
    in lattice units, m² → r²·m² (``matched=True``; then only the two lattice
    dispersions differ, most at the coarse Nyquist)."""
    r2 = (fine / coarse) ** 2
    gff = GaussianFreeField(mass2=mass2, kT=kT)
    trunc = np.asarray(TruncatedSpectrum(gff, (fine, fine)).covariance_spectrum((coarse, coarse)))
    other = GaussianFreeField(mass2=mass2 * r2 if matched else mass2, kT=kT)
    return float(np.max(np.abs(trunc / np.asarray(other.covariance_spectrum((coarse, coarse))) - 1.0)))
