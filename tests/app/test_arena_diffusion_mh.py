"""The Arena's "Diffusion + MH" sampler (issue 17): offered only on the 8×8 φ⁴
broken phase its shipped checkpoint was trained on (the sidebar says so
elsewhere), and there it runs beside HMC: its acceptance, sign flips and ⟨|m|⟩
sit in the same table. HMC stays in one mode (no sign flips); the independence
proposals change mode (≈ 0.1 acceptance at 50 steps, 2 flips per chain on the
default seed, measured 2026-12-01)."""

import numpy as np
import pytest

from idf.app import arena
from tests.app.apptest import assert_clean, page

BROKEN = {"target": "phi4", "phase": "broken"}


def test_offered_only_in_the_broken_phase_at_l8():
    at = page("arena", target="phi4").run()  # symmetric preset: not the checkpoint's target
    assert_clean(at)
    assert "diffusion_mh" not in at.multiselect(key="arena.samplers").options
    assert any("offered only on 8×8 φ⁴ in the broken phase" in c.value for c in at.caption)
    at = page("arena", **BROKEN, L="10").run()
    assert "diffusion_mh" not in at.multiselect(key="arena.samplers").options
    assert arena.dmh_checkpoint_for("phi4", (("coupling", 3.0), ("kT", 1.0), ("mass2", -4.0)), 8) is not None


@pytest.mark.slow
def test_diffusion_mh_beside_hmc_in_the_broken_phase():
    at = page("arena", **BROKEN, samplers="hmc,diffusion_mh").run(timeout=600)
    assert_clean(at)
    t = at.dataframe[0].value
    assert list(t.index) == ["HMC", "Diffusion + MH"]
    for col in ("acceptance", "sign flips of m per chain", "⟨|m|⟩", "P(m > 0) (exact ½)"):
        assert np.all(np.isfinite(t[col].to_numpy(float))), col
    assert t.loc["HMC", "sign flips of m per chain"] == 0.0  # HMC freezes in one mode
    assert t.loc["Diffusion + MH", "sign flips of m per chain"] > 0.0  # the independence proposals do not
    assert 0.0 < t.loc["Diffusion + MH", "acceptance"] < 1.0
    assert 0.55 < t.loc["Diffusion + MH", "⟨|m|⟩"] < 0.8 and 0.55 < t.loc["HMC", "⟨|m|⟩"] < 0.8
    assert "Diffusion + MH acceptance" in {m.label for m in at.metric}
