"""The energy interface and the exact facts shared by quadratic energies.

Sign convention, written once for the whole library:

    logdensity(x) = −energy(x) / kT

Every energy works on one unbatched configuration (a lattice field [H, W], or a
point [2] for the toy densities); batching is the caller's ``jax.vmap``.
"""

from __future__ import annotations

import abc
import functools
import math

import jax
import jax.numpy as jnp

from idf.energy._lattice import gaussian_from_spectrum

Shape = tuple[int, ...]
DEFAULT_SHAPE: tuple[int, int] = (8, 8)
"""The lattice [H, W] a normalisability check uses when it is given no shape."""


class ImproperEnergyError(ValueError):
    """exp(−φ/kT) cannot be normalised: there is no Boltzmann distribution."""


def lattice_shape(shape: Shape | None) -> tuple[int, int]:
    """``shape`` as an [H, W] tuple; None -> ``DEFAULT_SHAPE``."""
    return DEFAULT_SHAPE if shape is None else (int(shape[0]), int(shape[1]))


class Energy(abc.ABC):
    """The energy interface. Subclasses are ``pytree_dataclass``es with a ``kT``
    field (temperature, energy units) that define ``energy``; they may refine
    ``terms`` and ``improper_reason``.

    ``check_normalizable(shape=None, *, key=None)`` is the same call for every
    energy: ``shape`` is one configuration's shape ([H, W] for the lattice
    energies, None for ``DEFAULT_SHAPE``; the 2-D toys ignore it) and ``key``
    seeds a heuristic probe where there is one (a typed ``CustomEnergy``; None
    for key 0; the others ignore it).
    """

    kT: float

    @abc.abstractmethod
    def energy(self, x: jax.Array) -> jax.Array:
        """φ(x) for one configuration x (a field [H, W] or a point [2]): a scalar."""

    def terms(self, x: jax.Array) -> dict[str, jax.Array]:
        """The energy split into named terms (they add up to ``energy``)."""
        return {"total": self.energy(x)}

    def logdensity(self, x: jax.Array) -> jax.Array:
        """log p(x) up to a constant: −φ(x)/kT."""
        return -self.energy(x) / self.kT

    def score(self, x: jax.Array) -> jax.Array:
        """∇ₓ log p(x) = −∇φ(x)/kT, by autodiff (same shape as x)."""
        return jax.grad(self.logdensity)(x)

    def improper_reason(self, shape: Shape | None = None, *, key: jax.Array | None = None) -> str | None:
        """None when exp(−φ/kT) is normalisable as far as this energy can tell,
        otherwise one sentence saying why and how to fix it. Here: None (an
        energy that knows of no problem)."""
        return None

    def is_normalizable(self, shape: Shape | None = None, *, key: jax.Array | None = None) -> bool:
        """True iff ``improper_reason`` finds nothing."""
        return self.improper_reason(shape, key=key) is None

    def check_normalizable(self, shape: Shape | None = None, *, key: jax.Array | None = None) -> None:
        """Raise ``ImproperEnergyError`` (with ``improper_reason``'s sentence)
        when there is no Boltzmann distribution."""
        reason = self.improper_reason(shape, key=key)
        if reason is not None:
            raise ImproperEnergyError(reason)


class QuadraticEnergy(Energy):
    """φ(x) = ½ Σ_k A(k)|x̂_k|² (+ terms that are bounded): a free field.

    Subclasses define ``spectrum(shape)`` -> A(k) as a float array [H, W].
    All modes are independent Gaussians with Var(x̂_k) = kT / A(k).
    """

    @abc.abstractmethod
    def spectrum(self, shape: tuple[int, int]) -> jax.Array:
        """A(k) [H, W] in the layout of ``jnp.fft.fft2``."""

    def smallest_eigenvalue(self, shape: tuple[int, int] = DEFAULT_SHAPE) -> float:
        """min_k A(k) for concrete parameters (Python float)."""
        return float(_smallest_eigenvalue(self, tuple(shape)))

    def improper_reason(self, shape: Shape | None = None, *, key: jax.Array | None = None) -> str | None:
        """None iff kT > 0 and every A(k) > 0 on ``shape`` (exact, no probe)."""
        if float(self.kT) <= 0.0:
            return f"kT = {float(self.kT):g} must be positive."
        return self.improper_given(self.smallest_eigenvalue(lattice_shape(shape)))

    def improper_given(self, a_min: float) -> str | None:
        """``improper_reason`` from min_k A(k) computed by the caller (one program that also
        needs the spectrum need not compile a second for its minimum)."""
        if float(self.kT) <= 0.0:
            return f"kT = {float(self.kT):g} must be positive."
        if a_min > 0.0:
            return None
        return (
            f"{type(self).__name__} is improper: its quadratic part has smallest "
            f"eigenvalue A_min = {a_min:g} ≤ 0, so exp(−φ/kT) cannot be normalised "
            f"(φ → −∞ along that mode). {self._fix_hint(a_min)}"
        )

    def _fix_hint(self, a_min: float) -> str:
        return f"Raise the mass term m² by more than {-a_min:g}."

    def covariance_spectrum(self, shape: tuple[int, int]) -> jax.Array:
        """E|x̂_k|² = kT / A(k) for the unitary FFT, shape [H, W]."""
        return _covariance_spectrum(self, tuple(shape))

    def sample_exact(
        self, key: jax.Array, shape: tuple[int, int], num_samples: int
    ) -> jax.Array:
        """Independent exact samples [n, H, W] of the Gaussian exp(−φ/kT)."""
        self.check_normalizable(shape)
        return _exact_draws(self, key, tuple(shape), int(num_samples))

    def mean_energy(self, shape: tuple[int, int]) -> float:
        """Exact ⟨φ⟩ = N·kT/2 for a proper free field (equipartition)."""
        return 0.5 * math.prod(shape) * float(self.kT)


# One compiled program per (energy type, shape) for what a view calls with concrete parameters,
# rather than one per array operation run eagerly: on the CPU every compiled program holds about
# 1.5 MB, and the app's warm-up compiles each lattice side (the energy is a pytree argument, so its
# parameters are traced and a new value compiles nothing).
@functools.partial(jax.jit, static_argnums=1)
def _covariance_spectrum(energy: QuadraticEnergy, shape: tuple[int, int]) -> jax.Array:
    return energy.kT / energy.spectrum(shape)


@functools.partial(jax.jit, static_argnums=1)
def _smallest_eigenvalue(energy: QuadraticEnergy, shape: tuple[int, int]) -> jax.Array:
    return jnp.min(energy.spectrum(shape))


@functools.partial(jax.jit, static_argnums=(2, 3))
def _exact_draws(energy: QuadraticEnergy, key: jax.Array, shape: tuple[int, int], num_samples: int) -> jax.Array:
    return gaussian_from_spectrum(key, energy.covariance_spectrum(shape), num_samples)
