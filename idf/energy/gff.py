"""The Gaussian free field: φ = ½Σ(∇x)² + ½m²Σx² on a periodic [H, W] lattice.

Modes of the unitary FFT are independent with Var(x̂_k) = kT / A(k),
A(k) = λ_k + m². Exact covariance, samples, entropy and KL: the ground truth
for every sampler and for diffusion.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from idf._pytree import pytree_dataclass
from idf.energy._lattice import kinetic, laplacian_eigenvalues
from idf.energy.base import QuadraticEnergy


@pytree_dataclass
class GaussianFreeField(QuadraticEnergy):
    """Massive free field; proper iff m² > 0 and kT > 0."""

    mass2: float = 1.0
    kT: float = 1.0

    def terms(self, x: jax.Array) -> dict[str, jax.Array]:
        grad = kinetic(x)
        mass = 0.5 * self.mass2 * jnp.sum(x**2)
        return {"gradient": grad, "mass": mass, "total": grad + mass}

    def energy(self, x: jax.Array) -> jax.Array:
        return kinetic(x) + 0.5 * self.mass2 * jnp.sum(x**2)

    def spectrum(self, shape: tuple[int, int]) -> jax.Array:
        lam = jnp.asarray(laplacian_eigenvalues(shape), dtype=jnp.result_type(float))
        return lam + self.mass2

    def _fix_hint(self, a_min: float) -> str:
        return "The zero mode needs a mass: set m² > 0."
