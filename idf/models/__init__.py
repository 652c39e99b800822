"""Neural networks for lattice-field diffusion (Flax NNX) and their adapters
to the denoiser protocol of ``idf.diffusion``."""

from idf.models.denoiser import EnergyNetDenoiser, UNetDenoiser, denoiser_from_state, network_eps
from idf.models.energy_net import EnergyNet, EnergyNetConfig, init_energy_net
from idf.models.loading import (
    MODEL_KINDS,
    config_from_dict,
    init_model,
    load_denoiser,
    model_kind,
    shipped_checkpoints,
)
from idf.models.unet import (
    UNet,
    UNetConfig,
    count_params,
    init_unet,
    split_output,
    timestep_embedding,
    variance_fraction,
)

__all__ = [
    "MODEL_KINDS",
    "EnergyNet",
    "EnergyNetConfig",
    "EnergyNetDenoiser",
    "UNet",
    "UNetConfig",
    "UNetDenoiser",
    "config_from_dict",
    "count_params",
    "denoiser_from_state",
    "init_energy_net",
    "init_model",
    "init_unet",
    "load_denoiser",
    "model_kind",
    "network_eps",
    "shipped_checkpoints",
    "split_output",
    "timestep_embedding",
    "variance_fraction",
]
