#!/usr/bin/env bash
# Runs the portal: on the demo stack unless CLIENT_ID, CLIENT_SECRET and AUTHORITY are set.
# Open http://127.0.0.1:3000 (BIND_ADDR changes it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/tools.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/devops-pat-portal/target}"
# Content-hashed asset names (cached for a year), precompressed assets, and the lazy routes'
# code in wasm chunks of their own (--split, which every build of the app needs): README, "Performance".
export LEPTOS_HASH_FILES=true
exec cargo leptos serve --release --precompress --split
