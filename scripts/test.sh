#!/usr/bin/env bash
# Set up (once) and run the whole test suite, slow and browser tests included.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not browser"`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing Debian's chromium for the browser tests" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji) >/dev/null
fi
# Many compiled programs per process need many memory maps; raise the kernel's limit where we may.
if [ "$(id -u)" = 0 ] && [ "$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 0)" -lt 262144 ]; then
  sysctl -q -w vm.max_map_count=262144 2>/dev/null || true
fi
# One JAX compilation cache for this run's processes (both pytest sessions, their workers, the
# servers they start), in a fresh folder removed at the end: a program the AppTests compiled is
# loaded, not compiled again, by the browser tests' servers and the warm-up test. Never one left
# by another run (tests/conftest.py turns the cache off when this is unset).
if [ -z "${IDF_TEST_COMPILE_CACHE:-}" ]; then
  IDF_TEST_COMPILE_CACHE=$(mktemp -d "${TMPDIR:-/tmp}/idf-test-jax.XXXXXX")
  trap 'rm -rf "$IDF_TEST_COMPILE_CACHE"' EXIT
fi
export IDF_TEST_COMPILE_CACHE
# Store every program in it, not only those over the app's 0.5 s: the browser tests' fresh servers
# and the CLI subprocesses then load what another process compiled (three tour tests on fresh
# servers: 143 s against 171 s with the app's threshold, warm cache, same tree).
export IDF_COMPILE_CACHE_MIN_SECS=${IDF_COMPILE_CACHE_MIN_SECS:-0}
set +e
# Two workers (pytest-xdist) on the two cores: the whole suite in about 20 minutes instead of 40.
# IDF_TEST_WORKERS=0 runs it in one process.
workers=${IDF_TEST_WORKERS:-2}
# (--dist worksteal was tried: 15:53 + 13:11 min against 15:20 + 14:18 with this default on the
# same tree, idle machine; no gain, so the default stays.)
run() { .venv/bin/python -m pytest -m "" -p no:cacheprovider -n "$workers" --durations=15 "$@"; }
if [ $# -gt 0 ]; then
  run "$@"
  status=$?
else
  # Two sessions, so no worker process accumulates every compiled program of the suite: the
  # app and browser tests (which compile the most), then the library, CLI and the rest.
  run tests/app tests/browser
  first=$?
  run tests --ignore=tests/app --ignore=tests/browser
  status=$?
  if [ "$first" != 0 ] && [ "$first" != 5 ]; then status=$first; fi
fi
set -e
# pytest exits 5 when it collected no test: that is a failure of the suite here.
if [ "$status" = 5 ]; then
  echo "pytest collected no tests" >&2
  exit 1
fi
exit "$status"
