"""Training losses for ε-prediction.

``eps_mse``: the "simple" objective of Ho et al. (2020), eq. 14:
E_{t, x₀, ε} ‖ε − ε̂_θ(√ᾱ_t·x₀ + √(1−ᾱ_t)·ε, t)‖², t uniform on 0 … T−1.

Not implemented: the hybrid L_simple + λ·L_vlb of Nichol & Dhariwal (2021),
which needs a network that also predicts the reverse variance; our samplers
use DDIM (η = 0) or the fixed DDPM posterior variance, so a learned variance
would not be used.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from idf.diffusion import q_sample


def eps_mse(
    key: jax.Array,
    predict: Callable[[jax.Array, jax.Array], jax.Array],
    x0: jax.Array,
    alpha_bars: jax.Array,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """ε-MSE on one batch.

    key         split into the timesteps and the noise
    predict     (x_t [B, H, W], t [B] int32, ᾱ_t [B]) → ε̂ [B, H, W]
    x0          clean fields [B, H, W]
    alpha_bars  ᾱ for every training timestep [T]
    Returns (scalar loss, {"loss", "t", "per_sample"}): per-sample losses [B]
    and their timesteps [B], for loss-versus-t plots.
    """
    key_t, key_noise = jax.random.split(key)
    t = jax.random.randint(key_t, (x0.shape[0],), 0, alpha_bars.shape[0], dtype=jnp.int32)
    noise = jax.random.normal(key_noise, x0.shape, x0.dtype)
    ab = alpha_bars[t].astype(x0.dtype)[:, None, None]
    x_t = q_sample(x0, ab, noise)
    per_sample = jnp.mean((predict(x_t, t, ab[:, 0, 0]) - noise) ** 2, axis=(1, 2))
    loss = jnp.mean(per_sample)
    return loss, {"loss": loss, "t": t, "per_sample": per_sample}
