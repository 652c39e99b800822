"""The design document's energy φ = w_k·E_k + w_p·E_p + w_th·E_th (+ ½m²Σx²).

E_k = ½ Σ_μ Σ_x (x_{x+μ} − x_x)²  (forward differences, periodic; the
      document's ``jnp.gradient`` uses central differences, which miss the
      checkerboard modes entirely)
E_p = −Σ_⟨ij⟩ x_i x_j           (nearest-neighbour pairs, periodic)
E_th = kT · S(x)                (S: the document's Shannon entropy of the
                                  shifted, normalised field; 0 ≤ S ≤ ln N)

Identity: E_p = E_k − 2Σx², so the quadratic part is a free field with
A(k) = (w_k + w_p)·λ_k + m² − 4·w_p. It is normalisable iff A(k) > 0 for all k;
with w_k + w_p ≥ 0 that is m² > 4·w_p. The document's default (w_k = w_p = 1,
no mass) is improper: a constant field c has φ = −2Nc² → −∞. E_th is bounded,
so it never changes that verdict.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from idf._pytree import pytree_dataclass
from idf.energy._lattice import kinetic, laplacian_eigenvalues, neighbour_products, shannon_entropy
from idf.energy.base import QuadraticEnergy


@pytree_dataclass
class LatticeEnergy(QuadraticEnergy):
    """The document's three-term energy plus our mass term, on a field [H, W].

    Defaults are the document's (w_k = w_p = 1, w_th = 0.1, kT = 1) with no
    mass: improper on purpose, so ``check_normalizable`` explains why.
    ``sample_exact`` samples the quadratic part; it refuses when w_th ≠ 0,
    because then the field is not exactly Gaussian.
    """

    w_kinetic: float = 1.0
    w_potential: float = 1.0
    w_thermal: float = 0.1
    mass2: float = 0.0
    kT: float = 1.0

    def terms(self, x: jax.Array) -> dict[str, jax.Array]:
        e_k = kinetic(x)
        e_p = -neighbour_products(x)
        e_th = self.kT * shannon_entropy(x)
        e_m = 0.5 * self.mass2 * jnp.sum(x**2)
        parts = {
            "kinetic": self.w_kinetic * e_k,
            "interaction": self.w_potential * e_p,
            "thermal": self.w_thermal * e_th,
            "mass": e_m,
        }
        parts["total"] = sum(parts.values())
        return parts

    def energy(self, x: jax.Array) -> jax.Array:
        return (
            self.w_kinetic * kinetic(x)
            - self.w_potential * neighbour_products(x)
            + self.w_thermal * self.kT * shannon_entropy(x)
            + 0.5 * self.mass2 * jnp.sum(x**2)
        )

    def spectrum(self, shape: tuple[int, int]) -> jax.Array:
        lam = jnp.asarray(laplacian_eigenvalues(shape), dtype=jnp.result_type(float))
        return (self.w_kinetic + self.w_potential) * lam + self.mass2 - 4.0 * self.w_potential

    def _fix_hint(self, a_min: float) -> str:
        needed = float(self.mass2) - a_min
        return (
            f"Here m² − 4·w_p = {float(self.mass2) - 4 * float(self.w_potential):g}: "
            f"set the mass m² > {needed:g} (for example m² = {np.ceil(needed + 0.5):g}), "
            "or lower w_p."
        )

    def sample_exact(self, key: jax.Array, shape: tuple[int, int], num_samples: int) -> jax.Array:
        if float(self.w_thermal) != 0.0:
            raise ValueError(
                "exact samples exist only for the quadratic part: set w_thermal = 0, "
                "or use a sampler (HMC, MALA) for the full energy."
            )
        return super().sample_exact(key, shape, num_samples)
