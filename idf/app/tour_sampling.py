"""Tour views of the Energy page and the Sampler arena: the step's URL state
becomes the page's own config (``EnergyPageConfig``, ``ArenaConfig``), the
page's compute runs (``energy_view``, ``run_sampler``, ``hmc_sweep``,
``m_reference``), ``idf.viz`` draws, and the narration's numbers come from the
result (``<name>_<sampler>`` for each sampler the step runs, e.g. ``acc_hmc``).
"""

from __future__ import annotations

import math

import numpy as np

from idf import viz
from idf.app import arena, energy
from idf.app.arena_config import IID, INFERENCE_RANGE, MCMC, ArenaConfig, SamplerRun
from idf.app.arena_page import PARAMS as ARENA_PARAMS
from idf.app.arena_targets import PHI4_PRESETS, TARGET_LABELS, is_toy
from idf.app.tour_base import Field, State, StepView, View, fixed
from idf.viz import arena as arena_viz

SAMPLERS = MCMC + IID
ARENA_COMMON: dict[str, Field] = {
    "target": Field(str, choices=tuple(t for t in TARGET_LABELS if t != "custom")),
    "L": Field(int, 4, 16),
    "samplers": Field(str),
    "chains": Field(int, 2, 16),
    "steps": Field(int, 100, 2000),
    "burn": Field(int, 0, 1000),
    "adapt": Field(bool),
    "seed": Field(int, 0, 999),
    "L_hmc": Field(int, 1, 40),
    "phase": Field(str, choices=tuple(PHI4_PRESETS)),
    "phi4_m2": Field(float, -6.0, 2.0),
    "phi4_lam": Field(float, 0.5, 12.0),
}
ENERGY_COMMON: dict[str, Field] = {
    "energy": Field(str, choices=tuple(k for k in energy.PARAMS if k != energy.CUSTOM)),
    "L": Field(int, 4, 64),
    "seed": Field(int, 0, 999),
}


def _rows(table: dict, name: str) -> dict[str, Field]:
    return {url: Field(float, lo, hi) for url, _, _, lo, hi, _, _ in table.get(name, [])}


def arena_fields(state: State) -> dict[str, Field]:
    """The arena's URL parameters for this state's target and samplers."""
    target = state.get("target", ArenaConfig.target)
    toy = is_toy(target)
    lo, hi = (0.01, 3.0) if toy else (0.005, 0.6)
    out = {**ARENA_COMMON, **_rows(ARENA_PARAMS, target)}
    out.update({f"eps_{s}": Field(float, lo, hi) for s in MCMC})
    out.update({f"{s}_steps": Field(int, *INFERENCE_RANGE[:2]) for s in IID})  # the Arena slider's range
    return out


def energy_fields(state: State) -> dict[str, Field]:
    return {**ENERGY_COMMON, **_rows(energy.PARAMS, state.get("energy", energy.DEFAULTS.energy))}


def samplers_of(state: State) -> tuple[str, ...]:
    raw = state.get("samplers")
    return ArenaConfig.samplers if raw is None else tuple(s.strip() for s in str(raw).split(",") if s.strip())


def check_samplers(state: State) -> str | None:
    chosen = samplers_of(state)
    bad = [s for s in chosen if s not in SAMPLERS]
    if bad:
        return f"unknown sampler {bad[0]!r} (choose from {', '.join(SAMPLERS)})"
    if not 1 <= len(chosen) <= 4:
        return "the arena runs 1 to 4 samplers"
    return None


def arena_config(state: State) -> ArenaConfig:
    """The arena's config for this URL state (the page's defaults elsewhere)."""
    target = state.get("target", ArenaConfig.target)
    params = {field: float(state.get(url, default)) for url, field, _, _, _, default, _ in ARENA_PARAMS[target]}
    if target == "phi4":
        m2, lam = PHI4_PRESETS[state.get("phase", "symmetric")]
        params.update(mass2=float(state.get("phi4_m2", m2)), coupling=float(state.get("phi4_lam", lam)), kT=1.0)
    chosen = samplers_of(state)
    d = ArenaConfig()
    return ArenaConfig(
        target=target, params=tuple(sorted(params.items())), size=2 if is_toy(target) else int(state.get("L", d.size)),
        samplers=chosen, step_sizes=tuple((s, float(state[f"eps_{s}"])) for s in chosen if f"eps_{s}" in state),
        num_leapfrog=int(state.get("L_hmc", d.num_leapfrog)),
        inference_steps=tuple((s, int(state[f"{s}_steps"])) for s in chosen if f"{s}_steps" in state),
        chains=int(state.get("chains", d.chains)), steps=int(state.get("steps", d.steps)),
        burn_in=int(state.get("burn", d.burn_in)), adapt=bool(state.get("adapt", d.adapt)),
        seed=int(state.get("seed", d.seed)),
    )  # fmt: skip


def _value(x: float | None) -> float:
    return float("nan") if x is None else float(x)


def _runs(state: State) -> tuple[ArenaConfig, dict[str, SamplerRun], dict]:
    c = arena_config(state)
    runs = {s: arena.run_sampler(c.run_spec(s)) for s in c.samplers}
    numbers: dict = {"chains": c.chains, "steps": c.steps, "L": c.size, "leapfrog": c.num_leapfrog}
    for s, r in runs.items():
        row = r.row
        numbers.update({f"acc_{s}": row.acceptance, f"eps_{s}": row.step_size, f"kl_{s}": _value(row.fourier_kl),
                        f"exact_kl_{s}": _value(row.exact_kl), f"kl_bias_{s}": _value(row.kl_bias),
                        f"ess_grad_{s}": row.ess_per_grad, f"tau_{s}": row.tau_int, f"rhat_{s}": row.rhat,
                        f"rms_dh_{s}": _value(row.rms_dh), f"exp_dh_{s}": _value(row.exp_dh),
                        f"div_{s}": row.divergent_transitions, f"frozen_{s}": row.frozen_chains,
                        f"ppos_{s}": _value(row.p_m_positive), f"flips_{s}": _value(row.sign_flips)})
    return c, runs, numbers


def _sampler_names(state: State) -> set[str]:
    per = ("acc", "eps", "kl", "exact_kl", "kl_bias", "ess_grad", "tau", "rhat", "rms_dh", "exp_dh", "div", "frozen",
           "ppos", "flips")
    return {"chains", "steps", "L", "leapfrog"} | {f"{p}_{s}" for p in per for s in samplers_of(state)}


def _labels(runs: dict) -> dict[str, str]:
    return {s: arena.SAMPLER_LABELS[s] for s in runs}


def _kl(state: State) -> StepView:
    _, runs, numbers = _runs(state)
    labels = _labels(runs)
    curves = {labels[s]: r.curves.kl for s, r in runs.items() if r.curves.kl is not None}
    exact = {labels[s]: runs[s].row.exact_kl for s in ("langevin", "diffusion") if s in runs}
    fig = arena_viz.kl_steps_figure(curves, exact, title="Fourier KL to the exact target against the draws")
    return StepView(fig, numbers, "Dashed: the KL of n perfect i.i.d. draws; dotted: a sampler's exact n → ∞ KL.")


def _bars(state: State) -> StepView:
    _, runs, numbers = _runs(state)
    fig = arena_viz.metric_bars(arena.efficiency_bars(runs), log=arena.LOG_BARS, title="Efficiency at a glance")
    return StepView(fig, numbers, "ESS and τ_int of the slowest observable; higher ESS per gradient is better.")


def _dh(state: State) -> StepView:
    c, runs, numbers = _runs(state)
    name = next((s for s in ("hmc", "nuts") if s in runs), next(iter(runs)))
    r = runs[name]
    fig = arena_viz.delta_h_figure(r.result.delta_H, r.frozen_step,
                                   title=f"{arena.SAMPLER_LABELS[name]}: ΔH per trajectory (ε = {r.row.step_size:.3g})")
    return StepView(fig, numbers, "ΔH = 0 for exact Hamiltonian dynamics; leapfrog's error is what gets rejected.")


def _sweep(state: State) -> StepView:
    c, runs, numbers = _runs(state)
    length = c.step_size("hmc") * c.num_leapfrog
    sw = arena.hmc_sweep(c.target, c.params, c.size, length, c.chains, c.seed)
    fig = arena_viz.eps_scaling_figure(sw.eps, sw.rms, sw.slope, title=f"rms ΔH against ε at trajectory length "
                                                                     f"{length:.3g}")
    ok = np.isfinite(sw.rms)
    numbers.update(slope=sw.slope, rms_small=float(sw.rms[ok][np.argmin(sw.eps[ok])]),
                   rms_large=float(sw.rms[ok][np.argmax(sw.eps[ok])]), eps_small=float(sw.eps[ok].min()),
                   eps_large=float(sw.eps[ok].max()), length=length)
    return StepView(fig, numbers, "Fixed trajectory length L·ε; leapfrog's global error gives rms ΔH ∝ ε².")


def _m_hist(state: State) -> StepView:
    c, runs, numbers = _runs(state)
    ref = arena.m_reference(c.target, c.params, c.size, c.seed)
    m = {arena.SAMPLER_LABELS[s]: r.result.positions.mean(axis=(-2, -1)) for s, r in runs.items()}
    fig = arena_viz.m_histograms(m, ref, title="Magnetisation m over every chain and draw")
    return StepView(fig, numbers, f"Reference: {ref.label or 'none'}.")


def energy_config(state: State) -> energy.EnergyPageConfig:
    """The Energy page's config for this URL state (a built-in energy)."""
    name = state.get("energy", energy.DEFAULTS.energy)
    params = {field: float(state.get(url, default)) for url, field, _, _, _, default, _ in energy.PARAMS[name]}
    d = energy.DEFAULTS
    return energy.EnergyPageConfig(name, tuple(sorted(params.items())), int(state.get("L", d.size)),
                                   int(state.get("seed", d.seed)))


def _energy_numbers(c: energy.EnergyPageConfig, view) -> dict:
    p = dict(c.params)
    a_min = _value(view.a_min)
    m2 = p.get("mass2", math.nan)
    return dict(a_min=a_min, m2=m2, wp=p.get("w_potential", math.nan), kT=p.get("kT", math.nan),
                m2_needed=m2 - a_min, mean_energy=_value(view.mean_energy), N=c.size**2,
                verdict="has no Boltzmann distribution" if view.improper else "is normalisable",
                total=view.field.terms.get("total", math.nan))


_ENERGY = ("a_min", "m2", "wp", "kT", "m2_needed", "mean_energy", "N", "verdict", "total")


def _spectrum(state: State) -> StepView:
    c = energy_config(state)
    view = energy.energy_view(c)
    fig = viz.spectrum_figure(view.spectrum, view.lam, title="A(k) of the quadratic part: red modes have A ≤ 0")
    return StepView(fig, _energy_numbers(c, view), view.improper or "Every mode has A(k) > 0.")


def _field(state: State) -> StepView:
    c = energy_config(state)
    view = energy.energy_view(c)
    fig = viz.field_heatmap(view.field.values, title=f"A field drawn from it ({view.field.source})")
    return StepView(fig, _energy_numbers(c, view), view.improper or "")


def _site(state: State) -> StepView:
    c = energy_config(state)
    view = energy.energy_view(c)
    fig = viz.site_potential_figure(energy.SITE_C, view.site_potential, title="φ⁴ per site at constant fields c")
    site = np.asarray(view.site_potential)
    i = int(np.argmin(site))
    zero = int(np.argmin(np.abs(energy.SITE_C)))
    p = dict(c.params)
    barrier = float(site[zero] - site[i])  # per site, energy units
    numbers = dict(well=abs(float(energy.SITE_C[i])), depth=float(site[i]), barrier=barrier, m2=p["mass2"],
                   lam=p["coupling"], kT=p["kT"], barrier_kT_per_site=barrier / p["kT"],
                   barrier_kT=barrier * c.size**2 / p["kT"], N=c.size**2)
    return StepView(fig, numbers, "A constant field c costs φ(c·𝟙); with m² < 0 there are two wells at ±c*.")


_arena = _sampler_names
VIEWS: dict[tuple[str, str], View] = {
    ("arena", "kl"): View(_kl, _arena),
    ("arena", "bars"): View(_bars, _arena),
    ("arena", "dh"): View(_dh, _arena),
    ("arena", "sweep"): View(_sweep, lambda s: _arena(s) | {"slope", "rms_small", "rms_large", "eps_small",
                                                            "eps_large", "length"}),
    ("arena", "m_hist"): View(_m_hist, _arena),
    ("energy", "spectrum"): View(_spectrum, fixed(*_ENERGY)),
    ("energy", "field"): View(_field, fixed(*_ENERGY)),
    ("energy", "site"): View(_site, fixed("well", "depth", "barrier", "m2", "lam", "kT", "barrier_kT_per_site",
                                          "barrier_kT", "N")),
}
