"""Counts are traced: with a ``Capacity``, ``run_chains`` compiles one loop and
every chains / steps / burn-in / thin value inside it reuses it (counted with
``idf._tracing`` and with JAX's own backend-compile events), and the chains are
the same numbers as an exact-size run's. HMC's leapfrog count L likewise, inside
a leapfrog loop of capacity ``max_leapfrog``."""

import collections

import jax
import numpy as np
import pytest
from jax import monitoring

from idf import _tracing
from idf.energy import GaussianFreeField
from idf.samplers import HMC, Capacity, Langevin, run_chains

ENERGY = GaussianFreeField(1.0, 1.0)
_compiles = collections.Counter()


def _listen(event: str, duration: float, **kwargs) -> None:
    if event == "/jax/core/compile/backend_compile_duration":
        _compiles["backend"] += 1


monitoring.register_event_duration_secs_listener(_listen)


def backend_compiles() -> int:
    """XLA compilations so far in this process (every jit, eager ops included)."""
    return _compiles["backend"]


def x_init(chains: int, side: int = 4) -> np.ndarray:
    return np.asarray(0.5 * jax.random.normal(jax.random.key(1), (16, side, side)))[:chains]


def test_a_padded_run_gives_the_exact_runs_chains():
    """3 chains padded to 8, 60 steps in a 200-step buffer, adaptation on: every
    array equals the exact-size run's (float32 bit for bit up to XLA's fusion: 1e-6)."""
    kw = dict(burn_in=30, thin=3, adapt=True, warn=False)
    exact = run_chains(HMC(0.3, 5), ENERGY, jax.random.key(0), x_init(3), 60, **kw)
    padded = run_chains(HMC(0.3, 5), ENERGY, jax.random.key(0), x_init(3), 60, capacity=Capacity(8, 200, 100), **kw)
    for name in ("positions", "accepted", "acceptance_prob", "energy", "delta_H", "divergent", "nonfinite_step"):
        a, b = np.asarray(getattr(exact, name)), np.asarray(getattr(padded, name))
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(float(exact.step_size), float(padded.step_size), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(exact.final_state.position), padded.final_state.position, atol=1e-6)
    assert padded.positions.shape == (3, 20, 4, 4) and padded.accepted.shape == (3, 60)


def test_no_count_in_the_app_ranges_compiles_after_warm_up():
    """Capacity (16 chains, 2000 steps, 1000 burn-in), the Arena's slider ranges:
    after one warm-up call, every chains value 2–16, every steps value 100–2000
    (step 50), every burn-in 0–1000 (step 50) and thin 1–4 compile nothing."""
    cap = Capacity(16, 2000, 1000)
    sampler = Langevin(0.1)

    def go(chains=8, steps=500, burn_in=200, thin=1):
        r = run_chains(sampler, ENERGY, jax.random.key(0), x_init(chains), steps, burn_in=burn_in, thin=thin,
                       capacity=cap, warn=False)  # fmt: skip
        assert r.positions.shape == (chains, steps // thin, 4, 4) and r.energy.shape == (chains, steps // thin * thin)

    go()  # warm-up
    traces, compiles = _tracing.traces("run_chains"), backend_compiles()
    for chains in range(2, 17):
        go(chains=chains)
    for steps in range(100, 2001, 50):
        go(steps=steps)
    for burn_in in range(0, 1001, 50):
        go(burn_in=burn_in)
    for thin in range(1, 5):
        go(thin=thin)
    go(chains=13, steps=1950, burn_in=1000, thin=3)
    assert _tracing.traces("run_chains") == traces
    assert backend_compiles() == compiles


def test_without_capacity_each_new_count_compiles_as_before():
    """The library default keeps exact-size buffers (the CLI's one run per process)."""
    before = _tracing.traces("run_chains")
    run_chains(Langevin(0.1), ENERGY, jax.random.key(0), x_init(2), 37, warn=False)
    run_chains(Langevin(0.1), ENERGY, jax.random.key(0), x_init(2), 38, warn=False)
    assert _tracing.traces("run_chains") == before + 2


def test_a_traced_leapfrog_count_gives_the_static_kernels_chain():
    """HMC(max_leapfrog=40) runs L as a traced trip count: for L = 1, 2, 7, 10, 40 (with a
    per-site inverse mass and ε adaptation) the chain equals static-L HMC's (float32 up to
    XLA's fusion: 1e-6), num_grad_evals is L, the recorded path is the static path with x_L
    repeated up to 41 points, and the Hamiltonian along it (given num_steps) is unchanged."""
    from idf.diagnostics import leapfrog_hamiltonian, transition_energy

    inv_mass = 0.5 + jax.random.uniform(jax.random.key(2), (4, 4))
    kw = dict(burn_in=20, adapt=True, record_proposals=True, warn=False)
    for leap in (1, 2, 7, 10, 40):
        static = run_chains(HMC(0.2, leap, inv_mass), ENERGY, jax.random.key(0), x_init(3), 30, **kw)
        traced = run_chains(HMC(0.2, leap, inv_mass, 40), ENERGY, jax.random.key(0), x_init(3), 30, **kw)
        for name in ("positions", "accepted", "acceptance_prob", "energy", "delta_H", "proposals"):
            a, b = np.asarray(getattr(static, name)), np.asarray(getattr(traced, name))
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=f"L={leap}: {name}")
        assert (np.asarray(traced.num_grad_evals) == leap).all()
        paths = np.asarray(traced.paths)
        assert paths.shape == (3, 30, 41, 4, 4)
        np.testing.assert_allclose(paths[:, :, : leap + 1], static.paths, rtol=1e-6, atol=1e-6)
        tail = paths[:, :, leap:]
        np.testing.assert_array_equal(tail, np.broadcast_to(paths[:, :, leap : leap + 1], tail.shape))
        eps = float(traced.step_size)
        e_static = transition_energy(static.paths, static.accepted, ENERGY, eps, inv_mass)
        e_traced = transition_energy(traced.paths, traced.accepted, ENERGY, eps, inv_mass, traced.num_grad_evals)
        np.testing.assert_allclose(np.asarray(e_traced), np.asarray(e_static), rtol=1e-5, atol=1e-5)
        h_static = np.asarray(leapfrog_hamiltonian(static.paths[0, 4], ENERGY, eps, inv_mass)[0])
        h_traced = np.asarray(leapfrog_hamiltonian(paths[0, 4], ENERGY, eps, inv_mass, leap)[0])
        np.testing.assert_allclose(h_traced[: leap + 1], h_static, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(h_traced[leap:], h_static[-1], rtol=1e-5, atol=1e-5)


def test_no_leapfrog_count_within_the_capacity_compiles():
    """With max_leapfrog = 40 (the Arena's L slider), L is a leaf, not part of the tree
    structure: after one run every L in 1–40 compiles nothing; static L (the library
    default) keeps one program per L, and L outside the capacity is refused."""
    structure = jax.tree_util.tree_structure
    assert structure(HMC(0.2, 3, max_leapfrog=40)) == structure(HMC(0.2, 39, max_leapfrog=40))
    assert structure(HMC(0.2, 3)) != structure(HMC(0.2, 39))
    assert len(jax.tree_util.tree_leaves(HMC(0.2, 3))) == 1

    def go(sampler):
        r = run_chains(sampler, ENERGY, jax.random.key(0), x_init(4), 20, burn_in=5, warn=False)
        assert r.num_grad_evals.shape == (4, 20) and (np.asarray(r.num_grad_evals) == sampler.num_leapfrog).all()

    go(HMC(0.2, 10, max_leapfrog=40))  # warm-up
    traces, compiles = _tracing.traces("run_chains"), backend_compiles()
    for leap in range(1, 41):
        go(HMC(0.2, leap, max_leapfrog=40))
    assert _tracing.traces("run_chains") == traces
    assert backend_compiles() == compiles
    go(HMC(0.2, 9))
    go(HMC(0.2, 11))
    assert _tracing.traces("run_chains") == traces + 2
    for bad in (0, 41):
        with pytest.raises(ValueError, match="max_leapfrog"):
            HMC(0.2, bad, max_leapfrog=40)
