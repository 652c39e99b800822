"""run_chains: shapes, burn-in/thin, one compile per static config, divergence,
improper energies, adaptation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from idf import _tracing
from idf._pytree import pytree_dataclass
from idf.energy import Donut, Energy, GaussianFreeField, ImproperEnergyError, LatticeEnergy, Phi4
from idf.samplers import HMC, MALA, NUTS, Langevin, RandomWalkMH, divergence_report, run_chains


def test_shapes_burn_in_and_thin():
    energy = GaussianFreeField(1.0, 1.0)
    x0 = jnp.zeros((3, 4, 5))
    r = run_chains(HMC(0.2, 4), energy, jax.random.key(0), x0, 20, burn_in=7, thin=4)
    assert r.positions.shape == (3, 5, 4, 5)
    for field in (r.accepted, r.acceptance_prob, r.energy, r.delta_H, r.num_grad_evals):
        assert field.shape == (3, 20)
    assert r.proposals is None and r.paths is None
    assert int(r.num_grad_evals.sum()) == 3 * 20 * 4
    assert float(r.step_size) == pytest.approx(0.2)  # no adaptation by default
    assert np.all(np.isfinite(r.delta_H))
    # the kept positions are the states after every 4th step: energies agree
    np.testing.assert_allclose(
        jax.vmap(jax.vmap(energy.energy))(r.positions), r.energy[:, 3::4], rtol=1e-5
    )
    m = run_chains(MALA(0.1), energy, jax.random.key(0), x0, 5)
    assert np.all(np.isnan(m.delta_H))


def test_toy_points_record_proposals_and_leapfrog_paths():
    x0 = jnp.zeros((2, 2)) + jnp.array([2.5, 0.0])
    r = run_chains(HMC(0.1, 6), Donut(), jax.random.key(0), x0, 10, record_proposals=True)
    assert r.positions.shape == (2, 10, 2)
    assert r.proposals.shape == (2, 10, 2) and r.paths.shape == (2, 10, 7, 2)
    np.testing.assert_allclose(r.paths[:, :, -1], r.proposals)
    r = run_chains(RandomWalkMH(0.3), Donut(), jax.random.key(0), x0, 10, record_proposals=True)
    assert r.paths.shape == (2, 10, 2, 2)


def test_changing_continuous_settings_does_not_recompile():
    x0 = jnp.zeros((4, 6, 6))
    run_chains(HMC(0.05, 5), Phi4(-4.0, 8.0), jax.random.key(0), x0, 10)
    before = _tracing.traces("run_chains")
    run_chains(HMC(0.05, 5), Phi4(-3.0, 6.0, 1.5), jax.random.key(1), x0, 10)
    run_chains(HMC(0.2, 5), Phi4(-4.0, 8.0, 0.5), jax.random.key(2), x0 + 0.1, 10)
    assert _tracing.traces("run_chains") == before
    run_chains(HMC(0.1, 6), Phi4(-4.0, 8.0), jax.random.key(0), x0, 10)  # static change: one more
    assert _tracing.traces("run_chains") == before + 1


def test_divergence_is_detected_frozen_and_reported():
    energy = GaussianFreeField(1.0, 1.0)
    x0 = jnp.ones((3, 8, 8))
    with pytest.warns(RuntimeWarning, match="diverged at step"):
        r = run_chains(Langevin(5.0), energy, jax.random.key(0), x0, 60)
    assert bool(r.divergent.all())
    assert np.all(np.asarray(r.divergent_step) >= 0)
    assert np.all(np.isfinite(r.positions)) and np.all(np.isfinite(r.energy))
    last_good = r.positions[:, -1]
    np.testing.assert_allclose(r.final_state.position, last_good)
    lines = divergence_report(r)
    assert len(lines) == 3 and "chain 0" in lines[0] and "step size" in lines[0]
    # a healthy run reports nothing
    ok = run_chains(Langevin(0.05), energy, jax.random.key(0), x0, 20)
    assert not bool(ok.divergent.any()) and divergence_report(ok) == []
    assert np.all(np.asarray(ok.divergent_step) == -1)


@pytree_dataclass
class _Unbounded(Energy):
    """φ = −Σx²: improper, and it does not know it (no check_normalizable override)."""

    kT: float = 1.0

    def energy(self, x):
        return -jnp.sum(x**2)


def test_energy_running_to_minus_infinity_is_blamed_on_the_energy():
    with pytest.warns(RuntimeWarning, match="improper"):
        r = run_chains(Langevin(0.5), _Unbounded(), jax.random.key(0), jnp.ones((2, 2)), 300)
    assert bool(r.divergent.all()) and np.all(np.asarray(r.divergent_energy) == -np.inf)
    assert np.all(np.isfinite(r.positions))


def test_hmc_divergence_freezes_only_the_bad_chain():
    energy = Phi4(-4.0, 8.0)
    x0 = jnp.zeros((4, 6, 6)).at[1].set(30.0)  # chain 1 starts where leapfrog overflows
    with pytest.warns(RuntimeWarning, match="chain 1 diverged at step 0"):
        r = run_chains(HMC(0.05, 5), energy, jax.random.key(0), x0, 10)  # same compile as the test above
    np.testing.assert_array_equal(np.asarray(r.divergent), [False, True, False, False])
    assert np.all(np.asarray(r.positions[1]) == 30.0)
    assert np.all(np.isnan(np.asarray(r.delta_H[1, 1:])))


def test_improper_energy_is_refused_with_its_message():
    with pytest.raises(ImproperEnergyError, match="m²"):
        run_chains(HMC(0.1, 5), LatticeEnergy(), jax.random.key(0), jnp.zeros((2, 8, 8)), 10)
    with pytest.raises(ImproperEnergyError):
        run_chains(MALA(0.1), Phi4(-4.0, -1.0), jax.random.key(0), jnp.zeros((2, 8, 8)), 10)


def test_bad_counts_are_refused():
    energy = GaussianFreeField(1.0, 1.0)
    with pytest.raises(ValueError):
        run_chains(MALA(0.1), energy, jax.random.key(0), jnp.zeros((2, 4, 4)), 3, thin=5)
    with pytest.raises(ValueError):
        run_chains(MALA(0.1), energy, jax.random.key(0), jnp.zeros((4, 4)), 3)
    with pytest.raises(ValueError, match="adaptation"):
        run_chains(Langevin(0.1), energy, jax.random.key(0), jnp.zeros((2, 4, 4)), 3, adapt=True)


@pytest.mark.parametrize(
    "sampler,target",
    [
        pytest.param(MALA(0.01), 0.57, marks=pytest.mark.slow),
        (HMC(0.01, 8), 0.8),
        pytest.param(NUTS(0.01), 0.8, marks=pytest.mark.slow),
    ],
    ids=["mala", "hmc", "nuts"],
)
def test_dual_averaging_reaches_the_target_acceptance(sampler, target):
    """8×8 GFF from exact samples, 400 adaptation steps, 400 kept (16 chains):
    the mean acceptance lands within 0.07 of the target (off-target by default)."""
    energy = GaussianFreeField(1.0, 1.0)
    x0 = energy.sample_exact(jax.random.key(1), (8, 8), 16)
    r = run_chains(sampler, energy, jax.random.key(0), x0, 400, burn_in=400, adapt=True, target_accept=target)
    assert float(r.step_size) > 5 * 0.01
    assert abs(float(r.acceptance_prob.mean()) - target) < 0.07


def test_a_divergent_trial_step_during_adaptation_does_not_freeze_the_chains():
    """Regression: on stiff φ⁴ one overflowing trial step while dual averaging
    explored used to freeze every chain (step size → 0, acceptance 0)."""
    x0 = 0.5 * jax.random.normal(jax.random.key(0), (8, 8, 8))
    r = run_chains(HMC(0.1, 10), Phi4(-4.0, 8.0), jax.random.key(1), x0, 300, burn_in=300, adapt=True, warn=False)
    assert not bool(np.any(np.asarray(r.divergent)))
    assert 0.6 < float(np.mean(r.acceptance_prob)) < 0.95 and float(r.step_size) > 0.02
