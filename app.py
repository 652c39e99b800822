"""IDF Explorer: the Streamlit entry point. The pages are listed once, in
idf/app/navigation.py."""

import streamlit as st

from idf.device import configure, release_new_lowerings

configure()  # before any JAX work: GPU memory sharing, persistent compile cache

from idf.app import warmup  # noqa: E402
from idf.app.navigation import PAGES  # noqa: E402

warmup.start()  # once per process: compile the default views in the background

# No page_title: the browser tab shows the current page's own title (st.Page), e.g. "Reverse diffusion".
# Projector mode starts with the sidebar folded, so a chart is above the fold at 1280×720.
projector = st.query_params.get("projector", "0").strip().lower() in ("1", "true", "yes", "on")
st.set_page_config(page_icon=":material/thermostat:", layout="wide",
                   initial_sidebar_state="collapsed" if projector else "auto")

pages = [st.Page(str(p.path), title=p.title, icon=p.icon, url_path=p.url, default=(p.url == "home"))
         for p in PAGES]
st.navigation(pages).run()
release_new_lowerings()  # what this run compiled stays compiled; its MLIR modules go (idf.device)
