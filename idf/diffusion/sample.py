"""The reverse-diffusion loop: x_T ~ N(0, T_s·I) → x₀, as one jitted scan.

One compilation per (batch shape, number of inference steps, method, guidance
form, constraint on/off, which optional inputs are present). The timestep
table, η, the sampling temperature, the guidance scale and every energy or
denoiser parameter are traced, so moving a slider never recompiles.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from idf import _tracing
from idf.diffusion import reverse
from idf.diffusion.denoisers import apply_batched, learns_variance
from idf.diffusion.schedules import Schedule, inference_timesteps, step_table
from idf.energy import Energy, shannon_entropy
from idf.parallel import shard_batch

METHODS = ("ddim", "ddpm")
GUIDANCE_FORMS = ("document", "scaled")


class ReverseResult(NamedTuple):
    """What the reverse loop returns.

    samples      [B, H, W]        x₀
    trajectory   [S+1, K, H, W]   x_T … x₀ for the first K samples (animation)
    timesteps    [S]              training timesteps visited, descending
    energy       [S+1, B]         φ(x_t) of the metric energy (NaN without one)
    entropy      [S+1, B]         the document's Shannon entropy S(x_t)
    norm_ratio   [S, B]           Σx̂₀²/Σx_t² before any rescaling: what the
                                  document's "energy conservation" would undo
    scale        [S, B]           the factor the constraint applied (1 when off)
    diverged     [B] int32        −1, or the index s (into ``timesteps``) of the
                                  step whose output first held NaN/inf: that sample
                                  is frozen at its last finite state x_{t+1}
    """

    samples: jax.Array
    trajectory: jax.Array
    timesteps: jax.Array
    energy: jax.Array
    entropy: jax.Array
    norm_ratio: jax.Array
    scale: jax.Array
    diverged: jax.Array


def _metrics(x, metric_energy):
    entropy = shannon_entropy(x)
    if metric_energy is None:
        return jnp.full(x.shape[:1], jnp.nan, x.dtype), entropy
    return jax.vmap(metric_energy.energy)(x), entropy


def _reverse_loop(
    key,
    x_T,
    denoiser,
    timesteps,
    alpha_bar,
    alpha_bar_prev,
    eta,
    temperature,
    guidance_scale,
    guidance_energy,
    metric_energy,
    condition,
    known,
    *,
    method: str,
    guidance_form: str,
    conserve_energy: bool,
    keep: int,
):
    _tracing.mark("reverse_sample")
    noise_scale = jnp.sqrt(temperature)
    keys = jax.random.split(key, timesteps.shape[0])
    learned = method == "ddpm" and learns_variance(denoiser)

    def step(carry, inputs):
        x, diverged = carry
        k, t, ab, ab_prev, index = inputs
        frac = None
        if learned:
            eps, frac = apply_batched(denoiser, x, t, ab, condition, with_variance=True)
        else:
            eps = apply_batched(denoiser, x, t, ab, condition)
        if guidance_energy is not None:
            score = jax.vmap(guidance_energy.score)(x)
            eps = reverse.guide_eps(eps, score, ab, guidance_scale, guidance_form)
        x0_hat = reverse.predict_x0(x, eps, ab)
        sum_sq = lambda v: jnp.sum(v**2, axis=(-2, -1))  # noqa: E731
        norm_ratio = sum_sq(x0_hat) / sum_sq(x)
        if conserve_energy:
            x0_hat, factor = jax.vmap(reverse.conserve_norm)(x0_hat, x)
            eps = reverse.eps_from_x0(x, x0_hat, ab)
        else:
            factor = jnp.ones_like(norm_ratio)
        z = noise_scale * jax.random.normal(k, x.shape, x.dtype)
        if method == "ddim":
            sigma = reverse.ddim_sigma(ab, ab_prev, eta)
            x_prev = reverse.ddim_step(x0_hat, eps, ab_prev, sigma, z)
        else:
            x_prev = reverse.ddpm_step(x, x0_hat, ab, ab_prev, z, frac)
        if known is not None:
            # Inpainting: known sites are replaced by the observation noised to
            # the new level, so they end exactly at the observed values.
            values, mask = known
            fresh = jax.random.normal(jax.random.fold_in(k, 1), x.shape, x.dtype)
            noisy = jnp.sqrt(ab_prev) * values + jnp.sqrt(1.0 - ab_prev) * noise_scale * fresh
            x_prev = jnp.where(mask, noisy, x_prev)
        # Divergence: a sample whose new state holds NaN/inf keeps its last
        # finite state from then on, and the step is recorded.
        finite = jnp.all(jnp.isfinite(x_prev), axis=(-2, -1))
        diverged = jnp.where((diverged < 0) & ~finite, index, diverged)
        x_prev = jnp.where((diverged >= 0)[:, None, None], x, x_prev)
        energy, entropy = _metrics(x_prev, metric_energy)
        return (x_prev, diverged), (x_prev[:keep], energy, entropy, norm_ratio, factor)

    xs = (keys, timesteps, alpha_bar, alpha_bar_prev, jnp.arange(timesteps.shape[0], dtype=jnp.int32))
    start = (x_T, jnp.full(x_T.shape[:1], -1, jnp.int32))
    (x0, diverged), (frames, energies, entropies, ratios, factors) = jax.lax.scan(step, start, xs)
    e_T, s_T = _metrics(x_T, metric_energy)
    return ReverseResult(
        samples=x0,
        trajectory=jnp.concatenate([x_T[None, :keep], frames]),
        timesteps=timesteps,
        energy=jnp.concatenate([e_T[None], energies]),
        entropy=jnp.concatenate([s_T[None], entropies]),
        norm_ratio=ratios,
        scale=factors,
        diverged=diverged,
    )


_reverse_loop_jit = jax.jit(_reverse_loop, static_argnames=("method", "guidance_form", "conserve_energy", "keep"))


def sample(
    key: jax.Array,
    denoiser: Any,
    schedule: Schedule,
    shape: tuple[int, int],
    num_samples: int,
    *,
    inference_steps: int = 50,
    method: str = "ddim",
    eta: float = 0.0,
    spacing: str = "leading",
    temperature: float = 1.0,
    guidance_energy: Energy | None = None,
    guidance_scale: float = 0.0,
    guidance_form: str = "document",
    conserve_energy: bool = False,
    condition: jax.Array | None = None,
    known: tuple[jax.Array, jax.Array] | None = None,
    metric_energy: Energy | None = None,
    keep: int = 4,
    x_T: jax.Array | None = None,
    start_step: int | None = None,
    shard: bool = True,
) -> ReverseResult:
    """Generate ``num_samples`` fields of ``shape`` by reverse diffusion.

    key              PRNG key; split into the start noise and one key per step.
    denoiser         ε̂(x_t, t, ᾱ_t, condition) on one field (see ``denoisers``).
    schedule         the training schedule (``make_schedule``).
    inference_steps  S: length of the strided sub-sequence (``spacing``:
                     "leading" or "trailing"); S = T with DDPM is the full chain.
    method           "ddim" (η ∈ [0, 1]; η = 1 has DDPM's variance) or "ddpm".
                     With "ddpm", a denoiser that ``learns_variance`` (a U-Net
                     trained with the hybrid loss) sets σ²_θ per site instead of
                     the fixed β̃, on a strided sub-sequence by interpolating
                     between the strided β and β̃ (``reverse.learned_variance``);
                     DDIM, at any η, uses only ε̂.
    temperature      T_s: every Gaussian draw, x_T included, is scaled by √T_s.
                     For a linear-Gaussian loop this multiplies the output
                     covariance by exactly T_s.
    guidance_*       energy guidance (see ``reverse.guide_eps``); off when no
                     energy is given.
    conserve_energy  the document's rescaling of x̂₀ to Σx̂₀² = Σx_t².
    condition        [B, H, W] passed to the denoiser (conditional models).
    known            (values [H, W], mask [H, W] bool): inpainting; masked
                     sites end at ``values`` exactly.
    metric_energy    φ used for the per-step energy trace.
    keep             how many samples' full trajectories to return.
    x_T              start noise [B, H, W] (default: drawn from ``key``).
    shard            split the batch over all local devices when there are
                     several (``idf.parallel``); the samples do not change.
    start_step       SDEdit-style refinement: build the ``spacing`` sub-sequence
                     on the truncated range [0, start_step] instead of [0, T),
                     so the loop starts at an intermediate timestep. Pass
                     x_T = q_sample(x_init, ᾱ_first, noise) with t_first =
                     ``timesteps_for(..., start_step=start_step)[0]`` (≤ start_step;
                     = start_step with "trailing"). None: the full range.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: choose one of {', '.join(METHODS)}")
    if guidance_form not in GUIDANCE_FORMS:
        raise ValueError(f"unknown guidance form {guidance_form!r}: choose one of {', '.join(GUIDANCE_FORMS)}")
    if not 0.0 <= float(eta) <= 1.0:
        raise ValueError(f"eta must be in [0, 1], got {eta}")
    if not float(temperature) > 0.0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    steps = timesteps_for(schedule, inference_steps, spacing, start_step=start_step)
    ab, ab_prev = step_table(schedule, steps)
    dtype = jnp.result_type(float)
    key_start, key_loop = jax.random.split(key)
    if x_T is None:
        x_T = jnp.sqrt(temperature) * jax.random.normal(key_start, (num_samples, *shape), dtype)
    if shard:
        x_T = shard_batch(x_T)
    if known is not None:
        known = (jnp.asarray(known[0], dtype), jnp.asarray(known[1], bool))
    return _reverse_loop_jit(
        key_loop,
        x_T,
        denoiser,
        jnp.asarray(steps, jnp.int32),
        jnp.asarray(ab, dtype),
        jnp.asarray(ab_prev, dtype),
        jnp.asarray(eta, dtype),
        jnp.asarray(temperature, dtype),
        jnp.asarray(guidance_scale, dtype),
        guidance_energy,
        metric_energy,
        condition,
        known,
        method=method,
        guidance_form=guidance_form,
        conserve_energy=bool(conserve_energy),
        keep=int(min(keep, num_samples)),
    )


def timesteps_for(
    schedule: Schedule, inference_steps: int, spacing: str, *, start_step: int | None = None
) -> np.ndarray:
    """The descending training timesteps a ``sample`` call visits [S].

    With ``start_step`` the sub-sequence is built on [0, start_step] (SDEdit).
    """
    if start_step is None:
        return inference_timesteps(schedule.num_steps, inference_steps, spacing)
    if not 0 <= int(start_step) < schedule.num_steps:
        raise ValueError(f"start_step must be in [0, {schedule.num_steps - 1}], got {start_step}")
    return inference_timesteps(int(start_step) + 1, inference_steps, spacing)


def divergence_report(result: ReverseResult) -> str | None:
    """None when every sample stayed finite, else one sentence: how many
    samples diverged, at which step first, and the likely causes."""
    diverged = np.asarray(result.diverged)
    bad = diverged >= 0
    if not bad.any():
        return None
    first = int(diverged[bad].min())
    steps = int(np.asarray(result.timesteps).shape[0])
    t = int(np.asarray(result.timesteps)[first])
    return (
        f"{int(bad.sum())} of {bad.size} samples became NaN/inf, first at step {first + 1} of {steps} (t = {t}); "
        "each is kept at its last finite state. Likely cause: a guidance scale too large in magnitude for this "
        "energy (a negative scale pushes away from its minimum, so the field grows every step; a stiff score "
        "outgrows the noise), the rescaling constraint, or a temperature far from 1: bring the guidance scale "
        "towards 0, switch the rescaling off or set the temperature nearer 1"
    )
