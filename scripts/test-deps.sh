#!/usr/bin/env bash
# What the test suite needs beyond the Python packages: Debian's Chromium for the browser tests,
# Debian's newsboat for the reader-app test (a real Google Reader API client), and axe-core (from npm, with Debian's nodejs and npm when missing) for the accessibility
# checks. Quick and silent when everything is there.
set -euo pipefail

cd "$(dirname "$0")/.."

AXE_VERSION="4.10.3"
NPM_PREFIX=".cache/npm"
AXE_FILE="$NPM_PREFIX/node_modules/axe-core/axe.min.js"

sudo_if_needed() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Install Debian packages, refreshing the package lists only when apt does not know them yet
# (or when an install from stale lists fails).
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-cache show "$@" >/dev/null 2>&1; then
        sudo_if_needed apt-get update -qq
    fi
    if ! sudo_if_needed apt-get install -y -qq --no-install-recommends "$@"; then
        sudo_if_needed apt-get update -qq
        sudo_if_needed apt-get install -y -qq --no-install-recommends "$@"
    fi
}

if [ ! -x /usr/bin/chromium ]; then
    echo "Installing Debian's chromium for the browser tests..."
    apt_install chromium fonts-dejavu-core
fi

if [ ! -x /usr/bin/newsboat ]; then
    echo "Installing Debian's newsboat for the reader-app test..."
    apt_install newsboat
fi

installed_axe=""
if [ -f "$NPM_PREFIX/node_modules/axe-core/package.json" ]; then
    # Read the version without node: the first "version" field of axe-core's package.json.
    installed_axe="$(grep -m1 -o '"version"[[:space:]]*:[[:space:]]*"[^"]*"' \
        "$NPM_PREFIX/node_modules/axe-core/package.json" | sed 's/.*"\([^"]*\)"$/\1/' || true)"
fi
if [ ! -f "$AXE_FILE" ] || [ "$installed_axe" != "$AXE_VERSION" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "Installing Debian's nodejs and npm to fetch axe-core..."
        apt_install nodejs npm
    fi
    echo "Installing axe-core $AXE_VERSION for the accessibility checks..."
    mkdir -p "$NPM_PREFIX"
    npm install --silent --no-audit --no-fund --prefix "$NPM_PREFIX" "axe-core@$AXE_VERSION"
fi
