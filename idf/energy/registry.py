"""Energies by name, for the edges (CLI, app): the one place where a string
becomes an energy class. Inside the library pass the objects."""

from __future__ import annotations

from typing import Any

from idf.energy.base import Energy
from idf.energy.gff import GaussianFreeField
from idf.energy.lattice import LatticeEnergy
from idf.energy.phi4 import Phi4
from idf.energy.toys import Banana, Donut, Funnel, GaussianMixture, ToyDensity

TOYS: dict[str, type[ToyDensity]] = {
    "banana": Banana,
    "donut": Donut,
    "mixture": GaussianMixture,
    "funnel": Funnel,
}
LATTICE_ENERGIES: dict[str, type[Energy]] = {
    "gff": GaussianFreeField,
    "phi4": Phi4,
    "lattice": LatticeEnergy,
}
ENERGIES: dict[str, type[Energy]] = {**LATTICE_ENERGIES, **TOYS}


def make_energy(name: str, **params: Any) -> Energy:
    """Build an energy by name; unknown parameters for it are ignored.

    Raises ``ValueError`` naming the allowed energies on a bad name.
    """
    if name not in ENERGIES:
        raise ValueError(f"unknown energy {name!r}: choose one of {', '.join(ENERGIES)}")
    cls = ENERGIES[name]
    fields = cls.__dataclass_fields__  # type: ignore[attr-defined]
    return cls(**{k: float(v) for k, v in params.items() if k in fields and v is not None})

# Custom energies are not in ENERGIES: they need the text of φ, so build them with
# idf.energy.expression.parse_energy(source, params, kT) (a safe, whitelisted
# expression language; never eval) and catch its ExpressionError at the edge.
