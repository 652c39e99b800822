"""Home: what IDF Explorer is, for whom, which device JAX runs on, and the pages."""

import streamlit as st

from idf import app as ui
from idf import viz
from idf.app import home, presentation

st.title("🌡️ IDF Explorer")
presentation.apply()  # projector mode and level (URL: ?projector=1, ?level=student)
st.markdown(
    "A browser lab for **physics-informed diffusion and Boltzmann sampling on 2-D lattice fields**, built on "
    "the `idf` JAX library. It takes the design document *IDF Architecture* at its word — an energy φ(x), "
    "forward and reverse diffusion guided by it, Boltzmann samplers — and shows, next to every claim, what is "
    "exactly true. The targets are Gaussian free fields (exact samples, exact entropy, exact KL) and φ⁴ theory, "
    "so the GFF's numbers are checked against exact answers; φ⁴ against long HMC runs with error "
    "bars and exact symmetries. Energies you type and fields you upload have no known answer: "
    "their numbers are measurements only."
)
left, right = st.columns([3, 2])
with left:
    st.markdown(
        "**For whom:** physicists and ML researchers who want to *see* diffusion and MCMC on fields; teachers "
        "running a live demo; anyone tuning a schedule, a guidance scale or a temperature quickly.\n\n"
        "**Pages**\n"
        "- ⛰️ **Energy landscape** — pick φ (the document's energy, GFF, φ⁴, 2-D toys); see a field, its terms, "
        "the spectrum A(k) and whether a Boltzmann distribution exists at all.\n"
        "- ➡️ **Forward diffusion** — schedules, ᾱ and SNR, the noising animation, exact entropy H(t) and "
        "KL(q_t‖N(0,I)).\n"
        "- ⬅️ **Reverse diffusion** — DDPM/DDIM with exact, energy-only (or U-Net) denoisers, guidance, "
        "temperature, the rescaling constraint; samples scored against the exact target.\n"
        "- ⚔️ **Sampler arena** — ULA, MALA, MH, HMC, NUTS and diffusion side by side on the same seeds, with "
        "acceptance, ESS, R̂, ΔH and the KL to the exact target.\n"
        "- 🔍 **Multi-scale** — coarse-to-fine generation (SDEdit or the exact cascade), the power spectrum of "
        "every scale against the exact one, and inpainting.\n"
        "- 🧠 **Training** — train a small U-Net live or load a shipped one, and score it against the exact "
        "denoiser.\n"
        "- ✅ **Physics checks** — the library's exact checks as badges with number, tolerance and n.\n\n"
        "Every control is in the sidebar and in the URL: copy the address bar to share the exact view. "
        "Each page offers its data (.npz), its figures (.png), its animation (.gif) and the Python that "
        "reproduces it."
    )
    st.info(f"JAX runs on **{ui.device_label()}** · {ui.versions()}", icon="🖥️")
with right:
    pic = home.HomeConfig()
    field = home.gff_picture(pic)
    st.plotly_chart(viz.field_heatmap(field, title=f"A Gaussian free field, {pic.size}×{pic.size}, "
                                                   f"m² = {pic.mass2:g} (exact sample)"), key="picture")
ui.status(None)
