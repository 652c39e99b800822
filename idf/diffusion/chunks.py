"""The reverse loop a few steps at a time, for a live view (the Reverse page's ``?live=1``):
``reverse_chunk`` runs steps ``first`` … ``first + length − 1`` of the loop ``sample`` runs,
from ``plan_sample``'s inputs, with the loop's own step function, keys and tables, so chunk
after chunk is that loop step for step (tests/diffusion/test_reverse_chunk.py)."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from idf import _tracing
from idf.diffusion._metrics import frame_metrics
from idf.diffusion.options import Solver
from idf.diffusion.sample import SamplePlan, _step


@functools.partial(jax.jit, static_argnames=("length", "solver", "conserve_energy"))
def _chunk(first, x, diverged, key, denoiser, timesteps, alpha_bar, alpha_bar_prev, num_steps, eta, temperature,
           guidance, metric_energy, condition, inpaint, *, length, solver, conserve_energy):
    _tracing.mark("reverse_chunk")
    keys = jax.random.split(key, timesteps.shape[0])  # the loop's own per-step keys
    learned = solver is Solver.DDPM and bool(denoiser.learns_variance)
    noise_scale = jnp.sqrt(temperature)

    def body(carry, s):
        x, diverged = carry
        x_prev, new_div, ratio, _ = _step(s, x, diverged, keys, denoiser, timesteps, alpha_bar, alpha_bar_prev, eta,
                                          noise_scale, guidance, condition, inpaint, solver, conserve_energy, learned)
        valid = s < num_steps  # rows past S are padding: the state stays
        x_prev, new_div = jnp.where(valid, x_prev, x), jnp.where(valid, new_div, diverged)
        energy, _ = frame_metrics(x_prev, metric_energy)
        return (x_prev, new_div), (x_prev[0], energy, ratio)

    (x, diverged), (fields, energies, ratios) = jax.lax.scan(body, (x, diverged), first + jnp.arange(length))
    return x, diverged, fields, energies, ratios


def reverse_chunk(plan: SamplePlan, first: int, length: int, x: jax.Array, diverged: jax.Array):
    """Reverse steps ``first`` … ``first + length − 1`` of ``plan``'s loop from x [B_pad, H, W]
    (x_T and ``diverged`` all −1 at first = 0), for a live view: chunk after chunk it is the
    loop ``sample`` runs, step for step (the same keys, tables and state). Steps past S leave
    the state as it is. Returns (x, diverged, sample 0's field [length, H, W], φ(x_t) of the
    metric energy [length, B_pad], Σx̂₀²/Σx_t² [length, B_pad]); ``length`` is static."""
    key, _, denoiser, timesteps, ab, ab_prev, num_steps, eta, temperature, guidance, metric, condition, inpaint = \
        plan.args
    return _chunk(jnp.asarray(first, jnp.int32), x, diverged, key, denoiser, timesteps, ab, ab_prev, num_steps, eta,
                  temperature, guidance, metric, condition, inpaint, length=int(length), **plan.statics)
