"""Noise schedules as data: float64 NumPy arrays, every derived array computed
once. Conventions follow diffusers where they overlap, so results cross-check:

- ``linear``: β linearly spaced from beta_start to beta_end (diffusers ``linear``).
- ``cosine``: ᾱ(t) = cos²(((t/T + s)/(1 + s))·π/2), s = 0.008, and
  β_t = min(1 − ᾱ(t+1)/ᾱ(t), 0.999) (Nichol & Dhariwal 2021, eq. 17;
  diffusers ``squaredcos_cap_v2``).
- ``sqrt``: ᾱ(t) = 1 − √(t/T + s), s = 1e-4 (Li et al. 2022, Diffusion-LM),
  β from ratios of ᾱ as for cosine, capped at 0.999.

Index t = 0 … T−1 is the step that produces x_{t+1} from x_t in paper notation
(x₀ is the data); ``alpha_bars[t]`` is ᾱ after t + 1 noising steps.

Timesteps, all here: ``inference_timesteps`` (the strided sub-sequence),
``timesteps_for`` (the one a ``sample`` call visits, SDEdit's truncated range
included) and ``step_table`` (ᾱ_t and ᾱ_prev along it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from idf.diffusion.options import ScheduleName, Spacing, choose, values

SCHEDULES = values(ScheduleName)
SPACINGS = values(Spacing)
MAX_BETA = 0.999


@dataclasses.dataclass(frozen=True)
class Schedule:
    """A noise schedule: betas [T] and the arrays derived from them (float64)."""

    name: str
    betas: np.ndarray
    alphas: np.ndarray
    alpha_bars: np.ndarray

    @property
    def num_steps(self) -> int:
        return int(self.betas.shape[0])

    def snr(self) -> np.ndarray:
        """Signal-to-noise ratio ᾱ/(1 − ᾱ) per step [T]."""
        return self.alpha_bars / (1.0 - self.alpha_bars)


def _betas_from_alpha_bar(fn: Callable[[np.ndarray], np.ndarray], num_steps: int) -> np.ndarray:
    t = np.arange(num_steps, dtype=np.float64)
    ratio = fn((t + 1) / num_steps) / fn(t / num_steps)
    return np.minimum(1.0 - ratio, MAX_BETA)


def linear_betas(num_steps: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    return np.linspace(beta_start, beta_end, num_steps, dtype=np.float64)


def cosine_betas(num_steps: int, s: float = 0.008) -> np.ndarray:
    return _betas_from_alpha_bar(lambda u: np.cos((u + s) / (1 + s) * np.pi / 2) ** 2, num_steps)


def sqrt_betas(num_steps: int, s: float = 1e-4) -> np.ndarray:
    return _betas_from_alpha_bar(lambda u: 1.0 - np.sqrt(u + s), num_steps)


def make_schedule(
    name: ScheduleName | str = ScheduleName.LINEAR,
    num_steps: int = 1000,
    beta_start: float = 1e-4,
    beta_end: float = 0.02,
) -> Schedule:
    """Build a schedule by name (``linear``, ``cosine`` or ``sqrt``).

    ``beta_start``/``beta_end`` apply to ``linear`` only. Raises ``ValueError``
    with the allowed values on a bad name or range.
    """
    name = choose(ScheduleName, name, "schedule")
    if not 1 <= int(num_steps) <= 100_000:
        raise ValueError(f"num_steps must be between 1 and 100000, got {num_steps}")
    if name is ScheduleName.LINEAR and not 0.0 < beta_start <= beta_end < 1.0:
        raise ValueError(f"need 0 < beta_start ≤ beta_end < 1, got {beta_start:g} and {beta_end:g}")
    betas = {
        ScheduleName.LINEAR: lambda: linear_betas(num_steps, beta_start, beta_end),
        ScheduleName.COSINE: lambda: cosine_betas(num_steps),
        ScheduleName.SQRT: lambda: sqrt_betas(num_steps),
    }[name]()
    alphas = 1.0 - betas
    return Schedule(name=name.value, betas=betas, alphas=alphas, alpha_bars=np.cumprod(alphas))


def inference_timesteps(
    num_train_steps: int, num_inference_steps: int, spacing: Spacing | str = Spacing.LEADING
) -> np.ndarray:
    """The strided sub-sequence of training timesteps, descending [S] (int).

    ``leading``: (0, r, 2r, …)·reversed with r = T // S (diffusers' default).
    ``trailing``: round(arange(T, 0, −T/S)) − 1, which always includes T − 1.
    """
    spacing = choose(Spacing, spacing, "spacing")
    if not 1 <= num_inference_steps <= num_train_steps:
        raise ValueError(
            f"inference steps must be between 1 and the schedule's {num_train_steps} steps, "
            f"got {num_inference_steps}"
        )
    if spacing is Spacing.LEADING:
        ratio = num_train_steps // num_inference_steps
        steps = np.arange(num_inference_steps) * ratio
        return steps[::-1].astype(np.int64)
    steps = np.round(np.arange(num_train_steps, 0, -num_train_steps / num_inference_steps)) - 1
    return steps.astype(np.int64)


def timesteps_for(
    schedule: Schedule, inference_steps: int, spacing: Spacing | str, *, start_step: int | None = None
) -> np.ndarray:
    """The descending training timesteps a ``sample`` call visits [S].

    With ``start_step`` the sub-sequence is built on [0, start_step] (SDEdit).
    """
    if start_step is None:
        return inference_timesteps(schedule.num_steps, inference_steps, spacing)
    if not 0 <= int(start_step) < schedule.num_steps:
        raise ValueError(f"start_step must be in [0, {schedule.num_steps - 1}], got {start_step}")
    return inference_timesteps(int(start_step) + 1, inference_steps, spacing)


def step_table(schedule: Schedule, timesteps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ᾱ_t and ᾱ_prev for each step of a descending sub-sequence (float64 [S]).

    ᾱ_prev is ᾱ at the *next* timestep of the sub-sequence (the previous one in
    time), and 1 after the last step, so the loop ends on clean data.
    """
    alpha_bar = schedule.alpha_bars[timesteps]
    alpha_bar_prev = np.concatenate([schedule.alpha_bars[timesteps[1:]], [1.0]])
    return alpha_bar, alpha_bar_prev
