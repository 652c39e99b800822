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
