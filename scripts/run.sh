#!/usr/bin/env bash
# Runs `cmap run` from a release build; with no arguments, the default suite into reports/latest;
# `scripts/run.sh --suite full --out reports/full` runs the data for every report chart (about 11 min).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release -p cmap-harness -- run "$@"
