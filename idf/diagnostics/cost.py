"""An honest cost comparison of two samplers of the same target: effective
samples per second and per gradient-equivalent, with and without a one-off
training cost amortised over the draws, and the break-even point.

Units. A *gradient-equivalent* (ge) is one evaluation of ∇S(φ) on one field:
HMC spends (leapfrog + 1) per step. A diffusion-MH proposal spends one network
call per inference step; a network call costs ``network_ge`` gradient-
equivalents, measured as a wall-time ratio on the same device
(``relative_cost``). Training costs steps × batch × 3 network calls (forward +
backward ≈ 3 forwards) plus the HMC gradients that drew its data set.

Break-even. To reach n effective samples, sampler A costs a·n and sampler B
(with training T) costs T + b·n, with a, b the costs per effective sample. B is
cheaper once n > n* = T/(a − b) effective samples (never when b ≥ a); in draws
of B that is n*·draws_B/ESS_B.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Cost", "Comparison", "break_even", "compare", "relative_cost", "training_cost"]


@dataclasses.dataclass(frozen=True)
class Cost:
    """One sampler's run on the target.

    name:               label
    ess:                effective sample size of the observable over the whole run
    draws:              draws kept (chains × steps)
    seconds:            sampling wall time (compile excluded, same device as the other)
    gradients:          gradient-equivalents spent sampling
    training_seconds:   one-off cost before sampling (0 for HMC)
    training_gradients: the same in gradient-equivalents
    """

    name: str
    ess: float
    draws: int
    seconds: float
    gradients: float
    training_seconds: float = 0.0
    training_gradients: float = 0.0

    def per_second(self, amortised_over: float | None = None) -> float:
        """ESS per second; with ``amortised_over`` = D draws, the training is charged
        pro rata to D draws at this run's ESS per draw (None: training not charged)."""
        return self._rate(self.seconds, self.training_seconds, amortised_over)

    def per_gradient(self, amortised_over: float | None = None) -> float:
        """ESS per gradient-equivalent, training amortised as in ``per_second``."""
        return self._rate(self.gradients, self.training_gradients, amortised_over)

    def _rate(self, spent: float, training: float, over: float | None) -> float:
        if self.ess <= 0:
            return 0.0
        per_draw = spent / self.draws
        if over is None:
            return self.ess / spent
        return (self.ess / self.draws) / (per_draw + training / over)


@dataclasses.dataclass(frozen=True)
class Comparison:
    """``compare``'s table: per sampler, ESS/s and ESS/ge without training and with
    it amortised over each of ``amortised_over`` draws; the break-even of the
    trained sampler against the other, in effective samples and in its own draws,
    by seconds and by gradient-equivalents (inf: never)."""

    rows: Mapping[str, Mapping[str, float]]
    amortised_over: tuple[int, ...]
    break_even_seconds: tuple[float, float]  # (effective samples, draws of the trained sampler)
    break_even_gradients: tuple[float, float]


def break_even(baseline: Cost, trained: Cost, by: str = "seconds") -> tuple[float, float]:
    """(effective samples, draws of ``trained``) beyond which ``trained`` (with its
    training charged) costs less than ``baseline`` for the same ESS; ``by`` =
    "seconds" or "gradients". (inf, inf) when ``trained`` never catches up."""
    if by not in ("seconds", "gradients"):
        raise ValueError(f"by must be 'seconds' or 'gradients', got {by!r}")
    spent = (lambda c: c.seconds) if by == "seconds" else (lambda c: c.gradients)
    setup = trained.training_seconds if by == "seconds" else trained.training_gradients
    if trained.ess <= 0:
        return math.inf, math.inf
    b = spent(trained) / trained.ess
    a = spent(baseline) / baseline.ess if baseline.ess > 0 else math.inf
    if not a > b:
        return math.inf, math.inf
    n_eff = setup / (a - b) if math.isfinite(a) else 0.0
    return n_eff, n_eff * trained.draws / trained.ess


def compare(baseline: Cost, trained: Cost, amortised_over: tuple[int, ...] = (10_000, 1_000_000)) -> Comparison:
    """The table of ``Comparison`` for a baseline (e.g. HMC) and a trained sampler."""
    rows: dict[str, dict[str, float]] = {}
    for c in (baseline, trained):
        row = {"ESS": c.ess, "draws": float(c.draws), "ESS/s": c.per_second(), "ESS/ge": c.per_gradient()}
        for d in amortised_over:
            row[f"ESS/s (training over {d:g} draws)"] = c.per_second(d)
            row[f"ESS/ge (training over {d:g} draws)"] = c.per_gradient(d)
        rows[c.name] = row
    return Comparison(rows, tuple(amortised_over), break_even(baseline, trained, "seconds"),
                      break_even(baseline, trained, "gradients"))


def training_cost(training: Mapping[str, Any], data: Mapping[str, Any], network_ge: float) -> dict[str, float]:
    """Training cost from a checkpoint's meta (``load_denoiser``'s info["training"]
    and info["data"]): seconds = train_seconds + data_seconds as recorded (on the
    device named in training["device"]); gradient-equivalents = steps × batch × 3
    × ``network_ge`` + the data's HMC gradients, chains × (burn_in + thin ·
    num_samples/chains) × (leapfrog + 1). Missing entries count 0 and are listed
    under "missing"."""
    missing: list[str] = []

    def get(m: Mapping[str, Any], k: str) -> float:
        if k not in m:
            missing.append(k)
            return 0.0
        return float(m[k])

    cfg = training.get("train_config", {})
    net = get(training, "step") * get(cfg, "batch_size") * 3.0 * network_ge
    chains = get(data, "chains")
    per_chain = get(data, "num_samples") / chains if chains else 0.0
    hmc = chains * (get(data, "burn_in") + get(data, "thin") * per_chain) * (get(data, "leapfrog") + 1.0)
    seconds = get(training, "train_seconds") + get(training, "data_seconds")
    return {"seconds": seconds, "gradients": net + hmc, "network_gradients": net, "data_gradients": hmc,
            "missing": ", ".join(missing)}  # type: ignore[dict-item]


def relative_cost(network: Callable[[], Any], gradient: Callable[[], Any], repeats: int = 5) -> float:
    """Wall-time ratio network call / gradient call (each a no-argument callable that
    blocks until done, on batches of the same size): the network's cost in
    gradient-equivalents. Each is called once to compile, then the median of
    ``repeats`` timed calls is taken."""

    def median_time(f: Callable[[], Any]) -> float:
        f()
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            f()
            times.append(time.perf_counter() - t)
        return sorted(times)[len(times) // 2]

    return median_time(network) / max(median_time(gradient), 1e-12)
