#!/usr/bin/env bash
# Screenshots a report's index.html with headless Chromium, to check that the page renders with
# every chart visible. Installs Debian's chromium package when no browser is found (needs root).
#
#   scripts/screenshot-report.sh reports/latest /tmp/report.png [WIDTH] [HEIGHT]
#
# The page loads nothing from the network, so the browser runs with networking features off.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 2 ]; then
    echo "usage: $0 REPORT_DIR OUT.png [WIDTH] [HEIGHT]" >&2
    exit 2
fi
report=$1
out=$2
width=${3:-1400}
height=${4:-6000}
page="$(cd "$report" && pwd)/index.html"
[ -f "$page" ] || { echo "no index.html in $report; run \`cmap report\` first" >&2; exit 2; }

browser=${CHROMIUM:-}
for candidate in chromium chromium-browser google-chrome; do
    [ -n "$browser" ] && break
    browser=$(command -v "$candidate" || true)
done
if [ -z "$browser" ]; then
    echo "installing chromium with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    browser=$(command -v chromium)
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
"$browser" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$profile" \
    --window-size="$width,$height" --screenshot="$out" "file://$page" 2>/dev/null
[ -s "$out" ] || { echo "no screenshot written" >&2; exit 1; }
echo "$out"
