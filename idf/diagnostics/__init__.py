"""Diagnostics: exact Gaussian facts, distances to exact targets, MCMC statistics."""

from idf.diagnostics.distances import (
    covariance_from_power,
    empirical_power,
    fourier_kl,
    frechet_distance,
    moment_kl,
)
from idf.diagnostics.gaussian import (
    forward_entropy,
    forward_kl_to_prior,
    forward_variances,
    gaussian_kl,
    reverse_output_variance,
)
from idf.energy import shannon_entropy

__all__ = [
    "covariance_from_power",
    "empirical_power",
    "forward_entropy",
    "forward_kl_to_prior",
    "forward_variances",
    "fourier_kl",
    "frechet_distance",
    "gaussian_kl",
    "moment_kl",
    "reverse_output_variance",
    "shannon_entropy",
]
