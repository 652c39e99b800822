"""The Training page's compute: a shipped checkpoint's samples and scores, or a
small U-Net trained live through ``idf.training.train_and_evaluate`` (the
recipe ``idf train`` runs), its loss curve drawn from the trainer's callback.

``TrainingPageConfig`` holds the page's controls with their defaults; the
compute functions return typed results and the page writes every caption.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
import numpy as np
import streamlit as st

from idf.diffusion import make_schedule, sample
from idf.energy import GaussianFreeField
from idf.models import load_denoiser
from idf.models.unet import UNetConfig
from idf.training import Dataset, TrainConfig, validation_loss
from idf.training.evaluation import evaluate_gff, phi4_summary, variance_curve
from idf.training.recipe import DataSpec, TrainSpec, optimal_loss, train_and_evaluate
from idf.viz.traces import line_figure

LIVE_SIZE = 8  # the live model's lattice side
LIVE_GFF = (8192, 512)  # exact GFF fields drawn for live training, of which held out


@dataclasses.dataclass(frozen=True)
class TrainingPageConfig:
    """The page's controls and their defaults; the comments give each URL name."""

    mode: str = "shipped"  # [mode] "shipped": score a checkpoint in assets/; "live": train one here
    seed: int = 0  # [seed]
    n: int = 1024  # [n] samples of the shipped checkpoint
    steps: int = 50  # [steps] its DDIM steps (η = 0)
    train_steps: int = 300  # [tsteps] live: optimizer steps
    batch: int = 64  # [batch]
    lr: float = 2e-3  # [lr] peak learning rate
    width: int = 8  # [width] U-Net base channels
    source: str = "gff"  # [tdata] "gff": exact samples; "upload": fields [N, 8, 8]
    mass2: float = 1.0  # [m2] GFF m²
    loss: str = "eps_mse"  # [loss] "eps_mse" or "hybrid"
    eval_n: int = 256  # [evaln] samples scored after training


DEFAULTS = TrainingPageConfig()


class GFFScores(NamedTuple):
    """Fourier KL (nats) and W₂² of the model's and the exact denoiser's samples
    (same noise, same steps), the estimator bias (``fourier_kl_bias``, ≈
    (N + n_self)/(4n)), the exact loop's KL without sampling error, what the
    exact samples' KL̂ should be (loop KL + bias) with its sd, and the model's
    distance from that in sd (``matches_exact_loop`` allows 4)."""

    kl_model: float
    kl_exact: float
    kl_bias: float
    frechet_model: float
    frechet_exact: float
    kl_exact_loop: float
    kl_exact_expected: float
    kl_exact_sd: float
    kl_model_z: float

    @classmethod
    def from_evaluation(cls, res: dict[str, Any]) -> GFFScores:
        return cls(*(float(res[name]) for name in cls._fields))


class CheckpointRun(NamedTuple):
    """A shipped checkpoint's samples [n, L, L]: for a GFF, ``scores`` and the
    exact denoiser's samples ``exact``; for φ⁴, ``observables`` (``phi4_summary``:
    abs_m, chi2, binder, p_positive, each with ``_error``)."""

    kind: str
    samples: np.ndarray
    exact: np.ndarray | None = None
    scores: GFFScores | None = None
    observables: dict[str, float] | None = None


class UploadScores(NamedTuple):
    """Live training on uploaded fields: the split, the batch, the held-out
    ε-MSE and the (model samples, data) site mean and variance."""

    num_train: int
    num_valid: int
    batch: int
    valid_loss: float
    mean: tuple[float, float]
    var: tuple[float, float]


class LiveRun(NamedTuple):
    """A live run: the loss ``curve`` (steps, losses), ``diverged`` (None or the
    message), the model's ``samples`` [n, 8, 8], and either GFF ``scores`` with
    the Bayes-optimal loss ``best`` (and, for the hybrid loss, ``ddpm25`` =
    (model, exact) KLs of 25 DDPM steps and the ``variance`` curve of
    ``variance_curve``), or ``upload`` scores for uploaded fields."""

    curve: tuple[list[int], list[float]]
    diverged: str | None
    samples: np.ndarray
    num_samples: int
    loss: str
    best: float | None = None
    scores: GFFScores | None = None
    ddpm25: tuple[float, float] | None = None
    variance: dict[str, np.ndarray] | None = None
    upload: UploadScores | None = None


@st.cache_resource(max_entries=4, show_spinner="Loading checkpoint …")
def _load(path: str):
    return load_denoiser(path)


@st.cache_data(max_entries=16, show_spinner="Sampling with the U-Net …")
def checkpoint_run(path: str, n: int, steps: int, seed: int) -> CheckpointRun:
    """Samples of a checkpoint and their scores: GFF against the exact denoiser
    (same noise, same steps); φ⁴ magnetisation observables."""
    denoiser, info = _load(path)
    data, schedule = info["data"], make_schedule(**info["schedule"])
    size, key = int(data["size"]), jax.random.key(seed)
    if data["target"] == "gff":
        target = GaussianFreeField(mass2=float(data["mass2"]), kT=float(data["kT"]))
        res = evaluate_gff(key, denoiser, schedule, target, size, n, inference_steps=steps, keep_samples=True)
        return CheckpointRun("gff", res["samples_model"], res["samples_exact"], GFFScores.from_evaluation(res))
    samples = np.asarray(sample(key, denoiser, schedule, (size, size), n, inference_steps=steps).samples)
    return CheckpointRun("phi4", samples, observables=phi4_summary(samples))


def live_spec(cfg: TrainingPageConfig, num_fields: int | None = None) -> TrainSpec:
    """The recipe's spec for a live run: 8×8 exact GFF fields, or ``num_fields``
    uploaded ones with 1/16 held out; a small two-level U-Net; no evaluation
    while training (the page scores the result once)."""
    if num_fields is None:
        data = DataSpec(target="gff", size=LIVE_SIZE, num_samples=sum(LIVE_GFF), num_valid=LIVE_GFF[1],
                        mass2=cfg.mass2)
    else:
        data = DataSpec(target="fields", size=LIVE_SIZE, num_samples=num_fields,
                        num_valid=max(num_fields // 16, 1))
    loop = TrainConfig(steps=cfg.train_steps, batch_size=min(cfg.batch, data.num_samples - data.num_valid),
                       learning_rate=cfg.lr, warmup=min(100, cfg.train_steps // 10), eval_every=0,
                       log_every=max(cfg.train_steps // 40, 1))
    model = UNetConfig(base_channels=cfg.width, channel_mults=(1, 2), time_dim=32)
    return TrainSpec(data=data, model=model, train=loop, loss=cfg.loss, eval_samples=0, seed=cfg.seed)


def _progress(best: float | None):
    """A callback that draws the progress bar and the loss curve as it grows."""
    bar, chart = st.progress(0.0, text="compiling train_step …"), st.empty()
    steps: list[int] = []
    losses: list[float] = []

    def callback(p) -> None:
        steps.append(p.step)
        losses.append(p.loss)
        bar.progress(p.step / p.total, text=f"step {p.step}/{p.total} · loss {p.loss:.4f} · "
                                            f"{p.samples_per_s:.0f} samples/s")
        chart.plotly_chart(line_figure(np.array(steps), {"training ε-MSE": np.array(losses)},
                                       x_title="step", y_title="ε-MSE",
                                       hlines={"Bayes-optimal": best} if best is not None else None),
                           width="stretch")

    return callback, (steps, losses)


def live_training(cfg: TrainingPageConfig, fields: np.ndarray | None = None) -> LiveRun:
    """Train a U-Net on 8×8 GFF samples (or on ``fields`` [N, 8, 8], an upload)
    with the recipe, drawing progress, then score it: against the exact GFF,
    or, for uploads (no exact target), by the held-out ε-MSE and the samples'
    moments beside the data's."""
    spec = live_spec(cfg, None if fields is None else len(fields))
    uploaded = None
    if fields is not None:
        uploaded = Dataset(np.asarray(fields, np.float32), {"target": "upload", "size": LIVE_SIZE})
    schedule = make_schedule(**spec.schedule.to_dict())
    best = optimal_loss(spec.data, schedule) if fields is None else None  # an upload has no exact target
    callback, curve = _progress(best)
    result = train_and_evaluate(spec, fields=uploaded, callback=callback)
    key_eval, den, n = result.key_eval, result.denoiser(), cfg.eval_n
    common = dict(curve=curve, diverged=result.history.diverged, num_samples=n, loss=cfg.loss)
    if fields is not None:
        samples = np.asarray(sample(key_eval, den, schedule, (8, 8), n, inference_steps=50).samples, np.float64)
        x = np.asarray(fields, np.float64)
        upload = UploadScores(len(result.train_set), len(result.valid_set), spec.train.batch_size,
                              validation_loss(result.state, result.valid_set, key_eval),
                              (float(samples.mean()), float(x.mean())), (float(samples.var()), float(x.var())))
        return LiveRun(samples=samples, upload=upload, **common)
    target = GaussianFreeField(mass2=cfg.mass2)
    res = evaluate_gff(key_eval, den, schedule, target, 8, n, keep_samples=True)
    run = LiveRun(samples=res["samples_model"], best=best, scores=GFFScores.from_evaluation(res), **common)
    if cfg.loss == "hybrid":  # where a learned variance matters: strided DDPM
        power = np.asarray(target.covariance_spectrum((8, 8)), np.float64)
        variance = variance_curve(key_eval, den, schedule, result.valid_set.fields[:256], power)
        ddpm = evaluate_gff(key_eval, den, schedule, target, 8, n, inference_steps=25, method="ddpm")
        run = run._replace(variance=variance, ddpm25=(ddpm["kl_model"], ddpm["kl_exact"]))
    return run
