"""``idf schedule``: write a noise schedule's betas, alphas and alpha_bars."""

from __future__ import annotations

from idf.cli._args import add_out, bounded
from idf.diffusion import SCHEDULES, make_schedule
from idf.io import save_npz


def register(sub) -> None:
    p = sub.add_parser("schedule", help="write a noise schedule (betas, alphas, alpha_bars) to .npz")
    p.add_argument("--name", choices=SCHEDULES, default="linear")
    p.add_argument("--num-steps", type=bounded(int, 1, 100_000), default=1000)
    p.add_argument("--beta-start", type=bounded(float, 0.0, 1.0, low_open=True), default=1e-4)
    p.add_argument("--beta-end", type=bounded(float, 0.0, 1.0, low_open=True), default=0.02)
    add_out(p, "schedule.npz")
    p.set_defaults(func=run)


def run(args) -> int:
    sched = make_schedule(args.name, args.num_steps, args.beta_start, args.beta_end)
    config = {
        "command": "schedule",
        "name": args.name,
        "num_steps": args.num_steps,
        "beta_start": args.beta_start,
        "beta_end": args.beta_end,
    }
    arrays = {"betas": sched.betas, "alphas": sched.alphas, "alpha_bars": sched.alpha_bars}
    save_npz(args.out, arrays, config)
    print(f"wrote {args.out}: {args.name} schedule, T = {args.num_steps}, ᾱ_T = {sched.alpha_bars[-1]:.3e}")
    return 0
