"""Sampler arena page: renders by default, controls change the numbers, the
numbers equal ``idf sample``'s for the same settings and seed, ULA's bias is
visible on the GFF while MALA and HMC are close, improper targets are an
error, bad URLs warn, toys and φ⁴ render, and a typed φ runs (or is refused
with the parser's or the probe's message) with cached runs keyed by its text."""

import dataclasses
import re

import jax
import numpy as np
import pytest

from idf import _tracing
from idf.app import arena, downloads
from idf.cli import main as cli_main
from idf.io import load_npz
from tests.app.apptest import assert_clean, metrics, page


def table(at):
    return at.dataframe[0].value


def test_default_render_shows_three_samplers_and_the_table():
    at = page("arena").run()
    assert_clean(at)
    assert not at.error
    t = table(at)
    assert list(t.index) == ["ULA", "MALA", "HMC"]
    assert t.loc["ULA", "acceptance"] == 1.0
    assert 0.5 < t.loc["HMC", "acceptance"] <= 1.0
    assert t.loc["HMC", "n (draws)"] == 8 * 500
    m = metrics(at)
    assert "HMC acceptance" in m and m["rms ΔH"].endswith("kT")
    assert len(at.get("plotly_chart")) >= 6


def test_step_size_changes_acceptance_without_recompiling():
    at = page("arena").run()
    before = table(at).loc["HMC", "acceptance"]
    traces = _tracing.traces("run_chains")
    at.slider(key="arena.lattice.eps_hmc").set_value(0.3).run()
    assert_clean(at)
    after = table(at).loc["HMC", "acceptance"]
    assert after < before - 0.05
    assert _tracing.traces("run_chains") == traces  # ε is traced: a new value reuses the compiled loop
    assert at.query_params["eps_hmc"] == ["0.3"] or at.query_params["eps_hmc"] == "0.3"


def test_page_numbers_equal_the_cli(tmp_path):
    """Same settings, same seed: the page's HMC acceptance and ESS inputs are
    the CLI's to float precision (one seed→key convention)."""
    out = tmp_path / "s.npz"
    status = cli_main(
        [
            "sample",
            "--energy",
            "gff",
            "--size",
            "8",
            "--mass2",
            "1",
            "--kT",
            "1",
            "--sampler",
            "hmc",
            "--step-size",
            "0.1",
            "--leapfrog",
            "10",
            "--chains",
            "8",
            "--steps",
            "500",
            "--burn-in",
            "200",
            "--seed",
            "3",
            "--out",
            str(out),
        ]
    )
    assert status == 0
    cli = np.load(out, allow_pickle=True)
    at = page("arena", samplers="mala,hmc", seed="3").run()
    assert_clean(at)
    t = table(at)
    assert t.loc["HMC", "acceptance"] == pytest.approx(float(cli["acceptance"].mean()), abs=1e-6)
    assert t.loc["HMC", "acceptance rate"] == pytest.approx(float(cli["accepted"].mean()), abs=1e-9)
    assert metrics(at)["HMC acceptance"] == f"{cli['acceptance'].mean():.3f}"


def _kl_band(row, variance=None, power=None) -> tuple[float, float]:
    """(mean, sd) of the Fourier KL̂ a sampler's row should show: n draws counted as
    n/τ independent ones with τ the slowest observable's τ_int (the largest bias:
    conservative), scored against the exact law (``fourier_kl_moments``)."""
    from idf.diagnostics import fourier_kl_moments

    n_eff = float(row["n (draws)"]) / max(1.0, float(row["τ_int (max, steps)"]))
    return fourier_kl_moments((8, 8), n_eff, variance, power)


def test_gff_mala_hmc_close_ula_biased_at_large_step():
    """8×8 GFF, m² = 1, 8 chains × 500 steps (n = 4000, counted as n/τ_int): MALA and
    HMC sample the exact law, so their KL̂ must lie below the bias of n/τ draws plus 4 sd
    (``fourier_kl_moments``): HMC (τ ≈ 7) 0.029 + 4·0.007; MALA's slowest observable, m,
    has τ ≈ 60, so its band is loose (0.26 + 4·0.06). ULA at ε = 0.3 has exact stationary
    KL 6.58 nats (mode variances kT/[A(1 − εA/4kT)]); its KL̂ must lie within 4 sd of that
    plus the bias (6.64 ± 0.30 at its τ ≈ 16)."""
    from idf.diagnostics import ula_stationary_variance
    from idf.energy import GaussianFreeField

    at = page("arena", eps_langevin="0.3").run()
    assert_clean(at)
    t = table(at)
    kl = t["Fourier KL (nats)"]
    for name in ("HMC", "MALA"):
        mean, sd = _kl_band(t.loc[name])
        assert kl[name] < mean + 4 * sd, (name, kl[name], mean, sd)
    exact_ula = t.loc["ULA", "exact KL, n → ∞ (nats)"]
    assert exact_ula == pytest.approx(6.58, abs=0.01)
    gff = GaussianFreeField(1.0)
    power = np.asarray(gff.covariance_spectrum((8, 8)), np.float64)
    variance = ula_stationary_variance(np.asarray(gff.spectrum((8, 8)), np.float64), 1.0, 0.3)
    mean, sd = _kl_band(t.loc["ULA"], variance, power)
    assert abs(kl["ULA"] - mean) < 4 * sd, (kl["ULA"], mean, sd)


def test_improper_document_energy_is_an_error_not_a_crash():
    at = page("arena", target="lattice", m2="1").run()
    assert_clean(at)
    assert at.error and "improper" in at.error[0].value
    assert not at.dataframe


def test_bad_url_values_warn():
    at = page("arena", target="nope", samplers="hmc,bogus", eps_hmc="x", steps="1e9", adapt="maybe").run()
    assert_clean(at)
    text = " ".join(w.value for w in at.warning)
    for bad in ("target=nope", "samplers=hmc,bogus", "eps_hmc=x", "steps=1e9", "adapt=maybe"):
        assert bad in text
    assert list(table(at).index) == ["HMC"]


def test_toy_target_draws_trajectories_and_marginals():
    at = page("arena", target="banana", samplers="mh,hmc", steps="200", burn="100").run()
    assert_clean(at)
    t = table(at)
    assert list(t.index) == ["RW-MH", "HMC"]
    assert "ESS bulk (x₁)" in t.columns and "Fourier KL (nats)" not in t.columns
    assert 0.05 < t.loc["RW-MH", "acceptance"] < 0.95


def test_diffusion_as_a_sampler_on_the_gff():
    at = page("arena", samplers="hmc,diffusion", steps="200").run()
    assert_clean(at)
    t = table(at)
    # i.i.d. draws: ESS ≈ n = 1600; the loop's exact KL is 0.0174 at 100 cosine DDIM steps
    assert t.loc["Diffusion", "ESS bulk (m)"] > 0.7 * 1600
    exact = t.loc["Diffusion", "exact KL, n → ∞ (nats)"]
    assert exact == pytest.approx(0.0174, abs=2e-3)
    # i.i.d.: KL̂ averages exact + bias = 0.0280 with sd 0.0053 (fourier_kl_moments with the loop's
    # own mode variances: the sd is first order in ρ_k − 1, so ρ = 1 would halve it)
    from idf.diagnostics import fourier_kl_moments, gaussian_kl
    from idf.diffusion import make_schedule
    from idf.energy import GaussianFreeField
    from idf.samplers import iid_output_variance

    power = np.asarray(GaussianFreeField(1.0).covariance_spectrum((8, 8)), np.float64)
    variance = iid_output_variance(power, make_schedule("cosine", 1000), 100)
    assert gaussian_kl(variance, power) == pytest.approx(exact, rel=1e-6)  # the page's loop
    mean, sd = fourier_kl_moments((8, 8), t.loc["Diffusion", "n (draws)"], variance, power)
    assert abs(t.loc["Diffusion", "Fourier KL (nats)"] - mean) < 4 * sd, (mean, sd)


def test_unet_offered_only_where_a_checkpoint_matches():
    at = page("arena").run()
    options = at.multiselect(key="arena.samplers").options
    has_unet = arena.unet_checkpoint_for("gff", (("kT", 1.0), ("mass2", 1.0)), 8) is not None
    assert ("U-Net diffusion" in " ".join(options)) == has_unet
    at = page("arena", gff_m2="2.0").run()
    assert "U-Net diffusion" not in " ".join(at.multiselect(key="arena.samplers").options)


@pytest.mark.slow
def test_unet_diffusion_sampler():
    if arena.unet_checkpoint_for("gff", (("kT", 1.0), ("mass2", 1.0)), 8) is None:
        pytest.skip("no shipped U-Net for the 8×8 GFF")
    at = page("arena", samplers="hmc,unet", steps="200").run()
    assert_clean(at)
    t = table(at)
    assert t.loc["U-Net diffusion", "n (draws)"] == 8 * arena.UNET_DRAWS
    assert t.loc["U-Net diffusion", "Fourier KL (nats)"] < 0.5


@pytest.mark.slow
def test_phi4_broken_phase_hmc_stays_in_one_mode_and_the_unet_visits_both():
    """Issue 5: in the broken phase HMC stays in its mode (P(m > 0) ∈ {0, 1} per
    chain, no sign flips) while the shipped φ⁴ U-Net draws both signs."""
    if arena.unet_checkpoint_for("phi4", (("coupling", 3.0), ("kT", 1.0), ("mass2", -4.0)), 8) is None:
        pytest.skip("no shipped U-Net for broken-phase φ⁴")
    at = page("arena", target="phi4", phase="broken", samplers="hmc,unet", steps="300").run()
    assert_clean(at)
    t = table(at)
    assert t.loc["HMC", "sign flips of m per chain"] == 0
    # 8 chains × 64 i.i.d. draws: P(m > 0) = ½ within 4 standard errors (SE = ½/√512)
    assert abs(t.loc["U-Net diffusion", "P(m > 0) (exact ½)"] - 0.5) < 4 * 0.5 / np.sqrt(8 * arena.UNET_DRAWS)


@pytest.mark.slow
def test_phi4_broken_phase_and_the_eps_sweep():
    at = page("arena", target="phi4", phase="broken", samplers="mala,hmc", steps="300").run()
    assert_clean(at)
    t = table(at)
    assert set(t["P(m > 0) (exact ½)"]) <= set(np.linspace(0, 1, 8 * 300 + 1))
    assert "sign flips of m per chain" in t.columns
    at.button(key="arena.sweep").click().run()
    assert_clean(at)
    assert any("slope" in (c.proto.spec or "") for c in at.get("plotly_chart"))


def test_figures_export_to_png_and_gif():
    """Every arena figure redraws with matplotlib (the PNG downloads) and the
    side-by-side animation encodes as a GIF."""
    from idf.app import arena
    from idf.viz import arena as arena_viz
    from idf.viz import figure_png, frames_gif

    rng = np.random.default_rng(0)
    ref = arena.toy_reference("banana", (("a", 1.5), ("b", 0.5)), grid=40)
    drawing = arena_viz.ToyDrawing(
        trajectory=rng.normal(size=(20, 2)),
        proposals=rng.normal(size=(20, 2)),
        accepted=rng.random(20) < 0.5,
        paths=rng.normal(size=(3, 11, 2)),
    )
    frames = {"HMC": rng.normal(size=(5, 4, 4)), "MALA": rng.normal(size=(5, 4, 4))}
    figs = [
        arena_viz.toy_trajectories(ref.grid, {"HMC": drawing}),
        arena_viz.toy_marginals(ref.marginals, {"HMC": rng.normal(size=(100, 2))}),
        arena_viz.animated_fields(frames, [f"step {i}" for i in range(5)]),
        arena_viz.m_histograms(
            {"HMC": rng.normal(size=(2, 50))}, arena_viz.MReference("samples", "ref", samples=rng.normal(size=99))
        ),
        arena_viz.metric_bars(
            {"acceptance (1)": {"HMC": 0.9, "ULA": float("nan")}, "τ (steps)": {"HMC": 3.0}}, log=("τ (steps)",)
        ),
        arena_viz.delta_h_figure(np.array([[0.1, np.nan], [0.2, -0.1]]), np.array([1, -1])),
        arena_viz.eps_scaling_figure(np.array([0.05, 0.1, 0.2]), np.array([0.01, 0.04, 0.16]), 2.0),
        arena_viz.kl_steps_figure(
            {"HMC": arena_viz.KLCurve(np.array([1, 10]), np.array([8, 80]), np.array([1.0, 0.1]), np.array([4, 0.4]))},
            {"HMC": 0.3},
        ),
    ]
    for fig in figs:
        assert figure_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"
    assert frames_gif(arena.gif_frames(frames))[:6] == b"GIF89a"


def test_divergences_are_warnings_not_crashes():
    """ULA at ε = 0.6 on the GFF (εA_max = 5.4 > 4kT: unstable) and HMC at ε = 0.6 with
    L = 40 blow up; the page reports each diverged chain and still renders."""
    at = page("arena", samplers="langevin,hmc", eps_langevin="0.6", eps_hmc="0.6", L_hmc="40").run()
    assert_clean(at)
    text = " ".join(w.value for w in at.warning)
    assert "ULA" in text and "diverged" in text
    t = table(at)
    assert t.loc["ULA", "frozen chains (non-finite)"] > 0
    assert t.loc["ULA", "exact KL, n → ∞ (nats)"] == np.inf


def test_adaptation_reports_the_final_step_size():
    at = page("arena", samplers="langevin,hmc", adapt="1").run()
    assert_clean(at)
    t = table(at)
    assert t.loc["ULA", "ε (final)"] == pytest.approx(0.05)  # ULA has no acceptance test: never adapted
    assert t.loc["HMC", "ε (final)"] != pytest.approx(0.1)
    assert 0.6 < t.loc["HMC", "acceptance"] < 0.95  # dual averaging aims at 0.8


# -- a typed φ (custom target) ------------------------------------------------------------
CUSTOM_EXPR = "0.5*sum(grad(x)**2) + 0.5*m2*sum(x**2) + lam*sum(x**4)"


def test_custom_energy_from_the_url_runs_four_samplers_and_equipartition_holds():
    """A GFF (m² = 2) plus 0.1·Σx⁴ on 8×8, typed in the URL; 8 chains × 300 steps.
    No exact reference, so no KL; MALA and HMC are exact samplers, so their
    ⟨x·∇φ⟩ equals N·kT = 64 within 4 of their stated standard errors (ULA is
    biased at finite ε and RW-MH mixes slowly: shown, not asserted)."""
    at = page(
        "arena",
        target="custom",
        expr=CUSTOM_EXPR,
        params="m2=2, lam=0.1",
        samplers="langevin,mala,mh,hmc",
        steps="300",
        burn="100",
    ).run()
    assert_clean(at)
    assert not at.error
    t = table(at)
    assert list(t.index) == ["ULA", "MALA", "RW-MH", "HMC"]
    assert "Fourier KL (nats)" not in t.columns and "⟨x·∇φ⟩/(N·kT)" in t.columns
    assert any("no exact reference" in i.value for i in at.info)
    m = metrics(at)
    for name in ("MALA", "HMC"):
        value, error = map(float, re.fullmatch(r"(\S+) ± (\S+)", m[f"{name} ⟨x·∇φ⟩ (exact N·kT = 64)"]).groups())
        assert abs(value - 64) < 4 * error, (name, value, error)
    assert "rms ΔH" in m
    code = at.code[-1].value
    assert f"parse_energy({CUSTOM_EXPR!r}, {{'lam': 0.1, 'm2': 2.0}}, kT=1.0)" in code
    assert at.query_params["expr"] in (CUSTOM_EXPR, [CUSTOM_EXPR])


@pytest.mark.parametrize(
    "expr,why",
    [('__import__("os")', "function '__import__' is not allowed"), ("x.__class__", "attribute access is not allowed")],
)
def test_a_forbidden_expression_is_an_error_with_the_parsers_message(expr, why):
    at = page("arena", target="custom", expr=expr).run()
    assert_clean(at)
    assert at.error and "not accepted" in at.error[0].value
    assert why in at.code[0].value
    assert not at.dataframe
    assert at.text_input(key="arena.custom.expr").value == expr  # kept in its box, to be fixed


@pytest.mark.parametrize("expr,fix", [("-sum(x**2)", "m2 > 2"), ("sum(x**3)", "lam*sum(x**4)")])
def test_an_unbounded_expression_is_an_error_with_the_probes_fix(expr, fix):
    at = page("arena", target="custom", expr=expr, params="").run()
    assert_clean(at)
    assert at.error and "No Boltzmann distribution" in at.error[0].value
    message = at.code[0].value
    assert "unbounded below" in message and fix in message
    assert not at.dataframe


def test_a_rejected_expression_fixed_in_its_box_runs_and_reports_divergence():
    """A bad expression keeps the other controls; typing a stiff φ = Σx⁸ then runs
    ULA at ε = 0.6, which blows up: reported per chain (step, cause), no crash."""
    at = page(
        "arena",
        target="custom",
        expr="x.__class__",
        params="",
        samplers="langevin",
        eps_langevin="0.6",
        chains="2",
        steps="100",
        burn="0",
    ).run()
    assert at.error
    at.text_input(key="arena.custom.expr").set_value("sum(x**8)").run()
    assert_clean(at)
    assert not at.error
    text = " ".join(w.value for w in at.warning)
    assert "ULA" in text and "all 2 chains are frozen" in text and "step size (0.6)" in text
    assert table(at).loc["ULA", "frozen chains (non-finite)"] == 2


def test_custom_runs_are_cached_by_text_and_numbers():
    """The cache key is (expression text, kT, sorted parameters): the same φ
    with its parameters in another order is the same key. Under jit the text
    is static (part of the tree structure) and the numbers are leaves: a new
    parameter value reuses the compiled loop, a new text is another program."""
    expr = "0.5*sum(grad(x)**2) + m2*sum(x**4)"
    key = arena.custom_params(expr, {"m2": 1.0, "unused": 3.0}, 1.0)
    assert key == arena.custom_params(expr, {"unused": 3, "m2": 1}, 1)
    new_value = arena.custom_params(expr, {"m2": 2.0, "unused": 3.0}, 1.0)
    new_text = arena.custom_params(expr.replace("x**4", "x**6"), {"m2": 1.0, "unused": 3.0}, 1.0)
    assert len({hash(key), hash(new_value), hash(new_text)}) == 3
    structure = lambda k: jax.tree_util.tree_structure(arena.make_target("custom", k))
    assert structure(key) == structure(new_value) != structure(new_text)

    spec = arena.RunSpec("custom", key, 4, "mh", step_size=0.3, num_leapfrog=0, chains=2, steps=50, burn_in=0)
    first = arena.run_sampler(spec)
    traces = _tracing.traces("run_chains")
    second = arena.run_sampler(dataclasses.replace(spec, params=new_value))
    assert _tracing.traces("run_chains") == traces
    assert not np.array_equal(first.result.energy, second.result.energy)


def test_custom_config_carries_the_expression_into_the_npz(tmp_path):
    key = arena.custom_params(CUSTOM_EXPR, {"m2": 2.0, "lam": 0.1}, 0.5)
    path = tmp_path / "arena_custom.npz"
    path.write_bytes(
        downloads.npz_bytes(
            {"hmc/positions": np.zeros((2, 3, 4, 4))}, {"page": "arena", "target": "custom", **arena.custom_config(key)}
        )
    )
    _, config = load_npz(path)
    assert config["expr"] == CUSTOM_EXPR and config["params"] == {"lam": 0.1, "m2": 2.0} and config["kT"] == 0.5


def test_a_typed_energy_that_is_infinite_is_refused_by_the_probe():
    at = page("arena", target="custom", expr="sum(x**2)/0", L="8").run()
    assert_clean(at)
    assert any("No Boltzmann distribution" in e.value for e in at.error)
    assert any("+inf already" in c.value for c in at.code)
