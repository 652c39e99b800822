"""The Forward page's live run: the forward chain advanced a chunk at a time on the server
(``idf.diffusion.forward_chunk``: the same chain, step for step, as the page's animation) and
played back in the browser (``live_chain``, ``live_player``): sample 0's field, and φ(x_t) and
the document's S(x_t) (batch means) growing, beside the exact ⟨φ(x_t)⟩ on GFF data.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from idf.app import live_chain, live_player
from idf.app.forward import ForwardConfig, ForwardRun, initial_batch
from idf.diffusion import forward_chunk

KEY = "_forward_live"
NAMES = ("φ(x_t), batch mean", "S(x_t), batch mean")



def _begin(config: ForwardConfig, field: np.ndarray | None) -> dict:
    start = initial_batch(config, field)
    return {"start": start, "x": start.x0, "keys": jax.random.split(start.key, config.num_steps),
            "field": np.asarray(start.x0[0])}


def _advance(exact_mean: np.ndarray | None, s: dict, speed: int) -> tuple | None:
    c: ForwardConfig = s["config"]
    t, total = s["step"], c.num_steps
    if t >= total:
        return None
    n = min(speed, total - t)
    idx = np.arange(t, t + speed) % total  # rows past T are padding (dropped below)
    betas = np.where(np.arange(t, t + speed) < total, np.asarray(s["start"].schedule.betas)[idx], 0.0)
    energy = s["start"].energy
    x, frames, phi, ent = forward_chunk(s["keys"][jnp.asarray(idx)], s["x"], jnp.asarray(betas), t, total,
                                        c.guidance_strength, energy if c.guided else None, energy)
    phi, ent = np.asarray(phi)[:n, : c.batch], np.asarray(ent)[:n, : c.batch]
    s["x"] = x
    series = {NAMES[0]: [phi.mean(1)], NAMES[1]: [ent.mean(1)]}
    if exact_mean is not None:
        series[NAMES[0]].append(exact_mean[t + 1: t + n + 1])
    return list(range(t + 1, t + n + 1)), series, np.asarray(frames)[n - 1, 0]


def panel(config: ForwardConfig, field: np.ndarray | None, run: ForwardRun, playing: bool, speed: int) -> None:
    """The live view of the page's chain (see the module docstring)."""
    exact = run.exact.mean_energy if run.exact is not None and not config.guided else None
    meta = {"size": config.size, "fieldTitle": "sample 0 at t =", "tracesTitle": "along the chain",
            "stepTitle": "forward step t", "label": f"forward chain, B = {config.batch}, T = {config.num_steps}"}
    live_chain.panel(KEY, lambda: live_chain.slot(KEY, config, functools.partial(_begin, field=field), NAMES),
                     functools.partial(_advance, exact), {NAMES[0]: 1 + (exact is not None), NAMES[1]: 1}, meta,
                     playing, speed, config.num_steps,
                     "The chain advances on the server a chunk at a time and plays in your browser (up to "
                     f"{live_player.FPS} updates/s). Blue: measured batch means"
                     + ("; red: the exact ⟨φ(x_t)⟩." if exact is not None else "."))
