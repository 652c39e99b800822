"""What the forward chain and the reverse loop record at every step."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from idf.energy import Energy, shannon_entropy


def frame_metrics(x: jax.Array, metric_energy: Energy | None) -> tuple[jax.Array, jax.Array]:
    """(φ(x) [B], S(x) [B]) of a batch [B, H, W]: the metric energy (NaN without
    one) and the design document's Shannon entropy of each field."""
    entropy = shannon_entropy(x)
    if metric_energy is None:
        return jnp.full(x.shape[:1], jnp.nan, x.dtype), entropy
    return jax.vmap(metric_energy.energy)(x), entropy
