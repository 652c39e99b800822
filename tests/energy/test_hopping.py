"""The hopping parametrisation of φ⁴ (Wang, Aarts & Zhou) against the Albergo
convention: the actions agree at random fields after φ_A = √κ·φ_hop, the
parameter map inverts, and the observables map between the conventions."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from idf.diagnostics import phi4_observables
from idf.diagnostics.hopping import hopping_observables
from idf.energy import (
    HoppingPhi4,
    ImproperEnergyError,
    Phi4,
    albergo_parameters,
    hopping_parameters,
    to_albergo_field,
    to_hopping_field,
)
from idf.samplers import HMC, run_chains


def direct_hopping_action(x, kappa, lam):
    """S_hop written out in NumPy, site by site (the paper's formula)."""
    x = np.asarray(x, np.float64)
    hop = sum(np.sum(x * np.roll(x, -1, axis=mu)) for mu in (0, 1))
    return -2 * kappa * hop + np.sum((1 - 2 * lam) * x**2 + lam * x**4)


@pytest.mark.parametrize("kappa, lam", [(0.21, 0.022), (0.27, 0.022), (0.3, 1.5), (0.05, 0.7)])
@pytest.mark.parametrize("shape", [(8, 8), (6, 10)])
def test_actions_agree_at_random_fields(kappa, lam, shape):
    """S_A(√κ·φ) = S_hop(φ) = the paper's formula, to float32 rounding, at random fields of two widths."""
    hop = HoppingPhi4(kappa, lam)
    albergo = Phi4.from_hopping(kappa, lam)
    for seed, scale in [(0, 0.3), (1, 1.0), (2, 3.0)]:
        x = scale * jax.random.normal(jax.random.key(seed), shape)
        s_hop = float(hop.energy(x))
        s_a = float(albergo.energy(to_albergo_field(x, kappa)))
        ref = direct_hopping_action(x, kappa, lam)
        tol = 2e-5 * max(1.0, abs(ref)) + 1e-4 * np.sum(np.abs(np.asarray(x)) ** 4) * lam
        assert abs(s_hop - ref) < tol, (s_hop, ref)
        assert abs(s_a - ref) < tol, (s_a, ref)
    terms = hop.terms(x)
    assert float(terms["hopping"] + terms["mass"] + terms["quartic"]) == pytest.approx(float(terms["total"]))


def test_the_map_is_the_stated_one_and_inverts():
    """m² = (1−2λ)/κ − 4, λ_A = λ/κ², and hopping_parameters undoes it."""
    m2, lam_a = albergo_parameters(0.27, 0.022)
    assert m2 == pytest.approx((1 - 0.044) / 0.27 - 4)
    assert lam_a == pytest.approx(0.022 / 0.27**2)
    for kappa, lam in [(0.21, 0.022), (0.27, 0.022), (0.18, 1.3), (0.4, 0.0)]:
        assert hopping_parameters(*albergo_parameters(kappa, lam)) == pytest.approx((kappa, lam), rel=1e-12)
    # the tutorial's point m² = −4, λ = 8 has a hopping form too
    kappa, lam = hopping_parameters(-4.0, 8.0)
    assert albergo_parameters(kappa, lam) == pytest.approx((-4.0, 8.0))
    a = HoppingPhi4(0.27, 0.022).albergo()
    assert (a.mass2, a.coupling) == pytest.approx((m2, lam_a))
    with pytest.raises(ValueError, match="κ"):
        albergo_parameters(0.0, 0.1)


def test_fields_map_and_improper_hopping_actions_are_refused():
    x = jax.random.normal(jax.random.key(3), (4, 4))
    np.testing.assert_allclose(to_hopping_field(to_albergo_field(x, 0.3), 0.3), x, rtol=1e-6)
    with pytest.raises(ImproperEnergyError, match="κ"):
        HoppingPhi4(-0.1, 0.02).check_normalizable((8, 8))
    with pytest.raises(ImproperEnergyError):
        HoppingPhi4(0.2, -0.5).check_normalizable((8, 8))
    HoppingPhi4(0.27, 0.022).check_normalizable((8, 8))


def test_observables_map_draw_by_draw():
    """On any fields: ⟨|M|⟩_hop = ⟨|m|⟩_A/√κ, χ₂,hop = (N⟨m_A²⟩ − N⟨m_A⟩²)/κ, U₄ equal, errors scale alike."""
    kappa = 0.27
    x_a = 0.5 + jax.random.normal(jax.random.key(5), (4, 200, 6, 6))
    a = phi4_observables(x_a)
    h = hopping_observables(to_hopping_field(x_a, kappa))
    m_a = np.asarray(x_a, np.float64).mean(axis=(-2, -1))
    assert h["abs_M"] == pytest.approx(a["abs_m"] / np.sqrt(kappa), rel=1e-5)
    assert h["abs_M_error"] == pytest.approx(a["abs_m_error"] / np.sqrt(kappa), rel=1e-5)
    assert h["chi2"] == pytest.approx((a["chi2"] - 36 * m_a.mean() ** 2) / kappa, rel=1e-5)
    assert h["binder"] == pytest.approx(a["binder"], rel=1e-5)
    assert h["binder_error"] == pytest.approx(a["binder_error"], rel=1e-4)
    assert h["tau_abs_M"] >= 0.5


def test_sampling_either_form_gives_the_same_hopping_observables():
    """HMC on HoppingPhi4 (fields in the hopping normalisation) and HMC on the equal
    Phi4, mapped back by φ/√κ, agree in ⟨|M|⟩, χ₂ and U₄ within 4 combined SE
    (κ = 0.21, λ = 0.022, 8×8: the symmetric phase, 16 chains × 1500 steps each).
    Measured: hopping ⟨|M|⟩ = 0.1599 ± 0.0009, χ₂ = 2.578 ± 0.026; Albergo-mapped
    0.1606 ± 0.0009, 2.590 ± 0.027; acceptance 0.95 in both."""
    kappa, lam = 0.21, 0.022
    hop = HoppingPhi4(kappa, lam)
    x0 = 0.5 * jax.random.normal(jax.random.key(0), (16, 8, 8))
    run_h = run_chains(HMC(0.25, 8), hop, jax.random.key(1), x0, 1500, burn_in=300)
    run_a = run_chains(
        HMC(0.25 * np.sqrt(kappa), 8), hop.albergo(), jax.random.key(2), to_albergo_field(x0, kappa), 1500,
        burn_in=300,
    )
    h = hopping_observables(run_h.positions)
    a = hopping_observables(to_hopping_field(jnp.asarray(run_a.positions), kappa))
    for name in ("abs_M", "chi2", "binder"):
        err = np.hypot(h[f"{name}_error"], a[f"{name}_error"])
        assert abs(h[name] - a[name]) < 4 * err, (name, h[name], a[name], err)
    assert float(run_h.acceptance_prob.mean()) > 0.6
