"""A plain-language verdict on MCMC chains, in the style of Stan's ``diagnose``
and PyMC's sampling report, built only from the computed numbers.

Thresholds (Stan, PyMC, Vehtari et al. 2021; written once here):
* rank-normalised split R̂ < 1.01 for every quantity;
* bulk and tail ESS ≥ 100 per chain (≥ 400 for the recommended 4 chains);
* at least 4 chains (R̂ from fewer is not trusted);
* E-BFMI ≥ 0.3 in every chain (HMC: needs the transition energies);
* no divergent transitions after warm-up;
* acceptance inside the sampler's efficient range (Roberts & Rosenthal: ~0.23
  for random-walk MH, ~0.57 for MALA; Stan's HMC adapts to 0.8; a 2-D target tolerates more,
  so the upper ends are generous).
Fewer than ``MIN_DRAWS`` draws per chain: "not enough draws to judge", except
for what is already certain (stuck chains, divergences, an acceptance near 0).
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any, NamedTuple

import numpy as np

from idf.diagnostics import convergence
from idf.diagnostics.hamiltonian import EBFMI_THRESHOLD

RHAT_MAX = 1.01
ESS_PER_CHAIN = 100
MIN_CHAINS = 4
MIN_DRAWS = 50  # per chain: each split half has 25 draws
# efficient acceptance ranges (low, high) per sampler; ULA has no acceptance test
ACCEPTANCE_RANGE = {"hmc": (0.6, 0.995), "nuts": (0.6, 0.995), "mala": (0.4, 0.95), "mh": (0.1, 0.7)}
NO_ADAPTATION = ("mh",)


class Summary(NamedTuple):
    """The numbers a verdict reads, for C chains of S draws each (after warm-up).

    sampler:     "hmc" | "nuts" | "mala" | "mh" | "langevin" (the registry's names)
    num_chains:  C
    num_draws:   S per chain
    rhat, ess_bulk, ess_tail, mcse: {quantity name: value}, one entry per observable
    acceptance:  mean acceptance over chains and steps (NaN when not applicable)
    divergences: divergent transitions after warm-up (ΔH > 1000 kT), over all chains
    e_bfmi:      per chain, or None when the sampler has no Hamiltonian (or it was not recorded)
    stuck:       chains that never moved
    nonfinite:   chains frozen at a NaN/inf
    """

    sampler: str
    num_chains: int
    num_draws: int
    rhat: dict[str, float]
    ess_bulk: dict[str, float]
    ess_tail: dict[str, float]
    mcse: dict[str, float]
    acceptance: float
    divergences: int
    e_bfmi: tuple[float, ...] | None
    stuck: int
    nonfinite: int = 0


def summarize(
    draws: dict[str, Any],
    *,
    sampler: str,
    accepted: Any = None,
    divergent: Any = None,
    e_bfmi: Any = None,
    nonfinite: Any = None,
) -> Summary:
    """Compute a ``Summary`` from observables {name: [C, S]}, accepted/divergent [C, T]
    (bool, optional), e_bfmi [C] (optional) and nonfinite [C] (optional)."""
    arrays = {k: np.asarray(v, np.float64) for k, v in draws.items()}
    c, s = next(iter(arrays.values())).shape[:2]
    enough = s >= 4

    def each(fn: Any) -> dict[str, float]:
        return {k: float(fn(v)) if enough else math.nan for k, v in arrays.items()}

    stuck = np.zeros(c, bool)
    for v in arrays.values():
        stuck = stuck | np.asarray(convergence.stuck_chains(v)) if enough else stuck
    return Summary(
        sampler=sampler,
        num_chains=int(c),
        num_draws=int(s),
        rhat=each(convergence.rhat),
        ess_bulk=each(convergence.ess_bulk),
        ess_tail=each(convergence.ess_tail),
        mcse=each(convergence.mcse_mean),
        acceptance=float(np.mean(accepted)) if accepted is not None and np.size(accepted) else math.nan,
        divergences=int(np.sum(divergent)) if divergent is not None else 0,
        e_bfmi=tuple(float(b) for b in np.asarray(e_bfmi)) if e_bfmi is not None else None,
        stuck=int(stuck.sum()),
        nonfinite=int(np.sum(nonfinite)) if nonfinite is not None else 0,
    )


class Status(StrEnum):
    GOOD = "good"
    WARNING = "warning"
    UNDECIDED = "undecided"


class Problem(NamedTuple):
    """One failed check: kind (a short key), the quantity, its value, what it means and the fix."""

    kind: str
    quantity: str
    value: float
    text: str
    fix: str


class Verdict(NamedTuple):
    """status; headline (one line); paragraph (Stan-style, every check); worst (the quantity
    named in the headline, or None); problems (most serious first)."""

    status: Status
    headline: str
    paragraph: str
    worst: str | None
    problems: tuple[Problem, ...]


def _worst(values: dict[str, float], largest: bool) -> tuple[str, float] | None:
    finite = {k: v for k, v in values.items() if math.isfinite(v)}
    if not finite:
        return None
    name = (max if largest else min)(finite, key=finite.get)
    return name, finite[name]


def _step_size_problems(s: Summary) -> list[Problem]:
    out: list[Problem] = []
    if s.nonfinite:
        out.append(Problem("nonfinite", "chains", s.nonfinite, f"{s.nonfinite} of {s.num_chains} chains hit a "
                           "NaN/inf and were frozen", "lower ε (or check that the energy is bounded below)"))
    if s.stuck:
        out.append(Problem("stuck", "chains", s.stuck, f"{s.stuck} of {s.num_chains} chains never moved",
                           "the step size is far too large: lower ε or turn on adaptation"))
    if s.divergences:
        out.append(Problem("divergent", "ΔH", s.divergences, f"{s.divergences} divergent transitions after "
                           "warm-up (ΔH > 1000 kT)", "lower ε, or raise the target acceptance; a funnel needs "
                           "reparameterising"))
    band = ACCEPTANCE_RANGE.get(s.sampler)
    if band and math.isfinite(s.acceptance):
        adapt = "" if s.sampler in NO_ADAPTATION else " or turn on adaptation"
        if s.acceptance < band[0]:
            out.append(Problem("acceptance_low", "acceptance", s.acceptance,
                               f"step size too large: acceptance {s.acceptance:.2f}",
                               f"lower ε{adapt} (efficient: {band[0]:.2f}–{band[1]:.2f})"))
        elif s.acceptance > band[1]:
            out.append(Problem("acceptance_high", "acceptance", s.acceptance,
                               f"step size small: acceptance {s.acceptance:.2f}, the chains crawl",
                               f"raise ε{adapt} (efficient: {band[0]:.2f}–{band[1]:.2f})"))
    return out


def _mixing_problems(s: Summary) -> tuple[list[Problem], list[str]]:
    problems: list[Problem] = []
    fine: list[str] = []
    need = ESS_PER_CHAIN * s.num_chains
    r = _worst(s.rhat, largest=True)
    if r:
        if r[1] >= RHAT_MAX:
            shown = f"{r[1]:.3f}" if r[1] < 100 else f"{r[1]:.2g}"
            problems.append(Problem("rhat", r[0], r[1], f"R-hat is {shown} for {r[0]} (should be below "
                                    f"{RHAT_MAX})", "the chains disagree: run longer or start them farther "
                                    "apart; a two-mode target (φ⁴, broken phase) needs a sampler that jumps"))
        else:
            fine.append(f"R-hat is below {RHAT_MAX} for every quantity (worst {r[1]:.3f}, {r[0]})")
    for label, values in (("bulk", s.ess_bulk), ("tail", s.ess_tail)):
        e = _worst(values, largest=False)
        if not e:
            continue
        if e[1] < need:
            factor = need / max(e[1], 1.0)
            more = f"about {factor:.0f}× more draws" if factor < 1e3 else "a working sampler first"
            problems.append(Problem(f"ess_{label}", e[0], e[1], f"{label} ESS is {e[1]:.0f} for {e[0]}, below "
                                    f"{ESS_PER_CHAIN} per chain ({need})", f"run longer ({more}) or move "
                                    "farther per step"))
        else:
            fine.append(f"{label} ESS is at least {ESS_PER_CHAIN} per chain for every quantity "
                        f"(smallest {e[1]:.0f}, {e[0]})")
    if s.e_bfmi is not None:
        finite = [(b, i) for i, b in enumerate(s.e_bfmi) if math.isfinite(b)]
        if finite:
            b, i = min(finite)
            if b < EBFMI_THRESHOLD:
                problems.append(Problem("e_bfmi", f"chain {i}", b, f"E-BFMI is {b:.2f} in chain {i} (below "
                                        f"{EBFMI_THRESHOLD})", "momentum resampling cannot reach the energy "
                                        "levels the target needs: heavy tails or a funnel; reparameterise or "
                                        "lengthen the trajectory"))
            else:
                fine.append(f"E-BFMI is at least {EBFMI_THRESHOLD} in every chain (lowest {b:.2f})")
    if s.num_chains < MIN_CHAINS:
        problems.append(Problem("chains", "chains", s.num_chains, f"only {s.num_chains} chain"
                                f"{'s' if s.num_chains != 1 else ''}: R-hat needs at least {MIN_CHAINS} to be "
                                "trusted", f"run {MIN_CHAINS} or more chains"))
    return problems, fine


def verdict(s: Summary) -> Verdict:
    """The verdict on ``s``: problems most serious first (a frozen or stuck chain, divergences,
    acceptance, R̂, ESS, E-BFMI, too few chains), the worst one in the headline with its fix."""
    certain = _step_size_problems(s)
    if s.num_draws < MIN_DRAWS:
        tail = f"{s.num_draws} draws per chain so far; R-hat and ESS need at least {MIN_DRAWS}."
        if certain:
            p = certain[0]
            return Verdict(Status.WARNING, f"{p.text} — {p.fix}", " ".join(
                [f"{q.text} — {q.fix}." for q in certain] + [f"Not enough draws to judge the rest: {tail}"]),
                p.quantity, tuple(certain))
        return Verdict(Status.UNDECIDED, "Not enough draws to judge", f"Not enough draws to judge: {tail}",
                       None, ())
    mixing, fine = _mixing_problems(s)
    problems = tuple(certain + mixing)
    sentences = [f"{p.text} — {p.fix}." for p in problems] + [f"{f}." for f in fine]
    sentences.append(f"{s.num_chains} chains × {s.num_draws} draws after warm-up"
                     + (f", acceptance {s.acceptance:.2f}." if math.isfinite(s.acceptance) else "."))
    if not problems:
        return Verdict(Status.GOOD, "No problems found: these draws can be trusted", " ".join(sentences), None, ())
    p = problems[0]
    return Verdict(Status.WARNING, f"{p.text} — {p.fix}", " ".join(sentences), p.quantity, problems)


def key_numbers(s: Summary) -> dict[str, float]:
    """The three numbers a student sees: worst R̂, smallest bulk ESS, acceptance."""
    r = _worst(s.rhat, largest=True)
    e = _worst(s.ess_bulk, largest=False)
    return {
        "R-hat (worst)": r[1] if r else math.nan,
        "ESS (smallest)": e[1] if e else math.nan,
        "acceptance": s.acceptance,
    }
