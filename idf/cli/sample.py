"""``idf sample``: Boltzmann sampling of a lattice field with MCMC chains.

Writes samples [chains, steps // thin, H, W] (after burn-in), per-step
acceptance probability and accepted flags [chains, steps], energy, ΔH (HMC),
gradient evaluations, divergence flags, the step size used, and the config.
φ⁴ runs also print and save (config["observables"]) ⟨|M|⟩, χ₂ and U₄ with
errors in the user's convention: the hopping form with ``--kappa`` (fields in
the hopping normalisation), the Albergo form otherwise; ``--preset`` picks a
literature setting. ``--sampler diffusion-mh --checkpoint F`` runs the exact
diffusion sampler and also writes log_weights [chains, steps] (``idf.cli._phi4``).
"""

from __future__ import annotations

import sys
import time

import jax
import numpy as np

from idf.cli import UsageError, _phi4
from idf.cli._args import add_out, add_seed, bounded, fits
from idf.energy import LATTICE_ENERGIES, make_energy, parse_energy
from idf.io import save_npz
from idf.samplers import SAMPLERS, make_sampler, nonfinite_report, run_chains


def register(sub) -> None:
    p = sub.add_parser("sample", help="MCMC chains (ULA, MALA, MH, HMC, NUTS) on a lattice energy")
    p.add_argument("--energy", choices=[*LATTICE_ENERGIES, "custom"], default=None,
                   help="default gff; custom: φ typed with --expr in the safe expression language (see README)")
    p.add_argument("--expr", default=None, help="custom energy, e.g. '0.5*sum(grad(x)**2) + 0.5*m2*sum(x**2)'")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="a float parameter of --expr (repeatable), e.g. --param m2=1")
    p.add_argument("--size", type=bounded(int, 2, 256), default=None, help="lattice side L (field is L×L; default 8)")
    p.add_argument("--mass2", type=bounded(float), default=None,
                   help="m² (default: the energy's own: gff 1, phi4 −4, lattice 0)")
    p.add_argument("--coupling", type=bounded(float), default=None, help="φ⁴ coupling λ (default 8)")
    p.add_argument("--kT", type=bounded(float, 0.0, low_open=True), default=1.0)
    p.add_argument("--w-kinetic", type=bounded(float), default=None, help="lattice: w_k (default 1)")
    p.add_argument("--w-potential", type=bounded(float), default=None, help="lattice: w_p (default 1)")
    p.add_argument("--w-thermal", type=bounded(float), default=None, help="lattice: w_th (default 0.1)")
    p.add_argument("--sampler", choices=[*SAMPLERS, _phi4.DIFFUSION_MH], default="hmc")
    p.add_argument("--step-size", type=bounded(float, 0.0, 100.0, low_open=True), default=0.1)
    p.add_argument("--leapfrog", type=bounded(int, 1, 10_000), default=10, help="HMC leapfrog steps L")
    p.add_argument("--chains", type=bounded(int, 1, 100_000), default=16)
    p.add_argument("--steps", type=bounded(int, 1, 10_000_000), default=2000, help="steps after burn-in")
    p.add_argument("--burn-in", type=bounded(int, 0, 10_000_000), default=500)
    p.add_argument("--thin", type=bounded(int, 1, 1_000_000), default=1)
    p.add_argument("--adapt", action="store_true",
                   help="dual-averaging step-size adaptation during burn-in (not for langevin)")
    p.add_argument("--target-accept", type=bounded(float, 0.0, 1.0, low_open=True), default=0.8)
    _phi4.add_arguments(p)
    add_seed(p)
    add_out(p, "sample.npz")
    p.set_defaults(func=run)


def run(args) -> int:
    _phi4.resolve(args)
    shape = (args.size, args.size)
    if args.thin > args.steps:
        raise UsageError(f"--thin {args.thin} is larger than --steps {args.steps}")
    kept = args.steps // args.thin
    fits(args.chains * (kept + 2) * args.size**2 * 4, "keeping the samples",
         "lower --chains, --steps or --size, or raise --thin")
    if args.adapt and args.sampler == "langevin":
        raise UsageError("--adapt needs an acceptance probability: use it with mala, mh, hmc or nuts")
    if args.energy == "custom":
        energy = _custom_energy(args)
    elif args.kappa is not None:
        energy = _phi4.hopping_energy(args)
    else:
        energy = make_energy(
            args.energy, mass2=args.mass2, coupling=args.coupling, kT=args.kT,
            w_kinetic=args.w_kinetic, w_potential=args.w_potential, w_thermal=args.w_thermal,
        )
    energy.check_normalizable(shape)
    start = time.perf_counter()
    extras, log_weights = {}, None
    if args.sampler == _phi4.DIFFUSION_MH:
        result, log_weights, extras = _phi4.diffusion_mh(args, energy, shape)
    else:
        sampler = make_sampler(args.sampler, args.step_size, args.leapfrog)
        key_init, key_run = jax.random.split(jax.random.key(args.seed))
        x_init = 0.5 * jax.random.normal(key_init, (args.chains, *shape))
        result = run_chains(
            sampler, energy, key_run, x_init, args.steps, burn_in=args.burn_in, thin=args.thin,
            adapt=args.adapt, target_accept=args.target_accept, warn=False,
        )
    samples = np.asarray(jax.block_until_ready(result.positions))
    seconds = time.perf_counter() - start
    arrays = {
        "samples": samples,
        "acceptance": np.asarray(result.acceptance_prob),
        "accepted": np.asarray(result.accepted),
        "energy": np.asarray(result.energy),
        "num_grad_evals": np.asarray(result.num_grad_evals),
        "divergent": np.asarray(result.divergent),
        "nonfinite": np.asarray(result.nonfinite),
        "nonfinite_step": np.asarray(result.nonfinite_step),
        "step_size": np.asarray(result.step_size),
    }
    if args.sampler == "hmc":
        arrays["delta_H"] = np.asarray(result.delta_H)
    if log_weights is not None:
        arrays["log_weights"] = log_weights
    config = {k: v for k, v in vars(args).items() if k != "func"}
    config["energy_params"] = (
        {"source": energy.source, **{k: float(v) for k, v in energy.params.items()}, "kT": float(energy.kT)}
        if args.energy == "custom" else {k: float(v) for k, v in vars(energy).items()}
    )
    config["final_step_size"] = float(result.step_size)
    config["seconds_including_compile"] = seconds
    config["x_init"] = "the first proposal" if extras else "independent N(0, 0.25) sites"
    config.update(extras)
    obs = _phi4.observables(samples, energy)
    if obs is not None:
        config["observables"] = obs
    save_npz(args.out, arrays, config)
    for line in nonfinite_report(result):
        print(f"idf sample: warning: {line}", file=sys.stderr)
    print(
        f"wrote {args.out}: samples {list(samples.shape)}, acceptance {arrays['acceptance'].mean():.3f}, "
        f"step size {float(result.step_size):.4g}, {int(arrays['nonfinite'].sum())} frozen (non-finite) chains, "
        f"{int(arrays['divergent'].sum())} divergent transitions, "
        f"{seconds:.1f} s"
    )
    if obs is not None:
        print(_phi4.format_observables(obs))
    return 0


def _custom_energy(args):
    """--expr and --param NAME=VALUE -> a CustomEnergy (never eval'd)."""
    if not args.expr:
        raise UsageError("--energy custom needs --expr, e.g. --expr '0.5*sum(grad(x)**2) + 0.5*m2*sum(x**2)'")
    params = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        try:
            params[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise UsageError(f"--param {item!r}: expected NAME=VALUE with a number, e.g. m2=1")
    return parse_energy(args.expr, params, kT=args.kT)
