"""The training recipe, written once: data → σ_d → model → state → ``train``.

``train_and_evaluate(spec)`` is what ``idf train`` and the Training page run.
A ``TrainSpec`` (frozen) says what to train on (``DataSpec``), which network
(``model``, a ``UNetConfig`` or ``EnergyNetConfig``), which schedule, loss and
loop settings (``TrainConfig``) and the seed; the recipe

1. splits the seed's key into key_init, key_data, key_train, key_eval;
2. draws the data (exact GFF, HMC φ⁴) or shuffles given fields, and holds
   ``num_valid`` of them out;
3. sets σ_d (``data_std``) of a preconditioned U-Net from the training fields
   and ``learn_sigma`` from the loss;
4. builds the optimizer and the state, or restores a resumable checkpoint;
5. evaluates a GFF run against its exact answers while it trains (the
   Bayes-optimal ε-MSE, the Fourier KL of ``eval_samples`` DDIM samples);
6. runs ``idf.training.train`` and returns a typed ``TrainResult``.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import numpy as np

from idf.diffusion import make_schedule
from idf.diffusion.schedules import Schedule
from idf.energy import GaussianFreeField
from idf.io.checkpoint import read_checkpoint, save_checkpoint
from idf.models import (
    EnergyNetConfig,
    EnergyNetDenoiser,
    UNetConfig,
    UNetDenoiser,
    config_from_dict,
    denoiser_from_state,
    model_kind,
)
from idf.training.data import Dataset, gff_dataset, phi4_dataset
from idf.training.evaluation import evaluate_gff, optimal_eps_mse
from idf.training.train_step import TrainState, init_train_state, make_optimizer
from idf.training.trainer import History, Progress, TrainConfig, restore, train

TARGETS = ("gff", "phi4", "fields")


@dataclasses.dataclass(frozen=True)
class DataSpec:
    """What to train on; ``size`` and ``num_samples`` are ignored for "fields" (theirs)."""

    target: str = "gff"  # "gff" exact samples, "phi4" HMC + random signs, "fields" given as a Dataset
    size: int = 8  # lattice side L
    num_samples: int = 32768  # fields drawn
    num_valid: int = 1024  # fields held out for the validation ε-MSE
    mass2: float | None = None  # m²; None: 1 for "gff", −4 for "phi4"
    kT: float = 1.0  # GFF temperature
    coupling: float = 3.0  # φ⁴ λ
    hmc_chains: int = 64  # the φ⁴ chains: how many, burn-in, thinning, step size ε, leapfrog steps
    hmc_burn_in: int = 500
    hmc_thin: int = 5
    hmc_step_size: float = 0.1
    hmc_leapfrog: int = 10

    @property
    def m2(self) -> float:
        """m² with the target's default filled in."""
        if self.mass2 is not None:
            return self.mass2
        return -4.0 if self.target == "phi4" else 1.0


@dataclasses.dataclass(frozen=True)
class ScheduleSpec:
    """``make_schedule``'s arguments; ``to_dict()`` is what a checkpoint records."""

    name: str = "linear"
    num_steps: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class TrainSpec:
    """One training run. ``model.data_std`` and ``model.learn_sigma`` are set
    by the recipe (σ_d from the data when ``precondition``; the variance
    output when ``loss == "hybrid"``). ``eval_samples``: DDIM
    samples for the GFF KL at each evaluation (0: the Bayes-optimal loss only).
    ``resume``: a resumable checkpoint of the same model and schedule."""

    data: DataSpec = DataSpec()
    model: UNetConfig | EnergyNetConfig = UNetConfig(base_channels=16, time_dim=32)
    precondition: bool = True
    schedule: ScheduleSpec = ScheduleSpec()
    train: TrainConfig = TrainConfig()
    loss: str = "eps_mse"
    vlb_weight: float = 1e-3
    eval_samples: int = 1024
    seed: int = 0
    resume: str | None = None


class TrainResult(NamedTuple):
    """What a run leaves: the final ``state`` (sampling weights in ``state.ema``),
    its ``history``, the ``dataset`` (every field, before the split) with its
    ``train_set`` and ``valid_set``, the ``schedule`` it was trained with, the
    ``model`` config (σ_d filled in), the checkpoint ``meta``, the wall
    seconds spent drawing the data and training, and ``key_eval``, the key
    the evaluations used (for scoring the result the same way)."""

    state: TrainState
    history: History
    dataset: Dataset
    train_set: Dataset
    valid_set: Dataset
    schedule: Schedule
    model: UNetConfig | EnergyNetConfig
    meta: dict[str, Any]
    data_seconds: float
    train_seconds: float
    key_eval: jax.Array

    def denoiser(self) -> UNetDenoiser | EnergyNetDenoiser:
        """The trained network (EMA weights) as a denoiser for ``idf.diffusion.sample``."""
        return denoiser_from_state(self.state.graphdef, self.state.ema)


def data_std(fields: np.ndarray) -> float:
    """σ_d = √⟨x²⟩ over every site of ``fields`` [n, H, W], about zero: every
    target here has zero mean (GFF; φ⁴ after the Z₂ flips)."""
    return float(np.sqrt(np.mean(np.asarray(fields, np.float64) ** 2)))


def make_dataset(key: jax.Array, spec: DataSpec, fields: Dataset | None = None) -> Dataset:
    """The fields ``spec`` describes, or ``fields`` shuffled with ``key``."""
    if spec.target == "fields":
        if fields is None:
            raise ValueError('data target "fields" needs the fields (a Dataset)')
        return fields.shuffled(key)
    if spec.target == "gff":
        GaussianFreeField(mass2=spec.m2, kT=spec.kT).check_normalizable((spec.size, spec.size))
        return gff_dataset(key, spec.size, spec.num_samples, spec.m2, spec.kT)
    if spec.target == "phi4":
        return phi4_dataset(key, spec.size, spec.num_samples, spec.m2, spec.coupling, chains=spec.hmc_chains,
                            burn_in=spec.hmc_burn_in, thin=spec.hmc_thin, step_size=spec.hmc_step_size,
                            leapfrog=spec.hmc_leapfrog)
    raise ValueError(f"unknown data target {spec.target!r}: choose one of {', '.join(TARGETS)}")


def model_config(spec: TrainSpec, train_set: Dataset) -> UNetConfig | EnergyNetConfig:
    """``spec.model`` with σ_d from ``train_set`` (0 without ``precondition``)
    and the variance output the loss needs (U-Net only)."""
    if isinstance(spec.model, EnergyNetConfig):
        return spec.model
    sigma = data_std(train_set.fields) if spec.precondition else 0.0
    return dataclasses.replace(spec.model, data_std=sigma, learn_sigma=spec.loss == "hybrid")


def optimal_loss(spec: DataSpec, schedule: Schedule) -> float:
    """The Bayes-optimal ε-MSE on the GFF ``spec`` describes (``optimal_eps_mse``)."""
    target = GaussianFreeField(mass2=spec.m2, kT=spec.kT)
    power = np.asarray(target.covariance_spectrum((spec.size, spec.size)), np.float64)
    return optimal_eps_mse(power, schedule.alpha_bars)


def gff_evaluator(spec: TrainSpec, schedule: Schedule, key: jax.Array) -> Callable[[TrainState], dict[str, float]]:
    """state → {"optimal_loss", and with ``eval_samples`` "kl_model", "kl_exact"}
    for a GFF run: the Bayes-optimal ε-MSE and the Fourier KL of DDIM samples."""
    size = spec.data.size
    target = GaussianFreeField(mass2=spec.data.m2, kT=spec.data.kT)
    best = optimal_loss(spec.data, schedule)

    def evaluate(state: TrainState) -> dict[str, float]:
        out = {"optimal_loss": best}
        if spec.eval_samples:
            den = denoiser_from_state(state.graphdef, state.ema)
            res = evaluate_gff(key, den, schedule, target, size, spec.eval_samples)
            out.update(kl_model=res["kl_model"], kl_exact=res["kl_exact"])
        return out

    return evaluate


def device_label() -> str:
    """The first JAX device, with the host's CPU count and architecture."""
    d = jax.devices()[0]
    return f"{d.platform}: {d.device_kind} ({os.cpu_count()} CPUs, {platform.machine()})"


def count_params_state(state: TrainState) -> int:
    """Trainable parameters (scalars) in ``state.params``."""
    return int(sum(np.size(v) for v in jax.tree_util.tree_leaves(state.params)))


def train_and_evaluate(
    spec: TrainSpec,
    *,
    fields: Dataset | None = None,
    callback: Callable[[Progress], bool | None] | None = None,
    checkpoint_path: str | None = None,
    record: dict[str, Any] | None = None,
    progress_bar: bool = False,
) -> TrainResult:
    """Train the run ``spec`` describes (see the module docstring for the steps).

    fields           the training fields when ``spec.data.target == "fields"``
    callback         ``train``'s: called with a ``Progress``; False stops early
    checkpoint_path  resumable checkpoints written there by ``train``
    record           extra entries for the checkpoint's training section (argv …)
    Raises ValueError (a ``CheckpointError`` among them) on a bad spec or resume.
    """
    key_init, key_data, key_train, key_eval = jax.random.split(jax.random.key(spec.seed), 4)
    start = time.perf_counter()
    dataset = make_dataset(key_data, spec.data, fields)
    data_seconds = time.perf_counter() - start
    train_set, valid_set = dataset.split(spec.data.num_valid)
    config = model_config(spec, train_set)
    schedule = make_schedule(**spec.schedule.to_dict())
    tx = make_optimizer(spec.train.learning_rate, spec.train.steps, spec.train.warmup)
    state = init_train_state(key_init, config, schedule, tx, spec.train.ema_decay, loss=spec.loss,
                             vlb_weight=spec.vlb_weight)
    if spec.resume:
        state, old = restore(spec.resume, state)
        kind = model_kind(config)
        try:
            same = old.get("model_kind", "unet") == kind and config_from_dict(kind, old["model"]) == config
        except (TypeError, ValueError):
            same = False
        if not same or old["schedule"] != spec.schedule.to_dict():  # same seed → same σ_d
            raise ValueError(f"{spec.resume}: model or schedule differs from these arguments")
    evaluate = gff_evaluator(spec, schedule, key_eval) if spec.data.target == "gff" else None
    meta = {
        "model_kind": model_kind(config),
        "model": config.to_dict(),
        "schedule": spec.schedule.to_dict(),
        "data": dataset.description,
        "training": {
            "objective": {"loss": spec.loss, "vlb_weight": spec.vlb_weight if spec.loss == "hybrid" else None},
            "seed": spec.seed,
            "device": device_label(),
            "jax": jax.__version__,
            "num_params": count_params_state(state),
            "data_seconds": data_seconds,
            "resumed_from": spec.resume,
            **(record or {}),
        },
    }
    t0 = time.perf_counter()
    state, history = train(key_train, state, train_set, spec.train, valid=valid_set, evaluate=evaluate,
                           callback=callback, checkpoint_path=checkpoint_path, meta=meta, progress_bar=progress_bar)
    seconds = time.perf_counter() - t0
    return TrainResult(state, history, dataset, train_set, valid_set, schedule, config, meta, data_seconds, seconds,
                       key_eval)


def write_checkpoint(path: str, result: TrainResult, *, slim: bool = False) -> int:
    """Rewrite the checkpoint ``train`` left at ``path`` with the run's wall
    time and loss history; ``slim`` drops the optimizer state (not resumable).
    Returns the file's size in bytes."""
    _, saved = read_checkpoint(path)
    saved["training"]["train_seconds"] = result.train_seconds
    saved["training"]["history"] = {"steps": result.history.steps, "loss": result.history.loss}
    for field in ("format", "version", "has_optimizer", "weights_sha256"):
        saved.pop(field)
    state = result.state
    if slim:
        return save_checkpoint(path, state.ema, saved)
    return save_checkpoint(path, state.ema, saved, train_params=state.params, opt_state=state.opt_state)
