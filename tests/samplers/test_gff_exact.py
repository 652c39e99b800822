"""Samplers against the exact 8×8 Gaussian free field (m² = 1, kT = 1).

Every Fourier mode of the unitary FFT is independent with Var(x̂_k) = kT/A(k),
A = λ_k + m². Per-mode checks use z = (P̂_k/P_k − 1)/SE with SE from the
chains' ESS for that mode; 64 modes (34 distinct), so we allow |z| < 4.5.
Chains start from exact samples (no burn-in bias), seeds are fixed.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special

from idf.diagnostics import delta_h_stats, effective_sample_size, equipartition, fourier_kl
from idf.energy import GaussianFreeField
from idf.samplers import HMC, MALA, Langevin, RandomWalkMH, init_state, kinetic_energy, leapfrog, run_chains

SHAPE = (8, 8)
ENERGY = GaussianFreeField(1.0, 1.0)
POWER = np.asarray(ENERGY.covariance_spectrum(SHAPE), np.float64)
A = np.asarray(ENERGY.spectrum(SHAPE), np.float64)
CHAINS = 16
ULA_STEP = 0.3
SETTINGS = {  # sampler, kept steps (n = 16 chains × steps)
    "hmc": (HMC(0.25, 8), 1000),
    "mala": (MALA(0.12), 3000),
    "mh": (RandomWalkMH(0.12), 4000),
    "ula": (Langevin(ULA_STEP), 3000),
}


@pytest.fixture(scope="module")
def runs():
    x0 = ENERGY.sample_exact(jax.random.key(1), SHAPE, CHAINS)
    return {
        name: run_chains(sampler, ENERGY, jax.random.key(0), x0, steps, burn_in=100)
        for name, (sampler, steps) in SETTINGS.items()
    }


def mode_z(positions, power):
    """z-score per mode [H, W] of mean |x̂_k|²/P_k against 1, and its ESS."""
    xk = np.fft.fft2(np.asarray(positions, np.float64), norm="ortho")
    y = np.abs(xk) ** 2 / power
    ess = effective_sample_size(y)
    return (y.mean(axis=(0, 1)) - 1.0) / (y.std(axis=(0, 1)) / np.sqrt(ess)), ess


@pytest.mark.parametrize("name", ["hmc", "mala", "mh"])
def test_adjusted_samplers_reproduce_exact_mode_variances(runs, name):
    """Measured (seed 0): max|z| ≈ 2.2 (HMC), 1.8 (MALA), 2.3 (MH); Fourier KL with
    n = 16 000 / 48 000 / 64 000 draws: 0.0066 (HMC), 0.0017 (MALA), 0.025 (MH),
    against bounds 0.062 / 0.010 / 0.139 from the per-mode ESS (smallest: 49 HMC,
    1724 MALA, 92 MH)."""
    r = runs[name]
    z, ess = mode_z(r.positions, POWER)
    assert np.abs(z).max() < 4.5
    n = r.positions.shape[0] * r.positions.shape[1]
    assert n == 16 * SETTINGS[name][1]
    kl = fourier_kl(np.asarray(r.positions).reshape(-1, *SHAPE), POWER)
    # diagonal KL ≈ Σ_k (r_k − 1)²/4 with Var r_k = 1/ESS_k: allow 4× that
    assert kl < 4 * np.sum(1.0 / (4 * ess)) + 1e-3
    assert not bool(r.nonfinite.any())


def test_ula_has_its_exact_stationary_bias(runs):
    """Document's ULA x' = x + (ε/2)∇log p + √ε z at ε = 0.3: Var(x̂_k) =
    kT/[A(1 − εA/4kT)], up to 3.1× the exact kT/A at the top mode (A = 9)."""
    r = runs["ula"]
    biased = POWER / (1.0 - ULA_STEP * A / 4.0)
    z_biased, _ = mode_z(r.positions, biased)
    z_exact, _ = mode_z(r.positions, POWER)
    assert np.abs(z_biased).max() < 4.5
    strong = ULA_STEP * A / 4.0 > 0.3
    assert np.all(z_exact[strong] > 10)
    ratio = np.mean(np.abs(np.fft.fft2(np.asarray(r.positions), norm="ortho")) ** 2, axis=(0, 1)) / POWER
    np.testing.assert_allclose(ratio.max(), 1.0 / (1.0 - ULA_STEP * 9.0 / 4.0), rtol=0.05)


@pytest.mark.parametrize("name", ["hmc", "mala", "mh"])
def test_equipartition_holds_for_adjusted_samplers(runs, name):
    """⟨x·∇φ⟩ = N·kT = 64 within 4 standard errors."""
    eq = equipartition(ENERGY, np.asarray(runs[name].positions)[:, ::4])
    assert eq["expected"] == 64.0
    assert abs(eq["z"]) < 4.0


def test_equipartition_fails_measurably_for_ula(runs):
    eq = equipartition(ENERGY, np.asarray(runs["ula"].positions)[:, ::4])
    assert eq["z"] > 20 and eq["value"] > 1.3 * eq["expected"]


def test_hmc_delta_h_facts_in_the_chain(runs):
    """⟨e^{−ΔH}⟩ = 1 within 4 SE; acceptance ≈ erfc(½√⟨ΔH⟩) within 0.03 (large-N)."""
    r = runs["hmc"]
    s = delta_h_stats(r.delta_H)
    assert abs(s["exp_mean"] - 1.0) < 4 * s["exp_mean_error"]
    assert abs(float(r.acceptance_prob.mean()) - special.erfc(0.5 * np.sqrt(s["mean"]))) < 0.03
    assert abs(s["predicted_acceptance"] - s["acceptance"]) < 0.03


def _delta_h(step_size, num_steps, key):
    """ΔH of one leapfrog trajectory from exact samples and fresh momenta: [n]."""
    k_x, k_p = jax.random.split(key)
    x = ENERGY.sample_exact(k_x, SHAPE, 2000)
    p = jax.random.normal(k_p, x.shape)

    def one(x, p):
        s = init_state(x, ENERGY)
        end, p_end, _ = leapfrog(s, p, ENERGY, step_size, num_steps, jnp.ones(()))
        ones = jnp.ones(())
        return (-end.logdensity + kinetic_energy(p_end, ones)) - (-s.logdensity + kinetic_energy(p, ones))

    return np.asarray(jax.jit(jax.vmap(one))(x, p), np.float64)


def test_hmc_rms_delta_h_matches_the_exact_leapfrog_and_scales_as_step_size_squared():
    """At fixed trajectory length Lε = 1.6 and ε ∈ {0.05, 0.1, 0.2} (n = 2000 each): the
    measured rms ΔH lies within 4 SE of the exact one (``gaussian_leapfrog_delta_h``: a
    Gaussian quadratic form per Fourier oscillator; 0.0207, 0.0837, 0.3547), whose
    log-log slope is 2.05 (2 + O(ε²)); the measured slope (weighted fit) lies within 4 of
    its SE of that. Also ⟨e^{−ΔH}⟩ = 1 within 4 SE at every ε (exact in equilibrium)."""
    from idf.checks import weighted_slope
    from idf.diagnostics import gaussian_leapfrog_delta_h

    steps = np.array([0.05, 0.1, 0.2])
    rms, se, exact = [], [], []
    for i, eps in enumerate(steps):
        d = _delta_h(eps, round(1.6 / eps), jax.random.key(10 + i))
        rms.append(np.sqrt(np.mean(d**2)))
        se.append(np.std(d**2, ddof=1) / np.sqrt(d.size) / (2 * rms[-1]))  # delta method on √⟨ΔH²⟩
        exact.append(np.sqrt(gaussian_leapfrog_delta_h(A, 1.0, eps, round(1.6 / eps))[1]))
        assert abs(rms[-1] - exact[-1]) < 4 * se[-1], (eps, rms[-1], exact[-1], se[-1])
        w = np.exp(-d)
        assert abs(w.mean() - 1.0) < 4 * w.std() / np.sqrt(d.size)
    rms, se, exact = np.array(rms), np.array(se), np.array(exact)
    exact_slope = np.polyfit(np.log(steps), np.log(exact), 1)[0]
    assert 2.0 < exact_slope < 2.1, exact_slope
    slope, slope_se = weighted_slope(np.log(steps), np.log(rms), se / rms)
    assert abs(slope - exact_slope) < 4 * slope_se, (slope, exact_slope, slope_se)
