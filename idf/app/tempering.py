"""Temperature and guidance are one idea: a caption for the Reverse page.

Tempering a Boltzmann target, p^{1/T} ∝ exp(−φ/(T·kT)), is the same energy at
temperature T·kT; energy guidance with scale s adds s·∇log p to the score,
which at t = 0 is the score of p^{1+s}. So s = 1/T − 1 is the same sharpening,
and for a Gaussian target the exact answer is the covariance times T.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from idf.app.reverse import ReverseConfig, reverse_target


def note(config: ReverseConfig) -> None:
    """One caption: this run's T_s and s as the same dial, with the exact Gaussian answer from the library."""
    c = config
    shape = (c.size, c.size)
    temp = c.temperature
    exact = reverse_target(dataclasses.replace(c, kT=c.kT * temp)).mean_energy(shape)
    st.caption(
        f"**Temperature and guidance are one idea.** T_s = {temp:g} samples p^(1/T_s) ∝ exp(−φ/(T_s·kT)); a "
        f"guidance scale s adds s·∇log p to the score, which at t = 0 is the score of p^(1+s), so s = "
        f"{1 / temp - 1:.3g} would be the same sharpening (this run: s = {c.guidance_scale:g}). For this Gaussian "
        f"target the exact tempered covariance is T_s·C, with ⟨φ⟩ = {exact:.4g} instead of "
        f"{reverse_target(c).mean_energy(shape):.4g}. Guidance applies the t = 0 score at every noise level, so it "
        "over-sharpens: the Tour page's diffusion tour measures by how much."
    )
