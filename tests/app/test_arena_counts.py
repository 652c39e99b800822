"""The Arena's count controls compile nothing after warm-up: ``arena.warm_up``
runs the view at the lattice sides asked for and both chain buckets; then every
chains value, a grid over steps and burn-in, and those sides reuse the compiled
programs (XLA backend compiles counted, ``run_chains`` traces too)."""

import collections
import dataclasses

from jax import monitoring

from idf import _tracing
from idf.app import arena
from idf.app.arena_config import BURN_IN_RANGE, CHAINS_RANGE, LEAPFROG_RANGE, STEPS_RANGE, ArenaConfig

_compiles = collections.Counter()


def _listen(event: str, duration: float, **kwargs) -> None:
    if event == "/jax/core/compile/backend_compile_duration":
        _compiles["n"] += 1


monitoring.register_event_duration_secs_listener(_listen)


def test_no_chains_steps_burn_in_or_side_value_compiles_after_warm_up():
    config = ArenaConfig(samplers=("mala", "hmc"))
    sizes = (8, 4)
    assert arena.warm_up(config, sizes) == len(sizes) * 2 * 2
    traces, compiles = _tracing.traces("run_chains"), _compiles["n"]
    lo, hi, step = CHAINS_RANGE
    views = [dataclasses.replace(config, chains=c) for c in range(lo, hi + 1, step)]  # every value
    lo, hi, step = STEPS_RANGE
    views += [dataclasses.replace(config, steps=s) for s in range(lo, hi + 1, 3 * step)]  # every 150
    lo, hi, step = BURN_IN_RANGE
    views += [dataclasses.replace(config, burn_in=b, size=4) for b in range(lo, hi + 1, 2 * step)]  # every 100
    views += [dataclasses.replace(config, size=4, chains=11, steps=1950, burn_in=1000)]
    for view in views:
        for name in view.samplers:
            run = arena.run_sampler(view.run_spec(name))
            assert run.result.positions.shape[:2] == (view.chains, view.steps)
    assert _tracing.traces("run_chains") == traces
    assert _compiles["n"] == compiles


def test_no_leapfrog_count_compiles_after_warm_up():
    """HMC's L slider: the Arena's HMC runs L as a traced trip count in a leapfrog loop of
    capacity LEAPFROG_RANGE[1] = the slider's top, so the warm-up's one program per side and
    chain bucket serves every L. Every L in the slider's range (lattice, 4×4) and, on a toy
    (which records the paths, cut to their L + 1 points), both ends, the default's
    neighbours and an odd one compile nothing; an L past the range is refused, not compiled."""
    import pytest

    lo, hi, step = LEAPFROG_RANGE
    lattice = ArenaConfig(samplers=("hmc",), size=4, steps=100, burn_in=0)
    toy = ArenaConfig(target="banana", params=(), samplers=("hmc",), steps=100, burn_in=0)
    assert arena.warm_up(lattice, (4,)) == arena.warm_up(toy, (toy.size,)) == 2
    traces, compiles = _tracing.traces("run_chains"), _compiles["n"]
    for leap in range(lo, hi + 1, step):  # every value
        run = arena.run_sampler(dataclasses.replace(lattice, num_leapfrog=leap).run_spec("hmc"))
        assert (run.result.num_grad_evals == leap).all() and run.grad_evals == leap * 8 * 100
    for leap in (lo, 9, 11, 23, hi):
        run = arena.run_sampler(dataclasses.replace(toy, num_leapfrog=leap).run_spec("hmc"))
        assert run.toy.paths.shape == (12, leap + 1, 2)
    assert _tracing.traces("run_chains") == traces
    assert _compiles["n"] == compiles
    with pytest.raises(ValueError, match="max_leapfrog"):
        arena.run_sampler(dataclasses.replace(lattice, num_leapfrog=hi + 1).run_spec("hmc"))


def test_no_inference_steps_value_compiles_after_one_diffusion_run():
    """The diffusion sampler's S slider: S is a traced trip count in a reverse loop of capacity
    INFERENCE_RANGE[1] (``diffusion_chains(max_steps=…)``), so after one run both ends, both
    neighbours of the default and odd values of the range compile nothing; the draws equal the
    plain library loop's (exact S, no capacity) to float32 round-off."""
    import jax
    import numpy as np

    from idf.app.arena_config import DEFAULT_INFERENCE_STEPS, INFERENCE_RANGE
    from idf.diffusion import ExactGaussianDenoiser, make_schedule
    from idf.samplers import diffusion_chains

    lo, hi, step = INFERENCE_RANGE
    config = ArenaConfig(samplers=("diffusion",), size=4, chains=2, steps=100)
    view = lambda s: dataclasses.replace(config, inference_steps=(("diffusion", s),)).run_spec("diffusion")  # noqa: E731
    arena.run_sampler(view(DEFAULT_INFERENCE_STEPS))
    traces, compiles = _tracing.traces(), _compiles["n"]
    sampled = (lo, lo + step, DEFAULT_INFERENCE_STEPS - step, DEFAULT_INFERENCE_STEPS + step, 250, hi - step, hi)
    runs = {s: arena.run_sampler(view(s)) for s in sampled}
    assert _tracing.traces() == traces
    assert _compiles["n"] == compiles
    assert set(sampled) <= set(range(lo, hi + 1, step)) and all(r.result.positions.shape == (2, 100, 4, 4)
                                                                for r in runs.values())  # fmt: skip
    energy = arena.make_target(config.target, config.params)
    for s in (lo, 250):
        plain = diffusion_chains(jax.random.key(config.seed), ExactGaussianDenoiser(energy),
                                 make_schedule("cosine", 1000), energy, (4, 4), 2, 100, inference_steps=s)  # fmt: skip
        np.testing.assert_allclose(runs[s].result.positions, np.asarray(plain.positions), rtol=1e-6, atol=1e-6)
        assert (runs[s].result.num_grad_evals == s).all()
