"""The Sampler arena's configuration and result types.

``ArenaConfig`` is the page's one frozen config: its defaults are the page's
defaults (the widgets read them from here). ``RunSpec`` is what one sampler's
cached run depends on (``ArenaConfig.run_spec``), so changing one sampler's
step size re-runs that sampler only. The compute functions return the
NamedTuples below; the page and ``arena_table`` write every caption.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import numpy as np

from idf.app.arena_targets import DEFAULT_STEP, MAX_CHAINS, Params, step_family
from idf.app.timing import Timing
from idf.samplers import Capacity, ChainResult
from idf.viz.arena import KLCurve, ToyDrawing

UNET_DRAWS = 64  # draws per chain for the U-Net sampler (its forward pass dominates on a CPU)
DEFAULT_INFERENCE_STEPS = 100  # DDIM steps of the diffusion samplers
# Their slider; S is a traced trip count in a reverse loop of capacity INFERENCE_RANGE[1], so no S compiles
INFERENCE_RANGE = (10, 500, 10)
MAX_FRAMES = 40
# The count sliders' ranges (low, high, step); one compiled loop per sampler and lattice side covers them all.
CHAINS_RANGE = (2, MAX_CHAINS, 1)
STEPS_RANGE = (100, 2000, 50)
BURN_IN_RANGE = (0, 1000, 50)
SIZE_RANGE = (4, 16, 1)
# HMC's L: a traced trip count in a leapfrog loop of capacity LEAPFROG_RANGE[1] (HMC(max_leapfrog=…)), so no L compiles
LEAPFROG_RANGE = (1, 40, 1)
CHAIN_BUCKETS = (8, MAX_CHAINS)  # chains are padded to the first bucket that holds them


def capacity(chains: int) -> Capacity:
    """The compiled loop's buffer sizes for ``chains`` chains: every steps and
    burn-in value of the sliders, and the chain bucket (8 or 16: the default 8
    pays no padding, 9–16 share one program)."""
    bucket = next(b for b in CHAIN_BUCKETS if chains <= b)
    return Capacity(chains=bucket, steps=STEPS_RANGE[1], burn_in=BURN_IN_RANGE[1])
TOY_DRAW_STEPS = 120  # steps of chain 0 drawn over the toy contours
MCMC = ("langevin", "mala", "mh", "hmc", "nuts")
IID = ("diffusion", "unet")  # reverse diffusion as an i.i.d. sampler
# Diffusion + Metropolis (idf.samplers.diffusion_mh): the shipped long φ⁴ checkpoint's DDPM paths as
# independence-MH proposals; no ε. About 0.09 s per proposal on 2 CPU cores, so C·(B + T + 1) ≈ 400.
DMH = "diffusion_mh"
DMH_CHECKPOINT = "phi4_broken8_unet_long.npz"  # trained on 8×8 φ⁴, m² = −4, λ = 3, kT = 1 (the broken phase)
DMH_TARGET = {"size": 8, "mass2": -4.0, "coupling": 3.0, "kT": 1.0}
DMH_PROPOSALS, DMH_BURN_IN, DMH_INFERENCE_STEPS = 400, 9, 50
NO_STEP = (*IID, DMH)  # samplers without a step size
SAMPLER_LABELS = {
    "langevin": "ULA",
    "mala": "MALA",
    "mh": "RW-MH",
    "hmc": "HMC",
    "nuts": "NUTS",
    "diffusion": "Diffusion",
    "unet": "U-Net diffusion",
    DMH: "Diffusion + MH",
}
SAMPLER_HELP = {
    "langevin": "unadjusted Langevin, the document's update (no accept/reject)",
    "mala": "Metropolis-adjusted Langevin",
    "mh": "random-walk Metropolis–Hastings (step = proposal scale σ)",
    "hmc": "Hamiltonian Monte Carlo",
    "nuts": "No-U-Turn sampler (BlackJAX)",
    "diffusion": "reverse diffusion (DDIM η = 0, cosine schedule, exact Gaussian denoiser): i.i.d. draws",
    "unet": f"reverse diffusion with the shipped U-Net (DDIM η = 0, its training schedule; ≤ {UNET_DRAWS} draws "
    "per chain): i.i.d. draws",
    DMH: f"diffusion + Metropolis: the shipped φ⁴ U-Net's DDPM paths ({DMH_INFERENCE_STEPS} steps) as independence-MH "
    f"proposals, exact for any network; ≈ {DMH_PROPOSALS} proposals in all (8×8 φ⁴ broken phase only)",
}


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One sampler's run: everything its cached result depends on.

    ``params`` is the target's hashable tuple (``arena_targets``); ``step_size``
    is ε (σ for RW-MH; unused by diffusion); ``num_leapfrog`` is HMC's L and
    ``inference_steps`` the DDIM steps of the diffusion samplers.
    """

    target: str
    params: Params
    size: int
    sampler: str
    step_size: float = 0.1
    num_leapfrog: int = 10
    inference_steps: int = 100
    chains: int = 8
    steps: int = 500
    burn_in: int = 200
    adapt: bool = False
    seed: int = 0


@dataclasses.dataclass(frozen=True)
class ArenaConfig:
    """The page's state; the defaults are the page's defaults.

    ``step_sizes`` holds (sampler, ε) for the samplers whose ε differs from
    ``DEFAULT_STEP`` of the target's family; ``inference_steps`` (sampler, S)
    for the diffusion samplers whose DDIM step count differs from
    ``DEFAULT_INFERENCE_STEPS``.
    """

    target: str = "gff"
    params: Params = (("kT", 1.0), ("mass2", 1.0))
    size: int = 8
    samplers: tuple[str, ...] = ("langevin", "mala", "hmc")
    step_sizes: tuple[tuple[str, float], ...] = ()
    num_leapfrog: int = 10
    inference_steps: tuple[tuple[str, int], ...] = ()
    chains: int = 8
    steps: int = 500
    burn_in: int = 200
    adapt: bool = False
    seed: int = 0

    def inference_steps_of(self, sampler: str) -> int:
        """S, the DDIM steps of a diffusion sampler."""
        return int(dict(self.inference_steps).get(sampler, DEFAULT_INFERENCE_STEPS))

    def step_size(self, sampler: str) -> float:
        """ε of ``sampler`` (NaN for the diffusion samplers, which have none)."""
        if sampler in NO_STEP:
            return float("nan")
        return float(dict(self.step_sizes).get(sampler, DEFAULT_STEP[step_family(self.target)][sampler]))

    def run_spec(self, sampler: str) -> RunSpec:
        return RunSpec(
            self.target, self.params, self.size, sampler,
            step_size=0.0 if sampler in NO_STEP else self.step_size(sampler),
            num_leapfrog=self.num_leapfrog if sampler == "hmc" else 0,
            inference_steps=self.inference_steps_of(sampler) if sampler in IID else (
                DMH_INFERENCE_STEPS if sampler == DMH else 0),
            chains=self.chains, steps=self.steps, burn_in=self.burn_in, adapt=self.adapt, seed=self.seed,
        )  # fmt: skip


class Curves(NamedTuple):
    """The charts' data: ``slowest`` observable (lowest ESS), its and the others'
    autocorrelation ρ_t [≤ 61] (None when not finite), the KL curve (Gaussian targets)."""

    slowest: str
    acf: dict[str, np.ndarray | None]
    kl: KLCurve | None


class Diagnostics(NamedTuple):
    """One sampler's row of the diagnostics table (None: does not apply here).

    ess: (observable, bulk ESS) per observable (φ and m, or x₁ and x₂); tau_int in
    steps; rms_dh and the ⟨e^{−ΔH}⟩ pair in kT (Hamiltonian samplers); virial_ratio
    = ⟨x·∇φ⟩/(N·kT) and its z; fourier_kl, kl_bias, exact_kl in nats with n_draws
    (Gaussian targets); p_m_positive, sign_flips and abs_m = ⟨|m|⟩ (φ⁴); frozen_chains (non-finite),
    dropped_chains (frozen or stuck, left out of the pooled numbers) and divergent_transitions
    (ΔH > 1000 kT, summed over chains); warm_seconds.
    """

    acceptance: float
    acceptance_rate: float
    step_size: float
    ess: tuple[tuple[str, float], ...]
    ess_per_second: float
    ess_per_grad: float
    rhat: float
    tau_int: float
    rms_dh: float | None
    exp_dh: float | None
    exp_dh_error: float | None
    virial_ratio: float | None
    equipartition_z: float | None
    fourier_kl: float | None
    n_draws: int | None
    kl_bias: float | None
    exact_kl: float | None
    p_m_positive: float | None
    sign_flips: float | None
    abs_m: float | None
    frozen_chains: int
    dropped_chains: int
    divergent_transitions: int
    warm_seconds: float


class SamplerRun(NamedTuple):
    """One sampler on one target, after sampling (NumPy arrays).

    result: the ChainResult (positions [C, S, *shape], energy, accepted,
    acceptance_prob, delta_H [C, S], …); frozen_step [C]: step after burn-in at
    which a chain froze (negative: during burn-in; −1 − burn_in: never);
    report: lines about frozen chains and adaptation restarts; restarted:
    adaptation was restarted; grad_evals: gradient (or denoiser) evaluations;
    seconds_warm: the loop alone; timing: the first call, with compile;
    toy: chain 0's drawing on a toy; exact_kl: the n → ∞ KL (diffusion; NaN
    otherwise); row, curves, equipartition (``diagnostics.equipartition``'s dict, or None).
    """

    sampler: str
    result: ChainResult
    frozen_step: np.ndarray
    report: tuple[str, ...]
    restarted: bool
    grad_evals: float
    seconds_warm: float
    timing: Timing
    toy: ToyDrawing | None
    shape: tuple[int, ...]
    exact_kl: float
    row: Diagnostics
    curves: Curves
    equipartition: dict[str, Any] | None
