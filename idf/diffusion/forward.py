"""Forward diffusion q(x_t | x₀) = N(√ᾱ_t·x₀, (1 − ᾱ_t)·I).

Two ways to go forward, both on a batch of fields [B, H, W]:
- ``q_sample``: the closed form at one t (Ho et al. 2020, eq. 4).
- ``forward_trajectory``: the step-by-step chain x_t = √(1−β_t)·x_{t−1} + √β_t·ε,
  with the design document's optional energy-guided correction
  x_t ← x_t + lr_t·∇log p_φ(x_t), lr_t = 0.001·strength·(1 − t/T). That
  correction is not part of any diffusion model: it makes q depend on φ, and
  the marginals stop being the closed form (we measure by how much).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from idf import _tracing
from idf.diffusion._metrics import frame_metrics
from idf.diffusion.schedules import Schedule
from idf.energy import Energy


def q_sample(x0: jax.Array, alpha_bar: jax.Array, noise: jax.Array) -> jax.Array:
    """x_t = √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε (any shape; ᾱ_t broadcasts)."""
    return jnp.sqrt(alpha_bar) * x0 + jnp.sqrt(1.0 - alpha_bar) * noise


class ForwardResult(NamedTuple):
    """``trajectory`` [T+1, B, H, W] (index 0 is x₀); ``energy`` and
    ``entropy`` [T+1, B]: φ(x_t) of the metric energy (NaN without one) and the
    document's Shannon entropy S(x_t)."""

    trajectory: jax.Array
    energy: jax.Array
    entropy: jax.Array


@jax.jit
def _forward_chain(key, x0, betas, guidance_strength, guidance_energy, metric_energy):
    _tracing.mark("forward_trajectory")
    num_steps = betas.shape[0]
    keys = jax.random.split(key, num_steps)
    frac = jnp.arange(1, num_steps + 1, dtype=x0.dtype) / num_steps

    def step(x, inputs):
        k, beta, f = inputs
        x = jnp.sqrt(1.0 - beta) * x + jnp.sqrt(beta) * jax.random.normal(k, x.shape, x.dtype)
        if guidance_energy is not None:
            lr = 0.001 * guidance_strength * (1.0 - f)
            x = x + lr * jax.vmap(guidance_energy.score)(x)
        return x, (x, *frame_metrics(x, metric_energy))

    _, (xs, energies, entropies) = jax.lax.scan(step, x0, (keys, betas.astype(x0.dtype), frac))
    e0, s0 = frame_metrics(x0, metric_energy)
    return ForwardResult(
        trajectory=jnp.concatenate([x0[None], xs]),
        energy=jnp.concatenate([e0[None], energies]),
        entropy=jnp.concatenate([s0[None], entropies]),
    )


def forward_trajectory(
    key: jax.Array,
    x0: jax.Array,
    schedule: Schedule,
    *,
    guidance_energy: Energy | None = None,
    guidance_strength: float = 1.0,
    metric_energy: Energy | None = None,
) -> ForwardResult:
    """Run the step-by-step forward chain from x₀ [B, H, W] through all T steps.

    One compilation per (shape, T, whether guidance/metrics are on); the betas,
    the guidance strength and the energies' parameters are traced.
    """
    betas = jnp.asarray(schedule.betas, dtype=x0.dtype)
    return _forward_chain(key, x0, betas, guidance_strength, guidance_energy, metric_energy)
