"""Samplers on lattice φ⁴ (8×8, Albergo–Kanwar–Shanahan convention, kT = 1):
agreement with BlackJAX's HMC, equipartition, and mode-hopping in the
broken phase."""

import blackjax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from idf.diagnostics import equipartition, magnetization, phi4_observables
from idf.energy import Phi4
from idf.samplers import HMC, MALA, Langevin, RandomWalkMH, run_chains
from idf.samplers.blackjax_reference import blackjax_runner

CHAINS, STEPS, BURN = 16, 1000, 200
EPS, LEAPFROG = 0.1, 10
SYMMETRIC = Phi4(-4.0, 5.0)  # near-critical: ⟨|m|⟩ ≈ 0.24, HMC flips ~70 times per 1000 steps
BROKEN = Phi4(-4.0, 3.0)  # broken phase: ⟨|m|⟩ ≈ 0.69, HMC never flips in 1000 steps


def x_start(key=3):
    return 0.5 * jax.random.normal(jax.random.key(key), (CHAINS, 8, 8))


def blackjax_positions(energy, key, x0, num_steps, burn_in, algo=None):
    """BlackJAX's HMC (default: same ε, L, identity mass) in run_chains' key layout
    (one key per step, split over chains), positions [C, S, H, W]."""
    algo = algo or blackjax.hmc(energy.logdensity, EPS, jnp.ones(64), LEAPFROG)
    return blackjax_runner(algo, num_steps, burn_in)(key, x0)


@pytest.fixture(scope="module")
def ours():
    return run_chains(HMC(EPS, LEAPFROG), SYMMETRIC, jax.random.key(0), x_start(), STEPS, burn_in=BURN)


def test_our_hmc_agrees_with_blackjax_hmc(ours):
    """⟨|m|⟩ and χ₂ agree within 4 combined standard errors (SE from the ESS).
    Measured: ours ⟨|m|⟩ = 0.236 ± 0.004, χ₂ = 4.72 ± 0.11;
    BlackJAX 0.236 ± 0.003, 4.68 ± 0.10."""
    theirs = blackjax_positions(SYMMETRIC, jax.random.key(7), x_start(4), STEPS, BURN)
    a, b = phi4_observables(ours.positions), phi4_observables(theirs)
    for name in ("abs_m", "chi2"):
        err = np.hypot(a[f"{name}_error"], b[f"{name}_error"])
        assert abs(a[name] - b[name]) < 4 * err, (name, a[name], b[name], err)
    assert 0.6 < float(ours.acceptance_prob.mean()) < 0.99


@pytest.mark.parametrize(
    "name", ["hmc", pytest.param("mala", marks=pytest.mark.slow)]
)
def test_same_keys_give_the_same_chain_as_blackjax(name):
    """Same keys, same settings: our HMC and MALA follow BlackJAX's chains
    step for step (BlackJAX MALA step h = our ε/2). 4 chains × 30 steps."""
    x0 = x_start()[:4]
    if name == "hmc":
        ours, algo = HMC(EPS, LEAPFROG), None
    else:
        ours, algo = MALA(0.02), blackjax.mala(SYMMETRIC.logdensity, 0.01)
    r = run_chains(ours, SYMMETRIC, jax.random.key(5), x0, 30)
    theirs = blackjax_positions(SYMMETRIC, jax.random.key(5), x0, 30, 0, algo)
    np.testing.assert_allclose(r.positions, theirs, atol=1e-4)
    assert 0.3 < float(r.accepted.mean()) < 1.0  # both branches of the test were exercised


def test_equipartition_phi4_hmc(ours):
    eq = equipartition(SYMMETRIC, np.asarray(ours.positions)[:, ::4])
    assert abs(eq["z"]) < 4.0


def test_equipartition_phi4_fails_for_ula_at_large_step():
    """ULA at ε = 0.02 on φ⁴: ⟨x·∇φ⟩ = 68.7 ± 0.3 against N·kT = 64 (z ≈ 14); assert > 8 SE."""
    r = run_chains(Langevin(0.02), SYMMETRIC, jax.random.key(0), x_start(), 2000, burn_in=BURN)
    eq = equipartition(SYMMETRIC, np.asarray(r.positions)[:, ::4])
    assert eq["z"] > 8


@pytest.mark.slow
@pytest.mark.parametrize("sampler", [MALA(0.02), RandomWalkMH(0.05)], ids=["mala", "mh"])
def test_equipartition_phi4_mala_mh(sampler):
    r = run_chains(sampler, SYMMETRIC, jax.random.key(0), x_start(), 8000, burn_in=1000)
    eq = equipartition(SYMMETRIC, np.asarray(r.positions)[:, ::8])
    assert abs(eq["z"]) < 4.0


def test_broken_phase_hmc_does_not_hop_between_modes(ours):
    """m² = −4, λ = 3: exact P(m > 0) = ½ by symmetry, but every HMC chain stays
    in the sign it started in (0 flips in 1000 trajectories), so the
    within-chain P(m > 0) is 0 or 1. Same compiled loop as the symmetric run."""
    r = run_chains(HMC(EPS, LEAPFROG), BROKEN, jax.random.key(0), x_start(), STEPS, burn_in=BURN)
    obs = phi4_observables(r.positions)
    assert obs["abs_m"] > 0.6
    assert np.all(obs["sign_flips"] <= 1)
    assert np.all(np.abs(obs["p_positive_per_chain"] - 0.5) > 0.45)
    # the symmetric phase, same sampler: every chain flips many times
    sym = phi4_observables(ours.positions)
    assert np.all(sym["sign_flips"] > 20)
    assert np.all(np.abs(sym["p_positive_per_chain"] - 0.5) < 0.3)
    m = magnetization(r.positions)
    assert m.shape == (CHAINS, STEPS)
