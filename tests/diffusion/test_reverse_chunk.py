"""reverse_chunk, chunk after chunk, is the reverse loop ``sample`` runs, step for step: the
live Reverse view advances the same chain the page's result comes from."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from idf.diffusion import ExactGaussianDenoiser, Guidance, make_schedule, plan_sample, reverse_chunk, sample
from idf.energy import GaussianFreeField


@pytest.mark.parametrize("options", [dict(solver="ddim", eta=0.5),
                                     dict(solver="ddpm", guidance=True, conserve_energy=True)],
                         ids=["ddim", "ddpm-guided-constrained"])
def test_chunks_rebuild_the_reverse_loop(options):
    gff = GaussianFreeField(mass2=0.5, kT=1.0)
    sched = make_schedule("linear", 200, 1e-4, 0.02)
    if options.pop("guidance", False):
        options["guidance"] = Guidance(gff, 0.5)
    kw = dict(inference_steps=23, metric_energy=gff, max_steps=40, batch_capacity=8, **options)
    key = jax.random.key(5)
    ref = sample(key, ExactGaussianDenoiser(gff), sched, (6, 6), 6, **kw)
    plan = plan_sample(key, ExactGaussianDenoiser(gff), sched, (6, 6), 6, **kw)
    x, diverged = plan.args[1], jnp.full((plan.padded,), -1, jnp.int32)
    energies, ratios, fields = [], [], []
    for first in range(0, 23, 5):  # 4 chunks of 5, one of 3 (its padded tail leaves the state alone)
        x, diverged, f, e, r = reverse_chunk(plan, first, 5, x, diverged)
        n = min(5, 23 - first)
        energies.append(np.asarray(e)[:n, :6])
        ratios.append(np.asarray(r)[:n, :6])
        fields.append(np.asarray(f)[:n])
    np.testing.assert_allclose(np.concatenate(energies), ref.energy[1:], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.concatenate(ratios), ref.norm_ratio, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.concatenate(fields), ref.trajectory[1:, 0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(x)[:6], ref.samples, rtol=1e-5, atol=1e-5)  # the padded steps kept it
