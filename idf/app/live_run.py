"""The live run's engine (no Streamlit): chains advanced in chunks, history kept,
diagnostics and the verdict recomputed after every chunk.

A chunk is one ``run_chains`` call of ``chunk`` steps from the chains' current
positions (a Markov chain restarted at its own state is the same chain), with
the proposals and paths recorded for drawing and for the Hamiltonian. ε is a
traced leaf and the chunk length one of a few ``SPEEDS``: after the first
chunk of each speed nothing recompiles. Diagnostics run in float64 NumPy on
the growing history (``idf.diagnostics.convergence``: no compile per length).
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import jax
import numpy as np

from idf import diagnostics
from idf.app.arena_targets import DEFAULT_STEP, Params, initial_positions, is_toy, make_target, step_family
from idf.diagnostics.verdict import Summary, Verdict, summarize, verdict
from idf.samplers import make_sampler, run_chains

SPEEDS = (1, 5, 20, 50)  # steps per update (each compiles once)
WARMUP = 100  # steps left out of every diagnostic (the chains' burn-in)
MAX_HISTORY = 4000  # steps kept; older ones drop out (diagnostics over a moving window)
GALLERY_PROPOSALS = 40  # chain 0's last proposals drawn on a toy


@dataclasses.dataclass(frozen=True)
class LiveConfig:
    """What one live run depends on; changing any field starts a new run.

    target, params, size: as the Arena's (``arena_targets``); sampler: a registry
    name (``idf.samplers.SAMPLERS``); step_size: ε (σ for RW-MH; None: the Arena's
    default for the target); num_leapfrog: HMC's L; chains: C; seed."""

    target: str = "banana"
    params: Params = ()
    size: int = 8
    sampler: str = "hmc"
    step_size: float | None = None
    num_leapfrog: int = 10
    chains: int = 4
    seed: int = 0

    @property
    def epsilon(self) -> float:
        if self.step_size is not None:
            return float(self.step_size)
        return float(DEFAULT_STEP[step_family(self.target)][self.sampler])

    @property
    def toy(self) -> bool:
        return is_toy(self.target)


class LiveRun(NamedTuple):
    """The state of one live run after ``steps`` steps (NumPy history, oldest first).

    positions:  [C, *shape] the chains' current points (JAX)
    key:        the next chunk's key
    steps:      steps taken since the start (may exceed the kept history)
    observables: {name: [C, n]}: x₁, x₂ and φ on a toy; φ and m = Σx/N on a lattice
    accepted, divergent: [C, n] bool; delta_H: [C, n] (NaN unless HMC); hamiltonian: [C, n]
                Stan's energy__ (HMC, reconstructed from the paths) or None
    proposals:  [k, *shape] chain 0's last proposals, with proposal_accepted [k]
    path:       [P, *shape] chain 0's last leapfrog path (HMC; [x, x'] otherwise),
                path_h, path_u [P]: H(x, p) and φ(x)/kT along it (HMC) or None
    field:      [*shape] chain 0's current point (the field drawn on a lattice)
    """

    config: LiveConfig
    positions: jax.Array
    key: jax.Array
    steps: int
    observables: dict[str, np.ndarray]
    accepted: np.ndarray
    divergent: np.ndarray
    delta_H: np.ndarray
    hamiltonian: np.ndarray | None
    proposals: np.ndarray
    proposal_accepted: np.ndarray
    path: np.ndarray
    path_h: np.ndarray | None
    path_u: np.ndarray | None
    field: np.ndarray


def start(cfg: LiveConfig) -> LiveRun:
    """A run with no steps yet, the chains at the Arena's starting points."""
    x0, key = initial_positions(cfg.target, cfg.size, cfg.chains, cfg.seed)
    c = cfg.chains
    names = ("x₁", "x₂", "φ") if cfg.toy else ("φ", "m")
    empty = np.zeros((c, 0))
    shape = tuple(x0.shape[1:])
    first = np.asarray(x0)[0]  # cut on the host: x0[0] on the device is two programs per shape
    return LiveRun(cfg, x0, key, 0, {n: empty for n in names}, empty.astype(bool), empty.astype(bool), empty,
                   empty if cfg.sampler == "hmc" else None, np.zeros((0, *shape)), np.zeros(0, bool),
                   first[None], None, None, first)


_hamiltonian = jax.jit(diagnostics.transition_energy)
_path_h = jax.jit(diagnostics.leapfrog_hamiltonian)


def _keep(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    return np.concatenate([old, new], axis=1)[:, -MAX_HISTORY:]


def advance(run: LiveRun, num_steps: int) -> LiveRun:
    """``run`` after ``num_steps`` more steps (one compiled chunk per distinct count)."""
    cfg = run.config
    energy = make_target(cfg.target, cfg.params)
    sampler = make_sampler(cfg.sampler, cfg.epsilon, cfg.num_leapfrog)
    key, sub = jax.random.split(run.key)
    res = run_chains(sampler, energy, sub, run.positions, int(num_steps), record_proposals=True, warn=False,
                     shard=False)
    pos = np.asarray(res.positions, np.float64)
    if cfg.toy:
        new = {"x₁": pos[..., 0], "x₂": pos[..., 1], "φ": np.asarray(res.energy, np.float64)}
    else:
        new = {"φ": np.asarray(res.energy, np.float64), "m": diagnostics.magnetization(pos)}
    accepted = np.asarray(res.accepted)
    hamiltonian, path_h, path_u = run.hamiltonian, None, None
    paths = res.paths
    if cfg.sampler == "hmc":
        h = np.asarray(_hamiltonian(paths, res.accepted, energy, sampler.step_size), np.float64)
        hamiltonian = _keep(run.hamiltonian, h)
        path_h, path_u = (np.asarray(a, np.float64) for a in _path_h(paths[0, -1], energy, sampler.step_size))
    proposals = np.concatenate([run.proposals, np.asarray(res.proposals[0], np.float64)])[-GALLERY_PROPOSALS:]
    flags = np.concatenate([run.proposal_accepted, accepted[0]])[-GALLERY_PROPOSALS:]
    return LiveRun(
        cfg, res.final_state.position, key, run.steps + int(num_steps),
        {k: _keep(run.observables[k], v) for k, v in new.items()},
        _keep(run.accepted, accepted), _keep(run.divergent, np.asarray(res.divergent)),
        _keep(run.delta_H, np.asarray(res.delta_H, np.float64)), hamiltonian, proposals, flags,
        np.asarray(paths[0, -1], np.float64), path_h, path_u, pos[0, -1],
    )  # fmt: skip


def warm_slice(run: LiveRun) -> slice:
    """The kept draws after warm-up: the first ``WARMUP`` steps of the run are left out."""
    n = run.accepted.shape[1]
    dropped = max(0, run.steps - n)  # steps that already fell out of the history
    return slice(max(0, WARMUP - dropped), n)


class QuantityStats(NamedTuple):
    """One observable's convergence numbers (the expert table): rank-normalised split R̂ of
    the location (bulk) and of the scale (folded), bulk and tail ESS, MCSE of the mean (the
    observable's units) and τ_int (steps)."""

    rhat_bulk: float
    rhat_folded: float
    ess_bulk: float
    ess_tail: float
    mcse: float
    tau: float


class LiveDiagnostics(NamedTuple):
    """summary (the verdict's numbers) and verdict after warm-up; warming_up: steps until the
    diagnostics start (0 once they have); quantities: per observable (None before 4 draws);
    rms_dh: √⟨ΔH²⟩ (HMC, kT) or NaN; draws: draws per chain after warm-up."""

    summary: Summary
    verdict: Verdict
    warming_up: int
    quantities: dict[str, QuantityStats] | None
    rms_dh: float
    draws: int


def live_diagnostics(run: LiveRun) -> LiveDiagnostics:
    """Diagnostics of the draws after warm-up (``summarize`` + ``verdict``)."""
    cfg = run.config
    s = warm_slice(run)
    draws = {k: v[:, s] for k, v in run.observables.items()}
    n = next(iter(draws.values())).shape[1]
    bfmi = None
    if run.hamiltonian is not None and n >= 3:
        bfmi = diagnostics.e_bfmi(run.hamiltonian[:, s])
    accepted = run.accepted[:, s] if cfg.sampler != "langevin" else None
    summary = summarize(draws, sampler=cfg.sampler, accepted=accepted, divergent=run.divergent[:, s], e_bfmi=bfmi)
    quantities = None
    if n >= 4:
        quantities = {
            k: QuantityStats(float(diagnostics.rhat_bulk(v)), float(diagnostics.rhat_folded(v)),
                             summary.ess_bulk[k], summary.ess_tail[k], summary.mcse[k],
                             float(diagnostics.tau_int(v)))
            for k, v in draws.items()
        }  # fmt: skip
    dh = run.delta_H[:, s]
    dh = dh[np.isfinite(dh)]
    rms = float(np.sqrt(np.mean(dh**2))) if dh.size else math.nan
    return LiveDiagnostics(summary, verdict(summary), max(0, WARMUP - run.steps), quantities, rms, n)
