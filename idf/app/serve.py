"""Launch the app: ``python -m idf.app.serve [streamlit options]`` (what
scripts/app.sh runs), the same as ``streamlit run app.py`` but for one thing.

Streamlit takes a folder named ``pages/`` beside the main script for its
legacy multipage layout until ``st.navigation`` has run once in the process.
On a fresh server the first visit to a deep link (``/reverse?eta=0.5``) was
therefore routed by the legacy layout, which does not know our url paths: it
showed "Page not found" before app.py's own navigation took over (or, had a
file stem equalled a url path, ran that page bare, without the app's title and
sidebar). Our ``pages/`` is only the home of the scripts that app.py lists, so
the launcher tells Streamlit so before the first session starts.
tests/browser/test_deep_link.py opens a deep link on a fresh server.

It also turns off Streamlit's full garbage collection after every script run
(``runner.postScriptGC``; an explicit option on the command line still wins).
After the warm-up the heap holds millions of objects (JAX's traced and
compiled programs), so each ``gc.collect(2)`` held the GIL long enough that,
with ten sessions rerunning, the server's event loop waited on it to start the
next script thread and stopped answering page loads (bench/load_test.py,
py-spy). The warm-up freezes what it built out of the collector's reach
(``gc.freeze``); Python's own generational collection still runs.
"""

from __future__ import annotations

import sys

from idf.app.navigation import ROOT


def main(argv: list[str] | None = None) -> int:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    # st.navigation sets this same flag on its first call; we set it before the first session.
    PagesManager.uses_pages_directory = False
    from idf.app import warmup
    from idf.device import configure

    configure()
    warmup.start(wait_for_runtime=True)  # warm as the server starts, not at the first visit (idf.app.warmup)
    args = list(sys.argv[1:] if argv is None else argv)
    if not any(a.startswith("--runner.postScriptGC") for a in args):
        args = ["--runner.postScriptGC", "false", *args]
    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *args]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
