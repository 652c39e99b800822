"""Run every benchmark: ``python bench/run.py [--quick] [--only NAME [--merge]]``.

Each ``bench/bench_*.py`` exposes ``run(quick: bool) -> list[dict]``; a row has
``name``, ``value``, ``unit`` and optionally ``baseline`` (the same quantity
for the reference, measured in the same run), ``ratio`` (value / baseline,
or as the row's ``note`` says) and ``note``. Figures are medians of several
repetitions. Results go to bench/results.md and bench/results.json with the
device, the versions and the date.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def environment() -> dict:
    import jax

    device = jax.devices()[0]
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "device": f"{device.platform}: {device.device_kind}",
        "device_count": jax.device_count(),
        "jax": jax.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repetitions")
    parser.add_argument("--only", default=None, help="run only bench_<NAME>.py")
    parser.add_argument("--merge", action="store_true",
                        help="with --only: replace that section in the existing output, which keeps the "
                             "other sections; the section carries its own environment (date, versions)")
    parser.add_argument("--out", default=str(HERE / "results"), help="output prefix (.md and .json)")
    args = parser.parse_args()
    env = environment()
    sections = {}
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if args.only:
        names = [n for n in names if n == f"bench_{args.only}"]
    for name in names:
        module = importlib.import_module(name)
        if not hasattr(module, "run"):  # a standalone script (bench_cost.py): run it on its own
            print(f"{name}: skipped (no run(); a standalone script)")
            continue
        start = time.perf_counter()
        try:
            rows = module.run(quick=args.quick)
            error = None
        except Exception:  # a broken benchmark is reported, the others still run
            rows, error = [], traceback.format_exc(limit=3)
        sections[name] = {"rows": rows, "seconds": time.perf_counter() - start, "error": error}
        print(f"{name}: {len(rows)} rows in {sections[name]['seconds']:.1f} s" + (" (FAILED)" if error else ""))
    if args.merge:
        if not args.only:
            parser.error("--merge needs --only")
        previous = json.loads(Path(args.out + ".json").read_text())
        for sec in sections.values():
            sec["environment"] = env
        sections = {**previous["sections"], **sections}
        env = previous["environment"]
    Path(args.out + ".json").write_text(json.dumps({"environment": env, "sections": sections}, indent=2))
    lines = [f"# Benchmarks\n\n{env['date']} · {env['device']} · JAX {env['jax']} · Python {env['python']}\n"]
    for name, sec in sections.items():
        lines.append(f"\n## {name.removeprefix('bench_')} ({sec['seconds']:.0f} s)\n")
        if "environment" in sec:
            e = sec["environment"]
            lines.append(f"\nRe-measured alone: {e['date']} · {e['device']} · JAX {e['jax']} · Python {e['python']}.\n")
        if sec["error"]:
            lines.append(f"\nFAILED:\n```\n{sec['error']}\n```\n")
            continue
        lines.append("\n| figure | value | unit | baseline | ratio | note |\n|---|---|---|---|---|---|\n")
        for r in sec["rows"]:
            fmt = lambda v: f"{v:.4g}" if isinstance(v, float) else ("" if v is None else str(v))  # noqa: E731
            lines.append(
                f"| {r['name']} | {fmt(r.get('value'))} | {r.get('unit', '')} | {fmt(r.get('baseline'))} "
                f"| {fmt(r.get('ratio'))} | {r.get('note', '')} |\n"
            )
    Path(args.out + ".md").write_text("".join(lines))
    print(f"wrote {args.out}.md and {args.out}.json")
    return 1 if any(s["error"] for s in sections.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
