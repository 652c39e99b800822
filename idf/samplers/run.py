"""``run_chains``: many chains of one sampler, the documented whole-loop entry
point (``jax.jit`` + ``lax.scan`` over steps + ``jax.vmap`` over chains).

One compilation per (shapes, sampler type and static fields, energy type,
num_steps/burn_in/thin/record/adapt). Step size, inverse mass, temperature and
energy parameters are traced leaves: changing them reuses the compiled loop.

Two different failures, two names. ``divergent`` has BlackJAX's meaning: a
Hamiltonian transition whose energy error ΔH exceeds 1000 kT (HMC, NUTS),
recorded per step; the chain goes on. For the Metropolis-adjusted samplers
(MH, MALA, HMC, NUTS) a proposal whose energy, gradient (or ΔH) is NaN/inf is
an ordinary rejection, recorded per step as ``nonfinite_proposal``; the chain
goes on. ``nonfinite``: a chain whose *state* turns NaN/inf (every ULA step
that blows up; an accepted proposal at φ = −∞) is frozen at its last good state
from that step on. Both are reported (chain, step or count, likely cause) by
``nonfinite_report`` and a ``RuntimeWarning``. Improper energies are refused
before anything runs.

``run_chains_with_restarts`` is the adaptation policy the app uses: when
dual averaging froze a chain, restart it from a smaller ε₀.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from idf import _tracing
from idf._pytree import replace
from idf.energy.base import Energy
from idf.parallel import shard_batch
from idf.samplers._adaptation import dual_averaging_init, dual_averaging_update
from idf.samplers.base import Sampler, SamplerState


class ChainResult(NamedTuple):
    """Output of ``run_chains`` for C chains, S = num_steps // thin kept samples
    and T = S·thin sampling steps (burn-in excluded everywhere).

    positions:        [C, S, *shape]  every ``thin``-th state after burn-in
    accepted:         [C, T] bool     per sampling step
    acceptance_prob:  [C, T]          min(1, Metropolis ratio) (1 for ULA, 0 while frozen)
    energy:           [C, T]          φ after each step
    delta_H:          [C, T]          HMC energy error (kT units); NaN for other samplers
    num_grad_evals:   [C, T] int32    gradient evaluations per step
    proposals:        [C, T, *shape] or None  proposed points (``record_proposals``)
    paths:            [C, T, P, *shape] or None  [x, x'] or the HMC leapfrog path
    divergent:        [C, T] bool     ΔH above 1000 kT (BlackJAX's meaning; HMC, NUTS), per sampling step
    nonfinite_proposal: [C, T] bool   a NaN/inf proposal, rejected (Metropolis-adjusted samplers)
    nonfinite:        [C] bool        the chain's state hit a NaN/inf and was frozen
    nonfinite_step:   [C] int32       the step it happened (0 = first burn-in step), −1 if never
    nonfinite_energy: [C]             the offending proposal energy (NaN/±inf)
    step_size:        []              the step size used after burn-in (adapted if ``adapt``)
    final_state:      SamplerState with leading axis C, to continue the chains
    """

    positions: jax.Array
    accepted: jax.Array
    acceptance_prob: jax.Array
    energy: jax.Array
    delta_H: jax.Array
    num_grad_evals: jax.Array
    proposals: jax.Array | None
    paths: jax.Array | None
    divergent: jax.Array
    nonfinite_proposal: jax.Array
    nonfinite: jax.Array
    nonfinite_step: jax.Array
    nonfinite_energy: jax.Array
    step_size: jax.Array
    final_state: SamplerState


class Capacity(NamedTuple):
    """Buffer sizes of one compiled ``run_chains`` loop: at most ``chains`` chains,
    ``steps`` sampling steps and ``burn_in`` burn-in steps (any thin)."""

    chains: int
    steps: int
    burn_in: int


def _trim(result: ChainResult, chains: int, kept: int, steps: int) -> ChainResult:
    """A padded result cut to its counts, on the host (NumPy slices compile nothing)."""
    host = jax.tree.map(np.asarray, jax.device_get(result))
    cut = {name: getattr(host, name) for name in ChainResult._fields}
    for name, value in cut.items():
        if name == "positions":
            cut[name] = value[:chains, :kept]
        elif name == "final_state":
            cut[name] = jax.tree.map(lambda a: a[:chains], value)
        elif value is not None and value.ndim >= 2:
            cut[name] = value[:chains, :steps]
        elif value is not None and value.ndim == 1:
            cut[name] = value[:chains]
    return ChainResult(**cut)


def _as_arrays(tree: Any) -> Any:
    """Python numbers -> float arrays, so a later call with other values (or arrays) hits the cache."""
    dtype = jnp.result_type(float)
    return jax.tree.map(lambda v: jnp.asarray(v, dtype) if isinstance(v, (int, float)) else jnp.asarray(v), tree)


def run_chains(
    sampler: Sampler,
    energy: Energy,
    key: jax.Array,
    x_init: jax.Array,
    num_steps: int,
    *,
    burn_in: int = 0,
    thin: int = 1,
    record_proposals: bool = False,
    adapt: bool = False,
    target_accept: float = 0.8,
    warn: bool = True,
    shard: bool = True,
    capacity: Capacity | None = None,
) -> ChainResult:
    """Run C independent chains of ``sampler`` on ``energy`` from ``x_init`` [C, *shape].

    ``burn_in`` steps are discarded first (and used for dual-averaging step-size
    adaptation toward ``target_accept`` when ``adapt``; the step size is shared
    by the chains and fixed afterwards); then ``num_steps`` steps are run and
    every ``thin``-th state is kept. ``record_proposals`` also returns the
    proposals and paths (for drawing 2-D toys; memory grows with T·P·size).
    Raises ``ImproperEnergyError`` for an improper energy and ``ValueError`` for
    bad counts. Warns (``RuntimeWarning``) when a chain went non-finite. With several
    local devices the chains are split over them (``shard``; same results).

    Counts are traced: one compiled loop per buffer capacity. Without
    ``capacity`` the buffers are exactly as large as the counts (so each new
    count compiles); with a ``Capacity`` every count within it reuses one
    program (the app's sliders), the chains are padded to ``capacity.chains``
    and the result is trimmed on the host (NumPy arrays). Same chains either way.
    """
    dtype = jnp.result_type(float)
    # device_put, not asarray: staging a NumPy array through asarray compiles once per shape
    x_init = x_init.astype(dtype) if isinstance(x_init, jax.Array) else jax.device_put(np.asarray(x_init, dtype))
    if x_init.ndim < 2:
        raise ValueError(f"x_init must be [chains, *shape], got shape {x_init.shape}")
    if num_steps < 1 or thin < 1 or burn_in < 0 or num_steps < thin:
        raise ValueError(f"need num_steps ≥ thin ≥ 1 and burn_in ≥ 0, got {num_steps}, {thin}, {burn_in}")
    if adapt and not sampler.adaptable:
        raise ValueError("step-size adaptation needs an acceptance probability: not for unadjusted Langevin")
    energy.check_normalizable(x_init.shape[1:] if x_init.ndim == 3 else None)  # a lattice [H, W], else the default
    chains, num_kept = x_init.shape[0], num_steps // thin
    if capacity is None:
        cap = Capacity(chains, num_kept * thin, burn_in)
    else:
        cap = capacity
        if chains > cap.chains or num_steps > cap.steps or burn_in > cap.burn_in:
            raise ValueError(f"counts ({chains} chains, {num_steps} steps, burn-in {burn_in}) exceed {cap}")
        if cap.chains > chains:  # pad on the host: a device-side concatenate would compile per count
            x = np.asarray(x_init)
            x_init = jax.device_put(np.concatenate([x, np.repeat(x[:1], cap.chains - chains, axis=0)]))
    if shard:
        x_init = shard_batch(x_init)
    counts = jax.device_put(np.array([chains, num_kept, thin, burn_in], np.int32))
    result = _run(
        _as_arrays(sampler), _as_arrays(energy), key, x_init, jnp.asarray(target_accept, x_init.dtype), counts,
        kept_cap=num_kept if capacity is None else cap.steps, steps_cap=cap.steps,
        total_cap=cap.steps + cap.burn_in, record=record_proposals, adapt=adapt,
    )
    if capacity is not None:
        result = _trim(result, chains, num_kept, num_kept * thin)
    if warn and (report := nonfinite_report(result)):
        warnings.warn("; ".join(report), RuntimeWarning, stacklevel=2)
    return result


class RestartedRun(NamedTuple):
    """Output of ``run_chains_with_restarts``.

    result:     the ChainResult of the last attempt
    sampler:    the sampler of that attempt (its starting ε₀; rerun it to time the loop)
    restarts:   the ε₀ of every restart, in order (empty when the first attempt was kept)
    """

    result: ChainResult
    sampler: Sampler
    restarts: tuple[float, ...]


def run_chains_with_restarts(
    sampler: Sampler,
    energy: Energy,
    key: jax.Array,
    x_init: jax.Array,
    num_steps: int,
    *,
    adapt: bool = False,
    retries: int = 3,
    shrink: float = 4.0,
    **kwargs: Any,
) -> RestartedRun:
    """``run_chains`` with the adaptation policy: a too-large ε₀ can leave a chain
    frozen (its state went non-finite) or stuck (it accepted nothing in the
    sampling phase and its proposals were non-finite), so when any chain of an
    adapted run is, adaptation restarts from ε₀/``shrink``, at most ``retries``
    times. Without ``adapt`` it is one run. ``kwargs`` go to ``run_chains``."""
    result = run_chains(sampler, energy, key, x_init, num_steps, adapt=adapt, **kwargs)
    restarts: list[float] = []
    while adapt and bool(np.any(dropped_chains(result))) and len(restarts) < retries:
        sampler = replace(sampler, step_size=float(sampler.step_size) / shrink)
        restarts.append(float(sampler.step_size))
        result = run_chains(sampler, energy, key, x_init, num_steps, adapt=adapt, **kwargs)
    return RestartedRun(result, sampler, tuple(restarts))


def stuck_chains(result: ChainResult) -> np.ndarray:
    """[C] bool: chains that accepted no proposal in the sampling phase while some
    proposals were non-finite (the step size is far too large; never for ULA)."""
    rejected = np.asarray(result.nonfinite_proposal)
    return ~np.asarray(result.accepted).any(axis=1) & rejected.any(axis=1)


def dropped_chains(result: ChainResult) -> np.ndarray:
    """[C] bool: frozen (non-finite state) or stuck chains, which pooled diagnostics leave out."""
    return np.asarray(result.nonfinite) | stuck_chains(result)


def select_chains(result: ChainResult, keep: np.ndarray) -> ChainResult:
    """``result`` with only the chains where ``keep`` [C] is True (on the host, NumPy arrays)."""
    keep = np.asarray(keep, bool)
    host = jax.tree.map(np.asarray, jax.device_get(result))
    cut = {}
    for name in ChainResult._fields:
        value = getattr(host, name)
        if name == "final_state":
            cut[name] = jax.tree.map(lambda a: a[keep], value)
        else:
            cut[name] = value if value is None or value.ndim == 0 else value[keep]
    return ChainResult(**cut)


def nonfinite_report(result: ChainResult) -> list[str]:
    """One line per frozen (non-finite) chain: which chain, at which step, the likely cause;
    then one per chain with rejected non-finite proposals: how many, and what to change."""
    lines = []
    rejected = np.asarray(result.nonfinite_proposal).sum(axis=1)
    steps = np.asarray(result.nonfinite_proposal).shape[1]
    stuck = stuck_chains(result)
    for c in np.flatnonzero(rejected):
        what = "every proposal rejected: the chain is stuck at its start" if stuck[c] else "rejected"
        lines.append(
            f"chain {c}: {int(rejected[c])} of {steps} proposals non-finite (energy, gradient or ΔH NaN/inf), "
            f"{what}; the step size ({float(result.step_size):g}) is probably too large: lower it"
        )
    for c in np.flatnonzero(np.asarray(result.nonfinite)):
        step = int(result.nonfinite_step[c])
        value = float(result.nonfinite_energy[c])
        if value == -np.inf:
            cause = "the energy ran to −∞: it is probably improper (unbounded below); check its parameters"
        else:
            cause = f"the step size ({float(result.step_size):g}) is probably too large: lower it"
        lines.append(
            f"chain {c} diverged at step {step} (proposal energy {value:.3g}, or its ΔH or gradient "
            f"non-finite); frozen at its last good state; {cause}"
        )
    return lines


def _scalar_fields(shapes: dict[str, Any], chains: int) -> tuple[str, ...]:
    """The per-chain scalar outputs ([C]) of one step, in name order. They are written as
    one [C, n] array per step in the floating dtype, one buffer write instead of one per
    field (on small lattices a step's cost is its kernel launches); bools and the gradient
    counts (< 2²⁴) are exact in it."""
    return tuple(sorted(name for name in shapes if shapes[name].shape == (chains,)))


_SCALARS = "per-chain scalars"  # the step buffer of the stacked scalar outputs


def _pack(out: dict[str, jax.Array], fields: tuple[str, ...], dtype: Any) -> dict[str, jax.Array]:
    """One step's outputs with the scalar ``fields`` stacked into one [C, n] array."""
    packed = {k: v for k, v in out.items() if k not in fields}
    packed[_SCALARS] = jnp.stack([out[n].astype(dtype) for n in fields], axis=-1)
    return packed


def _unpack(buffers: dict[str, jax.Array], fields: tuple[str, ...], dtypes: dict[str, Any]) -> dict[str, jax.Array]:
    """The inverse of ``_pack`` on the step buffers [steps, C, n]: one [steps, C] array per field."""
    out = {k: v for k, v in buffers.items() if k != _SCALARS}
    out.update({n: buffers[_SCALARS][..., i].astype(dtypes[n]) for i, n in enumerate(fields)})
    return out


class _Frozen(NamedTuple):
    """The freeze record carried through the loop: one [C, 2] array in the floating dtype,
    (step, proposal energy) of the step a chain went non-finite, step −1 while it is finite
    (steps < 2²⁴ are exact in float32). One array, not three, because each carried array
    costs a select and a copy in every step. Read as ``ChainResult``'s fields."""

    record: jax.Array

    @property
    def nonfinite(self) -> jax.Array:  # [C] bool
        return self.record[:, 0] >= 0

    @property
    def nonfinite_step(self) -> jax.Array:  # [C] int32
        return self.record[:, 0].astype(jnp.int32)

    @property
    def nonfinite_energy(self) -> jax.Array:  # [C]
        return self.record[:, 1]


@functools.partial(jax.jit, static_argnames=("kept_cap", "steps_cap", "total_cap", "record", "adapt"))
def _run(sampler, energy, key, x_init, target_accept, counts, *, kept_cap, steps_cap, total_cap, record, adapt):
    # One loop over burn-in and sampling steps (one loop body: XLA compiles the
    # samplers' random-number code once) whose trip count is traced: buffers
    # have a fixed capacity (chains C_cap = x_init.shape[0], steps_cap sampling
    # steps, kept_cap kept states, total_cap keys), so a new count within it
    # reuses this program.
    _tracing.mark("run_chains")
    num_chains, num_kept, thin, burn_in = counts  # traced int32 scalars
    chains_cap = x_init.shape[0]
    total = burn_in + num_kept * thin
    live_chain = jnp.arange(chains_cap) < num_chains  # padded chains never enter the adaptation
    states = jax.vmap(sampler.init, in_axes=(0, None))(x_init, energy)
    frozen0 = _Frozen(jnp.tile(jnp.array([-1.0, jnp.nan], x_init.dtype), (chains_cap, 1)))
    da0 = dual_averaging_init(sampler.step_size)
    # split(key, n)[t] does not depend on n (partitionable threefry), so these are run_chains' step keys
    step_keys = jax.random.split(key, total_cap)

    def one_step(t, states, was, da):
        smp = sampler
        if adapt:  # ε_t while adapting, the averaged ε̄ once burn-in is over
            smp = replace(sampler, step_size=jnp.exp(jnp.where(t < burn_in, da.log_step, da.log_step_avg)))
        keys = jax.random.split(step_keys[t], chains_cap)
        new, info = jax.vmap(smp.step, in_axes=(0, 0, None))(keys, states, energy)
        if sampler.adaptable:
            # Metropolis-adjusted: a non-finite proposal was rejected (its ratio is NaN or −∞)
            # and the chain goes on; only an accepted one (φ = −∞, or a NaN gradient at a finite
            # ΔH) becomes the state and freezes it. The state was finite, so that is exactly
            # "accepted and non-finite" (NUTS: moved to a non-finite point), with no new reduction.
            bad = info.nonfinite & info.accepted
        else:  # ULA keeps every proposal: a non-finite one is the chain's state
            bad = info.nonfinite
        frozen = was.nonfinite | bad
        fresh = bad & ~was.nonfinite
        expand = lambda f, a: f.reshape(f.shape + (1,) * (a.ndim - 1))
        states = jax.tree.map(lambda o, n: jnp.where(expand(frozen, n), o, n), states, new)
        now = jnp.stack([jnp.broadcast_to(t, fresh.shape).astype(was.record.dtype), info.proposal_energy], -1)
        flags = _Frozen(jnp.where(fresh[:, None], now, was.record))
        if adapt:
            live = ~frozen & live_chain
            prob = jnp.sum(jnp.where(live, jnp.nan_to_num(info.acceptance_prob), 0.0)) / jnp.maximum(
                jnp.sum(live), 1
            )
            updated = dual_averaging_update(da, prob, target_accept)
            da = jax.tree.map(lambda u, o: jnp.where(t < burn_in, u, o), updated, da)
        # one step's outputs [C, ...], keyed by their ``ChainResult`` field names
        out = dict(
            accepted=info.accepted & ~frozen,
            acceptance_prob=jnp.where(frozen, 0.0, info.acceptance_prob),
            energy=states.energy,
            delta_H=jnp.where(was.nonfinite, jnp.nan, info.delta_H),
            num_grad_evals=info.num_grad_evals,
            divergent=info.divergent & ~frozen,
            nonfinite_proposal=info.nonfinite & ~frozen,
        )
        if record:
            out.update(proposals=info.proposal, paths=info.path)
        return states, flags, da, out

    # the buffers' shapes come from one abstract step
    out_shapes = jax.eval_shape(lambda: one_step(jnp.int32(0), states, frozen0, da0)[3])
    fields = _scalar_fields(out_shapes, chains_cap)
    dtypes = {k: a.dtype for k, a in out_shapes.items()}
    packed = jax.eval_shape(functools.partial(_pack, fields=fields, dtype=x_init.dtype), out_shapes)
    outs0 = jax.tree.map(lambda a: jnp.zeros((steps_cap,) + a.shape, a.dtype), packed)
    kept0 = jnp.zeros((kept_cap,) + x_init.shape, x_init.dtype)

    def body(t, carry):
        states, was, da, kept, outs = carry
        states, flags, da, out = one_step(t, states, was, da)
        out = _pack(out, fields, x_init.dtype)
        # Burn-in steps write slot 0, which the first sampling step overwrites;
        # a kept slot is rewritten until its thin-th step, so no mask is needed.
        offset = jnp.maximum(t - burn_in, 0)
        write = lambda buf, v, slot: jax.lax.dynamic_update_index_in_dim(buf, v, slot, axis=0)
        outs = jax.tree.map(lambda b, v: write(b, v, offset), outs, out)
        kept = write(kept, states.position, jax.lax.div(offset, thin))  # both ≥ 0: no floor correction
        return states, flags, da, kept, outs

    carry = (states, frozen0, da0, kept0, outs0)
    states, frozen, da, kept, outs = jax.lax.fori_loop(0, total, body, carry)
    step_size = jnp.exp(da.log_step_avg) if adapt else jnp.asarray(sampler.step_size)
    per_step = {k: jnp.moveaxis(v, 0, 1) for k, v in _unpack(outs, fields, dtypes).items()}  # [C_cap, steps_cap, ...]
    return ChainResult(
        positions=jnp.moveaxis(kept, 0, 1),
        proposals=per_step.pop("proposals", None),
        paths=per_step.pop("paths", None),
        **per_step,
        nonfinite=frozen.nonfinite,
        nonfinite_step=frozen.nonfinite_step,
        nonfinite_energy=frozen.nonfinite_energy,
        step_size=step_size,
        final_state=states,
    )
