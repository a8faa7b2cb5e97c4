#!/usr/bin/env bash
# Sets up .venv for ganlint on a fresh machine. Idempotent.
#   bash scripts/bootstrap.sh            # check + probe + fix (installs torch==2.13.0 CPU if torch is absent)
#   bash scripts/bootstrap.sh --dev      # the above plus the test tools
#   bash scripts/bootstrap.sh --check-only   # only what `ganlint check` needs (no torch)
# PYTHON picks the interpreter (default python3); VENV the environment (default .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
extras="probe,fix"
case "${1:-}" in
  --dev) extras="probe,fix,dev" ;;
  --check-only) extras="" ;;
  "") ;;
  *) echo "usage: bash scripts/bootstrap.sh [--dev|--check-only]" >&2; exit 2 ;;
esac
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
pip_() { "$VENV/bin/python" -m pip install --disable-pip-version-check -q "$@" 2>&1 | grep -v "^WARNING: Location" || true; }
if [ -n "$extras" ] && ! "$VENV/bin/python" -c "import torch" >/dev/null 2>&1; then
  # A bare `torch` requirement resolves to a multi-GB CUDA build; pin the CPU wheel instead.
  # A torch the user already has (CPU or CUDA) is kept: the extras only ask for torch>=2.1.
  echo "bootstrap: installing torch==2.13.0 (CPU build)" >&2
  pip_ "torch==2.13.0"
fi
if [ -n "$extras" ]; then pip_ -e ".[$extras]"; else pip_ -e .; fi
"$VENV/bin/python" -c "import ganlint" || { echo "bootstrap: ganlint failed to install" >&2; exit 1; }
