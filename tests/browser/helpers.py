"""Real-browser helpers shared by the browser tests and their fixtures
(tests/browser/conftest.py): the app server on a free port, Chromium's flags,
waiting for a page to settle, screenshots."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("IDF_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(log_name: str = "streamlit-browser-tests.log", **extra_env: str):
    """A new app server (``python -m idf.app.serve``, as scripts/app.sh runs it) on a free port; yields its base URL
    once /_stcore/health answers ok, and stops it afterwards."""
    port = _free_port()
    env = {**os.environ, "XLA_PYTHON_CLIENT_PREALLOCATE": "false", "PYTHONUNBUFFERED": "1", **extra_env}
    _mkdir()
    log = open(ROOT / "artifacts" / log_name, "w")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "idf.app.serve", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail(f"streamlit did not become healthy within 90 s (see artifacts/{log_name})")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _mkdir() -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)


def app_pages() -> list[tuple[str, str]]:
    """(title, url path) of every page the app lists."""
    from idf.app.navigation import PAGES

    return [(p.title, p.url) for p in PAGES]


def wait_until_idle(pg, timeout_s: float = 180.0) -> None:
    """Wait until the page's title is drawn, its script has stopped running (Streamlit marks the
    app root with ``data-test-script-state``) and no spinner or skeleton is left, for 1 s."""
    pg.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout_s * 1000)
    deadline = time.time() + timeout_s
    quiet_since = None
    while time.time() < deadline:
        state = pg.locator('[data-testid="stApp"]').first.get_attribute("data-test-script-state")
        # skeletons: elements of the run not drawn yet (CI once took a screenshot of a page of them)
        busy = state == "running" or pg.locator('[data-testid="stSpinner"], [data-testid="stSkeleton"]').count() > 0
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.time()
        elif time.time() - quiet_since > 1.0:
            return
        time.sleep(0.2)
    raise AssertionError("the app was still running after the timeout")


def plot_count(scope, at_least: int = 1, timeout_s: float = 30.0) -> int:
    """How many Plotly charts ``scope`` (a page or locator) holds, after waiting up to ``timeout_s`` for
    ``at_least`` of them: Streamlit's script can settle before Plotly has drawn its div on a loaded machine."""
    charts = scope.locator(".js-plotly-plot")
    deadline = time.time() + timeout_s
    while charts.count() < at_least and time.time() < deadline:
        time.sleep(0.2)
    return charts.count()


def screenshot(pg, name: str) -> Path:
    _mkdir()
    path = SHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


# Every chart's legend box against its titles and tick labels, as Plotly drew them.
_LEGEND_HITS_JS = """() => {
  const hits = [];
  const box = (e) => e.getBoundingClientRect();
  const meet = (a, b) => a.width > 0 && b.width > 0 && a.left < b.right && b.left < a.right
                         && a.top < b.bottom && b.top < a.bottom;
  document.querySelectorAll('.js-plotly-plot').forEach((plot, i) => {
    const chart = (plot.querySelector('.gtitle') || {}).textContent || `chart ${i + 1}`;
    const labels = plot.querySelectorAll('.gtitle, [class*="xtitle"], [class*="ytitle"], .annotation-text, '
                                         + '.xtick text, .ytick text');
    plot.querySelectorAll('g.legend').forEach((legend) => {
      const lb = box(legend.querySelector('rect.bg') || legend);
      labels.forEach((t) => { if (meet(lb, box(t))) hits.push(`${chart}: the legend covers "${t.textContent}"`); });
    });
  });
  return [...new Set(hits)];
}"""


def legend_collisions(pg) -> list[str]:
    """Where a chart's legend lies on its title, an axis title, a subplot title or a tick label."""
    return pg.evaluate(_LEGEND_HITS_JS)
