"""Random-walk Metropolis–Hastings: x' = x + σ·z, accepted with probability
min(1, p(x')/p(x)) (the proposal is symmetric). No gradients; the state's
gradient field stays zero.
"""

from __future__ import annotations

from typing import ClassVar

import jax

from idf._pytree import pytree_dataclass
from idf.energy.base import Energy
from idf.samplers._acceptance import metropolis_accept
from idf.samplers.base import SamplerInfo, SamplerState, init_state, single_proposal_info


@pytree_dataclass
class RandomWalkMH:
    """Gaussian random walk with per-site proposal scale σ = ``step_size`` (traced)."""

    adaptable: ClassVar[bool] = True
    step_size: float = 0.2

    def init(self, position: jax.Array, energy: Energy) -> SamplerState:
        return init_state(position, energy, with_grad=False)

    def step(self, key: jax.Array, state: SamplerState, energy: Energy) -> tuple[SamplerState, SamplerInfo]:
        key_propose, key_accept = jax.random.split(key)
        noise = jax.random.normal(key_propose, state.position.shape, state.position.dtype)
        x_new = state.position + self.step_size * noise
        proposal = init_state(x_new, energy, with_grad=False)
        log_ratio = proposal.logdensity - state.logdensity
        new, accepted, prob = metropolis_accept(key_accept, log_ratio, proposal, state)
        return new, single_proposal_info(state, proposal, new, accepted, prob, 0)
