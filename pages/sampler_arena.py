"""Sampler arena: two to four samplers on one target, same seed and same
starting points, each with its own step size; trajectories or animated
fields, one diagnostics table, autocorrelations, KL against the number of
draws and HMC's energy conservation. The target can be typed (custom φ(x)):
then only the checks that need no exact answer are shown."""

import numpy as np
import streamlit as st

from idf import app as ui
from idf import viz
from idf.app import arena, snippet
from idf.app.targets import CUSTOM_PARAMS, TOY_PARAMS, custom_text_boxes
from idf.viz import arena as arena_viz

# (URL name, library field, label, low, high, default, step) per target.
PARAMS = {
    "gff": [
        ("gff_m2", "mass2", "m² (mass)", 0.05, 5.0, 1.0, 0.05),
        ("gff_kT", "kT", "kT (temperature)", 0.1, 5.0, 1.0, 0.05),
    ],
    "lattice": [
        ("wk", "w_kinetic", "w_k (kinetic weight)", 0.0, 3.0, 1.0, 0.05),
        ("wp", "w_potential", "w_p (interaction weight)", -2.0, 3.0, 1.0, 0.05),
        ("wth", "w_thermal", "w_th (thermal weight; 0 keeps it Gaussian)", 0.0, 2.0, 0.0, 0.05),
        ("m2", "mass2", "m² (our mass term; proper iff m² > 4·w_p)", -2.0, 12.0, 5.0, 0.1),
        ("kT", "kT", "kT (temperature)", 0.1, 5.0, 1.0, 0.05),
    ],
    "phi4": [],  # the phase preset sets m² and λ below
    **TOY_PARAMS,
    arena.CUSTOM: CUSTOM_PARAMS,
}
MCMC = ["langevin", "mala", "mh", "hmc", "nuts"]

st.title("⚔️ Sampler arena")
st.caption(
    "Several samplers on one target, from the same seed and the same starting points. Convention: "
    "log p = −φ/kT. Every number is measured after burn-in; ESS per second excludes compilation."
)

top = arena.ArenaControls("arena")
target = top.select("target", "target φ", list(arena.TARGET_LABELS), "gff", format_func=arena.TARGET_LABELS.get)
toy = arena.is_toy(target)
tc = arena.ArenaControls(f"arena.{target}")
params = {
    field: tc.slider(url, label, lo, hi, default, step) for url, field, label, lo, hi, default, step in PARAMS[target]
}
if target == "phi4":
    phase = tc.select(
        "phase",
        "φ⁴ phase preset (8×8, kT = 1)",
        list(arena.PHI4_PRESETS),
        "symmetric",
        format_func=lambda p: f"{p}: m² = {arena.PHI4_PRESETS[p][0]:g}, λ = {arena.PHI4_PRESETS[p][1]:g}",
    )
    pc = arena.ArenaControls(f"arena.phi4.{phase}")
    params["mass2"] = pc.slider("phi4_m2", "m²", -6.0, 2.0, arena.PHI4_PRESETS[phase][0], 0.1)
    params["coupling"] = pc.slider("phi4_lam", "λ (quartic coupling)", 0.5, 12.0, arena.PHI4_PRESETS[phase][1], 0.1)
else:
    pc = tc
if target == arena.CUSTOM:
    source, params_text = custom_text_boxes(tc)
size = 2 if toy else top.int_slider("L", "lattice side L (field is L×L)", 4, 16, 8)
# A typed φ is parsed and probed first; its cache key is the text and the numbers (None when rejected).
custom = arena.check_custom(source, params_text, params["kT"], size) if target == arena.CUSTOM else None
ptuple = custom["params"] if custom else tuple(sorted(params.items()))
gaussian = not toy and arena.is_gaussian_target(target, ptuple)
unet = None if toy else arena.unet_checkpoint_for(target, ptuple, size)
options = MCMC + (["diffusion"] if gaussian else []) + (["unet"] if unet else [])
chosen = top.multiselect(
    "samplers",
    "samplers (2 to 4, side by side)",
    options,
    ["langevin", "mala", "hmc"],
    4,
    format_func=lambda s: f"{arena.SAMPLER_LABELS[s]}: {arena.SAMPLER_HELP[s]}",
)
family = arena.step_family(target)
sc = arena.ArenaControls(f"arena.{family}")
lo, hi, step = (0.01, 3.0, 0.01) if toy else (0.005, 0.6, 0.005)
settings = {}
for name in chosen:
    if name in ("diffusion", "unet"):
        settings[name] = (
            0.0,
            sc.int_slider(f"{name}_steps", f"{arena.SAMPLER_LABELS[name]}: inference steps (DDIM)", 10, 500, 100, 10),
        )
        continue
    what = "proposal scale σ" if name == "mh" else "step size ε"
    eps = sc.slider(
        f"eps_{name}", f"{arena.SAMPLER_LABELS[name]}: {what}", lo, hi, arena.DEFAULT_STEP[family][name], step
    )
    leap = sc.int_slider("L_hmc", "HMC: leapfrog steps L", 1, 40, 10) if name == "hmc" else 0
    settings[name] = (eps, leap)
chains = top.int_slider("chains", "chains C", 2, 16, 8)
steps = top.int_slider("steps", "steps per chain (after burn-in)", 100, 2000, 500, 50)
burn_in = top.int_slider("burn", "burn-in steps (discarded)", 0, 1000, 200, 50)
adapt = top.toggle(
    "adapt",
    "adapt step sizes during burn-in (target acceptance 0.8)",
    False,
    help="dual averaging; not for ULA (no acceptance probability) or diffusion",
)
seed = top.int_slider("seed", "seed", 0, 999, 0)
controls = [top, tc] + ([pc] if pc is not tc else []) + [sc]
top.prune(*controls[1:])
for c in controls:
    c.show_warnings()

if custom and (custom["error"] or custom["improper"]):  # the messages quote φ: code, not Markdown
    ui.status(None)
    head = (
        f"**The expression was not accepted.** {arena.ERROR_HINT}"
        if custom["error"]
        else "**No Boltzmann distribution: nothing to sample** (heuristic probe). Change φ(x) as it suggests:"
    )
    st.error(head, icon="🚫")
    st.code(custom["error"] or custom["improper"], language=None, wrap_lines=True)
    st.stop()
reason = None if custom else arena.improper_reason(target, ptuple, size)
if reason is not None:
    ui.status(None)
    st.error(f"**No Boltzmann distribution: nothing to sample.** {reason}", icon="🚫")
    st.stop()
if not chosen:
    ui.status(None)
    st.warning("Choose at least one sampler.", icon="⚠️")
    st.stop()
if len(chosen) == 1:
    st.info("One sampler chosen: add one to three more to compare them side by side.")

runs = {}
progress = st.progress(0.0, text="sampling …")
for i, name in enumerate(chosen):
    progress.progress(i / len(chosen), text=f"{arena.SAMPLER_LABELS[name]} ({i + 1} of {len(chosen)}) …")
    eps, leap = settings[name]
    runs[name] = arena.run_sampler(target, ptuple, size, name, eps, leap, chains, steps, burn_in, adapt, seed)
progress.empty()
timing = arena.timing_total(runs)
ui.status(timing)
labels = {n: arena.SAMPLER_LABELS[n] for n in runs}

for name, run in runs.items():
    lines = run["report"]
    if lines:
        more = f"\n- … and {len(lines) - 4} more" if len(lines) > 4 else ""
        bad = int(run["divergent"].sum())
        head = (
            f"{bad} of {chains} chains diverged: its numbers below are not equilibrium values."
            if bad
            else "step-size adaptation diverged and was restarted (the chains below are fine):"
        )
        st.warning(f"**{labels[name]}:** {head}\n- " + "\n- ".join(lines[:4]) + more, icon="💥")

cols = st.columns(len(runs))
for col, (name, run) in zip(cols, runs.items(), strict=True):
    row = run["row"]
    acc = row["acceptance"]
    col.metric(
        f"{labels[name]} acceptance",
        "n/a" if np.isnan(acc) else f"{acc:.3f}",
        help="mean Metropolis acceptance probability ⟨min(1, ratio)⟩, as `idf sample` reports it; "
        "the table also has the fraction accepted (1 for ULA, which never rejects)",
    )
    if "Fourier KL (nats)" in row:
        col.metric(
            f"{labels[name]} Fourier KL",
            f"{row['Fourier KL (nats)']:.3f} nats",
            help=f"n = {row['n (draws)']} draws; finite-sample bias ≈ N/(2n) = {row['KL bias ≈ N/(2n)']:.3f}",
        )
    elif run["equipartition"] is not None:
        eq = run["equipartition"]
        col.metric(
            f"{labels[name]} ⟨x·∇φ⟩ (exact N·kT = {eq['expected']:g})",
            f"{eq['value']:.4g} ± {eq['error']:.2g}",
            help="equipartition: ⟨x·∇φ⟩ = N·kT in equilibrium for any proper energy (integrate by parts); "
            "± is one standard error, sd/√ESS",
        )
    if adapt and name not in ("langevin", "diffusion", "unet"):
        col.caption(f"adapted ε = {run['step_size']:.4g}")

if custom:
    st.info(
        "A typed φ has no exact reference (no Fourier KL, no exact law of m): judge the samplers by acceptance, "
        "ESS/s, R̂, τ_int, their agreement, HMC's ΔH and equipartition ⟨x·∇φ⟩ = N·kT.",
        icon="ℹ️",
    )

figures = {}
if toy:
    ref = arena.toy_reference(target, ptuple)
    drawings = {labels[n]: r["toy"] for n, r in runs.items() if r["toy"] is not None}
    fig_t = arena_viz.toy_trajectories(
        ref,
        drawings,
        title=f"Chain 0, first {arena.TOY_DRAW_STEPS} steps, over "
        "the contours of φ/kT (HMC: leapfrog paths of the first 12 trajectories)",
    )
    st.plotly_chart(fig_t, key="trajectories")
    samples = {labels[n]: r["positions"].reshape(-1, 2) for n, r in runs.items()}
    fig_m = arena_viz.toy_marginals(ref, samples, title="Marginals: all chains and draws against the exact density")
    st.plotly_chart(fig_m, key="marginals")
    figures.update(trajectories=fig_t, marginals=fig_m)
    frames = None
else:
    frames, frame_labels = arena.lattice_frames({labels[n]: r for n, r in runs.items()})
    fig_a = arena_viz.animated_fields(frames, frame_labels, title="Chain 0 of every sampler, animated together")
    st.plotly_chart(fig_a, key="fields")
    t = np.arange(1, steps + 1)
    full = {n: r for n, r in runs.items() if r["positions"].shape[1] == steps}  # the U-Net draws fewer
    left, right = st.columns(2)
    mean_phi = {"exact ⟨φ⟩ = N·kT/2": size * size * params.get("kT", 1.0) / 2} if gaussian else None
    fig_e = viz.line_figure(
        t,
        {labels[n]: r["energy"][0] for n, r in full.items()},
        x_title="step (after burn-in)",
        y_title="φ(x) (energy units)",
        title="Energy trace, chain 0",
        hlines=mean_phi,
    )
    left.plotly_chart(fig_e, key="energy_trace")
    fig_mt = viz.line_figure(
        t,
        {labels[n]: r["positions"][0].mean(axis=(-2, -1)) for n, r in full.items()},
        x_title="step (after burn-in)",
        y_title="m = Σx/N (field units)",
        title="Magnetisation trace, chain 0",
    )
    right.plotly_chart(fig_mt, key="m_trace")
    with st.spinner("reference for m (exact, or a long HMC run for φ⁴) …"):
        ref = arena.m_reference(target, ptuple, size, seed)
    fig_h = arena_viz.m_histograms(
        {labels[n]: r["positions"].mean(axis=(-2, -1)) for n, r in runs.items()},
        ref,
        title="Magnetisation m: every chain and draw"
        + (" (no reference for this target)" if ref["kind"] == "none" else " against the reference"),
    )
    st.plotly_chart(fig_h, key="m_hist")
    figures.update(energy_trace=fig_e, m_trace=fig_mt, m_hist=fig_h)

st.subheader("Diagnostics")
table = arena.results_frame(runs)
st.dataframe(
    table, key="table", column_config={c: st.column_config.NumberColumn(c, format="%.4g") for c in table.columns}
)
st.caption(
    "ESS bulk: rank-normalised split chains (Vehtari et al. 2021). ESS/s and ESS/grad use the slower "
    "observable; ESS/s times a warm run (compile excluded); for diffusion, 'grad' counts denoiser calls. "
    "R̂ and τ_int: worst observable. ⟨x·∇φ⟩/(N·kT) = 1 in equilibrium (equipartition); z is in standard "
    "errors. KL is the Fourier-diagonal estimate: read it with n and its bias N/(2n); correlated draws "
    "raise the bias to ≈ N·τ/(2n)."
)
LOG_BARS = ("ESS per second (1/s)", "ESS per gradient eval. (1)", "τ_int (steps)")
bars = {
    "acceptance (probability)": {labels[n]: r["row"]["acceptance"] for n, r in runs.items()},
    LOG_BARS[0]: {labels[n]: r["row"]["ESS/s"] for n, r in runs.items()},
    LOG_BARS[1]: {labels[n]: r["row"]["ESS/grad"] for n, r in runs.items()},
    LOG_BARS[2]: {labels[n]: r["row"]["τ_int (max, steps)"] for n, r in runs.items()},
}
fig_b = arena_viz.metric_bars(
    bars, log=LOG_BARS, title="Efficiency at a glance (ESS and τ_int of the slowest observable)"
)
st.plotly_chart(fig_b, key="bars")
figures["efficiency"] = fig_b
obs_names = list(next(iter(runs.values()))["curves"]["acf"])
acf_cols = st.columns(len(obs_names))
for col, obs in zip(acf_cols, obs_names, strict=True):
    series = {labels[n]: r["curves"]["acf"][obs] for n, r in runs.items() if r["curves"]["acf"][obs] is not None}
    if series:
        lags = np.arange(max(len(v) for v in series.values()))
        series = {k: v for k, v in series.items() if len(v) == len(lags)}
        fig_c = viz.line_figure(
            lags,
            series,
            x_title="lag (steps)",
            y_title=f"autocorrelation ρ of {obs} (1)",
            hlines={"ρ = 0": 0.0},
            title=f"Autocorrelation of {obs}",
        )
        col.plotly_chart(fig_c, key=f"acf_{obs}")
        figures[f"acf_{obs}"] = fig_c
kl_curves = {labels[n]: r["curves"]["kl"] for n, r in runs.items() if "kl" in r["curves"]}
if kl_curves:
    exact = {labels[n]: runs[n]["row"]["exact KL, n → ∞ (nats)"] for n in ("langevin", "diffusion") if n in runs}
    fig_k = arena_viz.kl_steps_figure(
        kl_curves, exact, title="Fourier KL to the exact Gaussian against the number of draws"
    )
    st.plotly_chart(fig_k, key="kl")
    figures["kl_vs_steps"] = fig_k

if "hmc" in runs:
    st.subheader("HMC energy conservation")
    hmc = runs["hmc"]
    row = hmc["row"]
    m = st.columns(3)
    m[0].metric("rms ΔH", f"{row.get('rms ΔH (kT)', float('nan')):.3g} kT")
    m[1].metric(
        "⟨e^{−ΔH}⟩ (exactly 1 in equilibrium)",
        f"{row.get('⟨e^{−ΔH}⟩', float('nan')):.3f} ± {row.get('± ⟨e^{−ΔH}⟩', float('nan')):.3f}",
    )
    m[2].metric("divergent chains", int(hmc["divergent"].sum()))
    left, right = st.columns(2)
    fig_dh = arena_viz.delta_h_figure(
        hmc["delta_H"],
        hmc["divergent_step"],
        title=f"ΔH per trajectory (ε = {hmc['step_size']:.3g}, L = {settings['hmc'][1]})",
    )
    left.plotly_chart(fig_dh, key="delta_h")
    figures["delta_H"] = fig_dh
    length = hmc["step_size"] * max(settings["hmc"][1], 1)
    sweep_key = ("arena.sweep", target, ptuple, size, round(length, 6), chains, seed)
    if right.button(
        f"Run the ε² sweep ({len(arena.SWEEP_LEAPFROG)} step sizes at fixed L·ε = {length:.3g})", key="arena.sweep"
    ):
        st.session_state["arena.sweep_for"] = sweep_key
    if st.session_state.get("arena.sweep_for") == sweep_key:
        with st.spinner("ε² sweep …"):
            sweep = arena.hmc_sweep(target, ptuple, size, length, chains, seed)
        fig_s = arena_viz.eps_scaling_figure(
            sweep["eps"],
            sweep["rms"],
            sweep["slope"],
            title=f"rms ΔH against ε at L·ε = {length:.3g}: slope {sweep['slope']:.2f} (theory 2)",
        )
        right.plotly_chart(fig_s, key="sweep")
        figures["eps_sweep"] = fig_s
    else:
        right.info(
            "The sweep runs HMC at 5 step sizes with the trajectory length L·ε fixed and fits "
            "log rms ΔH against log ε: leapfrog's global error gives slope 2."
        )

config = {
    "page": "arena",
    "target": target,
    **(arena.custom_config(ptuple) if custom else params),
    "size": size,
    "samplers": ",".join(chosen),
    **{f"step_{n}": s[0] for n, s in settings.items()},
    "leapfrog": settings.get("hmc", (0, 0))[1],
    "chains": chains,
    "steps": steps,
    "burn_in": burn_in,
    "adapt": adapt,
    "seed": seed,
}
ui.downloads.buttons(
    f"arena_{target}", arena.chain_arrays(runs), config, frames=None if frames is None else arena.gif_frames(frames)
)
st.download_button(
    "⬇ diagnostics table (.csv)",
    table.to_csv().encode(),
    file_name=f"arena_{target}.csv",
    mime="text/csv",
    on_click="ignore",
    key="dl.arena.csv",
)
with st.expander("⬇ Figures as PNG (redrawn with matplotlib)"):
    png_cols = st.columns(3)
    for i, (fname, fig) in enumerate(figures.items()):
        png_cols[i % 3].download_button(
            f"⬇ {fname}.png",
            data=lambda f=fig: viz.figure_png(f),
            file_name=f"arena_{target}_{fname}.png",
            mime="image/png",
            on_click="ignore",
            key=f"dl.arena.png.{fname}",
        )

code = [
    "import jax",
    f"from idf.energy import {'parse_energy' if custom else 'make_energy'}",
    "from idf.samplers import make_sampler, run_chains",
    "from idf import diagnostics",
    "",
    *(arena.custom_code(ptuple, size) if custom else [f"energy = {snippet.call('make_energy', target, **params)}"]),
    f"key_init, key_run = jax.random.split(jax.random.key({seed}))",
    (
        f"x0 = jax.random.normal(key_init, ({chains}, 2))"
        if toy
        else f"x0 = 0.5 * jax.random.normal(key_init, ({chains}, {size}, {size}))"
    ),
]
for name, (eps, leap) in settings.items():
    if name == "unet":
        code += [
            f"# U-Net: den, info = idf.models.load_denoiser({unet!r}); sample(..., den, <info['schedule']>, "
            f"inference_steps={leap})"
        ]
        continue
    if name == "diffusion":
        code += [
            "# diffusion: idf.diffusion.sample(jax.random.key(seed), ExactGaussianDenoiser(energy), "
            f"make_schedule('cosine', 1000), ({size}, {size}), {chains * steps}, inference_steps={leap})"
        ]
        continue
    code += [
        f"res = run_chains({snippet.call('make_sampler', name, eps, leap or 10)}, energy, key_run, x0, {steps}, "
        f"burn_in={burn_in}, adapt={adapt and name != 'langevin'})",
        f"print({name!r}, float(res.accepted.mean()), diagnostics.ess_bulk(res.energy))",
    ]
snippet.show(code, {k: v for c in controls for k, v in c.values.items()})

with st.expander("📖 The physics, and what the design document claims"):
    st.markdown(r"""
**Same seed, same start.** Every sampler gets the same starting points (lattice: 0.5·N(0, 1) fields; toys: N(0, I))
and the same PRNG key, exactly as `idf sample --seed` does, so the numbers here equal the command line's.

**Detailed balance.** MH, MALA and HMC accept or reject, so the target is their exact stationary law. The document's
Langevin update x′ = x + (ε/2)∇log p(x) + √ε·z (**ULA**) never rejects: it has **no detailed balance** and is
biased. For a free field each Fourier mode is an AR(1) process with stationary variance
**kT/[A(1 − εA/(4kT))]** instead of kT/A, unstable once εA ≥ 4kT. The KL chart shows ULA flattening at this exact
bias while MALA and HMC keep falling with n.

**KL has a finite-sample bias.** The Fourier-diagonal KL of n i.i.d. draws is ≈ N/(2n) even for a perfect sampler
(N = number of modes); correlated MCMC draws count as n/τ. "KL < 0.1" means nothing without n.

**HMC energy conservation.** Leapfrog is symplectic and reversible but not exact: ΔH per trajectory is the energy
error, rms ΔH ∝ ε² at fixed trajectory length (run the sweep), and ⟨e^{−ΔH}⟩ = 1 exactly in equilibrium.
Divergences (ΔH or φ non-finite) freeze the chain and are reported above, never plotted as NaN.

**φ⁴ phases (8×8, kT = 1, AKS convention).** m² = −4, λ = 8 is on the *symmetric* side (m flips sign often;
Binder U₄ ≈ 0.1); m² = −4, λ = 3 is *broken*: two modes at m ≈ ±0.7. Local samplers, HMC included, **freeze in one
mode**: P(m > 0) = ½ exactly by symmetry, but every chain reports 0 or 1. The reference histogram is a long HMC run
symmetrised by Z₂.

**Equipartition.** ⟨x·∇φ⟩ = N·kT for any proper energy (integrate by parts): a check that needs no exact samples.

**A typed φ** (custom target) is parsed by a whitelist, never run as Python, and probed for directions where it falls
without bound before any sampler runs. It has no exact answer: the samplers agreeing with each other, R̂ ≈ 1 and
equipartition are the evidence, and they cannot see a mode that no chain visits.

| the document claims | what is true (measured above) |
|---|---|
| Langevin, MH and HMC all sample the Boltzmann distribution | only the Metropolis-adjusted ones; ULA's bias is exact |
| "detailed balance" as a physics constraint | a property of the accept/reject step, not of the energy |
| KL < 0.1 | depends on n: report n (or ESS) beside every KL |
""")
