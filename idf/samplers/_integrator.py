"""The one leapfrog (velocity Verlet) integrator, for HMC.

Hamiltonian in units of kT: H(x, p) = −log p(x) + ½ pᵀM⁻¹p, with a diagonal
(per-site) inverse mass M⁻¹. One step of size ε:
    p ← p + (ε/2)∇log p(x);  x ← x + ε M⁻¹p;  p ← p + (ε/2)∇log p(x).
It is volume-preserving and time-reversible, so with a Metropolis test it
leaves exp(−H) invariant; its energy error is O(ε²) over a fixed trajectory.

Two loop forms, the same steps: a ``lax.scan`` of static length L (the
library's default: L is a Python int, each L its own program), or, given a
capacity ``max_steps``, a ``fori_loop`` whose trip count L is traced, writing
into a path buffer of max_steps + 1 points (one program for every L ≤ capacity).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from idf.energy.base import Energy
from idf.samplers.base import SamplerState, gradient_state


def leapfrog(
    state: SamplerState,
    momentum: jax.Array,
    energy: Energy,
    step_size: jax.Array,
    num_steps: int | jax.Array,
    inverse_mass: jax.Array,
    max_steps: int | None = None,
) -> tuple[SamplerState, jax.Array, jax.Array]:
    """Integrate ``num_steps`` leapfrog steps from (state.position, momentum).

    momentum, inverse_mass: [*shape] (inverse_mass broadcasts, 1.0 = identity).
    Returns (end state with cached energy and gradient, end momentum [*shape],
    path of positions, start included). Without ``max_steps`` (num_steps a
    Python int): path [num_steps + 1, *shape]. With ``max_steps`` (num_steps
    may be traced, 1 ≤ num_steps ≤ max_steps): path [max_steps + 1, *shape]
    whose first num_steps + 1 points are the trajectory and the rest repeat its
    end point x_L (the valid length is num_steps + 1: ``SamplerInfo.num_grad_evals`` + 1).
    One gradient evaluation per step (the first half-kick reuses the cached one).
    """

    def one_step(carry):
        s, p = carry
        p = p + 0.5 * step_size * s.grad_logdensity
        x = s.position + step_size * inverse_mass * p
        s = gradient_state(energy, x)
        return s, p + 0.5 * step_size * s.grad_logdensity

    if max_steps is None:

        def scan_step(carry, _):
            s, p = one_step(carry)
            return (s, p), s.position

        (end, p_end), xs = jax.lax.scan(scan_step, (state, momentum), None, length=num_steps)
        return end, p_end, jnp.concatenate([state.position[None], xs], axis=0)

    def body(i, carry):
        s, p, path = carry
        s, p = one_step((s, p))
        return s, p, jax.lax.dynamic_update_index_in_dim(path, s.position, i + 1, axis=0)

    path0 = jnp.broadcast_to(state.position, (max_steps + 1, *state.position.shape))
    end, p_end, path = jax.lax.fori_loop(0, num_steps, body, (state, momentum, path0))
    past_end = (jnp.arange(max_steps + 1) > num_steps).reshape((-1,) + (1,) * state.position.ndim)
    return end, p_end, jnp.where(past_end, end.position, path)


def kinetic_energy(momentum: jax.Array, inverse_mass: jax.Array) -> jax.Array:
    """½ pᵀM⁻¹p for a diagonal inverse mass (units of kT)."""
    return 0.5 * jnp.sum(inverse_mass * momentum**2)
