"""Training throughput and U-Net sampling cost.

- ``train_step`` samples/s for the shipped architecture (8×8, batch 128),
  compile excluded, median over repetitions, against the design's target of
  > 100 samples/s.
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


def _throughput(quick: bool) -> dict:
    batch, steps_per_rep = 128, (5 if quick else 20)
    schedule = make_schedule("linear", 1000)
    state = init_train_state(jax.random.key(0), CONFIG, schedule, make_optimizer(2e-3, 1000))
    data = jnp.asarray(gff_dataset(jax.random.key(1), 8, batch).fields)

    def run():
        st = state
        for i in range(steps_per_rep):
            st, metrics = train_step(st, data, jax.random.key(i))
        return metrics["loss"]

    seconds = _median_seconds(run, 3 if quick else 5) / steps_per_rep
    rate = batch / seconds
    return {
        "name": "train_step throughput (8×8, batch 128)",
        "value": rate,
        "unit": "samples/s",
        "baseline": TARGET_SAMPLES_PER_S,
        "ratio": rate / TARGET_SAMPLES_PER_S,
        "note": f"median of reps of {steps_per_rep} steps, compile excluded; baseline = design target",
    }


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
    return [_throughput(quick), *_sampling(quick)]


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)
