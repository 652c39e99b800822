"""What every sampler shares: the ``Sampler`` interface, the cached state, the
per-step info, and how a state is built from an energy.

Notation: φ is the energy, kT the temperature, log p = −φ/kT (the library's one
sign convention). A state caches φ(x), log p(x) and ∇log p(x) so no kernel
recomputes them.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple, Protocol, runtime_checkable

import jax
import jax.numpy as jnp

from idf.energy.base import Energy


class SamplerState(NamedTuple):
    """One chain's current point, unbatched.

    position:        [*shape]  the field [H, W] or a toy point [2]
    energy:          []        φ(position) (−kT·logdensity in the gradient samplers: within an ulp)
    logdensity:      []        −φ/kT
    grad_logdensity: [*shape]  ∇log p = −∇φ/kT (zeros for random-walk MH, which never needs it)
    """

    position: jax.Array
    energy: jax.Array
    logdensity: jax.Array
    grad_logdensity: jax.Array


class SamplerInfo(NamedTuple):
    """What one step did, unbatched.

    accepted:        []   bool; True for unadjusted Langevin (no test)
    acceptance_prob: []   min(1, Metropolis ratio); 1 for unadjusted Langevin
    energy:          []   φ of the state after the step
    delta_H:         []   HMC: H(proposal) − H(current) in units of kT; NaN for the others
    num_grad_evals:  []   int32, gradient evaluations spent by the step
    divergent:       []   bool, BlackJAX's meaning: a Hamiltonian transition whose energy error ΔH
                          exceeds ``DIVERGENCE_THRESHOLD`` (a NaN ΔH counts); False for ULA/MALA/MH
    nonfinite:       []   bool: the proposal's energy, gradient (or ΔH) is NaN/inf (``run_chains``
                          freezes such a chain)
    proposal_energy: []   φ of the proposal (tells an overflow from an energy running to −∞)
    proposal:        [*shape]     the proposed point (the new point for ULA)
    path:            [P, *shape]  the route to it: [x, x'] for ULA/MALA/MH/NUTS,
                                  the L + 1 leapfrog positions for HMC (for drawing)
    """

    accepted: jax.Array
    acceptance_prob: jax.Array
    energy: jax.Array
    delta_H: jax.Array
    num_grad_evals: jax.Array
    divergent: jax.Array
    nonfinite: jax.Array
    proposal_energy: jax.Array
    proposal: jax.Array
    path: jax.Array


DIVERGENCE_THRESHOLD = 1000.0  # ΔH in kT above which a transition is divergent (BlackJAX's default)


@runtime_checkable
class Sampler(Protocol):
    """What ``run_chains`` needs from a sampler: a frozen pytree dataclass with a
    traced ``step_size`` ε (adaptation replaces it with ``dataclasses.replace``),
    ``adaptable`` (class-level, static: whether a step has an acceptance
    probability to adapt ε on) and two pure functions on one unbatched chain:

    init(position [*shape], energy) -> SamplerState
    step(key, state, energy) -> (SamplerState, SamplerInfo)
    """

    step_size: float | jax.Array
    adaptable: ClassVar[bool]

    def init(self, position: jax.Array, energy: Energy) -> SamplerState: ...

    def step(self, key: jax.Array, state: SamplerState, energy: Energy) -> tuple[SamplerState, SamplerInfo]: ...


class GradientSampler:
    """Base of the samplers whose state caches ∇log p (ULA, MALA, HMC, NUTS):
    ``init`` written once; ε adaptable unless a subclass says otherwise."""

    adaptable: ClassVar[bool] = True

    def init(self, position: jax.Array, energy: Energy) -> SamplerState:
        return init_state(position, energy)


def is_divergent(delta_h: jax.Array) -> jax.Array:
    """ΔH > ``DIVERGENCE_THRESHOLD`` with a NaN ΔH counted as divergent (as BlackJAX's HMC)."""
    return jnp.where(jnp.isnan(delta_h), jnp.inf, delta_h) > DIVERGENCE_THRESHOLD


def gradient_state(energy: Energy, position: jax.Array) -> SamplerState:
    """The cached state at ``position`` with its gradient, in one pass: ∇log p is the
    gradient of log p = −φ/kT itself, so the 1/kT scaling sits in the backward pass
    instead of costing a separate pass over the field afterwards, and φ is −kT·log p
    (exact at kT = 1, else within an ulp), which XLA folds into the ops that read it
    instead of a kernel of its own (on small lattices a step's cost is its kernel
    launches)."""
    logdensity, grad_logdensity = jax.value_and_grad(lambda x: -energy.energy(x) / energy.kT)(position)
    return SamplerState(position, -energy.kT * logdensity, logdensity, grad_logdensity)


def init_state(position: jax.Array, energy: Energy, *, with_grad: bool = True) -> SamplerState:
    """Build the cached state at ``position`` [*shape] for ``energy``."""
    position = jnp.asarray(position, dtype=jnp.result_type(float))
    if with_grad:
        return gradient_state(energy, position)
    value = energy.energy(position)
    return SamplerState(position, value, -value / energy.kT, jnp.zeros_like(position))


def is_bad(*values: jax.Array) -> jax.Array:
    """True when any of ``values`` holds a NaN or an infinity."""
    return jnp.logical_not(jnp.all(jnp.array([jnp.all(jnp.isfinite(v)) for v in values])))


def single_proposal_info(
    current: SamplerState,
    proposal: SamplerState,
    new: SamplerState,
    accepted: jax.Array,
    acceptance_prob: jax.Array,
    num_grad_evals: int,
    log_ratio: jax.Array | None = None,
) -> SamplerInfo:
    """The info of a one-proposal step (ULA, MALA, MH): no ΔH, path [x, x'].

    ``log_ratio`` (MALA): the acceptance log-ratio, whose terms hold the proposal's gradient
    (log q(x | x') uses x' + (ε/2)∇log p(x')), so a NaN or infinite gradient makes it NaN or
    −∞. Then ``nonfinite`` is two scalar tests instead of a reduction over the gradient field
    in every step (it also flags a ratio that overflowed from finite terms: a rejection too)."""
    bad = (is_bad(proposal.energy, proposal.grad_logdensity) if log_ratio is None
           else ~(jnp.isfinite(proposal.energy) & jnp.isfinite(log_ratio)))
    return SamplerInfo(
        accepted=accepted,
        acceptance_prob=acceptance_prob,
        energy=new.energy,
        delta_H=jnp.full((), jnp.nan, new.energy.dtype),
        num_grad_evals=jnp.array(num_grad_evals, jnp.int32),
        divergent=jnp.array(False),
        nonfinite=bad,
        proposal_energy=proposal.energy,
        proposal=proposal.position,
        path=jnp.stack([current.position, proposal.position]),
    )
