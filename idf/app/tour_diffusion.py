"""Tour views of the Forward and Reverse pages: the step's URL state becomes the
page's own config (``ForwardConfig``, ``ReverseConfig``), the page's compute
runs, ``idf.viz`` draws, and the numbers the narration quotes come from the
result. The tempering view adds the exact Gaussian answer: p^{1/T} of a
Gaussian target has T times its covariance.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from idf import diagnostics, viz
from idf.app import forward, reverse
from idf.app.forward import ForwardConfig
from idf.app.reverse import ImproperTarget, ReverseConfig, ReverseRun
from idf.app.tour_base import Field, State, StepView, View, fixed
from idf.diffusion import GUIDANCE_FORMS, SCHEDULES, SOLVERS, SPACINGS, make_schedule, step_table, timesteps_for

_S = tuple(str(s) for s in SCHEDULES)
# URL name -> (config field, Field), as each page's sidebar reads them.
FORWARD_URL: dict[str, tuple[str, Field]] = {
    "data": ("data", Field(str, choices=("gff", "image", "phi4"))),
    "L": ("size", Field(int, 4, 32)),
    "batch": ("batch", Field(int, 4, 128)),
    "phi4_m2": ("mass2", Field(float, -6.0, 2.0)),
    "phi4_lam": ("coupling", Field(float, 0.5, 12.0)),
    "m2": ("mass2", Field(float, 0.05, 5.0)),
    "kT": ("kT", Field(float, 0.1, 5.0)),
    "schedule": ("schedule", Field(str, choices=_S)),
    "T": ("num_steps", Field(int, 10, 2000)),
    "beta_start": ("beta_start", Field(float, 1e-5, 5e-3)),
    "beta_end": ("beta_end", Field(float, 5e-3, 0.1)),
    "guided": ("guided", Field(bool)),
    "strength": ("strength", Field(float, 0.0, 200.0)),
    "seed": ("seed", Field(int, 0, 999)),
}
REVERSE_URL: dict[str, tuple[str, Field]] = {
    "target": ("target", Field(str, choices=("gff", "lattice"))),
    "L": ("size", Field(int, 4, 32)),
    "m2": ("mass2", Field(float, -1.0, 12.0)),
    "kT": ("kT", Field(float, 0.1, 5.0)),
    "wk": ("w_kinetic", Field(float, 0.0, 3.0)),
    "wp": ("w_potential", Field(float, -2.0, 3.0)),
    "schedule": ("schedule", Field(str, choices=_S)),
    "T": ("num_steps", Field(int, 10, 2000)),
    "beta_start": ("beta_start", Field(float, 1e-5, 5e-3)),
    "beta_end": ("beta_end", Field(float, 5e-3, 0.1)),
    "method": ("solver", Field(str, choices=tuple(str(s) for s in SOLVERS))),
    "steps": ("inference_steps", Field(int, 1, 500)),
    "eta": ("eta", Field(float, 0.0, 1.0)),
    "spacing": ("spacing", Field(str, choices=tuple(str(s) for s in SPACINGS))),
    "temp": ("temperature", Field(float, 0.1, 3.0)),
    "gform": ("guidance_form", Field(str, choices=tuple(str(s) for s in GUIDANCE_FORMS))),
    "guidance": ("guidance_scale", Field(float, -2.0, 2.0)),
    "denoiser": ("denoiser", Field(str, choices=("exact", "energy"))),
    "conserve": ("conserve", Field(bool)),
    "seed": ("seed", Field(int, 0, 999)),
    "n": ("batch", Field(int, 4, 1024)),
}


def _fields(table: dict[str, tuple[str, Field]], state: State) -> dict:
    return {table[k][0]: (float(v) if table[k][1].kind is float else v) for k, v in state.items()}


def forward_config(state: State) -> ForwardConfig:
    """The Forward page's config for this URL state (its own defaults elsewhere)."""
    kw = _fields(FORWARD_URL, {k: v for k, v in state.items() if not k.startswith("phi4_")})
    if state.get("data") == "phi4":
        kw["mass2"] = float(state.get("phi4_m2", forward.PHI4_MASS2))
        kw["coupling"] = float(state.get("phi4_lam", ForwardConfig.coupling))
    return ForwardConfig(**kw)


def reverse_config(state: State) -> ReverseConfig:
    """The Reverse page's config for this URL state (lattice target: m² defaults to LATTICE_MASS2)."""
    kw = _fields(REVERSE_URL, state)
    if state.get("target") == "lattice" and "m2" not in state:
        kw["mass2"] = reverse.LATTICE_MASS2
    if kw.get("solver", "ddim") != "ddim":
        kw["eta"] = 0.0  # the page offers η for DDIM only
    return ReverseConfig(**kw)


def _proper(run: ReverseRun | ImproperTarget) -> ReverseRun:
    if isinstance(run, ImproperTarget):
        raise ValueError(f"this step's target has no Boltzmann distribution: {run.reason}")
    return run


def _noising(state: State) -> StepView:
    c = forward_config(state)
    run = forward.forward_run(c)
    want = np.linspace(0, c.num_steps, 5)
    pick = [int(np.argmin(np.abs(run.frame_t - t))) for t in want]
    fig = viz.field_grid(run.frames[pick], cols=5, title="x_t at five times (sample 0)")
    for ann, i in zip(fig.layout.annotations, pick, strict=False):
        ann.text = f"t = {run.frame_t[i]}"
    ab = run.alpha_bar
    mid = c.num_steps // 2
    numbers = dict(T=c.num_steps, alpha_bar_mid=float(ab[mid - 1]), alpha_bar_end=float(ab[-1]),
                   signal_mid=float(np.sqrt(ab[mid - 1])), noise_mid=float(np.sqrt(1 - ab[mid - 1])),
                   phi_start=float(run.energy.mean[0]), phi_end=float(run.energy.mean[-1]), L=c.size,
                   t_quarter=c.num_steps // 4, t_half=mid)
    return StepView(fig, numbers, f"Forward chain on {c.data} data, {c.schedule} schedule, T = {c.num_steps}.")


def _schedule(state: State) -> StepView:
    c = forward_config(state)
    curves = forward.schedule_curves(c.num_steps, c.beta_start, c.beta_end)
    t = np.arange(1, c.num_steps + 1)
    fig = viz.line_figure(t, {f"ᾱ_t, {name}": v.alpha_bar for name, v in curves.items()},
                          x_title="timestep t", y_title="ᾱ_t (signal variance kept, 1)",
                          hlines={"ᾱ = ½ (signal = noise)": 0.5}, title="How much signal each schedule keeps")
    own = curves[c.schedule]
    mid = c.num_steps // 2
    numbers = {"T": c.num_steps, "alpha_bar_mid": float(own.alpha_bar[mid - 1]),
               "snr_mid": float(own.snr[mid - 1]), "snr_end": float(own.snr[-1]),
               "alpha_bar_end": float(own.alpha_bar[-1])}
    for name, v in curves.items():
        below = np.flatnonzero(v.alpha_bar < 0.5)
        numbers[f"t_half_{name}"] = int(below[0] + 1) if below.size else c.num_steps
    return StepView(fig, numbers, "ᾱ_t = Π(1 − β_s): SNR = ᾱ/(1 − ᾱ).")


def _entropy(state: State) -> StepView:
    c = forward_config(state)
    run = forward.forward_run(dataclasses.replace(c, data="gff"))
    ex = run.exact
    fig = viz.line_figure(run.t, {"H(t), exact entropy of q_t": ex.entropy - ex.entropy[-1],
                                  "KL(q_t ‖ N(0, I)), exact": ex.kl},
                          x_title="timestep t", y_title="nats (H shifted so that H(T) = 0)",
                          title="Entropy is not monotone; the KL to the prior is")
    numbers = dict(kT=c.kT, entropy_rise_pct=100 * ex.entropy_rises, kl_rise_pct=100 * ex.kl_rises,
                   falling_modes=ex.falling_modes, num_modes=ex.num_modes, kl_start=float(ex.kl[0]),
                   kl_end=float(ex.kl[-1]), entropy_peak_t=int(np.argmax(ex.entropy)),
                   entropy_change=float(ex.entropy[-1] - ex.entropy[0]))
    return StepView(fig, numbers, f"Exact curves for a GFF with m² = {c.mass2:g}, kT = {c.kT:g}.")


def _loop_numbers(c: ReverseConfig, run: ReverseRun) -> dict:
    s = run.scores
    nan = float("nan")
    return dict(exact_loop_kl=nan if run.exact_loop_kl is None else run.exact_loop_kl,
                fourier_kl=s.fourier_kl if s else nan, kl_bias=s.kl_bias if s else nan,
                frechet=s.frechet if s else nan, n=run.n, steps=c.inference_steps, solver=c.solver.upper(),
                T=c.num_steps, mean_energy=run.mean_energy, phi_end=float(run.energy.mean[-1]))


def _power_lines(power: np.ndarray, series: dict[str, np.ndarray], title: str, dashed=()) -> object:
    order = np.argsort(power.ravel())[::-1]
    return viz.line_figure(np.arange(order.size), {k: np.asarray(v).ravel()[order] for k, v in series.items()},
                           x_title="Fourier mode, sorted by exact variance", y_title="E|x̂_k|² (field units², log)",
                           log_y=True, dashed=dashed, title=title)


def _loop(state: State) -> StepView:
    c = reverse_config(state)
    run = _proper(reverse.reverse_run(c))
    series = {"exact target P_k = kT/A(k)": run.power}
    if run.scores:
        series[f"{c.solver.upper()}, {c.inference_steps} steps (n = {run.n})"] = run.scores.empirical_power
    fig = _power_lines(run.power, series, "Power spectrum of the samples against the exact target",
                       dashed=("exact target P_k = kT/A(k)",))
    return StepView(fig, _loop_numbers(c, run), "Every score is against the exact Gaussian target.")


def exact_loop_kl(c: ReverseConfig, solver: str, inference_steps: int) -> float:
    """The exact output KL of the exact-denoiser loop with ``inference_steps`` steps (nats)."""
    sched = make_schedule(c.schedule, c.num_steps, c.beta_start, c.beta_end)
    ab, ab_prev = step_table(sched, timesteps_for(sched, inference_steps, c.spacing))
    power = np.asarray(reverse.reverse_target(c).covariance_spectrum((c.size, c.size)), np.float64)
    v = diagnostics.reverse_output_variance(power, ab, ab_prev, method=solver, eta=c.eta if solver == "ddim" else 0.0,
                                            temperature=c.temperature)
    return diagnostics.gaussian_kl(v, power)


def _step_cost(state: State) -> StepView:
    c = reverse_config(state)
    run = _proper(reverse.reverse_run(c))
    grid = sorted({s for s in (2, 5, 10, 20, 50, 100, 200, 500, 1000) if s <= c.num_steps} | {c.inference_steps})
    kl = {solver: np.array([exact_loop_kl(c, solver, s) for s in grid]) for solver in ("ddim", "ddpm")}
    fig = viz.line_figure(np.asarray(grid), {f"{k.upper()}, exact loop KL": v for k, v in kl.items()},
                          x_title="inference steps S (log)", y_title="exact KL of the loop's output (nats, log)",
                          log_y=True, hlines={"0.1 nats": 0.1}, title="What a short loop costs, exactly")
    viz.log_axis(fig, "x")
    numbers = _loop_numbers(c, run)
    numbers.update(kl_ddim=float(kl["ddim"][grid.index(c.inference_steps)]),
                   kl_ddpm=float(kl["ddpm"][grid.index(c.inference_steps)]),
                   kl_ddim_full=float(kl["ddim"][-1]), kl_ddpm_full=float(kl["ddpm"][-1]), full=grid[-1])
    return StepView(fig, numbers, "Exact: every step of the exact-denoiser loop is linear-Gaussian.")


NEAR_ONE = 0.05  # the smallest guidance scale the tempering view measures (T = 1/1.05)


def _variance_ratio(run: ReverseRun, power: np.ndarray) -> float:
    """Mean over modes of the measured E|x̂_k|² over the target's P_k (NaN with < 2 finite samples)."""
    return float(np.mean(run.scores.empirical_power / power)) if run.scores else float("nan")


def _tempering(state: State) -> StepView:
    """Sampling temperature T and guidance scale s = 1/T − 1 (σ-scaled form) against the exact p^{1/T},
    at the state's T and on a grid of T around 1."""
    c = reverse_config(state)
    shape = (c.size, c.size)

    def runs(temp: float) -> tuple[ReverseRun, ReverseRun]:
        scale = 1.0 / temp - 1.0
        guided = dataclasses.replace(c, temperature=1.0, guidance_scale=scale, guidance_form="scaled")
        return (_proper(reverse.reverse_run(dataclasses.replace(c, temperature=temp))),
                _proper(reverse.reverse_run(guided)))

    temp = c.temperature
    tempered, guided = runs(temp)
    power = tempered.power
    # The exact answer: p^{1/T} = exp(−φ/(T·kT)) is the same energy at temperature T·kT.
    exact = np.asarray(reverse.reverse_target(dataclasses.replace(c, kT=c.kT * temp)).covariance_spectrum(shape),
                       np.float64)
    grid = sorted({0.5, 0.8, 1 / (1 + NEAR_ONE), 1.0, 1 / (1 - NEAR_ONE), 1.25, 2.0, temp})
    measured = {t: runs(t) for t in grid}
    fig = viz.line_figure(np.asarray(grid), {
        "exact p^(1/T): T (library covariance)": np.asarray(grid),
        "measured: sampling temperature T": np.array([_variance_ratio(a, power) for a, _ in measured.values()]),
        "measured: σ-scaled guidance s = 1/T − 1": np.array([_variance_ratio(b, power)
                                                              for _, b in measured.values()]),
    }, x_title="T (guidance s = 1/T − 1; log)", y_title="output variance / target variance (mean over modes, log)",
        log_y=True, dashed=("exact p^(1/T): T (library covariance)",), title="One dial, two ways to turn it")
    viz.log_axis(fig, "x")
    near = measured[1 / (1 + NEAR_ONE)][1]
    kl = {label: diagnostics.fourier_kl(run.samples[: run.n], exact) if run.n >= 2 else float("nan")
          for label, run in (("temp", tempered), ("guided", guided))}
    numbers = dict(temp=temp, guidance_equiv=1.0 / temp - 1.0, ratio_exact=float(np.mean(exact / power)),
                   ratio_temp=_variance_ratio(tempered, power), ratio_guided=_variance_ratio(guided, power),
                   kl_temp=kl["temp"], kl_guided=kl["guided"], n=tempered.n, steps=c.inference_steps,
                   s_near=NEAR_ONE, t_near=1 / (1 + NEAR_ONE), ratio_guided_near=_variance_ratio(near, power))
    return StepView(fig, numbers, "p^{1/T} ∝ exp(−φ/(T·kT)); guidance adds s·∇log p, so at t = 0 the score becomes "
                                  "(1 + s)·∇log p = ∇log p^{1+s}: T = 1/(1 + s).")


_LOOP = ("exact_loop_kl", "fourier_kl", "kl_bias", "frechet", "n", "steps", "solver", "T", "mean_energy", "phi_end")
VIEWS: dict[tuple[str, str], View] = {
    ("forward", "noising"): View(_noising, fixed("T", "alpha_bar_mid", "alpha_bar_end", "signal_mid", "noise_mid",
                                                 "phi_start", "phi_end", "L", "t_quarter", "t_half")),
    ("forward", "schedule"): View(_schedule, fixed("T", "alpha_bar_mid", "snr_mid", "snr_end", "alpha_bar_end",
                                                   *(f"t_half_{s}" for s in _S))),
    ("forward", "entropy"): View(_entropy, fixed("kT", "entropy_rise_pct", "kl_rise_pct", "falling_modes",
                                                 "num_modes", "kl_start", "kl_end", "entropy_peak_t",
                                                 "entropy_change")),
    ("reverse", "loop"): View(_loop, fixed(*_LOOP)),
    ("reverse", "step_cost"): View(_step_cost, fixed(*_LOOP, "kl_ddim", "kl_ddpm", "kl_ddim_full", "kl_ddpm_full",
                                                     "full")),
    ("reverse", "tempering"): View(_tempering, fixed("temp", "guidance_equiv", "ratio_exact", "ratio_temp",
                                                     "ratio_guided", "kl_temp", "kl_guided", "n", "steps",
                                                     "s_near", "t_near", "ratio_guided_near")),
}
URLS = {"forward": FORWARD_URL, "reverse": REVERSE_URL}
