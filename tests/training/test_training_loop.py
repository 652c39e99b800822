"""Data, losses, ``train_step`` and the loop: tiny runs on exact GFF samples.

One architecture, one optimizer object and one batch shape throughout, so
``train_step`` compiles once for the whole module."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from idf.diffusion import ExactGaussianDenoiser, make_schedule, q_sample
from idf.energy import GaussianFreeField
from idf.models import UNetConfig
from idf.training import (
    Dataset,
    Progress,
    TrainConfig,
    batches,
    gff_dataset,
    init_train_state,
    make_optimizer,
    random_sign_flip,
    restore,
    train,
    train_step,
    validation_loss,
)
from idf.training.evaluation import optimal_eps_mse

CONFIG = UNetConfig(base_channels=8, channel_mults=(1, 2), time_dim=16, groups=4)
SCHEDULE = make_schedule("linear", 200)
TX = make_optimizer(3e-3, 60, warmup=5)
BATCH = 32


@pytest.fixture(scope="module")
def data():
    return gff_dataset(jax.random.key(0), 8, 1024).split(256)


def fresh_state():
    return init_train_state(jax.random.key(1), CONFIG, SCHEDULE, TX)


def test_batches_cover_each_epoch_and_flip_signs():
    ds = Dataset(np.arange(12, dtype=np.float32).reshape(12, 1, 1) + 1.0, {})
    it = batches(jax.random.key(0), ds, 4)
    epoch = np.concatenate([next(it) for _ in range(3)]).ravel()
    assert sorted(epoch) == list(range(1, 13))
    flipped = np.concatenate([next(batches(jax.random.key(1), ds, 12, z2_flip=True))]).ravel()
    assert sorted(np.abs(flipped)) == list(range(1, 13)) and (flipped < 0).any() and (flipped > 0).any()
    x = jax.random.normal(jax.random.key(2), (64, 4, 4))
    y = random_sign_flip(jax.random.key(3), x)
    np.testing.assert_array_equal(np.abs(x), np.abs(y))
    with pytest.raises(ValueError, match="batch size"):
        next(batches(jax.random.key(0), ds, 13))


def test_optimal_loss_equals_the_exact_denoisers_loss():
    # Monte Carlo ε-MSE of the exact denoiser vs the closed form; 4 standard errors.
    g = GaussianFreeField(1.0)
    x0 = g.sample_exact(jax.random.key(0), (8, 8), 4096)
    k_t, k_n = jax.random.split(jax.random.key(1))
    t = jax.random.randint(k_t, (4096,), 0, SCHEDULE.num_steps)
    ab = jnp.asarray(SCHEDULE.alpha_bars, jnp.float32)[t]
    noise = jax.random.normal(k_n, x0.shape)
    x_t = q_sample(x0, ab[:, None, None], noise)
    eps = jax.vmap(lambda x, a: ExactGaussianDenoiser(g)(x, 0, a))(x_t, ab)
    per = np.asarray(jnp.mean((eps - noise) ** 2, axis=(1, 2)))
    best = optimal_eps_mse(np.asarray(g.covariance_spectrum((8, 8))), SCHEDULE.alpha_bars)
    assert abs(per.mean() - best) < 4 * per.std() / np.sqrt(len(per))


def test_train_step_is_pure(data):
    train_set, _ = data
    state = fresh_state()
    batch = jnp.asarray(train_set.fields[:BATCH])
    a, ma = train_step(state, batch, jax.random.key(5))
    b, mb = train_step(state, batch, jax.random.key(5))
    assert float(ma["loss"]) == float(mb["loss"]) and int(a.step) == 1
    for x, y in zip(jax.tree_util.tree_leaves(a.params), jax.tree_util.tree_leaves(b.params), strict=True):
        np.testing.assert_array_equal(x, y)


def test_short_training_lowers_the_loss_and_resumes_exactly(data, tmp_path):
    train_set, valid = data
    config = TrainConfig(steps=60, batch_size=BATCH, learning_rate=3e-3, warmup=5, eval_every=30, log_every=10)
    state0 = fresh_state()
    before = validation_loss(state0, valid, jax.random.key(9), batch_size=256)
    seen = []
    state, history = train(jax.random.key(2), state0, train_set, config, valid=valid,
                           callback=seen.append, progress_bar=False)
    after = validation_loss(state, valid, jax.random.key(9), batch_size=256)
    assert int(state.step) == 60 and after < 0.9 * before, (before, after)
    assert [p.step for p in seen] == [10, 20, 30, 40, 50, 60] and isinstance(seen[0], Progress)
    assert [e["step"] for e in history.evaluations] == [30, 60] and seen[-1].evaluation["step"] == 60

    # Stop at 30 via the callback, save, resume: identical to the uninterrupted run.
    path = str(tmp_path / "ckpt.npz")
    meta = {"model": CONFIG.to_dict(), "schedule": {"name": "linear", "num_steps": 200},
            "data": train_set.description, "training": {}}
    half, _ = train(jax.random.key(2), fresh_state(), train_set, config, callback=lambda p: p.step < 30,
                    checkpoint_path=path, meta=meta, progress_bar=False)
    assert int(half.step) == 30
    resumed, meta_back = restore(path, fresh_state())
    assert int(resumed.step) == 30 and meta_back["training"]["step"] == 30
    full, _ = train(jax.random.key(2), resumed, train_set, config, progress_bar=False)
    for x, y in zip(jax.tree_util.tree_leaves(full.params), jax.tree_util.tree_leaves(state.params), strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


def test_divergence_stops_at_the_first_bad_step_and_keeps_the_last_good_state(data):
    train_set, _ = data
    fields = train_set.fields.copy()
    fields[5] = np.nan  # one poisoned field: its batch gives a NaN loss
    poisoned = Dataset(fields, train_set.description)
    key = jax.random.key(7)
    key_data = jax.random.split(key, 3)[0]
    loader = batches(key_data, poisoned, BATCH)
    first_bad = next(i for i in range(100) if not np.isfinite(next(loader)).all()) + 1
    cfg = TrainConfig(steps=60, batch_size=BATCH, eval_every=0, log_every=10)
    state, history = train(key, fresh_state(), poisoned, cfg, progress_bar=False)
    assert history.diverged is not None and f"non-finite at step {first_bad} " in history.diverged
    assert "learning rate" in history.diverged
    assert int(state.step) == first_bad - 1
    for leaf in jax.tree_util.tree_leaves((state.params, state.ema)):
        assert np.isfinite(np.asarray(leaf)).all()
    assert history.steps[-1] == first_bad - 1 and all(np.isfinite(history.loss))


def test_the_scanned_chunk_equals_per_call_steps(data):
    # train_chunk (what accelerators run) and one train_step per call (what the CPU runs) on the same
    # batches and keys give the same state, to float32 rounding.
    from idf.training.trainer import step_keys, train_chunk

    train_set, _ = data
    stack = jnp.asarray(train_set.fields[: 3 * BATCH].reshape(3, BATCH, 8, 8))
    keys = step_keys(jax.random.key(5), 0, 3)
    scanned, metrics = train_chunk(fresh_state(), stack, keys)
    state = fresh_state()
    losses = []
    for i in range(3):
        state, m = train_step(state, stack[i], keys[i])
        losses.append(float(m["loss"]))
    np.testing.assert_allclose(np.asarray(metrics["loss"]), losses, rtol=1e-5)
    for a, b in zip(jax.tree_util.tree_leaves(scanned.params), jax.tree_util.tree_leaves(state.params), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6)
    assert int(scanned.step) == int(state.step) == 3
