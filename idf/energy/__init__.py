"""Lattice energies φ(x) and their exact facts. Convention: log p = −φ/kT.

``Energy`` is the interface (``energy``, ``logdensity``, ``score``, ``terms``,
``improper_reason`` and one ``check_normalizable(shape=None, *, key=None)``);
``QuadraticEnergy`` adds the exact Gaussian facts of a free field. Custom
energies typed as text use the safe expression language of
``idf.energy.expression`` (``parse_energy``; never ``eval``).
"""

from idf.energy._lattice import (
    gaussian_from_spectrum,
    kinetic,
    laplacian_eigenvalues,
    neighbour_products,
    power_spectrum,
    shannon_entropy,
)
from idf.energy.base import Energy, ImproperEnergyError, QuadraticEnergy
from idf.energy.expression import FUNCTIONS as EXPRESSION_FUNCTIONS
from idf.energy.expression import CustomEnergy, ExpressionError, parse_energy, probe_unbounded
from idf.energy.gff import GaussianFreeField
from idf.energy.hopping import HoppingPhi4, hopping_parameters, to_albergo_field, to_hopping_field
from idf.energy.lattice import LatticeEnergy
from idf.energy.phi4 import Phi4, albergo_parameters
from idf.energy.registry import ENERGIES, LATTICE_ENERGIES, TOYS, make_energy
from idf.energy.toys import Banana, Donut, Funnel, GaussianMixture, ToyDensity

__all__ = [
    "ENERGIES",
    "EXPRESSION_FUNCTIONS",
    "LATTICE_ENERGIES",
    "make_energy",
    "TOYS",
    "Banana",
    "CustomEnergy",
    "Donut",
    "Energy",
    "ExpressionError",
    "Funnel",
    "GaussianFreeField",
    "GaussianMixture",
    "HoppingPhi4",
    "ImproperEnergyError",
    "LatticeEnergy",
    "Phi4",
    "QuadraticEnergy",
    "albergo_parameters",
    "hopping_parameters",
    "gaussian_from_spectrum",
    "kinetic",
    "laplacian_eigenvalues",
    "neighbour_products",
    "parse_energy",
    "power_spectrum",
    "probe_unbounded",
    "shannon_entropy",
    "to_albergo_field",
    "to_hopping_field",
    "ToyDensity",
]
