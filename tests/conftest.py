"""Shared test setup. Statistical tests fix their seeds and state their
tolerances in standard errors; slow ones carry @pytest.mark.slow."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
# Tests never read compiled programs left by other runs (the cache is on by default; see idf.device):
# off, unless scripts/test.sh made this run a fresh folder of its own to share between its processes.
os.environ["IDF_COMPILE_CACHE"] = os.environ.get("IDF_TEST_COMPILE_CACHE") or "0"
# AppTest runs of app.py would start the background warm-up in the test process, where it competes
# for the two cores and is still compiling when the process exits. The warm-up's own tests
# (tests/app/test_warmup.py) and the browser servers set IDF_WARMUP themselves.
os.environ.setdefault("IDF_WARMUP", "0")

