"""Load test: N concurrent browser sessions drive the app's sliders for a fixed
time against a local server, and report latency percentiles and errors.

    .venv/bin/python bench/load_test.py --sessions 10 --seconds 60 [--page reverse]

It starts ``streamlit run app.py`` on a free loopback port (or uses --url, which
must be a loopback address), opens N Playwright pages in Debian's chromium, and
in each one repeatedly presses → on a sidebar slider and waits until the app is
idle again. Latency = key press → script finished. An error is an exception box
on the page or a step that does not finish within --timeout. Bounded in count
and time; it stops by itself. Results: bench/load_results.{json,md}.
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
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "XLA_PYTHON_CLIENT_PREALLOCATE": "false"},
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(180):
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc, base
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("server did not start")


async def _idle(page, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    await page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout * 1000)
    quiet = None
    while time.monotonic() < deadline:
        state = await page.locator('[data-testid="stApp"]').first.get_attribute("data-test-script-state")
        running = state == "running" or await page.locator('[data-testid="stSpinner"]').count() > 0
        if running:
            quiet = None
        elif quiet is None:
            quiet = time.monotonic()
        elif time.monotonic() - quiet > 0.3:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("not idle in time")


async def session(browser, url: str, seconds: float, timeout: float, index: int) -> dict:
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await context.new_page()
    latencies, errors = [], []
    try:
        start = time.monotonic()
        await page.goto(url)
        await _idle(page, timeout)
        first = time.monotonic() - start
        deadline = time.monotonic() + seconds
        step = 0
        while time.monotonic() < deadline and step < 1000:
            selector = '[data-testid="stSidebar"] [data-testid="stSlider"] input[type="range"]'
            sliders = page.locator(selector)
            count = await sliders.count()
            if count == 0:  # the sidebar may still be drawing: wait for it, then give up
                try:
                    await page.wait_for_selector(selector, timeout=timeout * 1000)
                    count = await sliders.count()
                except Exception:
                    errors.append(f"step {step}: no slider within {timeout:g} s")
                    break
            slider = sliders.nth((index + step) % count)
            t0 = time.monotonic()
            await slider.focus()
            await slider.press("ArrowRight" if step % 2 == 0 else "ArrowLeft")
            await asyncio.sleep(0.15)  # let the rerun start
            try:
                await _idle(page, timeout)
                latencies.append(time.monotonic() - t0)
            except Exception as err:  # timeout: an error, keep going
                errors.append(f"step {step}: {err}")
            if await page.locator('[data-testid="stException"]').count():
                errors.append(f"step {step}: exception box")
            step += 1
        return {"first_view_s": first, "latencies": latencies, "errors": errors}
    except Exception as err:
        return {"first_view_s": None, "latencies": latencies, "errors": [*errors, repr(err)]}
    finally:
        await context.close()


async def trainer(browser, base: str, steps: int) -> dict:
    """One extra session that starts a live training run of ``steps`` steps on
    the Training page and leaves it running: the long job beside the others."""
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await context.new_page()
    try:
        await page.goto(f"{base}/training?mode=live&tsteps={steps}")
        await page.get_by_role("button", name="Train").click(timeout=120_000)
        started = time.monotonic()
        await page.wait_for_selector('[data-testid="stProgress"]', timeout=120_000)
        return {"page": page, "context": context, "started": started}
    except Exception as err:
        await context.close()
        return {"error": repr(err)}


async def run(base: str, page_path: str, sessions: int, seconds: float, timeout: float,
              train_steps: int = 0) -> tuple[list[dict], dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
        job = await trainer(browser, base, train_steps) if train_steps else {}
        results = await asyncio.gather(
            *(session(browser, f"{base}/{page_path}", seconds, timeout, i) for i in range(sessions))
        )
        if "page" in job:  # was the training still running, i.e. did it overlap the whole test?
            text = await job["page"].locator('[data-testid="stProgress"]').first.inner_text()
            job = {"overlapped_s": time.monotonic() - job["started"], "progress_at_end": text.strip()[:120]}
        await browser.close()
    return list(results), job


def main() -> int:
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--page", default="reverse", help="url path of the page to drive")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a step counts as an error")
    parser.add_argument("--url", default=None, help="a running server on loopback (default: start one)")
    parser.add_argument("--train-steps", type=int, default=0,
                        help="also run a live training of this many steps in one extra session (0: none)")
    parser.add_argument("--out", default=str(HERE / "load_results"))
    args = parser.parse_args()
    if not 1 <= args.sessions <= 50 or not 0 < args.seconds <= 600:
        raise SystemExit("sessions must be 1..50 and seconds 0..600")
    proc = None
    if args.url:
        host = urllib.parse.urlparse(args.url).hostname or ""
        if not (host == "localhost" or host.startswith("127.") or host == "::1"):
            raise SystemExit("--url must be a loopback address")
        base = args.url.rstrip("/")
    else:
        proc, base = start_server()
    try:
        wall = time.monotonic()
        results, job = asyncio.run(run(base, args.page, args.sessions, args.seconds, args.timeout,
                                       max(0, min(args.train_steps, 2000))))
        wall = time.monotonic() - wall
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
    lat = np.array([x for r in results for x in r["latencies"]])
    errors = [e for r in results for e in r["errors"]]
    firsts = [r["first_view_s"] for r in results if r["first_view_s"] is not None]
    summary = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "page": args.page, "sessions": args.sessions, "seconds": args.seconds, "wall_s": wall,
        "slider_changes": int(lat.size), "errors": len(errors), "error_samples": errors[:10],
        "latency_s": {f"p{q}": float(np.percentile(lat, q)) for q in (50, 90, 95, 99)} if lat.size else {},
        "first_view_s": {"median": float(np.median(firsts)), "max": float(np.max(firsts))} if firsts else {},
        "training_job": job,
    }
    Path(args.out + ".json").write_text(json.dumps(summary, indent=2))
    lines = [f"# Load test ({summary['date']})\n\n",
             f"{args.sessions} concurrent browser sessions on /{args.page} for {args.seconds:g} s "
             f"(2-core CPU, local server): {summary['slider_changes']} slider changes, "
             f"{summary['errors']} errors.\n\n| percentile | latency (s) |\n|---|---|\n"]
    lines += [f"| {k} | {v:.2f} |\n" for k, v in summary["latency_s"].items()]
    if summary["first_view_s"]:
        lines.append(f"\nFirst view per session: median {summary['first_view_s']['median']:.1f} s, "
                     f"max {summary['first_view_s']['max']:.1f} s.\n")
    if job:
        lines.append(f"\nMeanwhile one more session trained a U-Net live ({args.train_steps} steps): {job}.\n")
    Path(args.out + ".md").write_text("".join(lines))
    print(json.dumps(summary, indent=2))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
