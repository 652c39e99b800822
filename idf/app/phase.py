"""The Phase-transition page's compute: the hopping-form κ scan at fixed λ for
several L with HMC (``idf.samplers.scan``), one cached point at a time so the
page can draw each as it finishes; the U₄ crossing, the dynamic exponent z of
τ_int(|M|) ∝ L^z there, and the literature presets' HMC references."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import NamedTuple

import jax
import numpy as np
import streamlit as st

from idf.app._common import ran
from idf.energy.presets import PRESETS, get_preset
from idf.samplers.scan import (
    PhaseScan,
    Reference,
    binder_crossing,
    dynamic_exponent,
    hmc_reference,
    phase_scan,
    tau_resolved,
)

SIZE_CHOICES = ("8,16,32", "8,16", "16,32", "4,8")
FIELDS = ("abs_M", "abs_M_error", "chi2", "chi2_error", "binder", "binder_error", "tau", "tau_error",
          "acceptance", "thermalised", "kept")


@dataclasses.dataclass(frozen=True)
class PhaseConfig:
    """The page's controls. κ runs over ``num_kappas`` evenly spaced values in
    [kappa_min, kappa_max] at quartic coupling λ (hopping form), for each L in
    ``sizes`` ("8,16,32"); each point is ``chains`` HMC chains (``leapfrog`` steps
    of ε = ``step_size``, adapted to acceptance 0.8 during ``burn_in``) kept for
    ``steps`` steps. The defaults render in about 15 s on a 2-core CPU once JAX's
    compile cache is warm (three compilations, one per L, on a cold one)."""

    kappa_min: float = 0.25
    kappa_max: float = 0.29
    num_kappas: int = 5
    coupling: float = 0.022
    sizes: str = "8,16,32"
    chains: int = 8
    steps: int = 200
    burn_in: int = 100
    step_size: float = 0.2
    leapfrog: int = 10
    seed: int = 0

    @property
    def kappas(self) -> np.ndarray:
        """[num_kappas] the scanned κ."""
        return np.linspace(self.kappa_min, self.kappa_max, self.num_kappas)

    @property
    def lattice_sizes(self) -> tuple[int, ...]:
        return tuple(int(s) for s in self.sizes.split(","))


class ScanResult(NamedTuple):
    """The assembled scan (``PhaseScan``: arrays [nL, nκ]), the U₄ crossing
    (κ_c, error) of the smallest and largest L, and z ± error of τ_int(|M|) ∝ L^z
    at the scanned κ nearest κ_c (NaN error when τ has no error bars: fewer than
    8 chains); z_resolved: every τ in that fit was measured on a run ≥ 50 τ long
    (``tau_resolved``), else z is a lower bound."""

    scan: PhaseScan
    kappa_c: float
    kappa_c_error: float
    kappa_z: float
    z: float
    z_error: float
    z_resolved: bool


@st.cache_data(max_entries=512, show_spinner=False)
def scan_point(config: PhaseConfig, size: int, kappa: float) -> dict[str, float]:
    """One (L, κ) point of the scan: the ``PhaseScan`` fields (scalars) of
    ``phase_scan`` at that point, its key folded from (seed, L, κ)."""
    ran()
    c = config
    key = jax.random.fold_in(jax.random.fold_in(jax.random.key(c.seed), size), int(round(kappa * 1e6)))
    s = phase_scan([kappa], key, coupling=c.coupling, sizes=(size,), chains=c.chains, steps=c.steps,
                   burn_in=c.burn_in, step_size=c.step_size, leapfrog=c.leapfrog)
    return {f: float(getattr(s, f)[0, 0]) for f in FIELDS}


def run_scan(config: PhaseConfig, on_point: Callable[[int, int, PhaseScan], None] | None = None) -> ScanResult:
    """Every point, in order of L then κ (cached one by one). ``on_point(done,
    total, partial_scan)`` is called after each, with NaN where not yet run."""
    sizes, kappas = config.lattice_sizes, config.kappas
    arrays = {f: np.full((len(sizes), len(kappas)), np.nan) for f in FIELDS}
    total, done = len(sizes) * len(kappas), 0
    for i, size in enumerate(sizes):
        for j, kappa in enumerate(kappas):
            point = scan_point(config, size, float(kappa))
            for f in FIELDS:
                arrays[f][i, j] = point[f]
            done += 1
            if on_point is not None:
                on_point(done, total, _assemble(config, arrays))
    return analyse(_assemble(config, arrays))


def _assemble(config: PhaseConfig, arrays: dict[str, np.ndarray]) -> PhaseScan:
    fields = {f: arrays[f].copy() for f in FIELDS}
    fields["thermalised"] = np.nan_to_num(fields["thermalised"]).astype(bool)
    return PhaseScan(np.asarray(config.lattice_sizes), config.kappas, float(config.coupling), **fields)


def analyse(scan: PhaseScan) -> ScanResult:
    """The U₄ crossing of the smallest and largest L and z at the κ nearest it
    (at the scan's middle κ when U₄ does not cross)."""
    kc, kc_err = binder_crossing(scan, 0, len(scan.sizes) - 1) if len(scan.sizes) > 1 else (np.nan, np.nan)
    at = kc if np.isfinite(kc) else float(scan.kappas[len(scan.kappas) // 2])
    j = int(np.argmin(np.abs(scan.kappas - at)))
    z, z_err = (np.nan, np.nan)
    if len(scan.sizes) > 1 and np.all(np.isfinite(scan.tau[:, j]) & (scan.tau[:, j] > 0)):
        z, z_err = dynamic_exponent(scan, at)
        if not np.all(np.isfinite(scan.tau_error[:, j]) & (scan.tau_error[:, j] > 0)):
            z_err = np.nan  # the fit's error needs τ's error bars
    resolved = bool(np.all(tau_resolved(scan.tau[:, j], scan.kept[:, j]))) if scan.kept is not None else False
    return ScanResult(scan, float(kc), float(kc_err), float(scan.kappas[j]), float(z), float(z_err), resolved)


def scan_arrays(result: ScanResult) -> dict[str, np.ndarray]:
    """The scan as named arrays for the .npz download ([nL, nκ] unless noted)."""
    s = result.scan
    out = {f: np.asarray(getattr(s, f)) for f in FIELDS}
    out.update(sizes=np.asarray(s.sizes), kappas=np.asarray(s.kappas),
               kappa_c=np.asarray([result.kappa_c, result.kappa_c_error]),
               z=np.asarray([result.z, result.z_error, result.kappa_z]))
    return out


@dataclasses.dataclass(frozen=True)
class ReferenceConfig:
    """An HMC reference for one preset (``hmc_reference``): chains × steps kept
    after ``burn_in`` adapting steps, then a windowed thermalisation check."""

    preset: str = "waz-L16-k0.27"
    chains: int = 16
    steps: int = 400
    burn_in: int = 200
    seed: int = 0


@st.cache_data(max_entries=64, show_spinner=False)
def preset_reference(config: ReferenceConfig) -> Reference:
    """Our own HMC reference of ``config.preset`` in its own convention."""
    ran()
    p = get_preset(config.preset)
    eps, n = p.hmc
    return hmc_reference(p.energy(), p.size, jax.random.key(config.seed), chains=config.chains,
                         steps=config.steps, burn_in=config.burn_in, step_size=eps, leapfrog=n)


def is_unverified(name: str) -> bool:
    """True for presets whose parameters no source we read settles (``Preset.unsettled``)."""
    return bool(get_preset(name).unsettled)


PRESET_NAMES = tuple(PRESETS)
