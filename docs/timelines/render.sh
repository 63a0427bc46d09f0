#!/usr/bin/env bash
# Regenerates the timelines of docs/guide.md from the examples on the
# virtual clock (the same bytes every run; tests/examples.rs compares
# them). With --screenshots DIR, also photographs each in headless
# Chromium (apt-get install chromium) into DIR, to look at.
#
#   docs/timelines/render.sh [--screenshots DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=docs/timelines
cargo build --quiet --examples
for example in interrupts tasks timeouts crowd; do
  "target/debug/examples/$example" --virtual --timeline "$out/$example.svg" >/dev/null
done
if [[ "${1:-}" == "--screenshots" ]]; then
  shots=${2:?a directory for the screenshots}
  mkdir -p "$shots"
  for svg in "$out"/*.svg; do
    name=$(basename "$svg" .svg)
    height=$(sed -n 's/^<svg [^>]* height="\([0-9.]*\)".*/\1/p' "$svg" | head -1)
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync \
      --user-data-dir="$(mktemp -d)" --screenshot="$shots/$name.png" \
      --window-size="1240,${height%.*}" "file://$PWD/$svg" 2>/dev/null
    echo "$shots/$name.png"
  done
fi
