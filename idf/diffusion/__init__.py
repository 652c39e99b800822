"""Diffusion: schedules, forward noising, reverse steps, denoisers, the loop."""

from idf.diffusion.denoisers import EnergyDenoiser, ExactGaussianDenoiser, apply_batched
from idf.diffusion.forward import ForwardResult, forward_trajectory, q_sample
from idf.diffusion.reverse import (
    conserve_norm,
    ddim_sigma,
    ddim_step,
    ddpm_posterior,
    ddpm_step,
    eps_from_x0,
    guide_eps,
    predict_x0,
)
from idf.diffusion.sample import GUIDANCE_FORMS, METHODS, ReverseResult, divergence_report, sample
from idf.diffusion.schedules import (
    SCHEDULES,
    SPACINGS,
    Schedule,
    inference_timesteps,
    make_schedule,
    step_table,
)

__all__ = [
    "GUIDANCE_FORMS",
    "METHODS",
    "SCHEDULES",
    "SPACINGS",
    "EnergyDenoiser",
    "ExactGaussianDenoiser",
    "ForwardResult",
    "ReverseResult",
    "Schedule",
    "apply_batched",
    "conserve_norm",
    "ddim_sigma",
    "divergence_report",
    "ddim_step",
    "ddpm_posterior",
    "ddpm_step",
    "eps_from_x0",
    "forward_trajectory",
    "guide_eps",
    "inference_timesteps",
    "make_schedule",
    "predict_x0",
    "q_sample",
    "sample",
    "step_table",
]
