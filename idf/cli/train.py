"""``idf train``: train a U-Net noise predictor (``--loss eps_mse``, or
``--loss hybrid`` with a learned reverse variance) or a neural energy
(``--model energy``) on exact GFF samples or on φ⁴ samples from HMC, and write
a safe checkpoint (``idf.io.checkpoint``)."""

from __future__ import annotations

import hashlib
import os
import sys

import numpy as np

from idf.cli import UsageError
from idf.cli._args import add_out, add_seed, bounded, fits
from idf.diffusion import SCHEDULES
from idf.energy.hopping import albergo_parameters
from idf.io.uploads import UploadError, read_fields
from idf.models import EnergyNetConfig, UNetConfig
from idf.training import LOSSES, Dataset, TrainConfig
from idf.training.evaluation import phi4_summary
from idf.training.recipe import DataSpec, ScheduleSpec, TrainSpec, train_and_evaluate, write_checkpoint
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
    p.add_argument("--coupling", type=bounded(float, 0.0, low_open=True), default=None,
                   help="φ⁴ λ (default 3; with --kappa the hopping form's λ)")
    p.add_argument("--kappa", type=bounded(float, 0.0, low_open=True), default=None,
                   help="φ⁴ in the hopping form (with --coupling λ): trained on the equal Albergo action, "
                        "m² = (1−2λ)/κ − 4, λ_A = λ/κ², whose fields are √κ times the hopping ones")
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
    if args.kappa is not None and (args.data != "phi4" or args.mass2 is not None or args.coupling is None):
        raise UsageError("--kappa needs --data phi4 and --coupling λ, without --mass2 (hopping form)")


FILE_LIMITS = dict(max_bytes=2**31, max_side=128, max_count=2_000_000)  # the CLI's, wider than the app's


def _file_dataset(path: str) -> Dataset:
    """Fields from a user's .npy/.npz, checked like an app upload (no pickle,
    finite, square, sizes bounded), with its name and sha256 as provenance."""
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


def spec_from_args(args, user_data: Dataset | None = None) -> TrainSpec:
    """The ``TrainSpec`` these arguments describe; UsageError for sizes that
    do not fit (``--valid``, ``--batch``, the memory the data needs)."""
    num_samples = len(user_data) if user_data is not None else args.num_samples
    size = user_data.shape[0] if user_data is not None else args.size
    valid = args.valid
    if valid is None:
        valid = max(1, num_samples // 16) if user_data is not None else 1024
    mults = _mults(args.channel_mults)
    if args.model == "unet":
        UNetConfig(channel_mults=mults).check_shape((size, size))
    if valid >= num_samples:
        raise UsageError(f"--valid {valid} must be below --num-samples {num_samples}")
    if args.batch > num_samples - valid:
        raise UsageError(f"--batch {args.batch} exceeds the {num_samples - valid} training fields")
    # the dataset (float32, with a shuffled copy per epoch) and the largest scanned chunk of batches
    fits(num_samples * size**2 * 4 * 2 + MAX_CHUNK_BYTES, f"--num-samples {num_samples} at {size}×{size}",
         "lower --num-samples or --size")
    if args.model == "energy":
        depth = 3 if args.depth is None else args.depth
        model = EnergyNetConfig(channels=args.base_channels, depth=depth, time_dim=args.time_dim,
                                periodic=not args.no_periodic)
    else:
        model = UNetConfig(base_channels=args.base_channels, channel_mults=mults, num_res_blocks=args.num_res_blocks,
                           time_dim=args.time_dim, groups=args.groups, periodic=not args.no_periodic)
    mass2, coupling = args.mass2, 3.0 if args.coupling is None else args.coupling
    if getattr(args, "kappa", None) is not None:
        mass2, coupling = albergo_parameters(args.kappa, coupling)
    data = DataSpec(target="fields" if user_data is not None else args.data, size=size, num_samples=num_samples,
                    num_valid=valid, mass2=mass2, kT=args.kT, coupling=coupling,
                    hmc_chains=args.hmc_chains, hmc_burn_in=args.hmc_burn_in, hmc_thin=args.hmc_thin,
                    hmc_step_size=args.step_size, hmc_leapfrog=args.leapfrog)
    loop = TrainConfig(steps=args.steps, batch_size=args.batch, learning_rate=args.lr, warmup=args.warmup,
                       ema_decay=args.ema_decay, eval_every=args.eval_every or args.steps,
                       checkpoint_every=args.checkpoint_every, log_every=min(50, args.steps),
                       z2_flip=args.data == "phi4")
    schedule = ScheduleSpec(args.schedule, args.num_steps, args.beta_start, args.beta_end)
    return TrainSpec(data=data, model=model, precondition=not args.no_precondition, schedule=schedule, train=loop,
                     loss=args.loss, vlb_weight=1e-3 if args.vlb_weight is None else args.vlb_weight,
                     eval_samples=args.eval_samples, seed=args.seed, resume=args.resume)


def run(args) -> int:
    _check_combination(args)
    user_data = _file_dataset(args.data_file) if args.data == "file" else None
    spec = spec_from_args(args, user_data)
    # the argument record as it was: --size and --num-samples follow a --data-file, --valid its default
    args.size, args.num_samples, args.valid = spec.data.size, spec.data.num_samples, spec.data.num_valid
    args.coupling = 3.0 if args.coupling is None else args.coupling
    record = {"argv": sys.argv[1:], "args": {k: v for k, v in vars(args).items() if k != "func"}}
    result = train_and_evaluate(spec, fields=user_data, checkpoint_path=args.out, record=record,
                                progress_bar=not args.no_progress)
    size = write_checkpoint(args.out, result, slim=args.slim)
    history, state = result.history, result.state
    last = history.evaluations[-1] if history.evaluations else {}
    summary = ", ".join(f"{k} = {v:.4g}" for k, v in last.items() if k != "step")
    if args.data == "phi4":
        obs = phi4_summary(result.dataset.fields)
        summary += f"; training data ⟨|m|⟩ = {obs['abs_m']:.4f}, P(m>0) = {obs['p_positive']:.3f}"
    print(
        f"wrote {args.out} ({size / 1024:.0f} KiB) after {int(state.step)} steps in {result.train_seconds:.1f} s: "
        f"loss = {history.loss[-1] if history.loss else float('nan'):.4f}; {summary}"
    )
    if history.diverged:
        print(f"idf train: {history.diverged}; {args.out} holds that last good state", file=sys.stderr)
        return 1
    return 0
