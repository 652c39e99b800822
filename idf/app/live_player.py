"""The live player: a live run's updates played back in the browser (issue 15).

Streamlit's round trip and Plotly's redraw cap a server-drawn live view at one
or two updates a second on this machine. So while a run plays, the server
computes updates ahead (``feed``: each update is ``speed`` more steps of every
chain, exactly what ``live_run.advance`` takes) and sends them as frames to a
small canvas component (``live_player.js``), which draws one every 1/``FPS`` s:
the MCMC-gallery view of a 2-D toy (or chain 0's field on a lattice) and the
growing traces. The frames are the run's own numbers, rounded to 4 decimals for
the wire; the component only draws them. The browser shows the run a second or
so behind the server (its status line says how far; past 3 s it jumps ahead);
Pause hands over to the server-drawn Plotly view of the run's actual state.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from idf.app.live_run import WARMUP, LiveRun, advance
from idf.diagnostics.marginals import EnergyGrid
from idf.viz.live import TRAIL

FPS = 20  # updates drawn per second in the browser
FEED_S = 0.5  # seconds between two feeds (the fragment's run_every)
LEAD_S = 0.4  # how far ahead of the browser the server computes
MAX_FRAMES = 20  # at most this many updates per feed (a slow server shows fewer updates/s, honestly)
HISTORY_POINTS = 300  # per chain and observable in the tail sent for a fresh mount
DECIMALS = 4

_player = st.components.v2.component(
    "idf_live_player",
    js=(Path(__file__).with_name("live_player.js")).read_text(encoding="utf-8"),
    css=".idf-live-status{font-size:0.85rem;color:#555;margin-bottom:4px}"
        ".idf-live-row{display:flex;gap:8px}.idf-live-row canvas{flex:1 1 0;min-width:0;height:480px}",
    isolate_styles=False,
)


def wire(values: Any) -> Any:
    """NumPy → nested lists for the JSON wire: rounded, non-finite as null (JSON has no NaN)."""
    a = np.round(np.asarray(values, np.float64), DECIMALS)
    return a.tolist() if np.isfinite(a).all() else _nulls(a.tolist())


def _nulls(x: Any) -> Any:
    if isinstance(x, list):
        return [_nulls(v) for v in x]
    return x if x == x and abs(x) != float("inf") else None


def frame(run: LiveRun, speed: int, update: int) -> dict:
    """What one update adds: the newest ``speed`` steps of every chain's observables, chain 0's
    newest points and proposals (toys), every chain's current point, the last leapfrog path,
    chain 0's field (lattices)."""
    n = min(speed, run.accepted.shape[1])
    steps = np.arange(run.steps - n, run.steps) + 1
    out: dict = {"update": update, "step": run.steps, "steps": steps.tolist(),
                 "traces": {k: wire(v[:, -n:]) for k, v in run.observables.items()}}
    if run.config.toy:
        obs = run.observables
        out.update(trail=wire(np.stack([obs["x₁"][0, -n:], obs["x₂"][0, -n:]], -1)),
                   current=wire(np.stack([obs["x₁"][:, -1], obs["x₂"][:, -1]], -1)),
                   proposals=wire(np.asarray(run.proposals)[-n:].reshape(-1, 2)),
                   accepted=np.asarray(run.proposal_accepted)[-n:].tolist(),
                   path=wire(np.asarray(run.path).reshape(-1, 2)) if run.config.sampler == "hmc" else None,
                   field=None)
    else:
        out.update(field=wire(np.asarray(run.field).ravel()), current=None, path=None)
    return out


def tail_index(n: int) -> np.ndarray:
    """Indices of at most ``HISTORY_POINTS`` of n kept steps, evenly strided, the newest kept:
    the tail a fresh player starts from is sent with every feed, so it stays small."""
    stride = max(1, -(-n // HISTORY_POINTS))
    return np.arange(n)[::-1][::stride][::-1]


def history(run: LiveRun, update: int) -> dict:
    """The tail a freshly mounted player starts from: the kept traces (strided to
    ``HISTORY_POINTS``), chain 0's trail and last proposals, the current state."""
    n = run.accepted.shape[1]
    keep = tail_index(n)
    first = run.steps - n + 1
    out: dict = {"update": update, "step": run.steps, "steps": (first + keep).tolist(),
                 "traces": {k: wire(v[:, keep]) for k, v in run.observables.items()}}
    if run.config.toy:
        obs = run.observables
        trail = np.stack([obs["x₁"][0, -TRAIL:], obs["x₂"][0, -TRAIL:]], -1) if n else \
            np.asarray(run.positions)[:1]
        current = np.stack([obs["x₁"][:, -1], obs["x₂"][:, -1]], -1) if n else np.asarray(run.positions)
        out.update(trail=wire(trail), current=wire(current), proposals=wire(np.asarray(run.proposals).reshape(-1, 2)),
                   accepted=np.asarray(run.proposal_accepted).tolist(),
                   path=wire(np.asarray(run.path).reshape(-1, 2)) if run.config.sampler == "hmc" else None,
                   field=None)
    else:
        out.update(field=wire(np.asarray(run.field).ravel()), current=None, path=None, trail=[], proposals=[],
                   accepted=[])
    return out


def meta(run: LiveRun, grid: EnergyGrid | None) -> dict:
    """What does not change during a run: the kind of view, axes, names, the label."""
    cfg = run.config
    out: dict = {"kind": "toy" if cfg.toy else "field", "names": list(run.observables), "fps": FPS,
                 "warmup": WARMUP, "sampler": cfg.sampler, "size": cfg.size,
                 "label": f"{cfg.sampler.upper()} ε = {cfg.epsilon:g} · {cfg.chains} chains",
                 "title": f"{cfg.sampler.upper()} on the {cfg.target}: proposals and chain 0"}
    if grid is not None:
        # the background's colours only: (φ − φ_min)/kT clipped at 12, as 8 bits (base64)
        phi = np.minimum(np.asarray(grid.phi) - np.min(grid.phi), 12.0)
        levels = np.round(phi / 12.0 * 255).astype(np.uint8)
        out["grid"] = {"nx": len(grid.x), "ny": len(grid.y), "phi8": base64.b64encode(levels.tobytes()).decode(),
                       "bounds": [list(map(float, b)) for b in grid.bounds]}
    return out


def feed(slot: dict, speed: int, now: float | None = None, update: Any = None) -> list[dict]:
    """Advance the slot's run by the updates the browser will need until the next feed
    (its play clock × FPS + the lead, at most ``MAX_FRAMES``); returns their frames.
    ``update(slot, speed)`` takes one update and returns its frame, or None when the run has
    nothing more to do (default: ``speed`` more steps of the slot's chains)."""
    now = time.perf_counter() if now is None else now
    clock = slot.setdefault("player", {"t0": now, "made": 0})
    wanted = int((now - clock["t0"] + LEAD_S + FEED_S) * FPS) - clock["made"]
    frames = []
    for _ in range(max(0, min(wanted, MAX_FRAMES))):
        f = (update or _chain_update)(slot, speed)
        if f is None:
            break
        frames.append(f)
    clock["made"] += len(frames)
    if wanted > MAX_FRAMES:  # the server fell behind: restart the clock from these frames, no debt kept
        clock.update(t0=now, made=len(frames))
    return frames


def with_previous(slot: dict, frames: list[dict]) -> list[dict]:
    """``frames`` after the previous feed's frames. The frontend renders only the newest data of
    an element when two feeds arrive before it has drawn the first, so each feed carries the one
    before it again (the player keeps only updates newer than those it has queued): a skipped
    render no longer leaves a straight segment in the traces."""
    clock = slot.get("player")
    if clock is None:
        return frames
    previous, clock["sent"] = clock.get("sent", []), frames
    return previous + frames


def _chain_update(slot: dict, speed: int) -> dict:
    slot["run"] = advance(slot["run"], speed)
    slot["updates"] += 1
    return frame(slot["run"], speed, slot["updates"])


def mount(data: dict, key: str) -> None:
    """Mount (or feed) the player: ``data`` = {run, meta, history, frames} as ``show`` builds them."""
    _player(data=data, key=key)


def show(before: LiveRun, slot: dict, frames: list[dict], grid: EnergyGrid | None, key: str) -> None:
    """Mount (or feed) the player with ``frames`` and, for a fresh mount, the tail of the
    run as it was before them (``before``)."""
    start = frames[0]["update"] - 1 if frames else slot["updates"]
    mount({"run": str(slot.get("run_id", 0)), "meta": meta(slot["run"], grid), "history": history(before, start),
           "frames": with_previous(slot, frames)}, key)
