"""``idf train``: train a U-Net noise predictor (``--loss eps_mse``, or
``--loss hybrid`` with a learned reverse variance) or a neural energy
(``--model energy``) on exact GFF samples or on φ⁴ samples from HMC, and write
a safe checkpoint (``idf.io.checkpoint``)."""

from __future__ import annotations

import hashlib
import os
import platform
import sys
import time

import jax
import numpy as np

from idf.cli import UsageError
from idf.cli._args import add_out, add_seed, bounded, fits
from idf.diffusion import SCHEDULES, make_schedule
from idf.energy import GaussianFreeField
from idf.models import EnergyNetConfig, UNetConfig, config_from_dict, denoiser_from_state
from idf.training import (
    LOSSES,
    Dataset,
    TrainConfig,
    gff_dataset,
    init_train_state,
    make_optimizer,
    phi4_dataset,
    read_checkpoint,
    restore,
    save_checkpoint,
    train,
)
from idf.training.evaluation import evaluate_gff, optimal_eps_mse, phi4_summary
from idf.training.trainer import MAX_CHUNK_BYTES


def _mults(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"--channel-mults wants comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1 or len(values) > 5:
        raise ValueError(f"--channel-mults wants 1 to 5 integers ≥ 1, got {text!r}")
    return values


def register(sub) -> None:
    p = sub.add_parser("train", help="train a denoiser (U-Net or neural energy) and write a checkpoint")
    p.add_argument("--data", choices=["gff", "phi4", "file"], default="gff",
                   help="training target: exact GFF samples, HMC φ⁴ samples, or your own fields (--data-file)")
    p.add_argument("--data-file", default=None,
                   help="with --data file: .npy/.npz of fields [N, L, L] (read without pickle; sets --size and "
                        "--num-samples)")
    p.add_argument("--size", type=bounded(int, 2, 128), default=8, help="lattice side L")
    p.add_argument("--mass2", type=bounded(float), default=None, help="m² (default 1 for gff, −4 for phi4)")
    p.add_argument("--coupling", type=bounded(float, 0.0, low_open=True), default=3.0, help="φ⁴ λ")
    p.add_argument("--kT", type=bounded(float, 0.0, low_open=True), default=1.0, help="GFF temperature")
    p.add_argument("--num-samples", type=bounded(int, 16, 2_000_000), default=32768, help="dataset size")
    p.add_argument("--valid", type=bounded(int, 1, 100_000), default=None,
                   help="held-out fields (default 1024; with --data file, 1/16 of them)")
    p.add_argument("--hmc-chains", type=bounded(int, 1, 4096), default=64)
    p.add_argument("--hmc-burn-in", type=bounded(int, 0, 100_000), default=500)
    p.add_argument("--hmc-thin", type=bounded(int, 1, 1000), default=5)
    p.add_argument("--step-size", type=bounded(float, 0.0, 10.0, low_open=True), default=0.1, help="HMC ε")
    p.add_argument("--leapfrog", type=bounded(int, 1, 1000), default=10, help="HMC leapfrog steps")
    p.add_argument("--schedule", choices=SCHEDULES, default="linear")
    p.add_argument("--num-steps", type=bounded(int, 2, 100_000), default=1000, help="diffusion steps T")
    p.add_argument("--beta-start", type=bounded(float, 0.0, 1.0, low_open=True), default=1e-4)
    p.add_argument("--beta-end", type=bounded(float, 0.0, 1.0, low_open=True), default=0.02)
    p.add_argument(
        "--model",
        choices=["unet", "energy"],
        default="unet",
        help="unet: ε̂ from a U-Net; energy: ε̂ = √(1−ᾱ)·∇E_θ of a neural energy (idf.models.energy_net)",
    )
    p.add_argument(
        "--loss",
        choices=LOSSES,
        default="eps_mse",
        help="eps_mse: L_simple; hybrid: L_simple + λ·L_vlb with a learned reverse variance (U-Net only)",
    )
    p.add_argument("--vlb-weight", type=bounded(float, 0.0), default=None, help="λ of --loss hybrid (default 0.001)")
    p.add_argument("--base-channels", type=bounded(int, 1, 512), default=16, help="U-Net C₀ or energy-net width")
    p.add_argument("--channel-mults", type=str, default="1,2", help="U-Net only: e.g. 1,2 (two levels)")
    p.add_argument("--depth", type=bounded(int, 1, 64), default=None, help="energy net only: conv layers (default 3)")
    p.add_argument("--num-res-blocks", type=bounded(int, 1, 8), default=1)
    p.add_argument("--time-dim", type=bounded(int, 2, 1024), default=32)
    p.add_argument("--groups", type=bounded(int, 1, 64), default=8)
    p.add_argument("--no-periodic", action="store_true", help="zero padding instead of circular")
    p.add_argument(
        "--no-precondition",
        action="store_true",
        help="plain ε̂ = F(x_t, t), without the skip to the white-Gaussian denoiser",
    )
    p.add_argument("--steps", type=bounded(int, 1, 10_000_000), default=2000, help="optimizer steps")
    p.add_argument("--batch", type=bounded(int, 1, 65536), default=128)
    p.add_argument("--lr", type=bounded(float, 0.0, 1.0, low_open=True), default=2e-3)
    p.add_argument("--warmup", type=bounded(int, 0, 1_000_000), default=100)
    p.add_argument("--ema-decay", type=bounded(float, 0.0, 1.0), default=0.999)
    p.add_argument("--eval-every", type=bounded(int, 0), default=500, help="0: only at the end")
    p.add_argument(
        "--eval-samples",
        type=bounded(int, 0, 1_000_000),
        default=1024,
        help="GFF: DDIM samples for the KL at each evaluation (0: off)",
    )
    p.add_argument("--checkpoint-every", type=bounded(int, 0), default=0, help="resumable saves to --out")
    p.add_argument("--resume", default=None, help="continue from a resumable checkpoint (same settings)")
    p.add_argument("--slim", action="store_true", help="final file without optimizer state (not resumable)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_seed(p)
    add_out(p, "train.npz")
    p.set_defaults(func=run)


def _device() -> str:
    d = jax.devices()[0]
    return f"{d.platform}: {d.device_kind} ({os.cpu_count()} CPUs, {platform.machine()})"


def _check_combination(args) -> None:
    """One-line UsageErrors for options that do not go together."""
    if args.model == "energy" and args.loss == "hybrid":
        raise UsageError("--loss hybrid needs --model unet: the energy network predicts ε̂ only, no variance")
    if args.vlb_weight is not None and args.loss != "hybrid":
        raise UsageError("--vlb-weight applies to --loss hybrid only")
    if args.depth is not None and args.model != "energy":
        raise UsageError("--depth applies to --model energy only (the U-Net's depth is --channel-mults)")
    if (args.data == "file") != (args.data_file is not None):
        raise UsageError("--data file and --data-file PATH go together")


FILE_LIMITS = dict(max_bytes=2**31, max_side=128, max_count=2_000_000)  # the CLI's, wider than the app's


def _file_dataset(path: str) -> Dataset:
    """Fields from a user's .npy/.npz, checked like an app upload (no pickle,
    finite, square, sizes bounded), with its name and sha256 as provenance."""
    from idf.io.uploads import UploadError, read_fields  # noqa: PLC0415 - only for --data file

    try:
        size = os.path.getsize(path)
    except OSError as err:
        raise UsageError(f"--data-file {path}: {err.strerror or err}") from None
    fits(size * 4, f"--data-file {os.path.basename(path)}", "use a smaller file")
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        fields = read_fields(os.path.basename(path), raw, min_count=2, **FILE_LIMITS)
    except UploadError as err:
        raise UsageError(str(err)) from None
    if fields.ndim != 3 or fields.shape[0] < 2:
        raise UsageError(f"--data-file {path}: expected fields [N, L, L] with N ≥ 2, got shape {fields.shape}")
    description = {"target": "file", "file": os.path.basename(path), "sha256": hashlib.sha256(raw).hexdigest(),
                   "size": int(fields.shape[1]), "count": int(fields.shape[0])}
    return Dataset(np.asarray(fields, np.float32), description)


def run(args) -> int:
    _check_combination(args)
    user_data = None
    if args.data == "file":
        user_data = _file_dataset(args.data_file)
        args.size, args.num_samples = user_data.shape[0], len(user_data)
    if args.valid is None:
        args.valid = max(1, args.num_samples // 16) if user_data is not None else 1024
    mass2 = args.mass2 if args.mass2 is not None else (1.0 if args.data == "gff" else -4.0)
    shape = (args.size, args.size)
    mults = _mults(args.channel_mults)
    if args.model == "unet":
        UNetConfig(channel_mults=mults).check_shape(shape)
    vlb_weight = 1e-3 if args.vlb_weight is None else args.vlb_weight
    if args.valid >= args.num_samples:
        raise UsageError(f"--valid {args.valid} must be below --num-samples {args.num_samples}")
    if args.batch > args.num_samples - args.valid:
        raise UsageError(f"--batch {args.batch} exceeds the {args.num_samples - args.valid} training fields")
    # the dataset (float32, with a shuffled copy per epoch) and the largest scanned chunk of batches
    fits(args.num_samples * args.size**2 * 4 * 2 + MAX_CHUNK_BYTES, f"--num-samples {args.num_samples} at "
         f"{args.size}×{args.size}", "lower --num-samples or --size")
    schedule_args = {
        "name": args.schedule,
        "num_steps": args.num_steps,
        "beta_start": args.beta_start,
        "beta_end": args.beta_end,
    }
    schedule = make_schedule(**schedule_args)
    key = jax.random.key(args.seed)
    key_init, key_data, key_train, key_eval = jax.random.split(key, 4)

    start = time.perf_counter()
    if user_data is not None:
        dataset = user_data.shuffled(key_data)
    elif args.data == "gff":
        target = GaussianFreeField(mass2=mass2, kT=args.kT)
        target.check_normalizable(shape)
        dataset = gff_dataset(key_data, args.size, args.num_samples, mass2, args.kT)
    else:
        try:
            dataset = phi4_dataset(
                key_data,
                args.size,
                args.num_samples,
                mass2,
                args.coupling,
                chains=args.hmc_chains,
                burn_in=args.hmc_burn_in,
                thin=args.hmc_thin,
                step_size=args.step_size,
                leapfrog=args.leapfrog,
            )
        except ImportError as err:
            raise UsageError(f"--data phi4 needs idf.samplers.run_chains, not available: {err}") from err
    data_seconds = time.perf_counter() - start
    train_set, valid_set = dataset.split(args.valid)
    # σ_d about zero: every target here has zero mean (GFF; φ⁴ after the Z₂ flips).
    data_std = 0.0 if args.no_precondition else float(np.sqrt(np.mean(train_set.fields.astype(np.float64) ** 2)))
    if args.model == "energy":
        config = EnergyNetConfig(
            channels=args.base_channels,
            depth=3 if args.depth is None else args.depth,
            time_dim=args.time_dim,
            periodic=not args.no_periodic,
        )
    else:
        config = UNetConfig(
            base_channels=args.base_channels,
            channel_mults=mults,
            num_res_blocks=args.num_res_blocks,
            time_dim=args.time_dim,
            groups=args.groups,
            periodic=not args.no_periodic,
            data_std=data_std,
            learn_sigma=args.loss == "hybrid",
        )

    tx = make_optimizer(args.lr, args.steps, args.warmup)
    state = init_train_state(key_init, config, schedule, tx, args.ema_decay, loss=args.loss, vlb_weight=vlb_weight)
    if args.resume:
        state, old = restore(args.resume, state)
        try:
            same = old.get("model_kind", "unet") == args.model and config_from_dict(args.model, old["model"]) == config
        except (TypeError, ValueError):
            same = False
        if not same or old["schedule"] != schedule_args:  # same seed → same σ_d
            raise UsageError(f"{args.resume}: model or schedule differs from these arguments")

    evaluate = None
    if args.data == "gff":
        power = np.asarray(target.covariance_spectrum(shape), np.float64)
        best = optimal_eps_mse(power, schedule.alpha_bars)

        def evaluate(st):
            out = {"optimal_loss": best}
            if args.eval_samples:
                den = denoiser_from_state(st.graphdef, st.ema)
                res = evaluate_gff(key_eval, den, schedule, target, args.size, args.eval_samples)
                out.update(kl_model=res["kl_model"], kl_exact=res["kl_exact"])
            return out

    train_config = TrainConfig(
        steps=args.steps,
        batch_size=args.batch,
        learning_rate=args.lr,
        warmup=args.warmup,
        ema_decay=args.ema_decay,
        eval_every=args.eval_every or args.steps,
        checkpoint_every=args.checkpoint_every,
        log_every=min(50, args.steps),
        z2_flip=args.data == "phi4",
    )
    meta = {
        "model_kind": args.model,
        "model": config.to_dict(),
        "schedule": schedule_args,
        "data": dataset.description,
        "training": {
            "objective": {"loss": args.loss, "vlb_weight": vlb_weight if args.loss == "hybrid" else None},
            "seed": args.seed,
            "argv": sys.argv[1:],
            "args": {k: v for k, v in vars(args).items() if k != "func"},
            "device": _device(),
            "jax": jax.__version__,
            "num_params": count_params_state(state),
            "data_seconds": data_seconds,
            "resumed_from": args.resume,
        },
    }
    t0 = time.perf_counter()
    state, history = train(
        key_train,
        state,
        train_set,
        train_config,
        valid=valid_set,
        evaluate=evaluate,
        checkpoint_path=args.out,
        meta=meta,
        progress_bar=not args.no_progress,
    )
    seconds = time.perf_counter() - t0
    arrays, saved = read_checkpoint(args.out)
    saved["training"]["train_seconds"] = seconds
    saved["training"]["history"] = {"steps": history.steps, "loss": history.loss}
    for field in ("format", "version", "has_optimizer", "weights_sha256"):
        saved.pop(field)
    if args.slim:
        size = save_checkpoint(args.out, state.ema, saved)
    else:
        size = save_checkpoint(args.out, state.ema, saved, train_params=state.params, opt_state=state.opt_state)
    last = history.evaluations[-1] if history.evaluations else {}
    summary = ", ".join(f"{k} = {v:.4g}" for k, v in last.items() if k != "step")
    if args.data == "phi4":
        obs = phi4_summary(dataset.fields)
        summary += f"; training data ⟨|m|⟩ = {obs['abs_m']:.4f}, P(m>0) = {obs['p_positive']:.3f}"
    print(
        f"wrote {args.out} ({size / 1024:.0f} KiB) after {int(state.step)} steps in {seconds:.1f} s: "
        f"loss = {history.loss[-1] if history.loss else float('nan'):.4f}; {summary}"
    )
    if history.diverged:
        print(f"idf train: {history.diverged}; {args.out} holds that last good state", file=sys.stderr)
        return 1
    return 0


def count_params_state(state) -> int:
    return int(sum(np.size(v) for v in jax.tree_util.tree_leaves(state.params)))
