"""Load test: N concurrent sessions drive the app's sliders for a fixed time
against a fresh local server, over several rounds, and report latency
percentiles, errors, the server's memory and how much CPU the load generator
itself took.

    .venv/bin/python bench/load_test.py --sessions 10 --seconds 60 --rounds 3 [--page reverse]
    .venv/bin/python bench/load_test.py --mode browsers ...   # the worst case: one chromium per session

It starts ``python -m idf.app.serve`` on a free loopback port (or uses --url,
which must be a loopback address), waits for its warm-up (sidebar "Warm-up
done"), and drives N sessions. ``--mode contexts`` (default, the light client):
one headless chromium with N browser contexts; ``--mode browsers``: N chromium
processes, what ten users' machines would cost if they all ran here. Each
session repeatedly presses → or ← on a sidebar slider, taking turns over the
sliders, and waits until the page has settled (bench/browser_latency.py's
rule). Latency = key press → settled. An error is an exception box on the
page or a step that does not settle within --timeout. The generator's CPU share
is the CPU time of this process and its chromium processes over wall time ×
cores (the server's likewise), so a reader sees how much of the machine the
measurement itself took. RSS of the server after each round shows whether its
memory stays flat. Results: bench/load_results.{json,md}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from browser_latency import ARGS, CHROMIUM, LOGS, settle, start_server, stop, wait_for_warmup  # noqa: E402

SLIDERS = '[data-testid="stSidebar"] [data-testid="stSlider"] input[type="range"]'


async def session(browser, url: str, seconds: float, timeout: float, index: int) -> dict:
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    page = await context.new_page()
    latencies, errors = [], []
    try:
        start = time.monotonic()
        await page.goto(url)
        await page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout * 1000)
        first = await settle(page, timeout) - start
        deadline = time.monotonic() + seconds
        step = 0
        while time.monotonic() < deadline and step < 1000:
            sliders = page.locator(SLIDERS)
            count = await sliders.count()
            if count == 0:  # the sidebar may still be drawing: wait for it, then give up
                try:
                    await page.wait_for_selector(SLIDERS, timeout=timeout * 1000)
                    count = await sliders.count()
                except Exception:
                    errors.append(f"step {step}: no slider within {timeout:g} s")
                    break
            slider = sliders.nth((index + step // 2) % count)
            t0 = time.monotonic()
            await slider.focus()
            await slider.press("ArrowRight" if step % 2 == 0 else "ArrowLeft")
            await asyncio.sleep(0.05)  # the rerun request leaves on the key's release
            try:
                latencies.append(await settle(page, timeout) - t0)
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


async def run(base: str, page_path: str, sessions: int, seconds: float, timeout: float, rounds: int,
              mode: str, sample, train_steps: int = 0,
              warm_timeout: float = 600.0) -> tuple[list[list[dict]], dict, float]:
    """``rounds`` rounds of ``sessions`` sessions; ``sample()`` is called after each round."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        launch = lambda: p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)  # noqa: E731
        browser = await launch()
        warm, _ = await wait_for_warmup(browser, base, warm_timeout)
        job = await trainer(browser, base, train_steps) if train_steps else {}
        out = []
        for _ in range(rounds):
            browsers = [await launch() for _ in range(sessions)] if mode == "browsers" else [browser] * sessions
            results = await asyncio.gather(
                *(session(b, f"{base}/{page_path}", seconds, timeout, i) for i, b in enumerate(browsers)))
            if mode == "browsers":
                await asyncio.gather(*(b.close() for b in browsers))
            out.append(list(results))
            sample()
        if "page" in job:  # was the training still running, i.e. did it overlap the whole test?
            text = await job["page"].locator('[data-testid="stProgress"]').first.inner_text()
            job = {"overlapped_s": time.monotonic() - job["started"], "progress_at_end": text.strip()[:120]}
        await browser.close()
    return out, job, warm


def _cpu_seconds(procs) -> float:
    total = 0.0
    for pr in procs:
        try:
            t = pr.cpu_times()
            total += t.user + t.system
        except Exception:  # a process that ended
            pass
    return total


def _percentiles(lat) -> dict:
    import numpy as np

    return {f"p{q}": float(np.percentile(lat, q)) for q in (50, 90, 95, 99)} if len(lat) else {}


def main() -> int:
    import numpy as np
    import psutil

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mode", choices=("contexts", "browsers"), default="contexts")
    parser.add_argument("--page", default="reverse", help="url path of the page to drive")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a step counts as an error")
    parser.add_argument("--url", default=None, help="a running server on loopback (default: start one)")
    parser.add_argument("--train-steps", type=int, default=0,
                        help="also run a live training of this many steps in one extra session (0: none)")
    parser.add_argument("--warmup-timeout", type=float, default=600.0,
                        help="seconds to wait for the sidebar's 'Warm-up done' before driving (then go on)")
    parser.add_argument("--out", default=str(HERE / "load_results"))
    args = parser.parse_args()
    if not 1 <= args.sessions <= 50 or not 0 < args.seconds <= 600 or not 1 <= args.rounds <= 10:
        raise SystemExit("sessions must be 1..50, seconds 0..600 and rounds 1..10")
    proc = None
    if args.url:
        host = urllib.parse.urlparse(args.url).hostname or ""
        if not (host == "localhost" or host.startswith("127.") or host == "::1"):
            raise SystemExit("--url must be a loopback address")
        base = args.url.rstrip("/")
    else:
        proc, base = start_server(LOGS / "load_test_server.log")
    server = psutil.Process(proc.pid) if proc is not None else None
    me = psutil.Process()
    rss, load = [], []

    def sample() -> None:
        load.append(round(os.getloadavg()[0], 2))
        if server is not None:
            rss.append(round(server.memory_info().rss / 2**30, 3))

    try:
        wall = time.monotonic()
        others = lambda: [c for c in me.children(recursive=True) if server is None or c.pid != server.pid]  # noqa: E731
        gen0 = _cpu_seconds([me, *others()]) + sum(me.cpu_times()[2:4])
        srv0 = _cpu_seconds([server]) if server else 0.0
        rounds, job, warm = asyncio.run(run(base, args.page, args.sessions, args.seconds, args.timeout,
                                            args.rounds, args.mode, sample, max(0, min(args.train_steps, 2000)),
                                            args.warmup_timeout))
        wall = time.monotonic() - wall
        # chromium processes that ended were reaped: their time is in this process's children times
        generator = _cpu_seconds([me, *others()]) + sum(me.cpu_times()[2:4]) - gen0
        served = (_cpu_seconds([server]) - srv0) if server else None
    finally:
        if proc is not None:
            stop(proc)
    results = [r for rnd in rounds for r in rnd]
    lat = np.array([x for r in results for x in r["latencies"]])
    errors = [e for r in results for e in r["errors"]]
    firsts = [r["first_view_s"] for r in results if r["first_view_s"] is not None]
    per_round = [{"latency_s": _percentiles([x for r in rnd for x in r["latencies"]]),
                  "slider_changes": sum(len(r["latencies"]) for r in rnd),
                  "errors": sum(len(r["errors"]) for r in rnd), "rss_gb_after": rss[i] if i < len(rss) else None,
                  "load_avg_1min_after": load[i]} for i, rnd in enumerate(rounds)]
    p50s = [r["latency_s"]["p50"] for r in per_round if r["latency_s"]]
    cores = os.cpu_count() or 1
    summary = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "page": args.page, "sessions": args.sessions, "seconds": args.seconds, "wall_s": wall,
        "mode": args.mode, "rounds": args.rounds, "warmup_wait_s": warm,
        "slider_changes": int(lat.size), "errors": len(errors), "error_samples": errors[:10],
        "latency_s": _percentiles(lat),
        "p50_spread_s": [min(p50s), max(p50s)] if p50s else None,
        "first_view_s": {"median": float(np.median(firsts)), "max": float(np.max(firsts))} if firsts else {},
        "generator_cpu_share": generator / (wall * cores),
        "server_cpu_share": served / (wall * cores) if served is not None else None,
        "server_rss_gb": rss, "per_round": per_round, "training_job": job,
    }
    Path(args.out + ".json").write_text(json.dumps(summary, indent=2))
    lines = [f"# Load test ({summary['date']})\n\n",
             f"{args.sessions} concurrent sessions ({args.mode}) on /{args.page}, {args.rounds} rounds of "
             f"{args.seconds:g} s (2-core CPU, local server): {summary['slider_changes']} slider changes, "
             f"{summary['errors']} errors; generator CPU {summary['generator_cpu_share']:.0%} of the machine, "
             f"server RSS after each round {rss} GB.\n\n| percentile | latency (s) |\n|---|---|\n"]
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
