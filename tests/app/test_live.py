"""The live run under AppTest: Step advances the chains, the verdict is drawn from the
numbers, an absurd ε turns it into a warning, Reset starts over, ?live=1 plays."""

import json
import re

from streamlit.testing.v1 import AppTest

TIMEOUT = 120


def script():
    import streamlit as st

    from idf.app import live
    from idf.app.live_run import LiveConfig

    settings = live.sidebar("live")
    eps = st.sidebar.number_input("ε", value=0.25, key="eps")
    sampler = st.sidebar.selectbox("sampler", ["hmc", "mala", "mh"], key="sampler")
    live.panel(LiveConfig(target="banana", sampler=sampler, step_size=eps, chains=4), settings)


def app(**query):
    at = AppTest.from_function(script, default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def step_count(at) -> int:
    """The step the page shows: the server-drawn status line (paused), or the last frame
    handed to the browser's player (playing)."""
    line = next((c.value for c in at.caption if c.value.startswith("live: step")), None)
    if line is None:
        return player_data(at)["frames"][-1]["step"]
    return int(re.search(r"step (\d+)", line).group(1))


def player_data(at) -> dict:
    (player,) = at.get("bidi_component")
    return json.loads(player.proto.json)


def verdict(at) -> str:
    boxes = [b.value for b in [*at.success, *at.warning, *at.info] if "Verdict" in b.value]
    assert len(boxes) == 1, boxes
    return boxes[0]


def press(at, label):
    next(b for b in at.button if b.label.endswith(label)).click()
    return at.run()


def test_step_advances_and_the_verdict_follows_the_numbers():
    at = app()
    assert not at.exception
    assert step_count(at) == 0 and "Not enough draws to judge" in verdict(at)
    for _ in range(40):  # 40 × 5 steps: past warm-up, enough draws
        at = press(at, "Step")
    assert step_count(at) == 200 and not at.exception
    good = verdict(at)
    assert "R-hat" in good and {m.label for m in at.metric} == {"R-hat (worst)", "ESS (smallest)", "acceptance"}
    at.sidebar.number_input(key="eps").set_value(40.0)
    at = at.run()
    assert step_count(at) == 0  # a new ε is a new run
    for _ in range(25):
        at = press(at, "Step")
    bad = verdict(at)
    assert "never moved" in bad or "step size too large" in bad, bad
    assert at.warning and bad != good


def test_reset_and_url_play():
    at = app()
    at = press(at, "Step")
    assert step_count(at) == 5
    at = press(at, "Reset")
    assert step_count(at) == 0
    playing = app(live="1")
    labels = [b.label for b in playing.button]
    assert "⏸ Pause" in labels
    # the first run computes the updates the browser's player needs until the next feed
    frames = player_data(playing)["frames"]
    assert [f["update"] for f in frames] == list(range(1, len(frames) + 1)) and len(frames) > 1
    assert [f["step"] for f in frames] == [5 * f["update"] for f in frames] and step_count(playing) == 5 * len(frames)
    assert any(f"has computed {5 * len(frames)} steps" in c.value for c in playing.caption)
    assert playing.query_params.get("live") in ("1", ["1"])
    paused = press(playing, "Pause")
    assert "▶ Play" in [b.label for b in paused.button]


def test_expert_table_and_hmc_internals():
    at = app(internals="1")
    for _ in range(25):
        at = press(at, "Step")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["quantity"]) == ["x₁", "x₂", "φ"]
    assert {"R̂ bulk", "R̂ folded", "ESS bulk", "ESS tail", "MCSE (mean)", "τ_int (steps)"} <= set(table.columns)
    assert any("E-BFMI per chain" in c.value for c in at.caption)


def test_arena_page_plays_with_live_in_the_url():
    """The Arena's toy with ?live=1: the live panel runs HMC, keeps ?live=1 in the URL through
    the Arena's prune, and offers the chains as ArviZ InferenceData beside the .npz."""
    from idf.app.navigation import page_file

    at = AppTest.from_file(str(page_file("arena")), default_timeout=TIMEOUT)
    at.query_params.update(live="1", target="banana", samplers="mala,hmc")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert step_count(at) > 0 and "⏸ Pause" in [b.label for b in at.button]
    assert at.query_params.get("live") in ("1", ["1"])
    netcdf = [b.proto.label for b in at.get("download_button") if b.proto.label.endswith(".nc")]
    assert netcdf == ["MALA.nc", "HMC.nc"], netcdf
