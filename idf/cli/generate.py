"""``idf generate``: draw fields from any checkpoint ``idf train`` writes.

Every model kind (U-Net, neural energy) and every training target (GFF, φ⁴,
your own fields from ``--data file``) samples the same way: the reverse loop
with the checkpoint's own schedule. The output .npz holds ``samples``
[n, L, L], ``diverged`` [n] (−1, or the step at which a sample became NaN/inf or blew past |x| = 1e8
and was frozen), ``timesteps`` [S], and the config: the arguments, the
checkpoint's model, schedule and data description, and the wall time. No
score is computed: fields trained from a file have no exact answer to compare
with (``idf evaluate`` scores the GFF and φ⁴ ones).
"""

from __future__ import annotations

import sys
import time

import jax
import numpy as np

from idf.cli import UsageError
from idf.cli._args import add_out, add_seed, bounded, fits
from idf.diffusion import SOLVERS, SPACINGS, make_schedule, sample
from idf.diffusion.sample import divergence_report
from idf.io import save_npz
from idf.models import load_denoiser


def register(sub) -> None:
    p = sub.add_parser("generate", help="draw samples [n, L, L] from a trained checkpoint (any target)")
    p.add_argument("--checkpoint", required=True, help="checkpoint .npz written by idf train")
    p.add_argument("--n", type=bounded(int, 1, 1_000_000), default=1024, help="samples to draw")
    p.add_argument("--inference-steps", type=bounded(int, 1, 100_000), default=50, help="reverse steps S")
    p.add_argument("--spacing", choices=SPACINGS, default="leading")
    p.add_argument("--method", choices=SOLVERS, default="ddim",
                   help="ddim (η from --eta) or ddpm (uses a learned variance when the model has one)")
    p.add_argument("--eta", type=bounded(float, 0.0, 1.0), default=0.0, help="DDIM η (0: deterministic)")
    p.add_argument("--temperature", type=bounded(float, 0.0, 100.0, low_open=True), default=1.0,
                   help="sampling temperature T_s: every Gaussian draw is scaled by √T_s")
    add_seed(p)
    add_out(p, "generate.npz")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.method == "ddpm" and args.eta != 0.0:
        raise UsageError("--eta applies to --method ddim only (DDPM's variance is fixed or learned)")
    denoiser, info = load_denoiser(args.checkpoint)
    size = int(info["data"]["size"])
    fits(args.n * size**2 * 4 * 3, f"--n {args.n} at {size}×{size}", "lower --n")
    schedule = make_schedule(**info["schedule"])
    start = time.perf_counter()
    result = sample(
        jax.random.key(args.seed), denoiser, schedule, (size, size), args.n,
        inference_steps=args.inference_steps, spacing=args.spacing, solver=args.method, eta=args.eta,
        temperature=args.temperature,
    )
    samples = np.asarray(jax.block_until_ready(result.samples))
    seconds = time.perf_counter() - start
    arrays = {"samples": samples, "diverged": np.asarray(result.diverged), "timesteps": np.asarray(result.timesteps)}
    config = {k: v for k, v in vars(args).items() if k != "func"}
    config.update(checkpoint_info={k: info[k] for k in ("model_kind", "model", "schedule", "data")},
                  seconds_including_compile=seconds)
    save_npz(args.out, arrays, config)
    data = info["data"]
    what = {"gff": "GFF", "phi4": "φ⁴", "file": f"your fields ({data.get('file')})"}.get(data["target"], data["target"])
    print(f"wrote {args.out}: samples {samples.shape} from {args.checkpoint} (trained on {what}), "
          f"{args.inference_steps} {args.method.upper()} steps, {seconds:.1f} s")
    report = divergence_report(result)
    if report:
        print(f"idf generate: warning: {report}", file=sys.stderr)
    return 0

