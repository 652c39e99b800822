"""The start-up warm-up serves the first session: after ``warmup.run()`` every
page's default view is a cache hit (no cached compute runs again) and nothing
is traced again, not even when the pages import what the warm-up did not
(flax pulls in Pallas, whose config states lengthen JAX's trace context and
made every jitted loop retrace once on jax ≥ 0.11). No skip on any jax.

Run in a fresh process so that nothing cached or traced by other tests can
hide a mismatch (it may load XLA programs from the run's compilation cache,
which skips only XLA's compile: tracing and Streamlit's caches are per
process). A second check clears the cache and shows that then the pages do
recompute (so the first check can fail) but still compile nothing. The warm-up
drops the MLIR of what it compiled (``idf.device.release_lowerings``): both
visits also check that no page lowers a program again."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import sys
    import streamlit as st
    from jax._src import config as jax_config
    from streamlit.testing.v1 import AppTest
    from idf import _tracing, device
    from idf.app import _common, warmup
    from idf.app.navigation import page_file

    PAGES = ("home", "energy", "forward", "reverse", "multiscale", "physics", "arena", "training")
    OWN = {"home", "energy", "forward", "reverse", "multiscale", "physics"}  # their computes count _common.ran()
    device.count_lowerings()
    progress = warmup.run(shapes=False)
    assert progress.phase == "done" and not progress.failed, progress
    context = len(jax_config.trace_context())
    assert _tracing.traces("reverse_sample") >= 1 and _tracing.traces("forward_frames") >= 1

    def visit(clear):
        for page in PAGES:
            if clear:
                st.cache_data.clear()
            traces, calls, lowered = _tracing.traces(), _common.calls(), device.count_lowerings()
            at = AppTest.from_file(str(page_file(page)), default_timeout=300).run()
            assert not at.exception, (page, [e.value for e in at.exception])
            assert _tracing.traces() == traces, (page, "traced again", traces, _tracing.traces())
            # the warm-up dropped its lowerings (idf.device.release_lowerings): the pages' programs run
            # from JAX's dispatch cache, none is lowered (or compiled) again
            assert device.count_lowerings() == lowered, (page, "lowered again", device.count_lowerings() - lowered)
            assert len(jax_config.trace_context()) == context, (page, "trace context grew")
            if page in OWN:
                ran = _common.calls() - calls
                assert (ran > 0) if clear else (ran == 0), (page, "computes that ran:", ran)

    visit(clear=False)  # the first session: served from the warm-up's cache
    visit(clear=True)   # cache gone: the pages compute again, and still compile nothing new
    print("WARM-OK")
    """
)


def test_warmup_serves_the_first_session_on_every_page():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, env=env,
                         timeout=900)
    assert out.returncode == 0 and "WARM-OK" in out.stdout, out.stderr[-3000:]
