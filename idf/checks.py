"""Physics checks run on demand: each one computes a number from the library
as it is now and compares it with an exact answer, with a stated tolerance and
sample size. The Physics-checks page shows them as badges, so anyone who
changes the code sees at once what broke; tests/test_checks.py runs them too.

Each check is a function ``check(seed) -> CheckResult``; ``CHECKS`` lists them
in display order. Status "pass"/"fail" compare with the tolerance; "truth"
marks a measured fact that refutes a claim of the design document.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

import jax
import numpy as np

from idf import diagnostics
from idf.diffusion import SCHEDULES, ExactGaussianDenoiser, make_schedule, sample, step_table
from idf.diffusion.schedules import inference_timesteps
from idf.energy import GaussianFreeField, LatticeEnergy

SHAPE = (8, 8)
GFF = GaussianFreeField(mass2=1.0, kT=1.0)


class CheckResult(NamedTuple):
    """One badge: ``value`` against ``tolerance`` (``value ≤ tolerance`` passes
    unless ``detail`` says otherwise), with the sample size ``n``."""

    name: str
    status: str  # "pass", "fail" or "truth"
    value: float
    tolerance: float
    n: int
    detail: str
    seconds: float = 0.0


def _power() -> np.ndarray:
    return np.asarray(GFF.covariance_spectrum(SHAPE), np.float64)


def _verdict(ok: bool) -> str:
    return "pass" if ok else "fail"


def ddim_matches_exact_recursion(seed: int = 0) -> CheckResult:
    """50-step DDIM (η = 1, trailing) with the exact denoiser: every Fourier
    mode's variance equals the linear-Gaussian recursion v ← g²v + σ²."""
    n = 4096
    sched = make_schedule("linear", 1000)
    out = sample(jax.random.key(seed), ExactGaussianDenoiser(GFF), sched, SHAPE, n,
                 inference_steps=50, solver="ddim", eta=1.0, spacing="trailing", keep=1)
    ab, abp = step_table(sched, inference_timesteps(1000, 50, "trailing"))
    v = diagnostics.reverse_output_variance(_power(), ab, abp, method="ddim", eta=1.0)
    ratio = diagnostics.empirical_power(np.asarray(out.samples)) / v
    z = float(np.max(np.abs(ratio - 1.0)) / np.sqrt(2.0 / n))
    return CheckResult("DDIM loop = exact linear-Gaussian recursion", _verdict(z < 5.0), z, 5.0, n,
                       "largest per-mode deviation, in standard errors (64 modes)")


def ddpm_reaches_gff(seed: int = 0) -> CheckResult:
    """1000 DDPM steps with the exact denoiser sample the 8×8 GFF."""
    n = 4096
    out = sample(jax.random.key(seed), ExactGaussianDenoiser(GFF), make_schedule("linear", 1000), SHAPE, n,
                 inference_steps=1000, solver="ddpm", keep=1)
    kl = diagnostics.fourier_kl(np.asarray(out.samples), _power())
    return CheckResult("DDPM (1000 steps) reaches the GFF", _verdict(kl < 0.02), kl, 0.02, n,
                       "Fourier-diagonal KL in nats; the estimator's own bias ≈ "
                       f"{diagnostics.fourier_kl_bias(SHAPE, n):.4f}")


def forward_kl_monotone(seed: int = 0) -> CheckResult:
    """KL(q_t ‖ N(0, I)) never rises, for every schedule (exact, no sampling)."""
    rises = 0
    for name in SCHEDULES:
        kl = diagnostics.forward_kl_to_prior(_power(), make_schedule(name, 1000).alpha_bars)
        rises += int(np.sum(np.diff(kl) > 1e-12))
    return CheckResult("KL(q_t ‖ N(0, I)) is non-increasing", _verdict(rises == 0), float(rises), 0.0, 3000,
                       "steps on which the exact KL rises, over the three schedules")


def entropy_not_monotone(seed: int = 0) -> CheckResult:
    """The document's "entropy monotonicity": the exact H(t) of a GFF at kT = 4
    rises on some steps and falls on others."""
    power = np.asarray(GaussianFreeField(mass2=1.0, kT=4.0).covariance_spectrum(SHAPE), np.float64)
    h = diagnostics.forward_entropy(power, make_schedule("linear", 1000).alpha_bars)
    falls = float(np.mean(np.diff(h) < 0))
    return CheckResult("Entropy monotonicity S(t+1) ≥ S(t) (document's claim)", "truth", falls, 0.0, 1000,
                       f"share of steps on which the exact H(t) falls (GFF, kT = 4): {falls:.0%}: the claim is false")


def default_energy_improper(seed: int = 0) -> CheckResult:
    """The document's default energy (w_k = w_p = 1, no mass) is improper."""
    a_min = LatticeEnergy().smallest_eigenvalue(SHAPE)
    return CheckResult("The document's default energy has no Boltzmann distribution", "truth", a_min, 0.0, 64,
                       "smallest eigenvalue A_min = m² − 4·w_p of its quadratic part; it needs m² > 4")


def _chains(sampler, seed: int, chains: int = 32, steps: int = 400, burn_in: int = 200):
    from idf.samplers import run_chains

    x0 = GFF.sample_exact(jax.random.key(seed + 1), SHAPE, chains)
    return run_chains(sampler, GFF, jax.random.key(seed), x0, steps, burn_in=burn_in, warn=False)


def _sampler_kl(name: str, sampler, seed: int, tol: float) -> CheckResult:
    result = _chains(sampler, seed)
    x = np.asarray(result.positions).reshape(-1, *SHAPE)
    kl = diagnostics.fourier_kl(x, _power())
    return CheckResult(f"{name} samples the GFF", _verdict(kl < tol), kl, tol, len(x),
                       "Fourier-diagonal KL in nats (correlated draws: the effective n is smaller)")


def hmc_kl(seed: int = 0) -> CheckResult:
    from idf.samplers import HMC

    return _sampler_kl("HMC", HMC(step_size=0.2, num_leapfrog=8), seed, 0.05)


def mala_kl(seed: int = 0) -> CheckResult:
    from idf.samplers import MALA

    return _sampler_kl("MALA", MALA(step_size=0.15), seed, 0.05)


def ula_bias(seed: int = 0) -> CheckResult:
    """Unadjusted Langevin at ε = 0.3 has the exact stationary law
    kT/[A(1 − εA/(4kT))] per mode, not the GFF: its KL to the target is large,
    to its own exact stationary law small."""
    from idf.samplers import Langevin

    eps = 0.3
    result = _chains(Langevin(step_size=eps), seed)
    x = np.asarray(result.positions).reshape(-1, *SHAPE)
    biased = diagnostics.ula_stationary_variance(np.asarray(GFF.spectrum(SHAPE), np.float64), float(GFF.kT), eps)
    to_target = diagnostics.fourier_kl(x, _power())
    to_biased = diagnostics.fourier_kl(x, biased)
    ok = to_biased < 0.05 < to_target
    return CheckResult("Unadjusted Langevin shows its exact bias (no detailed balance)", _verdict(ok), to_target,
                       0.05, len(x), f"KL to the GFF {to_target:.3f} nats; to ULA's exact law {to_biased:.3f} nats")


def hmc_step_size_scaling(seed: int = 0) -> CheckResult:
    """rms ΔH ∝ ε² at fixed trajectory length Lε = 1.2 (leapfrog is second order)."""
    from idf.samplers import HMC

    eps = np.array([0.05, 0.1, 0.2])
    rms = []
    for e in eps:
        result = _chains(HMC(step_size=float(e), num_leapfrog=int(round(1.2 / e))), seed, chains=8, steps=60,
                         burn_in=10)
        rms.append(diagnostics.delta_h_stats(np.asarray(result.delta_H))["rms"])
    slope = float(np.polyfit(np.log(eps), np.log(rms), 1)[0])
    return CheckResult("HMC: rms ΔH ∝ ε²", _verdict(abs(slope - 2.0) < 0.3), abs(slope - 2.0), 0.3, 480,
                       f"|fitted log-log slope − 2| (slope = {slope:.2f}; rms ΔH = "
                       + ", ".join(f"{r:.3g}" for r in rms) + ")")


def hmc_exp_delta_h(seed: int = 0) -> CheckResult:
    """⟨e^{−ΔH}⟩ = 1 exactly in equilibrium."""
    from idf.samplers import HMC

    result = _chains(HMC(step_size=0.25, num_leapfrog=5), seed, chains=32, steps=300)
    stats = diagnostics.delta_h_stats(np.asarray(result.delta_H))
    z = abs(stats["exp_mean"] - 1.0) / stats["exp_mean_error"]
    return CheckResult("HMC: ⟨e^{−ΔH}⟩ = 1", _verdict(z < 4.0), z, 4.0, stats["n"],
                       f"|⟨e^(−ΔH)⟩ − 1| in standard errors (⟨e^(−ΔH)⟩ = {stats['exp_mean']:.4f})")


def hmc_equipartition(seed: int = 0) -> CheckResult:
    """⟨x·∇φ⟩ = N·kT under HMC."""
    from idf.samplers import HMC

    result = _chains(HMC(step_size=0.2, num_leapfrog=8), seed)
    eq = diagnostics.equipartition(GFF, np.asarray(result.positions))
    z = abs(eq["z"])
    return CheckResult("HMC: equipartition ⟨x·∇φ⟩ = N·kT", _verdict(z < 4.0), z, 4.0,
                       int(np.prod(result.positions.shape[:2])),
                       f"|z| of {eq['value']:.2f} ± {eq['error']:.2f} against N·kT = {eq['expected']:.0f}")


CHECKS: list[Callable[[int], CheckResult]] = [
    ddim_matches_exact_recursion,
    ddpm_reaches_gff,
    forward_kl_monotone,
    entropy_not_monotone,
    default_energy_improper,
    hmc_kl,
    mala_kl,
    ula_bias,
    hmc_step_size_scaling,
    hmc_exp_delta_h,
    hmc_equipartition,
]


def run_check(check: Callable[[int], CheckResult], seed: int = 0) -> CheckResult:
    """Run one check, timing it; an exception becomes a failed badge."""
    start = time.perf_counter()
    try:
        result = check(seed)
    except Exception as err:  # a broken check is a red badge, never a crash
        result = CheckResult(check.__name__, "fail", float("nan"), float("nan"), 0, f"raised {err!r}")
    return result._replace(seconds=time.perf_counter() - start)
