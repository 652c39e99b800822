"""The Sampler arena's targets: which there are, how each is built from
(name, params) and where its chains start.

``params`` is a hashable tuple, so every cached function of the arena keys on
plain values: sorted (field, value) pairs for the built-in energies, and for a
typed φ the tuple of ``idf.app.arena_custom.custom_params`` (expression text,
kT and parameters).

Seed convention (shared with ``idf sample``): ``key_init, key_run =
jax.random.split(jax.random.key(seed))``; lattice chains start at
``0.5·N(0, 1)`` fields drawn with ``key_init``, toy chains at ``N(0, I)``
points; every sampler gets ``key_run``.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from idf.app.arena_custom import CUSTOM, make_custom
from idf.energy import TOYS, Energy, GaussianFreeField, ImproperEnergyError, LatticeEnergy, QuadraticEnergy, make_energy

Params = tuple[tuple[str, Any], ...]

MAX_CHAINS = 16  # the chains slider's top: every run is padded to it (one compiled loop for any C)
TARGET_LABELS = {
    "gff": "Gaussian free field",
    "lattice": "Design document's energy",
    "phi4": "φ⁴ field theory",
    "banana": "Toy: banana",
    "donut": "Toy: donut",
    "mixture": "Toy: Gaussian mixture (ring)",
    "funnel": "Toy: Neal's funnel",
    CUSTOM: "Custom φ(x), typed",
}
# φ⁴ on 8×8 (AKS convention, kT = 1): measured with HMC, 8 chains × 1000 steps:
# m² = −4, λ = 8 is symmetric (Binder U₄ ≈ 0.08, hundreds of sign flips of m per chain);
# m² = −4, λ = 3 is broken (⟨|m|⟩ ≈ 0.69, U₄ ≈ 0.66, no sign flip in 1000 HMC steps).
PHI4_PRESETS = {"symmetric": (-4.0, 8.0), "broken": (-4.0, 3.0)}
# Default step size ε (proposal scale σ for MH) per sampler, lattice fields and 2-D toys.
DEFAULT_STEP = {
    "lattice": {"langevin": 0.05, "mala": 0.08, "mh": 0.12, "hmc": 0.1, "nuts": 0.1},
    "phi4": {"langevin": 0.01, "mala": 0.02, "mh": 0.05, "hmc": 0.08, "nuts": 0.08},  # stiffer: no ½ factors
    "toy": {"langevin": 0.1, "mala": 0.3, "mh": 0.8, "hmc": 0.25, "nuts": 0.3},
}


def is_toy(target: str) -> bool:
    return target in TOYS


def step_family(target: str) -> str:
    """Which default step sizes (and URL-bound step controls) a target uses: a
    typed φ shares the lattice energies' (its default is a GFF plus a weak x⁴)."""
    return "toy" if is_toy(target) else ("phi4" if target == "phi4" else "lattice")


def make_target(target: str, params: Params) -> Energy:
    if target == CUSTOM:
        return make_custom(params)
    return make_energy(target, **dict(params))


def improper_reason(target: str, params: Params, size: int) -> str | None:
    """None when exp(−φ/kT) is normalisable on an L×L lattice, else why not
    (for a typed φ: the heuristic probe's message)."""
    if is_toy(target):
        return None
    energy = make_target(target, params)
    if target == CUSTOM:
        try:
            energy.check_normalizable((size, size))
        except ImproperEnergyError as err:
            return str(err)
        return None
    return energy.improper_reason((size, size))


def _gaussian(energy: Energy) -> bool:
    """Whether exp(−φ/kT) is a Gaussian: the free field, or the document's energy without its thermal term."""
    return isinstance(energy, GaussianFreeField) or (isinstance(energy, LatticeEnergy)
                                                     and float(energy.w_thermal) == 0.0)


def gaussian_power(energy: Energy, shape: tuple[int, ...]) -> np.ndarray | None:
    """Exact per-mode variance kT/A(k) [H, W] when the target is Gaussian, else None."""
    return np.asarray(energy.covariance_spectrum(shape), np.float64) if _gaussian(energy) else None


def is_gaussian_target(target: str, params: Params) -> bool:
    """Whether the exact Gaussian references apply (never for a typed φ, even a quadratic one)."""
    if target == CUSTOM:
        return False
    energy = make_target(target, params)
    return isinstance(energy, QuadraticEnergy) and _gaussian(energy)  # nothing computed (or compiled)


def initial_positions(target: str, size: int, chains: int, seed: int) -> tuple[jax.Array, jax.Array]:
    """(x_init [C, *shape], key_run): the seed convention shared with ``idf sample``.

    The draw is made for max(C, ``MAX_CHAINS``) chains and cut on the host: the
    first C are the same numbers (partitionable threefry) and no new C compiles."""
    key_init, key_run = jax.random.split(jax.random.key(seed))
    dtype = jnp.result_type(float)
    shape = (2,) if is_toy(target) else (size, size)
    scale = 1.0 if is_toy(target) else 0.5
    draw = scale * jax.random.normal(key_init, (max(chains, MAX_CHAINS), *shape), dtype)
    return jax.device_put(np.asarray(draw)[:chains]), key_run
