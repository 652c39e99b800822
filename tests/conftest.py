"""Shared test setup. Statistical tests fix their seeds and state their
tolerances in standard errors; slow ones carry @pytest.mark.slow."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
# Tests never read compiled programs left by other runs (the cache is opt-in; see idf.device).
os.environ["IDF_COMPILE_CACHE"] = "0"
