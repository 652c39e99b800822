"""Cached compute for the Sampler arena: one target, several samplers run from
the same seed and the same starting points, and everything the page shows
about them (diagnostics table row, traces, autocorrelations, KL against the
number of steps, toy trajectories, the HMC ε² sweep).

The arena is five modules; this one runs the samplers and re-exports the
others' public names, so ``from idf.app import arena`` reaches all of them:
``arena_targets`` (the targets, how each is built, where chains start),
``arena_custom`` (a typed φ: parse, probe, cache keys),
``arena_diagnostics`` (the table row and the curves, after sampling),
``arena_references`` (exact marginals, m references, the HMC ε² sweep).

Timings: ESS per second uses a warm run (the loop is run a second time when
the first one compiled).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import streamlit as st

from idf import diagnostics
from idf.app.arena_custom import CUSTOM, ERROR_HINT, check_custom, custom_code, custom_config, custom_params
from idf.app.arena_diagnostics import autocorrelation, finite, kl_curve, observables, summary, ula_stationary_kl
from idf.app.arena_references import SWEEP_LEAPFROG, hmc_sweep, m_reference, toy_reference
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
from idf.app.params import Controls
from idf.app.timing import Timing, timed
from idf.samplers import make_sampler, nonfinite_report, run_chains, run_chains_with_restarts

__all__ = [
    "COLUMNS", "CUSTOM", "DEFAULT_STEP", "ERROR_HINT", "MAX_FRAMES", "PHI4_PRESETS", "SAMPLER_HELP", "SAMPLER_LABELS",
    "SWEEP_LEAPFROG", "TARGET_LABELS", "TOY_DRAW_STEPS", "UNET_DRAWS", "ArenaControls", "Params", "autocorrelation",
    "chain_arrays", "check_custom", "custom_code", "custom_config", "custom_params", "gaussian_power", "gif_frames",
    "hmc_sweep", "improper_reason", "initial_positions", "is_gaussian_target", "is_toy", "kl_curve",
    "lattice_frames", "m_reference", "make_target", "observables", "results_frame", "run_sampler", "step_family",
    "timing_total", "toy_reference", "ula_stationary_kl", "unet_checkpoint_for",
]  # fmt: skip

UNET_DRAWS = 64  # draws per chain for the U-Net sampler (its forward pass dominates on a CPU)
SAMPLER_LABELS = {
    "langevin": "ULA",
    "mala": "MALA",
    "mh": "RW-MH",
    "hmc": "HMC",
    "nuts": "NUTS",
    "diffusion": "Diffusion",
    "unet": "U-Net diffusion",
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
}
MAX_FRAMES = 40
TOY_DRAW_STEPS = 120  # steps of chain 0 drawn over the toy contours
COLUMNS = [
    "acceptance", "acceptance rate", "ε (final)", "ESS bulk (φ)", "ESS bulk (m)", "ESS bulk (x₁)", "ESS bulk (x₂)",
    "ESS/s", "ESS/grad", "R̂ (max)", "τ_int (max, steps)", "rms ΔH (kT)", "⟨e^{−ΔH}⟩", "± ⟨e^{−ΔH}⟩",
    "⟨x·∇φ⟩/(N·kT)", "equipartition z", "Fourier KL (nats)", "n (draws)", "KL bias ≈ N/(2n)",
    "exact KL, n → ∞ (nats)", "P(m > 0) (exact ½)", "sign flips of m per chain", "divergent chains", "warm seconds",
]  # fmt: skip


def _warm_seconds(go, first: Timing) -> float:
    """Median wall time of warm runs of ``go`` (compile excluded): the first run
    counts when it compiled nothing; short loops are repeated (3 runs in all)."""
    times = [] if first.compile_seconds > 0.05 * first.seconds else [first.seconds]
    while len(times) < (3 if (times[-1] if times else 0.0) < 0.5 else 1):
        with timed("warm") as warm:
            go()
        times.append(warm.seconds)
    return float(np.median(times))


def _toy_drawing(result, record: bool) -> dict[str, np.ndarray] | None:
    """Chain 0's first steps: trajectory, proposals, accepted flags, paths."""
    if not record:
        return None
    k = min(TOY_DRAW_STEPS, result.accepted.shape[1])
    return {
        "trajectory": np.asarray(result.positions[0, :k], np.float64),
        "proposals": np.asarray(result.proposals[0, :k], np.float64),
        "accepted": np.asarray(result.accepted[0, :k]),
        "paths": np.asarray(result.paths[0, : min(k, 12)], np.float64),
    }


def _run_mcmc(sampler_name, energy, key, x_init, step_size, num_leapfrog, steps, burn_in, adapt, record):
    sampler = make_sampler(sampler_name, step_size, num_leapfrog)
    adapt = adapt and sampler.adaptable
    kwargs = dict(burn_in=burn_in, record_proposals=record, adapt=adapt, warn=False)

    def go(smp):
        res = run_chains(smp, energy, key, x_init, steps, **kwargs)
        jax.block_until_ready(res.positions)
        return res

    with timed(SAMPLER_LABELS[sampler_name]) as timing:
        run = run_chains_with_restarts(sampler, energy, key, x_init, steps, **kwargs)
        jax.block_until_ready(run.result.positions)
    notes = [f"adaptation diverged; restarted it from ε₀ = {eps:.3g}" for eps in run.restarts]
    return run.result, timing, _warm_seconds(lambda: go(run.sampler), timing), notes


@st.cache_data(max_entries=48, show_spinner=False)
def run_sampler(
    target: str,
    params: Params,
    size: int,
    sampler: str,
    step_size: float,
    num_leapfrog: int,
    chains: int,
    steps: int,
    burn_in: int,
    adapt: bool,
    seed: int,
) -> dict[str, Any]:
    """One sampler on one target: chains, per-step info, diagnostics row and curves.

    ``params`` is the target's hashable tuple (``arena_targets``; a typed φ's
    from ``custom_params``), so the cache keys on plain values.
    positions [C, S, *shape]; energy, accepted, acceptance_prob, delta_H [C, S];
    ``row`` (the table row), ``curves`` (ACF per observable, KL against steps),
    ``equipartition`` (⟨x·∇φ⟩: value, error, expected N·kT; or None),
    ``report`` (divergence lines), ``timing`` (first call, with compile) and
    ``seconds_warm`` (the loop alone).
    """
    energy = make_target(target, params)
    x_init, key = initial_positions(target, size, chains, seed)
    shape = tuple(x_init.shape[1:])
    record = is_toy(target)
    if sampler == "diffusion":
        return _run_diffusion(target, energy, size, chains, steps, num_leapfrog, seed)
    if sampler == "unet":
        return _run_diffusion(
            target,
            energy,
            size,
            chains,
            min(steps, UNET_DRAWS),
            num_leapfrog,
            seed,
            checkpoint=unet_checkpoint_for(target, params, size),
        )
    result, timing, seconds, notes = _run_mcmc(
        sampler, energy, key, x_init, step_size, num_leapfrog, steps, burn_in, adapt, record
    )
    run: dict[str, Any] = {
        "sampler": sampler,
        "positions": np.asarray(result.positions),
        "energy": np.asarray(result.energy, np.float64),
        "accepted": np.asarray(result.accepted),
        "acceptance_prob": np.asarray(result.acceptance_prob, np.float64),
        "delta_H": np.asarray(result.delta_H, np.float64),
        "divergent": np.asarray(result.nonfinite),
        "divergent_step": np.asarray(result.nonfinite_step) - burn_in,
        "report": notes + nonfinite_report(result),
        "grad_evals": float(np.sum(np.asarray(result.num_grad_evals))),
        "step_size": float(result.step_size),
        "seconds_warm": seconds,
        "timing": timing,
        "toy": _toy_drawing(result, record),
        "shape": shape,
    }
    power = None if record else gaussian_power(energy, shape)
    spectrum = np.asarray(energy.spectrum(shape), np.float64) if power is not None else None
    run.update(summary(target, energy, run, power, spectrum))
    run["row"] = {
        "acceptance": float(np.mean(run["acceptance_prob"])),
        "acceptance rate": float(np.mean(run["accepted"])),
        "ε (final)": run["step_size"],
        **run["row"],
        "divergent chains": int(np.sum(run["divergent"])),
        "warm seconds": seconds,
    }
    return run


def _run_diffusion(
    target, energy, size, chains, steps, inference_steps, seed, checkpoint: str | None = None
) -> dict[str, Any]:
    """Reverse diffusion (DDIM, η = 0) as a sampler: C·S i.i.d. draws arranged as
    [C, S, H, W] to share the MCMC diagnostics. Exact denoiser: cosine schedule
    with T = 1000, and ``exact_kl`` is the loop's exact output KL (every step is
    linear-Gaussian). With a U-Net ``checkpoint``: its own training schedule,
    ``exact_kl`` NaN. A U-Net trained on φ⁴ works the same way; there is no
    exact Gaussian reference then, only the φ⁴ observables."""
    from idf.diffusion import ExactGaussianDenoiser, make_schedule, sample, step_table
    from idf.diffusion.schedules import timesteps_for

    shape = (size, size)
    if checkpoint is None:
        schedule = make_schedule("cosine", 1000)
        denoiser = ExactGaussianDenoiser(energy)
    else:
        from idf.models import load_denoiser

        denoiser, info = load_denoiser(checkpoint)
        sched = info["schedule"]
        schedule = make_schedule(
            sched["name"], int(sched["num_steps"]), float(sched["beta_start"]), float(sched["beta_end"])
        )
    n = chains * steps

    def go():
        res = sample(
            jax.random.key(seed), denoiser, schedule, shape, n, inference_steps=inference_steps, solver="ddim", eta=0.0
        )
        return np.asarray(jax.block_until_ready(res.samples))

    with timed("diffusion" if checkpoint is None else "U-Net diffusion") as timing:
        samples = go()
    if checkpoint is not None:  # a U-Net loop is too slow on a CPU to run twice: wall time minus compile time
        seconds = max(timing.seconds - timing.compile_seconds, 1e-9)
    else:
        seconds = _warm_seconds(go, timing)
    positions = samples.reshape(chains, steps, *shape)
    phi = np.asarray(jax.vmap(energy.energy)(jnp.asarray(samples)), np.float64).reshape(chains, steps)
    nan = np.full((chains, steps), np.nan)
    run: dict[str, Any] = {
        "sampler": "diffusion" if checkpoint is None else "unet",
        "positions": positions,
        "energy": phi,
        "accepted": np.ones((chains, steps), bool),
        "acceptance_prob": np.ones((chains, steps)),
        "delta_H": nan,
        "divergent": np.zeros(chains, bool),
        "divergent_step": np.full(chains, -1),
        "report": [] if finite(samples) else ["reverse diffusion produced NaN/inf samples"],
        "grad_evals": float(n * inference_steps),
        "step_size": float("nan"),
        "seconds_warm": seconds,
        "timing": timing,
        "toy": None,
        "shape": shape,
    }
    power = gaussian_power(energy, shape)
    ab, ab_prev = step_table(schedule, timesteps_for(schedule, inference_steps, "leading"))
    run["exact_kl"] = (
        float("nan")
        if checkpoint is not None or power is None
        else diagnostics.gaussian_kl(
            diagnostics.reverse_output_variance(power, ab, ab_prev, method="ddim", eta=0.0), power
        )
    )
    spectrum = None if power is None else np.asarray(energy.spectrum(shape), np.float64)
    run.update(summary(target, energy, run, power, spectrum))
    run["row"] = {
        "acceptance": float("nan"),
        "acceptance rate": float("nan"),
        "ε (final)": float("nan"),
        **run["row"],
        "divergent chains": 0,
        "warm seconds": seconds,
    }
    return run


@st.cache_data(max_entries=4, show_spinner=False)
def _shipped() -> list[dict[str, Any]]:
    try:
        from idf.models import shipped_checkpoints

        return [c for c in shipped_checkpoints() if "error" not in c]
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


def lattice_frames(runs: dict[str, dict[str, Any]]) -> tuple[dict[str, np.ndarray], list[str]]:
    """Chain 0's fields at F ≤ MAX_FRAMES evenly spaced kept draws of each run
    (the same F for all, each over its own length), and the frame labels."""
    s_min = min(r["positions"].shape[1] for r in runs.values())
    count = min(MAX_FRAMES, s_min)
    frames = {}
    for name, r in runs.items():
        idx = np.round(np.linspace(0, r["positions"].shape[1] - 1, count)).astype(int)
        frames[name] = r["positions"][0, idx]
    s_max = max(r["positions"].shape[1] for r in runs.values())
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


# -- controls: a multiselect bound to the URL --------------------------------------------------
class ArenaControls(Controls):
    """``Controls`` plus a multiselect whose URL value is a comma-separated list."""

    def multiselect(
        self,
        name: str,
        label: str,
        options: list[str],
        default: list[str],
        max_selections: int,
        format_func=str,
        help: str | None = None,
    ) -> list[str]:
        def parse(raw: str) -> tuple[list[str], str | None]:
            items = [s.strip() for s in raw.split(",") if s.strip()]
            good = [s for s in dict.fromkeys(items) if s in options]
            problems = []
            if len(good) != len(items):
                problems.append(f"unknown or repeated entries dropped (choose from {', '.join(options)})")
            if len(good) > max_selections:
                good = good[:max_selections]
                problems.append(f"at most {max_selections}; kept the first {max_selections}")
            if not good:
                return list(default), "; ".join(problems + [f"using {','.join(default)}"])
            return good, ("; ".join(problems) + ".") if problems else None

        key = self._bind(name, list(default), parse)
        current = [v for v in st.session_state[key] if v in options]
        if current != st.session_state[key]:  # options can shrink (e.g. diffusion needs a Gaussian target)
            st.session_state[key] = current
        value = list(
            self.container.multiselect(
                label, options, key=key, format_func=format_func, help=help, max_selections=max_selections
            )
        )
        self.values[name] = ",".join(value)
        self.defaults[name] = ",".join(default)
        if value == list(default):
            if name in st.query_params:
                del st.query_params[name]
        else:
            st.query_params[name] = ",".join(value)
        return value


def results_frame(runs: dict[str, dict[str, Any]]):
    """The diagnostics table: one row per sampler (pandas DataFrame)."""
    import pandas as pd

    rows = {SAMPLER_LABELS[name]: run["row"] for name, run in runs.items()}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    return frame[[c for c in COLUMNS if c in frame.columns]]


def chain_arrays(runs: dict[str, dict[str, Any]]) -> dict[str, np.ndarray]:
    """Arrays for the .npz download, prefixed by sampler name."""
    out = {}
    for name, r in runs.items():
        for key in ("positions", "energy", "accepted", "acceptance_prob", "delta_H", "divergent"):
            out[f"{name}/{key}"] = r[key]
        out[f"{name}/step_size"] = np.asarray(r["step_size"])
    return out


def timing_total(runs: dict[str, dict[str, Any]]) -> Timing:
    total = Timing("arena: " + ", ".join(SAMPLER_LABELS[n] for n in runs))
    for r in runs.values():
        total.seconds += r["timing"].seconds
        total.compile_seconds += r["timing"].compile_seconds
    return total
