"""Metropolis-adjusted Langevin (MALA): the Langevin proposal of
``langevin.py`` plus the shared Metropolis test, so it samples exp(−φ/kT)
exactly for any step size (the step size only sets the efficiency).

    q(x'|x) = N(x'; x + (ε/2)∇log p(x), ε I)
    log r = log p(x') − log p(x) + log q(x|x') − log q(x'|x)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from idf._pytree import pytree_dataclass
from idf.energy.base import Energy
from idf.samplers._acceptance import metropolis_accept
from idf.samplers.base import GradientSampler, SamplerInfo, SamplerState, init_state, single_proposal_info
from idf.samplers.langevin import langevin_mean, langevin_proposal


def _log_q(to: jax.Array, frm: SamplerState, step_size: jax.Array) -> jax.Array:
    """log q(to | frm) up to a constant that cancels in the ratio."""
    return -jnp.sum((to - langevin_mean(frm, step_size)) ** 2) / (2.0 * step_size)


@pytree_dataclass
class MALA(GradientSampler):
    """MALA with step size ε (traced)."""

    step_size: float = 0.05

    def step(self, key: jax.Array, state: SamplerState, energy: Energy) -> tuple[SamplerState, SamplerInfo]:
        key_propose, key_accept = jax.random.split(key)
        x_new = langevin_proposal(key_propose, state, self.step_size)
        proposal = init_state(x_new, energy)
        log_ratio = (
            proposal.logdensity
            - state.logdensity
            + _log_q(state.position, proposal, self.step_size)
            - _log_q(proposal.position, state, self.step_size)
        )
        new, accepted, prob = metropolis_accept(key_accept, log_ratio, proposal, state)
        return new, single_proposal_info(state, proposal, new, accepted, prob, 1, log_ratio)
