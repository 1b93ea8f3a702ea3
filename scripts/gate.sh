#!/usr/bin/env bash
# A/B regression gate between two git revisions: builds `cmap` from each in a worktree under
# target/, then runs `cmap gate` (the head build's) with both binaries. Extra arguments go to
# `cmap gate` (see `cmap gate --help`).
#
#   scripts/gate.sh main HEAD
#   scripts/gate.sh origin/main . --workloads read-heavy-uniform --threads 1,2
#
# A revision of `.` means the working tree as it is, uncommitted changes included.
# CMAP_GATE_BASE_FEATURES / CMAP_GATE_HEAD_FEATURES add cargo features to one build (the gate's
# self-test builds the head with `slowdown-knob`).
# Exit codes are the gate's: 0 pass or warn, 3 regression, 4 inconclusive, 2 usage, 1 failure.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 2 ]; then
    echo "usage: scripts/gate.sh BASE_REV HEAD_REV [cmap gate flags...]" >&2
    exit 2
fi
base_rev=$1 head_rev=$2
shift 2
root=$PWD
# One target directory for both worktrees: dependencies from crates.io are built once.
export CARGO_TARGET_DIR=$root/target/gate-build

# build SIDE REV FEATURES: builds `cmap` from REV; sets $bin (a copy of it) and $label.
build() {
    local side=$1 rev=$2 features=$3 src
    if [ "$rev" = . ]; then
        src=$root
        label=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . || echo -dirty)
    else
        label=$(git rev-parse --short "$rev^{commit}")
        src=$root/target/gate-worktrees/$side
        if [ -e "$src/.git" ]; then
            git -C "$src" checkout --quiet --force --detach "$label"
        else
            git worktree add --quiet --detach "$src" "$label" >&2
        fi
    fi
    cargo build --quiet --release --manifest-path "$src/Cargo.toml" -p cmap-harness --bin cmap \
        ${features:+--features "cmap-harness/$features"} >&2
    mkdir -p "$root/target/gate-bin"
    bin=$root/target/gate-bin/cmap-$side-$label${features:+-$features}
    cp "$CARGO_TARGET_DIR/release/cmap" "$bin"
}

build base "$base_rev" "${CMAP_GATE_BASE_FEATURES:-}"
base_bin=$bin base_label=$label
build head "$head_rev" "${CMAP_GATE_HEAD_FEATURES:-}"
head_bin=$bin head_label=$label
exec "$head_bin" gate --base "$base_bin" --head "$head_bin" \
    --base-rev "$base_label" --head-rev "$head_label" "$@"
