#!/usr/bin/env bash
# Installs SimPy and Ciw into benches/peers/.venv (ignored by git) for compare.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -x "$here/.venv/bin/python" ]; then
    python3 -m venv "$here/.venv"
fi
"$here/.venv/bin/pip" install --quiet --requirement "$here/requirements.txt"
echo "peers installed in $here/.venv"
