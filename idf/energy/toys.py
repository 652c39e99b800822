"""Two-dimensional toy densities for seeing what samplers do (positions [2]).

Each has ``energy`` (so ``logdensity = −energy/kT``), ``sample_exact`` (exact
i.i.d. samples at kT = 1) and ``bounds`` (a plotting box that holds almost all
of the mass at kT = 1), from the one ``ToyDensity`` base. Their names for the
CLI and the app are in ``idf.energy.registry``.
"""

from __future__ import annotations

import abc
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from idf._pytree import pytree_dataclass, static
from idf.energy.base import Energy

Box = tuple[tuple[float, float], tuple[float, float]]


class ToyDensity(Energy):
    """A density on points x [2]. Subclasses set ``bounds`` and define ``energy``
    and ``_sample``; ``sample_exact`` is the same for every toy."""

    bounds: ClassVar[Box]
    """((x0 low, x0 high), (x1 low, x1 high)): a plotting box holding almost all the mass at kT = 1."""

    def sample_exact(self, key: jax.Array, num_samples: int) -> jax.Array:
        """Exact i.i.d. samples [n, 2] of exp(−φ) (kT = 1 only: ValueError otherwise)."""
        if float(self.kT) != 1.0:
            raise ValueError("exact samples of the toy densities are for kT = 1 only.")
        return self._sample(key, num_samples)

    @abc.abstractmethod
    def _sample(self, key: jax.Array, num_samples: int) -> jax.Array:
        """Exact samples [n, 2] at kT = 1."""


@pytree_dataclass
class Banana(ToyDensity):
    """x₁ ~ N(0, a²), x₂ | x₁ ~ N(b·(x₁² − a²), 1): a curved ridge."""

    a: float = 1.5
    b: float = 0.5
    kT: float = 1.0
    bounds = ((-5.0, 5.0), (-3.5, 8.0))

    def energy(self, x: jax.Array) -> jax.Array:
        ridge = x[1] - self.b * (x[0] ** 2 - self.a**2)
        return 0.5 * (x[0] / self.a) ** 2 + 0.5 * ridge**2

    def _sample(self, key: jax.Array, num_samples: int) -> jax.Array:
        k1, k2 = jax.random.split(key)
        x1 = self.a * jax.random.normal(k1, (num_samples,))
        x2 = self.b * (x1**2 - self.a**2) + jax.random.normal(k2, (num_samples,))
        return jnp.stack([x1, x2], axis=-1)


@pytree_dataclass
class Donut(ToyDensity):
    """A ring: φ = (|x| − r)² / (2σ²)."""

    radius: float = 2.5
    width: float = 0.35
    kT: float = 1.0
    bounds = ((-4.0, 4.0), (-4.0, 4.0))

    def energy(self, x: jax.Array) -> jax.Array:
        r = jnp.sqrt(jnp.sum(x**2) + 1e-12)
        return 0.5 * ((r - self.radius) / self.width) ** 2

    def _sample(self, key: jax.Array, num_samples: int) -> jax.Array:
        """Uniform angle; radius by inverting its CDF ∝ ∫ r e^{−(r−R)²/2σ²} dr
        on a fine grid (error below 1e-4 in r)."""
        radius, width = float(self.radius), float(self.width)
        grid = np.linspace(0.0, radius + 10.0 * width, 20001)
        pdf = grid * np.exp(-0.5 * ((grid - radius) / width) ** 2)
        cdf = np.concatenate([[0.0], np.cumsum(0.5 * (pdf[1:] + pdf[:-1]) * np.diff(grid))])
        cdf /= cdf[-1]
        k1, k2 = jax.random.split(key)
        u = jax.random.uniform(k1, (num_samples,))
        r = jnp.interp(u, jnp.asarray(cdf), jnp.asarray(grid))
        theta = 2.0 * jnp.pi * jax.random.uniform(k2, (num_samples,))
        return jnp.stack([r * jnp.cos(theta), r * jnp.sin(theta)], axis=-1)


@pytree_dataclass
class GaussianMixture(ToyDensity):
    """Equal mixture of ``components`` isotropic Gaussians on a ring of radius r."""

    radius: float = 3.0
    scale: float = 0.5
    kT: float = 1.0
    components: int = static(6)
    bounds = ((-4.5, 4.5), (-4.5, 4.5))

    def means(self) -> jax.Array:
        angles = 2.0 * jnp.pi * jnp.arange(self.components) / self.components
        return self.radius * jnp.stack([jnp.cos(angles), jnp.sin(angles)], axis=-1)

    def energy(self, x: jax.Array) -> jax.Array:
        d2 = jnp.sum((x - self.means()) ** 2, axis=-1) / self.scale**2
        return -jax.nn.logsumexp(-0.5 * d2) + jnp.log(float(self.components))

    def _sample(self, key: jax.Array, num_samples: int) -> jax.Array:
        k1, k2 = jax.random.split(key)
        which = jax.random.randint(k1, (num_samples,), 0, self.components)
        noise = self.scale * jax.random.normal(k2, (num_samples, 2))
        return self.means()[which] + noise


@pytree_dataclass
class Funnel(ToyDensity):
    """Neal's funnel in 2-D, position (x, v): v ~ N(0, σ_v²), x | v ~ N(0, e^v)."""

    sigma_v: float = 3.0
    kT: float = 1.0
    bounds = ((-10.0, 10.0), (-8.0, 8.0))

    def energy(self, x: jax.Array) -> jax.Array:
        v = x[1]
        return 0.5 * (v / self.sigma_v) ** 2 + 0.5 * x[0] ** 2 * jnp.exp(-v) + 0.5 * v

    def _sample(self, key: jax.Array, num_samples: int) -> jax.Array:
        k1, k2 = jax.random.split(key)
        v = self.sigma_v * jax.random.normal(k1, (num_samples,))
        x = jnp.exp(0.5 * v) * jax.random.normal(k2, (num_samples,))
        return jnp.stack([x, v], axis=-1)

