"""Diffusion: schedules and timesteps, forward noising, reverse steps, denoisers, the loop,
conditioning and coarse-to-fine generation.

    options       the choices as StrEnums (Solver, Spacing, GuidanceForm, ScheduleName, ...)
    schedules     make_schedule; inference_timesteps, timesteps_for, step_table
    forward       q_sample, forward_trajectory, forward_frames (T as a traced count), forward_chunk (live)
    reverse       one step in paper notation (ddim_step, ddpm_step, guide_eps, ...)
    denoisers     the Denoiser protocol; exact Gaussian and energy-only denoisers
    sample        the reverse loop: sample(..., guidance=Guidance, inpaint=Inpaint, start=Start)
    conditioning  exact conditional denoisers (known modes, known sites) and loop moments
    multiscale    coarse-to-fine generation and its exact spectra (a subpackage)
"""

from idf.diffusion.chunks import reverse_chunk
from idf.diffusion.denoisers import (
    Denoiser,
    EnergyDenoiser,
    ExactGaussianDenoiser,
    VarianceDenoiser,
    apply_batched,
)
from idf.diffusion.forward import (
    ForwardFrames,
    ForwardResult,
    forward_chunk,
    forward_frames,
    forward_trajectory,
    q_sample,
)
from idf.diffusion.options import GuidanceForm, Refinement, ScheduleName, Solver, Spacing, Upsampling
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
from idf.diffusion.sample import (
    GUIDANCE_FORMS,
    SOLVERS,
    Guidance,
    Inpaint,
    ReverseResult,
    SamplePlan,
    Start,
    divergence_report,
    plan_sample,
    sample,
)
from idf.diffusion.schedules import (
    SCHEDULES,
    SPACINGS,
    Schedule,
    inference_timesteps,
    make_schedule,
    step_table,
    timesteps_for,
)

__all__ = [
    "GUIDANCE_FORMS",
    "SCHEDULES",
    "SOLVERS",
    "SPACINGS",
    "Denoiser",
    "EnergyDenoiser",
    "ExactGaussianDenoiser",
    "ForwardFrames",
    "ForwardResult",
    "Guidance",
    "GuidanceForm",
    "Inpaint",
    "Refinement",
    "ReverseResult",
    "Schedule",
    "ScheduleName",
    "Solver",
    "Spacing",
    "Start",
    "Upsampling",
    "VarianceDenoiser",
    "apply_batched",
    "conserve_norm",
    "ddim_sigma",
    "ddim_step",
    "ddpm_posterior",
    "ddpm_step",
    "divergence_report",
    "eps_from_x0",
    "forward_chunk",
    "forward_frames",
    "forward_trajectory",
    "guide_eps",
    "inference_timesteps",
    "make_schedule",
    "predict_x0",
    "q_sample",
    "sample",
    "plan_sample",
    "SamplePlan",
    "reverse_chunk",
    "step_table",
    "timesteps_for",
]
