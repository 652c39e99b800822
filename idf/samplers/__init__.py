"""Boltzmann samplers for exp(−φ/kT): unadjusted Langevin, MALA, random-walk
MH, HMC (ours) and NUTS (BlackJAX, same interface), plus ``run_chains`` and
reverse diffusion as an i.i.d. sampler (``diffusion_chains``, same result).

A sampler is a pytree dataclass: continuous settings (step size, inverse mass)
are traced leaves, loop-shaping ones (number of leapfrog steps) static, or
traced trip counts inside a loop of fixed capacity (``HMC(max_leapfrog=…)``).
``sampler.init(position, energy) -> SamplerState`` and
``sampler.step(key, state, energy) -> (SamplerState, SamplerInfo)`` work on one
unbatched chain (the ``Sampler`` protocol); ``run_chains`` vmaps and scans them
under jit.
"""

from idf.samplers._acceptance import metropolis_accept
from idf.samplers._integrator import kinetic_energy, leapfrog
from idf.samplers.base import DIVERGENCE_THRESHOLD, Sampler, SamplerInfo, SamplerState, init_state
from idf.samplers.diffusion_iid import diffusion_chains, iid_output_variance
from idf.samplers.hmc import HMC
from idf.samplers.langevin import Langevin, langevin_proposal
from idf.samplers.mala import MALA
from idf.samplers.mh import RandomWalkMH
from idf.samplers.nuts import NUTS
from idf.samplers.run import (
    Capacity,
    ChainResult,
    RestartedRun,
    dropped_chains,
    nonfinite_report,
    run_chains,
    run_chains_with_restarts,
    select_chains,
    stuck_chains,
)

# Names for the edges (CLI, app); inside the library pass the classes.
SAMPLERS = {
    "langevin": Langevin,
    "mala": MALA,
    "mh": RandomWalkMH,
    "hmc": HMC,
    "nuts": NUTS,
}


def make_sampler(name: str, step_size: float, num_leapfrog: int = 10, max_leapfrog: int | None = None) -> Sampler:
    """A sampler by registry name; ``num_leapfrog`` L and the capacity ``max_leapfrog``
    (None: L static, one program per L; else L traced, one program for every L ≤ it)
    are used by HMC only."""
    if name not in SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}: choose one of {', '.join(SAMPLERS)}")
    if name == "hmc":
        cap = None if max_leapfrog is None else int(max_leapfrog)
        return HMC(step_size=step_size, num_leapfrog=int(num_leapfrog), max_leapfrog=cap)
    return SAMPLERS[name](step_size=step_size)


__all__ = [
    "DIVERGENCE_THRESHOLD",
    "HMC",
    "MALA",
    "NUTS",
    "SAMPLERS",
    "Capacity",
    "ChainResult",
    "Langevin",
    "RandomWalkMH",
    "RestartedRun",
    "Sampler",
    "SamplerInfo",
    "SamplerState",
    "diffusion_chains",
    "dropped_chains",
    "iid_output_variance",
    "init_state",
    "kinetic_energy",
    "langevin_proposal",
    "leapfrog",
    "make_sampler",
    "metropolis_accept",
    "nonfinite_report",
    "run_chains",
    "run_chains_with_restarts",
    "select_chains",
    "stuck_chains",
]

# Diffusion as an exact sampler (issue 17): independence MH on the reverse path.
from idf.samplers.diffusion_mh import DiffusionMHResult, diffusion_mh_chains  # noqa: E402

__all__ += ["DiffusionMHResult", "diffusion_mh_chains"]
