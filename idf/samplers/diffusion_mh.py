"""Diffusion as an exact sampler: independence Metropolis–Hastings on the
extended space of the stochastic (DDPM) reverse path.

Construction (the first of issue 17's two; Zhu et al., arXiv 2502.05504, make
diffusion samples exact the same way). Let τ_S > … > τ_1 be the strided
sub-sequence of training timesteps (``timesteps_for``), ᾱ_i = ᾱ(τ_i), ᾱ_0 = 1,
and x₀ the field. A proposal is a whole reverse path X = (x_{τ_S}, …, x_{τ_1}, x₀):

    x_{τ_S} ~ N(0, I),   x_{τ_{i−1}} ~ p_θ(·|x_{τ_i}) = N(μ̃(x_{τ_i}, x̂₀), σ_i²)

with μ̃ the DDPM posterior mean (``reverse.ddpm_posterior``, strided β) and, by
default, σ_i² = β_i = 1 − ᾱ_i/ᾱ_{i−1} (DDPM's "large" variance). ``variance="small"``
takes β̃_i (or the network's learned σ²_θ) instead, except on the last step
(ᾱ_prev = 1), where β̃ = 0 would make the density degenerate. "large" is the
default because it is the better proposal: near t = 0, where the data variance
dwarfs the noise, the true reverse variance β̃ + c₀²·Var(x₀|x_t) ≈ β, and β̃ is
off by a factor ~2 there (8×8 GFF, m² = 1, exact denoiser, 1000 steps: the
log-weights' std is 5.8 with β̃ and 0.45 with β; at 50 steps 8.0 and 2.1).

The target on the same space is the data law times the strided forward chain,

    Π(X) = π(x₀) · Π_i q(x_{τ_i}|x_{τ_{i−1}}),   q = N(√a_i·x, (1 − a_i)), a_i = ᾱ_i/ᾱ_{i−1},

whose x₀-marginal is π = exp(−φ/kT)/Z exactly (each q integrates to one, x_{τ_S}
included: the target never assumes ᾱ(τ_S) = 0). The weight of a path is

    log w(X) = −φ(x₀)/kT + Σ_i log q(x_{τ_i}|x_{τ_{i−1}}) − log N(x_{τ_S}) − Σ_i log p_θ(x_{τ_{i−1}}|x_{τ_i}),

and independence MH accepts a fresh path X' against the current X with
probability min(1, w(X')/w(X)). The chain's x₀ is then an exact (if correlated)
sample of π for any denoiser, any number of steps: a poor proposal only lowers
the acceptance. Proposals do not depend on the state, so they are all drawn
first, in batches (one ``jax.jit`` + ``lax.scan`` over the sub-sequence), and the
accept/reject pass is a second cheap scan.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from idf.diffusion.denoisers import Denoiser
from idf.diffusion.reverse import ddpm_posterior, learned_variance, predict_x0
from idf.diffusion.schedules import Schedule, step_table, timesteps_for
from idf.energy.base import Energy
from idf.samplers.base import SamplerState
from idf.samplers.run import ChainResult

VARIANCES = ("large", "small")
__all__ = ["DiffusionMHResult", "diffusion_mh_chains", "path_log_weights", "weight_ess_fraction"]


class DiffusionMHResult(NamedTuple):
    """Output of ``diffusion_mh_chains`` for C chains and T kept steps.

    result:       ChainResult as ``run_chains`` returns it: positions [C, T, H, W]
                  (the chain's x₀), accepted [C, T], acceptance_prob [C, T]
                  (min(1, w'/w)), energy [C, T], num_grad_evals [C, T] (denoiser
                  calls per proposal), delta_H NaN, step_size NaN
    log_weights:  [C, T]  log w of each step's proposal (up to one constant)
    acceptance:   float   mean of ``accepted``
    """

    result: ChainResult
    log_weights: jax.Array
    acceptance: float


def _gauss_logpdf(y: jax.Array, mean: jax.Array, var: jax.Array) -> jax.Array:
    """Σ over sites of log N(y; mean, var) for fields [..., H, W] -> [...]; var broadcasts."""
    var = jnp.broadcast_to(var, y.shape)
    z = (y - mean) ** 2 / var + jnp.log(2.0 * math.pi * var)
    return -0.5 * jnp.sum(z, axis=(-2, -1))


def _tables(schedule: Schedule, inference_steps: int, spacing: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ts = timesteps_for(schedule, inference_steps, spacing)
    ab, ab_prev = step_table(schedule, ts)
    return ts, ab, ab_prev


@functools.partial(jax.jit, static_argnames=("num", "shape", "large"))
def _propose(key, denoiser, energy, ts, ab, ab_prev, *, num, shape, large):
    """``num`` reverse paths: (x₀ [num, H, W], log w [num])."""
    dtype = jnp.result_type(float)
    key_start, key_steps = jax.random.split(key)
    x_start = jax.random.normal(key_start, (num, *shape), dtype)
    log_w0 = -_gauss_logpdf(x_start, 0.0, jnp.ones((), dtype))
    learns = bool(denoiser.learns_variance) and not large

    def body(carry, xs):
        x, log_w = carry
        t, a_bar, a_prev, k = xs
        a_bar, a_prev = a_bar.astype(dtype), a_prev.astype(dtype)
        if learns:
            eps, frac = jax.vmap(lambda v: denoiser.eps_and_variance(v, t, a_bar, None))(x)
        else:
            eps, frac = jax.vmap(lambda v: denoiser(v, t, a_bar, None))(x), None
        c0, ct, small = ddpm_posterior(a_bar, a_prev)
        beta = 1.0 - a_bar / a_prev  # the step's own (strided) β
        if frac is not None:
            small = learned_variance(frac, a_bar, a_prev)
        # σ² = β ("large") or β̃ / σ²_θ ("small"); the final step (β̃ = 0) always takes β
        var = beta if large else jnp.where(a_prev >= 1.0, beta, small)
        mean = c0 * predict_x0(x, eps, a_bar) + ct * x
        x_prev = mean + jnp.sqrt(var) * jax.random.normal(k, x.shape, dtype)
        a = a_bar / a_prev  # forward kernel q(x | x_prev) = N(√a·x_prev, 1 − a)
        log_q = _gauss_logpdf(x, jnp.sqrt(a) * x_prev, 1.0 - a)
        log_p = _gauss_logpdf(x_prev, mean, var)
        return (x_prev, log_w + log_q - log_p), None

    keys = jax.random.split(key_steps, ts.shape[0])
    (x0, log_w), _ = jax.lax.scan(body, (x_start, log_w0), (ts, ab, ab_prev, keys))
    phi = jax.vmap(energy.energy)(x0)
    return x0, log_w - phi / energy.kT, phi


def path_log_weights(
    key: jax.Array,
    denoiser: Denoiser,
    schedule: Schedule,
    energy: Energy,
    shape: tuple[int, int],
    num: int,
    *,
    inference_steps: int,
    spacing: str = "leading",
    variance: str = "large",
    batch: int = 1024,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``num`` independent reverse paths of ``shape`` [H, W]: (x₀ [num, H, W],
    log w [num], φ(x₀) [num]), drawn ``batch`` at a time (one compilation per batch
    size: every batch, the last included, has the same size). ``variance``: the
    reverse kernel's σ², "large" (β, every step) or "small" (β̃, or the learned
    σ²_θ of a denoiser that ``learns_variance``; β on the final step)."""
    if variance not in VARIANCES:
        raise ValueError(f"unknown variance {variance!r}: choose one of {', '.join(VARIANCES)}")
    ts, ab, ab_prev = _tables(schedule, inference_steps, spacing)
    ts, ab, ab_prev = jnp.asarray(ts, jnp.int32), jnp.asarray(ab), jnp.asarray(ab_prev)
    size = max(1, min(int(batch), int(num)))
    chunks = -(-int(num) // size)
    outs = [
        _propose(k, denoiser, energy, ts, ab, ab_prev, num=size, shape=tuple(shape), large=variance == "large")
        for k in jax.random.split(key, chunks)
    ]
    x0, log_w, phi = (jnp.concatenate([o[i] for o in outs])[:num] for i in range(3))
    return x0, log_w, phi


@jax.jit
def _accept_pass(key, x0, log_w, phi):
    """Independence MH over proposals [C, P, ...]: the chain starts at proposal 0."""
    def body(carry, xs):
        x, lw, e = carry
        x_new, lw_new, e_new, k = xs
        log_ratio = jnp.where(jnp.isnan(lw_new), -jnp.inf, lw_new - lw)
        u = jax.random.uniform(k, lw.shape, lw.dtype)
        accepted = jnp.log(u) < log_ratio
        prob = jnp.exp(jnp.minimum(log_ratio, 0.0))
        x = jnp.where(accepted[:, None, None], x_new, x)
        lw = jnp.where(accepted, lw_new, lw)
        e = jnp.where(accepted, e_new, e)
        return (x, lw, e), (x, e, accepted, prob)

    steps = jnp.moveaxis(x0[:, 1:], 1, 0), log_w[:, 1:].T, phi[:, 1:].T
    keys = jax.random.split(key, x0.shape[1] - 1)
    start = (x0[:, 0], log_w[:, 0], phi[:, 0])
    _, (xs, es, acc, prob) = jax.lax.scan(body, start, (*steps, keys))
    return jnp.moveaxis(xs, 0, 1), es.T, acc.T, prob.T


def diffusion_mh_chains(
    key: jax.Array,
    denoiser: Denoiser,
    schedule: Schedule,
    energy: Energy,
    shape: tuple[int, int],
    num_chains: int,
    num_steps: int,
    *,
    inference_steps: int = 50,
    burn_in: int = 0,
    spacing: str = "leading",
    variance: str = "large",
    batch: int = 1024,
) -> DiffusionMHResult:
    """C = ``num_chains`` independence-MH chains on ``energy`` with DDPM reverse
    paths of the trained (or exact) ``denoiser`` as proposals (module docstring).

    Each chain starts at its first proposal, runs ``burn_in`` discarded steps,
    then ``num_steps`` kept ones: ``burn_in + num_steps + 1`` proposals per chain.
    ``variance`` as in ``path_log_weights``. Raises ``ImproperEnergyError`` for
    an improper energy, ``ValueError`` for bad counts or options.
    """
    if num_chains < 1 or num_steps < 1 or burn_in < 0:
        raise ValueError(f"need num_chains, num_steps ≥ 1 and burn_in ≥ 0, got {num_chains}, {num_steps}, {burn_in}")
    energy.check_normalizable(tuple(shape))
    per_chain = burn_in + num_steps + 1
    key_paths, key_accept = jax.random.split(key)
    x0, log_w, phi = path_log_weights(
        key_paths, denoiser, schedule, energy, shape, num_chains * per_chain,
        inference_steps=inference_steps, spacing=spacing, variance=variance, batch=batch,
    )
    x0 = x0.reshape(num_chains, per_chain, *shape)
    log_w = log_w.reshape(num_chains, per_chain)
    phi = phi.reshape(num_chains, per_chain)
    xs, es, acc, prob = _accept_pass(key_accept, x0, log_w, phi)
    xs, es, acc, prob = xs[:, burn_in:], es[:, burn_in:], acc[:, burn_in:], prob[:, burn_in:]
    dtype = xs.dtype
    bad = ~jnp.isfinite(es)
    nonfinite = jnp.any(bad, axis=1)
    first = jnp.argmax(bad, axis=1).astype(jnp.int32)
    last = xs[:, -1]
    result = ChainResult(
        positions=xs,
        accepted=acc,
        acceptance_prob=prob,
        energy=es,
        delta_H=jnp.full(acc.shape, jnp.nan, dtype),
        num_grad_evals=jnp.full(acc.shape, inference_steps, jnp.int32),
        proposals=None,
        paths=None,
        divergent=jnp.zeros(acc.shape, bool),
        nonfinite_proposal=jnp.zeros(acc.shape, bool),
        nonfinite=nonfinite,
        nonfinite_step=jnp.where(nonfinite, first, -1),
        nonfinite_energy=jnp.where(nonfinite, jnp.take_along_axis(es, first[:, None], axis=1)[:, 0], jnp.nan),
        step_size=jnp.full((), jnp.nan, dtype),
        final_state=SamplerState(last, es[:, -1], -es[:, -1] / energy.kT, jnp.zeros_like(last)),
    )
    return DiffusionMHResult(result, log_w[:, burn_in + 1 :], float(jnp.mean(acc)))


def weight_ess_fraction(log_weights: jax.Array) -> float:
    """Importance-sampling ESS per draw, (Σw)²/(n·Σw²) ∈ (0, 1], of log-weights (any shape)."""
    lw = np.asarray(log_weights, np.float64).ravel()
    lw = lw[np.isfinite(lw)]
    if lw.size == 0:
        return 0.0
    w = np.exp(lw - lw.max())
    return float(w.sum() ** 2 / (lw.size * np.sum(w**2)))
