"""IDF Explorer: the Streamlit entry point. Pages are listed here, once."""

from pathlib import Path

import streamlit as st

from idf.device import configure

configure()  # before any JAX work: GPU memory sharing, persistent compile cache

from idf.ui import warmup  # noqa: E402

warmup.start()  # once per process: compile the default views in the background

st.set_page_config(page_title="IDF Explorer", page_icon=":material/thermostat:", layout="wide")

HERE = Path(__file__).parent
# (file, title, icon, url path). A page whose file is not there yet is skipped.
PAGE_TABLE = [
    ("app_pages/home.py", "Home", ":material/home:", "home"),
    ("app_pages/energy.py", "Energy landscape", ":material/landscape:", "energy"),
    ("app_pages/forward.py", "Forward diffusion", ":material/arrow_forward:", "forward"),
    ("app_pages/reverse.py", "Reverse diffusion", ":material/arrow_back:", "reverse"),
    ("app_pages/arena.py", "Sampler arena", ":material/compare:", "arena"),
    ("app_pages/multiscale.py", "Multi-scale", ":material/zoom_in:", "multiscale"),
    ("app_pages/training.py", "Training", ":material/model_training:", "training"),
    ("app_pages/physics.py", "Physics checks", ":material/verified:", "physics"),
]

pages = [
    st.Page(str(HERE / path), title=title, icon=icon, url_path=url, default=(url == "home"))
    for path, title, icon, url in PAGE_TABLE
    if (HERE / path).exists()
]
st.navigation(pages).run()
