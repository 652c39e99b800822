"""The README's benchmark figures, generated from the benches' JSON, never typed.

``python bench/report.py`` rewrites the part of README.md between the
``<!-- bench:begin -->`` and ``<!-- bench:end -->`` markers from
bench/results.json (``bench/run.py``), bench/results_h100.json (the last GPU
session) and bench/load_results*.json (``bench/load_test.py``).
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
        out.extend([f"FAILED: {sec['error'].splitlines()[-1]}"] if sec.get("error") else rows_table(sec["rows"]))
        out.append("")
    return out


def load_block(runs: dict[str, dict]) -> list[str]:
    out = ["### Load test", "",
           "| run | date | page | slider changes | errors | p50 | p90 | p99 | first view (median) |",
           "|---|---|---|---|---|---|---|---|---|"]
    for label, r in runs.items():
        lat = r["latency_s"]
        out.append(f"| {label} | {r['date']} | {r['page']} | {r['slider_changes']} | {r['errors']} "
                   f"| {lat['p50']:.2f} s | {lat['p90']:.1f} s | {lat['p99']:.1f} s "
                   f"| {r['first_view_s']['median']:.1f} s |")
    return out + [""]


def generated() -> str:
    """The block between the markers, from the JSON files that exist."""
    lines: list[str] = []
    headings = {"cpu": "CPU figures (`python bench/run.py`)", "gpu": "GPU figures (`bash bench/gpu_check.sh`)"}
    for kind, path in SOURCES.items():
        if path.exists():
            lines += bench_block(json.loads(path.read_text()), headings[kind])
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
