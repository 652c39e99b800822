"""The Reverse page's live run (?live=1) advances the page's own loop: the φ(x_t) batch means
its frames carry equal the cached run's at the same steps, the target's exact ⟨φ⟩ rides along,
and the loop stops at S."""

import json

import numpy as np

from idf.app.reverse import ReverseConfig, reverse_run
from tests.app.apptest import assert_clean, page


def player(at) -> dict:
    (el,) = at.get("bidi_component")
    return json.loads(el.proto.json)


def test_live_frames_are_the_pages_loop_and_it_stops_at_S():
    at = page("reverse", live="1", L="8", steps="40", n="16", speed="20").run()
    assert_clean(at)
    frames = player(at)["frames"]
    assert [f["step"] for f in frames] == [20, 40]  # speed 20: two updates reach S = 40, then none
    run = reverse_run(ReverseConfig(size=8, inference_steps=40, batch=16))
    steps = np.concatenate([f["steps"] for f in frames])
    lines = np.concatenate([np.asarray(f["traces"]["φ(x_t), batch mean"]) for f in frames], axis=1)
    np.testing.assert_array_equal(steps, np.arange(1, 41))
    np.testing.assert_allclose(lines[0], run.energy.mean[steps], rtol=1e-4)  # the page's loop, step for step
    np.testing.assert_allclose(lines[1], run.mean_energy)  # the exact ⟨φ⟩ = N·kT/2
    ratio = np.concatenate([np.asarray(f["traces"]["Σx̂₀²/Σx_t², batch mean"])[0] for f in frames])
    np.testing.assert_allclose(ratio, run.norm_ratio.mean, rtol=1e-4, atol=0.5e-4)  # the wire's 4 decimals
    again = player(at.run())["frames"]  # nothing new: only the last feed's frames again (a skipped render loses none)
    assert again == frames and any("has run all 40 steps" in c.value for c in at.caption)
    assert player(at.run())["frames"] == []  # and once only
