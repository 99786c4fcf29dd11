#!/usr/bin/env bash
# What the test suite needs beyond the Python packages: filled in as browser tests arrive.
set -euo pipefail
