"""Training data for lattice-field diffusion models, and a batch loader.

A ``Dataset`` is a float32 array of fields [n, H, W] plus a JSON description
(what target, which parameters, how it was drawn) that goes into every
checkpoint trained on it.

- GFF: exact independent samples (``GaussianFreeField.sample_exact``).
- φ⁴: HMC chains (``idf.samplers.run_chains``), thinned, with an exact Z₂
  symmetrisation: each field gets an independent random global sign. φ⁴ is
  invariant under x → −x, so the flip maps the target to itself and removes
  the chains' bias towards whichever mode they started in (in the broken phase
  HMC rarely tunnels between the modes).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from idf.energy import GaussianFreeField, Phi4
from idf.samplers import HMC, run_chains


@dataclasses.dataclass(frozen=True)
class Dataset:
    """fields [n, H, W] float32; description: JSON-serialisable provenance."""

    fields: np.ndarray
    description: dict[str, Any]

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.fields.shape[1:])

    def __len__(self) -> int:
        return int(self.fields.shape[0])

    def shuffled(self, key: jax.Array) -> Dataset:
        """The same fields in a random order, so that ``split`` holds out a
        random subset rather than a file's last fields."""
        order = np.asarray(jax.random.permutation(key, len(self)))
        return Dataset(self.fields[order], self.description)

    def split(self, num_valid: int) -> tuple[Dataset, Dataset]:
        """(train, validation): the last ``num_valid`` fields are held out."""
        if not 0 < num_valid < len(self):
            raise ValueError(f"num_valid must be in (0, {len(self)}), got {num_valid}")
        return (
            Dataset(self.fields[:-num_valid], dict(self.description, role="train")),
            Dataset(self.fields[-num_valid:], dict(self.description, role="validation")),
        )


def gff_dataset(key: jax.Array, size: int, num_samples: int, mass2: float = 1.0, kT: float = 1.0) -> Dataset:
    """``num_samples`` exact GFF fields [n, size, size]."""
    energy = GaussianFreeField(mass2=mass2, kT=kT)
    fields = energy.sample_exact(key, (size, size), num_samples)
    description = dict(target="gff", size=size, mass2=mass2, kT=kT, num_samples=num_samples)
    return Dataset(np.asarray(fields, np.float32), dict(description, method="exact Fourier sampling"))


def random_sign_flip(key: jax.Array, fields: jax.Array) -> jax.Array:
    """Multiply each field [n, H, W] by an independent ±1 (exact for Z₂-symmetric targets)."""
    signs = jnp.where(jax.random.bernoulli(key, 0.5, (fields.shape[0],)), 1.0, -1.0).astype(fields.dtype)
    return fields * signs[:, None, None]


def phi4_dataset(
    key: jax.Array,
    size: int,
    num_samples: int,
    mass2: float = -4.0,
    coupling: float = 3.0,
    *,
    chains: int = 64,
    burn_in: int = 500,
    thin: int = 5,
    step_size: float = 0.1,
    leapfrog: int = 10,
) -> Dataset:
    """φ⁴ fields [n, size, size] from HMC, thinned, with random global signs.

    ``chains`` chains from N(0, ¼) starts; ``burn_in`` steps discarded, then
    thin·⌈n/chains⌉ steps keeping every ``thin``-th (fixed ``step_size`` and
    ``leapfrog``; the acceptance rate is recorded).
    """
    key_init, key_chain, key_flip = jax.random.split(key, 3)
    energy = Phi4(mass2=mass2, coupling=coupling)
    energy.check_normalizable((size, size))
    per_chain = -(-num_samples // chains)
    x_init = 0.5 * jax.random.normal(key_init, (chains, size, size))
    result = run_chains(
        HMC(step_size=step_size, num_leapfrog=leapfrog),
        energy,
        key_chain,
        x_init,
        thin * per_chain,
        burn_in=burn_in,
        thin=thin,
    )
    fields = jnp.asarray(result.positions).reshape(-1, size, size)[:num_samples]
    fields = random_sign_flip(key_flip, fields)
    description = dict(target="phi4", size=size, mass2=mass2, coupling=coupling, kT=1.0, num_samples=num_samples)
    hmc = dict(chains=chains, burn_in=burn_in, thin=thin, leapfrog=leapfrog, step_size=float(result.step_size),
               acceptance=float(np.mean(np.asarray(result.accepted))))
    method = "HMC + random global sign (exact Z2)"
    return Dataset(np.asarray(fields, np.float32), dict(description, method=method, **hmc))


def batches(key: jax.Array, dataset: Dataset, batch_size: int, *, z2_flip: bool = False) -> Iterator[np.ndarray]:
    """Endless batches [B, H, W]: reshuffled every epoch, drop-last; with
    ``z2_flip`` each field also gets a fresh random sign (φ⁴ augmentation)."""
    n = len(dataset)
    if batch_size > n:
        raise ValueError(f"batch size {batch_size} exceeds the dataset size {n}")
    fields = dataset.fields
    epoch = 0
    while True:
        key_perm, key_flip = jax.random.split(jax.random.fold_in(key, epoch))
        order = np.asarray(jax.random.permutation(key_perm, n))
        signs = np.where(np.asarray(jax.random.bernoulli(key_flip, 0.5, (n,))), 1.0, -1.0).astype(np.float32)
        for start in range(0, n - batch_size + 1, batch_size):
            idx = order[start : start + batch_size]
            batch = fields[idx]
            yield batch * signs[idx, None, None] if z2_flip else batch
        epoch += 1
