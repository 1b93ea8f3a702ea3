#!/usr/bin/env bash
# Runs `cmap run` from a release build; with no arguments, the default suite into reports/latest.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release -p cmap-harness -- run "$@"
