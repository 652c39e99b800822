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

import functools
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

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


class ForwardFrames(NamedTuple):
    """What ``forward_frames`` returns (host arrays, trimmed to T steps and B fields).

    frames   [F, K, H, W]  x_t of the first K fields at the F requested steps
    x_T      [B, H, W]     the last state
    energy   [T+1, B]      φ(x_t) of the metric energy (NaN without one)
    entropy  [T+1, B]      the document's S(x_t)
    """

    frames: np.ndarray
    x_T: np.ndarray
    energy: np.ndarray
    entropy: np.ndarray


@functools.partial(jax.jit, static_argnames=("keep",))
def _forward_frames(key, x0, betas, num_steps, slots, guidance_strength, guidance_energy, metric_energy, *, keep):
    # betas [C] and slots [C+1] are padded to a capacity C; the loop runs the
    # traced num_steps = T ≤ C steps, so T never changes what is compiled.
    _tracing.mark("forward_frames")
    capacity = betas.shape[0]
    keys = jax.random.split(key, capacity)  # split(key, C)[:T] == split(key, T): partitionable threefry
    dtype = x0.dtype
    e0, s0 = frame_metrics(x0, metric_energy)
    rows = lambda first: jnp.zeros((capacity + 1, *first.shape), first.dtype).at[0].set(first)  # noqa: E731
    frames = jnp.zeros((_MAX_SLOTS, keep, *x0.shape[1:]), dtype).at[slots[0]].set(x0[:keep], mode="drop")

    def step(i, carry):
        x, frames, energies, entropies = carry
        x = jnp.sqrt(1.0 - betas[i]) * x + jnp.sqrt(betas[i]) * jax.random.normal(keys[i], x.shape, dtype)
        if guidance_energy is not None:
            lr = 0.001 * guidance_strength * (1.0 - (i + 1).astype(dtype) / num_steps.astype(dtype))
            x = x + lr * jax.vmap(guidance_energy.score)(x)
        energy, entropy = frame_metrics(x, metric_energy)
        frames = frames.at[slots[i + 1]].set(x[:keep], mode="drop")
        return x, frames, energies.at[i + 1].set(energy), entropies.at[i + 1].set(entropy)

    return jax.lax.fori_loop(0, num_steps, step, (x0, frames, rows(e0), rows(s0)))


_MAX_SLOTS = 64  # frames a forward_frames call can return


@functools.partial(jax.jit, static_argnames=("keep",))
def forward_chunk(keys, x, betas, start, num_steps, guidance_strength=1.0, guidance_energy=None, metric_energy=None,
                  *, keep=1):
    """Steps start+1 … start+K of the forward chain from x = x_start [B, H, W], for a live view
    that advances the chain a chunk at a time. ``keys`` [K] and ``betas`` [K] are that stretch
    of the chain's own (``jax.random.split(key, T)[start:start + K]``, ``schedule.betas[start:
    start + K]``; pad both past T and drop those rows), so successive chunks are
    ``forward_frames``'s chain, step for step. K (the keys' length) is static, ``start`` and
    T = ``num_steps`` are traced. Returns (x after the chunk, x_t of the first ``keep`` fields
    [K, keep, H, W], φ(x_t) [K, B], S(x_t) [K, B])."""
    _tracing.mark("forward_chunk")
    dtype = x.dtype

    def step(x, inputs):
        i, k, beta = inputs
        x = jnp.sqrt(1.0 - beta) * x + jnp.sqrt(beta) * jax.random.normal(k, x.shape, dtype)
        if guidance_energy is not None:
            lr = 0.001 * guidance_strength * (1.0 - (i + 1).astype(dtype) / jnp.asarray(num_steps, dtype))
            x = x + lr * jax.vmap(guidance_energy.score)(x)
        energy, entropy = frame_metrics(x, metric_energy)
        return x, (x[:keep], energy, entropy)

    index = jnp.asarray(start, jnp.int32) + jnp.arange(keys.shape[0], dtype=jnp.int32)
    x, (frames, energies, entropies) = jax.lax.scan(step, x, (index, keys, betas.astype(dtype)))
    return x, frames, energies, entropies


def forward_frames(
    key: jax.Array,
    x0: jax.Array,
    schedule: Schedule,
    frame_steps: Sequence[int],
    *,
    num_fields: int | None = None,
    keep: int = 1,
    max_steps: int | None = None,
    guidance_energy: Energy | None = None,
    guidance_strength: float = 1.0,
    metric_energy: Energy | None = None,
) -> ForwardFrames:
    """The forward chain of ``forward_trajectory`` (same draws, same states), keeping
    only the frames the animation shows: x_t of the first ``keep`` fields at the
    steps ``frame_steps`` (≤ 64 of them, increasing, in 0 … T).

    x0 [B_pad, H, W] may be padded (e.g. to a batch bucket); ``num_fields`` B
    says how many to keep. ``max_steps``: compile for up to this many steps
    (≥ T); T then runs as a traced trip count, so every T shares one program.
    """
    num_steps = len(schedule.betas)
    capacity = max(int(max_steps or num_steps), num_steps)
    fields = int(num_fields or x0.shape[0])
    frame_steps = np.asarray(frame_steps, np.int64)
    if len(frame_steps) > _MAX_SLOTS:
        raise ValueError(f"at most {_MAX_SLOTS} frames, got {len(frame_steps)}")
    slots = np.full(capacity + 1, _MAX_SLOTS, np.int32)  # _MAX_SLOTS: out of range, dropped
    slots[frame_steps] = np.arange(len(frame_steps), dtype=np.int32)
    betas = np.zeros(capacity)
    betas[:num_steps] = schedule.betas
    dtype = x0.dtype
    out = _forward_frames(key, x0, jnp.asarray(betas, dtype), jnp.asarray(num_steps, jnp.int32), jnp.asarray(slots),
                          jnp.asarray(guidance_strength, dtype), guidance_energy, metric_energy,
                          keep=int(min(keep, fields)))
    x_T, frames, energies, entropies = jax.device_get(out)
    return ForwardFrames(frames[: len(frame_steps)], x_T[:fields], energies[: num_steps + 1, :fields],
                         entropies[: num_steps + 1, :fields])
