"""Cached compute for the Sampler arena: one target, several samplers run from
the same seed and the same starting points, each returning a ``SamplerRun``
(chains, diagnostics row, curves, toy drawing).

The arena's app layer is several modules; this one runs the samplers and
re-exports the others' public names, so ``from idf.app import arena`` reaches
all of them: ``arena_config`` (``ArenaConfig``, ``RunSpec``, the result types,
labels), ``arena_targets`` (the targets, how each is built, where chains
start), ``arena_custom`` (a typed φ: parse, probe, cache keys),
``arena_diagnostics`` (the row and the curves, after sampling),
``arena_references`` (exact marginals, m references, the HMC ε² sweep),
``arena_table`` (captions: the table, the bars, the npz arrays),
``arena_controls`` (the URL-bound multiselect) and ``arena_page`` (the
page's sidebar and reproduce-in-Python snippet).

Timings: ESS per second uses a warm run (the loop is run a second time when
the first one compiled).
"""

from __future__ import annotations

import collections
import dataclasses

import jax
import numpy as np
import streamlit as st

from idf.app.arena_config import (
    CHAIN_BUCKETS,
    DMH,
    DMH_BURN_IN,
    DMH_CHECKPOINT,
    DMH_PROPOSALS,
    DMH_TARGET,
    IID,
    INFERENCE_RANGE,
    LEAPFROG_RANGE,
    MAX_FRAMES,
    MCMC,
    SAMPLER_HELP,
    SAMPLER_LABELS,
    SIZE_RANGE,
    TOY_DRAW_STEPS,
    UNET_DRAWS,
    ArenaConfig,
    Curves,
    Diagnostics,
    RunSpec,
    SamplerRun,
    capacity,
)
from idf.app.arena_controls import ArenaControls
from idf.app.arena_custom import CUSTOM, ERROR_HINT, check_custom, custom_code, custom_config, custom_params
from idf.app.arena_diagnostics import kl_curve, observables, summarize
from idf.app.arena_references import SWEEP_LEAPFROG, HMCSweep, ToyReference, hmc_sweep, m_reference, toy_reference
from idf.app.arena_table import COLUMNS, LOG_BARS, chain_arrays, efficiency_bars, results_frame
from idf.app.arena_targets import (
    DEFAULT_STEP,
    PHI4_PRESETS,
    TARGET_LABELS,
    Params,
    gaussian_power,
    improper_reason,
    initial_positions,
    is_gaussian_target,
    is_toy,
    make_target,
    step_family,
)
from idf.app.timing import Timing, timed
from idf.samplers import (
    ChainResult,
    diffusion_chains,
    iid_output_variance,
    make_sampler,
    nonfinite_report,
    run_chains,
    run_chains_with_restarts,
)
from idf.viz.arena import ToyDrawing

__all__ = [
    "COLUMNS", "CUSTOM", "DEFAULT_STEP", "DMH", "dmh_checkpoint_for", "dmh_counts",
    "ERROR_HINT", "IID", "LOG_BARS", "MAX_FRAMES", "MCMC", "PHI4_PRESETS",
    "SAMPLER_HELP",
    "RUNS", "SAMPLER_LABELS", "SWEEP_LEAPFROG", "TARGET_LABELS", "TOY_DRAW_STEPS", "UNET_DRAWS", "ArenaConfig",
    "ArenaControls", "Curves", "Diagnostics", "HMCSweep", "Params", "RunSpec", "SamplerRun", "ToyReference",
    "chain_arrays", "check_custom", "custom_code", "custom_config", "custom_params", "efficiency_bars",
    "gaussian_power", "gif_frames", "hmc_sweep", "improper_reason", "initial_positions", "is_gaussian_target",
    "is_toy", "kl_curve", "lattice_frames", "m_reference", "make_target", "observables", "results_frame",
    "run_sampler", "step_family", "timing_total", "toy_reference", "unet_checkpoint_for", "warm_up",
]  # fmt: skip


SHORT_RUN_S = 0.05  # warm runs shorter than this are timed 3 times (the median), longer ones once


def _warm_seconds(go, first: Timing) -> float:
    """Median wall time of warm runs of ``go`` (compile excluded): the first run counts when
    it compiled nothing (after the warm-up, every run); runs under SHORT_RUN_S are repeated
    (3 in all), where one timing is noisy and two more cost little. (Repeating every run under
    0.5 s ran each sampler three times per slider move: 0.26 s of a 3 s Arena rerun.)"""
    times = [] if first.compile_seconds > 0.05 * first.seconds else [first.seconds]
    while len(times) < (3 if (times[-1] if times else 0.0) < SHORT_RUN_S else 1):
        with timed("warm") as warm:
            go()
        times.append(warm.seconds)
    return float(np.median(times))


def _numpy(result: ChainResult) -> ChainResult:
    return jax.tree.map(np.asarray, jax.block_until_ready(result))


def _toy_drawing(result: ChainResult) -> ToyDrawing:
    """Chain 0's first steps: trajectory, proposals, accepted flags, paths."""
    k = min(TOY_DRAW_STEPS, result.accepted.shape[1])
    return ToyDrawing(
        trajectory=np.asarray(result.positions[0, :k], np.float64),
        proposals=np.asarray(result.proposals[0, :k], np.float64),
        accepted=np.asarray(result.accepted[0, :k]),
        paths=np.asarray(result.paths[0, : min(k, 12)], np.float64),
    )


def _run_mcmc(spec: RunSpec, energy, key, x_init, record: bool):
    """(result, restarts, timing, warm seconds) of one MCMC sampler. HMC's L is a
    traced count in a loop of capacity LEAPFROG_RANGE[1]: one program for every L;
    its recorded paths are cut to their L + 1 points here (host slices compile nothing)."""
    leapfrog = max(spec.num_leapfrog, 1)
    sampler = make_sampler(spec.sampler, spec.step_size, leapfrog, max_leapfrog=LEAPFROG_RANGE[1])
    kwargs = dict(
        burn_in=spec.burn_in, record_proposals=record, adapt=spec.adapt and sampler.adaptable, warn=False,
        capacity=capacity(spec.chains),
    )  # fmt: skip
    with timed(SAMPLER_LABELS[spec.sampler]) as timing:
        run = run_chains_with_restarts(sampler, energy, key, x_init, spec.steps, **kwargs)
        result = _numpy(run.result)
    if spec.sampler == "hmc" and result.paths is not None:
        result = result._replace(paths=result.paths[:, :, : leapfrog + 1])

    def go():
        jax.block_until_ready(run_chains(run.sampler, energy, key, x_init, spec.steps, **kwargs).positions)

    seconds = _warm_seconds(go, timing)
    return result, run.restarts, timing, seconds


def _run_iid(spec: RunSpec, energy, checkpoint: str | None):
    """Reverse diffusion (DDIM, η = 0) as a sampler (``diffusion_chains``): C·S
    i.i.d. draws as [C, S, H, W]; the DDIM steps are a traced count in a loop of
    capacity INFERENCE_RANGE[1], so a new S compiles nothing. Exact denoiser: cosine schedule with T = 1000,
    and ``exact_kl`` is the loop's exact output KL (every step is
    linear-Gaussian). With a U-Net ``checkpoint``: its own training schedule,
    ≤ UNET_DRAWS draws per chain, ``exact_kl`` NaN."""
    from idf.diffusion import ExactGaussianDenoiser, make_schedule

    shape = (spec.size, spec.size)
    draws = spec.steps if checkpoint is None else min(spec.steps, UNET_DRAWS)
    if checkpoint is None:
        schedule, denoiser = make_schedule("cosine", 1000), ExactGaussianDenoiser(energy)
    else:
        from idf.models import load_denoiser

        denoiser, info = load_denoiser(checkpoint)
        s = info["schedule"]
        schedule = make_schedule(s["name"], int(s["num_steps"]), float(s["beta_start"]), float(s["beta_end"]))

    def go():
        return _numpy(
            diffusion_chains(jax.random.key(spec.seed), denoiser, schedule, energy, shape, spec.chains, draws,
                             inference_steps=spec.inference_steps, max_steps=INFERENCE_RANGE[1])
        )  # fmt: skip

    with timed(SAMPLER_LABELS[spec.sampler]) as timing:
        result = go()
    if checkpoint is not None:  # a U-Net loop is too slow on a CPU to run twice: wall time minus compile time
        seconds = max(timing.seconds - timing.compile_seconds, 1e-9)
    else:
        seconds = _warm_seconds(go, timing)
    power = gaussian_power(energy, shape)
    exact = float("nan")
    if checkpoint is None and power is not None:
        from idf.diagnostics import gaussian_kl

        exact = gaussian_kl(iid_output_variance(power, schedule, spec.inference_steps), power)
    return result, timing, seconds, exact


def dmh_checkpoint_for(target: str, params: Params, size: int) -> str | None:
    """The shipped checkpoint diffusion + MH proposes from, when the target is the
    one it was trained on (8×8 φ⁴, m² = −4, λ = 3, kT = 1), else None."""
    from idf.io import ASSETS

    if target != "phi4":
        return None  # (a rejected typed φ has params None)
    p = {"kT": 1.0, **dict(params)}
    path = ASSETS / DMH_CHECKPOINT
    fits = target == "phi4" and size == DMH_TARGET["size"] and all(
        abs(float(p.get(k, 1e9)) - v) < 1e-9 for k, v in DMH_TARGET.items() if k != "size")
    return str(path) if fits and path.exists() else None


def dmh_counts(chains: int, steps: int) -> tuple[int, int]:
    """(burn-in B, kept steps T) of diffusion + MH for C = ``chains``: C·(B + T + 1) ≈ DMH_PROPOSALS, T ≤ steps."""
    return DMH_BURN_IN, max(1, min(steps, DMH_PROPOSALS // chains - DMH_BURN_IN - 1))


def _run_dmh(spec: RunSpec, energy, checkpoint: str):
    """Diffusion + Metropolis (``diffusion_mh_chains``) from the shipped checkpoint:
    C chains of T kept steps after B, positions [C, T, H, W]; (result, timing, seconds)."""
    from idf.diffusion import make_schedule
    from idf.models import load_denoiser
    from idf.samplers import diffusion_mh_chains

    denoiser, info = load_denoiser(checkpoint)
    s = info["schedule"]
    schedule = make_schedule(s["name"], int(s["num_steps"]), float(s["beta_start"]), float(s["beta_end"]))
    burn_in, steps = dmh_counts(spec.chains, spec.steps)
    with timed(SAMPLER_LABELS[DMH]) as timing:
        run = diffusion_mh_chains(jax.random.key(spec.seed), denoiser, schedule, energy, (spec.size, spec.size),
                                  spec.chains, steps, inference_steps=spec.inference_steps, burn_in=burn_in,
                                  batch=512)  # fmt: skip
        result = _numpy(run.result)
    return result, timing, max(timing.seconds - timing.compile_seconds, 1e-9)


# Cache misses of ``run_sampler`` per sampler name (the body runs only on a miss): the
# fragment test reads it to show that one sampler's ε reruns that sampler alone.
RUNS: collections.Counter[str] = collections.Counter()


@st.cache_data(max_entries=48, show_spinner=False)
def run_sampler(spec: RunSpec) -> SamplerRun:
    """One sampler on one target (``ArenaConfig.run_spec``): chains, per-step
    info, diagnostics row and curves, as a ``SamplerRun``."""
    RUNS[spec.sampler] += 1
    energy = make_target(spec.target, spec.params)
    x_init, key = initial_positions(spec.target, spec.size, spec.chains, spec.seed)
    shape = tuple(x_init.shape[1:])
    record = is_toy(spec.target)
    restarts: tuple[float, ...] = ()
    if spec.sampler == DMH:
        checkpoint = dmh_checkpoint_for(spec.target, spec.params, spec.size)
        if checkpoint is None:
            raise ValueError(f"diffusion + MH needs the target {DMH_CHECKPOINT} was trained on: {DMH_TARGET}")
        result, timing, seconds = _run_dmh(spec, energy, checkpoint)
        burn_in, exact = DMH_BURN_IN, float("nan")
        report = nonfinite_report(result)
    elif spec.sampler in IID:
        checkpoint = None if spec.sampler == "diffusion" else unet_checkpoint_for(spec.target, spec.params, spec.size)
        result, timing, seconds, exact = _run_iid(spec, energy, checkpoint)
        burn_in, record = 0, False
        report = [] if not np.any(result.nonfinite) else ["reverse diffusion produced NaN/inf samples"]
    else:
        result, restarts, timing, seconds = _run_mcmc(spec, energy, key, x_init, record)
        burn_in, exact = spec.burn_in, float("nan")
        report = [f"adaptation diverged; restarted it from ε₀ = {eps:.3g}" for eps in restarts]
        report += nonfinite_report(result)
    power = None if is_toy(spec.target) else gaussian_power(energy, shape)
    spectrum = None if power is None else np.asarray(energy.spectrum(shape), np.float64)
    grad_evals = float(np.sum(result.num_grad_evals))
    row, curves, equi = summarize(
        spec.target, energy, spec.sampler, result, power=power, spectrum=spectrum, seconds_warm=seconds,
        grad_evals=grad_evals, exact_kl=exact,
    )  # fmt: skip
    return SamplerRun(
        sampler=spec.sampler,
        result=result,
        frozen_step=np.asarray(result.nonfinite_step) - burn_in,
        report=tuple(report),
        restarted=bool(restarts),
        grad_evals=grad_evals,
        seconds_warm=seconds,
        timing=timing,
        toy=_toy_drawing(result) if record else None,
        shape=shape,
        exact_kl=exact,
        row=row,
        curves=curves,
        equipartition=equi,
    )


def _shipped() -> list[dict]:
    try:
        from idf.app import data

        return [c for c in data.checkpoints() if "error" not in c]  # cached per state of assets/
    except Exception:  # noqa: BLE001 - no models package, no checkpoints: the option is not offered
        return []


def unet_checkpoint_for(target: str, params: Params, size: int) -> str | None:
    """A shipped U-Net trained on exactly this target (a GFF: size, m², kT; φ⁴:
    size, m², λ, kT), else None."""
    if target not in ("gff", "phi4"):
        return None
    p = {"kT": 1.0, **dict(params)}
    keys = ("mass2", "kT") if target == "gff" else ("mass2", "coupling", "kT")
    for c in _shipped():
        d = c.get("data", {})
        if (
            d.get("target") == target
            and int(d.get("size", -1)) == size
            and all(k in p and abs(float(d.get(k, 1e9)) - float(p[k])) < 1e-9 for k in keys)
        ):
            return c["path"]
    return None


def lattice_frames(positions: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], list[str]]:
    """Chain 0's fields at F ≤ MAX_FRAMES evenly spaced kept draws of each
    sampler's positions [C, S, H, W] (the same F for all, each over its own
    length), and the frame labels."""
    s_min = min(p.shape[1] for p in positions.values())
    count = min(MAX_FRAMES, s_min)
    frames = {}
    for name, p in positions.items():
        idx = np.round(np.linspace(0, p.shape[1] - 1, count)).astype(int)
        frames[name] = p[0, idx]
    s_max = max(p.shape[1] for p in positions.values())
    idx = np.round(np.linspace(0, s_max - 1, count)).astype(int)
    return frames, [f"step {i + 1}" for i in idx]


def gif_frames(frames: dict[str, np.ndarray]) -> np.ndarray:
    """The samplers' animations side by side, 1-site white gaps: [F, H, k·(W+1) − 1]."""
    parts = []
    for i, f in enumerate(frames.values()):
        if i:
            parts.append(np.zeros((*f.shape[:2], 1), f.dtype))
        parts.append(f)
    return np.concatenate(parts, axis=2)


def timing_total(runs: dict[str, SamplerRun]) -> Timing:
    total = Timing("arena: " + ", ".join(SAMPLER_LABELS[n] for n in runs))
    for r in runs.values():
        total.seconds += r.timing.seconds
        total.compile_seconds += r.timing.compile_seconds
    return total


def warm_up(config: ArenaConfig | None = None, sizes: tuple[int, ...] | None = None) -> int:
    """Compile what ``config``'s view (default: the page's) needs at every lattice
    side in ``sizes`` (default: the whole L slider, the default side first) and
    every chain bucket, by running it into the shared cache; steps, burn-in and
    HMC's L need nothing more (traced counts: L runs in a leapfrog loop of
    capacity LEAPFROG_RANGE[1]). Returns how many runs it made."""
    config = config or ArenaConfig()
    if sizes is None:
        low, high, step = SIZE_RANGE
        sizes = (config.size, *(s for s in range(low, high + 1, step) if s != config.size))
    runs = 0
    for size in sizes:
        for chains in CHAIN_BUCKETS:
            view = dataclasses.replace(config, size=size, chains=chains)
            for name in view.samplers:
                run_sampler(view.run_spec(name))
                runs += 1
    return runs
