"""The reverse-diffusion loop: x_T ~ N(0, T_s·I) → x₀, as one jitted scan.

``sample`` takes the loop's plain knobs as keywords (steps, solver, η,
spacing, temperature) and each optional feature as one small frozen object:

    Guidance(energy, scale, form)   energy guidance of ε̂ (``reverse.guide_eps``)
    Inpaint(values, mask)           replacement inpainting of known sites
    Start(x, step)                  a given start field, and SDEdit's start step

One compilation per (batch shape, step capacity, solver, guidance form,
constraint on/off, which optional inputs are present). The timestep table, the
step count S (up to ``max_steps``), η, the sampling temperature, the guidance
scale and every energy or denoiser parameter are traced, so moving a slider
never recompiles; ``batch_capacity`` pads the batch to a bucket.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from idf import _tracing
from idf._pytree import pytree_dataclass, static
from idf.diffusion import reverse
from idf.diffusion._metrics import frame_metrics
from idf.diffusion.denoisers import Denoiser, apply_batched
from idf.diffusion.options import GuidanceForm, Solver, Spacing, choose, values
from idf.diffusion.schedules import Schedule, step_table, timesteps_for
from idf.energy import Energy
from idf.parallel import shard_batch

SOLVERS = values(Solver)
# |x| beyond this (in the data's units: fields are standardized to unit variance) is a blow-up
# even while finite: float32 runs on to ~1e37 before the first inf, long after the physics is gone.
BLOWUP = 1e8
GUIDANCE_FORMS = values(GuidanceForm)


@pytree_dataclass
class Guidance:
    """Energy guidance: ε̂ ← ``reverse.guide_eps(ε̂, ∇log p_φ(x_t), ᾱ_t, scale, form)``.

    energy  the φ whose score guides (a pytree: its parameters are traced)
    scale   s (traced: moving it never recompiles; s = 0 leaves ε̂ unchanged)
    form    "document" (ε̂ − s·∇log p_φ) or "scaled" (ε̂ − s·√(1−ᾱ_t)·∇log p_φ); static
    """

    energy: Energy
    scale: float | jax.Array = 0.0
    form: GuidanceForm | str = static(GuidanceForm.DOCUMENT)


@pytree_dataclass
class Inpaint:
    """Replacement inpainting: after every step the sites where ``mask`` [H, W]
    (bool) is True are reset to ``values`` [H, W] noised to the new level, so
    they end at ``values`` exactly."""

    values: jax.Array
    mask: jax.Array


@dataclasses.dataclass(frozen=True)
class Start:
    """Where the loop starts (host-side; not traced as a whole).

    x     start field [B, H, W] (None: drawn from the key, √T_s·N(0, I))
    step  SDEdit-style refinement: build the ``spacing`` sub-sequence on the
          truncated range [0, step] instead of [0, T), so the loop starts at an
          intermediate timestep. Pass x = q_sample(x_init, ᾱ_first, noise) with
          t_first = ``timesteps_for(..., start_step=step)[0]`` (≤ step; = step
          with "trailing"). None: the full range.
    """

    x: jax.Array | None = None
    step: int | None = None


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
                                  step whose output first held NaN/inf or a site
                                  with |x| > ``BLOWUP``: that sample is frozen at its
                                  last good state x_{t+1}
    """

    samples: jax.Array
    trajectory: jax.Array
    timesteps: jax.Array
    energy: jax.Array
    entropy: jax.Array
    norm_ratio: jax.Array
    scale: jax.Array
    diverged: jax.Array


def _step(s, x, diverged, keys, denoiser, timesteps, alpha_bar, alpha_bar_prev, eta, noise_scale, guidance,
          condition, inpaint, solver, conserve_energy, learned):
    """Reverse step s (index into the step tables) from x [B, H, W]; returns (x_{t-1},
    diverged, Σx̂₀²/Σx_t² [B], the constraint's factor [B]). Shared by the loop and the chunks."""
    k, t, ab, ab_prev = keys[s], timesteps[s], alpha_bar[s], alpha_bar_prev[s]
    frac = None
    if learned:
        eps, frac = apply_batched(denoiser, x, t, ab, condition, with_variance=True)
    else:
        eps = apply_batched(denoiser, x, t, ab, condition)
    if guidance is not None:
        score = jax.vmap(guidance.energy.score)(x)
        eps = reverse.guide_eps(eps, score, ab, guidance.scale, guidance.form)
    x0_hat = reverse.predict_x0(x, eps, ab)
    sum_sq = lambda v: jnp.sum(v**2, axis=(-2, -1))  # noqa: E731
    norm_ratio = sum_sq(x0_hat) / sum_sq(x)
    if conserve_energy:
        x0_hat, factor = jax.vmap(reverse.conserve_norm)(x0_hat, x)
        eps = reverse.eps_from_x0(x, x0_hat, ab)
    else:
        factor = jnp.ones_like(norm_ratio)
    z = noise_scale * jax.random.normal(k, x.shape, x.dtype)
    if solver is Solver.DDIM:
        sigma = reverse.ddim_sigma(ab, ab_prev, eta)
        x_prev = reverse.ddim_step(x0_hat, eps, ab_prev, sigma, z)
    else:
        x_prev = reverse.ddpm_step(x, x0_hat, ab, ab_prev, z, frac)
    if inpaint is not None:
        # Known sites are replaced by the observation noised to the new
        # level, so they end exactly at the observed values.
        fresh = jax.random.normal(jax.random.fold_in(k, 1), x.shape, x.dtype)
        noisy = jnp.sqrt(ab_prev) * inpaint.values + jnp.sqrt(1.0 - ab_prev) * noise_scale * fresh
        x_prev = jnp.where(inpaint.mask, noisy, x_prev)
    # Divergence: a sample whose new state holds NaN/inf, or has blown up past
    # BLOWUP while still finite, keeps its last good state from then on, and
    # the step is recorded.
    finite = jnp.all(jnp.isfinite(x_prev) & (jnp.abs(x_prev) <= BLOWUP), axis=(-2, -1))
    diverged = jnp.where((diverged < 0) & ~finite, s, diverged)
    x_prev = jnp.where((diverged >= 0)[:, None, None], x, x_prev)
    return x_prev, diverged, norm_ratio, factor


def _reverse_loop(
    key,
    x_T,
    denoiser,
    timesteps,
    alpha_bar,
    alpha_bar_prev,
    num_steps,
    eta,
    temperature,
    guidance,
    metric_energy,
    condition,
    inpaint,
    *,
    solver: Solver,
    conserve_energy: bool,
    keep: int,
):
    # The step tables are padded to a capacity C = timesteps.shape[0]; the loop runs
    # the traced ``num_steps`` ≤ C of them and writes each step's outputs into
    # buffers of C (+1) rows, so the step count never changes what is compiled.
    _tracing.mark("reverse_sample")
    capacity = timesteps.shape[0]
    noise_scale = jnp.sqrt(temperature)
    keys = jax.random.split(key, capacity)  # split(key, C)[:S] == split(key, S): partitionable threefry
    learned = solver is Solver.DDPM and bool(denoiser.learns_variance)

    def step(s, carry):
        x, diverged, (frames, energies, entropies, ratios, factors) = carry
        x_prev, diverged, norm_ratio, factor = _step(s, x, diverged, keys, denoiser, timesteps, alpha_bar,
                                                     alpha_bar_prev, eta, noise_scale, guidance, condition,
                                                     inpaint, solver, conserve_energy, learned)
        energy, entropy = frame_metrics(x_prev, metric_energy)
        buffers = (frames.at[s + 1].set(x_prev[:keep]), energies.at[s + 1].set(energy),
                   entropies.at[s + 1].set(entropy), ratios.at[s].set(norm_ratio), factors.at[s].set(factor))
        return x_prev, diverged, buffers

    batch = x_T.shape[0]
    e_T, s_T = frame_metrics(x_T, metric_energy)
    per_step = lambda first, rows: jnp.zeros((rows, *first.shape), first.dtype).at[0].set(first)  # noqa: E731
    buffers = (per_step(x_T[:keep], capacity + 1), per_step(e_T, capacity + 1), per_step(s_T, capacity + 1),
               jnp.zeros((capacity, batch), x_T.dtype), jnp.ones((capacity, batch), x_T.dtype))
    start = (x_T, jnp.full((batch,), -1, jnp.int32), buffers)
    x0, diverged, (frames, energies, entropies, ratios, factors) = jax.lax.fori_loop(0, num_steps, step, start)
    return ReverseResult(
        samples=x0,
        trajectory=frames,
        timesteps=timesteps,
        energy=energies,
        entropy=entropies,
        norm_ratio=ratios,
        scale=factors,
        diverged=diverged,
    )


@functools.partial(jax.jit, static_argnums=2)
def _start_noise(key: jax.Array, temperature: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """x_T ~ N(0, T_s·I): one compiled program per shape (run eagerly it was two, and every
    compiled program holds ~1.5 MB on the CPU)."""
    return jnp.sqrt(temperature) * jax.random.normal(key, shape, temperature.dtype)


_reverse_loop_jit = jax.jit(_reverse_loop, static_argnames=("solver", "conserve_energy", "keep"))


@functools.partial(jax.jit, static_argnums=(1, 2))
def _pad_rows_jit(v: jax.Array, rows: int, dtype) -> jax.Array:  # one small program per (n, rows)
    return jnp.concatenate([v.astype(dtype), jnp.zeros((rows - v.shape[0], *v.shape[1:]), dtype)])


def _pad_rows(v, rows: int, dtype=None) -> jax.Array:
    """v [n, ...] as ``dtype`` (None: its own) and zero rows to [rows, ...]; a host array on the host."""
    if isinstance(v, jax.Array):
        return _pad_rows_jit(v, rows, np.dtype(v.dtype if dtype is None else dtype))
    v = np.asarray(v, dtype)
    return jnp.asarray(np.concatenate([v, np.zeros((rows - v.shape[0], *v.shape[1:]), v.dtype)]))


class SamplePlan(NamedTuple):
    """The reverse loop's inputs as ``sample`` prepares them (host side): ``args`` for the
    jitted loop (key, x_T, denoiser, the padded step tables, S, η, T_s, guidance, metric
    energy, condition, inpaint), its static options, and S, the step capacity and the padded
    batch. ``reverse_chunk`` runs the same loop a few steps at a time from these."""

    args: tuple
    statics: dict
    num_steps: int
    capacity: int
    padded: int


def plan_sample(
    key: jax.Array,
    denoiser: Denoiser,
    schedule: Schedule,
    shape: tuple[int, int],
    num_samples: int,
    *,
    inference_steps: int = 50,
    solver: Solver | str = Solver.DDIM,
    eta: float = 0.0,
    spacing: Spacing | str = Spacing.LEADING,
    temperature: float = 1.0,
    guidance: Guidance | None = None,
    conserve_energy: bool = False,
    condition: jax.Array | None = None,
    inpaint: Inpaint | None = None,
    start: Start | None = None,
    metric_energy: Energy | None = None,
    shard: bool = True,
    max_steps: int | None = None,
    batch_capacity: int | None = None,
) -> SamplePlan:
    """Check the options and build the loop's inputs (``sample``'s arguments, same meaning)."""
    solver = choose(Solver, solver, "solver")
    if not 0.0 <= float(eta) <= 1.0:
        raise ValueError(f"eta must be in [0, 1], got {eta}")
    if not float(temperature) > 0.0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    start = start or Start()
    steps = timesteps_for(schedule, inference_steps, spacing, start_step=start.step)
    ab, ab_prev = step_table(schedule, steps)
    num_steps = len(steps)
    capacity = max(int(max_steps or num_steps), num_steps)
    padded = max(int(batch_capacity or num_samples), num_samples)
    pad_to = lambda v, fill: np.concatenate([v, np.full(capacity - num_steps, fill, v.dtype)])  # noqa: E731
    dtype = jnp.result_type(float)
    key_start, key_loop = jax.random.split(key)
    x_T = start.x
    if x_T is None:
        # The first n rows of a draw of ``padded`` rows are the draw of n rows.
        x_T = _start_noise(key_start, jnp.asarray(temperature, dtype), (padded, *shape))
    elif padded > num_samples:
        x_T = _pad_rows(x_T, padded, dtype)
    if condition is not None and padded > num_samples:
        condition = _pad_rows(condition, padded)
    if shard:
        x_T = shard_batch(x_T)
    if guidance is not None:
        form = choose(GuidanceForm, guidance.form, "guidance form")
        guidance = Guidance(guidance.energy, jnp.asarray(guidance.scale, dtype), form)
    if inpaint is not None:
        inpaint = Inpaint(jnp.asarray(inpaint.values, dtype), jnp.asarray(inpaint.mask, bool))
    args = (key_loop, x_T, denoiser, jnp.asarray(pad_to(np.asarray(steps, np.int32), 0)),
            jnp.asarray(pad_to(np.asarray(ab, np.float64), 1.0), dtype),
            jnp.asarray(pad_to(np.asarray(ab_prev, np.float64), 1.0), dtype), jnp.asarray(num_steps, jnp.int32),
            jnp.asarray(eta, dtype), jnp.asarray(temperature, dtype), guidance, metric_energy, condition, inpaint)
    return SamplePlan(args, {"solver": solver, "conserve_energy": bool(conserve_energy)}, num_steps, capacity, padded)


def sample(
    key: jax.Array,
    denoiser: Denoiser,
    schedule: Schedule,
    shape: tuple[int, int],
    num_samples: int,
    *,
    inference_steps: int = 50,
    solver: Solver | str = Solver.DDIM,
    eta: float = 0.0,
    spacing: Spacing | str = Spacing.LEADING,
    temperature: float = 1.0,
    guidance: Guidance | None = None,
    conserve_energy: bool = False,
    condition: jax.Array | None = None,
    inpaint: Inpaint | None = None,
    start: Start | None = None,
    metric_energy: Energy | None = None,
    keep: int = 4,
    shard: bool = True,
    max_steps: int | None = None,
    batch_capacity: int | None = None,
) -> ReverseResult:
    """Generate ``num_samples`` fields of ``shape`` by reverse diffusion.

    key              PRNG key; split into the start noise and one key per step.
    denoiser         ε̂(x_t, t, ᾱ_t, condition) on one field (``Denoiser``).
    schedule         the training schedule (``make_schedule``).
    inference_steps  S: length of the strided sub-sequence (``spacing``:
                     "leading" or "trailing"); S = T with DDPM is the full chain.
    solver           "ddim" (η ∈ [0, 1]; η = 1 has DDPM's variance) or "ddpm".
                     With "ddpm", a denoiser that ``learns_variance`` (a U-Net
                     trained with the hybrid loss) sets σ²_θ per site instead of
                     the fixed β̃, on a strided sub-sequence by interpolating
                     between the strided β and β̃ (``reverse.learned_variance``);
                     DDIM, at any η, uses only ε̂.
    temperature      T_s: every Gaussian draw, x_T included, is scaled by √T_s.
                     For a linear-Gaussian loop this multiplies the output
                     covariance by exactly T_s.
    guidance         ``Guidance(energy, scale, form)``; None: off.
    conserve_energy  the document's rescaling of x̂₀ to Σx̂₀² = Σx_t².
    condition        [B, H, W] passed to the denoiser (conditional models).
    inpaint          ``Inpaint(values [H, W], mask [H, W] bool)``: masked sites
                     end at ``values`` exactly.
    start            ``Start(x, step)``: a given start field [B, H, W] and/or
                     SDEdit's start step (see ``Start``); None: x_T from ``key``
                     at the top of the schedule.
    metric_energy    φ used for the per-step energy trace.
    keep             how many samples' full trajectories to return.
    shard            split the batch over all local devices when there are
                     several (``idf.parallel``); the samples do not change.
    max_steps        compile for up to this many steps (≥ S) and run S as a traced
                     trip count, so every S ≤ max_steps shares one program.
    batch_capacity   run the batch padded to this many samples (≥ n; e.g. a
                     bucket of ``idf.diffusion.buckets``), so every n ≤ capacity
                     shares one program. The first n samples are the unpadded
                     run's exactly (partitionable threefry); the rest are dropped.
                     Pass a start or condition as numpy: padded on the host.
    With ``max_steps`` or ``batch_capacity`` the arrays come back on the host
    (numpy), trimmed to S steps, n samples and min(keep, n) trajectories:
    trimming on the device would compile one slice per (S, n).
    """
    plan = plan_sample(key, denoiser, schedule, shape, num_samples, inference_steps=inference_steps, solver=solver,
                       eta=eta, spacing=spacing, temperature=temperature, guidance=guidance,
                       conserve_energy=conserve_energy, condition=condition, inpaint=inpaint, start=start,
                       metric_energy=metric_energy, shard=shard, max_steps=max_steps, batch_capacity=batch_capacity)
    result = _reverse_loop_jit(*plan.args, **plan.statics, keep=int(min(keep, plan.padded)))
    n, s = num_samples, plan.num_steps
    if plan.capacity == s and plan.padded == n:
        return result
    host = jax.device_get(result)
    return ReverseResult(
        samples=host.samples[:n], trajectory=host.trajectory[: s + 1, : min(keep, n)], timesteps=host.timesteps[:s],
        energy=host.energy[: s + 1, :n], entropy=host.entropy[: s + 1, :n], norm_ratio=host.norm_ratio[:s, :n],
        scale=host.scale[:s, :n], diverged=host.diverged[:n],
    )


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
        f"{int(bad.sum())} of {bad.size} samples diverged (NaN/inf, or |x| > {BLOWUP:.0e} while finite), first at "
        f"step {first + 1} of {steps} (t = {t}); each is kept at its last good state. Likely cause: a guidance "
        "scale too large in magnitude for this energy (a negative scale pushes away from its minimum, so the "
        "field grows every step; a stiff score outgrows the noise), the rescaling constraint, or a temperature "
        "far from 1: bring the guidance scale towards 0, switch the rescaling off or set the temperature nearer 1"
    )
