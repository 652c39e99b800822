"""The live player's frames are the run's own numbers (rounded for the wire), in order and
without gaps, and its feed computes what the browser will draw until the next feed."""

import math

import numpy as np
import pytest

from idf.app import live_player
from idf.app.live_run import LiveConfig, advance, start


def fresh_slot(cfg: LiveConfig) -> dict:
    return {"run": start(cfg), "updates": 0}


@pytest.mark.parametrize("cfg", [LiveConfig(target="banana", sampler="hmc", chains=4),
                                 LiveConfig(target="gff", size=8, sampler="mala", chains=4)])
def test_frames_are_the_runs_numbers(cfg):
    slot = fresh_slot(cfg)
    frames = live_player.feed(slot, 5, now=0.0)
    run = slot["run"]
    expected = math.floor((live_player.LEAD_S + live_player.FEED_S) * live_player.FPS)
    assert len(frames) == expected and run.steps == 5 * expected
    assert [f["update"] for f in frames] == list(range(1, expected + 1))
    steps = np.concatenate([f["steps"] for f in frames])
    np.testing.assert_array_equal(steps, np.arange(1, run.steps + 1))  # every step once, in order
    for name, values in run.observables.items():
        sent = np.concatenate([np.asarray(f["traces"][name], float) for f in frames], axis=1)
        np.testing.assert_allclose(sent, values, atol=0.5 * 10.0 ** -live_player.DECIMALS)
    last = frames[-1]
    if cfg.toy:
        trail = np.concatenate([np.asarray(f["trail"]) for f in frames])
        np.testing.assert_allclose(trail[:, 0], run.observables["x₁"][0], atol=1e-4)
        np.testing.assert_allclose(np.asarray(last["path"]), np.asarray(run.path), atol=1e-4)
        assert last["accepted"] == np.asarray(run.proposal_accepted)[-5:].tolist()
    else:
        np.testing.assert_allclose(np.asarray(last["field"]), np.asarray(run.field).ravel(), atol=1e-4)


def test_feed_follows_the_play_clock_and_caps_a_slow_server():
    slot = fresh_slot(LiveConfig(target="banana", sampler="mala", chains=4))
    first = live_player.feed(slot, 1, now=10.0)
    again = live_player.feed(slot, 1, now=10.0)  # no time passed: nothing new to compute
    later = live_player.feed(slot, 1, now=10.5)  # half a second: FPS / 2 more updates
    assert len(again) == 0 and len(later) == round(0.5 * live_player.FPS)
    assert later[0]["update"] == first[-1]["update"] + 1
    stalled = live_player.feed(slot, 1, now=100.0)  # 90 s late: at most MAX_FRAMES, and the clock restarts
    assert len(stalled) == live_player.MAX_FRAMES
    assert len(live_player.feed(slot, 1, now=100.0)) == 0  # no burst to pay back the stall
    ahead = int((1.0 + live_player.LEAD_S + live_player.FEED_S) * live_player.FPS) - live_player.MAX_FRAMES
    assert len(live_player.feed(slot, 1, now=101.0)) == ahead  # then the clock runs from the restart


def test_history_is_the_tail_a_fresh_player_starts_from():
    cfg = LiveConfig(target="banana", sampler="hmc", chains=4)
    run = advance(advance(start(cfg), 50), 50)
    tail = live_player.history(run, 2)
    assert tail["step"] == 100 and tail["steps"][-1] == 100 and tail["update"] == 2
    np.testing.assert_allclose(np.asarray(tail["traces"]["x₂"])[:, -1], run.observables["x₂"][:, -1], atol=1e-4)
    assert live_player.wire([1.0, float("nan"), float("inf")]) == [1.0, None, None]  # JSON has no NaN


def test_a_feed_the_browser_never_drew_is_carried_by_the_next_one():
    """The frontend may render only the newer of two feeds; each feed carries the previous one's
    frames again, and the player (live_player.js) queues only updates newer than its last, so
    dropping any single feed leaves no gap and draws no update twice."""
    slot = fresh_slot(LiveConfig(target="banana", sampler="mala", chains=4))
    sent = [live_player.with_previous(slot, live_player.feed(slot, 1, now=t)) for t in (0.0, 0.5, 1.0, 1.5, 2.0)]
    for dropped in range(1, len(sent) - 1):  # the first mount and the last one always render
        last, queued = 0, []
        for k, frames in enumerate(sent):
            if k == dropped:
                continue
            new = [f["update"] for f in frames if f["update"] > last]  # the player's rule
            queued += new
            last = new[-1] if new else last
        assert queued == list(range(1, slot["updates"] + 1)), dropped
    assert live_player.with_previous({}, sent[0]) == sent[0]  # no play clock (paused): only what is given
