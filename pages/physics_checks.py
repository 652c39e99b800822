"""Physics checks: the library's exact checks, run on demand, as badges with
their number, tolerance and sample size (idf.checks)."""

import streamlit as st

from idf import app as ui
from idf import checks, viz
from idf.app import presentation
from idf.app.physics import PhysicsConfig, entropy_curves

st.title("✅ Physics checks")
presentation.apply()  # projector mode and level (URL: ?projector=1, ?level=student)
st.caption("Each badge runs a piece of the library as it is now against an exact answer. "
           "Change the code, press the button, and see at once what broke.")

D = PhysicsConfig()  # the page's defaults
controls = ui.Controls("physics")
seed = controls.int_slider("seed", "seed of the statistical checks", 0, 99, D.seed)
kT = controls.slider("kT", "kT of the GFF in the entropy plot", 0.2, 8.0, D.kT, 0.1,
                     help="H(t) rises only in modes whose variance P_k = kT/A(k) is below 1.")
controls.show_warnings()
ui.status(None)

cfg = PhysicsConfig(seed=seed, kT=kT)
curves = entropy_curves(cfg)
left, right = st.columns(2)
left.plotly_chart(viz.line_figure(curves.t, curves.entropy, x_title="diffusion step t", y_title="H(t) (nats)",
                                  title=f"Exact entropy of q_t, {cfg.size}×{cfg.size} GFF, m² = {cfg.mass2:g}, "
                                        f"kT = {kT:g}"), key="entropy")
right.plotly_chart(viz.line_figure(curves.t, curves.kl, x_title="diffusion step t",
                                   y_title="KL(q_t ‖ N(0, I)) (nats)", title="Exact KL to the prior: never rises",
                                   log_y=True), key="kl")
st.caption("Share of steps on which H(t) rises: "
           + ", ".join(f"{k} {v:.0%}" for k, v in curves.entropy_rises.items())
           + f". KL rises on {curves.kl_rising_steps} steps.")

# A fragment: choosing or running checks reruns only this section, not the entropy plots above.
@st.fragment
def checks_section(seed: int) -> None:
    st.subheader("Checks")
    names = [c.__name__ for c in checks.CHECKS]
    results = st.session_state.setdefault("physics.results", {})
    run_all = st.button("Run all checks", type="primary", help="About two minutes on a 2-core CPU.")
    chosen = st.multiselect("…or run these", names, format_func=lambda n: n.replace("_", " "))
    run_some = st.button("Run selected") if chosen else False
    todo = names if run_all else (chosen if run_some else [])
    if todo:
        bar = st.progress(0.0, text="starting")
        for i, name in enumerate(todo):
            bar.progress(i / len(todo), text=f"running {name.replace('_', ' ')} ({i + 1}/{len(todo)})")
            results[(name, seed)] = checks.run_check(getattr(checks, name), seed)
        bar.progress(1.0, text="done")

    BADGE = {"pass": ("✅ pass", st.success), "fail": ("❌ fail", st.error), "truth": ("ℹ️ measured truth", st.info)}
    rows = []
    for name in names:
        result = results.get((name, seed))
        if result is None:
            st.markdown(f"⬜ **{name.replace('_', ' ')}** — not run yet (seed {seed})")
            continue
        label, show = BADGE[result.status]
        show(f"**{label} · {result.name}**  \nvalue **{result.value:.4g}** · tolerance {result.tolerance:.4g} · "
             f"n = {result.n} · {result.seconds:.1f} s  \n{result.detail}")
        rows.append({"check": result.name, "status": result.status, "value": result.value,
                     "tolerance": result.tolerance, "n": result.n, "seconds": round(result.seconds, 2),
                     "detail": result.detail, "seed": seed})
    if rows:
        csv = "\n".join([",".join(rows[0])] + [",".join(f'"{v}"' for v in r.values()) for r in rows])
        st.download_button("⬇ results (.csv)", csv, file_name=f"physics_checks_seed{seed}.csv", mime="text/csv")


checks_section(seed)

with st.expander("What these checks prove, and what the design document claimed"):
    st.markdown(
        """
- **DDIM = exact recursion.** With the exact denoiser for Gaussian data every reverse step is
  linear-Gaussian, x ← g·x + σ·z per Fourier mode, so the output variance follows
  v ← g²·v + σ² exactly. The sampled variances must match within statistical error.
- **KL(q_t ‖ N(0, I)) never rises**: each mode's variance ᾱP_k + 1 − ᾱ moves monotonically to 1.
- **Entropy monotonicity is false in general**: the exact H(t) = ½Σ ln 2πe(ᾱP_k + 1 − ᾱ)
  rises only in modes with P_k < 1. Move kT above: at kT = 1 it rises, at kT = 5 it falls, at kT = 4
  it does both.
- **The document's default energy** (w_k = w_p = 1, no mass) is unbounded below along the constant
  mode (φ = −2Nc²): there is no Boltzmann distribution until m² > 4·w_p.
- **Detailed balance** holds for MH, MALA and HMC, not for unadjusted Langevin, whose stationary law
  per GFF mode is kT/[A(1 − εA/(4kT))]: the check shows the KL to the target is large and the KL to
  that exact biased law small.
- **"Energy conservation"**: diffusion and Langevin conserve nothing. What is conserved up to O(ε²)
  is the Hamiltonian along an HMC trajectory: rms ΔH ∝ ε², and ⟨e^{−ΔH}⟩ = 1 exactly.
- **KL < 0.1 claims** mean nothing without n: every KL here comes with its sample size, and the
  Fourier-diagonal estimator's own bias is about (N + n_self)/(4n) for n i.i.d. draws
  (n_self = 4 self-conjugate modes on an even lattice); correlated chains count as n/τ̄.
"""
    )
