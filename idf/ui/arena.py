"""Cached compute for the Sampler arena: one target, several samplers run from
the same seed and the same starting points, and everything the page shows
about them (diagnostics table row, traces, autocorrelations, KL against the
number of steps, toy trajectories, the HMC ε² sweep).

Seed convention (shared with ``idf sample``): ``key_init, key_run =
jax.random.split(jax.random.key(seed))``; lattice chains start at
``0.1·N(0, 1)`` fields drawn with ``key_init``, toy chains at ``N(0, I)``
points; every sampler gets ``key_run``. Timings: ESS per second uses a warm
run (the loop is run a second time when the first one compiled).
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import streamlit as st

from idf import diagnostics
from idf.energy import TOYS, Energy, GaussianFreeField, LatticeEnergy, Phi4, QuadraticEnergy, make_energy
from idf.samplers import HMC, divergence_report, make_sampler, run_chains
from idf.ui.params import Controls
from idf.ui.timing import Timing, timed

TARGET_LABELS = {
    "gff": "Gaussian free field",
    "lattice": "Design document's energy",
    "phi4": "φ⁴ field theory",
    "banana": "Toy: banana",
    "donut": "Toy: donut",
    "mixture": "Toy: Gaussian mixture (ring)",
    "funnel": "Toy: Neal's funnel",
}
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
# φ⁴ on 8×8 (AKS convention, kT = 1): measured with HMC, 8 chains × 1000 steps:
# m² = −4, λ = 8 is symmetric (Binder U₄ ≈ 0.08, hundreds of sign flips of m per chain);
# m² = −4, λ = 3 is broken (⟨|m|⟩ ≈ 0.69, U₄ ≈ 0.66, no sign flip in 1000 HMC steps).
PHI4_PRESETS = {"symmetric": (-4.0, 8.0), "broken": (-4.0, 3.0)}
# Default step size ε (proposal scale σ for MH) per sampler, lattice fields and 2-D toys.
DEFAULT_STEP = {
    "lattice": {"langevin": 0.05, "mala": 0.08, "mh": 0.12, "hmc": 0.1, "nuts": 0.1},
    "phi4": {"langevin": 0.01, "mala": 0.02, "mh": 0.05, "hmc": 0.08, "nuts": 0.08},  # stiffer: no ½ factors
    "toy": {"langevin": 0.1, "mala": 0.3, "mh": 0.8, "hmc": 0.25, "nuts": 0.3},
}
MAX_FRAMES = 40
TOY_DRAW_STEPS = 120  # steps of chain 0 drawn over the toy contours
SWEEP_LEAPFROG = (5, 7, 10, 14, 20)  # ε = (L·ε)/L: fixed trajectory length, one compile per L
COLUMNS = ["acceptance", "acceptance rate", "ε (final)", "ESS bulk (φ)", "ESS bulk (m)", "ESS bulk (x₁)",
           "ESS bulk (x₂)", "ESS/s", "ESS/grad", "R̂ (max)", "τ_int (max, steps)", "rms ΔH (kT)", "⟨e^{−ΔH}⟩",
           "± ⟨e^{−ΔH}⟩", "⟨x·∇φ⟩/(N·kT)", "equipartition z", "Fourier KL (nats)", "n (draws)", "KL bias ≈ N/(2n)",
           "exact KL, n → ∞ (nats)", "P(m > 0) (exact ½)", "sign flips of m per chain", "divergent chains",
           "warm seconds"]


def is_toy(target: str) -> bool:
    return target in TOYS


def step_family(target: str) -> str:
    """Which default step sizes (and URL-bound step controls) a target uses."""
    return "toy" if is_toy(target) else ("phi4" if target == "phi4" else "lattice")


def make_target(target: str, params: tuple[tuple[str, float], ...]) -> Energy:
    return make_energy(target, **dict(params))


def improper_reason(target: str, params: tuple[tuple[str, float], ...], size: int) -> str | None:
    energy = make_target(target, params)
    if is_toy(target):
        return None
    return energy.improper_reason((size, size))


def gaussian_power(energy: Energy, shape: tuple[int, ...]) -> np.ndarray | None:
    """Exact per-mode variance kT/A(k) [H, W] when the target is Gaussian, else None."""
    if isinstance(energy, GaussianFreeField) or (isinstance(energy, LatticeEnergy) and float(energy.w_thermal) == 0.0):
        return np.asarray(energy.covariance_spectrum(shape), np.float64)
    return None


def initial_positions(target: str, size: int, chains: int, seed: int) -> tuple[jax.Array, jax.Array]:
    """(x_init [C, *shape], key_run): the seed convention shared with ``idf sample``."""
    key_init, key_run = jax.random.split(jax.random.key(seed))
    dtype = jnp.result_type(float)
    if is_toy(target):
        return jax.random.normal(key_init, (chains, 2), dtype), key_run
    return 0.5 * jax.random.normal(key_init, (chains, size, size), dtype), key_run


# -- diagnostics helpers (NumPy, after sampling) -------------------------------------------
def autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Chain-averaged normalised autocorrelation ρ_t, t = 0 … max_lag, of draws [C, S]."""
    x = np.asarray(x, np.float64)
    n = x.shape[1]
    centred = x - x.mean(axis=1, keepdims=True)
    f = np.fft.rfft(centred, n=2 * n, axis=1)
    acov = np.fft.irfft(f * np.conj(f), n=2 * n, axis=1)[:, :n].mean(axis=0) / n
    lags = min(max_lag, n - 1) + 1
    return acov[:lags] / acov[0] if acov[0] > 0 else np.full(lags, np.nan)


def _finite(x: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(x)))


def _safe(fn, *args, **kw) -> Any:
    """A diagnostic that returns NaN instead of raising on degenerate chains."""
    try:
        with np.errstate(all="ignore"):
            return fn(*args, **kw)
    except (ValueError, FloatingPointError, ZeroDivisionError, OverflowError):
        return float("nan")


def observables(target: str, positions: np.ndarray, energy_trace: np.ndarray) -> dict[str, np.ndarray]:
    """Scalar observables [C, S] the diagnostics are computed on: φ and m for
    lattice fields, the two coordinates for 2-D toys."""
    if is_toy(target):
        return {"x₁": positions[..., 0], "x₂": positions[..., 1]}
    return {"φ": energy_trace, "m": diagnostics.magnetization(positions)}


def ula_stationary_kl(power: np.ndarray, spectrum: np.ndarray, kT: float, step: float) -> float:
    """Exact KL(stationary law of ULA ‖ target) for a free field: each mode's
    stationary variance is kT/[A(1 − εA/(4kT))] (inf once εA ≥ 4kT)."""
    gap = 1.0 - step * spectrum / (4.0 * kT)
    if np.any(gap <= 0):
        return float("inf")
    return diagnostics.gaussian_kl(kT / (spectrum * gap), power)


def kl_curve(positions: np.ndarray, power: np.ndarray, points: int = 8) -> dict[str, np.ndarray]:
    """Fourier KL of the first s draws of every chain, for s on a log grid: n = C·s."""
    c, s = positions.shape[:2]
    lengths = np.unique(np.round(np.geomspace(min(8, s), s, points)).astype(int))
    kls = []
    for k in lengths:
        draws = positions[:, :k].reshape(-1, *positions.shape[2:])
        kls.append(_safe(diagnostics.fourier_kl, draws, power) if _finite(draws) else float("inf"))
    return {"steps": lengths, "n": c * lengths, "kl": np.asarray(kls, np.float64),
            "bias": power.size / (2.0 * c * lengths)}


def _summary(target, energy, run: dict[str, Any], power, spectrum) -> dict[str, Any]:
    """The sampler's row of the diagnostics table, plus curves for the charts."""
    positions = run["positions"]
    obs = observables(target, positions, run["energy"])
    row: dict[str, Any] = {}
    ess = {}
    for name, values in obs.items():
        ess[name] = float(_safe(lambda v: float(diagnostics.ess_bulk(v)), values)) if _finite(values) else float("nan")
        row[f"ESS bulk ({name})"] = ess[name]
    slowest = min(ess, key=lambda k: ess[k] if math.isfinite(ess[k]) else -1.0)
    ess_min = ess[slowest]
    row["ESS/s"] = ess_min / run["seconds_warm"] if run["seconds_warm"] > 0 else float("nan")
    row["ESS/grad"] = ess_min / run["grad_evals"] if run["grad_evals"] > 0 else float("nan")
    row["R̂ (max)"] = float(max(_safe(lambda v: float(diagnostics.split_rhat(v)), v) for v in obs.values()))
    row["τ_int (max, steps)"] = float(max(
        _safe(lambda v: float(diagnostics.integrated_autocorrelation_time(v)), v) for v in obs.values()))
    dh = run["delta_H"]
    if np.any(np.isfinite(dh)):
        stats = _safe(diagnostics.delta_h_stats, dh)
        if isinstance(stats, dict):
            row["rms ΔH (kT)"] = stats["rms"]
            row["⟨e^{−ΔH}⟩"] = stats["exp_mean"]
            row["± ⟨e^{−ΔH}⟩"] = stats["exp_mean_error"]
    thin = max(1, positions.shape[1] // 250)  # ≤ 250 draws per chain for the virial check
    equi = _safe(diagnostics.equipartition, energy, positions[:, ::thin]) if _finite(positions) else float("nan")
    if isinstance(equi, dict):
        row["⟨x·∇φ⟩/(N·kT)"] = equi["value"] / equi["expected"]
        row["equipartition z"] = equi["z"]
    if target == "phi4" and _finite(positions):  # Z₂: P(m > 0) = ½ exactly; local samplers rarely flip sign
        m = obs["m"]
        row["P(m > 0) (exact ½)"] = float(np.mean(m > 0))
        row["sign flips of m per chain"] = float(np.mean(diagnostics.sign_flips(m)))
    curves: dict[str, Any] = {"slowest": slowest,
                              "acf": {k: autocorrelation(v, 60) if _finite(v) else None for k, v in obs.items()}}
    if power is not None:
        draws = positions.reshape(-1, *positions.shape[2:])
        row["Fourier KL (nats)"] = _safe(diagnostics.fourier_kl, draws, power) if _finite(draws) else float("inf")
        row["n (draws)"] = int(draws.shape[0])
        row["KL bias ≈ N/(2n)"] = power.size / (2.0 * draws.shape[0])
        curves["kl"] = kl_curve(positions, power)
        if run["sampler"] == "langevin":
            row["exact KL, n → ∞ (nats)"] = ula_stationary_kl(power, spectrum, float(energy.kT), run["step_size"])
        elif run["sampler"] in ("diffusion", "unet"):
            row["exact KL, n → ∞ (nats)"] = run["exact_kl"]
        else:  # Metropolis-adjusted: the target is the exact stationary law
            row["exact KL, n → ∞ (nats)"] = 0.0
    return {"row": row, "curves": curves}


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
    return {"trajectory": np.asarray(result.positions[0, :k], np.float64),
            "proposals": np.asarray(result.proposals[0, :k], np.float64),
            "accepted": np.asarray(result.accepted[0, :k]),
            "paths": np.asarray(result.paths[0, : min(k, 12)], np.float64)}


def _run_mcmc(sampler_name, energy, key, x_init, step_size, num_leapfrog, steps, burn_in, adapt, record):
    sampler = make_sampler(sampler_name, step_size, num_leapfrog)
    adapt = adapt and sampler_name != "langevin"
    notes = []

    def go(smp):
        res = run_chains(smp, energy, key, x_init, steps, burn_in=burn_in, record_proposals=record,
                         adapt=adapt, warn=False)
        jax.block_until_ready(res.positions)
        return res

    with timed(SAMPLER_LABELS[sampler_name]) as timing:
        result = go(sampler)
    # Workaround: during adaptation a too-large trial step can freeze every chain for good
    # (run_chains keeps diverged chains frozen); restart adaptation from a smaller ε₀.
    tries = 0
    while adapt and bool(np.any(np.asarray(result.divergent))) and tries < 3:
        tries += 1
        step_size = step_size / 4.0
        notes.append(f"adaptation diverged; restarted it from ε₀ = {step_size:.3g}")
        sampler = make_sampler(sampler_name, step_size, num_leapfrog)
        with timed(SAMPLER_LABELS[sampler_name]) as timing:
            result = go(sampler)
    return result, timing, _warm_seconds(lambda: go(sampler), timing), notes


@st.cache_data(max_entries=48, show_spinner=False)
def run_sampler(target: str, params: tuple[tuple[str, float], ...], size: int, sampler: str, step_size: float,
                num_leapfrog: int, chains: int, steps: int, burn_in: int, adapt: bool, seed: int) -> dict[str, Any]:
    """One sampler on one target: chains, per-step info, diagnostics row and curves.

    positions [C, S, *shape]; energy, accepted, acceptance_prob, delta_H [C, S];
    ``row`` (the table row), ``curves`` (ACF per observable, KL against steps),
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
        return _run_diffusion(target, energy, size, chains, min(steps, UNET_DRAWS), num_leapfrog, seed,
                              checkpoint=unet_checkpoint_for(target, params, size))
    result, timing, seconds, notes = _run_mcmc(sampler, energy, key, x_init, step_size, num_leapfrog, steps,
                                               burn_in, adapt, record)
    run: dict[str, Any] = {
        "sampler": sampler,
        "positions": np.asarray(result.positions),
        "energy": np.asarray(result.energy, np.float64),
        "accepted": np.asarray(result.accepted),
        "acceptance_prob": np.asarray(result.acceptance_prob, np.float64),
        "delta_H": np.asarray(result.delta_H, np.float64),
        "divergent": np.asarray(result.divergent),
        "divergent_step": np.asarray(result.divergent_step) - burn_in,
        "report": notes + divergence_report(result),
        "grad_evals": float(np.sum(np.asarray(result.num_grad_evals))),
        "step_size": float(result.step_size),
        "seconds_warm": seconds,
        "timing": timing,
        "toy": _toy_drawing(result, record),
        "shape": shape,
    }
    power = None if record else gaussian_power(energy, shape)
    spectrum = np.asarray(energy.spectrum(shape), np.float64) if power is not None else None
    run.update(_summary(target, energy, run, power, spectrum))
    run["row"] = {"acceptance": float(np.mean(run["acceptance_prob"])),
                  "acceptance rate": float(np.mean(run["accepted"])), "ε (final)": run["step_size"], **run["row"],
                  "divergent chains": int(np.sum(run["divergent"])), "warm seconds": seconds}
    return run


def _run_diffusion(target, energy, size, chains, steps, inference_steps, seed, checkpoint: str | None = None
                   ) -> dict[str, Any]:
    """Reverse diffusion (DDIM, η = 0) as a sampler: C·S i.i.d. draws arranged as
    [C, S, H, W] to share the MCMC diagnostics. Exact denoiser: cosine schedule
    with T = 1000, and ``exact_kl`` is the loop's exact output KL (every step is
    linear-Gaussian). With a U-Net ``checkpoint``: its own training schedule,
    ``exact_kl`` NaN. A U-Net trained on φ⁴ works the same way; there is no
    exact Gaussian reference then, only the φ⁴ observables."""
    from idf.diffusion import ExactGaussianDenoiser, make_schedule, sample, step_table
    from idf.diffusion.sample import timesteps_for

    shape = (size, size)
    if checkpoint is None:
        schedule = make_schedule("cosine", 1000)
        denoiser = ExactGaussianDenoiser(energy)
    else:
        from idf.models import load_denoiser

        denoiser, info = load_denoiser(checkpoint)
        sched = info["schedule"]
        schedule = make_schedule(sched["name"], int(sched["num_steps"]), float(sched["beta_start"]),
                                 float(sched["beta_end"]))
    n = chains * steps

    def go():
        res = sample(jax.random.key(seed), denoiser, schedule, shape, n,
                     inference_steps=inference_steps, method="ddim", eta=0.0)
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
        "sampler": "diffusion" if checkpoint is None else "unet", "positions": positions, "energy": phi,
        "accepted": np.ones((chains, steps), bool), "acceptance_prob": np.ones((chains, steps)),
        "delta_H": nan, "divergent": np.zeros(chains, bool), "divergent_step": np.full(chains, -1),
        "report": [] if _finite(samples) else ["reverse diffusion produced NaN/inf samples"],
        "grad_evals": float(n * inference_steps), "step_size": float("nan"), "seconds_warm": seconds,
        "timing": timing, "toy": None, "shape": shape,
    }
    power = gaussian_power(energy, shape)
    ab, ab_prev = step_table(schedule, timesteps_for(schedule, inference_steps, "leading"))
    run["exact_kl"] = float("nan") if checkpoint is not None or power is None else diagnostics.gaussian_kl(
        diagnostics.reverse_output_variance(power, ab, ab_prev, method="ddim", eta=0.0), power)
    spectrum = None if power is None else np.asarray(energy.spectrum(shape), np.float64)
    run.update(_summary(target, energy, run, power, spectrum))
    run["row"] = {"acceptance": float("nan"), "acceptance rate": float("nan"), "ε (final)": float("nan"),
                  **run["row"], "divergent chains": 0,
                  "warm seconds": seconds}
    return run


@st.cache_data(max_entries=4, show_spinner=False)
def _shipped() -> list[dict[str, Any]]:
    try:
        from idf.models import shipped_checkpoints

        return [c for c in shipped_checkpoints() if "error" not in c]
    except Exception:  # noqa: BLE001 - no models package, no checkpoints: the option is not offered
        return []


def unet_checkpoint_for(target: str, params: tuple[tuple[str, float], ...], size: int) -> str | None:
    """A shipped U-Net trained on exactly this target (a GFF: size, m², kT; φ⁴:
    size, m², λ, kT), else None."""
    if target not in ("gff", "phi4"):
        return None
    p = {"kT": 1.0, **dict(params)}
    keys = ("mass2", "kT") if target == "gff" else ("mass2", "coupling", "kT")
    for c in _shipped():
        d = c.get("data", {})
        if d.get("target") == target and int(d.get("size", -1)) == size and all(
            k in p and abs(float(d.get(k, 1e9)) - float(p[k])) < 1e-9 for k in keys
        ):
            return c["path"]
    return None


# -- target-level references ---------------------------------------------------------------
@st.cache_data(max_entries=16, show_spinner=False)
def toy_reference(target: str, params: tuple[tuple[str, float], ...], grid: int = 160) -> dict[str, Any]:
    """φ/kT on a grid over the toy's bounds (for contours) and the exact marginal
    densities of x₁ and x₂ by numerical integration of exp(−φ/kT) on that grid."""
    energy = make_target(target, params)
    (x0, x1), (y0, y1) = energy.bounds
    xs, ys = np.linspace(x0, x1, grid), np.linspace(y0, y1, grid)
    pts = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)
    phi = np.asarray(jax.vmap(energy.energy)(jnp.asarray(pts, jnp.result_type(float))), np.float64)
    phi = phi.reshape(grid, grid) / float(energy.kT)  # [y, x]
    dens = np.exp(-(phi - phi.min()))
    dx, dy = xs[1] - xs[0], ys[1] - ys[0]
    p1 = dens.sum(axis=0) * dy
    p2 = dens.sum(axis=1) * dx
    return {"x": xs, "y": ys, "phi": phi, "p1": p1 / (p1.sum() * dx), "p2": p2 / (p2.sum() * dy),
            "bounds": energy.bounds}


@st.cache_data(max_entries=16, show_spinner=False)
def m_reference(target: str, params: tuple[tuple[str, float], ...], size: int, seed: int) -> dict[str, Any]:
    """Reference for the magnetisation m = Σx/N.

    Gaussian targets: exact, m ~ N(0, kT/(N·A(0))) (m = x̂₀/√N for the unitary
    FFT). φ⁴: a long HMC run (16 chains × 2000 steps, ε = 0.08, L = 12),
    symmetrised with −m (exact Z₂ symmetry, so P(m > 0) = ½ even where HMC
    never crosses between the modes).
    """
    energy = make_target(target, params)
    shape = (size, size)
    power = gaussian_power(energy, shape)
    if power is not None:
        sd = math.sqrt(float(power[0, 0]) / (size * size))
        grid = np.linspace(-4.5 * sd, 4.5 * sd, 201)
        density = np.exp(-0.5 * (grid / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
        return {"kind": "exact", "grid": grid, "density": density,
                "label": f"exact N(0, kT/(N·A(0))), sd = {sd:.3g}"}
    if not isinstance(energy, Phi4):
        return {"kind": "none"}
    key_init, key_run = jax.random.split(jax.random.key(seed + 7919))
    x_init = 0.1 * jax.random.normal(key_init, (16, *shape), jnp.result_type(float))
    res = run_chains(HMC(step_size=0.08, num_leapfrog=12), energy, key_run, x_init, 2000, burn_in=300, thin=2,
                     warn=False)
    m = diagnostics.magnetization(np.asarray(res.positions)).ravel()
    m = np.concatenate([m, -m])
    return {"kind": "samples", "m": m,
            "label": f"long HMC (16 × 2000 steps) + Z₂ mirror, n = {m.size}"}


@st.cache_data(max_entries=16, show_spinner=False)
def hmc_sweep(target: str, params: tuple[tuple[str, float], ...], size: int, trajectory_length: float, chains: int,
              seed: int) -> dict[str, Any]:
    """rms ΔH against ε at fixed trajectory length L·ε (HMC with L in
    ``SWEEP_LEAPFROG`` and ε = length/L, 200 steps after 100 burn-in each):
    leapfrog's global error makes rms ΔH ∝ ε²."""
    energy = make_target(target, params)
    x_init, key = initial_positions(target, size, chains, seed)
    rms, acc, eps_list = [], [], []
    with timed("ε² sweep") as timing:
        for leap in SWEEP_LEAPFROG:
            eps = trajectory_length / leap
            eps_list.append(eps)
            res = run_chains(HMC(step_size=eps, num_leapfrog=leap), energy, key, x_init, 200, burn_in=100,
                             warn=False)
            stats = _safe(diagnostics.delta_h_stats, np.asarray(res.delta_H, np.float64))
            rms.append(stats["rms"] if isinstance(stats, dict) else float("nan"))
            acc.append(float(np.mean(np.asarray(res.accepted))))
    eps = np.asarray(eps_list)
    rms = np.asarray(rms)
    ok = np.isfinite(rms) & (rms > 0)
    slope = float(np.polyfit(np.log(eps[ok]), np.log(rms[ok]), 1)[0]) if ok.sum() >= 2 else float("nan")
    return {"eps": eps, "rms": rms, "acceptance": np.asarray(acc), "slope": slope, "timing": timing}


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

    def multiselect(self, name: str, label: str, options: list[str], default: list[str], max_selections: int,
                    format_func=str, help: str | None = None) -> list[str]:
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
        value = list(self.container.multiselect(label, options, key=key, format_func=format_func, help=help,
                                                max_selections=max_selections))
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


def is_gaussian_target(target: str, params: tuple[tuple[str, float], ...]) -> bool:
    energy = make_target(target, params)
    return isinstance(energy, QuadraticEnergy) and gaussian_power(energy, (4, 4)) is not None
