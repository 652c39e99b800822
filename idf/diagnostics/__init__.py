"""Diagnostics: exact Gaussian facts, distances to exact targets, MCMC statistics."""

from idf.diagnostics.distances import (
    covariance_from_power,
    empirical_power,
    fourier_kl,
    fourier_kl_bias,
    fourier_kl_moments,
    frechet_distance,
    moment_kl,
    moment_kl_bias,
    prefix_power,
    self_conjugate_mask,
    self_conjugate_modes,
)
from idf.diagnostics.gaussian import (
    forward_entropy,
    forward_kl_to_prior,
    forward_mean_energy,
    forward_variances,
    gaussian_kl,
    reverse_mode_gains,
    reverse_output_variance,
)
from idf.diagnostics.mcmc import (
    acceptance_rate,
    delta_h_stats,
    effective_sample_size,
    efficiency,
    equipartition,
    ess_bulk,
    integrated_autocorrelation_time,
    mean_and_error,
    split_rhat,
)
from idf.diagnostics.observables import (
    magnetization,
    magnetization_histogram,
    phi4_observables,
    sign_flips,
    two_point,
)
from idf.energy import shannon_entropy

__all__ = [
    "covariance_from_power",
    "empirical_power",
    "forward_entropy",
    "forward_kl_to_prior",
    "forward_mean_energy",
    "forward_variances",
    "fourier_kl",
    "fourier_kl_bias",
    "fourier_kl_moments",
    "frechet_distance",
    "gaussian_kl",
    "moment_kl",
    "moment_kl_bias",
    "prefix_power",
    "self_conjugate_mask",
    "self_conjugate_modes",
    "reverse_mode_gains",
    "reverse_output_variance",
    "shannon_entropy",
    "acceptance_rate",
    "delta_h_stats",
    "effective_sample_size",
    "efficiency",
    "equipartition",
    "ess_bulk",
    "integrated_autocorrelation_time",
    "mean_and_error",
    "split_rhat",
    "magnetization",
    "magnetization_histogram",
    "phi4_observables",
    "sign_flips",
    "two_point",
]

from idf.diagnostics.spectra import (  # noqa: E402
    RadialSpectrum,
    gaussian_shell_stderr,
    radial_average,
    radial_power_spectrum,
    shell_index,
    shell_z_scores,
)

__all__ += [
    "RadialSpectrum",
    "gaussian_shell_stderr",
    "radial_average",
    "radial_power_spectrum",
    "shell_index",
    "shell_z_scores",
]

from idf.diagnostics.gaussian import ula_stationary_kl, ula_stationary_variance  # noqa: E402
from idf.diagnostics.marginals import (  # noqa: E402
    EnergyGrid,
    ToyMarginals,
    energy_grid,
    grid_marginals,
    toy_marginals,
)
from idf.diagnostics.mcmc import autocorrelation, autocovariance  # noqa: E402

__all__ += [
    "EnergyGrid",
    "ToyMarginals",
    "autocorrelation",
    "autocovariance",
    "energy_grid",
    "grid_marginals",
    "toy_marginals",
    "ula_stationary_kl",
    "ula_stationary_variance",
]

from idf.diagnostics.convergence import (  # noqa: E402
    ess_mean,
    ess_tail,
    mcse_mean,
    mcse_sd,
    rhat,
    rhat_bulk,
    rhat_folded,
    stuck_chains,
    tau_int,
)
from idf.diagnostics.hamiltonian import (  # noqa: E402
    e_bfmi,
    gaussian_leapfrog_delta_h,
    leapfrog_hamiltonian,
    transition_energy,
)

__all__ += [
    "e_bfmi",
    "ess_mean",
    "ess_tail",
    "gaussian_leapfrog_delta_h",
    "leapfrog_hamiltonian",
    "mcse_mean",
    "mcse_sd",
    "rhat",
    "rhat_bulk",
    "rhat_folded",
    "stuck_chains",
    "tau_int",
    "transition_energy",
]

from idf.diagnostics.hopping import hopping_observables, magnetization_observables  # noqa: E402

__all__ += ["hopping_observables", "magnetization_observables"]
