"""Forward diffusion: noise a field step by step, x₀ → x_T, and compare what
is measured with the exact facts (ᾱ, SNR, ⟨φ(x_t)⟩, H(t), KL(q_t ‖ N(0, I)))."""

import numpy as np
import streamlit as st

from idf import app as ui
from idf import viz
from idf.app import _common, forward, forward_live, linked, live_chain, presentation, snippet, uploads
from idf.app.forward import ForwardConfig
from idf.diffusion import SCHEDULES
from idf.io.uploads import fit_field, standardise

st.title("➡️ Forward diffusion")
presentation.apply()  # projector mode and level (URL: ?projector=1, ?level=student)
st.caption("x_t = √(1−β_t)·x_{t−1} + √β_t·ε, so q(x_t | x₀) = N(√ᾱ_t·x₀, (1−ᾱ_t)·I).")

D = ForwardConfig()  # the page's defaults
c = ui.Controls("forward")
data_labels = {
    "gff": "GFF sample (exact)",
    "image": "shipped image (assets/idf_pattern.png)",
    "phi4": "φ⁴ configurations (HMC)",
    "upload": "your own field or image (upload)",
}
data_name = c.select("data", "data x₀", list(forward.DATA), D.data, format_func=data_labels.get)
upload = uploads.field_uploader("forward.upload_file", "your field or image") if data_name == "upload" else None
size = c.int_slider("L", "lattice side L", 4, 32, D.size)
batch = c.int_slider("batch", "batch size B (fields diffused together)", 4, 128, D.batch, 4)
coupling = D.coupling
if data_name == "phi4":
    mass2 = c.slider("phi4_m2", "φ⁴ m²", -6.0, 2.0, forward.PHI4_MASS2, 0.1)
    coupling = c.slider("phi4_lam", "φ⁴ λ", 0.5, 12.0, D.coupling, 0.1)
    kT = 1.0
else:
    mass2 = c.slider("m2", "GFF m² (data and metric φ)", 0.05, 5.0, D.mass2, 0.05)
    kT = c.slider("kT", "GFF kT", 0.1, 5.0, D.kT, 0.05)
schedule = c.select("schedule", "noise schedule", list(SCHEDULES), D.schedule)
num_steps = c.int_slider("T", "training steps T", 10, 2000, D.num_steps, 10)
beta_start, beta_end = D.beta_start, D.beta_end
if schedule == "linear":
    beta_start = c.slider("beta_start", "β_start", 1e-5, 5e-3, D.beta_start, 1e-5, help="linear schedule only",
                          fmt="%.5f")
    beta_end = c.slider("beta_end", "β_end", 5e-3, 0.1, D.beta_end, 1e-3, help="linear schedule only", fmt="%.3f")
guided = c.toggle(
    "guided",
    "document's energy-guided correction",
    D.guided,
    help="x_t ← x_t + lr_t·∇log p_φ(x_t), lr_t = 0.001·strength·(1 − t/T)",
)
strength = c.slider("strength", "guidance strength", 0.0, 200.0, D.strength, 1.0) if guided else D.strength
seed = c.int_slider("seed", "seed", 0, 999, D.seed)
live_playing, live_speed = live_chain.sidebar(c, "chain")
c.prune()
c.show_warnings()

# An upload is used as x₀ (its first field, fitted to L × L); without a valid
# one the page falls back to the shipped image. It never travels in the URL.
source = data_name
x0_field = None
if upload is not None:
    if upload.fields is None:
        source = "image"
        st.info(
            "No field uploaded yet: upload a .npy/.npz array [N, L, L] (or one [L, L]) or a PNG/JPEG image "
            "in the sidebar; its first field becomes x₀ at L × L. A link cannot carry a file. Meanwhile "
            "x₀ is the shipped image."
            if upload.error is None
            else "Meanwhile x₀ is the shipped image."
        )
    else:
        source = "upload"
        x0_field = fit_field(upload.fields[0], size)
        if upload.is_image:
            x0_field = standardise(x0_field)
        n, side = upload.fields.shape[:2]
        st.caption(
            f"x₀ = {upload.name}: field 1 of {n}, {side}×{side}"
            + (f" resized to {size}×{size} (bilinear)" if side != size else "")
            + (", grayscale, standardised" if upload.is_image else ", values as uploaded")
            + f"; mean {x0_field.mean():.3g}, s.d. {x0_field.std():.3g}."
        )

cfg = ForwardConfig(data=source, size=size, batch=batch, mass2=mass2, kT=kT, coupling=coupling,
                    schedule=schedule, num_steps=num_steps, beta_start=beta_start, beta_end=beta_end,
                    guided=guided, strength=strength, seed=seed)
before = _common.calls()
run = forward.forward_run(cfg, field=x0_field)
curves = forward.schedule_curves(num_steps, beta_start, beta_end)
ui.status(run.timing, cached=_common.calls() == before)

exact = run.exact
m = st.columns(4)
m[0].metric("ᾱ_T (signal left at t = T)", f"{run.alpha_bar[-1]:.2e}")
if exact:
    m[1].metric(
        "steps on which H(t) rises",
        f"{100 * exact.entropy_rises:.0f} %",
        delta=f"{exact.falling_modes} of {exact.num_modes} modes lose entropy",
        delta_color="off",
        help="H is not monotone in general: mode k gains entropy only while its data variance "
        "P_k = kT/A(k) is below 1 (raise kT or lower m² to see H fall)",
    )
    m[2].metric(
        "steps on which KL(q_t‖N(0,I)) rises",
        f"{100 * exact.kl_rises:.0f} %",
        help="never: every mode's variance moves monotonically toward 1",
    )
    m[3].metric("KL(q_T ‖ N(0, I))", f"{exact.kl[-1]:.3g} nats")
else:
    m[1].info("Exact H(t) and KL need Gaussian (GFF) data.")

if live_playing or live_chain.started(forward_live.KEY):
    with st.expander("▶ Live: the chain as it runs (also ?live=1)", expanded=True):
        forward_live.panel(cfg, x0_field, run, live_playing, live_speed)
anim = linked.forward_figure(run, cfg)  # one figure: each frame moves the field and the φ, H, KL cursors
st.plotly_chart(anim, key="anim")
left, right = st.columns([1, 1])
t_axis = np.arange(1, num_steps + 1)
fig_ab = viz.line_figure(
    t_axis,
    {n: v.alpha_bar for n, v in curves.items()},
    x_title="training step t",
    y_title="ᾱ_t (signal variance fraction)",
    title="ᾱ_t for the three schedules",
)
fig_snr = viz.line_figure(
    t_axis,
    {n: v.snr for n, v in curves.items()},
    x_title="training step t",
    y_title="SNR(t) = ᾱ/(1−ᾱ) (dimensionless, log)",
    log_y=True,
    title="Signal-to-noise ratio",
)
left.plotly_chart(fig_ab, key="alpha_bar")
right.plotly_chart(fig_snr, key="snr")

t = run.t
metric_name = "φ⁴" if data_name == "phi4" else "GFF φ"
series = {f"measured {metric_name}(x_t), mean ± s.d. over B = {batch}": run.energy}
if exact and not guided:
    series["exact ⟨φ(x_t)⟩ = ½Σ_k A_k v_k(t)"] = exact.mean_energy
fig_phi = viz.line_figure(
    t,
    series,
    x_title="step t",
    y_title="φ(x_t) (kT units)",
    title="Energy along the forward chain",
    dashed=tuple(k for k in series if "exact" in k),
)
fig_s = viz.line_figure(
    t,
    {"document's S(x_t), mean ± s.d.": run.entropy},
    x_title="step t",
    y_title="S(x_t) (nats; 0 ≤ S ≤ ln N)",
    title="The document's per-sample entropy S(x_t)",
)
a, b = st.columns(2)
a.plotly_chart(fig_phi, key="phi")
b.plotly_chart(fig_s, key="S")
figures = {"alpha_bar": fig_ab, "snr": fig_snr, "energy": fig_phi, "entropy": fig_s}
if exact:
    fig_h = viz.line_figure(
        t,
        {"H(t) of q_t (exact)": exact.entropy},
        x_title="step t",
        y_title="differential entropy H(t) (nats)",
        title=f"Exact H(t): rises on {100 * exact.entropy_rises:.0f} % of steps",
    )
    fig_kl = viz.line_figure(
        t,
        {"KL(q_t ‖ N(0, I)) (exact)": exact.kl},
        x_title="step t",
        y_title="KL (nats, log)",
        log_y=True,
        title=f"Exact KL to the prior: rises on {100 * exact.kl_rises:.0f} % of steps",
    )
    a, b = st.columns(2)
    a.plotly_chart(fig_h, key="H")
    b.plotly_chart(fig_kl, key="KL")
    figures.update(H=fig_h, KL=fig_kl)
    if guided:
        st.info(
            "With the guided correction on, q is no longer the closed form: the exact H(t) and KL above "
            "are for the unguided chain; the measured φ(x_t) shows the difference."
        )

arrays = {
    "frames": run.frames,
    "frame_t": run.frame_t,
    "alpha_bar": run.alpha_bar,
    "energy_mean": run.energy.mean,
    "energy_sd": run.energy.sd,
    "entropy_mean": run.entropy.mean,
    "entropy_sd": run.entropy.sd,
    "x0": run.x0,
    "xT": run.xT,
}
if exact:
    arrays.update(H=exact.entropy, KL=exact.kl, exact_energy=exact.mean_energy)
config = {
    "page": "forward",
    "data": source,
    "upload": upload.name if source == "upload" else None,
    "size": size,
    "batch": batch,
    "mass2": mass2,
    "kT": kT,
    "coupling": coupling,
    "schedule": schedule,
    "num_steps": num_steps,
    "beta_start": beta_start,
    "beta_end": beta_end,
    "guided": guided,
    "strength": cfg.guidance_strength,
    "seed": seed,
}
ui.downloads.buttons("forward", arrays, config, frames=run.frames, figures=figures)

energy_code = (
    snippet.call("Phi4", mass2=mass2, coupling=coupling)
    if data_name == "phi4"
    else snippet.call("GaussianFreeField", mass2=mass2, kT=kT)
)
code = [
    "import jax",
    "from idf import diagnostics",
    "from idf.diffusion import forward_trajectory, make_schedule",
    "from idf.energy import GaussianFreeField, Phi4",
    "",
    f"energy = {energy_code}",
    f"schedule = {snippet.call('make_schedule', schedule, num_steps, beta_start, beta_end)}",
    f"key_data, key_noise = jax.random.split(jax.random.key({seed}))",
]
if source == "gff":
    code.append(f"x0 = energy.sample_exact(key_data, ({size}, {size}), {batch})")
elif source == "upload":
    fit = f"fit_field(fields[0], {size})"
    code += [
        "from idf.io.uploads import fit_field, read_fields, standardise",
        f"with open({upload.name!r}, 'rb') as fh:  # the file you uploaded",
        f"    fields = read_fields({upload.name!r}, fh.read())",
        f"x0 = jax.numpy.broadcast_to({f'standardise({fit})' if upload.is_image else fit}, ({batch}, {size}, {size}))",
    ]
elif source == "image":
    code.append(
        f"from idf.app.data import image_field\nx0 = jax.numpy.broadcast_to(image_field({size}), "
        f"({batch}, {size}, {size}))"
    )
else:
    code.append("x0 = ...  # φ⁴ configurations from idf.samplers.run_chains (see the Energy page)")
code.append(
    "res = "
    + snippet.call(
        "forward_trajectory",
        snippet.raw("key_noise"),
        snippet.raw("x0"),
        snippet.raw("schedule"),
        guidance_energy=snippet.raw("energy" if guided else "None"),
        guidance_strength=cfg.guidance_strength,
        metric_energy=snippet.raw("energy"),
    )
)
if source == "gff":
    code += [
        "power = energy.covariance_spectrum(x0.shape[1:])",
        "H = diagnostics.forward_entropy(power, schedule.alpha_bars)",
        "KL = diagnostics.forward_kl_to_prior(power, schedule.alpha_bars)",
    ]
snippet.show(code, c.values)

ui.explain.physics(
    "**Schedules** (float64): linear β from β_start to β_end (diffusers `linear`); cosine\n"
    "ᾱ(t) = cos²(((t/T + s)/(1 + s))·π/2), s = 0.008 (Nichol & Dhariwal); sqrt ᾱ(t) = 1 − √(t/T + s) (Diffusion-LM).\n"
    "\n"
    "**Energy:** for GFF data each Fourier mode has variance v_k(t) = ᾱ_t·P_k + 1 − ᾱ_t with P_k = kT/A(k),\n"
    "so ⟨φ(x_t)⟩ = ½Σ_k A_k v_k(t): it starts at N·kT/2 and moves to ½ΣA_k. Diffusion conserves no energy.\n"
    "",
    [
        (
            "entropy is monotone, S(t+1) ≥ S(t)",
            "the exact marginal entropy H(t) = ½Σ_k ln 2πe·v_k(t) rises only for modes with P_k < 1 and"
            " falls for the others: it is **not** monotone in general. What is monotone is **KL(q_t ‖ "
            "N(0, I))**, non-increasing on every step. The document's S(x_t) is a per-sample statistic "
            "of one field, not a thermodynamic entropy.",
        ),
        (
            "energy-guided forward correction",
            "x_t ← x_t + lr_t·∇log p_φ(x_t) makes q depend on φ; the marginals are no longer the closed form",
        ),
        (
            "energy conservation < 1 % drift",
            "φ(x_t) changes by a large factor (compare the two ends of the energy plot)",
        ),
    ],
)
