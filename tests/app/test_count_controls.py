"""Count and shape controls compile nothing once warmed (trace counts, not timings).

Inference steps S and training steps T are traced trip counts in fixed-capacity
loops, batches are padded to a few buckets: after one run per bucket, no value
in a control's range traces again (a dense grid over each range, both ends and
both sides of every bucket edge). The lattice side L is compiled per value by
the warm-up's shape phase: the slow test checks every L has its item and runs
five of them.
Padding and capacities must not change results: a padded run equals the plain
library loop's samples.
"""

import dataclasses

import jax
import numpy as np
import pytest

from idf import _tracing
from idf.app import forward, reverse, warmup
from idf.diffusion import ExactGaussianDenoiser, Guidance, make_schedule, sample
from idf.diffusion.buckets import bucket, bucket_sizes
from idf.energy import GaussianFreeField

REV = reverse.ReverseConfig(size=4)  # the mechanism does not depend on L; small lattices keep this test short
FWD = forward.ForwardConfig(size=4)


def _edges(buckets, lo, hi):
    grid = {lo, hi}
    for b in buckets:
        grid |= {b - 4, b, b + 4}
    return sorted(v for v in grid if lo <= v <= hi)


def test_reverse_steps_batch_and_training_steps_compile_once_per_bucket():
    for b in bucket_sizes(reverse.BATCH_BUCKETS):
        reverse.compute(dataclasses.replace(REV, batch=b))
    before = _tracing.traces("reverse_sample")
    for s in (1, 2, 3, 7, 49, 51, 99, 250, 499, reverse.MAX_INFERENCE_STEPS):
        run = reverse.compute(dataclasses.replace(REV, inference_steps=s))
        assert run.timesteps.shape == (s,) and run.energy.mean.shape == (s + 1,)
    for n in _edges(reverse.BATCH_BUCKETS, *reverse.BATCH_RANGE):
        run = reverse.compute(dataclasses.replace(REV, batch=n))
        assert run.samples.shape == (n, 4, 4)
    for t in (10, 20, 30, 990, 1010, 1990, 2000):
        reverse.compute(dataclasses.replace(REV, num_steps=t, inference_steps=min(50, t)))
    assert _tracing.traces("reverse_sample") == before


def test_forward_training_steps_and_batch_compile_once_per_bucket():
    for b in bucket_sizes(forward.BATCH_BUCKETS):
        forward.compute(dataclasses.replace(FWD, batch=b))
    before = _tracing.traces("forward_frames")
    for t in (10, 20, 30, 500, 990, 1010, 1990, forward.MAX_STEPS):
        run = forward.compute(dataclasses.replace(FWD, num_steps=t))
        assert run.energy.mean.shape == (t + 1,) and run.frame_t[-1] == t
    for n in _edges(forward.BATCH_BUCKETS, *forward.BATCH_RANGE):
        run = forward.compute(dataclasses.replace(FWD, batch=n))
        assert run.x0.shape[0] == min(8, n)
    assert _tracing.traces("forward_frames") == before


def test_padding_and_capacity_leave_the_samples_unchanged():
    g = GaussianFreeField(mass2=1.0, kT=1.0)
    sched = make_schedule("linear", 200, 1e-4, 0.02)
    args = (jax.random.key(3), ExactGaussianDenoiser(g), sched, (6, 6), 10)
    kw = dict(inference_steps=17, eta=0.5, guidance=Guidance(g, 0.2), metric_energy=g)
    plain = sample(*args, **kw)
    padded = sample(*args, **kw, max_steps=64, batch_capacity=bucket(10, (16, 64)))
    for name in plain._fields:
        np.testing.assert_array_equal(np.asarray(getattr(plain, name)), getattr(padded, name), err_msg=name)


SAMPLED_SIDES = (4, 15, 17, 23, 32)  # both ends of the range, both neighbours of the default 16, an odd one


@pytest.mark.slow
def test_no_lattice_side_compiles_after_the_warmup():
    """Every side L of Reverse and Forward has its own item in the warm-up's shape phase;
    running the item for L leaves nothing for a user at L to compile. The second part runs
    at SAMPLED_SIDES (compiling all 2 × 28 sides took 6 of the suite's 20 minutes): each
    page's compute for L is a fresh, uncached call, so only the warm-up item can have
    compiled its programs."""
    items = dict(warmup.shape_values())
    for module, config in ((reverse, reverse.ReverseConfig()), (forward, forward.ForwardConfig())):
        page = module.__name__.rsplit(".", 1)[-1]
        missing = [size for size in range(module.SIZE_RANGE[0], module.SIZE_RANGE[1] + 1)
                   if size != config.size and f"{page} L={size}" not in items]  # fmt: skip
        assert not missing, (page, missing)
    for size in SAMPLED_SIDES:
        items[f"reverse L={size}"]()
        items[f"forward L={size}"]()
    reverse.compute(reverse.ReverseConfig())
    forward.compute(forward.ForwardConfig())
    before = _tracing.traces()
    for size in SAMPLED_SIDES:
        reverse.compute(dataclasses.replace(reverse.ReverseConfig(), size=size))
        forward.compute(dataclasses.replace(forward.ForwardConfig(), size=size))
    assert _tracing.traces() == before
    reverse.compute(dataclasses.replace(reverse.ReverseConfig(), size=5))  # not warmed here: it does compile
    assert _tracing.traces() > before


def test_multiscale_batch_and_steps_compile_nothing_once_one_chunk_ran():
    """The Multi-scale batch n runs in chunks of CHUNK fields and the steps per scale are a traced
    trip count, so after one run every n in the slider's range (both ends, both sides of each
    chunk edge) and both step ends lower no new program: eager steps between the loops (SDEdit's
    upsampling and noising) included, counted by JAX's lowering events (a persistent-cache hit
    is lowered too, so a shared cache cannot hide one). n = 18 runs 2 chunks, not a bucket of 64."""
    from jax import monitoring

    from idf.app import multiscale

    lowered = []
    lowering = "/jax/core/compile/jaxpr_to_mlir_module_duration"
    monitoring.register_event_duration_secs_listener(
        lambda event, duration, **kw: lowered.append(event) if event == lowering else None)
    config = multiscale.MultiscaleConfig(scales="8,16", steps=10)  # the mechanism does not depend on the sides
    multiscale.multiscale_compute(config)
    before = len(lowered)
    chunk = multiscale.CHUNK
    for n in (2, chunk - 2, chunk, chunk + 2, 2 * chunk + 2, 64):
        run = multiscale.multiscale_compute(dataclasses.replace(config, n=n))
        assert [s.samples.shape for s in run.scales] == [(n, side, side) for side in config.sides]
    multiscale.multiscale_compute(dataclasses.replace(config, steps=200))
    assert len(lowered) == before
    # the first chunk is the one-chunk run's draw: a larger n adds fields, it does not redraw
    small, large = (multiscale.multiscale_compute(dataclasses.replace(config, n=n)) for n in (4, chunk + 4))
    np.testing.assert_array_equal(large.scales[-1].samples[:4], small.scales[-1].samples)
