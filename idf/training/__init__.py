"""Training diffusion models on lattice fields: data, losses, the jitted
``train_step``, the training loop; checkpoints are written by ``idf.io``
(re-exported here)."""

from idf.io.checkpoint import (
    FORMAT,
    VERSION,
    CheckpointError,
    flatten_named,
    read_checkpoint,
    save_checkpoint,
    unflatten_named,
)
from idf.training.data import Dataset, batches, gff_dataset, phi4_dataset, random_sign_flip
from idf.training.losses import eps_mse, gaussian_nll, hybrid_loss, normal_kl, vlb_terms
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
    "FORMAT",
    "LOSSES",
    "VERSION",
    "CheckpointError",
    "Dataset",
    "History",
    "Progress",
    "TrainConfig",
    "TrainState",
    "batches",
    "eps_mse",
    "eval_loss",
    "flatten_named",
    "gaussian_nll",
    "gff_dataset",
    "hybrid_loss",
    "init_train_state",
    "make_optimizer",
    "normal_kl",
    "phi4_dataset",
    "random_sign_flip",
    "read_checkpoint",
    "restore",
    "save_checkpoint",
    "train",
    "train_step",
    "unflatten_named",
    "validation_loss",
    "vlb_terms",
]
