"""Every convergence estimator against ArviZ on fixed chains, the jitted JAX path
against the NumPy path, and the one deliberate difference: a constant chain."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from idf.diagnostics import convergence as cv
from idf.diagnostics.hamiltonian import e_bfmi, leapfrog_hamiltonian, transition_energy
from idf.energy import GaussianFreeField
from idf.samplers import HMC, run_chains

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)  # ArviZ announces its 1.0 refactor on import
    az = pytest.importorskip("arviz")
    from arviz.stats.diagnostics import _ess as arviz_plain_ess

RTOL = 1e-8  # float64 NumPy path vs ArviZ: the same formulas, round-off only
JAX_RTOL = 2e-4  # float32 jax.jit path vs the float64 one


def ar1(phi, chains, steps, seed, offset=0.0):
    """AR(1) chains started in equilibrium, the last chain shifted by ``offset``: [C, S]."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(chains, steps))
    x = np.empty_like(z)
    x[:, 0] = z[:, 0]
    for t in range(1, steps):
        x[:, t] = phi * x[:, t - 1] + np.sqrt(1 - phi**2) * z[:, t]
    x[-1] += offset
    return x


# white noise; strongly correlated; one chain off (R̂ ≫ 1); odd length; heavy tails
CHAINS = {
    "white": ar1(0.0, 4, 1000, 1),
    "ar0.95": ar1(0.95, 4, 800, 2),
    "offset": ar1(0.5, 4, 600, 3, offset=3.0),
    "odd": ar1(0.7, 3, 401, 4),
    "cauchy": np.random.default_rng(5).standard_cauchy((4, 500)),
}


@pytest.mark.parametrize("name", list(CHAINS))
def test_every_estimator_matches_arviz(name):
    x = CHAINS[name]
    expected = {
        "ess_bulk": az.ess(x, method="bulk"),
        "ess_tail": az.ess(x, method="tail"),
        "ess_mean": az.ess(x, method="mean"),
        "ess": arviz_plain_ess(x),
        "rhat": az.rhat(x, method="rank"),
        "rhat_bulk": az.rhat(x, method="z_scale"),
        "rhat_folded": az.rhat(x, method="folded"),
        "mcse_mean": az.mcse(x, method="mean"),
        "mcse_sd": az.mcse(x, method="sd"),
    }
    for fn, value in expected.items():
        np.testing.assert_allclose(getattr(cv, fn)(x), value, rtol=RTOL, err_msg=fn)
    np.testing.assert_allclose(cv.tau_int(x), x.size / arviz_plain_ess(x), rtol=RTOL)


def test_trailing_axes_are_independent_observables():
    x = np.stack([CHAINS["white"][:, :600], CHAINS["offset"]], axis=-1)  # [4, 600, 2]
    np.testing.assert_allclose(cv.ess_bulk(x), [az.ess(x[..., j], method="bulk") for j in range(2)], rtol=RTOL)
    assert cv.rhat(x[:, :, None, :]).shape == (1, 2)


@pytest.mark.parametrize("fn", ["ess_bulk", "ess_tail", "ess_mean", "rhat", "rhat_folded", "mcse_mean", "mcse_sd"])
def test_jit_path_agrees_with_numpy_path(fn):
    x = np.stack([CHAINS["white"][:, :800], CHAINS["ar0.95"]], axis=-1)
    jitted = jax.jit(getattr(cv, fn))(jnp.asarray(x, jnp.float32))
    np.testing.assert_allclose(np.asarray(jitted), getattr(cv, fn)(x), rtol=JAX_RTOL)


def test_rhat_sees_the_offset_chain_and_ess_the_correlation():
    assert cv.rhat(CHAINS["white"]) < 1.01 < cv.rhat(CHAINS["offset"])
    # AR(1) φ = 0.95: τ = (1 + φ)/(1 − φ) = 39, so ESS ≈ 3200/39 ≈ 82 (within 40 % at this length)
    assert cv.ess_mean(CHAINS["ar0.95"]) == pytest.approx(3200 / 39, rel=0.4)


def test_a_constant_chain_has_zero_ess_and_is_flagged():
    """ArviZ returns C·S (and BlackJAX 3.3×, its #1019) for a stuck chain: we return 0."""
    x = np.full((4, 200), 1.5)
    assert arviz_plain_ess(x) == x.size  # the behaviour we refuse
    for fn in ("ess", "ess_mean", "ess_bulk", "ess_tail"):
        assert float(getattr(cv, fn)(x)) == 0.0, fn
        assert float(jax.jit(getattr(cv, fn))(jnp.asarray(x))) == 0.0, fn
    assert np.isinf(cv.tau_int(x))
    assert cv.stuck_chains(x).all()


def test_chains_stuck_at_different_points_have_zero_ess():
    """No chain moves but they disagree: ArviZ's ESS is ≈ C (a too-large step size on HMC); ours is 0."""
    x = np.repeat(np.array([[-1.0], [0.2], [0.5], [2.0]]), 300, axis=1)
    assert 1 < arviz_plain_ess(x) < 10
    assert float(cv.ess_bulk(x)) == float(cv.ess(x)) == float(cv.ess_tail(x)) == 0.0
    assert cv.stuck_chains(x).all()


def test_one_stuck_chain_among_moving_ones():
    x = CHAINS["white"].copy()
    x[2] = 0.3
    np.testing.assert_array_equal(cv.stuck_chains(x), [False, False, True, False])
    assert cv.rhat(x) > 1.01


def test_too_few_draws_is_an_error():
    with pytest.raises(ValueError, match="samples ≥ 4"):
        cv.ess_bulk(np.zeros((4, 3)))


def test_e_bfmi_matches_arviz_and_flags_a_constant_energy():
    rng = np.random.default_rng(7)
    energy = np.cumsum(rng.normal(size=(4, 300)), axis=1) * 0.1 + rng.normal(size=(4, 300))
    np.testing.assert_allclose(e_bfmi(energy), az.bfmi(energy), rtol=RTOL)
    np.testing.assert_allclose(np.asarray(e_bfmi(jnp.asarray(energy))), az.bfmi(energy), rtol=1e-5)
    assert np.isnan(e_bfmi(np.ones((2, 50)))).all()


@pytest.fixture(scope="module")
def hmc_run():
    energy = GaussianFreeField(mass2=1.0)
    x0 = jnp.zeros((4, 4, 4))
    sampler = HMC(step_size=0.3, num_leapfrog=8)
    res = run_chains(sampler, energy, jax.random.PRNGKey(0), x0, 300, burn_in=100, record_proposals=True)
    return energy, sampler, res


def test_reconstructed_hamiltonian_gives_the_recorded_delta_h(hmc_run):
    """H along the path from the positions alone: H_L − H_0 is the sampler's own ΔH."""
    energy, sampler, res = hmc_run
    h, potential = leapfrog_hamiltonian(res.paths[0, 5], energy, sampler.step_size)
    assert h.shape == potential.shape == (sampler.num_leapfrog + 1,)

    def delta(path):
        h = leapfrog_hamiltonian(path, energy, sampler.step_size)[0]
        return h[-1] - h[0]

    dh = jax.vmap(jax.vmap(delta))(res.paths)
    np.testing.assert_allclose(np.asarray(dh), np.asarray(res.delta_H), atol=2e-3)


def test_e_bfmi_of_hmc_on_a_gaussian_is_healthy(hmc_run):
    """A well-tuned HMC on a 16-d Gaussian: E-BFMI ≈ 1 (Betancourt 2016), far above 0.3."""
    energy, sampler, res = hmc_run
    e = transition_energy(res.paths, res.accepted, energy, sampler.step_size)
    assert e.shape == res.accepted.shape
    assert (e_bfmi(np.asarray(e)) > 0.6).all()
