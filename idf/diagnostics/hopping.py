"""φ⁴ observables in the hopping convention of Wang, Aarts & Zhou (arXiv 2309.17082)
for fields in the hopping normalisation (``idf.energy.HoppingPhi4``; an Albergo
field φ_A maps to φ_A/√κ, ``idf.energy.to_hopping_field``):

    M = (1/V)Σ_x φ_x,  ⟨|M|⟩,  χ₂ = V(⟨M²⟩ − ⟨M⟩²),  U₄ = 1 − ⟨M⁴⟩/(3⟨M²⟩²)

with V = H·W. ⟨M⟩ is the pooled mean over every chain and draw (≈ 0 when the
chains cover both modes). Errors are one standard error from the ESS
(``mcmc.mean_and_error``); χ₂'s and U₄'s by the delta method on the linearised
series, so the correlation between the moments counts.

How the conventions map (exact, draw by draw): M_hop = m_A/√κ, so
⟨|M|⟩_hop = ⟨|m|⟩_A/√κ, χ₂,hop = (N⟨m_A²⟩ − N⟨m_A⟩²)/κ (``phi4_observables``'
χ₂ = N⟨m²⟩ is not connected), U₄ is the same number.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from idf.diagnostics.mcmc import integrated_autocorrelation_time, mean_and_error
from idf.diagnostics.observables import magnetization


def hopping_observables(samples: Any) -> dict[str, float]:
    """Hopping-convention observables of fields [C, S, H, W] (hopping normalisation).

    Returns abs_M, chi2, binder, mean_M, each with ``*_error``, and tau_abs_M
    (τ_int of |M| in draws, ``integrated_autocorrelation_time``)."""
    x = np.asarray(samples, dtype=np.float64)
    volume = x.shape[-1] * x.shape[-2]
    m = magnetization(x)  # [C, S]
    return magnetization_observables(m, volume)


def magnetization_observables(m: Any, volume: int) -> dict[str, float]:
    """``hopping_observables`` from the magnetisation series M [C, S] and V."""
    m = np.asarray(m, dtype=np.float64)
    abs_m, abs_m_err = mean_and_error(np.abs(m))
    mean, mean_err = mean_and_error(m)
    m2 = float(np.mean(m**2))
    m4 = float(np.mean(m**4))
    chi2 = volume * (m2 - mean**2)
    # χ₂ = V(⟨M²⟩ − ⟨M⟩²): gradient (V, −2V⟨M⟩) on the series (M², M)
    chi2_err = mean_and_error(volume * (m**2 - 2.0 * mean * m))[1]
    binder = 1.0 - m4 / (3.0 * m2**2)
    g4, g2 = -1.0 / (3.0 * m2**2), 2.0 * m4 / (3.0 * m2**3)
    binder_err = mean_and_error(g4 * m**4 + g2 * m**2)[1]
    return {
        "abs_M": abs_m,
        "abs_M_error": abs_m_err,
        "mean_M": mean,
        "mean_M_error": mean_err,
        "chi2": float(chi2),
        "chi2_error": float(chi2_err),
        "binder": float(binder),
        "binder_error": float(binder_err),
        "tau_abs_M": float(integrated_autocorrelation_time(np.abs(m))),
    }
