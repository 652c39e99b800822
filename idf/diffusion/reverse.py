"""One reverse step, in paper notation. All functions are elementwise in x, so
they work on one field or a batch alike; ᾱ values are scalars.

Notation map (Song et al. 2021, "DDIM"; Ho et al. 2020, "DDPM"):
    alpha_bar       -> ᾱ_t            (at the current timestep of the sub-sequence)
    alpha_bar_prev  -> ᾱ_prev         (at the next one down; 1 after the last step)
    eps             -> ε̂(x_t, t)      (predicted noise)
    x0_hat          -> x̂₀             (predicted clean data)
    sigma           -> σ_t(η)         (DDIM eq. 16)
    frac            -> v'             (learned-variance fraction; Nichol & Dhariwal 2021, eq. 15)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from idf.diffusion.options import GuidanceForm, choose


def predict_x0(x_t: jax.Array, eps: jax.Array, alpha_bar: jax.Array) -> jax.Array:
    """x̂₀ = (x_t − √(1−ᾱ_t)·ε̂)/√ᾱ_t.  (DDIM eq. 9, solved for x₀.)"""
    return (x_t - jnp.sqrt(1.0 - alpha_bar) * eps) / jnp.sqrt(alpha_bar)


def eps_from_x0(x_t: jax.Array, x0_hat: jax.Array, alpha_bar: jax.Array) -> jax.Array:
    """The ε̂ consistent with x_t and a (possibly modified) x̂₀."""
    return (x_t - jnp.sqrt(alpha_bar) * x0_hat) / jnp.sqrt(1.0 - alpha_bar)


def ddim_sigma(alpha_bar: jax.Array, alpha_bar_prev: jax.Array, eta: jax.Array) -> jax.Array:
    """σ_t(η) = η·√((1−ᾱ_prev)/(1−ᾱ_t))·√(1 − ᾱ_t/ᾱ_prev).  (DDIM eq. 16.)"""
    return eta * jnp.sqrt((1.0 - alpha_bar_prev) / (1.0 - alpha_bar)) * jnp.sqrt(1.0 - alpha_bar / alpha_bar_prev)


def ddim_step(
    x0_hat: jax.Array,
    eps: jax.Array,
    alpha_bar_prev: jax.Array,
    sigma: jax.Array,
    z: jax.Array,
) -> jax.Array:
    """x_prev = √ᾱ_prev·x̂₀ + √(1−ᾱ_prev−σ²)·ε̂ + σ·z.  (DDIM eq. 12.)"""
    direction = jnp.sqrt(jnp.clip(1.0 - alpha_bar_prev - sigma**2, 0.0)) * eps
    return jnp.sqrt(alpha_bar_prev) * x0_hat + direction + sigma * z


def ddpm_posterior(alpha_bar: jax.Array, alpha_bar_prev: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Coefficients of q(x_prev | x_t, x₀) = N(c₀·x₀ + c_t·x_t, β̃).

    Strided form: α_t → ᾱ_t/ᾱ_prev and β_t → 1 − ᾱ_t/ᾱ_prev (DDPM eq. 7 with
    the sub-sequence's own one-step β). Returns (c₀, c_t, β̃).
    """
    alpha = alpha_bar / alpha_bar_prev
    beta = 1.0 - alpha
    c0 = jnp.sqrt(alpha_bar_prev) * beta / (1.0 - alpha_bar)
    ct = jnp.sqrt(alpha) * (1.0 - alpha_bar_prev) / (1.0 - alpha_bar)
    var = (1.0 - alpha_bar_prev) / (1.0 - alpha_bar) * beta
    return c0, ct, var


def learned_variance(frac: jax.Array, alpha_bar: jax.Array, alpha_bar_prev: jax.Array) -> jax.Array:
    """σ²_θ = exp(v'·log β + (1−v')·log β̃)  (improved DDPM eq. 15).

    β and β̃ are the step's own (strided) values, as ``ddpm_posterior`` has them:
    on a sub-sequence this is the interpolation in the respaced β's of Nichol &
    Dhariwal's ``respace.py``. Written as β̃·exp(v'·(log β − log β̃)), so v' = 0
    gives β̃ bit for bit. The last step (ᾱ_prev = 1, β̃ = 0) gets σ² = 0: the
    loop returns the mean there, as with the fixed variance. ``frac`` is v' per
    site; the result broadcasts like it.
    """
    _, _, var = ddpm_posterior(alpha_bar, alpha_bar_prev)
    beta = 1.0 - alpha_bar / alpha_bar_prev
    positive = var > 0.0
    safe = jnp.where(positive, var, 1.0)
    return jnp.where(positive, safe * jnp.exp(frac * (jnp.log(beta) - jnp.log(safe))), 0.0)


def ddpm_step(
    x_t: jax.Array,
    x0_hat: jax.Array,
    alpha_bar: jax.Array,
    alpha_bar_prev: jax.Array,
    z: jax.Array,
    frac: jax.Array | None = None,
) -> jax.Array:
    """x_prev = μ̃(x_t, x̂₀) + σ·z with the posterior mean (DDPM eq. 6–7) and
    σ² = β̃ (DDPM eq. 7), or the learned σ²_θ of ``learned_variance`` when the
    denoiser predicts a variance fraction ``frac`` (same shape as x_t)."""
    c0, ct, var = ddpm_posterior(alpha_bar, alpha_bar_prev)
    if frac is not None:
        var = learned_variance(frac, alpha_bar, alpha_bar_prev)
    return c0 * x0_hat + ct * x_t + jnp.sqrt(var) * z


def guide_eps(
    eps: jax.Array,
    score: jax.Array,
    alpha_bar: jax.Array,
    scale: jax.Array,
    form: GuidanceForm | str,
) -> jax.Array:
    """Energy guidance of the predicted noise with the score ∇log p_φ(x_t).

    ``document``: ε̂ − s·∇log p_φ  (the design document's form; dimensionally
    off by the noise level, right only near t = 0).
    ``scaled``: ε̂ − s·√(1−ᾱ_t)·∇log p_φ  (since ε = −√(1−ᾱ_t)·∇log p_t, this
    adds s·∇log p_φ to the model's score: classifier-guidance style).
    ``form`` is static (a Python value under ``jit``).
    """
    if choose(GuidanceForm, form, "guidance form") is GuidanceForm.SCALED:
        return eps - scale * jnp.sqrt(1.0 - alpha_bar) * score
    return eps - scale * score


def conserve_norm(x0_hat: jax.Array, x_t: jax.Array, eps: float = 1e-10) -> tuple[jax.Array, jax.Array]:
    """The document's "energy conservation": rescale x̂₀ [H, W] so Σx̂₀² = Σx_t².

    Returns (rescaled x̂₀, the factor applied). It conserves nothing physical
    (Σx² is not φ) and it biases samples: we report the factor at every step.
    """
    factor = jnp.sqrt(jnp.sum(x_t**2) / (jnp.sum(x0_hat**2) + eps))
    return x0_hat * factor, factor
