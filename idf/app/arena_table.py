"""The Sampler arena's captions, written once: the diagnostics table (one row
per sampler, from ``Diagnostics``), the efficiency bars and the arrays of the
.npz download. Nothing else reads a caption back."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from idf.app.arena_config import SAMPLER_LABELS, Diagnostics, SamplerRun

OBSERVABLES = ("φ", "m", "x₁", "x₂")
# (caption, Diagnostics field) in table order; the ESS columns come from ``Diagnostics.ess``.
FIELDS = (
    ("acceptance", "acceptance"),
    ("acceptance rate", "acceptance_rate"),
    ("ε (final)", "step_size"),
    *((f"ESS bulk ({o})", None) for o in OBSERVABLES),
    ("ESS/s", "ess_per_second"),
    ("ESS/grad", "ess_per_grad"),
    ("R̂ (max)", "rhat"),
    ("τ_int (max, steps)", "tau_int"),
    ("rms ΔH (kT)", "rms_dh"),
    ("⟨e^{−ΔH}⟩", "exp_dh"),
    ("± ⟨e^{−ΔH}⟩", "exp_dh_error"),
    ("⟨x·∇φ⟩/(N·kT)", "virial_ratio"),
    ("equipartition z", "equipartition_z"),
    ("Fourier KL (nats)", "fourier_kl"),
    ("n (draws)", "n_draws"),
    ("KL bias, i.i.d. (nats)", "kl_bias"),
    ("exact KL, n → ∞ (nats)", "exact_kl"),
    ("P(m > 0) (exact ½)", "p_m_positive"),
    ("sign flips of m per chain", "sign_flips"),
    ("⟨|m|⟩", "abs_m"),
    ("frozen chains (non-finite)", "frozen_chains"),
    ("chains left out (frozen or stuck)", "dropped_chains"),
    ("divergent transitions (ΔH > 1000 kT)", "divergent_transitions"),
    ("warm seconds", "warm_seconds"),
)
COLUMNS = [caption for caption, _ in FIELDS]
LOG_BARS = ("ESS per second (1/s)", "ESS per gradient eval. (1)", "τ_int (steps)")


def table_row(row: Diagnostics) -> dict[str, float]:
    """One sampler's table row: caption -> value, leaving out what does not apply (None)."""
    ess = dict(row.ess)
    out = {}
    for caption, field in FIELDS:
        value = ess.get(caption[len("ESS bulk (") : -1]) if field is None else getattr(row, field)
        if value is not None:
            out[caption] = value
    return out


def results_frame(runs: Mapping[str, SamplerRun]):
    """The diagnostics table: one row per sampler (pandas DataFrame), columns in
    ``COLUMNS`` order, a column only where some sampler has a value."""
    import pandas as pd

    rows = {SAMPLER_LABELS[name]: table_row(run.row) for name, run in runs.items()}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    return frame[[c for c in COLUMNS if c in frame.columns]]


def efficiency_bars(runs: Mapping[str, SamplerRun]) -> dict[str, dict[str, float]]:
    """The bars of the efficiency chart: metric caption (with units) -> sampler label -> value."""
    labels = {n: SAMPLER_LABELS[n] for n in runs}
    return {
        "acceptance (probability)": {labels[n]: r.row.acceptance for n, r in runs.items()},
        LOG_BARS[0]: {labels[n]: r.row.ess_per_second for n, r in runs.items()},
        LOG_BARS[1]: {labels[n]: r.row.ess_per_grad for n, r in runs.items()},
        LOG_BARS[2]: {labels[n]: r.row.tau_int for n, r in runs.items()},
    }


def chain_arrays(runs: Mapping[str, SamplerRun]) -> dict[str, np.ndarray]:
    """Arrays for the .npz download, prefixed by sampler name."""
    out = {}
    for name, r in runs.items():
        for key in ("positions", "energy", "accepted", "acceptance_prob", "delta_H", "divergent", "nonfinite"):
            out[f"{name}/{key}"] = np.asarray(getattr(r.result, key))
        out[f"{name}/step_size"] = np.asarray(r.result.step_size)
    return out
