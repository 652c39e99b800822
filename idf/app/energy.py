"""The Energy page's compute: a built-in energy's view, and a typed energy parsed, probed and sampled.

``EnergyPageConfig`` holds the page's controls with their defaults (the slider
tables ``PARAMS`` are the page's too); ``energy_view`` and ``custom_view``
return typed results (``ToyView``, ``LatticeView``, ``CustomView``) whose
fields are numbers, arrays and the library's own messages: the page writes
every caption.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import streamlit as st

from idf.app._common import ran
from idf.app.phi4 import phi4_configurations
from idf.app.targets import CUSTOM_EXPR, CUSTOM_PARAMS, CUSTOM_PARAMS_TEXT, TOY_PARAMS, Row
from idf.app.timing import Timing, timed
from idf.energy import (
    TOYS,
    Energy,
    ExpressionError,
    ImproperEnergyError,
    LatticeEnergy,
    Phi4,
    QuadraticEnergy,
    gaussian_from_spectrum,
    laplacian_eigenvalues,
    make_energy,
    parse_energy,
)
from idf.samplers import MALA, nonfinite_report, run_chains

CUSTOM = "custom"
# (URL name, library field, label, low, high, default, step) per energy, as the page's sliders.
PARAMS: dict[str, list[Row]] = {
    "lattice": [("wk", "w_kinetic", "w_k (kinetic weight)", 0.0, 3.0, 1.0, 0.05),
                ("wp", "w_potential", "w_p (interaction weight)", -2.0, 3.0, 1.0, 0.05),
                ("wth", "w_thermal", "w_th (thermal weight)", 0.0, 2.0, 0.1, 0.05),
                ("m2", "mass2", "m² (our mass term)", -2.0, 12.0, 0.0, 0.1),
                ("kT", "kT", "kT (temperature, energy units)", 0.1, 5.0, 1.0, 0.05)],
    "gff": [("gff_m2", "mass2", "m² (mass)", -1.0, 5.0, 1.0, 0.05),
            ("gff_kT", "kT", "kT (temperature)", 0.1, 5.0, 1.0, 0.05)],
    "phi4": [("phi4_m2", "mass2", "m² (negative: double well)", -6.0, 2.0, -4.0, 0.1),
             ("phi4_lam", "coupling", "λ (quartic coupling)", 0.0, 12.0, 8.0, 0.1),
             ("phi4_kT", "kT", "kT (temperature)", 0.2, 3.0, 1.0, 0.05)],
    **TOY_PARAMS,
    CUSTOM: CUSTOM_PARAMS,
}
TOY_SAMPLES = 500  # exact toy samples drawn for the figure
MALA_BURN_IN, MALA_STEPS, MALA_CHAINS = 400, 200, 4  # a typed φ's field: the last state of the first healthy chain
SITE_C = np.linspace(-1.6, 1.6, 161)  # constant-field values c for φ⁴'s per-site potential


def default_params(name: str) -> tuple[tuple[str, float], ...]:
    """The page's default slider values of energy ``name``: sorted (library field, value) pairs."""
    return tuple(sorted((field, default) for _, field, _, _, _, default, _ in PARAMS[name]))


@dataclasses.dataclass(frozen=True)
class EnergyPageConfig:
    """The page's controls and their defaults (URL names in brackets).

    ``energy`` [energy]: a key of ``PARAMS`` (a built-in energy or "custom");
    ``params``: its slider values as sorted (library field, value) pairs, URL
    names in ``PARAMS``; ``size`` [L]: the lattice side (toys: 16, no slider);
    ``seed`` [seed]. For "custom": ``source`` [expr] and ``params_text``
    [params] are the typed φ and its parameters, and kT is in ``params``.
    """

    energy: str = "lattice"
    params: tuple[tuple[str, float], ...] = default_params("lattice")
    size: int = 16
    seed: int = 0
    source: str = CUSTOM_EXPR
    params_text: str = CUSTOM_PARAMS_TEXT

    @property
    def is_toy(self) -> bool:
        return self.energy in TOYS

    @property
    def is_custom(self) -> bool:
        return self.energy == CUSTOM

    @property
    def shape(self) -> tuple[int, int]:
        return (self.size, self.size)

    def build(self) -> Energy:
        """The built-in energy with these parameters (not for "custom": see ``custom_view``)."""
        return make_energy(self.energy, **dict(self.params))


DEFAULTS = EnergyPageConfig()


class FieldSource(enum.StrEnum):
    """How a shown field was drawn."""

    EXACT = "exact"  # an exact sample of a free field
    EXACT_QUADRATIC = "exact_quadratic"  # an exact sample of the quadratic part (w_th set to 0)
    HMC = "hmc"  # the last state of phi4_configurations' HMC run
    MALA = "mala"  # the last state of a MALA chain, step size adapted during burn-in
    WHITE_NOISE = "white_noise"  # N(0, 1) sites: there is no Boltzmann distribution to sample


class DrawnField(NamedTuple):
    """One field [H, W], how it was drawn, and its energy terms (the energy's
    own term names, "total" included). ``acceptance`` (mean, HMC or MALA) and
    ``step_size`` (MALA's adapted ε) are NaN where there was no chain."""

    values: np.ndarray
    source: FieldSource
    terms: dict[str, float]
    acceptance: float = math.nan
    step_size: float = math.nan


class ToyView(NamedTuple):
    """A toy: ``samples`` [TOY_SAMPLES, 2] exact at kT = 1, None at any other kT."""

    samples: np.ndarray | None
    timing: Timing


class LatticeView(NamedTuple):
    """A lattice energy on ``shape`` = (H, W).

    improper:      why there is no Boltzmann distribution (the energy's sentence), or None
    field:         a field drawn from it (white noise when improper)
    spectrum:      A(k) [H, W] float64 for a quadratic energy, else None; ``lam`` λ_k [H, W] beside it
    a_min:         min_k A(k) (quadratic only)
    mean_energy:   exact ⟨φ⟩ = N·kT/2 (quadratic only)
    site_potential: φ⁴ only: φ(c·1)/N [len(SITE_C)] at the constant fields c = SITE_C
    """

    shape: tuple[int, int]
    improper: str | None
    field: DrawnField
    spectrum: np.ndarray | None
    lam: np.ndarray | None
    a_min: float | None
    mean_energy: float | None
    site_potential: np.ndarray | None
    timing: Timing


class CustomView(NamedTuple):
    """A typed φ. ``error``: the parser's (or the parameter reader's) message, and
    then nothing else; ``improper``: the probe's finding, or None; ``field``:
    MALA's field when the probe passed, else white noise; ``report``: one line
    per MALA chain that went non-finite."""

    error: str | None
    improper: str | None
    field: DrawnField | None
    report: tuple[str, ...]
    timing: Timing


def energy_view(config: EnergyPageConfig) -> ToyView | LatticeView:
    """Everything the Energy page shows for a built-in energy (cached per energy, parameters, size, seed)."""
    return _energy_view(config.energy, config.params, config.size, config.seed)


def compute_view(name: str, params: tuple[tuple[str, float], ...], size: int, seed: int) -> ToyView | LatticeView:
    """``energy_view``'s work, uncached (the warm-up compiles each lattice side L of SIZE_RANGE through it)."""
    ran()
    energy = make_energy(name, **dict(params))
    shape = (size, size)
    key = jax.random.key(seed)
    with timed("energy view") as timing:
        if name in TOYS:
            samples = np.asarray(energy.sample_exact(key, TOY_SAMPLES)) if float(energy.kT) == 1.0 else None
            return ToyView(samples, timing)
        spectrum = lam = a_min = mean_energy = site = None
        if isinstance(energy, QuadraticEnergy):
            spectrum, field, improper = _quadratic_view(energy, key, shape)
            lam, a_min, mean_energy = laplacian_eigenvalues(shape), float(spectrum.min()), energy.mean_energy(shape)
        else:
            improper = energy.improper_reason(shape)
            field = _field_for(energy, key, shape, improper)
        if isinstance(energy, Phi4):
            ones = jnp.ones(shape)
            site = np.array([float(energy.energy(c * ones)) for c in SITE_C]) / math.prod(shape)
    return LatticeView(shape, improper, field, spectrum, lam, a_min, mean_energy, site, timing)


_energy_view = st.cache_data(max_entries=64, show_spinner=False)(compute_view)
SIZE_RANGE = (4, 64)  # the page's lattice-side slider


def _terms(energy: Energy, field: np.ndarray) -> dict[str, float]:
    return {k: float(v) for k, v in _terms_program(energy, jnp.asarray(field)).items()}


# One compiled program per energy type and lattice side, not one per array operation run eagerly
# (each holds ~3 MB on the CPU with jaxlib 0.10, and the warm-up compiles every side of SIZE_RANGE).
_terms_program = jax.jit(lambda energy, x: energy.terms(x))


@functools.partial(jax.jit, static_argnums=2)
def _quadratic_program(energy: QuadraticEnergy, key: jax.Array, shape: tuple[int, int]) -> tuple:
    """A free field's view in one program (the spectrum, its minimum, the white-noise and the
    exact field and their terms) instead of five per lattice side: the warm-up's 61 sides of the
    Energy page held some 300 programs. The exact draw is ``sample_exact``'s (same key and
    variance kT/A(k); w_th does not enter A), and useless when A_min ≤ 0 (then noise is shown)."""
    spectrum = energy.spectrum(shape)
    noise = jax.random.normal(key, shape)
    exact = gaussian_from_spectrum(key, energy.kT / spectrum, 1)[0]
    return spectrum, jnp.min(spectrum), noise, exact, energy.terms(noise), energy.terms(exact)


def _quadratic_view(energy: QuadraticEnergy, key: jax.Array, shape: tuple[int, int]) -> tuple:
    """(spectrum as float64, the field shown, the improper reason or None) of a free field."""
    spectrum, a_min, noise, exact, t_noise, t_exact = jax.device_get(_quadratic_program(energy, key, shape))
    improper = energy.improper_given(float(a_min))
    if improper is not None:
        field, source, terms = noise, FieldSource.WHITE_NOISE, t_noise
    else:
        thermal = isinstance(energy, LatticeEnergy) and float(energy.w_thermal) != 0.0
        field, source, terms = exact, FieldSource.EXACT_QUADRATIC if thermal else FieldSource.EXACT, t_exact
    drawn = DrawnField(np.asarray(field), source, {k: float(v) for k, v in terms.items()})
    return np.asarray(spectrum, np.float64), drawn, improper


def _field_for(energy: Energy, key: jax.Array, shape: tuple[int, int], improper: str | None) -> DrawnField:
    if improper is not None:
        field = np.asarray(jax.random.normal(key, shape))
        return DrawnField(field, FieldSource.WHITE_NOISE, _terms(energy, field))
    if isinstance(energy, Phi4):
        run = phi4_configurations(shape[0], float(energy.mass2), float(energy.coupling), float(energy.kT), 4,
                                  int(jax.random.randint(key, (), 0, 2**30)))
        return DrawnField(run.fields[0], FieldSource.HMC, _terms(energy, run.fields[0]), run.acceptance)
    raise TypeError(f"no field for {type(energy).__name__}")


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


def custom_view(config: EnergyPageConfig) -> CustomView:
    """The Energy page for a typed energy: parse it (safe language, never
    eval'd), probe it for directions where φ is unbounded below, and when it
    passes draw one field with MALA (step size adapted during burn-in).
    Cached per text, parameters, kT, size and seed."""
    return _custom_view(config.source, config.params_text, float(dict(config.params)["kT"]), config.size,
                        config.seed)


@st.cache_data(max_entries=32, show_spinner="Parsing and probing the energy …")
def _custom_view(source: str, params_text: str, kT: float, size: int, seed: int) -> CustomView:
    ran()
    shape = (size, size)
    with timed("custom energy") as timing:
        try:
            energy = parse_energy(source, parse_params(params_text), kT=kT)
        except (ExpressionError, ValueError) as err:
            return CustomView(str(err), None, None, (), timing)
        key_probe, key_init, key_run = jax.random.split(jax.random.key(seed), 3)
        try:
            energy.check_normalizable(shape, key=key_probe)
        except ImproperEnergyError as err:
            field = np.asarray(jax.random.normal(key_init, shape))
            drawn = DrawnField(field, FieldSource.WHITE_NOISE, _terms(energy, field))
            return CustomView(None, str(err), drawn, (), timing)
        x0 = 0.1 * jax.random.normal(key_init, (MALA_CHAINS, *shape))
        res = run_chains(MALA(step_size=0.05), energy, key_run, x0, MALA_STEPS, burn_in=MALA_BURN_IN,
                         thin=MALA_STEPS, adapt=True, target_accept=0.6, warn=False)
        ok = int(np.argmin(np.asarray(res.nonfinite)))
        field = np.asarray(res.positions[ok, -1])
        drawn = DrawnField(field, FieldSource.MALA, _terms(energy, field),
                           float(np.mean(res.acceptance_prob[ok])), float(res.step_size))
    return CustomView(None, None, drawn, tuple(nonfinite_report(res)), timing)
