"""The Forward page's live run: the forward chain advanced a chunk at a time on the server
(``idf.diffusion.forward_chunk``: the same chain, step for step, as the page's animation) and
played back in the browser by the live player (``live_player``): sample 0's field, and
φ(x_t) and the document's S(x_t) (batch means) growing, beside the exact ⟨φ(x_t)⟩ on GFF data.

Use (the page): ``playing, speed = forward_live.sidebar(controls)`` with the other controls,
then ``forward_live.panel(config, field, run, playing, speed)`` where the view goes.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import streamlit as st

from idf.app import live_player
from idf.app.forward import ForwardConfig, ForwardRun, initial_batch
from idf.diffusion import forward_chunk

SPEEDS = (1, 5, 20, 50)  # steps per update (each a chunk length: compiles once per lattice side)
NAMES = ("φ(x_t), batch mean", "S(x_t), batch mean")


def sidebar(controls: Any) -> tuple[bool, int]:
    """The live toggle (``?live=1``) and its speed (``?speed=``), on the page's Controls."""
    playing = controls.toggle("live", "▶ Live: run the chain step by step", False,
                              help="the chain advances on the server and plays in your browser; also ?live=1")
    speed = controls.select("speed", "live speed (steps per update)", list(SPEEDS), SPEEDS[1])
    return playing, int(speed)


def _slot(config: ForwardConfig, field: np.ndarray | None) -> dict:
    slot = st.session_state.setdefault("_forward_live", {"config": None})
    if slot["config"] != config:
        start = initial_batch(config, field)
        slot.clear()
        slot.update(config=config, start=start, x=start.x0, t=0, updates=0, steps=[],
                    traces={n: [] for n in NAMES}, exact=[], keys=jax.random.split(start.key, config.num_steps),
                    run_id=st.session_state.get("_forward_live_runs", 0) + 1)
        st.session_state["_forward_live_runs"] = slot["run_id"]
    return slot


def started() -> bool:
    """Whether this session has a live chain (the page keeps its panel while paused)."""
    return "_forward_live" in st.session_state


def reset() -> None:
    """Start the live chain again at t = 0 (the Restart button)."""
    slot = st.session_state.get("_forward_live")
    if slot is not None:
        slot["config"] = None  # rebuilt at t = 0 on the next run, as a new run for the player


def _update(exact_mean: np.ndarray | None):
    def update(slot: dict, speed: int) -> dict | None:
        c: ForwardConfig = slot["config"]
        t, total = slot["t"], c.num_steps
        if t >= total:
            return None
        n = min(speed, total - t)
        idx = np.arange(t, t + speed) % total  # rows past T are padding (dropped below)
        betas = np.where(np.arange(t, t + speed) < total, np.asarray(slot["start"].schedule.betas)[idx], 0.0)
        energy = slot["start"].energy
        x, frames, phi, ent = forward_chunk(slot["keys"][jnp.asarray(idx)], slot["x"], jnp.asarray(betas), t, total,
                                            c.guidance_strength, energy if c.guided else None, energy)
        phi, ent = np.asarray(phi)[:n, : c.batch], np.asarray(ent)[:n, : c.batch]
        slot.update(x=x, t=t + n, updates=slot["updates"] + 1)
        steps = list(range(t + 1, t + n + 1))
        series = {NAMES[0]: [phi.mean(1)], NAMES[1]: [ent.mean(1)]}
        if exact_mean is not None:
            series[NAMES[0]].append(exact_mean[t + 1: t + n + 1])
        slot["steps"] += steps
        for name, lines in series.items():
            slot["traces"][name].append(np.stack(lines))
        slot["field"] = np.asarray(frames)[n - 1, 0]
        return {"update": slot["updates"], "step": t + n, "steps": steps,
                "traces": {k: live_player.wire(np.stack(v)) for k, v in series.items()},
                "field": live_player.wire(slot["field"].ravel()), "current": None, "path": None}

    return update


def _history(slot: dict, lines: int) -> dict:
    traces = {k: (np.concatenate(v, axis=1) if v else np.zeros((lines if k == NAMES[0] else 1, 0)))
              for k, v in slot["traces"].items()}
    field = slot.get("field", np.asarray(slot["start"].x0[0]))
    return {"update": slot["updates"], "step": slot["t"], "steps": list(slot["steps"]),
            "traces": {k: live_player.wire(v) for k, v in traces.items()}, "field": live_player.wire(field.ravel()),
            "current": None, "path": None, "trail": [], "proposals": [], "accepted": []}


def panel(config: ForwardConfig, field: np.ndarray | None, run: ForwardRun, playing: bool, speed: int) -> None:
    """The live view: a Restart button, then a fragment that advances the chain while playing."""
    exact = run.exact.mean_energy if run.exact is not None and not config.guided else None
    cols = st.columns([1, 4])
    cols[0].button("⟲ Restart", key="forward.live.restart", on_click=reset)
    cols[1].caption("The chain advances on the server a chunk at a time and plays in your browser "
                    f"(up to {live_player.FPS} updates/s). Blue: measured batch means"
                    + ("; red: the exact ⟨φ(x_t)⟩." if exact is not None else ".")
                    + " Turn Live off to pause; Restart starts again from x₀.")

    @st.fragment(run_every=live_player.FEED_S if playing else None)
    def stream() -> None:
        slot = _slot(config, field)
        before = _history(slot, 2 if exact is not None else 1)
        frames = live_player.feed(slot, speed, update=_update(exact)) if playing else []
        if not playing:
            slot.pop("player", None)
        meta = {"kind": "field", "names": list(NAMES), "fps": live_player.FPS, "warmup": -1, "sampler": "",
                "size": config.size, "fieldTitle": "sample 0 at t =", "tracesTitle": "along the chain",
                "stepTitle": "forward step t", "label": f"forward chain, B = {config.batch}, T = {config.num_steps}"}
        if slot["t"] >= config.num_steps:
            st.caption(f"The chain has reached t = T = {config.num_steps}: Restart to run it again.")
        live_player.mount({"run": str(slot["run_id"]), "meta": meta, "history": before, "frames": frames},
                          key="forward.live.player")

    stream()
