"""The live run on a page: Play/Pause/Step/Reset, a speed control, ``?live=1``,
keyboard shortcuts, and a fragment that advances the chains in chunks and
redraws the figures, the diagnostics and the verdict after every chunk.

Use (a page): ``settings = live.sidebar()`` with the other sidebar controls
(pass ``settings.controls`` to the page's ``Controls.prune``), then
``live.panel(LiveConfig(...), settings)`` where the live view goes.

How it streams: while playing, a fragment feeds the browser's live player
(``live_player``) every ``live_player.FEED_S`` with the updates computed since
(each one chunk of ``live_run.advance``), and the player draws them at up to
``live_player.FPS`` a second. Speed 1 on an HMC toy (the leapfrog path revealed
point by point) and ``IDF_LIVE_PLAYER=0`` keep the server-drawn view: a fragment
rerun every ``TICK_S`` that takes a chunk and redraws the Plotly charts in place.
A second fragment redraws the diagnostics and the verdict every ``SLOW_TICK_S``
(``PLAYER_SLOW_TICK_S`` beside the player). The run
lives in ``st.session_state``, so reruns of other widgets keep it going; it
stops with the session (a fragment only runs for a connected browser) and
never blocks other sessions (a chunk is milliseconds). Changing the target,
sampler or ε starts a new run (mixed settings would make the diagnostics lie).
Shortcuts: Space play/pause, N step, X reset (Streamlit reserves R for rerun).
"""

from __future__ import annotations

import math
import os
import time
from typing import Any, NamedTuple

import numpy as np
import streamlit as st

from idf import diagnostics
from idf.app import live_player, presentation
from idf.app.arena_targets import make_target
from idf.app.live_run import SPEEDS, WARMUP, LiveConfig, LiveDiagnostics, LiveRun, advance, live_diagnostics, start
from idf.diagnostics.verdict import Status, key_numbers
from idf.viz.arena import toy_marginals as marginals_figure
from idf.viz.fields import field_heatmap
from idf.viz.live import delta_h_trace, gallery_figure, trace_figure, trajectory_scrub

TICK_S = 0.04  # seconds from one update's end to the next one's start while playing
SLOW_TICK_S = 1.0  # seconds between diagnostics updates while playing
PLAYER_SLOW_TICK_S = 2.0  # the same beside the browser's player (its draws share the browser's one thread)
URL_NAMES = ("live", "speed", "internals")
SHORTCUTS = {"play": "Space", "step": "N", "reset": "X"}
# IDF_LIVE_PLAYER=0: the server draws every update itself (the bench's baseline: bench/live_speed.py)
PLAYER = os.environ.get("IDF_LIVE_PLAYER", "1") != "0"


class LiveSettings(NamedTuple):
    """The URL-bound live controls: playing (``?live=1``), speed (steps per update),
    internals (show the HMC internals and the full table), and the Controls to prune with."""

    playing: bool
    speed: int
    internals: bool
    controls: Any
    key: str


def sidebar(key: str = "live", container: Any = None) -> LiveSettings:
    """The live run's sidebar controls, bound to the URL (?live=1&speed=5&internals=1)."""
    from idf.app.params import Controls

    box = container if container is not None else st.sidebar.container()
    c = Controls(key, box)
    playing = c.toggle("live", "▶ Live run (play)", False, help="also Space, or ?live=1 in the URL")
    speed = c.select("speed", "live speed (steps per update)", list(SPEEDS), SPEEDS[1])
    expert = not presentation.current().student
    internals = c.toggle("internals", "show HMC internals and the full table", expert,
                         help="the trajectory scrub, H(x, p) per leapfrog sub-step, ΔH, and every diagnostic")
    return LiveSettings(playing, int(speed), internals, c, key)


def _slot(key: str) -> dict:
    return st.session_state.setdefault(f"_live.{key}", {"run": None, "ticks": [], "reveal": None, "updates": 0})


def _set_playing(settings: LiveSettings, playing: bool) -> None:
    """Play or Pause: set, not flipped, and Pause and Play are two buttons (two keys). A Pause click
    delivered again in a later rerun (Streamlit 1.67 replays the triggers of coalesced reruns: the
    likely cause of a Step right after Pause that played on, +45 steps instead of +5, twice in
    tests/browser/test_live.py on a loaded machine) then finds no button to call, instead of
    flipping the run back to playing."""
    _slot(settings.key)["touched"] = True
    st.session_state[settings.controls._key("live")] = playing


def _reset(key: str) -> None:
    slot = _slot(key)
    slot.update(run=None, ticks=[], reveal=None, updates=0, touched=True)  # touched: the panel stays open
    slot.pop("player", None)


def _step(key: str, speed: int) -> None:
    slot = _slot(key)
    if slot["run"] is not None:
        slot["run"] = advance(slot["run"], speed)
        slot["reveal"] = None
        slot["updates"] += 1


@st.cache_data(show_spinner=False, max_entries=16)
def _grid(target: str, params: tuple, resolution: int) -> diagnostics.EnergyGrid:
    return diagnostics.energy_grid(make_target(target, params), resolution)


@st.cache_data(show_spinner=False, max_entries=16)
def _marginals(target: str, params: tuple) -> diagnostics.ToyMarginals:
    return diagnostics.toy_marginals(make_target(target, params))


def buttons(settings: LiveSettings) -> None:
    """Play/Pause, Step, Reset with their shortcuts (outside the fragment: a click reruns the page)."""
    cols = st.columns([1.3, 1.1, 1.1, 3])
    cols[0].button("⏸ Pause" if settings.playing else "▶ Play",
                   key=f"{settings.key}.{'pause' if settings.playing else 'play'}",
                   shortcut=SHORTCUTS["play"], on_click=_set_playing, args=(settings, not settings.playing),
                   type="primary")
    cols[1].button("⏭ Step", key=f"{settings.key}.step", shortcut=SHORTCUTS["step"], on_click=_step,
                   args=(settings.key, settings.speed), disabled=settings.playing)
    cols[2].button("⟲ Reset", key=f"{settings.key}.reset", shortcut=SHORTCUTS["reset"], on_click=_reset,
                   args=(settings.key,))
    cols[3].caption("Shortcuts: Space play/pause · N step · X reset. The run keeps going while you move other "
                    "controls; changing the target, sampler or ε starts a new one.")


def _slow_motion(run: LiveRun, settings: LiveSettings) -> bool:
    """Speed 1 on an HMC toy: the server reveals the leapfrog path point by point."""
    return settings.speed == 1 and run.config.toy and run.config.sampler == "hmc"


def _tick(slot: dict, settings: LiveSettings) -> None:
    """One update while playing: reveal the next leapfrog point (speed 1, HMC, toys) or take a chunk."""
    run: LiveRun = slot["run"]
    slow_motion = _slow_motion(run, settings) and run.steps > 0
    if slow_motion and slot["reveal"] is not None and slot["reveal"] < len(run.path):
        slot["reveal"] += 1
    else:
        slot["run"] = advance(run, settings.speed)
        slot["reveal"] = 1 if slow_motion else None
    slot["updates"] += 1
    now = time.perf_counter()
    slot["ticks"] = (slot["ticks"] + [now])[-30:]


def updates_per_second(slot: dict) -> float:
    """Updates per second over the last ticks (NaN before two)."""
    t = slot["ticks"]
    return (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 and t[-1] > t[0] else math.nan


def panel(cfg: LiveConfig, settings: LiveSettings) -> None:
    """The live view of ``cfg``: buttons, then a fragment that streams while playing."""
    slot = _slot(settings.key)
    if slot["run"] is None or slot["run"].config != cfg:
        slot.update(run=start(cfg), ticks=[], reveal=None, updates=0, run_id=slot.get("run_id", 0) + 1)
        slot.pop("player", None)
    if not settings.playing:
        slot.pop("player", None)  # the player's clock starts again with the next Play
    buttons(settings)

    # Two fragments. The chains' fragment takes one chunk per run and redraws the gallery
    # and traces under fixed keys, so the browser updates each chart in place (Plotly.react)
    # instead of mounting a new one; run_every schedules the next run once the browser has
    # the last one. The diagnostics' fragment (tens of ms: every observable rank-normalised)
    # redraws the verdict and the numbers every SLOW_TICK_S.
    played = PLAYER and settings.playing and not _slow_motion(slot["run"], settings)

    @st.fragment(run_every=(live_player.FEED_S if played else TICK_S) if settings.playing else None)
    def stream() -> None:
        if played:
            before = slot["run"]
            frames = live_player.feed(slot, settings.speed)
            grid = _grid(cfg.target, cfg.params, 70) if cfg.toy else None
            st.caption(f"Played back in your browser at up to {live_player.FPS} updates/s, a second or so "
                       f"behind the chains (the server has computed {slot['run'].steps} steps; the diagnostics "
                       "below are of all of them). Pause shows the chains' actual state, with hover and zoom.")
            live_player.show(before, slot, frames, grid, key=f"{settings.key}.player")
            return
        if settings.playing:
            _tick(slot, settings)
        caption = st.empty()
        left, right = st.columns([1, 1])
        draw(slot, settings, Places(caption, left, right))

    @st.fragment(run_every=(PLAYER_SLOW_TICK_S if played else SLOW_TICK_S) if settings.playing else None)
    def judge() -> None:
        draw_diagnostics(slot, settings, light=played)

    stream()
    judge()


class Places(NamedTuple):
    """Where the streaming figures go (replaced in place on every update)."""

    caption: Any
    left: Any
    right: Any


def draw(slot: dict, settings: LiveSettings, places: Places) -> None:
    """The live figures for the current state: the step line, the gallery (or field), the traces."""
    run: LiveRun = slot["run"]
    cfg = run.config
    ups = updates_per_second(slot)
    rate = f" · {ups:.1f} updates/s" if math.isfinite(ups) else ""
    places.caption.caption(f"live: step {run.steps} · update {slot['updates']}{rate} · {cfg.sampler.upper()} "
                           f"ε = {cfg.epsilon:g} · {cfg.chains} chains")
    n = run.accepted.shape[1]
    first = run.steps - n
    left, right = places.left, places.right
    if cfg.toy:
        grid = _grid(cfg.target, cfg.params, 70)
        trail = np.stack([run.observables["x₁"][0], run.observables["x₂"][0]], axis=-1)
        current = np.stack([run.observables["x₁"][:, -1], run.observables["x₂"][:, -1]], axis=-1) if n else \
            np.asarray(run.positions)
        reveal = slot["reveal"]
        props, acc = run.proposals, run.proposal_accepted
        if reveal is not None and reveal < len(run.path):
            props, acc = props[:-1], acc[:-1]  # the verdict on this proposal comes when its path is drawn
        fig = gallery_figure(grid, trail if n else np.asarray(run.positions)[:1], current, props, acc,
                             run.path if cfg.sampler == "hmc" else None, reveal,
                             title=f"{cfg.sampler.upper()} on the {cfg.target}: proposals and chain 0")
        left.plotly_chart(fig, key=f"{settings.key}.gallery")
    else:
        left.plotly_chart(field_heatmap(run.field, title=f"chain 0 at step {run.steps}"), key=f"{settings.key}.field")
    if n:
        right.plotly_chart(trace_figure(run.observables, first, WARMUP, title="traces (every chain)"),
                           key=f"{settings.key}.traces")


def draw_diagnostics(slot: dict, settings: LiveSettings, light: bool = False) -> None:
    """The verdict, the numbers (all of them with ``internals``), the HMC internals and the marginals.
    ``light`` (beside the browser's player): the HMC internals' charts wait for Pause (redrawing
    a trajectory scrub every two seconds would stall the player, and it cannot be scrubbed)."""
    run: LiveRun = slot["run"]
    cfg = run.config
    d = live_diagnostics(run)
    n = run.accepted.shape[1]
    first = run.steps - n
    show_verdict(d)
    if settings.internals:
        expert_view(run, d, settings, first, charts=not light)
    if cfg.toy and d.draws >= 10:
        s = slice(n - d.draws, n)
        samples = np.stack([run.observables["x₁"][:, s].ravel(), run.observables["x₂"][:, s].ravel()], axis=-1)
        st.plotly_chart(marginals_figure(_marginals(cfg.target, cfg.params), {"after warm-up": samples},
                                         title=f"marginals of {d.draws} × {cfg.chains} draws against the exact "
                                               "density"))


def show_verdict(d: LiveDiagnostics) -> None:
    """The verdict box and the student's three numbers."""
    v = d.verdict
    if d.warming_up:
        st.info(f"Warming up: {d.warming_up} more steps before the diagnostics start.", icon="⏳")
    box = {Status.GOOD: st.success, Status.WARNING: st.warning, Status.UNDECIDED: st.info}[v.status]
    box(f"**Verdict: {v.headline}.** {v.paragraph}", icon={"good": "✅", "warning": "⚠️", "undecided": "⏳"}[v.status])
    cols = st.columns(3)
    for col, (name, value) in zip(cols, key_numbers(d.summary).items(), strict=True):
        col.metric(name, "—" if not math.isfinite(value) else (f"{value:.3f}" if name != "ESS (smallest)"
                                                              else f"{value:.0f}"))


def expert_view(run: LiveRun, d: LiveDiagnostics, settings: LiveSettings, first: int, charts: bool = True) -> None:
    """The full table and the HMC internals: ΔH per transition and the scrub inside the last trajectory."""
    s = d.summary
    rows = []
    for name, q in (d.quantities or {}).items():
        rows.append({"quantity": name, "R̂ bulk": q.rhat_bulk, "R̂ folded": q.rhat_folded, "ESS bulk": q.ess_bulk,
                     "ESS tail": q.ess_tail, "MCSE (mean)": q.mcse, "τ_int (steps)": q.tau})
    if rows:
        st.dataframe(rows, hide_index=True)
    bfmi = ", ".join(f"{b:.2f}" for b in s.e_bfmi) if s.e_bfmi else "n/a (HMC only)"
    st.caption(f"acceptance {s.acceptance:.3f} · divergences {s.divergences} · E-BFMI per chain {bfmi} · "
               f"rms ΔH {d.rms_dh:.3g} kT · stuck chains {s.stuck} · {d.draws} draws per chain after warm-up"
               if math.isfinite(s.acceptance) else f"no acceptance test (ULA) · {d.draws} draws per chain")
    if run.config.sampler != "hmc" or run.path_h is None:
        return
    if not charts:
        st.caption("Pause to see ΔH per trajectory and to scrub inside the last leapfrog trajectory.")
        return
    st.plotly_chart(delta_h_trace(run.delta_H, first, title="ΔH per trajectory"))
    grid = _grid(run.config.target, run.config.params, 70) if run.config.toy else None
    if run.config.toy:
        title = f"inside the last trajectory: ΔH = {run.path_h[-1] - run.path_h[0]:+.3g}"
        st.plotly_chart(trajectory_scrub(run.path, run.path_h, run.path_u, grid, title=title))
    else:
        h = run.path_h
        st.caption(f"last trajectory: H from {h[0]:.4g} to {h[-1]:.4g} kT (ΔH = {h[-1] - h[0]:+.3g}) over "
                  f"{len(h) - 1} leapfrog steps")


def keep_in_url(settings: LiveSettings) -> None:
    """Put the live controls back in the URL after a page's ``Controls.prune`` that did not
    know them (``?live=1`` must survive the Arena's sidebar)."""
    c = settings.controls
    for name, value in c.values.items():
        if value != c.defaults[name]:
            st.query_params[name] = "1" if value is True else str(value)


def arena_live_config(config: Any) -> LiveConfig | None:
    """The live run of an Arena page state (``ArenaConfig``): its target, lattice side, seed and
    HMC's L, on its first Markov-chain sampler (HMC when chosen) with that sampler's ε, on 4
    chains (R̂ needs 4; more traces slow the browser's redraw). None when only i.i.d.
    diffusion samplers are chosen."""
    mcmc = [s for s in config.samplers if s in ("langevin", "mala", "mh", "hmc")]
    if not mcmc:
        return None
    sampler = "hmc" if "hmc" in mcmc else mcmc[0]
    return LiveConfig(target=config.target, params=config.params, size=config.size, sampler=sampler,
                      step_size=config.step_size(sampler), num_leapfrog=config.num_leapfrog,
                      chains=4, seed=config.seed)


def started(settings: LiveSettings) -> bool:
    """Whether this session's live run has taken a step or its buttons were used (the page
    keeps its expander open: Reset must not fold away the panel it was pressed in)."""
    slot = _slot(settings.key)
    return slot.get("touched", False) or (slot["run"] is not None and slot["run"].steps > 0)
