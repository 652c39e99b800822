"""The unboundedness probe: a heuristic search for directions along which a
custom φ falls, or stays flat, as the field grows (no Boltzmann distribution).
It works on any ``Energy`` of a field [H, W]."""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from idf.energy.base import Energy

_SCALES = np.array([1.0, 10.0, 100.0, 1e3, 1e4])  # amplitude c per site along each ray


def _descend(energy: Energy, x0: jax.Array, steps: int) -> jax.Array:
    """Normalised gradient descent whose step doubles on success and halves on
    failure, kept inside rms(x) ≤ max(_SCALES): it runs off towards infinity
    when φ falls without bound, and settles in a well otherwise."""
    dtype = x0.dtype
    phi = lambda x: jnp.asarray(energy.energy(x), dtype)
    grad = jax.grad(phi)

    def step(_, carry):
        x, f, eta = carry
        g = grad(x)
        x_new = x - eta * g / jnp.maximum(jnp.sqrt(jnp.mean(g**2)), 1e-30)
        f_new = phi(x_new)
        better = (f_new < f) & (jnp.sqrt(jnp.mean(x_new**2)) <= _SCALES[-1])
        return jnp.where(better, x_new, x), jnp.where(better, f_new, f), jnp.where(better, 2.0, 0.5) * eta

    x, _, _ = jax.lax.fori_loop(0, steps, step, (x0, phi(x0), jnp.asarray(0.1, dtype)))
    return x


@functools.partial(jax.jit, static_argnames="steps")
def _probe_values(energy: Energy, rays: jax.Array, x0: jax.Array, steps: int = 64) -> tuple[jax.Array, jax.Array]:
    """φ(c·v) [R + 2, S] along the rays [R, H, W] and ± the unit-rms end point
    of a gradient descent from x0, and that end point [H, W]. Jitted with the
    energy as an argument, so a new parameter value reuses the compiled probe."""
    end = _descend(energy, x0, steps)
    unit = end / jnp.maximum(jnp.sqrt(jnp.mean(end**2)), 1e-30)
    rays = jnp.concatenate([rays, unit[None], -unit[None]])
    points = rays[:, None] * jnp.asarray(_SCALES, rays.dtype)[:, None, None]
    return jax.vmap(jax.vmap(energy.energy))(points), end


def _ray_finding(values: np.ndarray) -> tuple[str, int] | None:
    """(kind, index) when φ along one ray is not confining, else None."""
    seen: list[float] = []
    for k, value in enumerate(values):
        if value == -np.inf:
            return "-inf", k
        if value == np.inf:
            return None  # overflowed upwards: confined
        if np.isnan(value):  # after a rise it is an overflow such as inf − inf
            return None if len(seen) >= 2 and seen[-1] > seen[-2] else ("nan", k)
        seen.append(float(value))
    tol = 1e-6 * max(abs(seen[-1]), abs(seen[-2])) + 1e-30
    if seen[-1] < seen[-2] - tol:
        return "decreasing", len(seen) - 1
    return ("flat", len(seen) - 1) if seen[-1] <= seen[-2] + tol else None


def probe_unbounded(energy: Energy, shape: tuple[int, int] = (8, 8), key: jax.Array | None = None) -> str | None:
    """Look for directions v along which φ(c·v) falls, or stays flat, as c → ∞.

    Rays (both signs, per-site amplitude c = 1 … 1e4 on an [H, W] field): the
    constant field, the checkerboard, row and column stripes, three random
    fields (from ``key``; default key 0) and the end point of a short gradient
    descent. Returns None when φ rises along every ray, otherwise one message
    that names the direction and a fix (for a quadratic fall it estimates the
    mass m² needed). A heuristic: it can miss directions, and passing it does
    not prove that exp(−φ/kT) is normalisable.

    It runs a whole loop, so it compiles itself: once per expression text and
    field shape; new parameter values or kT reuse the compiled probe.
    """
    h, w = shape
    key = jax.random.key(0) if key is None else key
    key_rays, key_start = jax.random.split(key)
    i, j = np.indices(shape)
    named = {
        "the constant field": np.ones(shape),
        "the checkerboard (−1)^(i+j)": (-1.0) ** (i + j),
        "row stripes (−1)^i": (-1.0) ** i,
        "column stripes (−1)^j": (-1.0) ** j,
    }
    for n, noise in enumerate(np.asarray(jax.random.normal(key_rays, (3, h, w)))):
        named[f"random field #{n + 1}"] = noise
    named["the direction found by gradient descent"] = None
    rays = [f"x = {sign}c·v, v = {name}" for name in named for sign in "+−"]
    units = [s * v / np.sqrt(np.mean(v**2)) for v in list(named.values())[:-1] for s in (1.0, -1.0)]
    start = 0.1 * jax.random.normal(key_start, shape)
    if float(energy.energy(start)) == math.inf:  # e.g. sum(x**2)/0: the rays would read it as confining
        return ("φ = +inf already at a small random field (|x| ≈ 0.1), so exp(−φ/kT) is 0 there: there is no "
                "Boltzmann distribution; keep φ finite (look for a division by zero or an overflowing power). "
                "(Heuristic check: φ was evaluated once before probing rays; passing does not prove "
                "normalisability.)")  # fmt: skip
    values, end = _probe_values(energy, jnp.asarray(np.stack(units), start.dtype), start)
    values = np.asarray(values, np.float64)
    if not np.sqrt(np.mean((np.asarray(end) - np.asarray(start)) ** 2)) > 10.0:
        rays, values = rays[:-2], values[:-2]  # the descent settled nearby: no direction

    found = []
    for name, row in zip(rays, values, strict=True):
        finding = _ray_finding(row)
        if finding is None:
            continue
        kind, k = finding
        power, need = math.nan, 0.0
        if kind == "decreasing":
            drop = row[k] - row[k - 1]  # φ ≈ −A c^p: successive decades drop by a factor 10^p
            if k >= 2 and row[k - 1] < row[k - 2]:
                power = math.log10(drop / (row[k - 1] - row[k - 2]))
            # ½ m² Σx² adds ½ m² N c² along a unit-rms ray: enough when m² > −curvature
            curvature = 2.0 * drop / (h * w * (_SCALES[k] ** 2 - _SCALES[k - 1] ** 2))
            need = max(-curvature, 0.0) if not power < 1.8 else 0.0
        rank = {"-inf": 4, "decreasing": 3, "nan": 2, "flat": 1}[kind]
        key_ = (rank, power > 2.2, float(f"{need:.3g}"))  # ties go to the first (simplest) ray
        found.append((key_, name, kind, k, row[k], power, need))
    if not found:
        return None
    _, name, kind, k, value, power, need = max(found, key=lambda f: f[0])
    c = f"c = {_SCALES[k]:g}"
    confine = f"add a confining term such as + 0.5*m2*sum(x**2) with m2 > {need if need > 1e-3 else 0:.3g}"
    if kind == "-inf":
        head = f"φ appears unbounded below along {name}: φ = −inf already at {c}"
        confine += " (or a faster-growing term)"
    elif kind == "decreasing":
        head = f"φ appears unbounded below along {name}: φ = {value:.4g} at {c} and still falling"
        if power > 2.2:
            q = 2 * math.ceil((power + 0.01) / 2)
            confine = (f"φ falls like −c^{power:.2g}, faster than any quadratic term can hold: add a confining "
                       f"term such as + lam*sum(x**{q}) with lam > 0")  # fmt: skip
    elif kind == "nan":
        head = f"φ is NaN along {name} at {c} (log or sqrt of a negative number, or an overflow)"
        confine = "keep φ finite for every real field (e.g. log(1 + x**2), not log(x)) and " + confine
    else:
        head = f"φ appears not to grow along {name} (φ ≈ {value:.4g} at {c}), so exp(−φ/kT) does not decay"
    return (f"{head}: there is no Boltzmann distribution; {confine}. (Heuristic check: φ was probed along "
            f"{len(rays)} rays on a field of shape {h}×{w}; it can miss directions, and passing does not prove "
            "normalisability.)")  # fmt: skip
