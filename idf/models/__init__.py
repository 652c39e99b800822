"""Neural networks for lattice-field diffusion (Flax NNX) and their adapters
to the denoiser protocol of ``idf.diffusion``."""

from idf.models.denoiser import EnergyNetDenoiser, UNetDenoiser
from idf.models.energy_net import EnergyNet, EnergyNetConfig
from idf.models.loading import load_denoiser, shipped_checkpoints
from idf.models.unet import UNet, UNetConfig, count_params, init_unet, timestep_embedding

__all__ = [
    "EnergyNet",
    "EnergyNetConfig",
    "EnergyNetDenoiser",
    "UNet",
    "UNetConfig",
    "UNetDenoiser",
    "count_params",
    "init_unet",
    "load_denoiser",
    "shipped_checkpoints",
    "timestep_embedding",
]
