"""A diffusion chain advanced a chunk at a time and played in the browser's live player: the
part the Forward and Reverse pages' live views share (``forward_live``, ``reverse_live``).

A page supplies ``begin(config)`` (the chain's start: any dict entries its ``advance`` needs)
and ``advance(slot, n)``, which takes up to n more steps and returns (the step numbers,
{curve: [lines, each [steps]]}, sample 0's field) or None at the end of the chain. This module
keeps the history, builds the player's frames and the tail a fresh player starts from, and
draws the panel: a Restart button and a fragment that feeds the player while playing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import streamlit as st

from idf.app import live_player

SPEEDS = (1, 5, 20, 50)  # steps per update (each a chunk length: compiles once per shape)


def sidebar(controls: Any, what: str) -> tuple[bool, int]:
    """The live toggle (``?live=1``) and its speed (``?speed=``), on the page's Controls."""
    playing = controls.toggle("live", f"▶ Live: run the {what} step by step", False,
                              help="it advances on the server and plays in your browser; also ?live=1")
    speed = controls.select("speed", "live speed (steps per update)", list(SPEEDS), SPEEDS[1])
    return playing, int(speed)


def slot(key: str, config: Any, begin: Callable[[Any], dict], names: tuple[str, ...]) -> dict:
    """This session's chain for ``config`` (a new one, at step 0, when the config changed)."""
    s = st.session_state.setdefault(key, {"config": None})
    if s["config"] != config:
        runs = st.session_state.get(f"{key}.runs", 0) + 1
        st.session_state[f"{key}.runs"] = runs
        s.clear()
        s.update(config=config, step=0, updates=0, steps=[], traces={n: [] for n in names}, run_id=runs,
                 **begin(config))
    return s


def started(key: str) -> bool:
    """Whether this session has a live chain (the page keeps its panel while paused)."""
    return key in st.session_state


def restart(key: str) -> None:
    """Start the chain again at step 0 (the Restart button)."""
    s = st.session_state.get(key)
    if s is not None:
        s["config"] = None  # rebuilt on the next run, as a new run for the player


def _update(advance: Callable[[dict, int], tuple | None]) -> Callable[[dict, int], dict | None]:
    def update(s: dict, speed: int) -> dict | None:
        out = advance(s, speed)
        if out is None:
            return None
        steps, series, field = out
        s["updates"] += 1
        s["step"] = steps[-1]
        s["steps"] += list(steps)
        for name, lines in series.items():
            s["traces"][name].append(np.stack(lines))
        s["field"] = field
        return {"update": s["updates"], "step": s["step"], "steps": list(steps),
                "traces": {k: live_player.wire(np.stack(v)) for k, v in series.items()},
                "field": live_player.wire(np.ravel(field)), "current": None, "path": None}

    return update


def history(s: dict, lines: dict[str, int]) -> dict:
    """The tail a freshly mounted player starts from (the steps so far, strided as the Arena's)."""
    keep = live_player.tail_index(len(s["steps"]))
    traces = {k: np.concatenate(v, axis=1)[:, keep] if v else np.zeros((lines[k], 0)) for k, v in s["traces"].items()}
    return {"update": s["updates"], "step": s["step"], "steps": np.asarray(s["steps"], int)[keep].tolist(),
            "traces": {k: live_player.wire(v) for k, v in traces.items()},
            "field": live_player.wire(np.ravel(s["field"])), "current": None, "path": None, "trail": [],
            "proposals": [], "accepted": []}


def panel(key: str, get_slot: Callable[[], dict], advance: Callable[[dict, int], tuple | None], lines: dict[str, int],
          meta: dict, playing: bool, speed: int, total: int, caption: str) -> None:
    """Restart, the caption, then a fragment that feeds the player while playing."""
    cols = st.columns([1, 4])
    cols[0].button("⟲ Restart", key=f"{key}.restart", on_click=restart, args=(key,))
    cols[1].caption(caption + " Turn Live off to pause; Restart starts again from the beginning.")

    @st.fragment(run_every=live_player.FEED_S if playing else None)
    def stream() -> None:
        s = get_slot()
        before = history(s, lines)
        frames = live_player.feed(s, speed, update=_update(advance)) if playing else []
        if not playing:
            s.pop("player", None)
        if s["step"] >= total:
            st.caption(f"The chain has run all {total} steps: Restart to run it again.")
        live_player.mount({"run": str(s["run_id"]), "meta": {**meta, "kind": "field", "fps": live_player.FPS,
                                                             "warmup": -1, "sampler": "", "names": list(lines)},
                           "history": before, "frames": live_player.with_previous(s, frames)},
                          key=f"{key}.player")

    stream()
