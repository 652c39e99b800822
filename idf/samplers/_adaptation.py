"""Dual-averaging step-size adaptation (Nesterov 2009; Hoffman & Gelman 2014,
Algorithm 5) toward a target acceptance probability δ:

    h̄_t = (1 − 1/(t+t₀)) h̄_{t−1} + (δ − a_t)/(t+t₀)
    log ε_t = μ − (√t/γ) h̄_t,   log ε̄_t = t^{−κ} log ε_t + (1 − t^{−κ}) log ε̄_{t−1}
with μ = log(10 ε₀), γ = 0.05, t₀ = 10, κ = 0.75. Used during burn-in only;
sampling then runs at ε̄ (fixed, so the chain after burn-in is a valid MCMC).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

GAMMA, T0, KAPPA = 0.05, 10.0, 0.75


class DualAveraging(NamedTuple):
    log_step: jax.Array  # log ε_t: the step size used next
    log_step_avg: jax.Array  # log ε̄_t: the one kept after burn-in
    h_bar: jax.Array
    t: jax.Array
    mu: jax.Array


def dual_averaging_init(step_size: jax.Array) -> DualAveraging:
    log_eps = jnp.log(jnp.asarray(step_size, dtype=jnp.result_type(float)))
    zero = jnp.zeros_like(log_eps)
    return DualAveraging(log_eps, log_eps, zero, zero, jnp.log(10.0) + log_eps)


def dual_averaging_update(state: DualAveraging, accept_prob: jax.Array, target: jax.Array) -> DualAveraging:
    """One update with the observed acceptance probability ``accept_prob`` []."""
    t = state.t + 1.0
    eta = 1.0 / (t + T0)
    h_bar = (1.0 - eta) * state.h_bar + eta * (target - accept_prob)
    log_step = state.mu - jnp.sqrt(t) / GAMMA * h_bar
    weight = t ** (-KAPPA)
    log_step_avg = weight * log_step + (1.0 - weight) * state.log_step_avg
    return DualAveraging(log_step, log_step_avg, h_bar, t, state.mu)
