"""The energy interface and the exact facts shared by quadratic energies.

Sign convention, written once for the whole library:

    logdensity(x) = −energy(x) / kT

Every energy works on one unbatched configuration (a lattice field [H, W], or a
point [2] for the toy densities); batching is the caller's ``jax.vmap``.
"""

from __future__ import annotations

import math

import jax
import numpy as np

from idf.energy._lattice import gaussian_from_spectrum


class ImproperEnergyError(ValueError):
    """exp(−φ/kT) cannot be normalised: there is no Boltzmann distribution."""


class Energy:
    """Mixin for energies: subclasses define ``energy`` and a ``kT`` field."""

    kT: float

    def energy(self, x: jax.Array) -> jax.Array:  # pragma: no cover - abstract
        raise NotImplementedError

    def terms(self, x: jax.Array) -> dict[str, jax.Array]:
        """The energy split into named terms (they add up to ``energy``)."""
        return {"total": self.energy(x)}

    def logdensity(self, x: jax.Array) -> jax.Array:
        """log p(x) up to a constant: −φ(x)/kT."""
        return -self.energy(x) / self.kT

    def score(self, x: jax.Array) -> jax.Array:
        """∇ₓ log p(x) = −∇φ(x)/kT, by autodiff (same shape as x)."""
        return jax.grad(self.logdensity)(x)

    def check_normalizable(self) -> None:
        """Raise ``ImproperEnergyError`` when there is no Boltzmann distribution."""


class QuadraticEnergy(Energy):
    """φ(x) = ½ Σ_k A(k)|x̂_k|² (+ terms that are bounded): a free field.

    Subclasses define ``spectrum(shape)`` -> A(k) as a float array [H, W].
    All modes are independent Gaussians with Var(x̂_k) = kT / A(k).
    """

    def spectrum(self, shape: tuple[int, int]) -> jax.Array:  # pragma: no cover
        raise NotImplementedError

    def smallest_eigenvalue(self, shape: tuple[int, int] = (8, 8)) -> float:
        """min_k A(k) for concrete parameters (Python float)."""
        return float(np.min(np.asarray(self.spectrum(shape))))

    def is_normalizable(self, shape: tuple[int, int] = (8, 8)) -> bool:
        """True iff every A(k) > 0, so exp(−φ/kT) integrates to a finite value."""
        return self.smallest_eigenvalue(shape) > 0.0 and float(self.kT) > 0.0

    def improper_reason(self, shape: tuple[int, int] = (8, 8)) -> str | None:
        """None when proper; otherwise one sentence saying why and how to fix it."""
        if float(self.kT) <= 0.0:
            return f"kT = {float(self.kT):g} must be positive."
        a_min = self.smallest_eigenvalue(shape)
        if a_min > 0.0:
            return None
        return (
            f"{type(self).__name__} is improper: its quadratic part has smallest "
            f"eigenvalue A_min = {a_min:g} ≤ 0, so exp(−φ/kT) cannot be normalised "
            f"(φ → −∞ along that mode). {self._fix_hint(a_min)}"
        )

    def _fix_hint(self, a_min: float) -> str:
        return f"Raise the mass term m² by more than {-a_min:g}."

    def check_normalizable(self, shape: tuple[int, int] = (8, 8)) -> None:
        reason = self.improper_reason(shape)
        if reason is not None:
            raise ImproperEnergyError(reason)

    def covariance_spectrum(self, shape: tuple[int, int]) -> jax.Array:
        """E|x̂_k|² = kT / A(k) for the unitary FFT, shape [H, W]."""
        return self.kT / self.spectrum(shape)

    def sample_exact(
        self, key: jax.Array, shape: tuple[int, int], num_samples: int
    ) -> jax.Array:
        """Independent exact samples [n, H, W] of the Gaussian exp(−φ/kT)."""
        self.check_normalizable(shape)
        return gaussian_from_spectrum(key, self.covariance_spectrum(shape), num_samples)

    def mean_energy(self, shape: tuple[int, int]) -> float:
        """Exact ⟨φ⟩ = N·kT/2 for a proper free field (equipartition)."""
        return 0.5 * math.prod(shape) * float(self.kT)

