"""The ArviZ InferenceData export: names, shapes, a netCDF round trip, the message without ArviZ."""

import builtins
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from idf.io import inference_data as idio

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    az = pytest.importorskip("arviz")


@pytest.fixture(scope="module")
def run():
    from idf.energy import GaussianFreeField
    from idf.samplers import HMC, run_chains

    return run_chains(HMC(step_size=0.3, num_leapfrog=5), GaussianFreeField(mass2=1.0), jax.random.PRNGKey(1),
                      jnp.zeros((4, 4, 4)), 60, burn_in=20)


def test_chain_result_becomes_posterior_and_sample_stats(run, tmp_path):
    idata = idio.chain_inference_data(run, {"sampler": "hmc", "step_size": 0.3, "shape": (4, 4)})
    assert idata.posterior["x"].shape == (4, 60, 4, 4)
    stats = idata.sample_stats
    assert {"acceptance_rate", "accepted", "diverging", "energy_error", "phi"} <= set(stats.data_vars)
    assert "energy" not in stats  # φ is not the Hamiltonian: az.bfmi must not read it
    np.testing.assert_allclose(stats["energy_error"].values, np.asarray(run.delta_H))
    data = idio.netcdf_bytes(idata)
    path = tmp_path / "chains.nc"
    path.write_bytes(data)
    back = az.from_netcdf(path)
    np.testing.assert_allclose(back.posterior["x"].values, np.asarray(run.positions))
    assert back.posterior.attrs["sampler"] == "hmc" and back.posterior.attrs["shape"] == "[4, 4]"
    summary = az.summary(back, var_names=["x"], kind="diagnostics")
    assert len(summary) == 16


def test_a_hamiltonian_becomes_arviz_energy_for_bfmi(run):
    h = np.random.default_rng(0).normal(size=(4, 60))
    idata = idio.chain_inference_data(run, hamiltonian=h)
    np.testing.assert_allclose(az.bfmi(idata), az.bfmi(h))


def test_missing_arviz_names_the_fix(monkeypatch):
    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name == "arviz":
            raise ImportError("no arviz")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(idio.ArvizMissing, match="pip install arviz"):
        idio.to_inference_data({"x": np.zeros((2, 5))})
