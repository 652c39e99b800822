"""run_chains: shapes, burn-in/thin, one compile per static config, divergence,
improper energies, adaptation."""

import blackjax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from idf import _tracing
from idf._pytree import pytree_dataclass
from idf.energy import Donut, Energy, GaussianFreeField, ImproperEnergyError, LatticeEnergy, Phi4
from idf.samplers import (
    HMC,
    MALA,
    NUTS,
    SAMPLERS,
    Langevin,
    RandomWalkMH,
    dropped_chains,
    nonfinite_report,
    run_chains,
    stuck_chains,
)
from idf.samplers.base import DIVERGENCE_THRESHOLD, Sampler, init_state
from idf.samplers.run import run_chains_with_restarts


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
    assert bool(r.nonfinite.all())
    assert np.all(np.asarray(r.nonfinite_step) >= 0)
    assert np.all(np.isfinite(r.positions)) and np.all(np.isfinite(r.energy))
    last_good = r.positions[:, -1]
    np.testing.assert_allclose(r.final_state.position, last_good)
    lines = nonfinite_report(r)
    assert len(lines) == 3 and "chain 0" in lines[0] and "step size" in lines[0]
    # a healthy run reports nothing
    ok = run_chains(Langevin(0.05), energy, jax.random.key(0), x0, 20)
    assert not bool(ok.nonfinite.any()) and nonfinite_report(ok) == []
    assert np.all(np.asarray(ok.nonfinite_step) == -1)


@pytree_dataclass
class _Unbounded(Energy):
    """φ = −Σx²: improper, and it does not know it (no check_normalizable override)."""

    kT: float = 1.0

    def energy(self, x):
        return -jnp.sum(x**2)


def test_energy_running_to_minus_infinity_is_blamed_on_the_energy():
    with pytest.warns(RuntimeWarning, match="improper"):
        r = run_chains(Langevin(0.5), _Unbounded(), jax.random.key(0), jnp.ones((2, 2)), 300)
    assert bool(r.nonfinite.all()) and np.all(np.asarray(r.nonfinite_energy) == -np.inf)
    assert np.all(np.isfinite(r.positions))


def test_an_overflowing_hmc_proposal_is_a_rejection_and_the_chain_goes_on():
    """Chain 1 starts at x = 30, where φ⁴'s leapfrog overflows: every proposal is NaN,
    so every one is rejected (acceptance 0, divergent, counted as non-finite), the
    chain stays at its finite start and is reported stuck, not frozen; the other
    chains never see a non-finite proposal."""
    energy = Phi4(-4.0, 8.0)
    x0 = jnp.zeros((4, 6, 6)).at[1].set(30.0)
    with pytest.warns(RuntimeWarning, match="chain 1: 10 of 10 proposals non-finite"):
        r = run_chains(HMC(0.05, 5), energy, jax.random.key(0), x0, 10)  # same compile as the test above
    assert not bool(np.any(np.asarray(r.nonfinite)))
    np.testing.assert_array_equal(np.asarray(r.nonfinite_proposal).sum(axis=1), [0, 10, 0, 0])
    assert np.all(np.asarray(r.positions[1]) == 30.0) and np.all(np.asarray(r.acceptance_prob[1]) == 0.0)
    assert np.all(np.asarray(r.divergent[1])) and not np.any(np.asarray(r.accepted[1]))
    np.testing.assert_array_equal(stuck_chains(r), [False, True, False, False])
    np.testing.assert_array_equal(dropped_chains(r), [False, True, False, False])
    assert "stuck" in nonfinite_report(r)[0]


@pytree_dataclass
class _HalfPlane(Energy):
    """½Σx² on the half-plane x₁ < 1, NaN beyond it (P(x₁ > 1) ≈ 0.16 under N(0, 1))."""

    kT: float = 1.0

    def energy(self, x):
        return 0.5 * jnp.sum(x**2) + 0.0 * jnp.log(1.0 - x[0])


@pytest.mark.parametrize("sampler", [MALA(0.8), RandomWalkMH(0.8)], ids=lambda s: type(s).__name__)
def test_a_nan_proposal_of_a_single_proposal_sampler_is_rejected_not_frozen(sampler):
    """Proposals beyond the half-plane's edge are NaN. They are rejections: the chains keep
    moving, accept their other proposals and stay finite; ULA, which cannot reject,
    freezes on the same energy."""
    x0 = jnp.zeros((4, 2))
    with pytest.warns(RuntimeWarning, match="proposals non-finite"):
        r = run_chains(sampler, _HalfPlane(), jax.random.key(0), x0, 200)
    rejected = np.asarray(r.nonfinite_proposal)
    assert rejected.sum(axis=1).min() > 0 and not np.any(np.asarray(r.accepted)[rejected])
    assert not bool(np.any(np.asarray(r.nonfinite))) and np.asarray(r.accepted).mean(axis=1).min() > 0.3
    assert np.all(np.isfinite(np.asarray(r.positions))) and np.all(np.asarray(r.positions)[..., 0] < 1.0)
    assert not dropped_chains(r).any()
    with pytest.warns(RuntimeWarning, match="diverged at step"):
        ula = run_chains(Langevin(0.8), _HalfPlane(), jax.random.key(0), x0, 200)
    assert bool(np.all(np.asarray(ula.nonfinite))) and not np.asarray(ula.nonfinite_proposal).any()


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
    assert not bool(np.any(np.asarray(r.nonfinite)))
    assert 0.6 < float(np.mean(r.acceptance_prob)) < 0.95 and float(r.step_size) > 0.02


# -- divergent (BlackJAX's meaning: ΔH > 1000 kT) against non-finite (frozen) --------------
def test_every_sampler_meets_the_protocol_and_only_ula_cannot_adapt():
    for name, cls in SAMPLERS.items():
        sampler = cls()
        assert isinstance(sampler, Sampler), name
        assert sampler.adaptable == (name != "langevin"), name


def test_hmc_marks_a_huge_energy_error_divergent_and_keeps_the_chain_going():
    """8×8 GFF (m² = 1, A_max = 9): leapfrog at ε = 0.8 (εω_max = 2.4 > 2) is unstable,
    so the top modes grow ~3.5× per step; over L = 10 steps ΔH ≫ 1000 kT but stays
    finite. Those transitions are divergent and rejected; no chain is frozen."""
    energy = GaussianFreeField(1.0, 1.0)
    x0 = energy.sample_exact(jax.random.key(1), (8, 8), 4)
    r = run_chains(HMC(0.8, 10), energy, jax.random.key(0), x0, 20)
    div = np.asarray(r.divergent)
    assert div.shape == (4, 20) and div.mean() > 0.9
    assert not bool(np.any(np.asarray(r.nonfinite)))
    assert not np.any(np.asarray(r.accepted)[div])
    dh = np.asarray(r.delta_H)
    np.testing.assert_array_equal(div, np.isnan(dh) | (dh > DIVERGENCE_THRESHOLD))
    healthy = run_chains(HMC(0.1, 10), energy, jax.random.key(0), x0, 20)
    assert not bool(np.any(np.asarray(healthy.divergent)))


@pytest.mark.parametrize("sampler", [Langevin(0.05), MALA(0.05), RandomWalkMH(0.1)], ids=lambda s: type(s).__name__)
def test_single_proposal_samplers_have_no_divergent_transitions(sampler):
    energy = GaussianFreeField(1.0, 1.0)
    r = run_chains(sampler, energy, jax.random.key(0), jnp.zeros((2, 4, 4)), 10)
    assert r.divergent.shape == (2, 10) and not bool(np.any(np.asarray(r.divergent)))


def test_nuts_forwards_blackjax_is_divergent():
    """One NUTS step at a step size where the tree diverges: our flag is BlackJAX's."""
    energy = GaussianFreeField(1.0, 1.0)
    x = energy.sample_exact(jax.random.key(1), (8, 8), 1)[0]
    key = jax.random.key(3)
    for eps, expected in ((2.0, True), (0.05, False)):
        state = NUTS(eps).init(x, energy)
        _, info = jax.jit(NUTS(eps).step)(key, state, energy)
        bj_state = blackjax.mcmc.hmc.HMCState(state.position, state.logdensity, state.grad_logdensity)
        _, bj_info = blackjax.nuts.build_kernel()(key, bj_state, energy.logdensity, eps, jnp.ones(64), 10)
        assert bool(info.divergent) == bool(bj_info.is_divergent) == expected, eps
        assert not bool(info.nonfinite)


@pytree_dataclass
class _Cliff(Energy):
    """½Σx² inside the disc Σx² < 400, NaN outside it (a proposal far out is non-finite)."""

    kT: float = 1.0

    def energy(self, x):
        return 0.5 * jnp.sum(x**2) + 0.0 * jnp.log(400.0 - jnp.sum(x**2))


def test_adaptation_restarts_from_a_smaller_step_when_a_chain_is_stuck():
    """burn_in = 0: dual averaging has nothing to adapt on, so the run samples at ε₀.
    At ε₀ = 100 every leapfrog step lands outside the disc: each proposal is NaN and
    rejected, so the chains are stuck at x₀ (not frozen); the policy restarts from
    ε₀/4, ε₀/16, … until some proposal is accepted in every chain (at most 3 times)."""
    x0 = jnp.zeros((2, 2))
    run = run_chains_with_restarts(HMC(100.0, 1), _Cliff(), jax.random.key(0), x0, 30, adapt=True, warn=False)
    assert 1 <= len(run.restarts) <= 3
    assert run.restarts == tuple(100.0 / 4.0**k for k in range(1, len(run.restarts) + 1))
    assert float(run.sampler.step_size) == run.restarts[-1]
    assert not dropped_chains(run.result).any()
    once = run_chains_with_restarts(HMC(100.0, 1), _Cliff(), jax.random.key(0), x0, 30, warn=False)
    assert once.restarts == () and bool(np.all(stuck_chains(once.result)))  # no adapt: no policy
    assert not bool(np.any(np.asarray(once.result.nonfinite)))


@pytree_dataclass
class _NaNSlope(Energy):
    """½Σx² + Σ√max(x, 0): finite everywhere, but its gradient is NaN where a site is
    negative (autodiff: ∞ · 0), so a proposal can have a finite energy and a NaN gradient."""

    kT: float = 1.0

    def energy(self, x):
        return 0.5 * jnp.sum(x**2) + jnp.sum(jnp.sqrt(jnp.maximum(x, 0.0)))


def test_mala_flags_a_nan_gradient_from_its_ratio_as_the_field_check_would():
    """MALA reads ``nonfinite`` from two scalars (the proposal's energy and the log-ratio)
    instead of reducing the gradient field: every step flags exactly what the field check
    flags, and every flagged proposal is rejected."""
    energy, sampler = _NaNSlope(), MALA(0.5)
    state = init_state(jnp.full((3,), 0.8), energy)
    flagged = 0
    for i in range(200):
        new, info = sampler.step(jax.random.key(i), state, energy)
        proposal = init_state(info.proposal, energy)
        field_check = not (np.isfinite(float(proposal.energy)) and np.all(np.isfinite(proposal.grad_logdensity)))
        assert bool(info.nonfinite) == field_check, i
        if field_check:
            flagged += 1
            assert not bool(info.accepted)
    assert 20 < flagged < 180  # both kinds of proposal occurred
