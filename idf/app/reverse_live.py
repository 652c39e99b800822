"""The Reverse page's live run: the page's own reverse loop advanced a chunk at a time on the
server (``idf.diffusion.reverse_chunk``: the loop ``sample`` runs, step for step) and played
back in the browser (``live_chain``, ``live_player``): sample 0's field from x_T to x₀, and
φ(x_t) (batch mean, against the exact ⟨φ⟩ = N·kT/2 of the target) and the constraint's
Σx̂₀²/Σx_t² growing as the steps are taken.
"""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np

from idf.app import live_chain, live_player
from idf.app.reverse import ReverseConfig, ReverseRun, loop_inputs, loop_options, reverse_target
from idf.diffusion import make_schedule, plan_sample, reverse_chunk

KEY = "_reverse_live"
NAMES = ("φ(x_t), batch mean", "Σx̂₀²/Σx_t², batch mean")


def _begin(config: ReverseConfig) -> dict:
    c = config
    target = reverse_target(c)
    sched = make_schedule(c.schedule, c.num_steps, c.beta_start, c.beta_end)
    plan = plan_sample(*loop_inputs(c, target, sched), **loop_options(c, target))
    x = plan.args[1]
    return {"plan": plan, "x": x, "diverged": jnp.full((plan.padded,), -1, jnp.int32), "field": np.asarray(x[0])}


def _advance(mean_energy: float, s: dict, speed: int) -> tuple | None:
    c: ReverseConfig = s["config"]
    k, total = s["step"], s["plan"].num_steps
    if k >= total:
        return None
    n = min(speed, total - k)
    x, diverged, fields, phi, ratio = reverse_chunk(s["plan"], k, speed, s["x"], s["diverged"])
    s.update(x=x, diverged=diverged)
    phi, ratio = np.asarray(phi)[:n, : c.batch], np.asarray(ratio)[:n, : c.batch]
    series = {NAMES[0]: [phi.mean(1), np.full(n, mean_energy)], NAMES[1]: [ratio.mean(1)]}
    return list(range(k + 1, k + n + 1)), series, np.asarray(fields)[n - 1]


def panel(config: ReverseConfig, run: ReverseRun, playing: bool, speed: int) -> None:
    """The live view of the page's loop (see the module docstring)."""
    meta = {"size": config.size, "fieldTitle": "sample 0 after reverse step", "tracesTitle": "along the loop",
            "stepTitle": "reverse step (0 = x_T)",
            "label": f"{config.solver.upper()} loop, n = {config.batch}, S = {len(run.timesteps)}"}
    live_chain.panel(KEY, lambda: live_chain.slot(KEY, config, _begin, NAMES), functools.partial(_advance,
                     float(run.mean_energy)), {NAMES[0]: 2, NAMES[1]: 1}, meta, playing, speed,
                     len(run.timesteps),
                     "The loop advances on the server a chunk at a time and plays in your browser (up to "
                     f"{live_player.FPS} updates/s). Blue: measured batch means; red: the target's exact "
                     "⟨φ⟩ = N·kT/2.")
