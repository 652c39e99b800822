"""Lattice φ⁴ in the convention of Albergo, Kanwar & Shanahan (2019):

    φ(x) = Σ_x [ Σ_μ (x_{x+μ} − x_x)² + m²·x_x² + λ·x_x⁴ ]     (no ½ factors)

kT = 1 by default. With m² < 0 and small λ the Z₂ symmetry x → −x is broken:
two modes with magnetisation ±|m|, the hard multimodal test for samplers.
Observables (magnetisation, χ₂, Binder U₄, G(x)) live in ``idf.diagnostics``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from idf._pytree import pytree_dataclass
from idf.energy._lattice import kinetic
from idf.energy.base import Energy, Shape


def albergo_parameters(kappa: float, lam: float) -> tuple[float, float]:
    """(m², λ_A) of the Albergo action equal to the hopping action at (κ, λ):
    m² = (1 − 2λ)/κ − 4, λ_A = λ/κ². Raises ``ValueError`` unless κ > 0."""
    kappa, lam = float(kappa), float(lam)
    if not kappa > 0.0:
        raise ValueError(f"the hopping parameter κ must be positive, got {kappa:g}")
    return (1.0 - 2.0 * lam) / kappa - 4.0, lam / kappa**2


@pytree_dataclass
class Phi4(Energy):
    """φ⁴ field theory on a periodic [H, W] lattice."""

    mass2: float = -4.0
    coupling: float = 8.0
    kT: float = 1.0

    @classmethod
    def from_hopping(cls, kappa: float, lam: float, kT: float = 1.0) -> Phi4:
        """The equal action from the hopping form S = Σ[−2κΣ_μφφ_{+μ} + (1−2λ)φ² + λφ⁴]
        (``idf.energy.hopping``): m² = (1−2λ)/κ − 4, λ_A = λ/κ²; its fields are
        √κ times the hopping fields (``idf.energy.hopping.to_hopping_field``)."""
        m2, lam_a = albergo_parameters(kappa, lam)
        return cls(mass2=m2, coupling=lam_a, kT=kT)

    def terms(self, x: jax.Array) -> dict[str, jax.Array]:
        grad = 2.0 * kinetic(x)  # Σ_μ (Δ_μ x)², no ½
        mass = self.mass2 * jnp.sum(x**2)
        quartic = self.coupling * jnp.sum(x**4)
        return {"gradient": grad, "mass": mass, "quartic": quartic, "total": grad + mass + quartic}

    def energy(self, x: jax.Array) -> jax.Array:
        return 2.0 * kinetic(x) + self.mass2 * jnp.sum(x**2) + self.coupling * jnp.sum(x**4)

    def improper_reason(self, shape: Shape | None = None, *, key: jax.Array | None = None) -> str | None:
        """None iff kT > 0 and φ is bounded below with a confining term (exact; shape is not needed)."""
        if float(self.kT) <= 0.0:
            return f"kT = {float(self.kT):g} must be positive."
        lam, m2 = float(self.coupling), float(self.mass2)
        if lam > 0.0 or (lam == 0.0 and m2 > 0.0):
            return None
        if lam < 0.0:
            return f"φ⁴ with λ = {lam:g} < 0 is unbounded below: set λ > 0."
        return f"φ⁴ with λ = 0 and m² = {m2:g} ≤ 0 is improper: set λ > 0 or m² > 0."
