"""The README's benchmark figures, generated from the benches' JSON, never typed.

``python bench/report.py`` rewrites the part of README.md between the
``<!-- bench:begin -->`` and ``<!-- bench:end -->`` markers from
bench/results.json (``bench/run.py``), bench/results_h100.json (the last GPU
session), bench/browser_latency.json (``bench/browser_latency.py``),
bench/live_speed.json (``bench/live_speed.py``) and
bench/load_results*.json (``bench/load_test.py``).
``python bench/report.py --check`` exits 1 when the README has drifted from the
JSON; tests/test_bench_report.py runs that check, so a figure typed by hand, or
a bench re-run without regenerating, fails the suite.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
SOURCES = {"cpu": HERE / "results.json", "gpu": HERE / "results_h100.json"}
BROWSER = HERE / "browser_latency.json"  # bench/browser_latency.py
LIVE = HERE / "live_speed.json"  # bench/live_speed.py
LOAD_RUNS = {
    "10 sessions": HERE / "load_results.json",
    "10 sessions + an 11th training a U-Net live": HERE / "load_results_training.json",
}


def number(v: object) -> str:
    """Four significant figures for floats, as bench/results.md writes them."""
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)


def rows_table(rows: list[dict]) -> list[str]:
    """One Markdown table of bench rows (name, value, unit, baseline, ratio, note)."""
    out = ["| figure | value | unit | baseline | ratio | note |", "|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['name']} | {number(r.get('value'))} | {r.get('unit', '')} | {number(r.get('baseline'))} "
                   f"| {number(r.get('ratio'))} | {r.get('note', '')} |")
    return out


def environment_line(env: dict) -> str:
    return f"{env['date']} · {env['device']} · JAX {env['jax']} · Python {env['python']}"


def bench_block(results: dict, heading: str) -> list[str]:
    out = [f"### {heading}", "", environment_line(results["environment"]), ""]
    for name, sec in results["sections"].items():
        out.append(f"#### {name.removeprefix('bench_')} ({sec['seconds']:.0f} s)")
        out.append("")
        if "environment" in sec:  # a section re-measured alone (bench/run.py --only NAME), merged in
            out += [f"Re-measured alone: {environment_line(sec['environment'])}.", ""]
        out.extend([f"FAILED: {sec['error'].splitlines()[-1]}"] if sec.get("error") else rows_table(sec["rows"]))
        out.append("")
    return out


def load_block(runs: dict[str, dict]) -> list[str]:
    out = ["### Load test", "",
           "| run | date | page | client | slider changes | errors | p50 | p90 | p99 | p50 over rounds "
           "| first view (median) | generator CPU | server RSS after each round |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, r in runs.items():
        lat = r["latency_s"]
        client = f"{r['mode']}, {r['rounds']} × {r['seconds']:g} s" if "mode" in r else f"browsers, {r['seconds']:g} s"
        spread = "–" if not r.get("p50_spread_s") else "{:.2f}–{:.2f} s".format(*r["p50_spread_s"])
        cpu = f"{r['generator_cpu_share']:.0%}" if r.get("generator_cpu_share") is not None else "–"
        rss = ", ".join(f"{x:.2f}" for x in r.get("server_rss_gb", [])) + " GB" if r.get("server_rss_gb") else "–"
        out.append(f"| {label} | {r['date']} | {r['page']} | {client} | {r['slider_changes']} | {r['errors']} "
                   f"| {lat['p50']:.2f} s | {lat['p90']:.1f} s | {lat['p99']:.1f} s | {spread} "
                   f"| {r['first_view_s']['median']:.1f} s | {cpu} | {rss} |")
    return out + [""]


def browser_block(r: dict) -> list[str]:
    """bench/browser_latency.json: keypress → settled page per page × control type, against issue 14's targets."""
    t = r["targets"]
    out = ["### Browser latency (`python bench/browser_latency.py`)", "",
           f"{r['date']}, {r['cpus']} cores, jax {r['versions']['jax']}, Streamlit {r['versions']['streamlit']}, "
           f"{r['reps']} presses per slider (each a new value), after waiting {r['warmup_wait_s']:.0f} s for the "
           f"warm-up "
           f"({'done' if r.get('warmup_done', True) else 'not done by then'}); "
           f"load average {r['load_before'][0]:.1f} before, {r['load_after'][0]:.1f} after. Targets: continuous "
           f"p50 ≤ {t['continuous']['p50']} s and p90 ≤ {t['continuous']['p90']} s; count/shape every value ≤ "
           f"{t['count']['max']} s; first view ≤ {t['first view']['max']} s.", "",
           "| page | control | presses | p50 | p90 | max | KiB sent (median) | last byte (p50) | target |",
           "|---|---|---|---|---|---|---|---|---|"]
    for row in r["rows"]:
        f = lambda v: "–" if v is None else f"{v:.2f} s"  # noqa: E731
        out.append(f"| {row['page']} | {row['type']} | {row['n']} | {f(row['p50'])} | {f(row['p90'])} "
                   f"| {f(row['max'])} | {row['kib']:.0f} | {f(row.get('last_byte_p50'))} "
                   f"| {'met' if row['ok'] else 'missed'} |")
    return out + [""]


def live_block(r: dict) -> list[str]:
    """bench/live_speed.json: live updates drawn per second, the browser's player against the server-drawn view."""
    out = ["### Live run speed (`python bench/live_speed.py`)", "",
           f"{r['date']}, {r['cpus']} cores, Streamlit {r['versions']['streamlit']}; {r['windows']} windows of "
           f"{r['seconds']:g} s per case after the run had drawn 20 steps, on a fresh server each; load average "
           f"{r['load_before'][0]:.1f} before, {r['load_after'][0]:.1f} after. Updates drawn per second in headless "
           "chromium (median, min–max over the windows); the baseline is the server-drawn view of the same run "
           "(`IDF_LIVE_PLAYER=0`, every update a rerun with Plotly redraws) measured in the same run.", "",
           "| case | player (updates/s) | server-drawn (updates/s) | ratio | steps/s shown (player) | target |",
           "|---|---|---|---|---|---|"]
    for row in r["rows"]:
        p, s = row["player"], row["server"]
        ratio = "–" if row["ratio"] is None else f"{row['ratio']:.1f}×"
        out.append(f"| {row['case']} | {p['median']:.1f} ({p['min']:.1f}–{p['max']:.1f}) | {s['median']:.2f} "
                   f"({s['min']:.2f}–{s['max']:.2f}) | {ratio} | {p['steps_median']:.0f} | ≥ {row['target']:g}: "
                   f"{'met' if row['ok'] else 'missed'} |")
    return out + [""]


def generated() -> str:
    """The block between the markers, from the JSON files that exist."""
    lines: list[str] = []
    headings = {"cpu": "CPU figures (`python bench/run.py`)", "gpu": "GPU figures (`bash bench/gpu_check.sh`)"}
    for kind, path in SOURCES.items():
        if path.exists():
            lines += bench_block(json.loads(path.read_text()), headings[kind])
    if BROWSER.exists():
        lines += browser_block(json.loads(BROWSER.read_text()))
    if LIVE.exists():
        lines += live_block(json.loads(LIVE.read_text()))
    runs = {label: json.loads(p.read_text()) for label, p in LOAD_RUNS.items() if p.exists()}
    if runs:
        lines += load_block(runs)
    return "\n".join(lines).rstrip("\n")


def splice(text: str, block: str) -> str:
    """``text`` with the part between the markers replaced by ``block``."""
    try:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
    except ValueError:
        raise SystemExit(f"README.md lacks the {BEGIN} … {END} markers") from None
    return f"{head}{BEGIN}\n{block}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md differs from the JSON")
    args = parser.parse_args(argv)
    text = README.read_text()
    new = splice(text, generated())
    if args.check:
        if new != text:
            print("README.md's benchmark figures differ from bench/*.json: run python bench/report.py")
            return 1
        return 0
    README.write_text(new)
    print("README.md: benchmark figures regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
