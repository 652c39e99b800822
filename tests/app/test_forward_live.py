"""The Forward page's live run (?live=1) advances the page's own chain: the φ(x_t) batch means
its frames carry equal the cached run's at the same steps, the exact ⟨φ(x_t)⟩ rides along on
GFF data, and Restart starts again from t = 0."""

import json

import numpy as np

from idf.app.forward import ForwardConfig, forward_run
from tests.app.apptest import assert_clean, page


def player(at) -> dict:
    (el,) = at.get("bidi_component")
    return json.loads(el.proto.json)


def test_live_frames_are_the_pages_chain_and_restart_starts_over():
    at = page("forward", live="1", L="8", T="200", batch="8").run()
    assert_clean(at)
    data = player(at)
    frames = data["frames"]
    assert frames and [f["update"] for f in frames] == list(range(1, len(frames) + 1))
    steps = np.concatenate([f["steps"] for f in frames])
    np.testing.assert_array_equal(steps, np.arange(1, 5 * len(frames) + 1))  # speed 5, every step once
    run = forward_run(ForwardConfig(size=8, num_steps=200, batch=8))
    lines = np.concatenate([np.asarray(f["traces"]["φ(x_t), batch mean"]) for f in frames], axis=1)
    np.testing.assert_allclose(lines[0], run.energy.mean[steps], rtol=1e-4)  # measured: the page's chain
    np.testing.assert_allclose(lines[1], run.exact.mean_energy[steps], rtol=1e-4)  # exact ⟨φ(x_t)⟩
    assert data["meta"]["kind"] == "field" and len(frames[-1]["field"]) == 64
    at.button(key="_forward_live.restart").click().run()
    again = player(at)["frames"]
    assert again[0]["steps"][0] == 1 and again[0]["update"] == 1  # from x₀ again
