"""``sample(batch_capacity=...)`` compiles nothing for a new n ≤ capacity and leaves the samples as
they are: neither ``keep`` (bounded by the padded batch, trimmed to min(keep, n) afterwards) nor
the padding of a host-side start or condition depends on n."""

import jax
import numpy as np
import pytest

from idf.diffusion import ExactGaussianDenoiser, Start, make_schedule, sample
from idf.diffusion.conditioning import KnownModesDenoiser
from idf.diffusion.multiscale import upsample
from idf.energy import GaussianFreeField
from tests.lowerings import lowerings

GFF = GaussianFreeField(mass2=0.5, kT=1.0)
SCHED = make_schedule("linear", 200, 1e-4, 0.02)
SHAPE = (8, 8)


def _inputs(kind):
    """(denoiser, the per-n keyword arguments) for a plain run, a given start and a condition."""
    if kind == "start":
        x = 3.0 * np.asarray(jax.random.normal(jax.random.key(7), (8, *SHAPE)), np.float64)
        return ExactGaussianDenoiser(GFF), lambda n: dict(start=Start(x[:n], 120))
    if kind == "condition":
        lifted = np.asarray(upsample(jax.random.normal(jax.random.key(8), (8, 4, 4)), SHAPE, "spectral"))
        return KnownModesDenoiser(GFF, (4, 4)), lambda n: dict(condition=lifted[:n])
    return ExactGaussianDenoiser(GFF), lambda n: {}


@pytest.mark.parametrize("kind", ["plain", "start", "condition"])
def test_a_new_n_below_the_capacity_lowers_nothing(kind):
    denoiser, per_n = _inputs(kind)

    def run(n):
        return sample(jax.random.key(1), denoiser, SCHED, SHAPE, n, inference_steps=5, keep=4, metric_energy=GFF,
                      batch_capacity=8, **per_n(n))

    run(3)
    with lowerings() as lowered:
        five, eight = run(5), run(8)
    assert lowered == []
    assert five.samples.shape == (5, *SHAPE) and five.trajectory.shape == (6, 4, *SHAPE)
    np.testing.assert_array_equal(five.samples, np.asarray(eight.samples)[:5])
    np.testing.assert_array_equal(five.trajectory, np.asarray(eight.trajectory))
    np.testing.assert_array_equal(five.energy, np.asarray(eight.energy)[:, :5])


def test_keep_is_trimmed_to_n_and_the_results_are_the_unpadded_runs():
    """n = 3 < keep = 4: three trajectories, bitwise those of the run without a capacity."""
    denoiser, per_n = _inputs("start")
    kw = dict(inference_steps=5, keep=4, metric_energy=GFF, **per_n(3))
    plain = sample(jax.random.key(1), denoiser, SCHED, SHAPE, 3, **kw)
    padded = sample(jax.random.key(1), denoiser, SCHED, SHAPE, 3, batch_capacity=8, **kw)
    assert padded.trajectory.shape == (6, 3, *SHAPE)
    for field in plain._fields:
        np.testing.assert_array_equal(getattr(padded, field), np.asarray(getattr(plain, field)), err_msg=field)
