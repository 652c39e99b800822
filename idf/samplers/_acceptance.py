"""The one Metropolis–Hastings acceptance routine, shared by MH, MALA and HMC."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from idf.samplers.base import SamplerState


def metropolis_accept(
    key: jax.Array, log_ratio: jax.Array, proposal: SamplerState, current: SamplerState
) -> tuple[SamplerState, jax.Array, jax.Array]:
    """Accept ``proposal`` with probability min(1, exp(log_ratio)).

    ``log_ratio`` = log p(x')q(x|x') − log p(x)q(x'|x) (for HMC: −ΔH). A NaN
    ratio is a rejection (probability 0), never a NaN state.
    Returns (new state, accepted [] bool, acceptance probability []).
    """
    log_ratio = jnp.where(jnp.isnan(log_ratio), -jnp.inf, log_ratio)
    prob = jnp.exp(jnp.minimum(log_ratio, 0.0))
    # log u < log ratio  <=>  u < min(1, ratio); log avoids overflow
    accepted = jnp.log(jax.random.uniform(key)) < log_ratio
    state = jax.tree.map(lambda new, old: jnp.where(accepted, new, old), proposal, current)
    return state, accepted, prob
