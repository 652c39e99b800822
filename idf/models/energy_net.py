"""A neural energy E_θ(x, t): a scalar network whose gradient is the score.

Parametrised as E_θ(x, t) = ½·Σ (x − f_θ(x, t))², the form of Salimans &
Ho (2021), "Should EBMs model the energy or the score?": f_θ is a small
time-conditioned convolutional network (circular padding), so −∇E_θ is a
conservative score field by construction and E_θ can be read as a learned
potential. Trained with the same ε-MSE loss through ``EnergyNetDenoiser``
(ε̂ = √(1−ᾱ_t)·∇E_θ), at the price of a second backward pass
(``idf train --model energy``; checkpoints record ``model_kind = "energy"``).
No hybrid loss: the energy gives ε̂ only, no reverse variance.

x [B, H, W, 1], t [B] → E [B].
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from idf.models.unet import timestep_embedding


@dataclasses.dataclass(frozen=True)
class EnergyNetConfig:
    """channels: width of the hidden convolutions; depth: their number."""

    channels: int = 32
    depth: int = 3
    time_dim: int = 32
    periodic: bool = True

    def __post_init__(self):
        if self.channels < 1 or self.depth < 1:
            raise ValueError(f"channels and depth must be ≥ 1, got {self.channels} and {self.depth}")
        if self.time_dim < 2 or self.time_dim % 2:
            raise ValueError(f"time_dim must be even and ≥ 2, got {self.time_dim}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EnergyNetConfig:
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown energy-net config fields: {', '.join(sorted(unknown))}")
        return cls(**data)


class EnergyNet(nnx.Module):
    """E_θ(x, t) = ½·Σ_sites (x − f_θ(x, t))², f_θ a time-conditioned conv net."""

    def __init__(self, config: EnergyNetConfig, *, rngs: nnx.Rngs):
        self.config = config
        pad = "CIRCULAR" if config.periodic else "SAME"
        c = config.channels
        self.time = nnx.Linear(config.time_dim, c, rngs=rngs)
        self.convs = nnx.List(
            [nnx.Conv(1 if i == 0 else c, c, (3, 3), padding=pad, rngs=rngs) for i in range(config.depth)]
        )
        self.out = nnx.Conv(c, 1, (3, 3), padding=pad, kernel_init=nnx.initializers.zeros, rngs=rngs)

    def __call__(self, x: jax.Array, t: jax.Array) -> jax.Array:
        emb = self.time(timestep_embedding(t, self.config.time_dim))[:, None, None, :]
        h = x
        for i, conv in enumerate(self.convs):
            h = jax.nn.silu(conv(h) + (emb if i == 0 else 0.0))
        f = self.out(h)
        return 0.5 * jnp.sum((x - f) ** 2, axis=(1, 2, 3))


def init_energy_net(key: jax.Array, config: EnergyNetConfig) -> EnergyNet:
    """A freshly initialised energy network (weights drawn from ``key``)."""
    return EnergyNet(config, rngs=nnx.Rngs(params=key))
