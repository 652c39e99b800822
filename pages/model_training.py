"""Training: a shipped U-Net checkpoint (its training record, its samples and
their scores against exact answers), or a small U-Net trained live on exact
GFF samples, its loss curve drawn from the trainer's callback."""

import jax
import numpy as np
import streamlit as st

from idf import app as ui
from idf.app import uploads
from idf.diffusion import make_schedule, sample
from idf.energy import GaussianFreeField
from idf.models import UNetConfig, UNetDenoiser, load_denoiser, shipped_checkpoints
from idf.training import Dataset, TrainConfig, gff_dataset, init_train_state, make_optimizer, train, validation_loss
from idf.training.evaluation import evaluate_gff, optimal_eps_mse, phi4_summary, variance_curve
from idf.viz.fields import field_grid
from idf.viz.traces import line_figure

SHOW = 8  # fields drawn


@st.cache_resource(max_entries=4, show_spinner="Loading checkpoint …")
def _load(path: str):
    return load_denoiser(path)


@st.cache_data(max_entries=16, show_spinner="Sampling with the U-Net …")
def checkpoint_run(path: str, n: int, steps: int, seed: int) -> dict:
    """Samples of a checkpoint and their scores: GFF against the exact denoiser
    (same noise, same steps); φ⁴ magnetisation observables."""
    denoiser, info = _load(path)
    data, schedule = info["data"], make_schedule(**info["schedule"])
    size, key = int(data["size"]), jax.random.key(seed)
    if data["target"] == "gff":
        target = GaussianFreeField(mass2=float(data["mass2"]), kT=float(data["kT"]))
        res = evaluate_gff(key, denoiser, schedule, target, size, n, inference_steps=steps, keep_samples=True)
        return {"kind": "gff", "samples": res.pop("samples_model"), "exact": res.pop("samples_exact"), **res}
    samples = np.asarray(sample(key, denoiser, schedule, (size, size), n, inference_steps=steps).samples)
    return {"kind": "phi4", "samples": samples, **phi4_summary(samples)}


def live_training(steps: int, batch: int, lr: float, width: int, mass2: float, seed: int, eval_n: int,
                  fields: np.ndarray | None = None, loss: str = "eps_mse") -> dict:
    """Train a U-Net on 8×8 GFF samples, drawing progress from the callback.

    With ``fields`` [N, 8, 8] (an upload) it trains on those instead, shuffled
    with 1/16 held out; they have no exact target, so the result holds the
    held-out ε-MSE and the samples' moments beside the data's, not KLs."""
    key_data, key_init, key_train, key_eval = jax.random.split(jax.random.key(seed), 4)
    if fields is None:
        train_set, valid = gff_dataset(key_data, 8, 8192 + 512, mass2).split(512)
    else:
        uploaded = Dataset(np.asarray(fields, np.float32), {"target": "upload", "size": 8}).shuffled(key_data)
        train_set, valid = uploaded.split(max(len(uploaded) // 16, 1))
    data_std = float(np.sqrt(np.mean(train_set.fields.astype(np.float64) ** 2)))
    config = UNetConfig(base_channels=width, channel_mults=(1, 2), time_dim=32, data_std=data_std,
                        learn_sigma=loss == "hybrid")
    schedule = make_schedule("linear", 1000)
    state = init_train_state(key_init, config, schedule, make_optimizer(lr, steps, warmup=min(100, steps // 10)),
                             loss=loss)
    target = GaussianFreeField(mass2=mass2)
    best = optimal_eps_mse(np.asarray(target.covariance_spectrum((8, 8))), schedule.alpha_bars)
    best = best if fields is None else None  # an upload has no exact target, so no floor either
    bar, chart = st.progress(0.0, text="compiling train_step …"), st.empty()
    curve: dict[str, list[float]] = {"step": [], "loss": []}

    def callback(p) -> None:
        curve["step"].append(p.step)
        curve["loss"].append(p.loss)
        bar.progress(p.step / p.total, text=f"step {p.step}/{p.total} · loss {p.loss:.4f} · "
                                            f"{p.samples_per_s:.0f} samples/s")
        chart.plotly_chart(line_figure(np.array(curve["step"]), {"training ε-MSE": np.array(curve["loss"])},
                                       x_title="step", y_title="ε-MSE",
                                       hlines={"Bayes-optimal": best} if best is not None else None),
                           width="stretch")

    cfg = TrainConfig(steps=steps, batch_size=min(batch, len(train_set)), learning_rate=lr, eval_every=0,
                      log_every=max(steps // 40, 1))
    state, history = train(key_train, state, train_set, cfg, valid=valid, callback=callback, progress_bar=False)
    den = UNetDenoiser(state=state.ema, graphdef=state.graphdef)
    if fields is not None:
        samples = np.asarray(sample(key_eval, den, schedule, (8, 8), eval_n, inference_steps=50).samples, np.float64)
        x = np.asarray(fields, np.float64)
        return {"curve": curve, "best": None, "samples_model": samples, "num_samples": eval_n,
                "num_train": len(train_set), "num_valid": len(valid), "batch": cfg.batch_size,
                "valid_loss": validation_loss(state, valid, key_eval), "diverged": history.diverged,
                "mean": (float(samples.mean()), float(x.mean())), "var": (float(samples.var()), float(x.var()))}
    scores = evaluate_gff(key_eval, den, schedule, target, 8, eval_n, keep_samples=True)
    out = {"curve": curve, "best": best, "diverged": history.diverged, "loss": loss, **scores}
    if loss == "hybrid":  # where a learned variance matters: strided DDPM
        power = np.asarray(target.covariance_spectrum((8, 8)), np.float64)
        out["variance"] = variance_curve(key_eval, den, schedule, valid.fields[:256], power)
        ddpm = evaluate_gff(key_eval, den, schedule, target, 8, eval_n, inference_steps=25, method="ddpm")
        out["ddpm25"] = (ddpm["kl_model"], ddpm["kl_exact"])
    return out


st.title("🧠 Training")
st.caption("A U-Net learns ε̂(x_t, t) from samples by minimising E‖ε − ε̂‖² (Ho et al. 2020, eq. 14). On a "
           "Gaussian free field the Bayes-optimal ε̂ is known exactly, so the loss has a floor and the samples "
           "have an exact target.")

c = ui.Controls("training")
mode = c.select("mode", "mode", ["shipped", "live"], "shipped",
                format_func={"shipped": "shipped checkpoint", "live": "train a small model live"}.get)
seed = c.int_slider("seed", "seed", 0, 999, 0)
if mode == "shipped":
    entries = [e for e in shipped_checkpoints() if "error" not in e]
    names = [e["name"] for e in entries] or ["(none)"]
    name = c.select("ckpt", "checkpoint", names, names[0])
    n = c.int_slider("n", "samples n", 64, 4096, 1024, 64)
    steps = c.int_slider("steps", "DDIM steps (η = 0)", 5, 200, 50, 5)
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
    if res["kind"] == "gff":
        cols = st.columns(3)
        cols[0].metric("Fourier KL, U-Net", f"{res['kl_model']:.4f}", help=f"nats, n = {n}")
        cols[1].metric("Fourier KL, exact denoiser", f"{res['kl_exact']:.4f}", help="same noise, same steps")
        cols[2].metric("estimator bias ≈ N/2n", f"{res['kl_bias']:.4f}")
        st.caption(f"W₂²: U-Net {res['frechet_model']:.4f}, exact denoiser {res['frechet_exact']:.4f}; the exact "
                   f"loop's KL without sampling error is {res['kl_exact_loop']:.4f} at {steps} steps.")
    else:
        cols = st.columns(4)
        for col, (label, k) in zip(cols, [("⟨|m|⟩", "abs_m"), ("χ₂", "chi2"), ("U₄", "binder"),
                                          ("P(m > 0)", "p_positive")], strict=True):
            col.metric(label, f"{res[k]:.4f} ± {res[k + '_error']:.4f}")
        st.caption("P(m > 0) = ½ exactly by symmetry: HMC chains in the broken phase stay in their starting mode.")
    st.plotly_chart(field_grid(res["samples"][:SHOW], title="U-Net samples"), width="stretch")
else:
    steps = c.int_slider("tsteps", "training steps", 50, 2000, 300, 50)
    batch = c.int_slider("batch", "batch size", 16, 256, 64, 16)
    lr = c.slider("lr", "peak learning rate", 1e-4, 1e-2, 2e-3, 1e-4, fmt="%.4f")
    width = c.int_slider("width", "base channels", 4, 32, 8, 4)
    source = c.select("tdata", "training data", ["gff", "upload"], "gff",
                      format_func={"gff": "exact GFF samples", "upload": "uploaded fields (.npy/.npz, [N, 8, 8])"}.get)
    mass2, upload = 1.0, None
    if source == "gff":
        mass2 = c.slider("m2", "GFF m²", 0.1, 4.0, 1.0, 0.1)
    else:
        upload = uploads.field_uploader("training.upload_file", "training fields [N, 8, 8]",
                                        types=uploads.ARRAY_TYPES, side=8, min_count=64)
    loss = c.select("loss", "training loss", ["eps_mse", "hybrid"], "eps_mse",
                    format_func={"eps_mse": "ε-MSE (simple)", "hybrid": "hybrid: + λ·L_vlb, learned variance"}.get)
    eval_n = c.int_slider("evaln", "evaluation samples", 64, 2048, 256, 64)
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
        st.session_state["training.live"] = live_training(steps, batch, lr, width, mass2, seed, eval_n, fields,
                                                          loss)
    res = st.session_state.get("training.live")
    if res is not None and res.get("diverged"):
        st.error(f"**Training stopped.** {res['diverged']}. The results below use that last good state.", icon="💥")
    if res is not None and res["best"] is None:  # uploaded data: no exact target, compare moments
        cols = st.columns(3)
        cols[0].metric("site mean, U-Net samples (data)", f"{res['mean'][0]:.3f} ({res['mean'][1]:.3f})")
        cols[1].metric("site variance, U-Net samples (data)", f"{res['var'][0]:.3f} ({res['var'][1]:.3f})")
        last = res["curve"]["loss"][-1] if res["curve"]["loss"] else float("nan")
        cols[2].metric("ε-MSE, train (held out)", f"{last:.4f} ({res['valid_loss']:.4f})",
                       help=f"{res['num_train']} training fields (batch {res['batch']}), {res['num_valid']} held out")
        st.caption(f"Uploaded data have no exact target, so there is no KL or Bayes-optimal loss here: the moments "
                   f"of n = {res['num_samples']} samples (DDIM, 50 steps) are compared with the data's instead.")
        st.plotly_chart(field_grid(res["samples_model"][:SHOW], title="U-Net samples"), width="stretch")
    elif res is not None:
        cols = st.columns(3)
        cols[0].metric("Fourier KL, U-Net", f"{res['kl_model']:.4f}", help=f"nats, n = {res['num_samples']}")
        cols[1].metric("Fourier KL, exact denoiser", f"{res['kl_exact']:.4f}")
        last = res["curve"]["loss"][-1] if res["curve"]["loss"] else float("nan")
        cols[2].metric("final loss − optimum", f"{last - res['best']:.4f}",
                       help="training loss minus the Bayes-optimal ε-MSE (the hybrid loss adds λ·L_vlb to it)")
        if res.get("variance"):
            v = res["variance"]
            cols = st.columns(2)
            cols[0].metric("Fourier KL, DDPM 25 steps, learned σ²", f"{res['ddpm25'][0]:.4f}",
                           help=f"nats, n = {res['num_samples']}; strided DDPM is where a learned variance helps")
            cols[1].metric("Fourier KL, DDPM 25 steps, exact denoiser with β̃", f"{res['ddpm25'][1]:.4f}")
            st.plotly_chart(line_figure(v["t"], {"learned σ²_θ (site mean)": v["learned"], "β_t": v["beta"],
                                                 "β̃_t": v["beta_tilde"], "exact optimum (GFF)": v["exact"]},
                                        x_title="training step t", y_title="reverse variance σ² (field units²)",
                                        title="Learned reverse variance against its bounds", log_y=True,
                                        dashed=("β_t", "β̃_t")), width="stretch")
        st.plotly_chart(field_grid(res["samples_model"][:SHOW], title="U-Net samples"), width="stretch")

ui.explain.physics(
    "The network predicts the noise ε that produced x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε. Our U-Net is preconditioned "
    "around the exact denoiser of white Gaussian data with the training set's variance, so it only learns the "
    "correction due to correlations; without that, errors at large t are amplified by 1/√ᾱ_t and the KL of "
    "its samples is ten to a hundred times worse at the same training budget.",
    [("FID < 10", "FID needs Inception weights and means nothing for lattice fields; we report the exact "
                  "Fourier KL and Fréchet distance to the GFF, with n, beside the exact denoiser's."),
     ("the U-Net learns the Boltzmann distribution", "on φ⁴ it is trained on HMC samples; it cannot be better "
                                                     "than its data, except for exact symmetries we impose.")],
)
