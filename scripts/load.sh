#!/usr/bin/env bash
# Load and soak (not tests), on 127.0.0.1 against the release server run as its own process:
# 20,000 authenticated calls at concurrency 256, a storm of 1,000 sign-ins, and a soak of
# [minutes] (default 10) with the server's resident memory sampled.
#   scripts/load.sh [minutes]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/devops-pat-portal/target}"
cargo build -q --release -p server --bin server --example load
"$CARGO_TARGET_DIR/release/examples/load" "$CARGO_TARGET_DIR/release/server" "${1:-10}"
