"""The Sampler arena page's sidebar (widgets bound to the URL, read into one
``ArenaConfig``), the run's configuration for the downloads and the
reproduce-in-Python snippet. The page script itself only draws."""

from __future__ import annotations

from typing import Any, NamedTuple

from idf.app import snippet
from idf.app.arena import dmh_checkpoint_for, dmh_counts, is_gaussian_target, unet_checkpoint_for
from idf.app.arena_config import (
    BURN_IN_RANGE,
    CHAINS_RANGE,
    DEFAULT_INFERENCE_STEPS,
    DMH,
    DMH_CHECKPOINT,
    DMH_INFERENCE_STEPS,
    IID,
    INFERENCE_RANGE,
    LEAPFROG_RANGE,
    MCMC,
    SAMPLER_HELP,
    SAMPLER_LABELS,
    SIZE_RANGE,
    STEPS_RANGE,
    ArenaConfig,
)
from idf.app.arena_controls import ArenaControls
from idf.app.arena_custom import CUSTOM, check_custom, custom_code, custom_config
from idf.app.arena_targets import PHI4_PRESETS, TARGET_LABELS, is_toy, step_family
from idf.app.targets import CUSTOM_PARAMS, TOY_PARAMS, custom_text_boxes

DEFAULTS = ArenaConfig()
# (URL name, library field, label, low, high, default, step) per target.
PARAMS = {
    "gff": [
        ("gff_m2", "mass2", "m² (mass)", 0.05, 5.0, dict(DEFAULTS.params)["mass2"], 0.05),
        ("gff_kT", "kT", "kT (temperature)", 0.1, 5.0, dict(DEFAULTS.params)["kT"], 0.05),
    ],
    "lattice": [
        ("wk", "w_kinetic", "w_k (kinetic weight)", 0.0, 3.0, 1.0, 0.05),
        ("wp", "w_potential", "w_p (interaction weight)", -2.0, 3.0, 1.0, 0.05),
        ("wth", "w_thermal", "w_th (thermal weight; 0 keeps it Gaussian)", 0.0, 2.0, 0.0, 0.05),
        ("m2", "mass2", "m² (our mass term; proper iff m² > 4·w_p)", -2.0, 12.0, 5.0, 0.1),
        ("kT", "kT", "kT (temperature)", 0.1, 5.0, 1.0, 0.05),
    ],
    "phi4": [],  # the phase preset sets m² and λ below
    **TOY_PARAMS,
    CUSTOM: CUSTOM_PARAMS,
}


class PageState(NamedTuple):
    """What the sidebar read: ``config`` (the runs), the target's slider values
    ``params`` (by library field), ``custom`` (``check_custom``'s verdict for a
    typed φ, else None), the ``controls`` (for warnings and the snippet), and
    whether the target is a toy, Gaussian (exact references) and has a U-Net."""

    config: ArenaConfig
    params: dict[str, float]
    custom: dict[str, Any] | None
    controls: list[ArenaControls]
    toy: bool
    gaussian: bool
    unet: str | None


def sidebar() -> PageState:
    """Draw the sidebar and read it (defaults: ``ArenaConfig()``). The config's
    ``step_sizes`` are empty: the ε controls are the columns' (``with_columns``)."""
    d = DEFAULTS
    top = ArenaControls("arena")
    target = top.select("target", "target φ", list(TARGET_LABELS), d.target, format_func=TARGET_LABELS.get)
    toy = is_toy(target)
    tc = ArenaControls(f"arena.{target}")
    params = {f: tc.slider(url, label, lo, hi, dflt, step) for url, f, label, lo, hi, dflt, step in PARAMS[target]}
    pc = tc
    if target == "phi4":
        phase = tc.select(
            "phase", "φ⁴ phase preset (8×8, kT = 1)", list(PHI4_PRESETS), "symmetric",
            format_func=lambda p: f"{p}: m² = {PHI4_PRESETS[p][0]:g}, λ = {PHI4_PRESETS[p][1]:g}",
        )  # fmt: skip
        pc = ArenaControls(f"arena.phi4.{phase}")
        params["mass2"] = pc.slider("phi4_m2", "m²", -6.0, 2.0, PHI4_PRESETS[phase][0], 0.1)
        params["coupling"] = pc.slider("phi4_lam", "λ (quartic coupling)", 0.5, 12.0, PHI4_PRESETS[phase][1], 0.1)
    if target == CUSTOM:
        source, params_text = custom_text_boxes(tc)
    size = 2 if toy else top.int_slider("L", "lattice side L (field is L×L)", *SIZE_RANGE[:2], d.size, SIZE_RANGE[2])
    # A typed φ is parsed and probed first; its cache key is the text and the numbers (None when rejected).
    custom = check_custom(source, params_text, params["kT"], size) if target == CUSTOM else None
    ptuple = custom["params"] if custom else tuple(sorted(params.items()))
    gaussian = not toy and is_gaussian_target(target, ptuple)
    unet = None if toy else unet_checkpoint_for(target, ptuple, size)
    dmh = None if toy else dmh_checkpoint_for(target, ptuple, size)
    options = list(MCMC) + (["diffusion"] if gaussian else []) + (["unet"] if unet else []) + ([DMH] if dmh else [])
    chosen = top.multiselect(
        "samplers", "samplers (2 to 4, side by side)", options, list(d.samplers), 4,
        format_func=lambda s: f"{SAMPLER_LABELS[s]}: {SAMPLER_HELP[s]}",
    )  # fmt: skip
    family = step_family(target)
    sc = ArenaControls(f"arena.{family}")
    inference, leapfrog = {}, d.num_leapfrog  # the ε controls sit in the samplers' columns (arena_columns)
    for name in chosen:
        label = SAMPLER_LABELS[name]
        if name in IID:
            inference[name] = sc.int_slider(
                f"{name}_steps", f"{label}: inference steps (DDIM)", *INFERENCE_RANGE[:2], DEFAULT_INFERENCE_STEPS,
                INFERENCE_RANGE[2],
            )
        elif name == "hmc":
            lo, hi, step = LEAPFROG_RANGE
            leapfrog = sc.int_slider("L_hmc", "HMC: leapfrog steps L", lo, hi, d.num_leapfrog, step)
    config = ArenaConfig(
        target=target,
        params=ptuple,
        size=size,
        samplers=tuple(chosen),
        num_leapfrog=leapfrog,
        inference_steps=tuple(inference.items()),
        chains=top.int_slider("chains", "chains C", *CHAINS_RANGE[:2], d.chains, CHAINS_RANGE[2]),
        steps=top.int_slider("steps", "steps per chain (after burn-in)", *STEPS_RANGE[:2], d.steps, STEPS_RANGE[2]),
        burn_in=top.int_slider("burn", "burn-in steps (discarded)", *BURN_IN_RANGE[:2], d.burn_in, BURN_IN_RANGE[2]),
        adapt=top.toggle(
            "adapt", "adapt step sizes during burn-in (target acceptance 0.8)", d.adapt,
            help="dual averaging; not for ULA (no acceptance probability) or diffusion",
        ),
        seed=top.int_slider("seed", "seed", 0, 999, d.seed),
    )  # fmt: skip
    if target == "phi4" and not dmh:
        top.container.caption(f"{SAMPLER_LABELS[DMH]} is offered only on 8×8 φ⁴ in the broken phase (m² = −4, "
                              f"λ = 3, kT = 1): the target its shipped checkpoint ({DMH_CHECKPOINT}) was trained on.")
    controls = [top, tc] + ([pc] if pc is not tc else []) + [sc]
    for c in controls:
        c.show_warnings()
    return PageState(config, params, custom, controls, toy, gaussian, unet)


def with_columns(state: PageState, config: ArenaConfig, column_controls: list[ArenaControls] | None) -> PageState:
    """The state once the samplers' columns drew their ε controls: their ε in
    ``config``, their controls beside the sidebar's, and the URL pruned of
    anything no control published (call after every control is drawn).
    ``column_controls`` None: the page stops before its columns (an error); the
    URL keeps its ε values (``eps_*``) for when the error is fixed."""
    controls = state.controls + (column_controls or [])
    kept = ArenaControls("arena.kept")
    if column_controls is None:
        import streamlit as st

        kept.values = {k: None for k in st.query_params if k.startswith("eps_")}
    controls[0].prune(*controls[1:], kept)
    return state._replace(config=config, controls=controls)


def run_config(state: PageState) -> dict[str, Any]:
    """The run's configuration for the .npz file."""
    c = state.config
    return {
        "page": "arena",
        "target": c.target,
        **(custom_config(c.params) if state.custom else state.params),
        "size": c.size,
        "samplers": ",".join(c.samplers),
        **{f"step_{n}": c.step_size(n) for n in c.samplers if n not in IID},
        **{f"step_{n}": 0.0 for n in c.samplers if n in IID},
        "leapfrog": c.num_leapfrog if "hmc" in c.samplers else 0,
        "chains": c.chains,
        "steps": c.steps,
        "burn_in": c.burn_in,
        "adapt": c.adapt,
        "seed": c.seed,
    }


def reproduce_code(state: PageState) -> list[str]:
    """The reproduce-in-Python lines of the run."""
    c = state.config
    code = [
        "import jax",
        f"from idf.energy import {'parse_energy' if state.custom else 'make_energy'}",
        "from idf.samplers import make_sampler, run_chains",
        "from idf import diagnostics",
        "",
        *(
            custom_code(c.params, c.size)
            if state.custom
            else [f"energy = {snippet.call('make_energy', c.target, **state.params)}"]
        ),
        f"key_init, key_run = jax.random.split(jax.random.key({c.seed}))",
        (
            f"x0 = jax.random.normal(key_init, ({c.chains}, 2))"
            if state.toy
            else f"x0 = 0.5 * jax.random.normal(key_init, ({c.chains}, {c.size}, {c.size}))"
        ),
    ]
    for name in c.samplers:
        if name == "unet":
            code += [
                f"# U-Net: den, info = idf.models.load_denoiser({state.unet!r}); sample(..., den, "
                f"<info['schedule']>, inference_steps={c.inference_steps_of(name)})"
            ]
        elif name == DMH:
            burn, kept = dmh_counts(c.chains, c.steps)
            code += [
                f"den, info = idf.models.load_denoiser(idf.io.ASSETS / {DMH_CHECKPOINT!r}); "
                "sched = idf.diffusion.make_schedule(**info['schedule'])",
                f"run = idf.samplers.diffusion_mh_chains(jax.random.key({c.seed}), den, sched, energy, "
                f"({c.size}, {c.size}), {c.chains}, {kept}, inference_steps={DMH_INFERENCE_STEPS}, burn_in={burn}, "
                "batch=512)",
                "print('diffusion_mh', run.acceptance)",
            ]
        elif name == "diffusion":
            code += [
                "# diffusion: idf.samplers.diffusion_chains(jax.random.key(seed), ExactGaussianDenoiser(energy), "
                f"make_schedule('cosine', 1000), energy, ({c.size}, {c.size}), {c.chains}, {c.steps}, "
                f"inference_steps={c.inference_steps_of(name)})"
            ]
        else:
            leap = c.num_leapfrog if name == "hmc" else 10
            code += [
                f"res = run_chains({snippet.call('make_sampler', name, c.step_size(name), leap)}, energy, key_run, "
                f"x0, {c.steps}, burn_in={c.burn_in}, adapt={c.adapt and name != 'langevin'})",
                f"print({name!r}, float(res.accepted.mean()), diagnostics.ess_bulk(res.energy))",
            ]
    return code


PHYSICS = r"""
**Same seed, same start.** Every sampler gets the same starting points (lattice: 0.5·N(0, 1) fields; toys: N(0, I))
and the same PRNG key, exactly as `idf sample --seed` does, so the numbers here equal the command line's.

**Detailed balance.** MH, MALA and HMC accept or reject, so the target is their exact stationary law. The document's
Langevin update x′ = x + (ε/2)∇log p(x) + √ε·z (**ULA**) never rejects: it has **no detailed balance** and is
biased. For a free field each Fourier mode is an AR(1) process with stationary variance
**kT/[A(1 − εA/(4kT))]** instead of kT/A, unstable once εA ≥ 4kT. The KL chart shows ULA flattening at this exact
bias while MALA and HMC keep falling with n.

**KL has a finite-sample bias.** The Fourier-diagonal KL of n i.i.d. draws is ≈ (N + n_self)/(4n) even for a
perfect sampler (N = number of modes, n_self = 4 self-conjugate ones on an even lattice); correlated MCMC draws
count as n/τ̄, τ̄ the mean τ_int of the modes' power |x̂_k|². "KL < 0.1" means nothing without n.

**HMC energy conservation.** Leapfrog is symplectic and reversible but not exact: ΔH per trajectory is the energy
error, rms ΔH ∝ ε² at fixed trajectory length (run the sweep), and ⟨e^{−ΔH}⟩ = 1 exactly in equilibrium.
A transition with ΔH > 1000 kT is *divergent* (BlackJAX's meaning: counted, rejected); a non-finite φ, gradient or ΔH
freezes the chain, which is reported above, never plotted as NaN.

**φ⁴ phases (8×8, kT = 1, AKS convention).** m² = −4, λ = 8 is on the *symmetric* side (m flips sign often;
Binder U₄ well below the ordered ⅔: see the table); m² = −4, λ = 3 is *broken*: two modes at m = ±⟨|m|⟩.
Local samplers, HMC included, **freeze in one
mode**: P(m > 0) = ½ exactly by symmetry, but every chain reports 0 or 1. The reference histogram is a long HMC run
symmetrised by Z₂.

**Equipartition.** ⟨x·∇φ⟩ = N·kT for any proper energy (integrate by parts): a check that needs no exact samples.

**A typed φ** (custom target) is parsed by a whitelist, never run as Python, and probed for directions where it falls
without bound before any sampler runs. It has no exact answer: the samplers agreeing with each other, R̂ ≈ 1 and
equipartition are the evidence, and they cannot see a mode that no chain visits.

| the document claims | what is true (measured above) |
|---|---|
| Langevin, MH and HMC all sample the Boltzmann distribution | only the Metropolis-adjusted ones; ULA's bias is exact |
| "detailed balance" as a physics constraint | a property of the accept/reject step, not of the energy |
| KL < 0.1 | depends on n: report n (or ESS) beside every KL |
"""  # the page's "physics" expander (Markdown)
