"""Browser latency: keypress on a slider → settled page, per page and control type, on a fresh, warm server.

    .venv/bin/python bench/browser_latency.py [--reps 5] [--pages reverse,forward] [--out bench/browser_latency.json]

Starts a fresh server (``python -m idf.app.serve``), waits until its sidebar
says "Warm-up done" (idf.app.warmup), then in headless Debian chromium
(Playwright, the flags of tests/browser/conftest.py) opens every page in a new
session (its first view) and presses → or ← on each listed slider, ``--reps``
times, so that every repetition is a value not seen before. Latency = key
press → the page has settled (Streamlit's ``data-test-script-state`` not
running, no skeleton or spinner, for 100 ms; the 100 ms are not counted). It
also counts the websocket bytes each change sends to the browser, and when the
last of them arrived: keypress → last byte is the server's share (its script,
the charts' JSON, sending), the rest is the browser's (drawing, layout). Prints
p50/p90 per page × control type against issue 14's targets and writes the JSON
that bench/report.py renders into the README. About 5–8 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LOGS = ROOT / "artifacts"  # the server's log (git-ignored)
CHROMIUM = os.environ.get("IDF_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Issue 14's targets (seconds): continuous p50/p90, count/shape every value, first view once warm.
TARGETS = {"continuous": {"p50": 0.25, "p90": 0.40}, "count": {"max": 0.80}, "first view": {"max": 3.0}}
# Page → control type → slider labels (as the sidebar shows them).
CONTROLS: dict[str, dict[str, list[str]]] = {
    "home": {},
    "energy": {"continuous": ["kT"], "count": ["lattice side L"]},
    "forward": {"continuous": ["GFF m² (data and metric φ)", "β_end"],
                "count": ["lattice side L", "training steps T", "batch size B (fields diffused together)"]},
    "reverse": {"continuous": ["guidance scale s", "sampling temperature T_s"],
                "count": ["lattice side L", "inference steps S", "batch size n"]},
    "arena": {"continuous": ["MALA: step size ε"], "count": ["lattice side L", "steps per chain", "chains C"]},
    "multiscale": {"continuous": ["t* (SDEdit start, fraction of T)", "kT"],
                   "count": ["reverse steps per scale", "batch size n"]},
    "training": {},
    "physics": {"continuous": ["kT of the GFF in the entropy plot"], "count": []},
}
RUNNING_JS = """() => document.querySelector('[data-testid="stApp"]')
  ?.getAttribute('data-test-script-state') === 'running'"""
SETTLED_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') === 'running') return false;
  return !document.querySelector('[data-testid="stSkeleton"], [data-testid="stSpinner"]');
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(log_path: Path, **env: str) -> tuple[subprocess.Popen, str]:
    """A fresh ``python -m idf.app.serve`` on a free loopback port, once /_stcore/health answers."""
    port = free_port()
    log_path.parent.mkdir(exist_ok=True)
    log = open(log_path, "w")  # noqa: SIM115 - the child writes it until it ends
    proc = subprocess.Popen(
        [sys.executable, "-m", "idf.app.serve", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         # as a deployed server runs: an edit to the tree must not re-import modules mid-measurement
         "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "XLA_PYTHON_CLIENT_PREALLOCATE": "false", "PYTHONUNBUFFERED": "1", **env},
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc, base
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"server did not start (see {log_path})")


def stop(proc: subprocess.Popen) -> None:
    """Stop the server: SIGTERM, then SIGKILL if it is still compiling after 20 s."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=20)


async def settle(page, timeout: float, quiet: float = 0.1) -> float:
    """Wait until the page is settled for ``quiet`` s; returns the monotonic time it became settled."""
    deadline = time.monotonic() + timeout
    since = None
    while time.monotonic() < deadline:
        if await page.evaluate(SETTLED_JS):
            since = since or time.monotonic()
            if time.monotonic() - since >= quiet:
                return since
        else:
            since = None
        await asyncio.sleep(0.02)
    raise TimeoutError(f"not settled within {timeout:g} s")


async def wait_for_warmup(browser, base: str, timeout: float) -> tuple[float, bool]:
    """Reload the Home page until its sidebar says "Warm-up done" or ``timeout`` s have passed;
    returns (seconds waited, whether it was done)."""
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await context.new_page()
    start = time.monotonic()
    try:
        while time.monotonic() - start < timeout:
            await page.goto(f"{base}/home")
            await page.wait_for_selector('[data-testid="stMain"] h1', timeout=120_000)
            await settle(page, 120)
            if await page.get_by_text("Warm-up done").count():
                return time.monotonic() - start, True
            await asyncio.sleep(5)
        return time.monotonic() - start, False
    finally:
        await context.close()


def slider_thumb(page, label: str):
    """The slider labelled ``label``, in the sidebar or the page (the Arena's step sizes sit in its
    sampler columns)."""
    box = page.locator('[data-testid="stApp"] [data-testid="stSlider"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=label)).first
    return box.locator('input[type="range"]').first  # react-aria: a hidden range input in each thumb


class Bytes:
    """Websocket bytes the server sends to one page."""

    def __init__(self, page) -> None:
        self.total = 0
        self.last = 0.0  # monotonic time of the latest frame
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload) -> None:
        self.total += len(payload)
        self.last = time.monotonic()


async def press_reps(page, sent: Bytes, label: str, reps: int, timeout: float) -> list[dict]:
    """Press one slider ``reps`` times towards its farther end (every value new)."""
    thumb = slider_thumb(page, label)
    await thumb.wait_for(timeout=30_000)
    now, lo, hi = (float(v) for v in await thumb.evaluate("e => [e.value, e.min, e.max]"))
    key = "ArrowRight" if hi - now >= now - lo else "ArrowLeft"
    out = []
    for _ in range(reps):
        thumb = slider_thumb(page, label)
        await thumb.focus()
        before = sent.total
        t0 = time.monotonic()
        await thumb.press(key)
        # Under load the rerun may start late: wait until it has (script running, or bytes arrived).
        started = time.monotonic() + 3.0
        while sent.total == before and time.monotonic() < started and not await page.evaluate(RUNNING_JS):
            await asyncio.sleep(0.02)
        try:
            done = await settle(page, timeout)
            # The last frame's arrival splits the latency: before it the server computes and sends,
            # after it the browser renders (its script state, charts, layout).
            out.append({"s": done - t0, "bytes": sent.total - before,
                        "last_frame_s": max(sent.last - t0, 0.0) if sent.total > before else None})
        except TimeoutError as err:
            out.append({"s": None, "error": str(err)})
        if await page.locator('[data-testid="stException"]').count():
            out[-1]["error"] = "exception box"
    return out


async def measure(base: str, pages: list[str], reps: int, timeout: float, warm_timeout: float) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        warm_s, warm_done = await wait_for_warmup(browser, base, warm_timeout)
        print(f"warm-up {'done' if warm_done else 'NOT done'} after {warm_s:.0f} s", flush=True)
        results: dict = {"warmup_wait_s": warm_s, "warmup_done": warm_done, "pages": {}}
        for name in pages:
            context = await browser.new_context(viewport={"width": 1400, "height": 1000})
            page = await context.new_page()
            sent = Bytes(page)
            t0 = time.monotonic()
            await page.goto(f"{base}/{name}")
            await page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout * 1000)
            entry: dict = {"first_view_s": await settle(page, timeout) - t0, "first_view_bytes": sent.total,
                           "controls": {}}
            for kind, labels in CONTROLS.get(name, {}).items():
                for label in labels:
                    try:
                        entry["controls"][label] = {"type": kind,
                                                    "reps": await press_reps(page, sent, label, reps, timeout)}
                    except Exception as err:  # a missing slider is reported, the run goes on
                        entry["controls"][label] = {"type": kind, "reps": [], "error": repr(err)[:200]}
            results["pages"][name] = entry
            await context.close()
            print(f"{name}: first view {entry['first_view_s']:.2f} s", flush=True)
        await browser.close()
    return results


def summarize(results: dict) -> list[dict]:
    """Rows page × control type: p50, p90, max latency, bytes per change, against the targets."""
    import numpy as np

    rows = []
    for name, entry in results["pages"].items():
        first = entry["first_view_s"]
        rows.append({"page": name, "type": "first view", "n": 1, "p50": first, "p90": first, "max": first,
                     "kib": entry["first_view_bytes"] / 1024, "ok": first <= TARGETS["first view"]["max"]})
        for kind in ("continuous", "count"):
            reps = [r for c in entry["controls"].values() if c["type"] == kind for r in c["reps"]]
            if not reps:
                continue
            # A press after which the server sent nothing changed no value (a slider at its end, a stopped
            # page): it is not a latency, and it counts as an error of the bench.
            moved = [r for r in reps if r.get("s") is not None and not r.get("error") and r.get("bytes", 1) > 0]
            s = np.array([r["s"] for r in moved])
            errors = len(reps) - len(moved)
            row = {"page": name, "type": kind, "n": len(reps), "errors": errors,
                   "p50": float(np.percentile(s, 50)) if s.size else None,
                   "p90": float(np.percentile(s, 90)) if s.size else None,
                   "max": float(s.max()) if s.size else None,
                   "kib": float(np.median([r.get("bytes", 0) for r in moved])) / 1024 if moved else 0.0}
            # keypress → the last byte the server sent: the server's share (compute, charts, sending);
            # the rest of the latency is the browser's (drawing, layout)
            last = [r["last_frame_s"] for r in moved if r.get("last_frame_s") is not None]
            row["last_byte_p50"] = float(np.median(last)) if last else None
            t = TARGETS[kind]
            row["ok"] = bool(s.size) and not errors and all(row[k] <= v for k, v in t.items())
            rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5, help="presses per slider (each a new value)")
    parser.add_argument("--pages", default=",".join(CONTROLS), help="comma-separated url paths")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--warmup-timeout", type=float, default=600.0)
    parser.add_argument("--out", default=str(HERE / "browser_latency.json"))
    args = parser.parse_args()
    pages = [p for p in args.pages.split(",") if p]
    load_before = os.getloadavg()
    proc, base = start_server(LOGS / "browser_latency_server.log")
    try:
        t0 = time.monotonic()
        results = asyncio.run(measure(base, pages, max(1, min(args.reps, 20)), args.timeout, args.warmup_timeout))
        results["wall_s"] = time.monotonic() - t0
    finally:
        stop(proc)
    import jax
    import streamlit

    results.update(date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), cpus=os.cpu_count(),
                   load_before=[round(x, 2) for x in load_before], load_after=[round(x, 2) for x in os.getloadavg()],
                   versions={"jax": jax.__version__, "streamlit": streamlit.__version__}, targets=TARGETS,
                   reps=args.reps, rows=summarize(results))
    Path(args.out).write_text(json.dumps(results, indent=2))
    print(f"{'page':<11} {'control':<11} {'n':>3} {'p50 s':>7} {'p90 s':>7} {'max s':>7} {'KiB':>7} "
          f"{'last byte':>9}  target")
    for r in results["rows"]:
        fmt = lambda v: f"{v:7.2f}" if v is not None else "      -"  # noqa: E731
        print(f"{r['page']:<11} {r['type']:<11} {r['n']:>3} {fmt(r['p50'])} {fmt(r['p90'])} {fmt(r['max'])} "
              f"{r['kib']:7.1f} {fmt(r.get('last_byte_p50'))}    {'met' if r['ok'] else 'MISSED'}")
    print(f"load average before {results['load_before']}, after {results['load_after']}; "
          f"wall {results['wall_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
