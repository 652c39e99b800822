"""φ⁴ in the hopping parametrisation (Wang, Aarts & Zhou, arXiv 2309.17082):

    S_hop(φ) = Σ_x [ −2κ Σ_μ φ_x φ_{x+μ} + (1 − 2λ)·φ_x² + λ·φ_x⁴ ]

and its exact map onto the Albergo convention of ``Phi4``
(S_A = Σ_x [Σ_μ (Δ_μ φ)² + m²φ² + λ_A φ⁴], no ½ factors).

The map, by algebra. On the periodic 2-D lattice Σ_x Σ_μ (φ_{x+μ} − φ_x)² =
4Σφ² − 2Σ_x Σ_μ φ_x φ_{x+μ}, so S_A = Σ[−2Σ_μ φφ_{+μ} + (4 + m²)φ² + λ_A φ⁴].
Put φ_A = √κ·φ_hop: S_A = Σ[−2κΣ_μ φ_hop φ_hop,+μ + κ(4 + m²)φ_hop² + κ²λ_A φ_hop⁴],
which is S_hop term by term iff

    κ(4 + m²) = 1 − 2λ   and   κ²λ_A = λ,   i.e.   m² = (1 − 2λ)/κ − 4,  λ_A = λ/κ².

So S_A(√κ·φ) = S_hop(φ) exactly, for every field (the Jacobian κ^{N/2} of the
rescaling is a constant: the two Boltzmann laws are the same law). Observables in
the hopping convention are those of φ_hop = φ_A/√κ: M_hop = m_A/√κ,
χ₂,hop = χ₂,A/κ, U₄ unchanged (``idf.diagnostics.hopping_observables``).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from idf._pytree import pytree_dataclass
from idf.energy._lattice import neighbour_products
from idf.energy.base import Energy, Shape
from idf.energy.phi4 import Phi4, albergo_parameters

__all__ = [
    "HoppingPhi4",
    "albergo_parameters",
    "hopping_parameters",
    "to_albergo_field",
    "to_hopping_field",
]


def hopping_parameters(mass2: float, coupling: float) -> tuple[float, float]:
    """(κ, λ) of the hopping action equal to the Albergo action at (m², λ_A):
    the inverse of ``albergo_parameters``. κ solves λ_A κ²·2 + (4 + m²)κ − 1 = 0
    (from κ(4 + m²) = 1 − 2λ_A κ²), taking the positive root; λ = λ_A κ².
    Raises ``ValueError`` when λ_A < 0 or no positive κ exists."""
    m2, lam_a = float(mass2), float(coupling)
    a, b = 2.0 * lam_a, 4.0 + m2
    if lam_a < 0.0:
        raise ValueError(f"λ_A = {lam_a:g} < 0 has no hopping form")
    if a == 0.0:
        if b <= 0.0:
            raise ValueError(f"λ_A = 0 with m² = {m2:g} ≤ −4 has no positive κ")
        kappa = 1.0 / b
    else:
        kappa = (-b + math.sqrt(b * b + 4.0 * a)) / (2.0 * a)
    return kappa, lam_a * kappa**2


def to_albergo_field(x_hop: jax.Array, kappa: float) -> jax.Array:
    """φ_A = √κ·φ_hop (any shape)."""
    return jnp.sqrt(jnp.asarray(kappa, jnp.result_type(x_hop))) * x_hop


def to_hopping_field(x_albergo: jax.Array, kappa: float) -> jax.Array:
    """φ_hop = φ_A/√κ (any shape)."""
    return x_albergo / jnp.sqrt(jnp.asarray(kappa, jnp.result_type(x_albergo)))


@pytree_dataclass
class HoppingPhi4(Energy):
    """φ⁴ in the hopping form on a periodic [H, W] lattice; its fields are in the
    hopping normalisation. ``albergo()`` is the same theory as a ``Phi4`` (whose
    fields are √κ times these)."""

    kappa: float = 0.27
    coupling: float = 0.022
    kT: float = 1.0

    def terms(self, x: jax.Array) -> dict[str, jax.Array]:
        hop = -2.0 * self.kappa * neighbour_products(x)
        mass = (1.0 - 2.0 * self.coupling) * jnp.sum(x**2)
        quartic = self.coupling * jnp.sum(x**4)
        return {"hopping": hop, "mass": mass, "quartic": quartic, "total": hop + mass + quartic}

    def energy(self, x: jax.Array) -> jax.Array:
        return self.terms(x)["total"]

    def albergo(self) -> Phi4:
        """The equal ``Phi4`` (m² = (1−2λ)/κ − 4, λ_A = λ/κ²; same kT). Needs concrete κ, λ."""
        return Phi4.from_hopping(float(self.kappa), float(self.coupling), kT=self.kT)

    def improper_reason(self, shape: Shape | None = None, *, key: jax.Array | None = None) -> str | None:
        """None iff κ > 0, kT > 0 and the equal Albergo action is proper (exact)."""
        if not float(self.kappa) > 0.0:
            return f"the hopping parameter κ = {float(self.kappa):g} must be positive."
        return self.albergo().improper_reason(shape, key=key)

