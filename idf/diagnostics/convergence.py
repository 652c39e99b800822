"""Convergence statistics of MCMC draws: rank-normalised split R̂ (bulk and
folded), bulk and tail ESS, MCSE of the mean and sd, τ_int.

Definitions (Vehtari, Gelman, Simpson, Carpenter & Bürkner 2021, "Rank-
normalization, folding, and localization", the ones Stan, ArviZ and PyMC use):
* split: each chain of S draws becomes two of ⌊S/2⌋ (first half, last half);
* rank-normalise: pooled average ranks r → z = Φ⁻¹((r − 3/8)/(N + 1/4)) (Blom);
* ESS = C·S/τ with τ = −1 + 2Σ_k Γ̂_k from Geyer's initial positive, monotone
  sequence of pair sums Γ̂_k = ρ̂_{2k} + ρ̂_{2k+1}, ρ̂_t = 1 − (W − γ̄_t)/var⁺,
  W the mean within-chain variance, var⁺ = W(S−1)/S + B/S;
* R̂ = √((B/W + S − 1)/S) on the rank-normalised split chains (bulk) and on
  |x − median| (folded, the tails' scale); ``rhat`` is the larger of the two;
* bulk ESS: ESS of the rank-normalised split chains; tail ESS: the smaller ESS
  of the indicators x ≤ q₀.₀₅ and x ≤ q₀.₉₅ (split, not rank-normalised).

They agree with ``arviz`` (tests: 1e-8 in float64) with one deliberate
difference: when no chain moves (a constant observable, or every chain stuck
at its own point) the ESS is 0, not ArviZ's C·S or ≈ C (nor BlackJAX's 3.3×,
its issue #1019), and ``stuck_chains`` flags every chain that never moves.
One implementation, two backends: NumPy arrays are computed in NumPy
(float64, any S without recompiling, for live runs), JAX arrays in jax.numpy,
so every function here is ``jax.jit``-able. Draws are [C, S, ...]: one
statistic per trailing element.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from scipy import special

TAIL_PROBS = (0.05, 0.95)


def _backend(x: Any) -> tuple[Any, Callable]:
    if isinstance(x, jax.Array):
        return jnp, jax.scipy.special.ndtri
    return np, special.ndtri


def _draws(x: Any) -> Any:
    if not isinstance(x, jax.Array):
        x = np.asarray(x, dtype=np.float64)
    if x.ndim < 2 or x.shape[1] < 4:
        raise ValueError(f"need draws shaped [chains, samples ≥ 4, ...], got {x.shape}")
    return x


def _per_element(fn: Callable[[Any], Any], x: Any) -> Any:
    """Apply ``fn`` ([C, S] -> [] or [k]) to each trailing element of [C, S, ...]."""
    x = _draws(x)
    trailing = x.shape[2:]
    flat = x.reshape(x.shape[0], x.shape[1], -1)
    if isinstance(x, jax.Array):
        out = jax.vmap(fn, in_axes=2, out_axes=-1)(flat)
    else:
        out = np.stack([fn(flat[:, :, j]) for j in range(flat.shape[2])], axis=-1)
    return out.reshape(out.shape[:-1] + trailing)


def split_chains(x: Any) -> Any:
    """[C, S] -> [2C, ⌊S/2⌋]: first and last halves (the middle draw of an odd S is dropped)."""
    xp, _ = _backend(x)
    half = x.shape[1] // 2
    return xp.concatenate([x[:, :half], x[:, x.shape[1] - half :]], axis=0)


def rank_normalise(x: Any) -> Any:
    """[C, S] -> [C, S] normal scores of the pooled average ranks (Blom's offset 3/8)."""
    xp, ndtri = _backend(x)
    flat = x.reshape(-1)
    srt = xp.sort(flat)
    ranks = 0.5 * (xp.searchsorted(srt, flat, side="left") + xp.searchsorted(srt, flat, side="right") + 1)
    return ndtri((ranks - 0.375) / (flat.shape[0] + 0.25)).reshape(x.shape)


def _is_constant(x: Any) -> Any:
    xp, _ = _backend(x)
    top, bottom = xp.max(x), xp.min(x)
    return (top - bottom) <= 1e-12 * xp.maximum(1.0, xp.abs(top))


def _ess(x: Any) -> Any:
    """Multi-chain ESS of [C, S] (no split, no ranks): Geyer's initial positive and
    monotone sequence exactly as Stan/ArviZ truncate it; 0 for a constant x."""
    xp, _ = _backend(x)
    c, n = x.shape
    centred = x - x.mean(axis=1, keepdims=True)
    f = xp.fft.rfft(centred, n=2 * n, axis=1)  # zero padding: a linear, not circular, correlation
    acov = xp.fft.irfft(f * xp.conj(f), n=2 * n, axis=1)[:, :n] / n
    mean_var = acov[:, 0].mean() * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n + (x.mean(axis=1).var(ddof=1) if c > 1 else 0.0)
    # no chain moves (even if they sit at different points): nothing was sampled
    constant = _is_constant(x) | xp.all(xp.max(x, axis=1) == xp.min(x, axis=1))
    safe = xp.where(constant, 1.0, var_plus)
    rho = 1.0 - (mean_var - acov.mean(axis=0)) / safe
    rho = xp.concatenate([xp.ones(1, rho.dtype), rho[1:]])
    k = (n - 1) // 2  # pairs (ρ̂_{2k}, ρ̂_{2k+1}) that Stan's loop can reach
    evens, pairs = rho[0 : 2 * k : 2], rho[0 : 2 * k : 2] + rho[1 : 2 * k : 2]
    nonpos = ~(pairs > 0)
    first = xp.where(nonpos.any(), xp.argmax(nonpos), k)
    last = xp.minimum(first, k - 1)  # pairs [0, last) are summed; ρ̂_{2·last} is the tail term
    monotone = xp.minimum.accumulate(pairs)
    total = xp.sum(xp.where(xp.arange(k) < last, monotone, 0.0))
    tail = evens[last]
    tau = -1.0 + 2.0 * total + xp.where(tail > 0, tail, 0.0)
    tau = xp.maximum(tau, 1.0 / np.log10(c * n))
    ess = c * n / tau
    ess = xp.where(xp.isnan(rho).any(), xp.nan, ess)
    return xp.where(constant, 0.0, ess)


def _rhat(x: Any) -> Any:
    n = x.shape[1]
    between = n * x.mean(axis=1).var(ddof=1)
    within = x.var(axis=1, ddof=1).mean()
    xp, _ = _backend(x)
    ok = within > 0  # constant draws: R̂ is undefined (NaN), as in ArviZ
    return xp.where(ok, xp.sqrt((between / xp.where(ok, within, 1.0) + n - 1) / n), xp.nan)


def ess(x: Any) -> Any:
    """ESS of draws [C, S, ...] -> [...] without split or ranks (ArviZ's ``method="mean"``
    without the split); 0 for a constant observable."""
    return _per_element(_ess, x)


def ess_mean(x: Any) -> Any:
    """ESS of the mean, [C, S, ...] -> [...]: split chains, no ranks (ArviZ ``method="mean"``)."""
    return _per_element(lambda v: _ess(split_chains(v)), x)


def ess_bulk(x: Any) -> Any:
    """Bulk ESS, [C, S, ...] -> [...]: rank-normalised split chains (ArviZ ``method="bulk"``)."""
    return _per_element(lambda v: _ess(rank_normalise(split_chains(v))), x)


def ess_tail(x: Any) -> Any:
    """Tail ESS, [C, S, ...] -> [...]: min over the 5 % and 95 % quantile indicators
    (ArviZ ``method="tail"``); 0 for a constant observable."""

    def one(v: Any) -> Any:
        xp, _ = _backend(v)
        values = [_ess(split_chains((v <= xp.quantile(v, p)).astype(v.dtype))) for p in TAIL_PROBS]
        return xp.where(_is_constant(v), 0.0, xp.minimum(*values))

    return _per_element(one, x)


def rhat_bulk(x: Any) -> Any:
    """Rank-normalised split-R̂ of the location, [C, S, ...] -> [...]."""
    return _per_element(lambda v: _rhat(rank_normalise(split_chains(v))), x)


def rhat_folded(x: Any) -> Any:
    """Rank-normalised split-R̂ of the scale (draws folded about the median), [C, S, ...] -> [...]."""

    def one(v: Any) -> Any:
        xp, _ = _backend(v)
        s = split_chains(v)
        return _rhat(rank_normalise(xp.abs(s - xp.median(s))))

    return _per_element(one, x)


def rhat(x: Any) -> Any:
    """R̂ = max(bulk, folded), [C, S, ...] -> [...] (ArviZ ``method="rank"``); < 1.01 when chains agree."""
    xp, _ = _backend(_draws(x))
    return xp.maximum(rhat_bulk(x), rhat_folded(x))


def mcse_mean(x: Any) -> Any:
    """Monte Carlo standard error of the mean, sd/√ESS_mean, [C, S, ...] -> [...] (same units as x)."""

    def one(v: Any) -> Any:
        xp, _ = _backend(v)
        e = _ess(split_chains(v))
        return xp.where(e > 0, v.std(ddof=1) / xp.sqrt(xp.where(e > 0, e, 1.0)), xp.nan)

    return _per_element(one, x)


def mcse_sd(x: Any) -> Any:
    """Monte Carlo standard error of the standard deviation, [C, S, ...] -> [...] (ArviZ's
    delta-method estimate on the squared deviations)."""

    def one(v: Any) -> Any:
        xp, _ = _backend(v)
        dev2 = (v - v.mean()) ** 2
        evar = dev2.mean()
        varvar = ((dev2**2).mean() - evar**2) / _ess(split_chains(dev2))
        return xp.sqrt(varvar / evar / 4)

    return _per_element(one, x)


def tau_int(x: Any) -> Any:
    """Integrated autocorrelation time τ = 1 + 2Σρ_t = C·S/ESS, [C, S, ...] -> [...]
    (no split, no ranks; ∞ for a constant observable)."""
    x = _draws(x)
    xp, _ = _backend(x)
    e = ess(x)
    return xp.where(e > 0, x.shape[0] * x.shape[1] / xp.where(e > 0, e, 1.0), xp.inf)


def stuck_chains(x: Any) -> Any:
    """[C, S, ...] -> [C] bool: chains whose draws never change (every element constant)."""
    x = _draws(x)
    xp, _ = _backend(x)
    flat = x.reshape(x.shape[0], x.shape[1], -1)
    return xp.all(xp.max(flat, axis=1) == xp.min(flat, axis=1), axis=-1)
