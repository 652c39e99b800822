"""BlackJAX's own kernels run in ``run_chains``' key layout: the reference our
samplers are compared with, step for step (tests) and for speed (bench).

Key layout (as ``run_chains``): one key per step from ``jax.random.split(key,
burn_in + num_steps)``, split over the chains; burn-in steps are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp


def blackjax_runner(algo: Any, num_steps: int, burn_in: int = 0) -> Callable[[jax.Array, jax.Array], jax.Array]:
    """A jitted ``run(key, x_init [C, *shape]) -> positions [C, num_steps, *shape]``
    of the BlackJAX sampling algorithm ``algo`` (anything with ``init(position)``
    and ``step(key, state)``, e.g. ``blackjax.hmc(logdensity, ...)``), vmapped over
    chains and scanned over steps."""

    @jax.jit
    def run(key: jax.Array, x_init: jax.Array) -> jax.Array:
        states = jax.vmap(algo.init)(x_init)

        def body(states, k):
            states, _ = jax.vmap(algo.step)(jax.random.split(k, x_init.shape[0]), states)
            return states, states.position

        _, xs = jax.lax.scan(body, states, jax.random.split(key, num_steps + burn_in))
        return jnp.moveaxis(xs[burn_in:], 0, 1)

    return run
