"""Sharding over 4 simulated CPU devices gives the same diffusion samples and
HMC chains as one device."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import jax, numpy as np
    assert jax.device_count() == 4, jax.devices()
    from idf.diffusion import ExactGaussianDenoiser, make_schedule, sample
    from idf.energy import GaussianFreeField
    g = GaussianFreeField(mass2=1.0)
    s = make_schedule("linear", 200)
    kw = dict(inference_steps=20, solver="ddim", eta=1.0, keep=2)
    a = sample(jax.random.key(7), ExactGaussianDenoiser(g), s, (8, 8), 16, shard=True, **kw)
    b = sample(jax.random.key(7), ExactGaussianDenoiser(g), s, (8, 8), 16, shard=False, **kw)
    assert len(a.samples.sharding.device_set) == 4, a.samples.sharding
    assert len(b.samples.sharding.device_set) == 1
    np.testing.assert_allclose(np.asarray(a.samples), np.asarray(b.samples), rtol=1e-5, atol=1e-5)
    from idf.samplers import HMC, run_chains
    x0 = jax.random.normal(jax.random.key(1), (8, 8, 8))
    r1 = run_chains(HMC(step_size=0.2, num_leapfrog=5), g, jax.random.key(2), x0, 30, shard=True)
    r2 = run_chains(HMC(step_size=0.2, num_leapfrog=5), g, jax.random.key(2), x0, 30, shard=False)
    np.testing.assert_allclose(np.asarray(r1.positions), np.asarray(r2.positions), rtol=1e-4, atol=1e-4)
    print("SHARDED-OK")
    """
)


def test_sharded_sampling_equals_unsharded():
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4", "JAX_PLATFORMS": "cpu",
           "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0 and "SHARDED-OK" in out.stdout, out.stderr[-3000:]
