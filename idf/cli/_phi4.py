"""φ⁴ at the command line: the hopping form (``--kappa``), literature presets
(``--preset``), observables with errors in the user's convention, and the
diffusion-MH sampler (``--sampler diffusion-mh --checkpoint F``).

Conventions (``idf.energy.hopping``): with ``--kappa K --coupling λ`` the action
is S = Σ[−2κΣ_μφφ_{+μ} + (1−2λ)φ² + λφ⁴] and every field written or measured is
in that (hopping) normalisation; with ``--mass2``/``--coupling`` (or neither) it
is the Albergo form S = Σ[Σ_μ(Δ_μφ)² + m²φ² + λφ⁴].
"""

from __future__ import annotations

import math
from typing import Any

import jax
import numpy as np

from idf.cli import UsageError
from idf.diagnostics import phi4_observables
from idf.diagnostics.hopping import hopping_observables
from idf.energy import HoppingPhi4, Phi4
from idf.energy.base import Energy
from idf.energy.hopping import to_hopping_field
from idf.energy.presets import PRESETS, get_preset

DIFFUSION_MH = "diffusion-mh"
PRESET_HELP = "a literature φ⁴ setting (sets --energy phi4, --size and the parameters): " + ", ".join(PRESETS)


def add_arguments(p) -> None:
    """The φ⁴ and diffusion-MH options of ``idf sample``."""
    from idf.cli._args import bounded  # noqa: PLC0415 - keep this module importable on its own

    p.add_argument("--kappa", type=bounded(float, 0.0, low_open=True), default=None,
                   help="φ⁴ hopping parameter κ: selects the hopping form S = Σ[−2κΣφφ' + (1−2λ)φ² + λφ⁴] "
                        "(Wang–Aarts–Zhou); fields and observables are then in the hopping normalisation")
    p.add_argument("--preset", choices=list(PRESETS), default=None, help=PRESET_HELP)
    p.add_argument("--checkpoint", default=None, help="diffusion-mh: a U-Net checkpoint written by idf train")
    p.add_argument("--inference-steps", type=bounded(int, 1, 100_000), default=None,
                   help="diffusion-mh: DDPM steps of each proposal (default 50)")


def resolve(args) -> None:
    """Fill --energy/--size/parameters from --preset and refuse bad combinations
    (UsageError, one line). Mutates ``args`` so the saved config is what ran."""
    if args.preset is not None:
        clash = [f"--{n.replace('_', '-')}" for n in ("kappa", "mass2", "coupling") if getattr(args, n) is not None]
        if clash:
            raise UsageError(f"--preset {args.preset} sets the φ⁴ parameters: drop {', '.join(clash)}")
        if args.energy not in (None, "phi4"):
            raise UsageError(f"--preset {args.preset} is a φ⁴ setting: drop --energy {args.energy}")
        preset = get_preset(args.preset)
        if args.size is not None and args.size != preset.size:
            raise UsageError(f"--preset {args.preset} is L = {preset.size}: drop --size {args.size}")
        args.energy, args.size = "phi4", preset.size
        if preset.convention == "hopping":
            args.kappa = preset.params["kappa"]
        else:
            args.mass2 = preset.params["mass2"]
        args.coupling = preset.params["coupling"]
    args.energy = args.energy or "gff"
    args.size = args.size or 8
    if args.kappa is not None:
        if args.energy != "phi4":
            raise UsageError(f"--kappa is the φ⁴ hopping parameter: use it with --energy phi4, not {args.energy}")
        if args.mass2 is not None:
            raise UsageError("--kappa (hopping form) and --mass2 (Albergo form) exclude each other: give one")
        if args.coupling is None:
            raise UsageError("--kappa needs --coupling λ (the hopping form's λ, e.g. 0.022)")
    diffusion = args.sampler == DIFFUSION_MH
    if diffusion and args.checkpoint is None:
        raise UsageError("--sampler diffusion-mh needs --checkpoint PATH (a model from idf train)")
    if not diffusion:
        for flag, value in (("--checkpoint", args.checkpoint), ("--inference-steps", args.inference_steps)):
            if value is not None:
                raise UsageError(f"{flag} applies to --sampler diffusion-mh only")
    if diffusion and args.adapt:
        raise UsageError("--adapt tunes a step size: diffusion-mh has none (its proposals are the model's)")
    if diffusion and args.energy != "phi4" and args.energy != "gff":
        raise UsageError(f"--sampler diffusion-mh samples gff or phi4 targets, not {args.energy}")


def hopping_energy(args) -> HoppingPhi4 | None:
    """The hopping-form energy when --kappa is given, else None."""
    if args.kappa is None:
        return None
    return HoppingPhi4(kappa=float(args.kappa), coupling=float(args.coupling), kT=float(args.kT))


def observables(samples: Any, energy: Energy) -> dict[str, float] | None:
    """⟨|M|⟩, χ₂, U₄ with one-SE errors (τ_int) of samples [C, S, L, L] in the
    energy's convention, or None for a non-φ⁴ energy.

    Hopping: M = Σφ/V, χ₂ = V(⟨M²⟩ − ⟨M⟩²) (connected), U₄ = 1 − ⟨M⁴⟩/3⟨M²⟩².
    Albergo: m = Σφ/V, χ₂ = V⟨m²⟩ (Σ_x G(x); ⟨m⟩ = 0 by symmetry), the same U₄."""
    x = np.asarray(samples, np.float64)
    if x.shape[1] < 4:
        return None
    if isinstance(energy, HoppingPhi4):
        obs = hopping_observables(x)
        keys = {"abs_M": "abs_M", "chi2": "chi2", "binder": "U4"}
        out = {"convention": "hopping"}
    elif isinstance(energy, Phi4):
        obs = phi4_observables(x)
        keys = {"abs_m": "abs_m", "chi2": "chi2", "binder": "U4"}
        out = {"convention": "albergo"}
    else:
        return None
    for src, dst in keys.items():
        out[dst] = float(obs[src])
        out[f"{dst}_error"] = float(obs[f"{src}_error"])
    return out


def format_observables(obs: dict[str, Any]) -> str:
    """One line: '⟨|M|⟩ = 0.123 ± 0.004, χ₂ = … (hopping convention)'."""
    name = "⟨|M|⟩" if obs["convention"] == "hopping" else "⟨|m|⟩"
    first = "abs_M" if obs["convention"] == "hopping" else "abs_m"
    parts = [f"{label} = {_pm(obs[k], obs[f'{k}_error'])}" for label, k in ((name, first), ("χ₂", "chi2"),
                                                                           ("U₄", "U4"))]
    return ", ".join(parts) + f" ({obs['convention']} convention, errors 1 SE from τ_int)"


def _pm(value: float, error: float) -> str:
    if not (math.isfinite(error) and error > 0):
        return f"{value:.5g} ± ?"
    digits = max(0, 1 - int(math.floor(math.log10(error))))
    return f"{value:.{digits}f} ± {error:.{digits}f}"


def diffusion_mh(args, energy: Energy, shape: tuple[int, int]) -> tuple[Any, np.ndarray, dict[str, Any]]:
    """Run ``diffusion_mh_chains`` with the checkpoint's U-Net as the proposal:
    (ChainResult with positions in the user's normalisation, log_weights [C, T],
    config extras). A hopping target is sampled as its equal ``Phi4`` (the model
    was trained on Albergo-normalised fields) and the fields mapped by φ/√κ: the
    same law, exactly."""
    from idf.diffusion import make_schedule  # noqa: PLC0415 - only this sampler needs the models
    from idf.models import load_denoiser  # noqa: PLC0415
    from idf.samplers.diffusion_mh import diffusion_mh_chains  # noqa: PLC0415

    denoiser, info = load_denoiser(args.checkpoint)
    trained = info.get("data", {})
    if int(trained.get("size", shape[0])) != shape[0]:
        raise UsageError(f"--checkpoint {args.checkpoint} was trained at L = {trained.get('size')}, "
                         f"not --size {shape[0]}")
    target = energy.albergo() if isinstance(energy, HoppingPhi4) else energy
    steps = args.inference_steps or 50
    run = diffusion_mh_chains(
        jax.random.key(args.seed), denoiser, make_schedule(**info["schedule"]), target, shape, args.chains,
        args.steps, inference_steps=steps, burn_in=args.burn_in,
    )
    result = run.result
    thin = slice(None, None, args.thin)
    positions = result.positions[:, thin]
    if isinstance(energy, HoppingPhi4):
        positions = to_hopping_field(positions, float(energy.kappa))
    result = result._replace(positions=positions)
    extras = {
        "inference_steps": steps,
        "variance": "large",
        "checkpoint_data": {k: v for k, v in trained.items() if isinstance(v, (int, float, str))},
        "method": "independence MH on the extended space of the DDPM reverse path (idf.samplers.diffusion_mh)",
    }
    return result, np.asarray(run.log_weights), extras
