"""Sampler arena: two to four samplers on one target, same seed and same
starting points, each with its own step size; trajectories or animated
fields, one diagnostics table, autocorrelations, KL against the number of
draws and HMC's energy conservation. The target can be typed (custom φ(x)):
then only the checks that need no exact answer are shown."""

import numpy as np
import streamlit as st

from idf import app as ui
from idf import viz
from idf.app import arena, arena_columns, arena_page, live, presentation, snippet
from idf.io.inference_data import chain_inference_data
from idf.viz import arena as arena_viz

st.title("⚔️ Sampler arena")
presentation.apply()
st.caption(
    "Several samplers on one target, from the same seed and the same starting points. Convention: "
    "log p = −φ/kT. Every number is measured after burn-in; ESS per second excludes compilation."
)

live_settings = live.sidebar("arena.live")  # before the Arena's prune reads the URL
state = arena_page.sidebar()
config, custom = state.config, state.custom


def stop_with(message) -> None:
    """An error view: prune the URL (keeping the ε values), keep the live controls, stop."""
    arena_page.with_columns(state, config, None)
    live.keep_in_url(live_settings)
    ui.status(None)
    message()
    st.stop()


if custom and (custom["error"] or custom["improper"]):  # the messages quote φ: code, not Markdown
    head = (
        f"**The expression was not accepted.** {arena.ERROR_HINT}"
        if custom["error"]
        else "**No Boltzmann distribution: nothing to sample** (heuristic probe). Change φ(x) as it suggests:"
    )
    stop_with(lambda: (st.error(head, icon="🚫"), st.code(custom["error"] or custom["improper"], language=None,
                                                           wrap_lines=True)))
reason = None if custom else arena.improper_reason(config.target, config.params, config.size)
if reason is not None:
    stop_with(lambda: st.error(f"**No Boltzmann distribution: nothing to sample.** {reason}", icon="🚫"))
if not config.samplers:
    stop_with(lambda: st.warning("Choose at least one sampler.", icon="⚠️"))
if len(config.samplers) == 1:
    st.info("One sampler chosen: add one to three more to compare them side by side.")

# One column per sampler, each a fragment owning its ε: moving one ε reruns that column only.
config, runs, column_controls = arena_columns.sampler_columns(config, state.toy)
state = arena_page.with_columns(state, config, column_controls)
live.keep_in_url(live_settings)
ui.status(arena.timing_total(runs))
labels = {n: arena.SAMPLER_LABELS[n] for n in runs}
live_config = live.arena_live_config(config)
if live_config is not None:
    with st.expander(f"▶ Live run: {live_config.sampler.upper()} as it samples (Play, or ?live=1)",
                     expanded=live_settings.playing or live.started(live_settings)):
        live.panel(live_config, live_settings)

if custom:
    st.info(
        "A typed φ has no exact reference (no Fourier KL, no exact law of m): judge the samplers by acceptance, "
        "ESS/s, R̂, τ_int, their agreement, HMC's ΔH and equipartition ⟨x·∇φ⟩ = N·kT.",
        icon="ℹ️",
    )

figures, frames = {}, None
positions = {labels[n]: r.result.positions for n, r in runs.items()}
if state.toy:
    ref = arena.toy_reference(config.target, config.params)
    drawings = {labels[n]: r.toy for n, r in runs.items() if r.toy is not None}
    figures["trajectories"] = arena_viz.toy_trajectories(
        ref.grid, drawings, title=f"Chain 0, first {arena.TOY_DRAW_STEPS} steps, over the contours of φ/kT "
        "(HMC: leapfrog paths of the first 12 trajectories)",
    )  # fmt: skip
    samples = {k: p.reshape(-1, 2) for k, p in positions.items()}
    figures["marginals"] = arena_viz.toy_marginals(
        ref.marginals, samples, title="Marginals: all chains and draws against the exact density"
    )
    st.plotly_chart(figures["trajectories"], key="trajectories")
    st.plotly_chart(figures["marginals"], key="marginals")
else:
    frames, frame_labels = arena.lattice_frames(positions)
    st.plotly_chart(
        arena_viz.animated_fields(frames, frame_labels, title="Chain 0 of every sampler, animated together"),
        key="fields",
    )
    t = np.arange(1, config.steps + 1)
    full = {labels[n]: r.result for n, r in runs.items() if r.result.positions.shape[1] == config.steps}
    kT = state.params.get("kT", 1.0)
    mean_phi = {"exact ⟨φ⟩ = N·kT/2": config.size**2 * kT / 2} if state.gaussian else None
    figures["energy_trace"] = viz.line_figure(
        t, {k: r.energy[0] for k, r in full.items()}, x_title="step (after burn-in)", y_title="φ(x) (energy units)",
        title="Energy trace, chain 0", hlines=mean_phi,
    )  # fmt: skip
    figures["m_trace"] = viz.line_figure(
        t, {k: r.positions[0].mean(axis=(-2, -1)) for k, r in full.items()}, x_title="step (after burn-in)",
        y_title="m = Σx/N (field units)", title="Magnetisation trace, chain 0",
    )  # fmt: skip
    left, right = st.columns(2)
    left.plotly_chart(figures["energy_trace"], key="energy_trace")
    right.plotly_chart(figures["m_trace"], key="m_trace")
    with st.spinner("reference for m (exact, or a long HMC run for φ⁴) …"):
        ref = arena.m_reference(config.target, config.params, config.size, config.seed)
    figures["m_hist"] = arena_viz.m_histograms(
        {k: p.mean(axis=(-2, -1)) for k, p in positions.items()}, ref,
        title="Magnetisation m: every chain and draw"
        + (" (no reference for this target)" if ref.kind == "none" else " against the reference"),
    )  # fmt: skip
    st.plotly_chart(figures["m_hist"], key="m_hist")

st.subheader("Diagnostics")
table = arena.results_frame(runs)
st.dataframe(
    table, key="table", column_config={c: st.column_config.NumberColumn(c, format="%.4g") for c in table.columns}
)
st.caption(
    "ESS bulk: rank-normalised split chains (Vehtari et al. 2021). ESS/s and ESS/grad use the slower "
    "observable; ESS/s times a warm run (compile excluded); for diffusion, 'grad' counts denoiser calls. "
    "R̂ and τ_int: worst observable. ⟨x·∇φ⟩/(N·kT) = 1 in equilibrium (equipartition); z is in standard "
    "errors. KL is the Fourier-diagonal estimate: read it with n and the bias of n i.i.d. draws "
    "(≈ (N + n_self)/(4n), n_self = 4 self-conjugate modes on an even lattice); correlated draws count as "
    "n/τ̄, τ̄ the mean τ_int of the modes' power |x̂_k|² (not the table's τ_int, the slowest observable's). "
    "Frozen chains hit a non-finite value; divergent "
    "transitions (HMC, NUTS) have ΔH > 1000 kT, BlackJAX's threshold."
)
figures["efficiency"] = arena_viz.metric_bars(
    arena.efficiency_bars(runs), log=arena.LOG_BARS,
    title="Efficiency at a glance (ESS and τ_int of the slowest observable)",
)  # fmt: skip
st.plotly_chart(figures["efficiency"], key="bars")
obs_names = list(next(iter(runs.values())).curves.acf)
for col, obs in zip(st.columns(len(obs_names)), obs_names, strict=True):
    series = {labels[n]: r.curves.acf[obs] for n, r in runs.items() if r.curves.acf[obs] is not None}
    if series:
        lags = np.arange(max(len(v) for v in series.values()))
        series = {k: v for k, v in series.items() if len(v) == len(lags)}
        figures[f"acf_{obs}"] = viz.line_figure(
            lags, series, x_title="lag (steps)", y_title=f"autocorrelation ρ of {obs} (1)", hlines={"ρ = 0": 0.0},
            title=f"Autocorrelation of {obs}",
        )  # fmt: skip
        col.plotly_chart(figures[f"acf_{obs}"], key=f"acf_{obs}")
kl_curves = {labels[n]: r.curves.kl for n, r in runs.items() if r.curves.kl is not None}
if kl_curves:
    exact = {labels[n]: runs[n].row.exact_kl for n in ("langevin", "diffusion") if n in runs}
    figures["kl_vs_steps"] = arena_viz.kl_steps_figure(
        kl_curves, exact, title="Fourier KL to the exact Gaussian against the number of draws"
    )
    st.plotly_chart(figures["kl_vs_steps"], key="kl")

if "hmc" in runs:
    st.subheader("HMC energy conservation")
    hmc, leap = runs["hmc"], config.num_leapfrog
    row = hmc.row
    nan = float("nan")
    m = st.columns(3)
    m[0].metric("rms ΔH", f"{row.rms_dh if row.rms_dh is not None else nan:.3g} kT")
    m[1].metric(
        "⟨e^{−ΔH}⟩ (exactly 1 in equilibrium)",
        f"{row.exp_dh if row.exp_dh is not None else nan:.3f} ± "
        f"{row.exp_dh_error if row.exp_dh_error is not None else nan:.3f}",
    )
    m[2].metric("frozen chains (non-finite)", row.frozen_chains, help=f"{row.divergent_transitions} divergent "
                "transitions (ΔH > 1000 kT) in all")  # fmt: skip
    left, right = st.columns(2)
    figures["delta_H"] = arena_viz.delta_h_figure(
        hmc.result.delta_H, hmc.frozen_step, title=f"ΔH per trajectory (ε = {row.step_size:.3g}, L = {leap})"
    )
    left.plotly_chart(figures["delta_H"], key="delta_h")
    length = row.step_size * max(leap, 1)
    sweep_key = ("arena.sweep", config.target, config.params, config.size, round(length, 6), config.chains, config.seed)
    if right.button(
        f"Run the ε² sweep ({len(arena.SWEEP_LEAPFROG)} step sizes at fixed L·ε = {length:.3g})", key="arena.sweep"
    ):
        st.session_state["arena.sweep_for"] = sweep_key
    if st.session_state.get("arena.sweep_for") == sweep_key:
        with st.spinner("ε² sweep …"):
            sweep = arena.hmc_sweep(config.target, config.params, config.size, length, config.chains, config.seed)
        figures["eps_sweep"] = arena_viz.eps_scaling_figure(
            sweep.eps, sweep.rms, sweep.slope,
            title=f"rms ΔH against ε at L·ε = {length:.3g}: slope {sweep.slope:.2f} (theory 2)",
        )  # fmt: skip
        right.plotly_chart(figures["eps_sweep"], key="sweep")
    else:
        right.info(
            "The sweep runs HMC at 5 step sizes with the trajectory length L·ε fixed and fits "
            "log rms ΔH against log ε: leapfrog's global error gives slope 2."
        )

name = f"arena_{config.target}"
ui.downloads.buttons(
    name, arena.chain_arrays(runs), arena_page.run_config(state),
    frames=None if frames is None else arena.gif_frames(frames),
    inference_data={labels[n]: (lambda r=r: chain_inference_data(r.result, arena_page.run_config(state)))
                    for n, r in runs.items() if n in arena.MCMC},
)  # fmt: skip
st.download_button(
    "⬇ diagnostics table (.csv)", table.to_csv().encode(), file_name=f"{name}.csv", mime="text/csv",
    on_click="ignore", key="dl.arena.csv",
)  # fmt: skip
with st.expander("⬇ Figures as PNG (redrawn with matplotlib)"):
    png_cols = st.columns(3)
    for i, (fname, fig) in enumerate(figures.items()):
        png_cols[i % 3].download_button(
            f"⬇ {fname}.png", data=lambda f=fig: viz.figure_png(f), file_name=f"{name}_{fname}.png",
            mime="image/png", on_click="ignore", key=f"dl.arena.png.{fname}",
        )  # fmt: skip

snippet.show(arena_page.reproduce_code(state), {k: v for c in state.controls for k, v in c.values.items()})
with st.expander("📖 The physics, and what the design document claims"):
    st.markdown(arena_page.PHYSICS)
arena_columns.drawn(config)
