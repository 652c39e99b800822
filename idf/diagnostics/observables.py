"""φ⁴ observables of lattice samples [C, S, H, W] (C chains, S draws), with
errors from the chains' ESS (``mcmc.mean_and_error``).

m = Σx/N (magnetisation), ⟨|m|⟩, χ₂ = N⟨m²⟩, Binder U₄ = 1 − ⟨m⁴⟩/(3⟨m²⟩²),
G(x) = (1/N)Σ_y ⟨x_y x_{y+x}⟩ (two-point function, periodic; ⟨m⟩ = 0 by Z₂),
P(m > 0) (= ½ exactly by symmetry), histogram of m, sign flips of m per chain
(how often a chain crosses between the two modes of the broken phase).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from idf.diagnostics.mcmc import mean_and_error


def magnetization(samples: Any) -> np.ndarray:
    """m = Σx/N over the last two axes: [..., H, W] -> [...]."""
    x = np.asarray(samples, dtype=np.float64)
    return x.mean(axis=(-2, -1))


def two_point(samples: Any) -> np.ndarray:
    """G(x) [H, W] = mean over draws and sites y of x_y·x_{y+x} (FFT, periodic)."""
    x = np.asarray(samples, dtype=np.float64)
    h, w = x.shape[-2:]
    flat = x.reshape(-1, h, w)
    f = np.fft.fft2(flat)
    return np.real(np.fft.ifft2(np.mean(np.abs(f) ** 2, axis=0))) / (h * w)


def sign_flips(m: Any) -> np.ndarray:
    """Number of sign changes of m along each chain: [C, S] -> [C] int."""
    s = np.sign(np.asarray(m))
    return np.sum(s[:, 1:] * s[:, :-1] < 0, axis=1)


def magnetization_histogram(m: Any, bins: int = 41) -> tuple[np.ndarray, np.ndarray]:
    """(density [bins], edges [bins + 1]) of all draws of m, symmetric about 0."""
    m = np.asarray(m, dtype=np.float64).ravel()
    edge = max(float(np.max(np.abs(m))), 1e-12)
    return np.histogram(m, bins=bins, range=(-edge, edge), density=True)


def _binder_error(m: np.ndarray, m2: float, m4: float) -> float:
    """Standard error of U₄ = 1 − ⟨m⁴⟩/(3⟨m²⟩²) by the delta method.

    U₄ is a function of two means that move together (m² and m⁴ are strongly
    correlated draw by draw), so propagating their errors as if independent
    overstates it (2.6× for a Gaussian m). The linearised series
    u_t = g₄·m_t⁴ + g₂·m_t², g = ∇U₄ at the means, carries both the covariance and
    the autocorrelation; its mean's error (from its own ESS) is U₄'s error.
    """
    g4 = -1.0 / (3.0 * m2**2)
    g2 = 2.0 * m4 / (3.0 * m2**3)
    return float(mean_and_error(g4 * m**4 + g2 * m**2)[1])


def phi4_observables(samples: Any) -> dict[str, Any]:
    """All φ⁴ observables of samples [C, S, H, W].

    Returns scalars with ``*_error`` (one standard error from the ESS):
    abs_m, chi2, binder (error by the delta method on the linearised series,
    so the strong correlation of m² and m⁴ counts), p_positive;
    per-chain arrays: p_positive_per_chain [C], sign_flips [C]; and G [H, W].
    """
    x = np.asarray(samples, dtype=np.float64)
    n_sites = x.shape[-1] * x.shape[-2]
    m = magnetization(x)  # [C, S]
    abs_m, abs_m_err = mean_and_error(np.abs(m))
    m2, m2_err = mean_and_error(m**2)
    m4, m4_err = mean_and_error(m**4)
    pos, pos_err = mean_and_error((m > 0).astype(np.float64))
    binder = 1.0 - m4 / (3.0 * m2**2)
    binder_err = _binder_error(m, m2, m4)
    return {
        "abs_m": abs_m,
        "abs_m_error": abs_m_err,
        "chi2": n_sites * m2,
        "chi2_error": n_sites * m2_err,
        "binder": float(binder),
        "binder_error": float(binder_err),
        "p_positive": pos,
        "p_positive_error": pos_err,
        "p_positive_per_chain": np.mean(m > 0, axis=1),
        "sign_flips": sign_flips(m),
        "G": two_point(x),
    }
