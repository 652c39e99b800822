"""idf: physics-informed diffusion and Boltzmann sampling on 2-D lattice fields.

Subpackages: ``energy`` (φ and exact facts), ``diffusion`` (schedules, forward,
reverse, denoisers), ``samplers`` (Langevin, MALA, MH, HMC, NUTS reference),
``diagnostics``, ``viz``. Sign convention: log p(x) = −φ(x)/kT.
"""

__version__ = "0.1.0"
