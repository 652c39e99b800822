"""The Phase-transition page: a tiny scan (URL parameters) renders its charts,
metrics and downloads; bad URLs warn; a preset's HMC reference is shown beside
its published numbers ("not quoted" where there are none) and flagged unverified
where no source settles its parameters."""

import numpy as np

from idf.app.phase import PhaseConfig, run_scan, scan_arrays
from tests.app.apptest import assert_clean, metrics, page

TINY = {"sizes": "4,8", "nk": "2", "chains": "8", "steps": "40", "burn": "20", "kmin": "0.2", "kmax": "0.32"}


def test_tiny_scan_renders_charts_crossing_and_exponent():
    at = page("phase", **TINY).run()
    assert_clean(at)
    charts = at.get("plotly_chart")
    assert len(charts) >= 5, len(charts)  # ⟨|M|⟩, χ₂, U₄, τ(L), τ(κ)
    m = metrics(at)
    assert "U₄ crossing κ_c" in m and "dynamic exponent z" in m
    assert m["thermalised points"].endswith("/4")
    assert any("Literature presets" in s.value for s in at.subheader)
    assert any("idf sample --energy phi4 --kappa 0.27" in c.value for c in at.code)


def test_bad_query_parameters_warn_and_keep_running():
    at = page("phase", **{**TINY, "chains": "banana", "kmax": "0.1"}).run()
    assert_clean(at)
    assert len(at.warning) >= 2


def test_preset_reference_with_unverified_flag():
    at = page("phase", **{**TINY, "preset": "albergo2019-E4"}).run()
    assert any("unverified" in w.value for w in at.warning)
    at.button[0].click().run()
    assert_clean(at)
    table = at.table[0].value
    assert "ours (HMC)" in table.columns and set(table["published"]) == {"not quoted"}


def test_settled_preset_shows_its_published_number_and_no_flag():
    at = page("phase", **{**TINY, "preset": "tutorial-L8"}).run()
    assert not any("unverified" in w.value for w in at.warning)
    assert any("0.75" in c.value and "Satriawidy/FlowLattice" in c.value for c in at.caption)
    assert not any("unverified" in w.value for w in page("phase", **{**TINY, "preset": "albergo2019-E1"}).run().warning)


def test_run_scan_streams_every_point_and_the_arrays_download():
    cfg = PhaseConfig(kappa_min=0.2, kappa_max=0.32, num_kappas=2, sizes="4,8", chains=8, steps=40, burn_in=20)
    seen = []
    result = run_scan(cfg, lambda done, total, s: seen.append((done, total, int(np.isfinite(s.abs_M).sum()))))
    assert seen == [(1, 4, 1), (2, 4, 2), (3, 4, 3), (4, 4, 4)]
    arrays = scan_arrays(result)
    assert arrays["abs_M"].shape == (2, 2) and np.all(arrays["abs_M_error"] > 0)
    # deep in the broken phase ⟨|M|⟩ is larger than in the symmetric phase, at both sizes
    assert np.all(arrays["abs_M"][:, 1] > arrays["abs_M"][:, 0])
