"""The training loop: batches → ``train_step``, with a progress bar, a callback
hook (the app draws its loss curve from it), periodic evaluation,
checkpointing and resume.

Randomness: the step-k update uses ``fold_in(key_steps, k)`` and the loader
replays its epochs from ``key_data``, so a run resumed from a checkpoint at
step k continues exactly as the uninterrupted run would have.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from idf.io.checkpoint import (
    CheckpointError,
    read_checkpoint,
    save_checkpoint,
    split_groups,
    unflatten_named,
)
from idf.parallel import batch_sharding, replicate, shard_batch
from idf.training.data import Dataset, batches
from idf.training.train_step import TrainState, eval_loss, train_step


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """The loop's settings; the ``*_every`` counts are in steps, 0 turns that off."""

    steps: int = 2000  # optimizer steps in total
    batch_size: int = 128
    learning_rate: float = 2e-3  # peak, after the warm-up
    warmup: int = 100  # linear warm-up steps
    ema_decay: float = 0.999
    eval_every: int = 500
    checkpoint_every: int = 0
    log_every: int = 50
    z2_flip: bool = False  # random global signs in the loader (Z₂-symmetric targets only)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Progress(NamedTuple):
    """What the callback receives after every ``log_every`` steps and evaluations.

    step, total     steps done / planned
    loss            mean training ε-MSE since the last report
    samples_per_s   training throughput since the last report (compile excluded after the first)
    evaluation      the latest evaluation dict ({} before the first)
    elapsed         wall seconds since the loop started
    """

    step: int
    total: int
    loss: float
    samples_per_s: float
    evaluation: dict[str, float]
    elapsed: float


class History(NamedTuple):
    """steps [k], loss [k] (means between reports), evaluations: list of dicts
    with ``step``; diverged: None, or a message naming the first step whose loss
    or gradient was not finite (training stopped there and kept the last good state)."""

    steps: list[int]
    loss: list[float]
    evaluations: list[dict[str, float]]
    diverged: str | None = None


MAX_CHUNK_BYTES = 64 * 2**20  # the batches of one scanned chunk, on the device at once


@jax.jit
def train_chunk(state: TrainState, batch_stack: jax.Array, keys: jax.Array) -> tuple[TrainState, dict[str, jax.Array]]:
    """``train_step`` over K batches [K, B, H, W] with K keys, in one ``lax.scan``.

    Returns (state after K steps, {"loss": [K], "grad_norm": [K]}). One dispatch
    per chunk instead of per step: on a GPU a small U-Net's step is shorter
    than the Python round trip.
    """

    def body(st, xs):
        st, metrics = train_step(st, *xs)
        return st, {"loss": metrics["loss"], "grad_norm": metrics["grad_norm"]}

    return jax.lax.scan(body, state, (batch_stack, keys))


def run_steps(state: TrainState, batch_stack: jax.Array, keys: jax.Array) -> tuple[TrainState, dict[str, jax.Array]]:
    """K training steps: ``train_chunk`` on accelerators; on the CPU one jitted
    ``train_step`` per batch, because XLA:CPU runs the U-Net's convolutions
    inside a loop body several times slower than at top level (measured 8× at
    8×8, ``bench/bench_training.py``). Both give the same states."""
    if jax.default_backend() != "cpu":
        return train_chunk(state, batch_stack, keys)
    losses, norms = [], []
    for batch, key in zip(batch_stack, keys, strict=True):
        state, metrics = train_step(state, batch, key)
        losses.append(metrics["loss"])
        norms.append(metrics["grad_norm"])
    return state, {"loss": jnp.stack(losses), "grad_norm": jnp.stack(norms)}


def step_keys(key_steps: jax.Array, start: int, stop: int) -> jax.Array:
    """The per-step keys fold_in(key_steps, k) for k in [start, stop)."""
    return jax.vmap(lambda k: jax.random.fold_in(key_steps, k))(jnp.arange(start, stop))


def validation_loss(state: TrainState, valid: Dataset, key: jax.Array, batch_size: int = 512) -> float:
    """Mean EMA ε-MSE over ``valid`` with fixed keys (comparable between steps)."""
    losses = []
    for i in range(0, len(valid) - batch_size + 1, batch_size):
        chunk = jnp.asarray(valid.fields[i : i + batch_size])
        losses.append(float(eval_loss(state, chunk, jax.random.fold_in(key, i))))
    if not losses:
        losses.append(float(eval_loss(state, jnp.asarray(valid.fields), key)))
    return float(np.mean(losses))


def restore(path: str, template: TrainState) -> tuple[TrainState, dict[str, Any]]:
    """Fill ``template`` (same architecture and optimizer) from a resumable checkpoint.

    Returns (state at the saved step, meta). Raises CheckpointError when the file
    holds no optimizer state or does not fit the template.
    """
    arrays, meta = read_checkpoint(path)
    if not meta.get("has_optimizer"):
        raise CheckpointError(f"{path}: saved without optimizer state (slim), so it cannot be resumed")
    groups = split_groups(arrays)
    state = dataclasses.replace(
        template,
        step=jnp.asarray(int(meta["training"]["step"]), jnp.int32),
        params=unflatten_named(template.params, groups["train"], "training weights"),
        ema=unflatten_named(template.ema, groups["params"], "EMA weights"),
        opt_state=unflatten_named(template.opt_state, groups["opt"], "optimizer state"),
    )
    return state, meta


def chunk_limit(batch_size: int, field_shape: tuple[int, ...]) -> int:
    """The most steps one chunk runs: its batches [K, B, H, W] (float32) fit in
    ``MAX_CHUNK_BYTES``, and K ≤ 1000."""
    batch_bytes = batch_size * int(np.prod(field_shape)) * 4
    return max(1, min(1000, MAX_CHUNK_BYTES // batch_bytes))


def chunk_end(step: int, config: TrainConfig, max_chunk: int) -> int:
    """Where the chunk starting at ``step`` stops: at the next report,
    evaluation, checkpoint, the end, or after ``max_chunk`` steps."""
    stop_at = min(config.steps, step + max_chunk)
    for every in (config.log_every, config.eval_every, config.checkpoint_every):
        if every:
            stop_at = min(stop_at, (step // every + 1) * every)
    return stop_at


def due(done: int, every: int, total: int) -> bool:
    """True when something done ``every`` steps (0: never) falls at step ``done``;
    the last step always counts."""
    return bool(every) and (done % every == 0 or done == total)


def run_chunk(
    state: TrainState, batch_stack: jax.Array, keys: jax.Array
) -> tuple[TrainState, np.ndarray, int | None]:
    """K steps with the stopping check: (state, losses [K] float64, bad).

    ``bad`` is None when every loss and gradient norm is finite; otherwise the
    index of the first step that was not, and the state returned is the last
    good one (the finite steps of the chunk replayed from ``state``)."""
    new_state, metrics = run_steps(state, batch_stack, keys)
    losses = np.asarray(jax.device_get(metrics["loss"]), np.float64)
    ok = np.isfinite(losses) & np.isfinite(np.asarray(jax.device_get(metrics["grad_norm"])))
    if ok.all():
        return new_state, losses, None
    bad = int(np.argmin(ok))
    if bad:
        new_state, _ = run_steps(state, batch_stack[:bad], keys[:bad])
    else:
        new_state = state
    return new_state, losses, bad


def divergence_message(step: int, loss: float, learning_rate: float) -> str:
    """What ``History.diverged`` says when step ``step`` (1-based) was not finite."""
    return (
        f"the loss or its gradient became non-finite at step {step} "
        f"(loss {loss:.4g}); training stopped and kept the state after step {step - 1}. "
        f"Likely cause: a learning rate too high for this model (now {learning_rate:g}) or "
        "non-finite training data; lower the learning rate or check the data"
    )


def evaluation(
    state: TrainState,
    step: int,
    valid: Dataset | None,
    key_valid: jax.Array,
    evaluate: Callable[[TrainState], dict[str, float]] | None,
) -> dict[str, float]:
    """{"step", "valid_loss" (with ``valid``), and whatever ``evaluate`` returns}."""
    result: dict[str, float] = {"step": step}
    if valid is not None:
        result["valid_loss"] = validation_loss(state, valid, key_valid)
    if evaluate is not None:
        result.update(evaluate(state))
    return result


def save_training(
    path: str, state: TrainState, meta: dict[str, Any] | None, config: TrainConfig, **record: Any
) -> None:
    """A resumable checkpoint of ``state``: ``meta``'s training section updated
    with ``record`` (step, loss, wall_seconds, evaluation) and the config."""
    full = dict(meta or {})
    full["training"] = dict(full.get("training", {}), **record, train_config=config.to_dict())
    save_checkpoint(path, state.ema, full, train_params=state.params, opt_state=state.opt_state)


class _Window:
    """Losses since the last report, and when that window began (for the throughput)."""

    def __init__(self) -> None:
        self.losses: list[float] = []
        self.started = time.perf_counter()

    def close(self, batch_size: int) -> tuple[float, float]:
        """(mean loss, samples per second) of the window, and open a new one."""
        mean = float(np.mean(self.losses))
        rate = len(self.losses) * batch_size / max(time.perf_counter() - self.started, 1e-9)
        self.losses, self.started = [], time.perf_counter()
        return mean, rate


def train(
    key: jax.Array,
    state: TrainState,
    data: Dataset,
    config: TrainConfig,
    *,
    valid: Dataset | None = None,
    evaluate: Callable[[TrainState], dict[str, float]] | None = None,
    callback: Callable[[Progress], bool | None] | None = None,
    checkpoint_path: str | None = None,
    meta: dict[str, Any] | None = None,
    progress_bar: bool = True,
) -> tuple[TrainState, History]:
    """Run ``train_step`` until ``state.step == config.steps``.

    key              split into key_data (batch order, signs), key_steps (per-step
                     noise and timesteps) and key_valid (fixed validation noise)
    state            a fresh ``init_train_state`` or one from ``restore`` (it
                     continues from its step)
    valid            held-out fields for the validation ε-MSE at each evaluation
    evaluate         extra evaluation state → {name: float} (e.g. Fourier KL)
    callback         called with a ``Progress``; returning False stops early
    checkpoint_path  written every ``checkpoint_every`` steps and at the end,
                     resumable (with optimizer state); ``meta`` (model, schedule,
                     data, training sections) goes into it, updated with the step,
                     loss and wall time
    Returns (final state, history).

    The loop runs chunks of steps (``chunk_end``, ``run_chunk``), reports after
    each, evaluates and saves when ``due``, and stops at a non-finite step or
    when the callback says so.
    """
    key_data, key_steps, key_valid = jax.random.split(key, 3)
    start_step = int(state.step)
    loader = itertools.islice(batches(key_data, data, config.batch_size, z2_flip=config.z2_flip), start_step, None)
    history = History([], [], [])
    latest_eval: dict[str, float] = {}
    t0 = time.perf_counter()
    bar = None
    if progress_bar:
        from tqdm.auto import tqdm  # noqa: PLC0415 - only for interactive runs

        bar = tqdm(total=config.steps, initial=start_step, desc="train", unit="step")
    window = _Window()

    def save(step: int, loss: float) -> None:
        if checkpoint_path is not None:
            save_training(checkpoint_path, state, meta, config, step=step, loss=loss,
                          wall_seconds=time.perf_counter() - t0, evaluation=latest_eval)

    stop, last_loss, diverged = False, math.nan, None
    # Data parallelism: weights on every device, each batch split over them
    # (jit's partitioner inserts the gradient all-reduce); a no-op on one device.
    sharded = batch_sharding(config.batch_size) is not None
    if sharded:
        state = replicate(state)
    max_chunk = chunk_limit(config.batch_size, data.shape)
    step = start_step
    while step < config.steps and not stop:
        stop_at = chunk_end(step, config, max_chunk)
        stack = jnp.asarray(np.stack([next(loader) for _ in range(stop_at - step)]))
        stack = shard_batch(stack, axis=1) if sharded else stack
        state, losses, bad = run_chunk(state, stack, step_keys(key_steps, step, stop_at))
        if bad is not None:
            diverged = divergence_message(step + bad + 1, losses[bad], config.learning_rate)
            losses, stop = losses[:bad], True
        window.losses.extend(losses.tolist())
        done = step + len(losses)
        if bar is not None:
            bar.update(len(losses))
        evaluate_now = due(done, config.eval_every, config.steps)
        if (due(done, config.log_every, config.steps) or evaluate_now or stop) and window.losses:
            last_loss, rate = window.close(config.batch_size)
            history.steps.append(done)
            history.loss.append(last_loss)
            if evaluate_now and not stop:
                latest_eval = evaluation(state, done, valid, key_valid, evaluate)
                history.evaluations.append(latest_eval)
            if bar is not None:
                bar.set_postfix(
                    loss=f"{last_loss:.4f}", **{k: f"{v:.4g}" for k, v in latest_eval.items() if k != "step"}
                )
            if callback is not None:
                info = Progress(done, config.steps, last_loss, rate, dict(latest_eval), time.perf_counter() - t0)
                stop = callback(info) is False or stop
        if config.checkpoint_every and done % config.checkpoint_every == 0:
            save(done, last_loss)
        step = done
    if bar is not None:
        bar.close()
    if window.losses:
        last_loss = float(np.mean(window.losses))
    save(int(state.step), last_loss)
    return state, history._replace(diverged=diverged)
