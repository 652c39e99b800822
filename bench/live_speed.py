"""Live-run speed in a real browser: updates drawn per second, the browser's player against the
server-drawn view, on a fresh server.

    .venv/bin/python bench/live_speed.py [--windows 3] [--seconds 5] [--out bench/live_speed.json]

For each of two servers, the live player's (default) and the server-drawn baseline
(``IDF_LIVE_PLAYER=0``: every update a Streamlit rerun with Plotly redraws, as before issue 15's
player), it opens the Arena with ``?live=1`` in headless Debian chromium on a 2-D toy (the banana,
HMC) and on a 16×16 GFF (HMC), waits until the run has drawn 20 steps and 5 s more, then counts
over ``--windows`` windows of ``--seconds`` s the updates drawn (the player's own counter; the
server view's status line) and the steps the page advanced. Prints the medians, the spread and
the ratio player / baseline, and writes the JSON that bench/report.py renders into the README.
The servers skip the start-up warm-up (IDF_WARMUP=0): the live run compiles its own chunk on its
first update, before the measurement starts. About 3 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import browser_latency as bl  # noqa: E402 - the server, browser flags and settle rule are shared

CASES = {"toy (banana, HMC)": "arena?live=1&target=banana&samplers=mala,hmc",
         "16×16 GFF (HMC)": "arena?live=1&target=gff&L=16&samplers=mala,hmc"}
TARGETS = {"toy (banana, HMC)": 10.0, "16×16 GFF (HMC)": 4.0}  # issue 15: updates per second
LINE = 'text=/live: step \\d+/ >> visible=true'
PLAYER = '[data-testid="idf-live-player"]'


async def reading(page) -> tuple[int, int]:
    """(updates drawn, step shown): the player's counters, or the server view's status line."""
    player = page.locator(PLAYER)
    if await player.count():
        el = player.first
        return int(await el.get_attribute("data-draws") or 0), int(await el.get_attribute("data-step") or 0)
    text = await page.locator(LINE).first.inner_text()
    return int(re.search(r"update (\d+)", text).group(1)), int(re.search(r"step (\d+)", text).group(1))


async def measure_case(browser, base: str, url: str, windows: int, seconds: float) -> dict:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    try:
        await page.goto(f"{base}/{url}")
        await page.wait_for_selector(LINE, timeout=240_000)
        deadline = time.monotonic() + 240
        while (await reading(page))[1] < 20 and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        await asyncio.sleep(5)
        out = []
        for _ in range(windows):
            (u0, s0), t0 = await reading(page), time.monotonic()
            await asyncio.sleep(seconds)
            (u1, s1), dt = await reading(page), time.monotonic() - t0
            out.append({"updates_per_s": (u1 - u0) / dt, "steps_per_s": (s1 - s0) / dt})
        return {"windows": out}
    finally:
        await context.close()


async def measure(base: str, windows: int, seconds: float) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=bl.CHROMIUM, args=bl.ARGS, headless=True)
        try:
            return {name: await measure_case(browser, base, url, windows, seconds) for name, url in CASES.items()}
        finally:
            await browser.close()


def summarize(results: dict) -> list[dict]:
    import numpy as np

    rows = []
    for name in CASES:
        row: dict = {"case": name, "target": TARGETS[name]}
        for mode in ("player", "server"):
            ups = np.array([w["updates_per_s"] for w in results[mode][name]["windows"]])
            steps = np.array([w["steps_per_s"] for w in results[mode][name]["windows"]])
            row[mode] = {"median": float(np.median(ups)), "min": float(ups.min()), "max": float(ups.max()),
                         "steps_median": float(np.median(steps))}
        base = row["server"]["median"]
        row["ratio"] = row["player"]["median"] / base if base > 0 else None
        row["ok"] = row["player"]["min"] >= row["target"]
        rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--out", default=str(HERE / "live_speed.json"))
    args = parser.parse_args()
    load_before = os.getloadavg()
    results: dict = {}
    for mode, player in (("player", "1"), ("server", "0")):
        proc, base = bl.start_server(bl.LOGS / f"live_speed_{mode}.log", IDF_WARMUP="0", IDF_LIVE_PLAYER=player)
        try:
            results[mode] = asyncio.run(measure(base, args.windows, args.seconds))
        finally:
            bl.stop(proc)
    import jax
    import streamlit

    results.update(date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), cpus=os.cpu_count(),
                   windows=args.windows, seconds=args.seconds,
                   load_before=[round(x, 2) for x in load_before], load_after=[round(x, 2) for x in os.getloadavg()],
                   versions={"jax": jax.__version__, "streamlit": streamlit.__version__}, rows=summarize(results))
    Path(args.out).write_text(json.dumps(results, indent=2))
    for r in results["rows"]:
        p, s = r["player"], r["server"]
        print(f"{r['case']:<20} player {p['median']:5.1f} ({p['min']:.1f}–{p['max']:.1f}) updates/s, "
              f"server-drawn {s['median']:4.2f} ({s['min']:.2f}–{s['max']:.2f}); ratio "
              f"{r['ratio'] or float('nan'):.1f}×; target ≥ {r['target']:g}: {'met' if r['ok'] else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
