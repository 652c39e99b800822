"""Training diffusion models on lattice fields: data, losses, the jitted
``train_step``, the training loop, and the recipe ``train_and_evaluate`` that
``idf train`` and the Training page share. Checkpoints are ``idf.io``'s."""

from idf.training.data import Dataset, batches, gff_dataset, phi4_dataset, random_sign_flip
from idf.training.losses import eps_mse, gaussian_nll, hybrid_loss, normal_kl, vlb_terms
from idf.training.recipe import DataSpec, ScheduleSpec, TrainResult, TrainSpec, train_and_evaluate
from idf.training.train_step import (
    LOSSES,
    TrainState,
    eval_loss,
    init_train_state,
    make_optimizer,
    train_step,
)
from idf.training.trainer import History, Progress, TrainConfig, restore, train, validation_loss

__all__ = [
    "LOSSES",
    "DataSpec",
    "Dataset",
    "History",
    "Progress",
    "ScheduleSpec",
    "TrainConfig",
    "TrainResult",
    "TrainSpec",
    "TrainState",
    "batches",
    "eps_mse",
    "eval_loss",
    "gaussian_nll",
    "gff_dataset",
    "hybrid_loss",
    "init_train_state",
    "make_optimizer",
    "normal_kl",
    "phi4_dataset",
    "random_sign_flip",
    "restore",
    "train",
    "train_and_evaluate",
    "train_step",
    "validation_loss",
    "vlb_terms",
]
