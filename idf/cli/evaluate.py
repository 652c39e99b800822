"""``idf evaluate``: score a trained checkpoint against exact answers.

GFF checkpoints: Fourier KL and Fréchet (W₂²) of the model's DDIM samples and
of the exact denoiser's (same start noise, same steps), plus the exact loop's
KL. φ⁴ checkpoints: ⟨|m|⟩, χ₂, U₄, P(m > 0) with standard errors and the
histogram of m, beside fresh HMC chains (no sign flips: they show how rarely
HMC changes mode). Either model kind (U-Net or neural energy) loads; samples
are DDIM (η = 0) by default; `--method ddpm` uses a learned reverse variance when the model has one."""

from __future__ import annotations

import time

import jax
import numpy as np

from idf import diagnostics
from idf.cli import UsageError
from idf.cli._args import add_seed, bounded
from idf.diffusion import SOLVERS, SPACINGS, make_schedule, sample
from idf.energy import GaussianFreeField, Phi4
from idf.io import save_npz
from idf.models import load_denoiser
from idf.samplers import HMC, run_chains
from idf.training.evaluation import evaluate_gff, magnetisation_histogram, phi4_summary


def register(sub) -> None:
    p = sub.add_parser("evaluate", help="score a trained checkpoint against exact answers")
    p.add_argument("--checkpoint", required=True, help="checkpoint .npz written by idf train")
    p.add_argument("--n", type=bounded(int, 16, 1_000_000), default=4096, help="samples to draw")
    p.add_argument("--inference-steps", type=bounded(int, 1, 100_000), default=50, help="DDIM steps (η = 0)")
    p.add_argument("--spacing", choices=SPACINGS, default="leading")
    p.add_argument("--method", choices=SOLVERS, default="ddim",
                   help="ddim (η = 0) or ddpm (uses a learned variance when the model has one)")
    p.add_argument("--hmc-chains", type=bounded(int, 1, 4096), default=64, help="φ⁴ reference chains")
    p.add_argument("--hmc-steps", type=bounded(int, 10, 1_000_000), default=1000, help="φ⁴ steps per chain")
    p.add_argument("--hmc-burn-in", type=bounded(int, 0, 1_000_000), default=500)
    add_seed(p)
    p.add_argument("--out", default=None,
                   help="optional .npz with the model's samples [n, L, L] and every figure (GFF: also the exact "
                        "denoiser's samples_exact)")
    p.set_defaults(func=run)


def _hmc_reference(key, energy: Phi4, size: int, args) -> np.ndarray:
    """Raw HMC chains [C, S, H, W] from N(0, ¼) starts (ε = 0.1, L = 10)."""
    key_init, key_run = jax.random.split(key)
    x_init = 0.5 * jax.random.normal(key_init, (args.hmc_chains, size, size))
    result = run_chains(
        HMC(step_size=0.1, num_leapfrog=10),
        energy,
        key_run,
        x_init,
        args.hmc_steps,
        burn_in=args.hmc_burn_in,
    )
    return np.asarray(result.positions)


def run(args) -> int:
    denoiser, info = load_denoiser(args.checkpoint)
    label = {"unet": "U-Net", "energy": "energy"}[info["model_kind"]]
    data = info["data"]
    size = int(data["size"])
    schedule = make_schedule(**info["schedule"])
    key_sample, key_ref = jax.random.split(jax.random.key(args.seed))
    start = time.perf_counter()
    arrays: dict[str, np.ndarray] = {}
    steps = {"inference_steps": args.inference_steps, "spacing": args.spacing}  # the model's and the exact loop's
    if data["target"] == "gff":
        target = GaussianFreeField(mass2=float(data["mass2"]), kT=float(data["kT"]))
        res = evaluate_gff(key_sample, denoiser, schedule, target, size, args.n, method=args.method,
                           keep_samples=True, **steps)
        # samples: the model's [n, L, L]; samples_exact: the exact denoiser's, same start noise
        res["samples"] = res.pop("samples_model")
        arrays.update({k: np.asarray(v) for k, v in res.items()})
        print(
            f"{args.checkpoint}: GFF {size}×{size} m² = {data['mass2']:g}, n = {args.n}, "
            f"{args.inference_steps} {args.method.upper()} steps\n"
            f"  {label:6s}: Fourier KL = {res['kl_model']:.4f} nats, W₂² = {res['frechet_model']:.4f}"
            "  (a lower bound: the Fourier KL sees only mode variances)\n"
            f"  exact : Fourier KL = {res['kl_exact']:.4f} nats, W₂² = {res['frechet_exact']:.4f}"
            f"  (expected {res['kl_exact_expected']:.4f} ± {res['kl_exact_sd']:.4f}: exact loop KL "
            f"{res['kl_exact_loop']:.4f} + estimator bias {res['kl_bias']:.4f} at n = {args.n} i.i.d. draws)"
        )
    elif data["target"] == "phi4":
        energy = Phi4(mass2=float(data["mass2"]), coupling=float(data["coupling"]))
        result = sample(key_sample, denoiser, schedule, (size, size), args.n, solver=args.method, **steps)
        fields = np.asarray(result.samples)
        if not np.all(np.isfinite(fields)):
            raise UsageError("the model's samples contain NaN/inf")
        model = phi4_summary(fields)
        chains = _hmc_reference(key_ref, energy, size, args)
        ref = {k: float(v) for k, v in diagnostics.phi4_observables(chains).items() if np.ndim(v) == 0}
        edge = float(max(np.abs(fields.mean(axis=(1, 2))).max(), np.abs(chains.mean(axis=(2, 3))).max()))
        edges = np.linspace(-edge, edge, 41)
        h_model, e_model = magnetisation_histogram(fields, edges)
        h_ref, e_ref = magnetisation_histogram(chains.reshape(-1, size, size), edges)
        arrays.update(samples=fields, m_edges=edges, m_hist_model=h_model, m_hist_model_err=e_model,
                      m_hist_hmc=h_ref, m_hist_hmc_err=e_ref)
        arrays.update({f"model_{k}": np.asarray(v) for k, v in model.items()})
        arrays.update({f"hmc_{k}": np.asarray(v) for k, v in ref.items()})
        rows = [("⟨|m|⟩", "abs_m"), ("χ₂", "chi2"), ("U₄", "binder"), ("P(m>0)", "p_positive")]
        print(
            f"{args.checkpoint}: φ⁴ {size}×{size} m² = {data['mass2']:g}, λ = {data['coupling']:g}; "
            f"{label} n = {args.n} ({args.inference_steps} {args.method.upper()} steps) "
            f"vs HMC {chains.shape[0]}×{chains.shape[1]}"
        )
        for name, k in rows:
            print(
                f"  {name:7s} {label} {model[k]:.4f} ± {model[k + '_error']:.4f}   "
                f"HMC {ref[k]:.4f} ± {ref[k + '_error']:.4f}"
            )
    else:
        if data["target"] == "file":
            raise UsageError(f"{args.checkpoint} was trained on your own fields ({data.get('file')}), which have no "
                             "exact reference to score against: draw samples with idf generate instead")
        raise UsageError(f"unknown training target {data['target']!r} in {args.checkpoint}")
    seconds = time.perf_counter() - start
    if args.out:
        config = {k: v for k, v in vars(args).items() if k != "func"}
        config.update(checkpoint_info={k: info[k] for k in ("model", "schedule", "data")}, seconds=seconds)
        save_npz(args.out, arrays, config)
        print(f"wrote {args.out}")
    print(f"  ({seconds:.1f} s)")
    return 0
