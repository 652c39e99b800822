"""forward_chunk, chunk after chunk, is forward_frames's chain step for step (the live
Forward view advances the same chain the page's animation shows)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from idf.diffusion import forward_chunk, forward_frames, make_schedule
from idf.energy import GaussianFreeField


@pytest.mark.parametrize("guided", [False, True])
def test_chunks_rebuild_the_forward_chain(guided):
    gff = GaussianFreeField(mass2=0.5, kT=1.0)
    sched = make_schedule("linear", 23, 1e-4, 0.2)
    key_data, key = jax.random.split(jax.random.key(3))
    x0 = gff.sample_exact(key_data, (6, 6), 4)
    kw = dict(guidance_energy=gff if guided else None, guidance_strength=30.0, metric_energy=gff)
    ref = forward_frames(key, x0, sched, np.arange(24), keep=1, **kw)
    keys, k = jax.random.split(key, 23), 5
    betas = np.asarray(sched.betas)
    x, energies, frames = x0, [], []
    for start in range(0, 23, k):  # 23 = 4 chunks of 5 and one of 3 (padded, its tail dropped)
        n = min(k, 23 - start)
        pad = k - n
        kk = jnp.concatenate([keys[start:start + n], keys[:pad]])
        bb = jnp.asarray(np.concatenate([betas[start:start + n], np.zeros(pad)]))
        x_end, f, e, _ = forward_chunk(kk, x, bb, start, 23, 30.0, kw["guidance_energy"], gff, keep=1)
        energies.append(np.asarray(e)[:n])
        frames.append(np.asarray(f)[:n, 0])
        x = x_end if pad == 0 else x
    np.testing.assert_allclose(np.concatenate(energies), ref.energy[1:], rtol=2e-5, atol=1e-4)
    np.testing.assert_allclose(np.concatenate(frames), ref.frames[1:, 0], rtol=2e-5, atol=2e-5)
