"""Multi-scale generation with the exact GFF denoiser, checked against the
exact per-mode power of the whole pipeline (``exact_multiscale_power``).

Statistical tolerance: every |q| shell at every scale within 4.5 standard
errors (SE from the spread of the per-sample shell means, n = 256; with
≈ 80 shells per run the chance of a false alarm is below 0.1 %).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from idf.diagnostics import radial_average, radial_power_spectrum, shell_z_scores
from idf.diffusion import ExactGaussianDenoiser, Start, make_schedule, sample, step_table
from idf.diffusion.conditioning import band_mask
from idf.diffusion.multiscale import (
    MultiscaleOptions,
    TruncatedSpectrum,
    coarse_lattice_mismatch,
    exact_multiscale_power,
    mode_gains,
    multiscale_sample,
    start_step_for,
    upsample,
    upsample_power,
)
from idf.diffusion.schedules import timesteps_for
from idf.energy import GaussianFreeField

GFF = GaussianFreeField(mass2=0.3, kT=1.0)
SCHED = make_schedule("linear", 1000)
SCALES = (16, 32, 64)  # exact-power checks
FAST_SCALES = (8, 16, 32)  # sampling checks
Z_TOL = 4.5


@pytest.mark.parametrize("upsampling", ["spectral", "bilinear"])
def test_upsampling_reproduces_the_coarse_sites(upsampling):
    x = jax.random.normal(jax.random.key(0), (3, 8, 12))
    y = upsample(x, (16, 36), upsampling)
    np.testing.assert_allclose(np.asarray(y[:, ::2, ::3]), np.asarray(x), atol=1e-5)


def test_spectral_upsampling_multiplies_band_modes_by_r():
    x = jax.random.normal(jax.random.key(1), (2, 8, 8))
    y = upsample(x, (32, 32), "spectral")
    c_hat = np.fft.fft2(np.asarray(x, np.float64), norm="ortho")
    y_hat = np.fft.fft2(np.asarray(y, np.float64), norm="ortho")
    q = (np.fft.fftfreq(8) * 8).astype(int)
    inner = np.abs(q) < 4
    ii = np.ix_(q[inner] % 32, q[inner] % 32)
    np.testing.assert_allclose(y_hat[:, ii[0], ii[1]], 4.0 * c_hat[:, inner][:, :, inner], atol=1e-4)


@pytest.mark.parametrize("upsampling", ["spectral", "bilinear"])
def test_upsample_power_is_the_exact_mode_variance(upsampling):
    """Against the dense covariance of the upsampled field: U·C·Uᵀ in Fourier."""
    p = np.asarray(GFF.covariance_spectrum((6, 6)), np.float64)
    eye = jnp.eye(36, dtype=jnp.float32).reshape(36, 6, 6)
    u = np.asarray(upsample(eye, (12, 12), upsampling), np.float64).reshape(36, 144).T  # [144, 36]
    from idf.diagnostics import covariance_from_power

    cov = u @ covariance_from_power(p) @ u.T
    f = np.fft.fft2(np.eye(144).reshape(144, 12, 12), norm="ortho").reshape(144, 144)
    exact = np.real(np.einsum("ki,ij,kj->k", f, cov, f.conj())).reshape(12, 12)
    np.testing.assert_allclose(upsample_power(p, (12, 12), upsampling), exact, rtol=1e-5, atol=1e-8)


def test_truncated_target_scales_and_differs_from_the_coarse_gff():
    trunc = np.asarray(TruncatedSpectrum(GFF, (64, 64)).covariance_spectrum((16, 16)))
    fine = np.asarray(GFF.covariance_spectrum((64, 64)))
    assert trunc[0, 0] == pytest.approx(fine[0, 0] / 16.0, rel=1e-6)
    assert trunc[3, -5] == pytest.approx(fine[3, -5] / 16.0, rel=1e-6)
    # the same GFF on the coarse lattice is a different field (m² → r²·m² at small q)
    assert coarse_lattice_mismatch(0.3, 1.0, 64, 16) == pytest.approx(1 - 1 / 16, rel=1e-5)  # q = 0: 1/r²
    assert coarse_lattice_mismatch(0.3, 1.0, 64, 16, matched=True) > 0.2  # lattice dispersion


def test_mode_gains_are_the_sampled_loops_gain_and_noise():
    """The loop with the exact denoiser is linear, x₀ = G·x_T + noise, mode by mode. G: DDIM
    at η = 0 is deterministic, so started from one real Fourier mode it returns that mode
    times G_k (float32, rtol 1e-4). N: DDIM at η = 1 and DDPM started from x_T = 0 return
    pure noise of variance N_k; the empirical power of n = 4096 draws has relative sd
    √(2/ν) (ν = 2n on conjugate pairs, n on the 4 self-conjugate modes): within 5 of them."""
    from idf.diagnostics import empirical_power, self_conjugate_mask

    p = np.asarray(GFF.covariance_spectrum((8, 8)), np.float64)
    steps = timesteps_for(SCHED, 50, "trailing")
    ab, abp = step_table(SCHED, steps)
    kw = dict(inference_steps=50, spacing="trailing")
    g2, _ = mode_gains(p, ab, abp, solver="ddim", eta=0.0)
    grid = np.arange(8)
    for kx, ky in ((0, 0), (1, 0), (2, 3), (4, 4)):
        wave = np.cos(2 * np.pi * (kx * grid[:, None] + ky * grid[None, :]) / 8)[None]
        out = sample(jax.random.key(0), ExactGaussianDenoiser(GFF), SCHED, (8, 8), 1, solver="ddim", eta=0.0,
                     start=Start(x=jnp.asarray(wave, jnp.float32)), **kw).samples  # fmt: skip
        gain = np.fft.fft2(np.asarray(out, np.float64)[0])[kx, ky] / np.fft.fft2(wave[0])[kx, ky]
        assert gain.real == pytest.approx(np.sqrt(g2[kx, ky]), rel=1e-4) and abs(gain.imag) < 1e-5
    n = 4096
    nu = np.where(self_conjugate_mask((8, 8)), n, 2 * n)
    for solver, eta in (("ddim", 1.0), ("ddpm", 0.0)):
        _, noise = mode_gains(p, ab, abp, solver=solver, eta=eta)
        out = sample(jax.random.key(1), ExactGaussianDenoiser(GFF), SCHED, (8, 8), n, solver=solver, eta=eta,
                     start=Start(x=jnp.zeros((n, 8, 8))), **kw).samples  # fmt: skip
        z = (empirical_power(np.asarray(out)) / noise - 1.0) / np.sqrt(2.0 / nu)
        assert np.abs(z).max() < 5.0, (solver, np.abs(z).max())


def test_sdedit_start_step_truncates_the_table():
    s = start_step_for(SCHED, 0.5)
    assert s == 499
    steps = timesteps_for(SCHED, 50, "trailing", start_step=s)
    assert steps[0] == 499 and steps[-1] == 9 and len(steps) == 50
    assert timesteps_for(SCHED, 50, "leading", start_step=s)[0] <= 499
    with pytest.raises(ValueError):
        timesteps_for(SCHED, 50, "trailing", start_step=1000)


def _assert_spectra(result, exact):
    worst = 0.0
    for x, v in zip(result.samples, exact, strict=True):
        z = shell_z_scores(radial_power_spectrum(np.asarray(x)), radial_average(v))
        worst = max(worst, float(np.max(np.abs(z))))
    assert worst < Z_TOL, f"max |z| over shells = {worst:.2f}"


@pytest.mark.parametrize("refinement,upsampling", [("sdedit", "spectral"), ("cascade", "spectral")])
def test_multiscale_spectrum_matches_the_exact_pipeline(refinement, upsampling):
    options = MultiscaleOptions(refinement=refinement, upsampling=upsampling, t_star=0.3, inference_steps=50)
    res = multiscale_sample(jax.random.key(7), GFF, SCHED, FAST_SCALES, 256, options)
    assert [x.shape for x in res.samples] == [(256, s, s) for s in FAST_SCALES]
    _assert_spectra(res, exact_multiscale_power(GFF, SCHED, FAST_SCALES, options))


def test_cascade_keeps_the_coarse_modes_exactly():
    res = multiscale_sample(jax.random.key(3), GFF, SCHED, (8, 16), 4,
                            MultiscaleOptions(refinement="cascade", inference_steps=10))
    coarse = np.fft.fft2(np.asarray(res.samples[0], np.float64), norm="ortho")
    fine = np.fft.fft2(np.asarray(res.samples[1], np.float64), norm="ortho")
    mask = band_mask((8, 8), (16, 16))
    lifted = np.fft.fft2(np.asarray(upsample(res.samples[0], (16, 16)), np.float64), norm="ortho")
    np.testing.assert_allclose(fine[:, mask], lifted[:, mask], atol=2e-4)
    assert np.abs(lifted[:, 0, 0] - 2.0 * coarse[:, 0, 0]).max() < 1e-4


def test_cascade_is_exact_where_the_sampler_is():
    """With 1000 DDIM steps (discretisation bias ≤ 1.5 %) the exact pipeline
    power equals the fine GFF's to 2 % in every mode; SDEdit at t* = 0.5 does
    not at t* = 0.2 (ᾱ = 0.66: the modes the coarse scale lacks start too quiet).
    At t* = 0.5 on the linear schedule ᾱ = 0.079 and SDEdit is within 4 %."""
    kw = dict(solver="ddim", spacing="trailing")
    p = np.asarray(GFF.covariance_spectrum((64, 64)), np.float64)
    cascade = exact_multiscale_power(GFF, SCHED, SCALES, MultiscaleOptions("cascade", inference_steps=1000, **kw))[-1]
    sdedit = exact_multiscale_power(GFF, SCHED, SCALES,
                                    MultiscaleOptions("sdedit", t_star=0.2, inference_steps=200, **kw))[-1]
    assert np.max(np.abs(cascade / p - 1)) < 0.02
    assert np.max(np.abs(sdedit / p - 1)) > 0.2


@pytest.mark.slow
@pytest.mark.parametrize("refinement,upsampling", [("sdedit", "bilinear"), ("cascade", "bilinear")])
def test_multiscale_spectrum_bilinear_slow(refinement, upsampling):
    options = MultiscaleOptions(refinement=refinement, upsampling=upsampling, t_star=0.7, inference_steps=50)
    res = multiscale_sample(jax.random.key(8), GFF, SCHED, (32, 64, 128), 512, options)
    _assert_spectra(res, exact_multiscale_power(GFF, SCHED, (32, 64, 128), options))


def test_cli_writes_every_scale(tmp_path, capsys):
    from idf.cli import main
    from idf.io import load_npz

    out = tmp_path / "ms.npz"
    rc = main(["multiscale", "--scales", "8,16", "--method", "cascade", "--inference-steps", "10,10",
               "--n", "4", "--seed", "1", "--out", str(out)])
    assert rc == 0
    arrays, config = load_npz(out)
    assert arrays["scale_8"].shape == (4, 8, 8) and arrays["scale_16"].shape == (4, 16, 16)
    assert arrays["radial_exact_16"].shape == arrays["radial_power_16"].shape
    assert config["scales"] == [8, 16] and config["method"] == "cascade"


@pytest.mark.parametrize("argv", [
    ["--scales", "16,8"],
    ["--scales", "8,x"],
    ["--method", "bogus"],
    ["--t-star", "0"],
    ["--t-star", "0.01", "--inference-steps", "50"],
    ["--mass2", "-1"],
    ["--inference-steps", "50,x"],
    ["--scales", "8,16", "--inference-steps", "10,10,10"],
])
def test_cli_bad_arguments_exit_2_with_one_line(argv, tmp_path, capsys):
    from idf.cli import main

    with pytest.raises(SystemExit) as exc:
        rc = main(["multiscale", *argv, "--out", str(tmp_path / "x.npz")])
        raise SystemExit(rc)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_moving_t_star_or_the_energy_does_not_recompile():
    from idf import _tracing

    kw = dict(refinement="sdedit", inference_steps=10)
    multiscale_sample(jax.random.key(0), GFF, SCHED, (8, 16), 4, MultiscaleOptions(t_star=0.4, **kw))
    before = _tracing.traces("reverse_sample")
    multiscale_sample(jax.random.key(1), GaussianFreeField(mass2=0.7, kT=2.0), SCHED, (8, 16), 4,
                      MultiscaleOptions(t_star=0.6, **kw))
    assert _tracing.traces("reverse_sample") == before


def test_per_scale_step_counts():
    one = exact_multiscale_power(GFF, SCHED, SCALES, MultiscaleOptions("cascade", inference_steps=50))
    each = exact_multiscale_power(GFF, SCHED, SCALES, MultiscaleOptions("cascade", inference_steps=(50, 50, 50)))
    for a, b in zip(one, each, strict=True):
        np.testing.assert_array_equal(a, b)
    # more steps on the cheap coarse scales shrink the coarse modes' bias
    more = exact_multiscale_power(GFF, SCHED, SCALES, MultiscaleOptions("cascade", inference_steps=(400, 200, 50)))
    band = band_mask((16, 16), (64, 64))
    p = np.asarray(GFF.covariance_spectrum((64, 64)), np.float64)
    assert np.max(np.abs(more[-1] / p - 1)[band]) < 0.5 * np.max(np.abs(one[-1] / p - 1)[band])
    with pytest.raises(ValueError):
        exact_multiscale_power(GFF, SCHED, SCALES, MultiscaleOptions(inference_steps=(50, 50)))


def test_radial_spectrum_shells_and_exact_stderr():
    from idf.diagnostics import gaussian_shell_stderr

    flat = radial_average(np.full((16, 16), 2.0))
    assert flat.count.sum() == 256 and np.all(flat.power == 2.0) and flat.count[0] == 1
    # exact SE against the spread over 4000 exact GFF samples (SE of an SD ≈ 1–3 % here; allow 15 %)
    p = np.asarray(GFF.covariance_spectrum((16, 16)), np.float64)
    x = np.asarray(GFF.sample_exact(jax.random.key(5), (16, 16), 4000))
    measured = radial_power_spectrum(x)
    np.testing.assert_allclose(measured.stderr, gaussian_shell_stderr(p, 4000), rtol=0.15)
    z = shell_z_scores(measured, radial_average(p), gaussian_shell_stderr(p, 4000))
    assert np.max(np.abs(z)) < Z_TOL


@pytest.mark.parametrize("refinement", ["sdedit", "cascade"])
def test_batch_capacity_lowers_nothing_for_a_new_n(refinement):
    """With ``batch_capacity`` the whole pipeline runs padded, the steps between the loops
    (upsampling, SDEdit's noising) included: after one call, no n ≤ capacity lowers a new program
    (JAX's lowering events, as in tests/app/test_count_controls.py). The padding leaves the samples
    unchanged: n = 5's are the first 5 of n = 8's, which is the unpadded run."""
    from tests.lowerings import lowerings

    options = MultiscaleOptions(refinement, inference_steps=5)
    run = lambda n: multiscale_sample(jax.random.key(2), GFF, SCHED, (8, 16), n, options, batch_capacity=8)  # noqa: E731
    run(3)
    with lowerings() as lowered:
        five, eight = run(5), run(8)
    assert lowered == []
    assert [s.shape for s in five.samples] == [(5, 8, 8), (5, 16, 16)]
    for a, b in zip(five.samples + five.upsampled, eight.samples + eight.upsampled, strict=True):
        np.testing.assert_array_equal(a, np.asarray(b)[:5])
