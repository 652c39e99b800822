"""Hamiltonian Monte Carlo: fresh momentum p ~ N(0, M), L leapfrog steps of
size ε (``_integrator.leapfrog``), then the shared Metropolis test on
ΔH = H(x', p') − H(x, p) (units of kT): accept with probability min(1, e^{−ΔH}).

L is static by default (a ``lax.scan`` of length L: one program per L, the
fastest loop for a fixed L, as the library and the CLI use it). With a
capacity ``max_leapfrog`` it is a traced leaf instead, the trip count of a loop
of that capacity: every L ≤ max_leapfrog runs one compiled program (the app's
L slider), with the same chain as the static form for the same key. The
recorded path then has max_leapfrog + 1 points, x_L repeated past L; its valid
length is ``num_grad_evals`` + 1 (``idf.diagnostics.leapfrog_hamiltonian`` and
``transition_energy`` take it as ``num_steps``).

Facts the tests check: rms ΔH ∝ ε² at fixed trajectory length Lε,
⟨e^{−ΔH}⟩ = 1 exactly, and acceptance ≈ erfc(½√⟨ΔH⟩) for large N.
"""

from __future__ import annotations

import numbers

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
    loop length; traced when ``max_leapfrog`` is given), an optional per-site
    inverse mass M⁻¹ ([*shape] or a scalar; None = identity, traced when given)
    and an optional capacity ``max_leapfrog`` (static; 1 ≤ L ≤ max_leapfrog)."""

    step_size: float = 0.1
    num_leapfrog: int = static(10, traced_when="max_leapfrog")
    inverse_mass: jax.Array | None = None
    max_leapfrog: int | None = static(None)

    def __post_init__(self) -> None:
        cap, count = self.max_leapfrog, self.num_leapfrog  # a traced L (inside jit) is not checked
        if cap is not None and isinstance(count, numbers.Integral) and not 1 <= count <= cap:
            raise ValueError(f"num_leapfrog must lie in 1..max_leapfrog = {cap}, got {count}")

    def step(self, key: jax.Array, state: SamplerState, energy: Energy) -> tuple[SamplerState, SamplerInfo]:
        key_momentum, key_accept = jax.random.split(key)
        inv_mass = jnp.ones((), state.position.dtype) if self.inverse_mass is None else self.inverse_mass
        # p ~ N(0, M) with M = 1 / M⁻¹ (diagonal)
        z = jax.random.normal(key_momentum, state.position.shape, state.position.dtype)
        momentum = z / jnp.sqrt(inv_mass)
        # run_chains stages leaves as float arrays: a traced L is cast back to a count
        count = self.num_leapfrog if self.max_leapfrog is None else jnp.asarray(self.num_leapfrog).astype(jnp.int32)
        end, p_end, path = leapfrog(state, momentum, energy, self.step_size, count, inv_mass, self.max_leapfrog)
        h_old = -state.logdensity + kinetic_energy(momentum, inv_mass)
        h_new = -end.logdensity + kinetic_energy(p_end, inv_mass)
        delta_h = h_new - h_old
        new, accepted, prob = metropolis_accept(key_accept, -delta_h, end, state)
        info = SamplerInfo(
            accepted=accepted,
            acceptance_prob=prob,
            energy=new.energy,
            delta_H=delta_h,
            num_grad_evals=jnp.asarray(count, jnp.int32),
            divergent=is_divergent(delta_h),
            nonfinite=is_bad(delta_h, end.grad_logdensity),
            proposal_energy=end.energy,
            proposal=end.position,
            path=path,
        )
        return new, info
