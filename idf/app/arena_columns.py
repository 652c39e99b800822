"""The Sampler arena's sampler columns: one per sampler, each a Streamlit
fragment (``st.fragment``) that owns that sampler's step-size control (bound
to the same URL names as before, ``eps_hmc`` …), runs the sampler and shows
its own numbers (acceptance, Fourier KL or equipartition, ESS, R̂).

Moving one sampler's ε reruns that sampler's column only: the other columns,
the comparison charts and the table stay as drawn (they need every sampler,
so they refresh on the next full rerun: any sidebar control, or the column's
"update the comparison" button). Until then the column says that the
comparison below still shows the ε it was drawn with; it never shows a mix
without saying so.
"""

from __future__ import annotations

import collections
import dataclasses
import math
from typing import Any

import numpy as np
import streamlit as st

from idf.app.arena import run_sampler
from idf.app.arena_config import IID, SAMPLER_LABELS, ArenaConfig, SamplerRun
from idf.app.arena_controls import ArenaControls
from idf.app.arena_targets import DEFAULT_STEP, step_family

COLUMN_KEY = "arena_column"  # the columns' fragment name (one fragment id per column)
DRAWN = "_arena.drawn"  # session key: {sampler: ε} the comparison below was drawn with (None while drawing)
# Times each column's body ran, by sampler name (a full run draws them all; a fragment rerun one).
COLUMN_RUNS: collections.Counter[str] = collections.Counter()


def eps_range(toy: bool) -> tuple[float, float, float]:
    """(low, high, step) of the ε sliders: wider on the 2-D toys."""
    return (0.01, 3.0, 0.01) if toy else (0.005, 0.6, 0.005)


def _metrics(name: str, run: SamplerRun, config: ArenaConfig) -> None:
    label, row = SAMPLER_LABELS[name], run.row
    st.metric(
        f"{label} acceptance",
        "n/a" if np.isnan(row.acceptance) else f"{row.acceptance:.3f}",
        help="mean Metropolis acceptance probability ⟨min(1, ratio)⟩, as `idf sample` reports it; "
        "the table also has the fraction accepted (1 for ULA, which never rejects)",
    )
    if row.fourier_kl is not None:
        st.metric(
            f"{label} Fourier KL",
            f"{row.fourier_kl:.3f} nats",
            help=f"n = {row.n_draws} draws; finite-sample bias of i.i.d. draws ≈ {row.kl_bias:.3f}",
        )
    elif run.equipartition is not None:
        eq = run.equipartition
        st.metric(
            f"{label} ⟨x·∇φ⟩ (exact N·kT = {eq['expected']:g})",
            f"{eq['value']:.4g} ± {eq['error']:.2g}",
            help="equipartition: ⟨x·∇φ⟩ = N·kT in equilibrium for any proper energy (integrate by parts); "
            "± is one standard error, sd/√ESS",
        )
    ess = min((v for _, v in row.ess if math.isfinite(v)), default=float("nan"))
    st.caption(f"ESS (slowest) {ess:.0f} · R̂ {row.rhat:.3f} · τ_int {row.tau_int:.3g} steps")
    if config.adapt and name not in ("langevin", *IID):
        st.caption(f"adapted ε = {row.step_size:.4g}")


def _report(name: str, run: SamplerRun, chains: int) -> None:
    if not run.report:
        return
    lines = run.report
    more = f"\n- … and {len(lines) - 4} more" if len(lines) > 4 else ""
    frozen, dropped = run.row.frozen_chains, run.row.dropped_chains
    if dropped == chains:
        head = (f"all {chains} chains are frozen at a non-finite value or stuck: its numbers below are not "
                "equilibrium values.")
    elif dropped:
        head = (f"{dropped} of {chains} chains are left out of its numbers below ({frozen} frozen at a non-finite "
                f"value, {dropped - frozen} stuck rejecting non-finite proposals); they pool the other "
                f"{chains - dropped}.")
    elif run.restarted:
        head = "step-size adaptation diverged and was restarted (the chains below are fine):"
    else:
        head = "some proposals were non-finite and were rejected, as Metropolis does; the chains went on:"
    st.warning(f"**{SAMPLER_LABELS[name]}:** {head}\n- " + "\n- ".join(lines[:4]) + more, icon="💥")


@st.fragment(key=COLUMN_KEY)
def _column(config: ArenaConfig, name: str, toy: bool, out: dict[str, Any]) -> None:
    """One sampler's column: its ε control (none for the diffusion samplers), its run
    and its numbers. ``out[name]`` receives (controls or None, ε or NaN, run)."""
    COLUMN_RUNS[name] += 1
    family = step_family(config.target)
    controls, eps = None, float("nan")
    if name not in IID and name in DEFAULT_STEP[family]:
        controls = ArenaControls(f"arena.{family}", st.container())
        what = "proposal scale σ" if name == "mh" else "step size ε"
        eps = controls.slider(f"eps_{name}", f"{SAMPLER_LABELS[name]}: {what}", *eps_range(toy)[:2],
                              DEFAULT_STEP[family][name], eps_range(toy)[2])
        controls.show_warnings()
        config = dataclasses.replace(config, step_sizes=((name, eps),))
    with st.spinner(f"{SAMPLER_LABELS[name]} …"):
        run = run_sampler(config.run_spec(name))
    out[name] = (controls, eps, run)
    _report(name, run, config.chains)
    _metrics(name, run, config)
    drawn = st.session_state.get(DRAWN)
    if drawn is not None and name in drawn and not _same(drawn[name], eps):
        st.info(f"The table and charts below still show ε = {drawn[name]:.3g}.", icon="🔄")
        if st.button("update the comparison", key=f"arena.refresh.{name}"):
            st.rerun(scope="app")


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def sampler_columns(config: ArenaConfig, toy: bool) -> tuple[ArenaConfig, dict[str, SamplerRun], list[ArenaControls]]:
    """Draw one column per sampler of ``config`` (its ``step_sizes`` are ignored:
    each column reads its own ε). Returns the config with the columns' ε, the
    runs by sampler name and the columns' controls (for the URL prune and the snippet)."""
    st.session_state[DRAWN] = None  # a full run: the comparison is being redrawn
    out: dict[str, Any] = {}
    base = dataclasses.replace(config, step_sizes=())
    for col, name in zip(st.columns(len(config.samplers)), config.samplers, strict=True):
        with col:
            _column(base, name, toy, out)
    step_sizes = tuple((n, out[n][1]) for n in config.samplers if out[n][0] is not None)
    controls = [out[n][0] for n in config.samplers if out[n][0] is not None]
    return dataclasses.replace(config, step_sizes=step_sizes), {n: out[n][2] for n in config.samplers}, controls


def drawn(config: ArenaConfig) -> None:
    """Record the ε of every sampler the comparison was just drawn with (end of a full run)."""
    st.session_state[DRAWN] = {n: config.step_size(n) for n in config.samplers}
