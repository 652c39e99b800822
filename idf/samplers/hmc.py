"""Hamiltonian Monte Carlo: fresh momentum p ~ N(0, M), L leapfrog steps of
size ε (``_integrator.leapfrog``), then the shared Metropolis test on
ΔH = H(x', p') − H(x, p) (units of kT): accept with probability min(1, e^{−ΔH}).

Facts the tests check: rms ΔH ∝ ε² at fixed trajectory length Lε,
⟨e^{−ΔH}⟩ = 1 exactly, and acceptance ≈ erfc(½√⟨ΔH⟩) for large N.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from idf._pytree import pytree_dataclass, static
from idf.energy.base import Energy
from idf.samplers._acceptance import metropolis_accept
from idf.samplers._integrator import kinetic_energy, leapfrog
from idf.samplers.base import GradientSampler, SamplerInfo, SamplerState, is_bad, is_divergent


@pytree_dataclass
class HMC(GradientSampler):
    """HMC with step size ε (traced), ``num_leapfrog`` L (static: it sets the
    loop length) and an optional per-site inverse mass M⁻¹ ([*shape] or a
    scalar; None = identity, traced when given)."""

    step_size: float = 0.1
    num_leapfrog: int = static(10)
    inverse_mass: jax.Array | None = None

    def step(self, key: jax.Array, state: SamplerState, energy: Energy) -> tuple[SamplerState, SamplerInfo]:
        key_momentum, key_accept = jax.random.split(key)
        inv_mass = jnp.ones((), state.position.dtype) if self.inverse_mass is None else self.inverse_mass
        # p ~ N(0, M) with M = 1 / M⁻¹ (diagonal)
        z = jax.random.normal(key_momentum, state.position.shape, state.position.dtype)
        momentum = z / jnp.sqrt(inv_mass)
        end, p_end, path = leapfrog(state, momentum, energy, self.step_size, self.num_leapfrog, inv_mass)
        h_old = -state.logdensity + kinetic_energy(momentum, inv_mass)
        h_new = -end.logdensity + kinetic_energy(p_end, inv_mass)
        delta_h = h_new - h_old
        new, accepted, prob = metropolis_accept(key_accept, -delta_h, end, state)
        info = SamplerInfo(
            accepted=accepted,
            acceptance_prob=prob,
            energy=new.energy,
            delta_H=delta_h,
            num_grad_evals=jnp.array(self.num_leapfrog, jnp.int32),
            divergent=is_divergent(delta_h),
            nonfinite=is_bad(delta_h, end.grad_logdensity),
            proposal_energy=end.energy,
            proposal=end.position,
            path=path,
        )
        return new, info
