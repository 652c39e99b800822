"""Energy landscape: pick an energy, see a field drawn from it, its terms, its
spectrum A(k) with the normalisability verdict, and for toys the contours and
score arrows."""

import streamlit as st

from idf import app as ui
from idf import viz
from idf.app import _common, energy, snippet, targets
from idf.app.targets import TOY_PARAMS

ENERGY_LABELS = {
    "lattice": "Design document's energy (w_k, w_p, w_th, m²)",
    "gff": "Gaussian free field",
    "phi4": "φ⁴ field theory",
    "banana": "Toy: banana",
    "donut": "Toy: donut",
    "mixture": "Toy: Gaussian mixture (ring)",
    "funnel": "Toy: Neal's funnel",
    "custom": "Custom φ, typed (safe expression language)",
}
# (URL name, library field, label, low, high, default, step) per energy.
PARAMS = {
    "lattice": [("wk", "w_kinetic", "w_k (kinetic weight)", 0.0, 3.0, 1.0, 0.05),
                ("wp", "w_potential", "w_p (interaction weight)", -2.0, 3.0, 1.0, 0.05),
                ("wth", "w_thermal", "w_th (thermal weight)", 0.0, 2.0, 0.1, 0.05),
                ("m2", "mass2", "m² (our mass term)", -2.0, 12.0, 0.0, 0.1),
                ("kT", "kT", "kT (temperature, energy units)", 0.1, 5.0, 1.0, 0.05)],
    "gff": [("gff_m2", "mass2", "m² (mass)", -1.0, 5.0, 1.0, 0.05),
            ("gff_kT", "kT", "kT (temperature)", 0.1, 5.0, 1.0, 0.05)],
    "phi4": [("phi4_m2", "mass2", "m² (negative: double well)", -6.0, 2.0, -4.0, 0.1),
             ("phi4_lam", "coupling", "λ (quartic coupling)", 0.0, 12.0, 8.0, 0.1),
             ("phi4_kT", "kT", "kT (temperature)", 0.2, 3.0, 1.0, 0.05)],
    **TOY_PARAMS,
    "custom": targets.CUSTOM_PARAMS,
}

def custom_page(source: str, params_text: str, kT: float, size: int, seed: int) -> None:
    """The Energy page for a typed φ: parse, probe, one MALA field, its terms."""
    view = energy.custom_view(source, params_text, kT, size, seed)
    ui.status(view["timing"])
    if view["error"]:
        st.error("**The expression was not accepted.** Fix it and press Enter:", icon="🚫")
        st.code(view["error"], language=None, wrap_lines=True)
        return
    if view["improper"]:
        st.error("**No Boltzmann distribution** (heuristic probe):", icon="🚫")
        st.code(view["improper"], language=None, wrap_lines=True)
    else:
        st.success("The probe found no direction along which φ runs to −∞ (a heuristic check, not a proof).",
                   icon="✅")
    for line in view.get("report", []):
        st.warning(line)
    left, right = st.columns(2)
    fig_field = viz.field_heatmap(view["field"], title=f"A field: {view['field_source']}")
    left.plotly_chart(fig_field, key="field")
    fig_terms = viz.bar_figure(view["terms"], y_title="energy (kT units at kT = 1)",
                               title="φ of this field, split into its top-level terms")
    right.plotly_chart(fig_terms, key="terms")
    config = {"page": "energy", "energy": "custom", "expr": source, "params": params_text, "kT": kT,
              "size": size, "seed": seed}
    ui.downloads.buttons("energy_custom", {"field": view["field"]}, config,
                         figures={"field": fig_field, "terms": fig_terms})
    snippet.show([
        "import jax",
        "from idf.energy import parse_energy",
        f"energy = parse_energy({source!r}, {energy.parse_params(params_text)!r}, kT={kT!r})",
        f"energy.check_normalizable(({size}, {size}))  # raises ImproperEnergyError if φ looks unbounded below",
        f"print(energy.terms(jax.random.normal(jax.random.key({seed}), ({size}, {size}))))",
    ])


st.title("⛰️ Energy landscape")
st.caption("Convention: log p(x) = −φ(x)/kT. A Boltzmann distribution exists only when exp(−φ/kT) "
           "can be normalised.")

top = ui.Controls("energy")
name = top.select("energy", "Energy φ", list(ENERGY_LABELS), "lattice", format_func=ENERGY_LABELS.get)
controls = ui.Controls(f"energy.{name}")
params = {}
for url, field, label, lo, hi, default, step in PARAMS[name]:
    params[field] = controls.slider(url, label, lo, hi, default, step)
if name == "custom":
    source, params_text = targets.custom_text_boxes(controls)  # the Arena uses the same boxes and URL names
is_toy = name in ("banana", "donut", "mixture", "funnel")
size = 16 if is_toy else top.int_slider("L", "lattice side L (field is L×L)", 4, 64, 16)
seed = top.int_slider("seed", "seed", 0, 999, 0)
top.prune(controls)
top.show_warnings()
controls.show_warnings()

if name == "custom":
    custom_page(source, params_text, params["kT"], size, seed)
    st.stop()

calls_before = _common.calls()
view = energy.energy_view(name, tuple(sorted(params.items())), size, seed)
ui.status(view["timing"], cached=_common.calls() == calls_before)

figures = {}
arrays = {}
if is_toy:
    fig = viz.toy_figure(energy.make_energy(name, **params), view["samples"],
                         title=f"{ENERGY_LABELS[name]}: contours of φ/kT and the score direction")
    st.plotly_chart(fig, key="toy")
    if view["samples"] is None:
        st.info("Exact samples of the toys exist for kT = 1 only.")
    else:
        arrays["samples"] = view["samples"]
    figures["landscape"] = fig
else:
    if view["improper"]:
        st.error(f"**No Boltzmann distribution.** {view['improper']}", icon="🚫")
    elif "spectrum" in view:
        st.success(f"Normalisable: min A(k) = {view['spectrum'].min():.4g} > 0. Exact mean energy "
                   f"⟨φ⟩ = N·kT/2 = {view['mean_energy']:.4g} (equipartition, w_th = 0).", icon="✅")
    else:
        st.success("Normalisable: λ > 0 bounds φ⁴ from below.", icon="✅")
    left, right = st.columns(2)
    if view["field"] is not None:
        fig_field = viz.field_heatmap(view["field"], title=f"A field: {view['field_source']}")
        left.plotly_chart(fig_field, key="field")
        fig_terms = viz.bar_figure(view["terms"], y_title="energy (kT units at kT = 1)",
                                   title="φ of this field, split into its terms")
        right.plotly_chart(fig_terms, key="terms")
        figures.update(field=fig_field, terms=fig_terms)
        arrays["field"] = view["field"]
    else:
        left.info(f"No field shown: {view['field_source']}.")
    if "spectrum" in view:
        fig_spec = viz.spectrum_figure(view["spectrum"], view["lam"],
                                       title="Quadratic spectrum A(k): the energy of each Fourier mode")
        st.plotly_chart(fig_spec, key="spectrum")
        figures["spectrum"] = fig_spec
        arrays["spectrum"] = view["spectrum"]
    if "site_potential" in view:
        fig_site = viz.site_potential_figure(view["site_c"], view["site_potential"],
                                             title="φ of a constant field c, per site (double well when m² < 0)")
        right.plotly_chart(fig_site, key="site")
        figures["site_potential"] = fig_site

config = {"page": "energy", "energy": name, **params, "size": size, "seed": seed}
ui.downloads.buttons(f"energy_{name}", arrays, config, figures=figures)

cls = {"lattice": "LatticeEnergy", "gff": "GaussianFreeField", "phi4": "Phi4", "banana": "Banana",
       "donut": "Donut", "mixture": "GaussianMixture", "funnel": "Funnel"}[name]
code = ["import jax", f"from idf.energy import {cls}", "",
        f"energy = {snippet.call(cls, **params)}"]
if is_toy:
    code += ["samples = energy.sample_exact(jax.random.key(0), 500)  # kT = 1 only",
             "score = jax.vmap(energy.score)(samples)"]
else:
    code += [f"shape = ({size}, {size})", "reason = energy.improper_reason(shape)  # None when normalisable",
             "print(reason or 'normalisable')"]
    if name != "phi4":
        code += ["A = energy.spectrum(shape)  # A(k) per Fourier mode"]
    if name == "lattice":
        code += ["from idf._pytree import replace",
                 "if reason is None:  # exact samples need w_thermal = 0 (the thermal term is not Gaussian)",
                 f"    x = replace(energy, w_thermal=0.0).sample_exact(jax.random.key({seed}), shape, 1)[0]",
                 "else:  # no Boltzmann distribution: sample_exact would raise ImproperEnergyError",
                 f"    x = jax.random.normal(jax.random.key({seed}), shape)"]
    elif name == "gff":
        code += [f"x = energy.sample_exact(jax.random.key({seed}), shape, 1)[0]  # raises if improper"]
    else:
        code += ["from idf.samplers import HMC, run_chains",
                 "x0 = 0.1 * jax.random.normal(jax.random.key(1), (4, *shape))",
                 "res = run_chains(HMC(step_size=0.1, num_leapfrog=10), energy, jax.random.key(2), x0, 50, "
                 "burn_in=300, thin=50)", "x = res.positions[0, -1]"]
    code += ["print(energy.terms(x))"]
snippet.show(code, {**top.values, **controls.values})

ui.explain.physics(
    "**The document's energy** is φ = w_k·E_k + w_p·E_p + w_th·E_th with E_k = ½Σ(∇x)² (forward differences,\n"
    "periodic), E_p = −Σ_⟨ij⟩ x_i x_j and E_th = kT·S(x), S the Shannon entropy of the shifted, normalised field\n"
    "(bounded: 0 ≤ S ≤ ln N). We add a mass term ½m²Σx².\n"
    "\n"
    "**Exact fact:** E_p = E_k − 2Σx², so the quadratic part is a free field with\n"
    "A(k) = (w_k + w_p)·λ_k + m² − 4·w_p, λ_k = 4sin²(k₁/2) + 4sin²(k₂/2). It is normalisable iff every A(k) > 0,\n"
    "i.e. **m² > 4·w_p** (for w_k + w_p ≥ 0). The document's default (w_k = w_p = 1, no mass) has **no Boltzmann\n"
    "distribution**: a constant field c has φ = −2Nc² → −∞. The thermal term is bounded and cannot save it.\n"
    "\n"
    "**Gaussian free field:** A(k) = λ_k + m²; every Fourier mode is an independent Gaussian with variance kT/A(k).\n"
    "Exact samples, exact ⟨φ⟩ = N·kT/2.\n"
    "\n"
    "**φ⁴** (Albergo–Kanwar–Shanahan convention): φ = Σ[Σ_μ(Δ_μx)² + m²x² + λx⁴]. With m² < 0 the single-site\n"
    "potential is a double well: two phases with magnetisation ±|m|, the hard multimodal test for samplers.\n"
    "",
    [
        ('the three-term energy defines a Boltzmann distribution',
         'only when m² > 4·w_p; the default is improper'),
        ('`jnp.gradient` gives the kinetic term',
         'central differences miss the checkerboard modes; we use forward differences'),
    ],
)
