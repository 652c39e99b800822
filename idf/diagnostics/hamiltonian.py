"""The Hamiltonian along recorded HMC trajectories, and E-BFMI.

``run_chains`` records φ after each step and ΔH per transition, but not the
momentum. The leapfrog path it records (``record_proposals=True``: the L + 1
positions x_0 … x_L of every trajectory) determines the momenta exactly:
    x_{i+1} = x_i + ε M⁻¹ p_{i+½}   ⇒   p_{i+½} = (x_{i+1} − x_i) / (ε M⁻¹),
    p_i = ½(p_{i−½} + p_{i+½}) inside, p_0 = p_½ − (ε/2)∇log p(x_0),
    p_L = p_{L−½} + (ε/2)∇log p(x_L),
so H(x_i, p_i) = φ(x_i)/kT + ½ p_iᵀM⁻¹p_i (units of kT) at every leapfrog
sub-step is reconstructed without touching the sampler. (Round-off: the
difference quotient loses ~1e-7·|x|/ε relative precision in float32.)

E-BFMI (Betancourt 2016): Σ_n (E_n − E_{n−1})² / Σ_n (E_n − Ē)², per chain,
with E_n the Hamiltonian at the end of transition n (after the accept/reject:
H_L if accepted, H_0 with the fresh momentum if rejected), as Stan's
``energy__``. Below 0.3 the momentum resampling cannot move the chain across
the energy levels the target needs (heavy tails, funnels).

``gaussian_leapfrog_delta_h``: the exact first two moments of ΔH for leapfrog
on a Gaussian field started in equilibrium, the reference HMC's ΔH is checked
against.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from idf.energy.base import Energy

EBFMI_THRESHOLD = 0.3


def leapfrog_hamiltonian(
    path: jax.Array, energy: Energy, step_size: Any, inverse_mass: Any = 1.0, num_steps: Any = None
) -> tuple[jax.Array, jax.Array]:
    """H(x_i, p_i) along one leapfrog path [P, *shape] of L = P − 1 ≥ 1 steps.

    ``num_steps``: the trajectory's own L when the path is a padded buffer
    (HMC with ``max_leapfrog``: x_L repeated up to P − 1 = max_leapfrog; pass
    ``num_grad_evals``, traced or not); None: the whole path. Returns (H [P] in
    kT, potential φ(x_i)/kT [P]); past L both repeat their values at x_L, so
    H[-1] − H[0] is the trajectory's ΔH either way. The kinetic part is their difference."""
    path = jnp.asarray(path)
    inv_mass = jnp.asarray(inverse_mass, path.dtype)
    potential, grads = jax.vmap(jax.value_and_grad(energy.energy))(path)
    potential = potential / energy.kT
    grad_logp = -grads / energy.kT
    half = (path[1:] - path[:-1]) / (step_size * inv_mass)  # p_{i+½}, [P − 1, *shape]
    first = half[0] - 0.5 * step_size * grad_logp[0]
    last = half[-1] + 0.5 * step_size * grad_logp[-1]
    inner = 0.5 * (half[:-1] + half[1:])
    momenta = jnp.concatenate([first[None], inner, last[None]], axis=0)
    if num_steps is not None:  # p_L at i = L and after it (where x_i = x_L and p_{i+½} = 0 is padding)
        count = jnp.asarray(num_steps, jnp.int32)
        last = jnp.take(half, count - 1, axis=0) + 0.5 * step_size * jnp.take(grad_logp, count, axis=0)
        past = (jnp.arange(path.shape[0]) >= count).reshape((-1,) + (1,) * (path.ndim - 1))
        momenta = jnp.where(past, last, momenta)
    axes = tuple(range(1, path.ndim))
    kinetic = 0.5 * jnp.sum(inv_mass * momenta**2, axis=axes)
    return potential + kinetic, potential


def transition_energy(
    paths: jax.Array,
    accepted: jax.Array,
    energy: Energy,
    step_size: Any,
    inverse_mass: Any = 1.0,
    num_steps: Any = None,
) -> jax.Array:
    """Stan's ``energy__`` per transition: paths [C, T, P, *shape], accepted [C, T]
    -> [C, T] (kT units): H at the trajectory's end if accepted, at its start if not.
    ``num_steps`` [C, T] (``ChainResult.num_grad_evals``): each path's valid L when
    the paths are padded buffers (HMC with ``max_leapfrog``); None: L = P − 1."""
    c, t = paths.shape[:2]
    flat = jnp.asarray(paths).reshape(c * t, *paths.shape[2:])
    if num_steps is None:
        ends = jax.vmap(lambda path: _ends(path, energy, step_size, inverse_mass, None))(flat)
    else:
        counts = jnp.asarray(num_steps).reshape(c * t)
        ends = jax.vmap(lambda path, n: _ends(path, energy, step_size, inverse_mass, n))(flat, counts)
    ends = ends.reshape(c, t, 2)
    return jnp.where(jnp.asarray(accepted), ends[..., 1], ends[..., 0])


def _ends(path: jax.Array, energy: Energy, step_size: Any, inverse_mass: Any, num_steps: Any) -> jax.Array:
    """(H at the start, H at the end) of one path."""
    h, _ = leapfrog_hamiltonian(path, energy, step_size, inverse_mass, num_steps)
    return jnp.stack([h[0], h[-1]])


def e_bfmi(energy_per_transition: Any) -> Any:
    """E-BFMI per chain of the transition energies [C, T] -> [C] (ArviZ's ``bfmi``:
    mean squared step over the ddof-1 variance). NaN for a chain whose energy never
    changes or with fewer than 3 transitions. NumPy in, NumPy out; JAX arrays stay JAX."""
    e = energy_per_transition
    xp = jnp if isinstance(e, jax.Array) else np
    if xp is np:
        e = np.asarray(e, np.float64)
    if e.ndim != 2:
        raise ValueError(f"need transition energies [chains, transitions], got {e.shape}")
    if e.shape[1] < 3:
        return xp.full(e.shape[0], xp.nan)
    num = xp.mean(xp.diff(e, axis=1) ** 2, axis=1)
    den = xp.var(e, axis=1, ddof=1)
    return xp.where(den > 0, num / xp.where(den > 0, den, 1.0), xp.nan)


def gaussian_leapfrog_delta_h(
    spectrum: np.ndarray, kT: float, step_size: float, num_steps: int
) -> tuple[float, float]:
    """(E ΔH, E ΔH²) of one leapfrog trajectory (unit mass) on a Gaussian field with
    A(k) = ``spectrum``, from x ~ the target and p ~ N(0, I), exactly.

    The unitary FFT splits H = φ/kT + ½|p|² into one real oscillator per entry of
    ``spectrum`` with ω² = A/kT. Leapfrog maps each oscillator's z = (x, p) linearly,
    z ↦ Mz with M = (K·D·K)^L (half kick K = [[1, 0], [−εω²/2, 1]], drift D = [[1, ε],
    [0, 1]]), so its ΔH = ½zᵀ(MᵀHM − H)z with H = diag(ω², 1) and z ~ N(0, H⁻¹): a
    Gaussian quadratic form with mean ½tr B and variance ½tr B², B = (MᵀHM − H)H⁻¹.
    The oscillators are independent, so means and variances add.
    """
    mean = var = 0.0
    for w2 in np.asarray(spectrum, np.float64).ravel() / kT:
        kick = np.array([[1.0, 0.0], [-0.5 * step_size * w2, 1.0]])
        drift = np.array([[1.0, step_size], [0.0, 1.0]])
        m = np.linalg.matrix_power(kick @ drift @ kick, int(num_steps))
        h = np.diag([w2, 1.0])
        b = (m.T @ h @ m - h) @ np.diag([1.0 / w2, 1.0])
        mean += 0.5 * float(np.trace(b))
        var += 0.5 * float(np.trace(b @ b))
    return mean, var + mean**2
