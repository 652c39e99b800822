"""The Energy page's compute: a built-in energy's view, and a typed energy parsed, probed and sampled."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import streamlit as st

from idf._pytree import replace
from idf.app import data
from idf.app._common import ran
from idf.app.phi4 import phi4_configurations
from idf.app.timing import timed
from idf.energy import (
    TOYS,
    LatticeEnergy,
    Phi4,
    QuadraticEnergy,
    laplacian_eigenvalues,
    make_energy,
)


@st.cache_data(max_entries=64, show_spinner=False)
def energy_view(name: str, params: tuple[tuple[str, float], ...], size: int, seed: int) -> dict[str, Any]:
    """Everything the Energy page shows for one energy.

    Lattice energies: verdict (``improper`` reason or None), A(k) and λ_k for
    quadratic ones, one field (exact where possible, else labelled), its terms.
    Toys: exact samples (kT = 1 only); the figure evaluates φ and the score.
    """
    ran()
    energy = make_energy(name, **dict(params))
    shape = (size, size)
    key = jax.random.key(seed)
    out: dict[str, Any] = {"name": name, "shape": shape}
    with timed("energy view") as timing:
        if name in TOYS:
            out["samples"] = (np.asarray(energy.sample_exact(key, 500))
                              if float(energy.kT) == 1.0 else None)
        else:
            out["improper"] = energy.improper_reason(shape)
            if isinstance(energy, QuadraticEnergy):
                out["spectrum"] = np.asarray(energy.spectrum(shape), np.float64)
                out["lam"] = laplacian_eigenvalues(shape)
                out["mean_energy"] = energy.mean_energy(shape)
            field, source = _field_for(energy, key, shape, out["improper"])
            out["field"], out["field_source"] = field, source
            if field is not None:
                out["terms"] = {k: float(v) for k, v in energy.terms(jnp.asarray(field)).items()}
            if isinstance(energy, Phi4):
                c = np.linspace(-1.6, 1.6, 161)
                ones = jnp.ones(shape)
                out["site_c"] = c
                out["site_potential"] = np.array([float(energy.energy(v * ones)) for v in c]) / math.prod(shape)
    out["timing"] = timing
    return out


def _field_for(energy, key, shape, improper) -> tuple[np.ndarray | None, str]:
    if improper is not None:
        return (np.asarray(jax.random.normal(key, shape)),
                "white noise N(0, 1): there is no Boltzmann distribution to sample")
    if isinstance(energy, LatticeEnergy):
        quad = replace(energy, w_thermal=0.0)
        note = "" if float(energy.w_thermal) == 0.0 else (
            " of the quadratic part (w_th set to 0; the thermal term is bounded, 0 ≤ S ≤ ln N, "
            "and is evaluated on it below)")
        return np.asarray(quad.sample_exact(key, shape, 1)[0]), "exact sample" + note
    if isinstance(energy, QuadraticEnergy):
        return np.asarray(energy.sample_exact(key, shape, 1)[0]), "exact sample"
    if isinstance(energy, Phi4):
        if not data.samplers_available():
            return None, "φ⁴ needs a sampler (idf.samplers not available yet)"
        cfg = phi4_configurations(shape[0], float(energy.mass2), float(energy.coupling), float(energy.kT), 4,
                                  int(jax.random.randint(key, (), 0, 2**30)))
        return cfg["fields"][0], f"HMC sample (ε = 0.1, L = 10, 350 steps; acceptance {cfg['acceptance']:.2f})"
    return None, "no sampler for this energy"


def parse_params(text: str) -> dict[str, float]:
    """'m2=1, lam=0.5' -> {'m2': 1.0, 'lam': 0.5}; ValueError with the bad item."""
    out: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip() or not math.isfinite(number):
            raise ValueError(f"parameter {item!r}: write NAME=NUMBER, e.g. m2=1")
        out[name.strip()] = number
    return out


@st.cache_data(max_entries=32, show_spinner="Parsing and probing the energy …")
def custom_view(source: str, params_text: str, kT: float, size: int, seed: int) -> dict[str, Any]:
    """The Energy page for a typed energy: parse it (safe language, never
    eval'd), probe it for directions where φ is unbounded below, and when it
    passes draw one field with MALA (step size adapted during burn-in).

    Returns ``error`` (parse or parameter problem, else None), ``improper``
    (the probe's verdict, else None), ``field`` and its ``terms``, ``field_source``.
    """
    from idf.energy import ExpressionError, ImproperEnergyError, parse_energy
    from idf.samplers import MALA, nonfinite_report, run_chains

    ran()
    shape = (size, size)
    out: dict[str, Any] = {"error": None, "improper": None, "field": None, "terms": {}, "field_source": ""}
    with timed("custom energy") as timing:
        try:
            energy = parse_energy(source, parse_params(params_text), kT=kT)
        except (ExpressionError, ValueError) as err:
            out["error"] = str(err)
            out["timing"] = timing
            return out
        key_probe, key_init, key_run = jax.random.split(jax.random.key(seed), 3)
        try:
            energy.check_normalizable(shape, key=key_probe)
        except ImproperEnergyError as err:
            out["improper"] = str(err)
        if out["improper"] is None:
            x0 = 0.1 * jax.random.normal(key_init, (4, *shape))
            res = run_chains(MALA(step_size=0.05), energy, key_run, x0, 200, burn_in=400, thin=200, adapt=True,
                             target_accept=0.6, warn=False)
            report = nonfinite_report(res)
            ok = int(np.argmin(np.asarray(res.nonfinite)))
            field = np.asarray(res.positions[ok, -1])
            out["field_source"] = (f"MALA, 600 steps (step size adapted to {float(res.step_size):.3g}, "
                                   f"acceptance {float(np.mean(res.acceptance_prob[ok])):.2f})")
            out["report"] = report
        else:
            field = np.asarray(jax.random.normal(key_init, shape))
            out["field_source"] = "white noise N(0, 1): there is no Boltzmann distribution to sample"
        out["field"] = field
        out["terms"] = {k: float(v) for k, v in energy.terms(jnp.asarray(field)).items()}
    out["timing"] = timing
    return out
