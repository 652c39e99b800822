"""Counts are traced: with a ``Capacity``, ``run_chains`` compiles one loop and
every chains / steps / burn-in / thin value inside it reuses it (counted with
``idf._tracing`` and with JAX's own backend-compile events), and the chains are
the same numbers as an exact-size run's."""

import collections

import jax
import numpy as np
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
