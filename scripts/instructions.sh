#!/usr/bin/env bash
# Instructions per single-thread operation (get/insert/remove/upsert per structure), counted by
# valgrind's callgrind and compared with crates/cmap-gate/instructions.limits (soft limits: a
# path fails when it exceeds its recorded count by more than --tolerance percent, default 5).
# Deterministic for a given compiler and profile, so usable on any CI machine; blind to
# contention, since valgrind runs one thread at a time.
#
#   scripts/instructions.sh                 # compare; exit 3 if a path got more expensive
#   scripts/instructions.sh --update        # record the current counts as the limits
#   scripts/instructions.sh --tolerance 2   # stricter
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is not installed" >&2; exit 1; }
cargo build --quiet --release -p cmap-gate --example opcount
exec target/release/examples/opcount check --limits crates/cmap-gate/instructions.limits "$@"
