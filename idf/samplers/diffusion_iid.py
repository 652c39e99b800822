"""Reverse diffusion as an i.i.d. sampler, behind the same result as the MCMC
samplers: C·S independent draws of ``idf.diffusion.sample`` (DDIM, η = 0,
leading spacing: its defaults), arranged as C "chains" of S draws so every
chain diagnostic (ESS, R̂, KL against n) reads them like ``run_chains``' output.

For the exact Gaussian denoiser every reverse step is linear-Gaussian, so the
loop's output law is known exactly (``iid_output_variance``): its KL to the
target is the bias that no number of draws removes.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from idf.diagnostics.gaussian import reverse_output_variance
from idf.diffusion import Denoiser, Schedule, sample, step_table, timesteps_for
from idf.energy.base import Energy
from idf.samplers.base import SamplerState
from idf.samplers.run import ChainResult


def diffusion_chains(
    key: jax.Array,
    denoiser: Denoiser,
    schedule: Schedule,
    energy: Energy,
    shape: tuple[int, int],
    num_chains: int,
    num_draws: int,
    *,
    inference_steps: int,
    max_steps: int | None = None,
) -> ChainResult:
    """C = ``num_chains`` × S = ``num_draws`` i.i.d. reverse-diffusion draws of
    ``shape`` [H, W] as a ``ChainResult``: positions [C, S, H, W]; energy [C, S]
    is φ of each draw under ``energy``; accepted True and acceptance_prob 1 (no
    test); delta_H NaN; num_grad_evals = ``inference_steps`` denoiser calls per
    draw; divergent False; nonfinite [C] marks a chain with a NaN/inf draw
    (nonfinite_step its first one, nonfinite_energy that draw's φ); step_size
    NaN; final_state the last draw of each chain (gradient zeros). ``max_steps``
    (≥ S): run S as a traced trip count in a loop of that capacity, so every
    S ≤ max_steps shares one program (``sample``'s; the same draws)."""
    n = num_chains * num_draws
    out = sample(key, denoiser, schedule, shape, n, inference_steps=inference_steps, eta=0.0, max_steps=max_steps)
    positions = jnp.asarray(out.samples).reshape(num_chains, num_draws, *shape)
    phi = jax.vmap(jax.vmap(energy.energy))(positions)
    bad = ~jnp.all(jnp.isfinite(positions.reshape(num_chains, num_draws, -1)), axis=-1) | ~jnp.isfinite(phi)
    nonfinite = jnp.any(bad, axis=1)
    first = jnp.argmax(bad, axis=1).astype(jnp.int32)
    dtype = positions.dtype
    last = positions[:, -1]
    return ChainResult(
        positions=positions,
        accepted=jnp.ones((num_chains, num_draws), bool),
        acceptance_prob=jnp.ones((num_chains, num_draws), dtype),
        energy=phi,
        delta_H=jnp.full((num_chains, num_draws), jnp.nan, dtype),
        num_grad_evals=jnp.full((num_chains, num_draws), inference_steps, jnp.int32),
        proposals=None,
        paths=None,
        divergent=jnp.zeros((num_chains, num_draws), bool),
        nonfinite_proposal=jnp.zeros((num_chains, num_draws), bool),
        nonfinite=nonfinite,
        nonfinite_step=jnp.where(nonfinite, first, -1),
        nonfinite_energy=jnp.where(nonfinite, jnp.take_along_axis(phi, first[:, None], axis=1)[:, 0], jnp.nan),
        step_size=jnp.full((), jnp.nan, dtype),
        final_state=SamplerState(last, phi[:, -1], -phi[:, -1] / energy.kT, jnp.zeros_like(last)),
    )


def iid_output_variance(power: np.ndarray, schedule: Schedule, inference_steps: int) -> np.ndarray:
    """Exact per-mode variance [H, W] of ``diffusion_chains``' draws with the exact
    Gaussian denoiser for a free field of per-mode variance ``power`` [H, W]
    (DDIM, η = 0, leading spacing, as ``diffusion_chains`` runs it)."""
    ab, ab_prev = step_table(schedule, timesteps_for(schedule, inference_steps, "leading"))
    return reverse_output_variance(power, ab, ab_prev, method="ddim", eta=0.0)
