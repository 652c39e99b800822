"""The No-U-Turn sampler, delegated to BlackJAX (``blackjax.nuts.build_kernel``:
multinomial, iterative NUTS), behind our interface: same ``init``/``step``,
same ``SamplerState`` and ``SamplerInfo``, so ``run_chains`` and the app treat
it like the reference samplers.
"""

from __future__ import annotations

import blackjax
import jax
import jax.numpy as jnp
from blackjax.mcmc.hmc import HMCState

from idf._pytree import pytree_dataclass, static
from idf.energy.base import Energy
from idf.samplers.base import GradientSampler, SamplerInfo, SamplerState, is_bad


@pytree_dataclass
class NUTS(GradientSampler):
    """NUTS with step size ε (traced), optional per-site inverse mass
    ([*shape] or None = identity) and ``max_doublings`` (static)."""

    step_size: float = 0.1
    inverse_mass: jax.Array | None = None
    max_doublings: int = static(10)

    def step(self, key: jax.Array, state: SamplerState, energy: Energy) -> tuple[SamplerState, SamplerInfo]:
        kernel = blackjax.nuts.build_kernel()
        size = state.position.size
        if self.inverse_mass is None:
            inv_mass = jnp.ones((size,), state.position.dtype)
        else:
            inv_mass = jnp.broadcast_to(self.inverse_mass, state.position.shape).reshape(-1)
        bj_state = HMCState(state.position, state.logdensity, state.grad_logdensity)
        out, bj_info = kernel(key, bj_state, energy.logdensity, self.step_size, inv_mass, self.max_doublings)
        new = SamplerState(out.position, -energy.kT * out.logdensity, out.logdensity, out.logdensity_grad)
        moved = jnp.any(out.position != state.position)
        info = SamplerInfo(
            accepted=moved,
            acceptance_prob=bj_info.acceptance_rate,
            energy=new.energy,
            delta_H=jnp.full((), jnp.nan, new.energy.dtype),
            num_grad_evals=jnp.asarray(bj_info.num_integration_steps, jnp.int32),
            divergent=jnp.asarray(bj_info.is_divergent),  # BlackJAX: ΔH > 1000 somewhere in the tree
            nonfinite=is_bad(new.logdensity, new.grad_logdensity),
            proposal_energy=new.energy,
            proposal=out.position,
            path=jnp.stack([state.position, out.position]),
        )
        return new, info
