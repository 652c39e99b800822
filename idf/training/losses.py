"""Training losses: the simple ε-MSE and the hybrid objective with a learned
reverse variance.

``eps_mse``: the "simple" objective of Ho et al. (2020), eq. 14:
E_{t, x₀, ε} ‖ε − ε̂_θ(√ᾱ_t·x₀ + √(1−ᾱ_t)·ε, t)‖², t uniform on 0 … T−1.

``hybrid_loss``: L_hybrid = L_simple + λ·L_vlb of Nichol & Dhariwal (2021),
§3.1, λ = 0.001, for a network that also predicts the reverse variance
σ²_θ = exp(v'·log β_t + (1−v')·log β̃_t) (their eq. 15; v' per site, see
``idf.models.variance_fraction``). With schedule index i = 0 … T−1 (paper
step t = i + 1; ``alpha_bars[i]`` = ᾱ after i + 1 noising steps):

- i ≥ 1: L_i = KL(q(x_{i}|x_{i+1}, x₀) ‖ p_θ(x_{i}|x_{i+1})) between
  N(μ̃, β̃ I) and N(μ_θ, σ²_θ I) (Ho et al. eq. 5–7), written by hand in
  ``normal_kl``;
- i = 0: the decoder term L_0 = −log N(x₀; μ_θ, σ²_θ I). Our fields are
  continuous, not 8-bit images, so there is no discretised decoder: L_0 is a
  Gaussian density and can be negative (the bound is on a differential
  entropy). At i = 0, β̃ = 0, and log β̃ is clipped to its value at i = 1, as
  improved DDPM does, so σ²_θ interpolates between β̃₁ and β₀.

Every term is in nats per site (mean over sites). μ_θ is built from
stop_gradient(ε̂), so L_vlb trains only the variance and L_simple only the
mean. L_vlb is the sum of the terms over t (the bound without its
parameter-free prior term), estimated as T·L_i at one uniform i per sample:
with λ = 0.001 this is the paper's weighting (their code multiplies each
term by T/1000). No importance sampling of t.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from idf.diffusion import q_sample
from idf.diffusion.reverse import ddpm_posterior, predict_x0

LOG_2PI = 1.8378770664093453


def normal_kl(mean1: jax.Array, logvar1: jax.Array, mean2: jax.Array, logvar2: jax.Array) -> jax.Array:
    """KL(N(mean1, e^logvar1) ‖ N(mean2, e^logvar2)) per element, in nats:

        ½·[logvar2 − logvar1 + e^(logvar1 − logvar2) − 1 + (mean1 − mean2)²·e^(−logvar2)]

    with e^a − 1 as ``expm1`` so nearly equal variances (large t) keep their
    precision. Broadcasts over its arguments.
    """
    a = logvar1 - logvar2
    return 0.5 * (jnp.expm1(a) - a + (mean1 - mean2) ** 2 * jnp.exp(-logvar2))


def gaussian_nll(x: jax.Array, mean: jax.Array, logvar: jax.Array) -> jax.Array:
    """−log N(x; mean, e^logvar) per element, in nats (a density: may be negative)."""
    return 0.5 * (LOG_2PI + logvar + (x - mean) ** 2 * jnp.exp(-logvar))


def vlb_terms(
    x0: jax.Array,
    x_t: jax.Array,
    t: jax.Array,
    eps_hat: jax.Array,
    frac: jax.Array,
    alpha_bars: jax.Array,
) -> jax.Array:
    """L_t per sample [B], nats per site (see the module docstring).

    x0, x_t     clean and noised fields [B, H, W]
    t           schedule indices [B] int
    eps_hat     predicted noise [B, H, W]; enters through stop_gradient
    frac        variance fraction v' [B, H, W]
    alpha_bars  ᾱ for every training timestep [T], T ≥ 2
    """
    ab = alpha_bars[t][:, None, None]
    ab_prev = jnp.where(t > 0, alpha_bars[jnp.maximum(t - 1, 0)], 1.0)[:, None, None]
    c0, ct, var = ddpm_posterior(ab, ab_prev)
    beta = 1.0 - ab / ab_prev
    var_first = ddpm_posterior(alpha_bars[1], alpha_bars[0])[2]
    log_var_true = jnp.log(jnp.where(t[:, None, None] > 0, var, var_first))
    log_var_model = frac * jnp.log(beta) + (1.0 - frac) * log_var_true  # improved DDPM eq. 15
    mean_true = c0 * x0 + ct * x_t  # DDPM eq. 7
    mean_model = c0 * predict_x0(x_t, jax.lax.stop_gradient(eps_hat), ab) + ct * x_t
    kl = jnp.mean(normal_kl(mean_true, log_var_true, mean_model, log_var_model), axis=(1, 2))
    nll = jnp.mean(gaussian_nll(x0, mean_model, log_var_model), axis=(1, 2))
    return jnp.where(t > 0, kl, nll)


def _noised(key: jax.Array, x0: jax.Array, num_steps: int):
    """(t [B], ε [B, H, W]) from ``key``: the same draws for every loss."""
    key_t, key_noise = jax.random.split(key)
    t = jax.random.randint(key_t, (x0.shape[0],), 0, num_steps, dtype=jnp.int32)
    return t, jax.random.normal(key_noise, x0.shape, x0.dtype)


def eps_mse(
    key: jax.Array,
    predict: Callable[[jax.Array, jax.Array, jax.Array], jax.Array],
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
    t, noise = _noised(key, x0, alpha_bars.shape[0])
    ab = alpha_bars[t].astype(x0.dtype)[:, None, None]
    x_t = q_sample(x0, ab, noise)
    per_sample = jnp.mean((predict(x_t, t, ab[:, 0, 0]) - noise) ** 2, axis=(1, 2))
    loss = jnp.mean(per_sample)
    return loss, {"loss": loss, "t": t, "per_sample": per_sample}


def hybrid_loss(
    key: jax.Array,
    predict: Callable[[jax.Array, jax.Array, jax.Array], tuple[jax.Array, jax.Array]],
    x0: jax.Array,
    alpha_bars: jax.Array,
    vlb_weight: jax.Array | float = 1e-3,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """L_simple + λ·L_vlb on one batch (same t and ε draws as ``eps_mse`` for the same key).

    predict     (x_t [B, H, W], t [B] int32, ᾱ_t [B]) → (ε̂, v') [B, H, W] each
    vlb_weight  λ (traced: changing it does not recompile)
    Returns (scalar loss, {"loss", "t", "per_sample", "mse", "vlb"}):
    per_sample [B] is the hybrid loss per sample; ``mse`` the batch ε-MSE;
    ``vlb`` the batch mean of T·L_t, an unbiased estimate of the bound
    Σ_t L_t in nats per site (without the prior term L_T).
    """
    num_steps = alpha_bars.shape[0]
    t, noise = _noised(key, x0, num_steps)
    ab = alpha_bars[t].astype(x0.dtype)[:, None, None]
    x_t = q_sample(x0, ab, noise)
    eps_hat, frac = predict(x_t, t, ab[:, 0, 0])
    mse = jnp.mean((eps_hat - noise) ** 2, axis=(1, 2))
    vlb = num_steps * vlb_terms(x0, x_t, t, eps_hat, frac, alpha_bars.astype(x0.dtype))
    per_sample = mse + vlb_weight * vlb
    loss = jnp.mean(per_sample)
    return loss, {"loss": loss, "t": t, "per_sample": per_sample, "mse": jnp.mean(mse), "vlb": jnp.mean(vlb)}
