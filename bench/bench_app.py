"""App latency, measured server-side with streamlit.testing: for every page,
time to its first complete render in a fresh process with an empty compile
cache (cold: imports and JAX compilation included), the same in a second fresh
process that finds the persistent compile cache the first one wrote (a
restarted app), a rerun (warm), and a change of its first continuous slider.

The browser adds its own rendering time on top; bench/load_test.py measures
end-to-end latency in real browsers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import json, sys, time
from pathlib import Path
from streamlit.testing.v1 import AppTest
path = sys.argv[1]
t0 = time.perf_counter()
at = AppTest.from_file(path, default_timeout=600).run()
cold = time.perf_counter() - t0
assert not at.exception, [e.value for e in at.exception]
t0 = time.perf_counter(); at.run(); warm = time.perf_counter() - t0
change = None
sliders = [s for s in at.sidebar.slider if isinstance(s.value, float)]
if sliders:
    s = sliders[0]
    lo, hi, step = float(s.min), float(s.max), float(s.step or (s.max - s.min) / 100)
    target = s.value + step if s.value + step <= hi else s.value - step
    t0 = time.perf_counter(); s.set_value(target).run(); change = time.perf_counter() - t0
    assert not at.exception, [e.value for e in at.exception]
print(json.dumps({"cold": cold, "warm": warm, "change": change,
                  "slider": sliders[0].label if sliders else None}))
"""


def _pages() -> list[tuple[str, str]]:
    """(title, script path) of every page, from the one page table (``idf.app.navigation``)."""
    sys.path.insert(0, str(ROOT))
    from idf.app.navigation import PAGES

    return [(p.title, p.file) for p in PAGES]


def run(quick: bool = False) -> list[dict]:
    rows = []
    for title, path in _pages():
        if quick and title in ("Training",):
            continue
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "IDF_COMPILE_CACHE": cache}
            runs = [subprocess.run([sys.executable, "-c", PROBE, str(ROOT / path)], capture_output=True,
                                   text=True, cwd=ROOT, timeout=900, env=env) for _ in range(2)]
        if any(out.returncode != 0 for out in runs):
            bad = next(out for out in runs if out.returncode != 0)
            rows.append({"name": f"{title}: render", "value": None, "unit": "s",
                         "note": "FAILED: " + bad.stderr.strip().splitlines()[-1][:200]})
            continue
        r, again = (json.loads(out.stdout.strip().splitlines()[-1]) for out in runs)
        rows.append({"name": f"{title}: first render, cold", "value": r["cold"], "unit": "s",
                     "note": "fresh process, empty compile cache: imports + JAX compilation"})
        rows.append({"name": f"{title}: first render after a restart", "value": again["cold"], "unit": "s",
                     "baseline": r["cold"], "ratio": again["cold"] / r["cold"],
                     "note": "fresh process, persistent compile cache filled; ratio: restart / cold"})
        rows.append({"name": f"{title}: rerun, warm", "value": r["warm"], "unit": "s",
                     "baseline": r["cold"], "ratio": r["warm"] / r["cold"], "note": "ratio: warm / cold"})
        if r["change"] is not None:
            rows.append({"name": f"{title}: slider change", "value": r["change"], "unit": "s",
                         "baseline": r["warm"], "ratio": r["change"] / r["warm"],
                         "note": f"slider '{r['slider']}'; ratio: change / warm rerun"})
    return rows


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
