"""Data-parallel training on 4 simulated CPU devices follows the one-device run."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import json, jax, numpy as np
    from idf.diffusion import make_schedule
    from idf.models import UNetConfig
    from idf.training import TrainConfig, gff_dataset, init_train_state, make_optimizer, train
    config = UNetConfig(base_channels=8, channel_mults=(1, 2), time_dim=16, groups=4)
    tx = make_optimizer(3e-3, 20, warmup=2)
    state = init_train_state(jax.random.key(1), config, make_schedule("linear", 200), tx)
    data = gff_dataset(jax.random.key(0), 8, 256)
    cfg = TrainConfig(steps=20, batch_size=32, learning_rate=3e-3, warmup=2, eval_every=0, log_every=5)
    state, history = train(jax.random.key(2), state, data, cfg, progress_bar=False)
    leaf = jax.tree_util.tree_leaves(state.params)[0]
    print(json.dumps({"devices": jax.device_count(), "loss": history.loss,
                      "spread": len(leaf.sharding.device_set)}))
    """
)


def _run(devices: int) -> dict:
    env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}", "JAX_PLATFORMS": "cpu",
           "PYTHONPATH": str(ROOT), "IDF_COMPILE_CACHE": "0"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_sharded_training_matches_one_device():
    one, four = _run(1), _run(4)
    assert one["devices"] == 1 and four["devices"] == 4 and four["spread"] == 4
    # Same batches, same noise (partitionable PRNG); only reduction order differs.
    np.testing.assert_allclose(four["loss"], one["loss"], rtol=2e-3)
