"""Training: a shipped U-Net checkpoint (its training record, its samples and
their scores against exact answers), or a small U-Net trained live on exact
GFF samples, its loss curve drawn from the trainer's callback. The compute is
``idf.app.training``; this page reads the controls and writes the captions."""

import numpy as np
import streamlit as st

from idf import app as ui
from idf.app import data, presentation, uploads
from idf.app.training import DEFAULTS, TrainingPageConfig, checkpoint_run, live_training
from idf.viz.fields import field_grid
from idf.viz.traces import line_figure

SHOW = 8  # fields drawn
D = DEFAULTS

st.title("🧠 Training")
presentation.apply()  # projector mode and level (URL: ?projector=1, ?level=student)
st.caption("A U-Net learns ε̂(x_t, t) from samples by minimising E‖ε − ε̂‖² (Ho et al. 2020, eq. 14). On a "
           "Gaussian free field the Bayes-optimal ε̂ is known exactly, so the loss has a floor and the samples "
           "have an exact target.")

c = ui.Controls("training")
mode = c.select("mode", "mode", ["shipped", "live"], D.mode,
                format_func={"shipped": "shipped checkpoint", "live": "train a small model live"}.get)
seed = c.int_slider("seed", "seed", 0, 999, D.seed)
if mode == "shipped":
    entries = [e for e in data.checkpoints() if "error" not in e]
    names = [e["name"] for e in entries] or ["(none)"]
    name = c.select("ckpt", "checkpoint", names, names[0])
    n = c.int_slider("n", "samples n", 64, 4096, D.n, 64)
    steps = c.int_slider("steps", "DDIM steps (η = 0)", 5, 200, D.steps, 5)
    c.prune()
    c.show_warnings()
    if not entries:
        st.warning("No valid checkpoint in assets/: make one with `idf train` (see assets/README.md).")
        st.stop()
    entry = next(e for e in entries if e["name"] == name)
    rec = entry["training"]
    cols = st.columns(4)
    cols[0].metric("target", f"{entry['data']['target']} {entry['data']['size']}×{entry['data']['size']}")
    cols[1].metric("steps trained", rec.get("step"))
    cols[2].metric("final loss", f"{rec.get('loss', float('nan')):.4f}")
    cols[3].metric("size", f"{entry['size_bytes'] / 1024:.0f} KiB")
    st.code("idf " + " ".join(rec.get("argv", [])), language="bash")
    hist = rec.get("history") or {}
    if hist.get("steps"):
        st.plotly_chart(line_figure(np.array(hist["steps"]), {"training ε-MSE": np.array(hist["loss"])},
                                    x_title="step", y_title="ε-MSE", title="recorded loss curve"),
                        width="stretch")
    res = checkpoint_run(entry["path"], n, steps, seed)
    if res.scores is not None:
        s = res.scores
        cols = st.columns(4)
        cols[0].metric("Fourier KL, U-Net", f"{s.kl_model:.4f}",
                       help=f"nats, n = {n}; a lower bound on the distance: it sees only the mode variances, "
                            "not non-stationarity or non-Gaussianity")
        cols[1].metric("Fourier KL, exact denoiser", f"{s.kl_exact:.4f}", help="same noise, same steps")
        cols[2].metric("estimator bias ≈ (N + n_self)/4n", f"{s.kl_bias:.4f}",
                       help="exact for n i.i.d. draws; n_self = 4 self-conjugate modes on an even lattice")
        cols[3].metric("U-Net − exact loop, in sd", f"{s.kl_model_z:+.1f}",
                       help=f"(KL̂ U-Net − {s.kl_exact_expected:.4f}) / {s.kl_exact_sd:.4f}: the exact "
                            "denoiser's expected KL̂ and its sd at this n; within ±4 the U-Net is as good as "
                            "the exact denoiser at this resolution")
        st.caption(f"W₂²: U-Net {s.frechet_model:.4f}, exact denoiser {s.frechet_exact:.4f}; the exact "
                   f"loop's KL without sampling error is {s.kl_exact_loop:.4f} at {steps} steps, so the exact "
                   f"denoiser's samples should score {s.kl_exact_expected:.4f} ± {s.kl_exact_sd:.4f} "
                   "(loop KL + estimator bias).")
    else:
        obs = res.observables
        cols = st.columns(4)
        for col, (label, k) in zip(cols, [("⟨|m|⟩", "abs_m"), ("χ₂", "chi2"), ("U₄", "binder"),
                                          ("P(m > 0)", "p_positive")], strict=True):
            col.metric(label, f"{obs[k]:.4f} ± {obs[k + '_error']:.4f}")
        st.caption("P(m > 0) = ½ exactly by symmetry: HMC chains in the broken phase stay in their starting mode.")
    st.plotly_chart(field_grid(res.samples[:SHOW], title="U-Net samples"), width="stretch")
else:
    train_steps = c.int_slider("tsteps", "training steps", 50, 2000, D.train_steps, 50)
    batch = c.int_slider("batch", "batch size", 16, 256, D.batch, 16)
    lr = c.slider("lr", "peak learning rate", 1e-4, 1e-2, D.lr, 1e-4, fmt="%.4f")
    width = c.int_slider("width", "base channels", 4, 32, D.width, 4)
    source = c.select("tdata", "training data", ["gff", "upload"], D.source,
                      format_func={"gff": "exact GFF samples", "upload": "uploaded fields (.npy/.npz, [N, 8, 8])"}.get)
    mass2, upload = D.mass2, None
    if source == "gff":
        mass2 = c.slider("m2", "GFF m²", 0.1, 4.0, D.mass2, 0.1)
    else:
        upload = uploads.field_uploader("training.upload_file", "training fields [N, 8, 8]",
                                        types=uploads.ARRAY_TYPES, side=8, min_count=64)
    loss = c.select("loss", "training loss", ["eps_mse", "hybrid"], D.loss,
                    format_func={"eps_mse": "ε-MSE (simple)", "hybrid": "hybrid: + λ·L_vlb, learned variance"}.get)
    eval_n = c.int_slider("evaln", "evaluation samples", 64, 2048, D.eval_n, 64)
    cfg = TrainingPageConfig(mode=mode, seed=seed, train_steps=train_steps, batch=batch, lr=lr, width=width,
                             source=source, mass2=mass2, loss=loss, eval_n=eval_n)
    c.prune()
    c.show_warnings()
    st.info("Training runs on this machine's CPU/GPU; a few hundred steps take well under a minute on a GPU.")
    fields = upload.fields if upload is not None else None
    if upload is not None and upload.name is None:
        st.info("Upload training fields in the sidebar: a .npy, or a .npz with the array named `fields`, shaped "
                "[N, 8, 8] with N ≥ 64 (the live model is 8×8); 1/16 is held out for validation. A link cannot "
                "carry a file.")
    elif fields is not None:
        st.caption(f"Training data: {upload.name}, {len(fields)} fields 8×8, site mean {fields.mean():.3g}, "
                   f"variance {fields.var():.3g}.")
    if st.button("Train", type="primary", disabled=upload is not None and fields is None):
        st.session_state["training.live"] = live_training(cfg, fields)
    res = st.session_state.get("training.live")
    if res is not None and res.diverged:
        st.error(f"**Training stopped.** {res.diverged}. The results below use that last good state.", icon="💥")
    last = res.curve[1][-1] if res is not None and res.curve[1] else float("nan")
    if res is not None and res.upload is not None:  # uploaded data: no exact target, compare moments
        u = res.upload
        cols = st.columns(3)
        cols[0].metric("site mean, U-Net samples (data)", f"{u.mean[0]:.3f} ({u.mean[1]:.3f})")
        cols[1].metric("site variance, U-Net samples (data)", f"{u.var[0]:.3f} ({u.var[1]:.3f})")
        cols[2].metric("ε-MSE, train (held out)", f"{last:.4f} ({u.valid_loss:.4f})",
                       help=f"{u.num_train} training fields (batch {u.batch}), {u.num_valid} held out")
        st.caption(f"Uploaded data have no exact target, so there is no KL or Bayes-optimal loss here: the moments "
                   f"of n = {res.num_samples} samples (DDIM, 50 steps) are compared with the data's instead.")
        st.plotly_chart(field_grid(res.samples[:SHOW], title="U-Net samples"), width="stretch")
    elif res is not None:
        cols = st.columns(3)
        cols[0].metric("Fourier KL, U-Net", f"{res.scores.kl_model:.4f}", help=f"nats, n = {res.num_samples}")
        cols[1].metric("Fourier KL, exact denoiser", f"{res.scores.kl_exact:.4f}")
        cols[2].metric("final loss − optimum", f"{last - res.best:.4f}",
                       help="training loss minus the Bayes-optimal ε-MSE (the hybrid loss adds λ·L_vlb to it)")
        if res.variance:
            v = res.variance
            cols = st.columns(2)
            cols[0].metric("Fourier KL, DDPM 25 steps, learned σ²", f"{res.ddpm25[0]:.4f}",
                           help=f"nats, n = {res.num_samples}; strided DDPM is where a learned variance helps")
            cols[1].metric("Fourier KL, DDPM 25 steps, exact denoiser with β̃", f"{res.ddpm25[1]:.4f}")
            st.plotly_chart(line_figure(v["t"], {"learned σ²_θ (site mean)": v["learned"], "β_t": v["beta"],
                                                 "β̃_t": v["beta_tilde"], "exact optimum (GFF)": v["exact"]},
                                        x_title="training step t", y_title="reverse variance σ² (field units²)",
                                        title="Learned reverse variance against its bounds", log_y=True,
                                        dashed=("β_t", "β̃_t")), width="stretch")
        st.plotly_chart(field_grid(res.samples[:SHOW], title="U-Net samples"), width="stretch")

ui.explain.physics(
    "The network predicts the noise ε that produced x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε. Our U-Net is preconditioned "
    "around the exact denoiser of white Gaussian data with the training set's variance, so it only learns the "
    "correction due to correlations; without that, errors at large t are amplified by 1/√ᾱ_t "
    "(`idf train --no-precondition` trains the plain network, to compare at the same budget). An untrained "
    "preconditioned U-Net is the white-noise denoiser, so the bar is the exact denoiser's KL at the same "
    "steps and n (the 'in sd' metric), not a small number; at few steps even the white-noise denoiser can "
    "score below the exact one.",
    [("FID < 10", "FID needs Inception weights and means nothing for lattice fields; we report the exact "
                  "Fourier KL and Fréchet distance to the GFF, with n, beside the exact denoiser's."),
     ("the U-Net learns the Boltzmann distribution", "on φ⁴ it is trained on HMC samples; it cannot be better "
                                                     "than its data, except for exact symmetries we impose.")],
)
