"""Energy landscape: pick an energy, see a field drawn from it, its terms, its
spectrum A(k) with the normalisability verdict, and for toys the contours and
score arrows."""

from typing import Any

import streamlit as st

from idf import app as ui
from idf import viz
from idf.app import _common, energy, phi4, presentation, snippet, targets
from idf.energy import ENERGIES, TOYS

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
NO_DISTRIBUTION = "white noise N(0, 1): there is no Boltzmann distribution to sample"


def field_caption(field: energy.DrawnField) -> str:
    """How the shown field was drawn, in words."""
    source = energy.FieldSource
    if field.source is source.WHITE_NOISE:
        return NO_DISTRIBUTION
    if field.source is source.EXACT_QUADRATIC:
        return ("exact sample of the quadratic part (w_th set to 0; the thermal term is bounded, 0 ≤ S ≤ ln N, "
                "and is evaluated on it below)")
    if field.source is source.HMC:
        return (f"HMC sample (ε = {phi4.STEP_SIZE:g}, L = {phi4.NUM_LEAPFROG}, {phi4.BURN_IN + phi4.NUM_STEPS} "
                f"steps; acceptance {field.acceptance:.2f})")
    if field.source is source.MALA:
        return (f"MALA, {energy.MALA_BURN_IN + energy.MALA_STEPS} steps (step size adapted to "
                f"{field.step_size:.3g}, acceptance {field.acceptance:.2f})")
    return "exact sample"


def show_field(field: energy.DrawnField, left: Any, right: Any, terms_title: str) -> tuple[Any, Any]:
    """The field's heatmap in ``left`` and its energy terms in ``right``: returns both figures."""
    fig_field = viz.field_heatmap(field.values, title=f"A field: {field_caption(field)}", wrap=46)  # half width
    left.plotly_chart(fig_field, key="field")
    fig_terms = viz.bar_figure(field.terms, y_title="energy (kT units at kT = 1)", title=terms_title)
    right.plotly_chart(fig_terms, key="terms")
    return fig_field, fig_terms


def custom_page(config: energy.EnergyPageConfig) -> None:
    """The Energy page for a typed φ: parse, probe, one MALA field, its terms."""
    view = energy.custom_view(config)
    ui.status(view.timing)
    if view.error:
        st.error("**The expression was not accepted.** Fix it and press Enter:", icon="🚫")
        st.code(view.error, language=None, wrap_lines=True)
        return
    if view.improper:
        st.error("**No Boltzmann distribution** (heuristic probe):", icon="🚫")
        st.code(view.improper, language=None, wrap_lines=True)
    else:
        st.success("The probe found no direction along which φ runs to −∞ (a heuristic check, not a proof).",
                   icon="✅")
    for line in view.report:
        st.warning(line)
    left, right = st.columns(2)
    fig_field, fig_terms = show_field(view.field, left, right, "φ of this field, split into its top-level terms")
    kT, size, seed = dict(config.params)["kT"], config.size, config.seed
    run_config = {"page": "energy", "energy": "custom", "expr": config.source, "params": config.params_text,
                  "kT": kT, "size": size, "seed": seed}
    ui.downloads.buttons("energy_custom", {"field": view.field.values}, run_config,
                         figures={"field": fig_field, "terms": fig_terms})
    snippet.show([
        "import jax",
        "from idf.energy import parse_energy",
        f"energy = parse_energy({config.source!r}, {energy.parse_params(config.params_text)!r}, kT={kT!r})",
        f"energy.check_normalizable(({size}, {size}))  # raises ImproperEnergyError if φ looks unbounded below",
        f"print(energy.terms(jax.random.normal(jax.random.key({seed}), ({size}, {size}))))",
    ])


st.title("⛰️ Energy landscape")
presentation.apply()  # projector mode and level (URL: ?projector=1, ?level=student)
st.caption("Convention: log p(x) = −φ(x)/kT. A Boltzmann distribution exists only when exp(−φ/kT) "
           "can be normalised.")

top = ui.Controls("energy")
name = top.select("energy", "Energy φ", list(ENERGY_LABELS), energy.DEFAULTS.energy, format_func=ENERGY_LABELS.get)
controls = ui.Controls(f"energy.{name}")
params = {}
for url, field, label, lo, hi, default, step in energy.PARAMS[name]:
    params[field] = controls.slider(url, label, lo, hi, default, step)
source, params_text = energy.DEFAULTS.source, energy.DEFAULTS.params_text
if name == energy.CUSTOM:  # the Arena uses the same boxes and URL names
    source, params_text = targets.custom_text_boxes(controls)
is_toy = name in TOYS
size = energy.DEFAULTS.size if is_toy else top.int_slider("L", "lattice side L (field is L×L)", 4, 64,
                                                         energy.DEFAULTS.size)
seed = top.int_slider("seed", "seed", 0, 999, energy.DEFAULTS.seed)
top.prune(controls)
top.show_warnings()
controls.show_warnings()
config = energy.EnergyPageConfig(name, tuple(sorted(params.items())), size, seed, source, params_text)

if config.is_custom:
    custom_page(config)
    st.stop()

calls_before = _common.calls()
view = energy.energy_view(config)
ui.status(view.timing, cached=_common.calls() == calls_before)

figures = {}
arrays = {}
if is_toy:
    fig = viz.toy_figure(config.build(), view.samples,
                         title=f"{ENERGY_LABELS[name]}: contours of φ/kT and the score direction")
    st.plotly_chart(fig, key="toy")
    if view.samples is None:
        st.info("Exact samples of the toys exist for kT = 1 only.")
    else:
        arrays["samples"] = view.samples
    figures["landscape"] = fig
else:
    if view.improper:
        st.error(f"**No Boltzmann distribution.** {view.improper}", icon="🚫")
    elif view.spectrum is not None:
        st.success(f"Normalisable: min A(k) = {view.a_min:.4g} > 0. Exact mean energy "
                   f"⟨φ⟩ = N·kT/2 = {view.mean_energy:.4g} (equipartition, w_th = 0).", icon="✅")
    else:
        st.success("Normalisable: λ > 0 bounds φ⁴ from below.", icon="✅")
    left, right = st.columns(2)
    fig_field, fig_terms = show_field(view.field, left, right, "φ of this field, split into its terms")
    figures.update(field=fig_field, terms=fig_terms)
    arrays["field"] = view.field.values
    if view.spectrum is not None:
        fig_spec = viz.spectrum_figure(view.spectrum, view.lam,
                                       title="Quadratic spectrum A(k): the energy of each Fourier mode")
        st.plotly_chart(fig_spec, key="spectrum")
        figures["spectrum"] = fig_spec
        arrays["spectrum"] = view.spectrum
    if view.site_potential is not None:
        fig_site = viz.site_potential_figure(energy.SITE_C, view.site_potential,
                                             title="φ of a constant field c, per site (double well when m² < 0)")
        right.plotly_chart(fig_site, key="site")
        figures["site_potential"] = fig_site

run_config = {"page": "energy", "energy": name, **params, "size": size, "seed": seed}
ui.downloads.buttons(f"energy_{name}", arrays, run_config, figures=figures)

cls = ENERGIES[name].__name__
code = ["import jax", f"from idf.energy import {cls}", "",
        f"energy = {snippet.call(cls, **params)}"]
if is_toy:
    code += [f"samples = energy.sample_exact(jax.random.key(0), {energy.TOY_SAMPLES})  # kT = 1 only",
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
                 f"res = run_chains(HMC(step_size={phi4.STEP_SIZE}, num_leapfrog={phi4.NUM_LEAPFROG}), energy, "
                 f"jax.random.key(2), x0, {phi4.NUM_STEPS}, burn_in={phi4.BURN_IN}, thin={phi4.NUM_STEPS})",
                 "x = res.positions[0, -1]"]
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
    "potential is a double well, but the lattice orders into two phases (magnetisation ±|m|, the hard\n"
    "multimodal test) only for small enough λ: at m² = −4 the default λ = 8 is on the symmetric side,\n"
    "λ = 3 broken (the Sampler arena measures U₄ and the sign flips of m for either).\n"
    "",
    [
        ('the three-term energy defines a Boltzmann distribution',
         'only when m² > 4·w_p; the default is improper'),
        ('`jnp.gradient` gives the kinetic term',
         'central differences miss the checkerboard modes; we use forward differences'),
    ],
)
