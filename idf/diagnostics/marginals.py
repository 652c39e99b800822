"""Exact references for the 2-D toy densities by quadrature on a grid.

``energy_grid`` evaluates φ/kT on a regular G×G grid over the toy's plotting
box (``energy.bounds``): the contour grid of every toy figure, written once.
``toy_marginals`` integrates exp(−φ/kT) over that grid (a Riemann sum, exact
to O(h²) for a smooth density that has negligible mass outside the box):

    p₁(x₁) ∝ ∫ exp(−φ(x₁, x₂)/kT) dx₂,   p₂(x₂) ∝ ∫ exp(−φ(x₁, x₂)/kT) dx₁,

each normalised to integrate to 1 on the grid.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


class EnergyGrid(NamedTuple):
    """φ/kT on a regular grid.

    x:       [G]     grid of x₁ over bounds[0]
    y:       [G]     grid of x₂ over bounds[1]
    phi:     [G, G]  φ(x₁, x₂)/kT, indexed [y, x] (rows are x₂, as a contour plot wants), dimensionless
    bounds:  ((x₁ low, x₁ high), (x₂ low, x₂ high))
    """

    x: np.ndarray
    y: np.ndarray
    phi: np.ndarray
    bounds: tuple[tuple[float, float], tuple[float, float]]


class ToyMarginals(NamedTuple):
    """The exact marginal densities of a toy on its grid.

    x, y:    [G]  the grids of x₁ and x₂
    p1, p2:  [G]  densities of x₁ and x₂ (1/units), each integrating to 1 on its grid
    """

    x: np.ndarray
    y: np.ndarray
    p1: np.ndarray
    p2: np.ndarray


@jax.jit
def _energies(energy: Any, points: jax.Array) -> jax.Array:
    """φ at every point [n, 2] -> [n]; compiled once per energy type and grid size."""
    return jax.vmap(energy.energy)(points)


def energy_grid(energy: Any, grid: int = 160) -> EnergyGrid:
    """φ/kT of a toy (anything with ``energy(x [2])``, ``kT`` and ``bounds``) on a
    ``grid``×``grid`` grid over ``energy.bounds``."""
    (x0, x1), (y0, y1) = energy.bounds
    xs, ys = np.linspace(x0, x1, grid), np.linspace(y0, y1, grid)
    points = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)
    phi = np.asarray(_energies(energy, jnp.asarray(points, jnp.result_type(float))), np.float64)
    return EnergyGrid(xs, ys, phi.reshape(grid, grid) / float(energy.kT), ((x0, x1), (y0, y1)))


def grid_marginals(grid: EnergyGrid) -> ToyMarginals:
    """The marginals of exp(−φ/kT) on an ``EnergyGrid`` by quadrature (shifted by
    min φ so exp never overflows; the shift cancels in the normalisation)."""
    density = np.exp(-(grid.phi - np.min(grid.phi)))  # [y, x]
    dx, dy = grid.x[1] - grid.x[0], grid.y[1] - grid.y[0]
    p1 = density.sum(axis=0) * dy
    p2 = density.sum(axis=1) * dx
    return ToyMarginals(grid.x, grid.y, p1 / (p1.sum() * dx), p2 / (p2.sum() * dy))


def toy_marginals(energy: Any, grid: int = 160) -> ToyMarginals:
    """The exact marginal densities of x₁ and x₂ of a toy, on a ``grid``-point grid each."""
    return grid_marginals(energy_grid(energy, grid))
