"""Toy marginals by quadrature against exact answers: the banana's x₁ is
N(0, a²) exactly, and every marginal integrates to 1 and matches the toy's
exact samples."""

import jax
import numpy as np
import pytest

from idf._pytree import pytree_dataclass
from idf.diagnostics import energy_grid, toy_marginals
from idf.energy import Banana, Donut, Funnel, GaussianMixture


def test_grid_is_phi_over_kT_on_the_bounds():
    energy = Banana(kT=2.0)
    g = energy_grid(energy, 20)
    assert g.x.shape == (20,) and g.y.shape == (20,) and g.phi.shape == (20, 20)
    assert (g.x[0], g.x[-1]) == energy.bounds[0] and (g.y[0], g.y[-1]) == energy.bounds[1]
    i, j = 7, 13  # phi is indexed [y, x]
    expected = float(energy.energy(np.array([g.x[j], g.y[i]]))) / 2.0
    assert g.phi[i, j] == pytest.approx(expected, rel=1e-5)


@pytree_dataclass
class _TallBanana(Banana):
    """The banana in a box tall enough to hold the whole ridge for |x₁| ≤ 4."""

    bounds = ((-5.0, 5.0), (-9.0, 16.0))


def test_banana_x1_marginal_is_gaussian():
    """Banana: φ = ½(x₁/a)² + ½(ridge)², so p(x₁) ∝ N(0, a²) (the ridge integrates out).
    Where the box holds the ridge (|x₁| ≤ 4, ≥ 7 sd of x₂ to spare) the quadrature
    on 400 × 400 points is proportional to it to 1e-6."""
    energy = _TallBanana()
    m = toy_marginals(energy, 400)
    inner = np.abs(m.x) <= 4.0
    ratio = m.p1[inner] / np.exp(-0.5 * (m.x[inner] / float(energy.a)) ** 2)
    np.testing.assert_allclose(ratio, ratio.mean(), rtol=1e-6)


@pytest.mark.parametrize("energy", [Banana(), Donut(), GaussianMixture()], ids=lambda e: type(e).__name__)
def test_marginals_integrate_to_one_and_match_exact_samples(energy):
    """The mean of x₁ and x₂ under the quadrature marginals equals the mean of 20 000
    exact samples within 5 standard errors (plus the box's truncation, 0.02).
    Not the funnel: its neck (width e^{v/2}) is narrower than a grid cell below
    v ≈ −5, where the Riemann sum is not accurate (see the next test)."""
    m = toy_marginals(energy, 240)
    dx, dy = m.x[1] - m.x[0], m.y[1] - m.y[0]
    assert m.p1.sum() * dx == pytest.approx(1.0) and m.p2.sum() * dy == pytest.approx(1.0)
    samples = np.asarray(energy.sample_exact(jax.random.key(0), 20_000), np.float64)
    for grid, p, d, col in ((m.x, m.p1, dx, 0), (m.y, m.p2, dy, 1)):
        s = samples[:, col]
        s = s[(s >= grid[0]) & (s <= grid[-1])]
        mean = float(np.sum(grid * p) * d)
        assert abs(mean - s.mean()) < 5 * s.std() / np.sqrt(s.size) + 0.02, (col, mean, s.mean())


def test_funnel_v_marginal_is_exact_where_the_grid_resolves_the_neck():
    """Funnel: v ~ N(0, σ_v²) exactly. On 400 points (cells 0.05 wide in x) the neck
    e^{v/2} spans several cells for v ≥ −2, and for v ≤ 1.5 the box |x| ≤ 10 holds
    4.7 sd of x: there the quadrature is ∝ N(0, σ_v²) to 1e-4."""
    energy = Funnel()
    m = toy_marginals(energy, 400)
    ok = (m.y >= -2.0) & (m.y <= 1.5)
    ratio = m.p2[ok] / np.exp(-0.5 * (m.y[ok] / float(energy.sigma_v)) ** 2)
    np.testing.assert_allclose(ratio, ratio.mean(), rtol=1e-4)
