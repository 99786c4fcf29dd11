#!/usr/bin/env bash
# What the test suite needs beyond the Python packages: Debian's Chromium for the browser tests
# and axe-core (from npm) for the accessibility checks. Quick and silent when both are there.
set -euo pipefail

cd "$(dirname "$0")/.."

AXE_VERSION="4.10.3"
NPM_PREFIX=".cache/npm"
AXE_FILE="$NPM_PREFIX/node_modules/axe-core/axe.min.js"

sudo_if_needed() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if [ ! -x /usr/bin/chromium ]; then
    echo "Installing Debian's chromium for the browser tests..."
    export DEBIAN_FRONTEND=noninteractive
    # Refresh the package lists only when apt does not know the package yet.
    if ! apt-cache show chromium >/dev/null 2>&1; then
        sudo_if_needed apt-get update -qq
    fi
    if ! sudo_if_needed apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; then
        sudo_if_needed apt-get update -qq
        sudo_if_needed apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
    fi
fi

installed_axe=""
if [ -f "$NPM_PREFIX/node_modules/axe-core/package.json" ]; then
    installed_axe="$(node -p "require('./$NPM_PREFIX/node_modules/axe-core/package.json').version" \
        2>/dev/null || true)"
fi
if [ ! -f "$AXE_FILE" ] || [ "$installed_axe" != "$AXE_VERSION" ]; then
    echo "Installing axe-core $AXE_VERSION for the accessibility checks..."
    mkdir -p "$NPM_PREFIX"
    npm install --silent --no-audit --no-fund --prefix "$NPM_PREFIX" "axe-core@$AXE_VERSION"
fi
