"""Training throughput and U-Net sampling cost.

- Training samples/s for the shipped architecture, compile excluded, median
  over repetitions: one jitted ``train_step`` per Python call (the baseline)
  against the trainer's ``train_chunk`` (the same steps in one ``lax.scan``),
  at 8×8 and 32×32, and against the design's target of > 100 samples/s.
- 50-step DDIM sampling at 64×64 with the U-Net against the exact Fourier
  denoiser (same loop, same batch): seconds and the ratio U-Net / exact.
"""

from __future__ import annotations

import statistics
import time

import jax
import jax.numpy as jnp

from idf.diffusion import ExactGaussianDenoiser, make_schedule, sample
from idf.energy import GaussianFreeField
from idf.models import UNetConfig, UNetDenoiser, init_unet
from idf.training import gff_dataset, init_train_state, make_optimizer, train_step
from idf.training.trainer import step_keys, train_chunk

CONFIG = UNetConfig(base_channels=16, channel_mults=(1, 2), time_dim=32, data_std=0.5)
TARGET_SAMPLES_PER_S = 100.0


def _median_seconds(fn, reps: int) -> float:
    jax.block_until_ready(fn())  # compile and warm up
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _throughput(quick: bool, size: int, batch: int) -> list[dict]:
    steps_per_rep = 10 if quick else 50
    schedule = make_schedule("linear", 1000)
    state = init_train_state(jax.random.key(0), CONFIG, schedule, make_optimizer(2e-3, 1000))
    data = jnp.asarray(gff_dataset(jax.random.key(1), size, batch).fields)
    stack = jnp.broadcast_to(data, (steps_per_rep, *data.shape))
    keys = step_keys(jax.random.key(2), 0, steps_per_rep)

    def per_step():
        st = state
        for i in range(steps_per_rep):
            st, metrics = train_step(st, data, keys[i])
        return metrics["loss"]

    def scanned():
        return train_chunk(state, stack, keys)[1]["loss"]

    reps = 3 if quick else 5
    rate = {name: batch * steps_per_rep / _median_seconds(fn, reps) for name, fn in
            (("step", per_step), ("scan", scanned))}
    label = f"{size}×{size}, batch {batch}"
    return [
        {
            "name": f"train_step per call ({label})",
            "value": rate["step"],
            "unit": "samples/s",
            "baseline": TARGET_SAMPLES_PER_S,
            "ratio": rate["step"] / TARGET_SAMPLES_PER_S,
            "note": f"one jitted step per Python call, {steps_per_rep} steps per rep, compile excluded; "
            "baseline = design target",
        },
        {
            "name": f"train_chunk, {steps_per_rep} steps in one scan ({label})",
            "value": rate["scan"],
            "unit": "samples/s",
            "baseline": rate["step"],
            "ratio": rate["scan"] / rate["step"],
            "note": f"what the trainer runs; ratio = scanned / per call; {rate['scan'] / TARGET_SAMPLES_PER_S:.0f}× "
            "the design target",
        },
    ]


def _sampling(quick: bool) -> list[dict]:
    size, n = 64, (4 if quick else 16)
    schedule = make_schedule("linear", 1000)
    unet = UNetDenoiser.from_model(init_unet(jax.random.key(0), CONFIG))
    exact = ExactGaussianDenoiser(GaussianFreeField(1.0))
    reps = 2 if quick else 3
    timed = {}
    for name, den in (("unet", unet), ("exact", exact)):
        timed[name] = _median_seconds(
            lambda den=den: sample(jax.random.key(1), den, schedule, (size, size), n, inference_steps=50).samples,
            reps,
        )
    return [
        {
            "name": f"50-step DDIM at {size}×{size}, {n} samples: U-Net",
            "value": timed["unet"],
            "unit": "s",
            "baseline": timed["exact"],
            "ratio": timed["unet"] / timed["exact"],
            "note": "baseline: exact Fourier denoiser, same loop; ratio = U-Net / exact",
        }
    ]


def run(quick: bool) -> list[dict]:
    return [*_throughput(quick, 8, 128), *_throughput(quick, 32, 128), *_sampling(quick)]


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)
