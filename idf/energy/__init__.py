"""Lattice energies φ(x) and their exact facts. Convention: log p = −φ/kT."""

from idf.energy._lattice import (
    kinetic,
    laplacian_eigenvalues,
    neighbour_products,
    power_spectrum,
    shannon_entropy,
)
from idf.energy.base import Energy, ImproperEnergyError, QuadraticEnergy
from idf.energy.gff import GaussianFreeField
from idf.energy.lattice import LatticeEnergy
from idf.energy.phi4 import Phi4
from idf.energy.registry import ENERGIES, LATTICE_ENERGIES, make_energy
from idf.energy.toys import TOYS, Banana, Donut, Funnel, GaussianMixture

__all__ = [
    "ENERGIES",
    "LATTICE_ENERGIES",
    "make_energy",
    "TOYS",
    "Banana",
    "Donut",
    "Energy",
    "Funnel",
    "GaussianFreeField",
    "GaussianMixture",
    "ImproperEnergyError",
    "LatticeEnergy",
    "Phi4",
    "QuadraticEnergy",
    "kinetic",
    "laplacian_eigenvalues",
    "neighbour_products",
    "power_spectrum",
    "shannon_entropy",
]

# Custom energies typed as text: the safe expression language (appended by issue 9).
from idf.energy.expression import FUNCTIONS as EXPRESSION_FUNCTIONS  # noqa: E402
from idf.energy.expression import (  # noqa: E402
    CustomEnergy,
    ExpressionError,
    parse_energy,
    probe_unbounded,
)

__all__ += ["EXPRESSION_FUNCTIONS", "CustomEnergy", "ExpressionError", "parse_energy", "probe_unbounded"]
