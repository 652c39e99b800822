"""Chains as an ArviZ ``InferenceData`` (netCDF), so a physicist continues in
the tools they use (``az.summary``, ``az.plot_trace``, ``az.bfmi``).

ArviZ is optional at runtime: ``ArvizMissing`` (an ImportError) says how to
install it. Group and variable names follow ArviZ's conventions:

    posterior      the draws, [chain, draw, *shape] per variable (a lattice field is one
                   variable ``x`` with dims x_dim_0, x_dim_1; a 2-D toy point too)
    sample_stats   per transition [chain, draw]: ``acceptance_rate`` (min(1, ratio)),
                   ``accepted``, ``diverging`` (ΔH > 1000 kT), ``energy_error`` (ΔH, kT),
                   ``phi`` (the potential φ after the step: *not* ArviZ's ``energy``,
                   which is the Hamiltonian and is written only when it was reconstructed
                   (``idf.diagnostics.transition_energy``), so ``az.bfmi`` reads the right one)
    attrs          the run's configuration (JSON-able values; others as their repr)
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

# ChainResult field -> ArviZ sample_stats name (see the module docstring)
SAMPLE_STATS = {
    "acceptance_prob": "acceptance_rate",
    "accepted": "accepted",
    "divergent": "diverging",
    "delta_H": "energy_error",
    "energy": "phi",
}


class ArvizMissing(ImportError):
    """ArviZ is not installed: the InferenceData export needs it."""


def _arviz() -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # the 1.0-refactor notice on import
            import arviz
    except ImportError as err:
        raise ArvizMissing(
            "the ArviZ InferenceData export needs arviz: pip install arviz "
            "(or pip install 'idf-explorer[test]'); the .npz download works without it"
        ) from err
    return arviz


def _attrs(config: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in config.items():
        try:
            json.dumps(value)
            out[str(key)] = value if isinstance(value, (int, float, str)) else json.dumps(value)
        except TypeError:
            out[str(key)] = repr(value)
    return out


def to_inference_data(
    posterior: Mapping[str, Any],
    sample_stats: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
) -> Any:
    """An ``arviz.InferenceData`` from posterior {name: [C, S, ...]} and sample_stats
    {name: [C, T]} (names as given), with ``config`` as attributes of both groups."""
    az = _arviz()
    attrs = _attrs(config or {})
    post = {k: np.asarray(v) for k, v in posterior.items()}
    stats = {k: np.asarray(v) for k, v in (sample_stats or {}).items()}
    idata = az.from_dict(posterior=post, sample_stats=stats or None)
    for group in idata.groups():
        idata[group].attrs.update(attrs)
    return idata


def chain_inference_data(
    result: Any,
    config: Mapping[str, Any] | None = None,
    *,
    name: str = "x",
    hamiltonian: Any = None,
) -> Any:
    """``to_inference_data`` for a ``ChainResult``-like object (fields named as
    ``idf.samplers.ChainResult``): positions [C, S, *shape] become ``name``; the
    per-step fields become ArviZ's sample_stats; ``hamiltonian`` [C, T], when given,
    becomes ``energy``. Non-HMC samplers' all-NaN ΔH is left out."""
    stats = {}
    for field, arviz_name in SAMPLE_STATS.items():
        value = getattr(result, field, None)
        if value is None:
            continue
        value = np.asarray(value)
        if field == "delta_H" and not np.isfinite(value).any():
            continue
        stats[arviz_name] = value
    if hamiltonian is not None:
        stats["energy"] = np.asarray(hamiltonian)
    return to_inference_data({name: np.asarray(result.positions)}, stats, config)


def netcdf_bytes(idata: Any) -> bytes:
    """The InferenceData as a netCDF file in memory (ArviZ writes to a path, so via a temp file)."""
    fd, path = tempfile.mkstemp(suffix=".nc")
    os.close(fd)
    try:
        idata.to_netcdf(path)
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(path)
