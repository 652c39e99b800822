#!/usr/bin/env bash
# Create .venv (if missing) and install idf with the extras named (default: app).
# Installs once: it reinstalls only when pyproject.toml or the extras change.
#   bash scripts/setup.sh app    # the library, the CLI and the Streamlit app
#   bash scripts/setup.sh test   # the above plus the test tools
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS=${1:-app}
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=".venv/.idf-installed-$EXTRAS"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "installing idf with [$EXTRAS] into .venv (once; again only when pyproject.toml changes)" >&2
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
# pip's and setuptools' notices go to a log, shown only if the install fails.
if ! .venv/bin/python -m pip install --quiet -e ".[$EXTRAS]" > .venv/pip-install.log 2>&1; then
  cat .venv/pip-install.log >&2
  exit 1
fi
echo "$want" > "$stamp"
