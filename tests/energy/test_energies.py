"""Energies: identities, exact spectra, normalisability, tracing."""

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from idf.energy import (
    ENERGIES,
    Banana,
    Donut,
    Energy,
    Funnel,
    GaussianFreeField,
    GaussianMixture,
    ImproperEnergyError,
    LatticeEnergy,
    Phi4,
    kinetic,
    laplacian_eigenvalues,
    make_energy,
    neighbour_products,
    parse_energy,
    shannon_entropy,
)

SHAPE = (6, 5)  # non-square on purpose: catches swapped axes


def _field(seed=0, shape=SHAPE):
    return jax.random.normal(jax.random.key(seed), shape)


def _quadratic_form(x, spectrum):
    """½ Σ_k A(k)|x̂_k|² with the unitary FFT."""
    return 0.5 * float(jnp.sum(spectrum * jnp.abs(jnp.fft.fft2(x, norm="ortho")) ** 2))


def _naive_kinetic(x):
    """½ Σ_μ Σ_x (x_{x+μ} − x_x)², written as explicit loops (periodic)."""
    x = np.asarray(x, np.float64)
    h, w = x.shape
    total = 0.0
    for i in range(h):
        for j in range(w):
            total += (x[(i + 1) % h, j] - x[i, j]) ** 2 + (x[i, (j + 1) % w] - x[i, j]) ** 2
    return 0.5 * total


def test_kinetic_matches_explicit_loops():
    x = _field()
    np.testing.assert_allclose(float(kinetic(x)), _naive_kinetic(x), rtol=1e-5)


def test_interaction_identity_Ep_equals_Ek_minus_2_sum_x2():
    x = _field(1)
    e_p = -float(neighbour_products(x))
    np.testing.assert_allclose(e_p, float(kinetic(x)) - 2.0 * float(jnp.sum(x**2)), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("w_k,w_p,m2", [(1.0, 1.0, 5.0), (0.5, 0.2, 1.0), (2.0, 0.0, 0.3)])
def test_lattice_energy_is_the_stated_free_field(w_k, w_p, m2):
    energy = LatticeEnergy(w_kinetic=w_k, w_potential=w_p, w_thermal=0.0, mass2=m2)
    x = _field(2)
    np.testing.assert_allclose(float(energy.energy(x)), _quadratic_form(x, energy.spectrum(SHAPE)), rtol=1e-5)


def test_lattice_terms_add_up_and_thermal_is_bounded():
    energy = LatticeEnergy(mass2=5.0)
    x = _field(3)
    terms = energy.terms(x)
    parts = sum(float(v) for k, v in terms.items() if k != "total")
    np.testing.assert_allclose(float(terms["total"]), parts, rtol=1e-6)
    np.testing.assert_allclose(float(terms["total"]), float(energy.energy(x)), rtol=1e-6)
    assert 0.0 <= float(terms["thermal"]) <= 0.1 * np.log(x.size) + 1e-6


def test_document_default_is_improper_with_the_fix_named():
    energy = LatticeEnergy()  # w_k = w_p = 1, no mass: the document's default
    assert not energy.is_normalizable()
    assert energy.smallest_eigenvalue() == pytest.approx(-4.0)
    reason = energy.improper_reason()
    assert "m² > 4" in reason and "-4" in reason
    with pytest.raises(ImproperEnergyError, match="m² > 4"):
        energy.check_normalizable()
    with pytest.raises(ImproperEnergyError):
        LatticeEnergy(w_thermal=0.0).sample_exact(jax.random.key(0), (4, 4), 2)
    # φ → −∞ along the constant mode: φ(c·1) = −2Nc² (+ a bounded thermal part, 0 here)
    c, n = 3.0, 16
    assert float(LatticeEnergy(w_thermal=0.0).energy(jnp.full((4, 4), c))) == pytest.approx(-2 * n * c**2)


def test_mass_above_four_wp_is_proper():
    assert LatticeEnergy(mass2=4.01).is_normalizable()
    assert not LatticeEnergy(mass2=4.0).is_normalizable()
    assert LatticeEnergy(w_potential=0.5, mass2=2.5).is_normalizable()


def test_gff_energy_score_and_covariance_are_exact():
    gff = GaussianFreeField(mass2=0.7, kT=1.3)
    x = _field(4)
    a = gff.spectrum(SHAPE)
    np.testing.assert_allclose(float(gff.energy(x)), _quadratic_form(x, a), rtol=1e-5)
    # score = −A x / kT, applied in Fourier space
    expected = -jnp.fft.ifft2(a * jnp.fft.fft2(x, norm="ortho"), norm="ortho").real / gff.kT
    np.testing.assert_allclose(np.asarray(gff.score(x)), np.asarray(expected), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(gff.covariance_spectrum(SHAPE)), 1.3 / np.asarray(a), rtol=1e-6)
    assert gff.mean_energy(SHAPE) == pytest.approx(0.5 * 30 * 1.3)


def test_gff_covariance_equals_inverse_of_explicit_operator():
    """kT·(−Δ + m²)⁻¹ from a dense matrix equals the FFT spectrum's covariance."""
    from idf.diagnostics import covariance_from_power

    h, w = SHAPE
    m2 = 0.5
    n = h * w
    lap = np.zeros((n, n))
    for i in range(h):
        for j in range(w):
            a = i * w + j
            lap[a, a] += 4.0 + m2
            for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                lap[a, ((i + di) % h) * w + (j + dj) % w] -= 1.0
    cov = covariance_from_power(np.asarray(GaussianFreeField(mass2=m2).covariance_spectrum(SHAPE)))
    np.testing.assert_allclose(cov, np.linalg.inv(lap), rtol=1e-5, atol=1e-7)


def test_sample_exact_has_the_exact_mode_variances():
    """n = 20000: the per-mode variance estimate has SE ≤ √2/√n ≈ 1%; allow 5 SE."""
    gff = GaussianFreeField(mass2=1.0)
    n = 20000
    x = gff.sample_exact(jax.random.key(0), (8, 8), n)
    p_hat = np.mean(np.abs(np.fft.fft2(np.asarray(x, np.float64), norm="ortho")) ** 2, axis=0)
    ratio = p_hat / np.asarray(gff.covariance_spectrum((8, 8)))
    assert np.max(np.abs(ratio - 1.0)) < 5 * np.sqrt(2.0 / n)
    energies = jax.vmap(gff.energy)(x)
    # ⟨φ⟩ = N kT / 2 = 32; Var φ = N kT²/2 = 32 → SE = √(32/n)
    assert abs(float(jnp.mean(energies)) - 32.0) < 5 * np.sqrt(32.0 / n)


def test_laplacian_eigenvalues_layout():
    lam = laplacian_eigenvalues((4, 6))
    assert lam.shape == (4, 6) and lam[0, 0] == 0.0
    assert lam[2, 3] == pytest.approx(8.0)  # the checkerboard mode, max of the spectrum


def test_phi4_convention_matches_albergo_form():
    """φ = Σ_x[−2Σ_μ x x_{x+μ} + (4 + m²)x² + λx⁴] is the same energy."""
    energy = Phi4(mass2=-4.0, coupling=8.0)
    x = _field(5)
    expected = -2.0 * neighbour_products(x) + (4.0 - 4.0) * jnp.sum(x**2) + 8.0 * jnp.sum(x**4)
    np.testing.assert_allclose(float(energy.energy(x)), float(expected), rtol=1e-5)
    terms = energy.terms(x)
    np.testing.assert_allclose(float(terms["total"]), float(energy.energy(x)), rtol=1e-6)
    assert float(energy.energy(x)) == pytest.approx(float(energy.energy(-x)))  # Z₂ symmetry


def test_phi4_improper_parameters_are_reported():
    assert Phi4().is_normalizable()
    with pytest.raises(ImproperEnergyError, match="λ"):
        Phi4(coupling=-1.0).check_normalizable()
    with pytest.raises(ImproperEnergyError):
        Phi4(mass2=-1.0, coupling=0.0).check_normalizable()


def test_changing_a_float_parameter_does_not_retrace():
    traces = []

    @jax.jit
    def f(energy, x):
        traces.append(1)
        return energy.energy(x), energy.score(x)

    x = _field(6)
    for m2 in (0.5, 1.0, 2.0):
        f(GaussianFreeField(mass2=m2, kT=1.0), x)
    for w in (0.1, 0.2):
        f(LatticeEnergy(w_kinetic=w, mass2=5.0), x)
        f(Phi4(coupling=w), x)
    assert len(traces) == 3  # once per energy class


def test_shannon_entropy_bounds_and_known_values():
    n = 16
    assert float(shannon_entropy(jnp.ones((4, 4)))) == pytest.approx(0.0, abs=1e-6)
    half = jnp.asarray(np.repeat([0.0, 1.0], n // 2).reshape(4, 4))
    assert float(shannon_entropy(half)) == pytest.approx(np.log(n / 2), rel=1e-5)
    s = shannon_entropy(jax.random.normal(jax.random.key(0), (10, 4, 4)))
    assert s.shape == (10,) and bool(jnp.all((s >= 0) & (s <= np.log(n) + 1e-5)))


@pytest.mark.parametrize(
    "energy,mean,var",
    [
        (Banana(a=1.5, b=0.5), [0.0, 0.0], [2.25, 1.0 + 0.25 * 2 * 1.5**4]),
        (Funnel(sigma_v=3.0), [0.0, 0.0], [np.exp(4.5), 9.0]),
        (GaussianMixture(radius=3.0, scale=0.5), [0.0, 0.0], [0.25 + 4.5, 0.25 + 4.5]),
    ],
)
def test_toy_exact_samples_have_the_exact_moments(energy, mean, var):
    """Var of the banana's x₂ = 1 + b²·Var(x₁²) = 1 + 2b²a⁴; funnel Var x = E e^v = e^{σ²/2}."""
    x = np.asarray(energy.sample_exact(jax.random.key(1), 200_000), np.float64)
    se_mean = np.sqrt(np.asarray(var) / len(x))
    assert np.all(np.abs(x.mean(0) - mean) < 6 * se_mean + 1e-9)
    if not isinstance(energy, Funnel):  # the funnel's x has heavy tails: its variance estimate is noisy
        np.testing.assert_allclose(x.var(0), var, rtol=0.03)
    else:
        assert abs(x[:, 1].var() - 9.0) < 0.15


def test_toys_score_matches_their_samples():
    """Stein identity E[∇log p(x)] = 0 under exact samples (each coordinate within 6 SE)."""
    for energy in (Banana(), Donut(), GaussianMixture()):
        x = energy.sample_exact(jax.random.key(2), 50_000)
        s = np.asarray(jax.vmap(energy.score)(x), np.float64)
        assert np.all(np.abs(s.mean(0)) < 6 * s.std(0) / np.sqrt(len(s))), type(energy).__name__


def test_make_energy_by_name():
    assert make_energy("gff", mass2=2.0).mass2 == 2.0
    assert make_energy("phi4", coupling=3, unused=1).coupling == 3.0
    with pytest.raises(ValueError, match="choose one of"):
        make_energy("nope")


def test_every_energy_takes_the_same_check_normalizable_call():
    """One interface: check_normalizable(shape=None, *, key=None) everywhere, the
    body written once (on Energy), and improper_reason the only thing refined."""
    energies = [cls() for cls in ENERGIES.values()] + [parse_energy("0.5*sum(grad(x)**2) + 0.5*sum(x**2)")]
    for energy in energies:
        assert type(energy).check_normalizable is Energy.check_normalizable, type(energy).__name__
        params = inspect.signature(type(energy).improper_reason).parameters
        assert list(params) == ["self", "shape", "key"] and params["key"].kind is inspect.Parameter.KEYWORD_ONLY
        proper = energy.improper_reason(None, key=jax.random.key(1)) is None
        assert energy.is_normalizable((8, 8), key=jax.random.key(1)) is proper
        if proper:
            energy.check_normalizable(None, key=jax.random.key(1))
        else:
            with pytest.raises(ImproperEnergyError):
                energy.check_normalizable(None, key=jax.random.key(1))
    with pytest.raises(TypeError):
        Energy()  # abstract: an energy must define energy()
