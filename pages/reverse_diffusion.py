"""Reverse diffusion: x_T ~ N(0, T_s·I) → x₀ with DDPM/DDIM, a denoiser, optional
energy guidance and the document's "energy conservation" rescaling; scored
against the exact Gaussian target."""

import os

import numpy as np
import streamlit as st

from idf import app as ui
from idf import viz
from idf.app import _common, data, linked, live_chain, presentation, reverse, reverse_live, snippet, tempering
from idf.app.reverse import ImproperTarget, ReverseConfig
from idf.diffusion import GUIDANCE_FORMS, SCHEDULES, SOLVERS, SPACINGS

st.title("⬅️ Reverse diffusion")
presentation.apply()  # projector mode and level (URL: ?projector=1, ?level=student)
st.caption("Every step predicts ε̂, forms x̂₀ = (x_t − √(1−ᾱ_t)·ε̂)/√ᾱ_t and moves to the previous timestep of the "
           "sub-sequence. The target is Gaussian, so every score below is against the exact answer.")

D = ReverseConfig()  # the page's defaults
c = ui.Controls("reverse")
target = c.select("target", "target", ["gff", "lattice"], D.target,
                  format_func={"gff": "Gaussian free field", "lattice": "document's energy, w_th = 0"}.get)
size = c.int_slider("L", "lattice side L", 4, 32, D.size)
mass2 = c.slider("m2", "m² (mass)", -1.0, 12.0, D.mass2 if target == "gff" else reverse.LATTICE_MASS2, 0.05)
kT = c.slider("kT", "kT (target temperature)", 0.1, 5.0, D.kT, 0.05)
w_kinetic, w_potential = D.w_kinetic, D.w_potential
if target == "lattice":
    w_kinetic = c.slider("wk", "w_k", 0.0, 3.0, D.w_kinetic, 0.05)
    w_potential = c.slider("wp", "w_p", -2.0, 3.0, D.w_potential, 0.05)
schedule = c.select("schedule", "training schedule", list(SCHEDULES), D.schedule)
num_steps = c.int_slider("T", "training steps T", 10, 2000, D.num_steps, 10)
beta_start, beta_end = D.beta_start, D.beta_end
if schedule == "linear":
    beta_start = c.slider("beta_start", "β_start", 1e-5, 5e-3, D.beta_start, 1e-5, fmt="%.5f")
    beta_end = c.slider("beta_end", "β_end", 5e-3, 0.1, D.beta_end, 1e-3, fmt="%.3f")
method = c.select("method", "sampler", list(SOLVERS), D.solver, format_func=str.upper)
inference_steps = c.int_slider("steps", "inference steps S", 1, min(num_steps, 500), min(D.inference_steps, num_steps))
eta = c.slider("eta", "η (DDIM noise; 1 = DDPM variance)", 0.0, 1.0, D.eta, 0.05) if method == "ddim" else 0.0
spacing = c.select("spacing", "timestep spacing", list(SPACINGS), D.spacing)
temperature = c.slider("temp", "sampling temperature T_s", 0.1, 3.0, D.temperature, 0.05,
                       help="every Gaussian draw, x_T included, is scaled by √T_s")
guidance_form = c.select("gform", "guidance form", list(GUIDANCE_FORMS), D.guidance_form,
                         format_func={"document": "document: ε̂ − s·∇log p_φ",
                                      "scaled": "σ-scaled: ε̂ − s·√(1−ᾱ_t)·∇log p_φ"}.get)
guidance_scale = c.slider("guidance", "guidance scale s", -2.0, 2.0, D.guidance_scale, 0.05)
denoiser = c.select("denoiser", "denoiser ε̂", reverse.denoiser_options(), D.denoiser,
                    format_func={"exact": "exact Gaussian (Bayes-optimal)", "energy": "energy-only (−√(1−ᾱ)·∇log p)",
                                 "unet": "U-Net (shipped checkpoint)"}.get)
conserve = c.toggle("conserve", "document's energy-conservation rescaling", D.conserve,
                    help="rescale x̂₀ so that Σx̂₀² = Σx_t² at every step")
seed = c.int_slider("seed", "seed", 0, 999, D.seed)
batch = c.int_slider("n", "batch size n", 4, 1024, D.batch, 4)
live_playing, live_speed = live_chain.sidebar(c, "reverse loop")
c.prune()
c.show_warnings()
if denoiser == "unet":
    ckpt = data.unet_checkpoint()
    sched_meta, data_meta = ckpt.get("schedule", {}), ckpt.get("data", {})
    schedule = sched_meta.get("name", schedule)
    num_steps = int(sched_meta.get("num_steps", num_steps))
    beta_start = float(sched_meta.get("beta_start", beta_start))
    beta_end = float(sched_meta.get("beta_end", beta_end))
    inference_steps = min(inference_steps, num_steps)
    size = int(data_meta.get("size", size))
    trained = ", ".join(f"{k} = {data_meta[k]}" for k in ("target", "size", "mass2", "kT") if k in data_meta)
    st.info(f"U-Net `{ckpt['name']}` was trained on {trained}. It runs at its lattice size (L = {size}) and "
            f"with its training schedule ({schedule}, T = {num_steps}); set m² and kT to its data for a fair "
            "score.", icon="🧠")
elif "unet" not in reverse.denoiser_options():
    st.sidebar.caption("U-Net: offered once a trained checkpoint is shipped in `assets/` (`idf train`).")

before = _common.calls()
cfg = ReverseConfig(target=target, size=size, mass2=mass2, kT=kT, w_kinetic=w_kinetic, w_potential=w_potential,
                    schedule=schedule, num_steps=num_steps, beta_start=beta_start, beta_end=beta_end, solver=method,
                    inference_steps=inference_steps, eta=eta, spacing=spacing, temperature=temperature,
                    guidance_scale=guidance_scale, guidance_form=guidance_form, denoiser=denoiser, conserve=conserve,
                    seed=seed, batch=batch)
run = reverse.reverse_run(cfg)
ui.status(run.timing, cached=_common.calls() == before)

if isinstance(run, ImproperTarget):
    st.error(f"**No Boltzmann target to sample.** {run.reason}", icon="🚫")
    st.stop()
if run.diverged:
    st.error(f"**Diverged.** {run.diverged}. The scores below use the {run.n} samples that stayed finite.",
             icon="💥")

scores = run.scores
m = st.columns(5)
m[0].metric("n (samples)", run.n)
if scores:
    m[1].metric("Fourier KL to the target", f"{scores.fourier_kl:.4g} nats",
                help=f"finite-sample bias of n i.i.d. draws ≈ (N + n_self)/(4n) = {scores.kl_bias:.3g} nats at "
                     "this n (n_self = 4 self-conjugate modes on an even lattice)")
    m[2].metric("Fréchet W₂² to the target", f"{scores.frechet:.4g}",
                help="squared 2-Wasserstein distance between Gaussians fitted to the samples and the target "
                     "(field units²); with n below N = L² sites its finite-sample bias is large: raise n")
if run.exact_loop_kl is not None:
    m[3].metric("exact KL of this loop", f"{run.exact_loop_kl:.4f} nats",
                help="the loop's exact output distribution (linear-Gaussian steps) against the target: "
                     "what the estimates would give with n → ∞")
else:
    m[3].metric("exact KL of this loop", "n/a", help="exact only with the exact denoiser, no guidance, "
                                                   "no rescaling")
m[4].metric("⟨φ⟩ exact = N·kT/2", f"{run.mean_energy:.4g}")
tempering.note(cfg)  # temperature and guidance as one sharpening, with the exact Gaussian answer

if live_playing or live_chain.started(reverse_live.KEY):
    with st.expander("▶ Live: the reverse loop as it runs (also ?live=1)", expanded=True):
        reverse_live.panel(cfg, run, live_playing, live_speed)
anim = linked.reverse_figure(run)  # one figure: each frame moves the field and the φ, Σx̂₀²/Σx_t², S cursors
st.plotly_chart(anim, key="anim")
left, right = st.columns([1, 1])

k = np.arange(len(run.energy.mean))
fig_phi = viz.line_figure(k, {"φ(x_t), mean ± s.d. over n": run.energy},
                          x_title="reverse step (0 = x_T)", y_title="φ(x_t) (kT units)",
                          hlines={"exact Boltzmann ⟨φ⟩ = N·kT/2": run.mean_energy},
                          title="Energy along the reverse loop")
ks = np.arange(1, len(run.norm_ratio.mean) + 1)
fig_c = viz.line_figure(ks, {"Σx̂₀²/Σx_t² (what the rescaling undoes)": run.norm_ratio,
                             "scale applied by the constraint": run.scale},
                        x_title="reverse step", y_title="ratio (dimensionless, log)", log_y=True,
                        hlines={"1 (no drift)": 1.0}, title="The constraint's measured drift")
fig_s = viz.line_figure(k, {"document's S(x_t), mean ± s.d.": run.entropy},
                        x_title="reverse step (0 = x_T)", y_title="S(x_t) (nats; 0 ≤ S ≤ ln N)",
                        title="The document's per-sample entropy")
left.plotly_chart(fig_phi, key="phi")
panel = viz.field_grid(run.panel, title=f"Final samples x₀ (first {len(run.panel)} of n = {run.n})")
st.plotly_chart(panel, key="panel")
a, b = st.columns(2)
a.plotly_chart(fig_c, key="constraint")
b.plotly_chart(fig_s, key="S")
figures = {"energy": fig_phi, "constraint": fig_c, "entropy": fig_s, "samples": panel}
if scores:
    lam_order = np.argsort(run.power.ravel())[::-1]
    fig_p = viz.line_figure(np.arange(len(lam_order)),
                            {"exact P_k = kT/A(k)": run.power.ravel()[lam_order],
                             f"measured P̂_k (n = {run.n})": scores.empirical_power.ravel()[lam_order]},
                            x_title="Fourier mode, sorted by exact variance", y_title="E|x̂_k|² (field units², log)",
                            log_y=True, dashed=("exact P_k = kT/A(k)",), title="Power spectrum: samples vs exact")
    st.plotly_chart(fig_p, key="power")
    figures["power"] = fig_p

arrays = {"samples": run.samples, "frames": run.frames, "timesteps": run.timesteps,
          "energy_mean": run.energy.mean, "norm_ratio_mean": run.norm_ratio.mean, "scale_mean": run.scale.mean,
          "entropy_mean": run.entropy.mean, "target_power": run.power}
if scores:
    arrays.update(fourier_kl=scores.fourier_kl, frechet=scores.frechet)
if run.exact_loop_kl is not None:
    arrays["exact_loop_kl"] = run.exact_loop_kl
config = {"page": "reverse", **{k: v for k, v in c.values.items()}}
ui.downloads.buttons("reverse", arrays, config, frames=run.frames, figures=figures)

tgt = (snippet.call("GaussianFreeField", mass2=mass2, kT=kT) if target == "gff" else
       snippet.call("LatticeEnergy", w_kinetic=w_kinetic, w_potential=w_potential, w_thermal=0.0, mass2=mass2, kT=kT))
den = {"exact": "ExactGaussianDenoiser(target)", "energy": "EnergyDenoiser(target)",
       "unet": "load_denoiser(checkpoint)[0]"}[denoiser]
code = ["import jax, numpy as np", "from idf import diagnostics",
        "from idf.diffusion import make_schedule, sample, ExactGaussianDenoiser, EnergyDenoiser, Guidance",
        "from idf.energy import GaussianFreeField, LatticeEnergy", "",
        *([f"from idf.models import load_denoiser\ncheckpoint = {os.path.relpath(data.unet_checkpoint()['path'])!r}"]
          if denoiser == "unet" else []),
        f"target = {tgt}", f"schedule = {snippet.call('make_schedule', schedule, num_steps, beta_start, beta_end)}",
        "res = " + snippet.call("sample", snippet.raw(f"jax.random.key({seed})"), snippet.raw(den),
                                snippet.raw("schedule"), (size, size), batch, inference_steps=inference_steps,
                                solver=method, eta=eta, spacing=spacing, temperature=temperature,
                                guidance=snippet.raw(f"Guidance(target, {guidance_scale!r}, {guidance_form!r})"),
                                conserve_energy=conserve,
                                metric_energy=snippet.raw("target")),
        f"power = np.asarray(target.covariance_spectrum(({size}, {size})))",
        "print(diagnostics.fourier_kl(np.asarray(res.samples), power), "
        "diagnostics.frechet_distance(np.asarray(res.samples), power))"]
snippet.show(code, c.values)

ui.explain.physics(
    "**DDIM** (Song et al., eq. 12): x_prev = √ᾱ_prev·x̂₀ + √(1−ᾱ_prev−σ²)·ε̂ + σz with\n"
    "σ = η·√((1−ᾱ_prev)/(1−ᾱ_t))·√(1−ᾱ_t/ᾱ_prev); ᾱ_prev is ᾱ at the previous timestep *of the sub-sequence*\n"
    "(the document's ᾱ[t−1] leaves samples barely denoised). **DDPM**: the posterior mean and\n"
    "β̃_t = (1−ᾱ_prev)β_t/(1−ᾱ_t), with α_t → ᾱ_t/ᾱ_prev when strided.\n"
    "\n"
    "**Exact denoiser:** for Gaussian data N(0, C), ε*(x_t) = √(1−ᾱ_t)(ᾱ_t C + (1−ᾱ_t)I)⁻¹x_t, diagonal in Fourier\n"
    "space. Every step is then linear-Gaussian, so the loop's output distribution and its KL are computed exactly\n"
    "(\"exact KL of this loop\").\n"
    "\n"
    "**Temperature** T_s scales every Gaussian draw by √T_s; for the exact loop the output covariance is exactly\n"
    "T_s times the loop's own output covariance (which is C only as the steps → ∞).\n"
    "",
    [
        ('energy conservation < 1 % drift',
         'diffusion conserves nothing; the rescaling Σx̂₀² = Σx_t² is a constraint that **biases** '
         'the samples: switch it on and watch KL and the power spectrum'),
        ('guidance ε − s·∇log p_φ',
         "−∇φ/kT is the right guide only at t = 0; we implement the document's form and the σ-scaled"
         ' form ε − s·√(1−ᾱ_t)·∇log p_φ, labelled'),
        ('Boltzmann matching KL < 0.1',
         'a KL estimate has a finite-sample bias (here ≈ (N + n_self)/(4n) for the Fourier estimator): always '
         'read it with n'),
        ('FID < 10',
         'needs Inception weights and means nothing for fields; we show the exact Fréchet (W₂²) '
         'distance to the GFF'),
    ],
)
