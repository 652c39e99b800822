"""The Forward and Reverse pages' animations with their curves in the same figure
(``idf.viz.linked_animation``): each frame moves the field and a cursor on
φ(x_t) (with N·kT/2), Σx̂₀²/Σx_t², H(t) and KL(q_t‖N(0, I)), or S(x_t)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from idf.app.forward import ForwardConfig, ForwardRun
from idf.app.reverse import ReverseRun
from idf.viz.linked import CurvePanel, linked_animation


def forward_figure(run: ForwardRun, cfg: ForwardConfig) -> go.Figure:
    """x₀ → x_T with φ(x_t), and H(t) and KL(q_t‖N(0, I)) when they are exact (GFF data),
    else the document's S(x_t); the cursor sits at each frame's step t."""
    t = np.asarray(run.t)
    at = np.asarray(run.frame_t, np.float64)
    energy = {f"φ(x_t), mean ± s.d. over B = {cfg.batch}": tuple(run.energy)}
    hlines = None
    exact = run.exact
    if exact is not None and not cfg.guided:
        energy["exact ⟨φ(x_t)⟩"] = exact.mean_energy
    if cfg.data == "gff":
        hlines = {"N·kT/2 (the data's ⟨φ⟩, t = 0)": 0.5 * cfg.size**2 * cfg.kT}
    panels = [CurvePanel(t, energy, at, "Energy φ(x_t)", "φ (kT units)", hlines=hlines)]
    if exact is not None:
        panels.append(CurvePanel(t, {"H(t) of q_t (exact)": exact.entropy}, at, "Entropy H(t)", "H (nats)"))
        panels.append(CurvePanel(t, {"KL(q_t ‖ N(0, I)) (exact)": exact.kl}, at, "KL(q_t ‖ N(0, I))",
                                 "KL (nats, log)", log_y=True))
    else:
        panels.append(CurvePanel(t, {"document's S(x_t), mean ± s.d.": tuple(run.entropy)}, at,
                                 "The document's S(x_t)", "S (nats)"))
    labels = [f"t = {s}" for s in run.frame_t]
    return linked_animation(run.frames, labels, panels,
                            title=f"x₀ → x_T (sample 0, {len(labels)} of {len(t)} frames)")


def reverse_steps(run: ReverseRun) -> np.ndarray:
    """The reverse-step index k (0 = x_T, S = x₀) of each frame [F]: frame_t is the
    timestep before the step (t + 1), and 0 for x₀."""
    order = list(np.concatenate([np.asarray(run.timesteps) + 1, [0]]))
    return np.array([order.index(t) for t in np.asarray(run.frame_t)], np.float64)


def reverse_figure(run: ReverseRun) -> go.Figure:
    """x_T → x₀ with φ(x_t) against N·kT/2, the constraint's Σx̂₀²/Σx_t² and S(x_t);
    the cursor sits at each frame's reverse step."""
    k = reverse_steps(run)
    steps = np.arange(len(run.energy.mean))
    ks = np.arange(1, len(run.norm_ratio.mean) + 1)
    panels = [
        CurvePanel(steps, {"φ(x_t), mean ± s.d. over n": tuple(run.energy)}, k, "Energy φ(x_t)", "φ (kT units)",
                   x_title="reverse step (0 = x_T)", hlines={"exact ⟨φ⟩ = N·kT/2": run.mean_energy}),
        CurvePanel(ks, {"Σx̂₀²/Σx_t²": tuple(run.norm_ratio)}, k, "Σx̂₀²/Σx_t² (what the rescaling undoes)",
                   "ratio (log)", x_title="reverse step", log_y=True, hlines={"1 (no drift)": 1.0}),
        CurvePanel(steps, {"document's S(x_t), mean ± s.d.": tuple(run.entropy)}, k, "The document's S(x_t)",
                   "S (nats)", x_title="reverse step (0 = x_T)"),
    ]
    labels = [f"t = {s}" for s in run.frame_t]
    return linked_animation(run.frames, labels, panels, title=f"x_T → x₀ (sample 0, {len(labels)} frames)")
