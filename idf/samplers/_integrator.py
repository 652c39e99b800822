"""The one leapfrog (velocity Verlet) integrator, for HMC.

Hamiltonian in units of kT: H(x, p) = −log p(x) + ½ pᵀM⁻¹p, with a diagonal
(per-site) inverse mass M⁻¹. One step of size ε:
    p ← p + (ε/2)∇log p(x);  x ← x + ε M⁻¹p;  p ← p + (ε/2)∇log p(x).
It is volume-preserving and time-reversible, so with a Metropolis test it
leaves exp(−H) invariant; its energy error is O(ε²) over a fixed trajectory.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from idf.energy.base import Energy
from idf.samplers.base import SamplerState, energy_and_grad


def leapfrog(
    state: SamplerState,
    momentum: jax.Array,
    energy: Energy,
    step_size: jax.Array,
    num_steps: int,
    inverse_mass: jax.Array,
) -> tuple[SamplerState, jax.Array, jax.Array]:
    """Integrate ``num_steps`` leapfrog steps from (state.position, momentum).

    momentum, inverse_mass: [*shape] (inverse_mass broadcasts, 1.0 = identity).
    Returns (end state with cached energy and gradient, end momentum [*shape],
    path [num_steps + 1, *shape] of positions, start included).
    One gradient evaluation per step (the first half-kick reuses the cached one).
    """

    def one_step(carry, _):
        s, p = carry
        p = p + 0.5 * step_size * s.grad_logdensity
        x = s.position + step_size * inverse_mass * p
        value, grad = energy_and_grad(energy, x)
        grad_logdensity = -grad / energy.kT
        p = p + 0.5 * step_size * grad_logdensity
        return (SamplerState(x, value, -value / energy.kT, grad_logdensity), p), x

    (end, p_end), xs = jax.lax.scan(one_step, (state, momentum), None, length=num_steps)
    path = jnp.concatenate([state.position[None], xs], axis=0)
    return end, p_end, path


def kinetic_energy(momentum: jax.Array, inverse_mass: jax.Array) -> jax.Array:
    """½ pᵀM⁻¹p for a diagonal inverse mass (units of kT)."""
    return 0.5 * jnp.sum(inverse_mass * momentum**2)
