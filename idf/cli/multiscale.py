"""``idf multiscale``: coarse-to-fine GFF generation (SDEdit or exact cascade),
every scale written to the .npz with its radially averaged spectrum against
the exact one."""

from __future__ import annotations

import argparse
import time

import jax
import numpy as np

from idf.cli import UsageError
from idf.cli._args import add_out, add_seed, bounded, fits
from idf.diagnostics import gaussian_shell_stderr, radial_average, radial_power_spectrum, shell_z_scores
from idf.diffusion import SCHEDULES, SOLVERS, SPACINGS, make_schedule
from idf.diffusion.multiscale import (
    REFINERS,
    UPSAMPLERS,
    MultiscaleOptions,
    exact_multiscale_power,
    multiscale_sample,
    scale_target,
    start_step_for,
    steps_per_scale,
)
from idf.energy import GaussianFreeField
from idf.io import save_npz


def _scales(text: str) -> tuple[int, ...]:
    try:
        scales = tuple(int(s) for s in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated lattice sides, got {text!r}") from None
    if any(s < 2 or s > 1024 for s in scales):
        raise argparse.ArgumentTypeError(f"every side must be between 2 and 1024, got {text}")
    if any(b <= a for a, b in zip(scales, scales[1:], strict=False)):
        raise argparse.ArgumentTypeError(f"sides must increase, coarse to fine, got {text}")
    return scales


def _steps(text: str) -> int | tuple[int, ...]:
    try:
        counts = tuple(int(s) for s in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a step count or one per scale (e.g. 200,100,50), got {text!r}"
        ) from None
    if any(c < 1 or c > 100_000 for c in counts):
        raise argparse.ArgumentTypeError(f"step counts must be between 1 and 100000, got {text}")
    return counts[0] if len(counts) == 1 else counts


def register(sub) -> None:
    p = sub.add_parser("multiscale", help="coarse-to-fine generation of a GFF, every scale scored exactly")
    p.add_argument("--scales", type=_scales, default=(64, 128, 256), help="lattice sides, coarse to fine")
    p.add_argument("--method", choices=REFINERS, default="sdedit",
                   help="sdedit: noise the upsampled field to t* and denoise; cascade: exact known-modes denoiser")
    p.add_argument("--upsample", choices=UPSAMPLERS, default="spectral")
    p.add_argument("--t-star", type=bounded(float, 0.0, 1.0, low_open=True), default=0.5,
                   help="SDEdit start as a fraction of the schedule (ignored by cascade)")
    p.add_argument("--inference-steps", type=_steps, default=50,
                   help="reverse steps per scale: one count, or one per scale (e.g. 200,100,50)")
    p.add_argument("--sampler", choices=SOLVERS, default="ddim")
    p.add_argument("--eta", type=bounded(float, 0.0, 1.0), default=0.0)
    p.add_argument("--spacing", choices=SPACINGS, default="trailing")
    p.add_argument("--schedule", choices=SCHEDULES, default="linear")
    p.add_argument("--num-steps", type=bounded(int, 1, 100_000), default=1000)
    p.add_argument("--mass2", type=bounded(float, 0.0, low_open=True), default=0.1, help="m² on the finest lattice")
    p.add_argument("--kT", type=bounded(float, 0.0, low_open=True), default=1.0)
    p.add_argument("--n", type=bounded(int, 1, 100_000), default=16, help="number of samples")
    add_seed(p)
    add_out(p, "multiscale.npz")
    p.set_defaults(func=run)


def run(args) -> int:
    fits(args.n * sum(s * s for s in args.scales) * 4 * 4, f"--n {args.n} at scales {args.scales}",
         "lower --n or the scales")
    schedule = make_schedule(args.schedule, args.num_steps)
    counts = steps_per_scale(args.inference_steps, len(args.scales))
    if max(counts) > args.num_steps:
        raise UsageError(f"--inference-steps {max(counts)} exceeds --num-steps {args.num_steps}")
    if args.method == "sdedit" and len(counts) > 1:
        available = start_step_for(schedule, args.t_star) + 1
        if max(counts[1:]) > available:
            raise UsageError(f"--inference-steps {max(counts[1:])} exceeds the {available} steps below t*")
    energy = GaussianFreeField(mass2=args.mass2, kT=args.kT)
    options = MultiscaleOptions(refinement=args.method, upsampling=args.upsample, t_star=args.t_star,
                                inference_steps=args.inference_steps, solver=args.sampler, eta=args.eta,
                                spacing=args.spacing)
    start = time.perf_counter()
    result = multiscale_sample(jax.random.key(args.seed), energy, schedule, args.scales, args.n, options)
    seconds = time.perf_counter() - start
    exact = exact_multiscale_power(energy, schedule, args.scales, options)
    fine_shape = (args.scales[-1],) * 2
    arrays = {"seconds": np.asarray(result.seconds)}
    summary = []
    for side, x, v, steps in zip(args.scales, result.samples, exact, result.timesteps, strict=True):
        x = np.asarray(x)
        if not np.all(np.isfinite(x)):
            raise UsageError(f"the samples at scale {side} contain NaN/inf")
        target = np.asarray(scale_target(energy, fine_shape, (side, side)).covariance_spectrum((side, side)))
        measured, expected, wanted = radial_power_spectrum(x), radial_average(v), radial_average(target)
        arrays |= {
            f"scale_{side}": x,
            f"timesteps_{side}": steps,
            f"radial_q_{side}": measured.q,
            f"radial_power_{side}": measured.power,
            f"radial_stderr_{side}": measured.stderr,
            f"radial_exact_{side}": expected.power,
            f"radial_target_{side}": wanted.power,
            f"exact_power_{side}": v,
            f"target_power_{side}": target,
        }
        # SE of a stationary Gaussian with the exact pipeline power (bilinear SDEdit: approximate)
        z = float(np.max(np.abs(shell_z_scores(measured, expected, gaussian_shell_stderr(v, args.n)))))
        bias = float(np.max(np.abs(expected.power / wanted.power - 1.0)))
        summary.append(f"{side}²: max|z| {z:.2f}, pipeline bias {100 * bias:.1f} %")
    config = {k: v for k, v in vars(args).items() if k != "func"}
    config["scales"] = list(args.scales)
    config["inference_steps"] = list(counts)
    config["seconds_including_compile"] = seconds
    save_npz(args.out, arrays, config)
    print(f"wrote {args.out}: {args.method} over {args.scales}, n = {args.n}, {seconds:.1f} s; " + "; ".join(summary))
    return 0
