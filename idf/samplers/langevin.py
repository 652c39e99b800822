"""Unadjusted Langevin (ULA), the design document's update:

    x' = x + (ε/2)·∇log p(x) + √ε·z,   z ~ N(0, I).

No accept/reject, so it does not satisfy detailed balance: its stationary
law is biased. For a free field (log p = −½Σ A(k)|x̂_k|²/kT) each Fourier mode
is an AR(1) process with stationary variance kT / [A(1 − εA/(4kT))], above the
exact kT/A, and unstable once εA ≥ 4kT.
"""

from __future__ import annotations

from typing import ClassVar

import jax
import jax.numpy as jnp

from idf._pytree import pytree_dataclass
from idf.energy.base import Energy
from idf.samplers.base import GradientSampler, SamplerInfo, SamplerState, init_state, single_proposal_info


def langevin_mean(state: SamplerState, step_size: jax.Array) -> jax.Array:
    """x + (ε/2)∇log p(x): the drift of the Langevin step (shared by ULA and MALA)."""
    return state.position + 0.5 * step_size * state.grad_logdensity


def langevin_proposal(key: jax.Array, state: SamplerState, step_size: jax.Array) -> jax.Array:
    """x + (ε/2)∇log p(x) + √ε z, shape [*shape]."""
    noise = jax.random.normal(key, state.position.shape, state.position.dtype)
    return langevin_mean(state, step_size) + jnp.sqrt(step_size) * noise


@pytree_dataclass
class Langevin(GradientSampler):
    """Unadjusted Langevin; ``step_size`` ε is traced (changing it never recompiles).
    No acceptance probability, so ε cannot be adapted."""

    adaptable: ClassVar[bool] = False
    step_size: float = 0.01

    def step(self, key: jax.Array, state: SamplerState, energy: Energy) -> tuple[SamplerState, SamplerInfo]:
        x_new = langevin_proposal(key, state, self.step_size)
        new = init_state(x_new, energy)
        ones = jnp.ones((), new.energy.dtype)
        return new, single_proposal_info(state, new, new, jnp.array(True), ones, 1)
