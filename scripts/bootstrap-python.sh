#!/usr/bin/env bash
# Make sure Python 3.11 can create a virtual environment. On Debian, `venv` needs the
# python3.11-venv package (ensurepip is not in the base package); install it when missing.
set -euo pipefail
PYTHON="${1:-python3.11}"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if command -v "$PYTHON" >/dev/null 2>&1 && "$PYTHON" -c "import ensurepip, venv" 2>/dev/null; then
    exit 0
fi
echo "Installing Python 3.11 with venv support (Debian packages)..."
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq
as_root apt-get install -y -qq --no-install-recommends python3.11 python3.11-venv
