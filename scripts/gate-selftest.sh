#!/usr/bin/env bash
# The regression gate's self-test against the real harness (never against stored numbers).
#
#   scripts/gate-selftest.sh --ci     # one short A/A gate over 12 benchmarks: the same build
#                                     # on both sides must not fail (about a minute after the
#                                     # build)
#   scripts/gate-selftest.sh --full   # 5 A/A gates over 12 benchmarks (no fail allowed), then 10
#                                     # gates against a build whose locked `get` is 20% slower
#                                     # (slowdown-knob): >= 9 must fail exactly the read-heavy
#                                     # locked benchmarks; every gate within 15 minutes (about
#                                     # 2 minutes each, 30 minutes in all)
#
# Exit code 0 when the figures are met, 3 when not, 1 on a failure to build or run.
# On a machine shared with other benchmarks, CMAP_BENCH_LOCK=<file> makes each gate hold that
# file's flock(1) lock while it measures (not while building, nor between gates).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
case "$mode" in --ci | --full) ;; *) echo "usage: scripts/gate-selftest.sh --ci|--full" >&2; exit 2 ;; esac

cargo build --quiet --release -p cmap-harness --bin cmap
cargo build --quiet --release -p cmap-gate --example selftest
mkdir -p target/gate-selftest
base=target/gate-selftest/cmap-base
cp target/release/cmap "$base"

# 12 benchmarks. The gate runs base and head back to back as fresh processes per benchmark and
# round, each restricted to that one benchmark, and takes the best of 3 repeats of 0.1 s (the
# gate's defaults: --repeats 3 --estimator best). A process costs about 0.4 s (start-up and
# prefill of a small key space included; the gate passes `--no-overhead`, so no process spends
# a second measuring the harness's own cost), so a round of 12 benchmarks takes about 10 s.
benchmarks=(--workloads read-heavy,exchange --distribution uniform
    --structures locked,sharded,skiplist --threads 1,2 --harness-arg=--keys --harness-arg=65536)
run_for() { echo --harness-arg=--duration --harness-arg="$1"; }
lock=()
if [ -n "${CMAP_BENCH_LOCK:-}" ]; then lock=(--lock "$CMAP_BENCH_LOCK"); fi

if [ "$mode" = --ci ]; then
    # shellcheck disable=SC2046
    exec target/release/examples/selftest aa --base "$base" --runs 1 "${lock[@]}" -- \
        "${benchmarks[@]}" $(run_for 0.1) --rounds 6
fi

# The knob build has its own target directory, so the shared one keeps the ordinary build.
CARGO_TARGET_DIR=target/knob \
    cargo build --quiet --release -p cmap-harness --bin cmap --features cmap-harness/slowdown-knob
knob=target/gate-selftest/cmap-knob
cp target/knob/release/cmap "$knob"
export CMAP_SLOWDOWN_GET=locked:20
# The threshold is 8%: the knob's 20% slower `get` costs read-heavy locked about 14% of its
# throughput (measured ratios 0.84-0.87), and an 8% threshold leaves room for the interval
# around that on a busy machine. 12 rounds: about 2 minutes of measurement per gate, plus the
# re-measurement of the 2 failing benchmarks.
# shellcheck disable=SC2046
exec target/release/examples/selftest full --base "$base" --knob "$knob" --slow locked \
    "${lock[@]}" --aa-runs 5 --runs 10 -- "${benchmarks[@]}" $(run_for 0.1) --repeats 3 \
    --estimator best --rounds 12 --threshold 8
