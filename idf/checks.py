"""Physics checks run on demand: each one computes a number from the library
as it is now and compares it with an exact answer, with a stated tolerance and
sample size. The Physics-checks page shows them as badges, so anyone who
changes the code sees at once what broke; tests/test_checks.py runs them too.

Each check is a function ``check(seed) -> CheckResult``; ``CHECKS`` lists them
in display order. Status "pass"/"fail" compare with the tolerance; "truth"
marks a measured fact that refutes a claim of the design document, and turns
"fail" when the computed numbers stop refuting it. Statistical tolerances
state the expected value and its standard error and allow ``K_SE`` of them.

Correlated draws (MCMC chains): the KL's bias is Σ_k τ_k/(4n) to leading
order, τ_k the integrated autocorrelation time of |x̂_k|² (the series whose
mean P̂_k is), i.e. the i.i.d. bias at n_eff = n/τ̄ with τ̄ the mean over modes,
not the slowest. The sampler checks do not lean on τ estimates, which are
noisy on short chains: they jackknife over the independent chains, which
removes the O(1/n) bias and gives the SE, and quote n/τ̄ beside it.
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
K_SE = 4.0  # standard errors a statistical check allows


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


def mode_z(p_hat: np.ndarray, v: np.ndarray, n: float) -> np.ndarray:
    """Per-mode deviation (P̂_k/v_k − 1)/SE_k, [H, W], of n i.i.d. draws: SE_k =
    √(2/n) on the self-conjugate modes (x̂_k real: χ²_n/n) and √(1/n) on the
    others (real and imaginary parts: χ²_2n/(2n))."""
    se = np.where(diagnostics.self_conjugate_mask(np.shape(p_hat)), np.sqrt(2.0 / n), np.sqrt(1.0 / n))
    return (np.asarray(p_hat, np.float64) / np.asarray(v, np.float64) - 1.0) / se


def kl_check(name: str, kl: float, expected: tuple[float, float], n: int, what: str) -> CheckResult:
    """A badge for a measured KL̂ against its expected (mean, sd): value |z|,
    tolerance ``K_SE``; the detail states KL̂, the expectation and the sd."""
    mean, sd = expected
    z = abs(kl - mean) / sd
    return CheckResult(name, _verdict(z < K_SE), z, K_SE, n,
                       f"|KL̂ − E| in sd: KL̂ = {kl:.4f} nats, expected {mean:.4f} ± {sd:.4f} ({what})")


def ddim_matches_exact_recursion(seed: int = 0) -> CheckResult:
    """50-step DDIM (η = 1, trailing) with the exact denoiser: every Fourier
    mode's variance equals the linear-Gaussian recursion v ← g²v + σ²."""
    n = 4096
    sched = make_schedule("linear", 1000)
    out = sample(jax.random.key(seed), ExactGaussianDenoiser(GFF), sched, SHAPE, n,
                 inference_steps=50, solver="ddim", eta=1.0, spacing="trailing", keep=1)
    ab, abp = step_table(sched, inference_timesteps(1000, 50, "trailing"))
    v = diagnostics.reverse_output_variance(_power(), ab, abp, method="ddim", eta=1.0)
    z = float(np.max(np.abs(mode_z(diagnostics.empirical_power(np.asarray(out.samples)), v, n))))
    n_self = diagnostics.self_conjugate_modes(SHAPE)
    return CheckResult("DDIM loop = exact linear-Gaussian recursion", _verdict(z < 5.0), z, 5.0, n,
                       f"largest per-mode |P̂/v − 1| in standard errors over {(64 - n_self) // 2 + n_self} "
                       f"independent estimates (SE √(2/n) on the {n_self} self-conjugate modes, √(1/n) on the "
                       "conjugate pairs); 5 SE")


def ddpm_reaches_gff(seed: int = 0) -> CheckResult:
    """1000 DDPM steps with the exact denoiser sample the 8×8 GFF: KL̂ is the
    exact loop's KL (the 1000-step loop is not exactly the GFF) plus the
    estimator's bias, within ``K_SE`` sd of the χ² law."""
    n = 4096
    sched = make_schedule("linear", 1000)
    out = sample(jax.random.key(seed), ExactGaussianDenoiser(GFF), sched, SHAPE, n,
                 inference_steps=1000, solver="ddpm", keep=1)
    power = _power()
    kl = diagnostics.fourier_kl(np.asarray(out.samples), power)
    ab, abp = step_table(sched, inference_timesteps(1000, 1000, "leading"))
    v = diagnostics.reverse_output_variance(power, ab, abp, method="ddpm")
    loop = diagnostics.gaussian_kl(v, power)
    return kl_check("DDPM (1000 steps) reaches the GFF", kl, diagnostics.fourier_kl_moments(SHAPE, n, v, power), n,
                    f"exact loop KL {loop:.4f} + estimator bias {diagnostics.fourier_kl_bias(SHAPE, n):.4f} "
                    f"at n = {n} i.i.d. draws")


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
    return entropy_verdict(diagnostics.forward_entropy(power, make_schedule("linear", 1000).alpha_bars))


def entropy_verdict(h: np.ndarray) -> CheckResult:
    """The badge for an exact entropy curve H(t) [T]: "truth" (the claim
    S(t+1) ≥ S(t) refuted) when H falls on some step, "fail" when it never does."""
    steps = np.diff(np.asarray(h, np.float64))
    falls, rises = float(np.mean(steps < 0)), float(np.mean(steps > 0))
    refuted = falls > 0
    said = "the claim is false" if refuted else "the claim holds on this curve, which refutes nothing"
    return CheckResult("Entropy monotonicity S(t+1) ≥ S(t) (document's claim)", "truth" if refuted else "fail",
                       falls, 0.0, len(steps),
                       f"share of steps on which the exact H(t) falls (GFF, kT = 4): {falls:.0%}, rises: "
                       f"{rises:.0%}: {said}")


def default_energy_improper(seed: int = 0) -> CheckResult:
    """The document's default energy (w_k = w_p = 1, no mass) is improper, and the library refuses to sample it."""
    energy = LatticeEnergy()
    try:
        energy.check_normalizable(SHAPE)
        refused = False
    except ValueError:
        refused = True
    return improper_verdict(energy.smallest_eigenvalue(SHAPE), refused, float(energy.w_potential))


def improper_verdict(a_min: float, refused: bool, w_p: float) -> CheckResult:
    """The badge for the default energy's smallest eigenvalue ``a_min`` of its
    quadratic part and whether the library ``refused`` to sample it: "truth"
    when A_min ≤ 0 and it is refused; "fail" when A_min > 0 (then it is proper)
    or when an improper energy is not refused."""
    improper = a_min <= 0.0
    if improper and refused:
        status, said = "truth", "no Boltzmann distribution (a constant field has φ → −∞), and the library refuses it"
    elif improper:
        status, said = "fail", "improper, yet the library did not refuse to sample it"
    else:
        status, said = "fail", "positive: this energy is normalisable, the claim to refute is gone"
    return CheckResult("The document's default energy has no Boltzmann distribution", status, float(a_min), 0.0,
                       int(np.prod(SHAPE)),
                       f"smallest eigenvalue A_min = m² − 4·w_p = {a_min:.3g} of its quadratic part: {said}; "
                       f"it needs m² > 4·w_p = {4 * w_p:g}")


def _chains(sampler, seed: int, chains: int = 32, steps: int = 400, burn_in: int = 200):
    from idf.samplers import run_chains

    x0 = GFF.sample_exact(jax.random.key(seed + 1), SHAPE, chains)
    return run_chains(sampler, GFF, jax.random.key(seed), x0, steps, burn_in=burn_in, warn=False)


def mean_tau(positions: np.ndarray) -> float:
    """τ̄: the mean over Fourier modes of τ_int of |x̂_k|² in chains [C, S, H, W]."""
    power = np.abs(np.fft.fft2(np.asarray(positions, np.float64), norm="ortho")) ** 2
    return float(np.mean(diagnostics.integrated_autocorrelation_time(power)))


def chain_jackknife_kl(positions: np.ndarray, power: np.ndarray) -> tuple[float, float, float]:
    """(KL̂, bias-corrected KL, its SE) of chains [C, S, H, W] against ``power``
    [H, W], by the jackknife over the C independent chains (leave one chain
    out): corrected = C·KL̂ − (C − 1)·mean KL̂₋ᵢ, SE² = (C−1)/C·Σ(KL̂₋ᵢ − mean)²."""
    per_chain = np.mean(np.abs(np.fft.fft2(np.asarray(positions, np.float64), norm="ortho")) ** 2, axis=1)
    c = len(per_chain)
    full = per_chain.mean(axis=0)
    kl = diagnostics.gaussian_kl(full, power)
    loo = np.array([diagnostics.gaussian_kl((c * full - per_chain[i]) / (c - 1), power) for i in range(c)])
    se = float(np.sqrt((c - 1) / c * np.sum((loo - loo.mean()) ** 2)))
    return kl, float(c * kl - (c - 1) * loo.mean()), se


def _sampler_kl(name: str, sampler, seed: int) -> CheckResult:
    result = _chains(sampler, seed)
    x = np.asarray(result.positions)
    n = int(np.prod(x.shape[:2]))
    tau = mean_tau(x)
    kl, corrected, se = chain_jackknife_kl(x, _power())
    z = abs(corrected) / se
    return CheckResult(f"{name} samples the GFF", _verdict(z < K_SE), z, K_SE, n,
                       f"|bias-corrected KL| in jackknife SE (expected 0 for an exact sampler): KL̂ = {kl:.4f} "
                       f"nats, jackknife bias {kl - corrected:.4f} (i.i.d. bias at n/τ̄ = {n / tau:.0f}: "
                       f"{diagnostics.fourier_kl_bias(SHAPE, n / tau):.4f}), corrected {corrected:+.4f} ± {se:.4f} "
                       f"over {x.shape[0]} chains")


def hmc_kl(seed: int = 0) -> CheckResult:
    from idf.samplers import HMC

    return _sampler_kl("HMC", HMC(step_size=0.2, num_leapfrog=8), seed)


def mala_kl(seed: int = 0) -> CheckResult:
    from idf.samplers import MALA

    return _sampler_kl("MALA", MALA(step_size=0.15), seed)


def ula_bias(seed: int = 0) -> CheckResult:
    """Unadjusted Langevin at ε = 0.3 has the exact stationary law
    v = kT/[A(1 − εA/(4kT))] per mode, not the GFF: its bias-corrected KL to the
    target is the exact KL(v ‖ GFF) (6.58 nats on 8×8, m² = 1), to v zero; both
    within ``K_SE`` jackknife SE."""
    from idf.samplers import Langevin

    eps = 0.3
    result = _chains(Langevin(step_size=eps), seed)
    x = np.asarray(result.positions)
    power = _power()
    biased = diagnostics.ula_stationary_variance(np.asarray(GFF.spectrum(SHAPE), np.float64), float(GFF.kT), eps)
    exact = diagnostics.gaussian_kl(biased, power)
    _, to_target, se_t = chain_jackknife_kl(x, power)
    _, to_biased, se_b = chain_jackknife_kl(x, biased)
    z = max(abs(to_target - exact) / se_t, abs(to_biased) / se_b)
    return CheckResult("Unadjusted Langevin shows its exact bias (no detailed balance)", _verdict(z < K_SE), z, K_SE,
                       int(np.prod(x.shape[:2])),
                       f"larger |z| of: bias-corrected KL to the GFF {to_target:.3f} ± {se_t:.3f} nats against the "
                       f"exact {exact:.3f}; to ULA's exact law {to_biased:+.4f} ± {se_b:.4f} against 0 "
                       f"(jackknife over {x.shape[0]} chains)")


def hmc_step_size_scaling(seed: int = 0) -> CheckResult:
    """rms ΔH ∝ ε² at fixed trajectory length Lε = 1.2 (leapfrog is second
    order): the weighted log-log slope, its SE from the MCSE of ⟨ΔH²⟩ at each ε
    (SE(ln rms) = ½·MCSE/⟨ΔH²⟩), within ``K_SE`` SE of the exact leapfrog's slope
    (``gaussian_leapfrog_delta_h``: 2 + O(ε²))."""
    from idf.samplers import HMC

    eps = np.array([0.05, 0.1, 0.2])
    log_rms, se = [], []
    for e in eps:
        result = _chains(HMC(step_size=float(e), num_leapfrog=int(round(1.2 / e))), seed, chains=8, steps=60,
                         burn_in=10)
        mean, err = diagnostics.mean_and_error(np.asarray(result.delta_H, np.float64) ** 2)
        log_rms.append(0.5 * np.log(mean))
        se.append(0.5 * err / mean)
    slope, slope_se = weighted_slope(np.log(eps), np.array(log_rms), np.array(se))
    spectrum = np.asarray(GFF.spectrum(SHAPE), np.float64)
    exact_rms = [np.sqrt(diagnostics.gaussian_leapfrog_delta_h(spectrum, float(GFF.kT), float(e),
                                                               int(round(1.2 / e)))[1]) for e in eps]  # fmt: skip
    exact = float(np.polyfit(np.log(eps), np.log(exact_rms), 1)[0])  # 2 + O(ε²)
    z = abs(slope - exact) / slope_se
    return CheckResult("HMC: rms ΔH ∝ ε²", _verdict(z < K_SE), z, K_SE, 480,
                       f"|slope − exact| in SE: fitted log-log slope {slope:.3f} ± {slope_se:.3f} against the "
                       f"exact leapfrog's {exact:.3f}; rms ΔH = " + ", ".join(f"{np.exp(r):.3g}" for r in log_rms)
                       + " (exact " + ", ".join(f"{r:.3g}" for r in exact_rms) + f") at ε = {', '.join(map(str, eps))}")


def weighted_slope(x: np.ndarray, y: np.ndarray, se: np.ndarray) -> tuple[float, float]:
    """(slope, SE) of the least-squares line through y [k] ± se [k] at x [k], weights 1/se²."""
    w = 1.0 / np.square(se)
    xb, yb = np.sum(w * x) / np.sum(w), np.sum(w * y) / np.sum(w)
    sxx = np.sum(w * (x - xb) ** 2)
    return float(np.sum(w * (x - xb) * (y - yb)) / sxx), float(np.sqrt(1.0 / sxx))


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
