"""Phase transition: the hopping-form φ⁴ κ scan at fixed λ for several L with
HMC, drawn point by point as the chains finish; ⟨|M|⟩, χ₂ and U₄ against κ
with error bars, the U₄ crossing, τ_int(|M|) against L there with the fitted
dynamic exponent; the literature presets with our HMC reference. The compute
is ``idf.app.phase``; the figures ``idf.viz.phase``."""

import dataclasses
import time

import numpy as np
import streamlit as st

from idf import app as ui
from idf.app import presentation
from idf.app.phase import (
    PRESET_NAMES,
    SIZE_CHOICES,
    PhaseConfig,
    ReferenceConfig,
    is_unverified,
    preset_reference,
    run_scan,
    scan_arrays,
)
from idf.energy.presets import get_preset
from idf.samplers.scan import RESOLVED_RUN, tau_resolved
from idf.viz.phase import errorbar_figure, scaling_figure

D = PhaseConfig()
st.title("🌡️ Phase transition")
presentation.apply()  # projector mode and level (URL: ?projector=1, ?level=student)
st.caption("φ⁴ in the hopping form of Wang, Aarts & Zhou (arXiv 2309.17082), S = Σ_x[−2κ Σ_μ φ_x φ_{x+μ} + "
           "(1−2λ)φ_x² + λφ_x⁴]. As κ grows at fixed λ the Z₂ symmetry breaks: ⟨|M|⟩ rises, χ₂ peaks, and the "
           "Binder cumulant U₄ = 1 − ⟨M⁴⟩/3⟨M²⟩² of different L cross near κ_c. HMC's autocorrelation time of |M| "
           "grows with L there (critical slowing down), τ ∝ L^z.")

c = ui.Controls("phase")
kmin = c.slider("kmin", "κ from", 0.15, 0.35, D.kappa_min, 0.005, fmt="%.3f")
kmax = c.slider("kmax", "κ to", 0.15, 0.40, D.kappa_max, 0.005, fmt="%.3f")
nk = c.int_slider("nk", "number of κ values", 2, 15, D.num_kappas, help="More values: a finer crossing, longer run.")
lam = c.slider("lam", "λ (hopping form)", 0.005, 0.2, D.coupling, 0.001, fmt="%.3f")
sizes = c.select("sizes", "lattice sizes L", SIZE_CHOICES, D.sizes)
chains = c.int_slider("chains", "HMC chains per point", 2, 64, D.chains,
                      help="τ_int gets an error bar (spread over 4 groups of chains) from 8 chains on.")
steps = c.int_slider("steps", "HMC steps kept per chain", 20, 5000, D.steps, 10,
                     help="Near κ_c at L = 32, τ_int(|M|) runs into the hundreds: ask for many times that.")
burn = c.int_slider("burn", "burn-in steps (ε adapted)", 10, 2000, D.burn_in, 10)
seed = c.int_slider("seed", "seed", 0, 999, D.seed)
preset = c.select("preset", "literature preset", PRESET_NAMES, "waz-L16-k0.27")
c.prune()
c.show_warnings()
if kmax <= kmin:
    st.warning(f"κ from {kmin:g} must be below κ to {kmax:g}: showing κ from {kmin:g} to {kmin + 0.02:g}.")
    kmax = kmin + 0.02
cfg = PhaseConfig(kappa_min=kmin, kappa_max=kmax, num_kappas=nk, coupling=lam, sizes=sizes, chains=chains,
                  steps=steps, burn_in=burn, seed=seed)

K_TITLE = "hopping parameter κ (dimensionless)"
row1 = st.columns(3)
slots = [col.empty() for col in row1]
progress = st.empty()
draws: list[int] = []


def draw(scan, kc=(np.nan, np.nan)) -> dict:
    labels = [f"L = {s}" for s in scan.sizes]
    mark = f"U₄ crossing κ_c = {kc[0]:.4f} ± {kc[1]:.4f}" if np.isfinite(kc[0]) else ""
    figs = {
        "abs_M": errorbar_figure(scan.kappas, {lb: (scan.abs_M[i], scan.abs_M_error[i]) for i, lb in enumerate(labels)},
                                 x_title=K_TITLE, y_title="⟨|M|⟩ (hopping field units)", title="Order parameter",
                                 vline=kc, vline_name=mark),
        "chi2": errorbar_figure(scan.kappas, {lb: (scan.chi2[i], scan.chi2_error[i]) for i, lb in enumerate(labels)},
                                x_title=K_TITLE, y_title="χ₂ = V(⟨M²⟩ − ⟨M⟩²) (field units²)",
                                title="Connected susceptibility", vline=kc, vline_name=mark, log_y=True),
        "binder": errorbar_figure(scan.kappas,
                                  {lb: (scan.binder[i], scan.binder_error[i]) for i, lb in enumerate(labels)},
                                  x_title=K_TITLE, y_title="U₄ (dimensionless)", title="Binder cumulant",
                                  vline=kc, vline_name=mark),
    }
    draws.append(1)  # each drawing gets its own element keys: a redrawn identical figure is no duplicate
    for slot, (name, fig) in zip(slots, figs.items(), strict=True):
        slot.plotly_chart(fig, width="stretch", key=f"phase.{name}.{len(draws)}")
    return figs


start = time.perf_counter()


def on_point(done: int, total: int, partial) -> None:
    progress.progress(done / total, text=f"HMC point {done}/{total} done ({time.perf_counter() - start:.1f} s)")
    draw(partial)


result = run_scan(cfg, on_point)
seconds = time.perf_counter() - start
progress.empty()
figs = draw(result.scan, (result.kappa_c, result.kappa_c_error))
ui.status(ui.Timing("κ scan", seconds))

scan = result.scan
cols = st.columns(4)
cols[0].metric("U₄ crossing κ_c", f"{result.kappa_c:.3f} ± {result.kappa_c_error:.3f}"
               if np.isfinite(result.kappa_c) else "no crossing",
               help=f"where U₄(κ) of L = {scan.sizes[0]} and L = {scan.sizes[-1]} cross (linear interpolation)")
z_text = "n/a" if not np.isfinite(result.z) else (
    f"{result.z:.2f} ± {result.z_error:.2f}" if np.isfinite(result.z_error) else f"{result.z:.2f} (no error)")
if np.isfinite(result.z) and not result.z_resolved:
    z_text = f"≥ {z_text}"
cols[1].metric("dynamic exponent z", z_text, help=f"τ_int(|M|) ∝ L^z at κ = {result.kappa_z:.4f}, weighted fit; "
               f"≥ marks a lower bound: some τ there comes from a run shorter than {RESOLVED_RUN} τ")
cols[2].metric("HMC acceptance", f"{np.nanmean(scan.acceptance):.2f}", help="mean over all points (ε adapted)")
cols[3].metric("thermalised points", f"{int(scan.thermalised.sum())}/{scan.thermalised.size}",
               help="⟨|M|⟩ stable over 4 windows after a discard of ≤ half the run, pooled and chain by chain "
                    "(no chain's window mean more than 10 SD from the other chains')")
short = ~tau_resolved(scan.tau, scan.kept) & np.isfinite(scan.tau)
if short.any():
    st.warning(f"τ_int(|M|) is longer than 1/{RESOLVED_RUN} of the kept run at {int(short.sum())} of "
               f"{short.size} points, so it is underestimated there (longest τ_int {np.nanmax(scan.tau[short]):.0f} "
               f"steps; fewest kept steps {int(np.nanmin(scan.kept[short]))}). Raise the steps to resolve it"
               + ("; z is a lower bound." if not result.z_resolved else "."))
if not scan.thermalised.all():
    bad = [f"L = {scan.sizes[i]}, κ = {scan.kappas[j]:.4f}"
           for i, j in zip(*np.nonzero(~scan.thermalised), strict=True)]
    st.warning("Not thermalised (⟨|M|⟩ still drifting, or a chain apart from the others, after discarding half the "
               f"run): {'; '.join(bad)}. Raise the burn-in or the steps.")
if not np.isfinite(result.kappa_c):
    st.info("U₄ of the smallest and largest L do not cross in this κ range: widen it, or add κ values.")

left, right = st.columns([1, 1])
j = int(np.argmin(np.abs(scan.kappas - result.kappa_z)))
fig_tau = scaling_figure(scan.sizes, scan.tau[:, j], scan.tau_error[:, j], result.z, result.z_error,
                         x_title="lattice side L (sites)", y_title="τ_int(|M|) (HMC steps)",
                         title=f"Critical slowing down at κ = {scan.kappas[j]:.4f}")
left.plotly_chart(fig_tau, width="stretch", key="tau_L")
fig_tau_k = errorbar_figure(scan.kappas, {f"L = {s}": (scan.tau[i], scan.tau_error[i])
                                          for i, s in enumerate(scan.sizes)},
                            x_title=K_TITLE, y_title="τ_int(|M|) (HMC steps)", title="τ_int(|M|) across the scan",
                            vline=(result.kappa_c, result.kappa_c_error), vline_name="U₄ crossing", log_y=True)
right.plotly_chart(fig_tau_k, width="stretch", key="tau_k")
st.caption(f"{cfg.chains} chains × {cfg.steps} kept steps per point (HMC, {cfg.leapfrog} leapfrog steps, ε adapted "
           f"to acceptance 0.8 during {cfg.burn_in} burn-in steps); errors are one SE from τ_int, τ's own from the "
           "spread over 4 groups of chains. A τ_int that is a large fraction of the run is itself underestimated: "
           "raise the steps before trusting z.")
figs.update(tau_L=fig_tau, tau_kappa=fig_tau_k)
ui.downloads.buttons(f"phase_scan_lam{lam:g}", scan_arrays(result),
                     {**dataclasses.asdict(cfg), "url": dict(c.values), "seconds": seconds}, figures=figs)

st.subheader("Literature presets")
p = get_preset(preset)
pars = ", ".join(f"{k} = {v:g}" for k, v in p.params.items())
st.markdown(f"**{p.name}**: L = {p.size}, {p.convention} form, {pars}  \nSource: {p.source}  \n{p.note}")
if is_unverified(p.name):
    st.warning(f"These parameters are unverified: {p.unsettled}", icon="⚠️")
st.code(p.cli(), language="bash")
if st.button("Compute our HMC reference", help="16 chains × 400 steps; L = 16 takes about a minute on 2 cores."):
    st.session_state["phase.ref"] = ReferenceConfig(preset=preset, seed=seed)
ref_cfg = st.session_state.get("phase.ref")
if ref_cfg is not None and ref_cfg.preset == preset:
    with st.spinner("HMC reference…"):
        ref = preset_reference(ref_cfg)
    obs = ref.observables
    keys = [k for k in ("abs_M", "abs_m", "chi2", "binder") if k in obs]
    rows = []
    for k in keys:
        pub = p.published.get(k)
        rows.append({"observable": k, "ours (HMC)": f"{obs[k]:.5g} ± {obs[k + '_error']:.2g}",
                     "published": f"{pub[0]:g} ± {pub[1]:g} ({pub[2]})" if pub and pub[1] else
                     (f"{pub[0]:g} ({pub[2]})" if pub else "not quoted")})
    st.table(rows)
    st.caption(f"{ref_cfg.chains} chains × {ref_cfg.steps} steps after {ref_cfg.burn_in} adapting; a further "
               f"{ref.burn_in} discarded; ⟨|M|⟩ {'stable' if ref.thermalised else 'NOT stable'} over 4 windows; "
               f"acceptance {ref.acceptance:.2f}, ε = {ref.step_size:.3g}. χ₂ is connected in the hopping form, "
               "V⟨m²⟩ in the Albergo form.")
else:
    st.caption("Published numbers: " + ("; ".join(f"{k} = {v[0]:g} ({v[2]})" for k, v in p.published.items())
                                        if p.published else "not quoted (none written down with a source)."))
